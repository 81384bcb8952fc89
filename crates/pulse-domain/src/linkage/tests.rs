//! The article's two rules (L2), their near misses, and the refusals (L1).

use std::sync::Arc;

use super::*;
use crate::Lang;

fn catalog() -> Catalog {
    let m = |key: &str, alias: &str, zh: &str, unit: &str| MetricInfo {
        key: key.into(),
        aliases: vec![alias.into()],
        zh: zh.into(),
        en: key.into(),
        unit: unit.into(),
        higher_is_better: true,
    };
    Catalog {
        metrics: vec![
            m(
                "feedback_tag:技术方案创新",
                "技术方案创新",
                "技术方案创新分",
                "分",
            ),
            m(
                "soothing_rate",
                "客户情绪安抚成功率",
                "客户情绪安抚成功率",
                "%",
            ),
            m("review_rating", "绩效评分", "绩效评分", "分"),
        ],
    }
}

fn person(innovation: &[Option<f64>], soothing: Option<(f64, u32, u32)>) -> Arc<History> {
    let n = innovation.len();
    let mut h = History {
        periods: (0..n).map(|i| format!("2026Q{}", i + 1)).collect(),
        job_family: "服务工程师".into(),
        level: "P5".into(),
        region: "华东大区".into(),
        ..Default::default()
    };
    h.values.insert(
        "feedback_tag:技术方案创新".into(),
        innovation
            .iter()
            .map(|v| {
                v.map(|value| Standing {
                    value,
                    rank: 1,
                    peers: 10,
                    percentile: 95.0,
                })
            })
            .collect(),
    );
    let mut s = vec![None; n];
    if let Some((value, rank, peers)) = soothing {
        s[n - 1] = Some(Standing {
            value,
            rank,
            peers,
            percentile: 0.0,
        });
    }
    h.values.insert("soothing_rate".into(), s);
    Arc::new(h)
}

#[test]
fn two_quarters_running_above_the_threshold_match_and_say_so() {
    let c = catalog();
    let cond = LinkCondition::compile("consecutive(\"技术方案创新\", 2, \">\", 4.5)", &c).unwrap();
    let ev = Evaluator::new(&c);
    let (hit, trace) = ev
        .eval(&cond, person(&[Some(4.0), Some(4.6), Some(4.7)], None))
        .unwrap();
    assert!(hit);
    assert_eq!(trace.steps.len(), 2);
    assert_eq!(trace.steps[0].period, "2026Q2");
    assert_eq!(trace.steps[1].value, Some(4.7));
    let actions = [Action::JoinPool {
        pool: "高潜人才池".into(),
    }];
    assert_eq!(
        chain_sentence(&trace.steps, &actions, Lang::Zh),
        "2026Q2 技术方案创新分 4.6 > 4.5；2026Q3 4.7 > 4.5；连续两个季度 → 加入高潜人才池"
    );
    // Near misses: one quarter at the threshold, or a quarter without data.
    for near in [
        vec![Some(4.9), Some(4.5), Some(4.7)],
        vec![Some(4.9), None, Some(4.8)],
        vec![Some(4.6)],
    ] {
        let (hit, _) = ev.eval(&cond, person(&near, None)).unwrap();
        assert!(!hit, "{near:?}");
    }
}

#[test]
fn the_top_five_percent_of_the_peer_group_match() {
    let c = catalog();
    let cond = LinkCondition::compile("top_pct('客户情绪安抚成功率', 5)", &c).unwrap();
    let ev = Evaluator::new(&c);
    let (hit, trace) = ev
        .eval(&cond, person(&[None], Some((97.0, 2, 40))))
        .unwrap();
    assert!(hit, "2nd of 40 is the top 5 %");
    assert_eq!(trace.steps[0].share, Some(5.0));
    let (hit, _) = ev
        .eval(&cond, person(&[None], Some((96.0, 3, 40))))
        .unwrap();
    assert!(!hit, "3rd of 40 is 7.5 %");
    let (hit, t) = ev.eval(&cond, person(&[None], None)).unwrap();
    assert!(!hit);
    assert_eq!(t.missing, vec!["soothing_rate".to_string()]);
}

#[test]
fn helpers_combine_with_cel() {
    let c = catalog();
    let ev = Evaluator::new(&c);
    let p = person(&[Some(4.0), Some(4.6)], Some((90.0, 4, 10)));
    for (src, want) in [
        (
            "delta('技术方案创新') > 0.5 && job_family == '服务工程师'",
            true,
        ),
        ("rank('soothing_rate') <= 3", false),
        (
            "current('技术方案创新') >= 4.6 || bottom_pct('soothing_rate', 10)",
            true,
        ),
        ("bottom_pct('soothing_rate', 50)", false),
    ] {
        let cond = LinkCondition::compile(src, &c).unwrap();
        assert_eq!(ev.eval(&cond, p.clone()).unwrap().0, want, "{src}");
    }
}

#[test]
fn bad_rules_are_refused_with_a_reason() {
    let c = catalog();
    for (src, code) in [
        ("consecutive(\"技术方案创新\", 2, \">\" 4.5", "rule_syntax"),
        ("current(\"销售魔法\") > 1", "rule_unknown_metric"),
        ("false || top_pct(\"不存在\", 5)", "rule_unknown_metric"),
        ("magic(\"技术方案创新\")", "rule_unknown_helper"),
        ("headcount > 3", "rule_unknown_variable"),
        ("region > 3", "rule_type_mismatch"),
        ("current(\"技术方案创新\")", "rule_not_boolean"),
        ("current(技术方案创新) > 1", "rule_metric_not_text"),
        (
            "consecutive(\"技术方案创新\", 2, \"=>\", 4.5)",
            "rule_eval_failed",
        ),
        ("top_pct(\"soothing_rate\", 0)", "rule_eval_failed"),
        ("", "rule_empty"),
    ] {
        let e = LinkCondition::compile(src, &c).expect_err(src);
        assert_eq!(e.code, code, "{src}: {}", e.zh);
        assert!(!e.zh.is_empty() && !e.en.is_empty());
    }
}
