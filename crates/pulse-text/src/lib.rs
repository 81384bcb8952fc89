//! Chinese text analytics (D1): word segmentation with jieba-rs and an
//! HRBP-editable domain dictionary (so 价格异议 stays one term), a stop-word
//! list, term counts per any grouping (person, team, region, week) and the
//! week-over-week trend rule that flags rising terms.
//!
//! Pure and synchronous: the store reads the cards and the dictionary, this
//! crate turns text into terms. Build one [`Segmenter`] per process (the
//! embedded dictionary takes ~0.15 s to load) and derive an [`Analyzer`]
//! from it whenever the domain dictionary changes.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

pub mod digest;
pub mod tone;
pub mod trajectory;

use jieba_rs::Jieba;
use serde::Serialize;

/// Domain terms shipped with Pulse; HRBPs add their own.
pub const DEFAULT_DOMAIN_TERMS: &[&str] = &[
    "价格异议",
    "招投标",
    "招标参数",
    "备件",
    "GMP",
    "集采",
    "医保",
    "样机",
    "耗材",
    "试剂耗材",
    "科主任",
    "设备科",
    "信息科",
    "交付周期",
    "临床数据",
    "售后响应",
    "上门演示",
    "采购流程",
    "采购节奏",
    "竞品",
    "竞品报价",
    "分期付款",
    "联合拜访",
    "升级方案",
    "电源模块",
    "数据接口",
    "需求洞察",
    "根因",
    "保修",
    "关键人",
    "样板医院",
    "一次修复",
];

/// Words that carry no topic: particles, pronouns, connectives, vague
/// verbs and adverbs common in short observations.
pub const DEFAULT_STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "和",
    "与",
    "及",
    "是",
    "在",
    "有",
    "也",
    "都",
    "就",
    "还",
    "又",
    "但",
    "而",
    "或",
    "被",
    "把",
    "对",
    "给",
    "让",
    "向",
    "从",
    "到",
    "为",
    "以",
    "于",
    "之",
    "其",
    "这",
    "那",
    "这个",
    "那个",
    "我们",
    "你们",
    "他们",
    "她们",
    "我",
    "你",
    "他",
    "她",
    "它",
    "自己",
    "一个",
    "一些",
    "一下",
    "已经",
    "正在",
    "需要",
    "需",
    "要",
    "可以",
    "可能",
    "能",
    "会",
    "应该",
    "比较",
    "非常",
    "很",
    "更",
    "再",
    "比",
    "不",
    "没有",
    "没",
    "已",
    "并",
    "等",
    "但是",
    "因为",
    "所以",
    "如果",
    "然后",
    "目前",
    "今天",
    "本周",
    "上周",
    "下周",
    "一直",
    "还是",
    "提出",
    "提到",
    "进行",
    "表示",
    "觉得",
    "认为",
    "情况",
    "问题",
    "方面",
    "时候",
    "这次",
    "部分",
    "继续",
    "希望",
    "关注",
    // In sales and service observations nearly every card names the
    // customer; these carry no topic and only add noise to the trends.
    "客户",
    "要求",
    "询问",
    "认可",
    "集中",
    // Generic verbs, time words and broken tokens of short observations
    // (操作人员需再培训 → 需再): they say nothing about a topic.
    "需再",
    "补充",
    "预期",
    "重新",
    "关心",
    "影响",
    "反馈",
    "人员",
    "操作",
    "季度",
    "成功",
    "稳定",
    "提前准备",
];

/// The segmentation dictionary loaded once per process.
#[derive(Clone)]
pub struct Segmenter {
    jieba: Arc<Jieba>,
}

impl Default for Segmenter {
    fn default() -> Self {
        Segmenter {
            jieba: Arc::new(Jieba::new()),
        }
    }
}

impl Segmenter {
    /// An analyzer with the given domain terms and stop words (on top of
    /// jieba's embedded dictionary).
    pub fn analyzer<S: AsRef<str>>(&self, domain_terms: &[S], stop_words: &[S]) -> Analyzer {
        let mut jieba = (*self.jieba).clone();
        let mut domain = HashSet::new();
        for t in domain_terms {
            let t = normalize(t.as_ref());
            if !t.is_empty() {
                // Without a frequency jieba suggests one high enough for the
                // term to win over its parts (价格 + 异议).
                jieba.add_word(&t, None, None);
                domain.insert(t);
            }
        }
        let stop = stop_words
            .iter()
            .map(|s| normalize(s.as_ref()))
            .filter(|s| !s.is_empty())
            .collect();
        Analyzer {
            jieba,
            domain,
            stop,
        }
    }

    /// The shipped dictionary and stop words.
    pub fn default_analyzer(&self) -> Analyzer {
        self.analyzer(DEFAULT_DOMAIN_TERMS, DEFAULT_STOP_WORDS)
    }
}

/// Turns text into the terms that are counted.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Jieba,
    domain: HashSet<String>,
    stop: HashSet<String>,
}

/// Full-width letters and digits folded to ASCII, Latin upper-cased (gmp,
/// ＧＭＰ and GMP are one term), surrounding space dropped.
pub fn normalize(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

impl Analyzer {
    /// The terms of `text` in order: domain terms whole, stop words,
    /// punctuation, numbers and single characters left out (a single
    /// character is kept when it is a domain term).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut(&text, true)
            .into_iter()
            .map(|t| t.word.trim())
            .filter(|w| self.keeps(w))
            .map(str::to_string)
            .collect()
    }

    /// Every word of `text` in order, stop words and single characters
    /// included (the tone reader needs 不 and 未).
    pub fn words(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut(&text, true)
            .into_iter()
            .map(|t| t.word.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect()
    }

    fn keeps(&self, w: &str) -> bool {
        if w.is_empty() || self.stop.contains(w) {
            return false;
        }
        if self.domain.contains(w) {
            return true;
        }
        let chars = w.chars().count();
        let cjk = w.chars().filter(|c| is_cjk(*c)).count();
        if cjk > 0 {
            return chars >= 2;
        }
        // Latin words (GMP, CT): at least two letters, not only digits.
        chars >= 2
            && w.chars().all(|c| c.is_ascii_alphanumeric())
            && w.chars().any(|c| c.is_ascii_alphabetic())
    }

    pub fn is_domain_term(&self, term: &str) -> bool {
        self.domain.contains(&normalize(term))
    }
}

/// Term → number of documents (cards) that mention it. A card that says
/// 价格异议 twice is one mention: the digest counts cards, so a long card
/// cannot outweigh the team.
pub type Counts = BTreeMap<String, u32>;

/// Counts per group: `docs` yields a group key (a person, a team, a region,
/// a week, or a tuple of them) and one document's terms.
pub fn count_by<K: Ord, I, T>(docs: I) -> BTreeMap<K, Counts>
where
    I: IntoIterator<Item = (K, T)>,
    T: IntoIterator,
    T::Item: AsRef<str>,
{
    let mut out: BTreeMap<K, Counts> = BTreeMap::new();
    for (key, terms) in docs {
        let group = out.entry(key).or_default();
        let seen: HashSet<String> = terms.into_iter().map(|t| t.as_ref().to_string()).collect();
        for t in seen {
            *group.entry(t).or_default() += 1;
        }
    }
    out
}

/// Counts of one set of documents.
pub fn count<I, T>(docs: I) -> Counts
where
    I: IntoIterator<Item = T>,
    T: IntoIterator,
    T::Item: AsRef<str>,
{
    count_by(docs.into_iter().map(|d| ((), d)))
        .remove(&())
        .unwrap_or_default()
}

/// When a term is flagged as rising (D1): HRBP-configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrendRule {
    /// Mentions this week below this never flag (1 → 2 is not news).
    pub min_count: u32,
    /// The rise over last week, in percent, that flags (≥).
    pub rise_pct: u32,
}

impl Default for TrendRule {
    fn default() -> Self {
        TrendRule {
            min_count: 5,
            rise_pct: 40,
        }
    }
}

impl TrendRule {
    /// Flagged when the term reaches the minimum this week and rose by at
    /// least `rise_pct` over last week (exact integer arithmetic: 5 → 7 is
    /// +40 % and flags). A term with no mentions last week that reaches the
    /// minimum is flagged as new: from nothing to five is the rise a
    /// manager must see, and the minimum still keeps 0 → 2 quiet.
    pub fn flags(&self, count: u32, previous: u32) -> bool {
        count >= self.min_count
            && u64::from(count) * 100 >= u64::from(previous) * (100 + u64::from(self.rise_pct))
    }

    /// [`flags`](Self::flags), and the rise also holds against the week's
    /// volume: when the team wrote 30 % more cards every term is mentioned
    /// more, and that is not news. `cards` and `previous_cards` are the
    /// cards of this week and of last week (a week without cards scales
    /// nothing).
    pub fn flags_in(&self, count: u32, previous: u32, cards: u32, previous_cards: u32) -> bool {
        self.flags(count, previous)
            && (previous == 0
                || previous_cards == 0
                || u64::from(count) * u64::from(previous_cards) * 100
                    >= u64::from(previous) * u64::from(cards) * (100 + u64::from(self.rise_pct)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub term: String,
    pub count: u32,
    pub previous: u32,
    /// Rounded to a whole percent; `None` when the term had no mentions last week.
    pub change_pct: Option<i64>,
    pub flagged: bool,
    /// No mentions last week, at least the minimum this week (also flagged).
    pub new: bool,
}

/// Change in whole percent, rounded half away from zero; `None` from zero.
pub fn change_pct(count: u32, previous: u32) -> Option<i64> {
    if previous == 0 {
        return None;
    }
    let diff = (i64::from(count) - i64::from(previous)) * 100;
    let p = i64::from(previous);
    Some(if diff >= 0 {
        (diff + p / 2) / p
    } else {
        -((-diff + p / 2) / p)
    })
}

/// Week-over-week trends of every term mentioned this week, most mentioned
/// first (ties by term, so the order is stable). `cards` is (this week's,
/// last week's) number of cards, for [`TrendRule::flags_in`].
pub fn trends(
    this_week: &Counts,
    last_week: &Counts,
    cards: (u32, u32),
    rule: &TrendRule,
) -> Vec<Trend> {
    let mut out: Vec<Trend> = this_week
        .iter()
        .map(|(term, &count)| {
            let previous = last_week.get(term).copied().unwrap_or(0);
            Trend {
                term: term.clone(),
                count,
                previous,
                change_pct: change_pct(count, previous),
                flagged: rule.flags_in(count, previous, cards.0, cards.1),
                new: previous == 0 && count >= rule.min_count,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.term.cmp(&b.term)));
    out
}

/// The red line of the digest, e.g. 本周‘价格异议’提及频次上升40%
/// (a new term: 本周新出现‘价格异议’，提及6次).
pub fn flag_text_zh(t: &Trend) -> String {
    match t.change_pct {
        Some(p) => format!("本周‘{}’提及频次上升{}%", t.term, p),
        None => format!("本周新出现‘{}’，提及{}次", t.term, t.count),
    }
}

pub fn flag_text_en(t: &Trend) -> String {
    match t.change_pct {
        Some(p) => format!("Mentions of \"{}\" rose {}% this week", t.term, p),
        None => format!("\"{}\" is new this week: {} mentions", t.term, t.count),
    }
}

#[cfg(test)]
mod tests;
