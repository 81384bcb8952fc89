use super::*;
use proptest::prelude::*;
use std::sync::OnceLock;

fn segmenter() -> &'static Segmenter {
    static S: OnceLock<Segmenter> = OnceLock::new();
    S.get_or_init(Segmenter::default)
}

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| segmenter().default_analyzer())
}

#[test]
fn domain_terms_stay_whole_and_stop_words_go() {
    let a = analyzer();
    assert_eq!(
        a.terms("本周客户提出价格异议，竞品报价更低"),
        ["价格异议", "竞品报价"]
    );
    assert_eq!(a.terms("备件到货慢被投诉"), ["备件", "到货", "投诉"]);
    assert_eq!(
        a.terms("设备需通过 gmp 认证"),
        ["设备", "通过", "GMP", "认证"]
    );
    assert!(a.terms("，。！？ 123 的 了").is_empty());
}

#[test]
fn without_the_domain_dictionary_the_term_splits() {
    let plain = segmenter().analyzer::<&str>(&[], &[]);
    let terms = plain.terms("客户提出价格异议");
    assert!(terms.contains(&"价格".to_string()), "{terms:?}");
    assert!(terms.contains(&"异议".to_string()), "{terms:?}");
    assert!(!terms.contains(&"价格异议".to_string()));
    // An HRBP adds the term: it is one term again.
    let with = segmenter().analyzer(&["价格异议"], &[]);
    assert!(
        with.terms("客户提出价格异议")
            .contains(&"价格异议".to_string())
    );
}

#[test]
fn full_width_and_case_fold_to_one_term() {
    let a = segmenter().analyzer(&["GMP"], &[]);
    assert_eq!(a.terms("ＧＭＰ"), ["GMP"]);
    assert_eq!(a.terms("gmp"), ["GMP"]);
    assert!(a.is_domain_term("gmp"));
}

/// A hand-built fortnight of cards with known counts per term.
fn corpus() -> (Vec<String>, Vec<String>) {
    let mut last = Vec::new();
    let mut this = Vec::new();
    let add = |v: &mut Vec<String>, text: &str, n: usize| {
        for _ in 0..n {
            v.push(text.to_string());
        }
    };
    // 价格异议 5 → 7: exactly +40 %, flags.
    add(&mut last, "客户有价格异议", 5);
    add(&mut this, "客户有价格异议", 6);
    // Said twice in one card: one mention.
    add(&mut this, "价格异议，还是价格异议", 1);
    // 交付周期 10 → 13: +30 %, no flag.
    add(&mut last, "交付周期太长", 10);
    add(&mut this, "交付周期太长", 13);
    // 招投标 1 → 2: +100 % but under the minimum count.
    add(&mut last, "招投标文件", 1);
    add(&mut this, "招投标文件", 2);
    // 备件 0 → 6: new, no percentage to give.
    add(&mut this, "备件到货慢", 6);
    // 样机 5 → 6: +20 %.
    add(&mut last, "样机稳定", 5);
    add(&mut this, "样机稳定", 6);
    // As many cards both weeks (34), so the volume rule changes nothing.
    add(&mut last, "很好", 13);
    (last, this)
}

#[test]
fn the_hand_built_corpus_gives_the_known_counts_and_flags() {
    let a = analyzer();
    let (last, this) = corpus();
    let last = count(last.iter().map(|t| a.terms(t)));
    let this = count(this.iter().map(|t| a.terms(t)));
    assert_eq!(last["价格异议"], 5);
    assert_eq!(this["价格异议"], 7);
    assert_eq!(this["交付周期"], 13);
    assert_eq!(this["招投标"], 2);
    assert_eq!(this["备件"], 6);
    let rule = TrendRule::default();
    let t = trends(&this, &last, (20, 20), &rule);
    let get = |term: &str| t.iter().find(|x| x.term == term).unwrap().clone();
    let price = get("价格异议");
    assert_eq!(
        (price.previous, price.change_pct, price.flagged),
        (5, Some(40), true)
    );
    assert_eq!(flag_text_zh(&price), "本周‘价格异议’提及频次上升40%");
    assert_eq!(get("交付周期").change_pct, Some(30));
    assert!(!get("交付周期").flagged);
    let bid = get("招投标");
    assert_eq!((bid.change_pct, bid.flagged), (Some(100), false));
    // New with no history and at the minimum: flagged as new.
    let parts = get("备件");
    assert_eq!(
        (parts.change_pct, parts.flagged, parts.new),
        (None, true, true)
    );
    assert_eq!(flag_text_zh(&parts), "本周新出现‘备件’，提及6次");
    assert!(!get("样机").flagged);
    let mut flagged: Vec<&str> = t
        .iter()
        .filter(|x| x.flagged)
        .map(|x| x.term.as_str())
        .collect();
    flagged.sort();
    // 到货 comes with 备件 ("备件到货慢"): new as well.
    assert_eq!(flagged, ["价格异议", "到货", "备件"]);
    // Most mentioned first.
    assert_eq!(t[0].term, "交付周期");
}

#[test]
fn the_minimum_count_and_threshold_are_configurable() {
    let strict = TrendRule {
        min_count: 8,
        rise_pct: 40,
    };
    assert!(!strict.flags(7, 5), "7 mentions are under a minimum of 8");
    let loose = TrendRule {
        min_count: 2,
        rise_pct: 100,
    };
    assert!(loose.flags(2, 1));
    assert!(!loose.flags(3, 2), "+50 % is under +100 %");
}

#[test]
fn change_is_rounded_to_whole_percent() {
    assert_eq!(change_pct(7, 5), Some(40));
    assert_eq!(change_pct(4, 3), Some(33));
    assert_eq!(change_pct(5, 3), Some(67));
    assert_eq!(change_pct(2, 3), Some(-33));
    assert_eq!(change_pct(0, 4), Some(-100));
    assert_eq!(change_pct(3, 0), None);
}

#[test]
fn counts_group_by_any_key() {
    let a = analyzer();
    let docs = [
        (("华东", 47), "客户有价格异议"),
        (("华东", 47), "价格异议集中在耗材"),
        (("华南", 47), "客户有价格异议"),
        (("华东", 46), "样机稳定"),
    ];
    let by = count_by(docs.iter().map(|(k, t)| (*k, a.terms(t))));
    assert_eq!(by[&("华东", 47)]["价格异议"], 2);
    assert_eq!(by[&("华东", 47)]["耗材"], 1);
    assert_eq!(by[&("华南", 47)]["价格异议"], 1);
    assert!(!by[&("华东", 46)].contains_key("价格异议"));
}

#[test]
fn the_digest_body_counts_tags_flags_terms_and_links_cards() {
    let a = analyzer();
    let (last, this) = corpus();
    let r = |t: &str, v: i64| vec![(t.to_string(), v)];
    let good = r("沟通质量", 4);
    let poor = r("沟通质量", 2);
    let this_terms: Vec<Vec<String>> = this.iter().map(|o| a.terms(o)).collect();
    let last_terms: Vec<Vec<String>> = last.iter().map(|o| a.terms(o)).collect();
    let this_cards: Vec<digest::CardText> = this_terms
        .iter()
        .enumerate()
        .map(|(i, o)| digest::CardText {
            id: 100 + i as i64,
            terms: o,
            ratings: if i % 2 == 0 { &good } else { &poor },
        })
        .collect();
    let last_cards: Vec<digest::CardText> = last_terms
        .iter()
        .enumerate()
        .map(|(i, o)| digest::CardText {
            id: i as i64,
            terms: o,
            ratings: &good,
        })
        .collect();
    let body = digest::build(&this_cards, &last_cards, &TrendRule::default(), 3);
    assert_eq!(body.cards, this.len() as u32);
    assert_eq!(body.tags.len(), 1);
    assert_eq!(body.tags[0].count, this.len() as u32);
    assert_eq!(body.tags[0].previous_avg, Some(4.0));
    assert_eq!(
        body.flags.len(),
        3,
        "价格异议 rose 40 %, 备件 and 到货 are new"
    );
    assert!(
        body.flags
            .iter()
            .any(|f| f.text == "本周‘价格异议’提及频次上升40%")
    );
    // Top 3 by count, plus the flagged term even when it is not among them.
    let price = body.terms.iter().find(|t| t.term == "价格异议").unwrap();
    assert_eq!(price.card_ids.len(), 7);
    assert!(price.card_ids.iter().all(|id| {
        this_cards
            .iter()
            .any(|c| c.id == *id && c.terms.contains(&"价格异议".to_string()))
    }));
    assert!(body.terms.len() <= 6);
}

proptest! {
    /// The flag is exactly "≥ minimum, and new or ≥ +threshold over last
    /// week", compared in exact arithmetic.
    #[test]
    fn flags_match_the_rule(count in 0u32..500, previous in 0u32..500, min in 1u32..20, rise in 1u32..200) {
        let rule = TrendRule { min_count: min, rise_pct: rise };
        let expected = count >= min
            && (previous == 0
                || (f64::from(count) - f64::from(previous)) / f64::from(previous) * 100.0
                    >= f64::from(rise) - 1e-9);
        prop_assert_eq!(rule.flags(count, previous), expected);
    }

    /// Against the volume the flag is stricter, never looser, and the same
    /// when both weeks had as many cards.
    #[test]
    fn volume_only_calms(count in 0u32..300, previous in 0u32..300, cards in 1u32..400, before in 1u32..400) {
        let rule = TrendRule::default();
        if rule.flags_in(count, previous, cards, before) {
            prop_assert!(rule.flags(count, previous));
        }
        prop_assert_eq!(rule.flags_in(count, previous, cards, cards), rule.flags(count, previous));
    }

    /// Counting never gives a term more mentions than there are documents.
    #[test]
    fn mentions_never_exceed_documents(docs in proptest::collection::vec(proptest::collection::vec("[a-c]{2}", 0..5), 0..20)) {
        let c = count(docs.iter().map(|d| d.iter()));
        for n in c.values() {
            prop_assert!(*n as usize <= docs.len());
        }
    }
}

#[test]
fn a_busier_week_is_not_news() {
    let rule = TrendRule::default();
    // 7 → 10 mentions (+43 %) while cards went 184 → 241 (+31 %): calm.
    assert!(rule.flags(10, 7));
    assert!(!rule.flags_in(10, 7, 241, 184));
    // 10 → 15 while cards stayed about the same: the story.
    assert!(rule.flags_in(15, 10, 35, 39));
    // New this week still flags at the minimum.
    assert!(rule.flags_in(5, 0, 30, 30));
}
