//! How warm a text reads: a small sentiment lexicon over the segmenter's
//! words, with negation (不, 没有, 未 …) flipping the next sentiment word in
//! the same clause. Used to warn a manager whose prose and rating disagree
//! (W1 §6) and, later, for the calibration trajectory.

use crate::Analyzer;

const POSITIVE: &[&str] = &[
    "优秀", "出色", "卓越", "突出", "认可", "好评", "满意", "满分", "超额", "提升", "领先", "高效",
    "及时", "扎实", "稳定", "专业", "表扬", "亮眼", "积极", "主动", "可靠", "信任", "快速", "达成",
    "出彩", "优异", "成功", "长处", "突破", "赢得", "感谢", "称赞", "稳步", "到位", "清楚", "有力",
    "巩固",
];
const NEGATIVE: &[&str] = &[
    "异议",
    "不足",
    "欠缺",
    "差距",
    "延迟",
    "拖延",
    "投诉",
    "失误",
    "较差",
    "不满",
    "不满意",
    "下降",
    "薄弱",
    "一般",
    "缓慢",
    "滞后",
    "遗漏",
    "错误",
    "待改进",
    "改进",
    "差强人意",
    "勉强",
    "平平",
    "未达",
    "落后",
    "问题",
];
const NEGATION: &[&str] = &[
    "不", "没", "没有", "未", "并非", "不够", "缺乏", "无", "尚未", "未能",
];
const CLAUSE_END: &[&str] = &["，", "。", "；", "！", "？", ",", ".", ";", "!", "?", "\n"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tone {
    pub positive: u32,
    pub negative: u32,
}

impl Tone {
    /// −1 (all negative) … 1 (all positive); 0 for a text with no sentiment.
    pub fn leaning(&self) -> f64 {
        let total = self.positive + self.negative;
        if total == 0 {
            0.0
        } else {
            (f64::from(self.positive) - f64::from(self.negative)) / f64::from(total)
        }
    }
}

pub fn tone(analyzer: &Analyzer, text: &str) -> Tone {
    let mut t = Tone::default();
    let mut negated = false;
    for w in analyzer.words(text) {
        let w = w.as_str();
        if CLAUSE_END.contains(&w) {
            negated = false;
            continue;
        }
        if NEGATION.contains(&w) {
            negated = true;
            continue;
        }
        let polarity = match polarity_of(w) {
            Some(p) => p,
            None => continue,
        };
        let polarity = if negated { -polarity } else { polarity };
        negated = false;
        if polarity > 0 {
            t.positive += 1;
        } else {
            t.negative += 1;
        }
    }
    t
}

/// A lexicon word, or a compound the segmenter kept whole that ends in one
/// (表现出色 → 出色).
fn polarity_of(w: &str) -> Option<i32> {
    if POSITIVE.contains(&w) {
        return Some(1);
    }
    if NEGATIVE.contains(&w) {
        return Some(-1);
    }
    if w.chars().count() < 3 {
        return None;
    }
    if POSITIVE.iter().any(|p| w.ends_with(p)) {
        Some(1)
    } else if NEGATIVE.iter().any(|n| w.ends_with(n)) {
        Some(-1)
    } else {
        None
    }
}

/// Where a rating and its prose disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// A top rating with lukewarm or critical text.
    LukewarmForTop,
    /// A bottom rating with warm text.
    WarmForLow,
}

/// `position` is the rating's place on its scale, 0 (lowest) to 1 (highest).
pub fn mismatch(position: f64, t: &Tone) -> Option<Mismatch> {
    if position >= 0.75 && t.leaning() <= 0.2 {
        Some(Mismatch::LukewarmForTop)
    } else if position <= 0.25 && t.leaning() >= 0.5 && t.positive >= 3 {
        Some(Mismatch::WarmForLow)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segmenter;

    #[test]
    fn negation_flips_the_next_sentiment_word() {
        let a = Segmenter::default().default_analyzer();
        let warm = tone(&a, "表现优秀，客户满意，业绩突出。");
        assert_eq!((warm.positive, warm.negative), (3, 0));
        let flipped = tone(&a, "表现不够优秀，客户并非满意。");
        assert_eq!((flipped.positive, flipped.negative), (0, 2));
        // Negation ends with the clause.
        let clause = tone(&a, "没有投诉，服务及时。");
        assert_eq!((clause.positive, clause.negative), (2, 0));
    }

    #[test]
    fn a_top_rating_needs_warm_words_and_a_low_one_cold_ones() {
        let a = Segmenter::default().default_analyzer();
        let lukewarm = tone(&a, "本季度工作表现一般，完成了日常任务，存在一些问题。");
        assert_eq!(mismatch(1.0, &lukewarm), Some(Mismatch::LukewarmForTop));
        let warm = tone(&a, "表现出色，客户好评，业绩突出，专业扎实。");
        assert_eq!(mismatch(1.0, &warm), None);
        assert_eq!(mismatch(0.0, &warm), Some(Mismatch::WarmForLow));
        assert_eq!(mismatch(0.5, &lukewarm), None);
    }
}
