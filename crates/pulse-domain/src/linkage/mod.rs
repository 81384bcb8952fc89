//! Performance → development → incentive (L1–L4): rules an HRBP writes in
//! CEL over a person's period metrics and their standing in the peer group
//! (job family and level), and the outcomes they produce — a talent pool, a
//! course, a bonus coefficient adjustment, an eligibility — each kept with
//! the chain of values that led to it (L3).

mod chain;
mod condition;
pub mod path;
mod standing;

pub use chain::{chain_sentence, step_sentence, with_unit};
pub use condition::{Evaluator, HELPERS, LinkCondition, Step, Trace};
pub use standing::standings;

use serde::{Deserialize, Serialize};

use crate::Problem;

/// A metric rules may name: its canonical key (a metric code such as
/// `soothing_rate` or `feedback_tag:技术方案创新`) and the names an HRBP
/// may write instead (the radar dimension's name, the Chinese label).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricInfo {
    pub key: String,
    pub aliases: Vec<String>,
    pub zh: String,
    pub en: String,
    pub unit: String,
    pub higher_is_better: bool,
}

/// A catalogue of the metrics rules may name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub metrics: Vec<MetricInfo>,
}

impl Catalog {
    /// The metric a rule's text names, by key or alias (case and spaces ignored).
    pub fn find(&self, name: &str) -> Option<&MetricInfo> {
        let n = name.trim();
        self.metrics
            .iter()
            .find(|m| m.key == n || m.aliases.iter().any(|a| a == n) || m.zh == n)
            .or_else(|| {
                let lower = n.to_lowercase();
                self.metrics.iter().find(|m| m.key.to_lowercase() == lower)
            })
    }
}

/// A person's value of a metric in one period, with their standing among
/// the peers who have a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub value: f64,
    /// 1 = best in the peer group.
    pub rank: u32,
    pub peers: u32,
    /// Percentile rank 0–100, higher = better (reversed for lower-is-better metrics).
    pub percentile: f64,
}

/// What a rule reads about one person: the periods in order (the last is
/// the one being evaluated) and per metric key one standing per period.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub periods: Vec<String>,
    pub values: std::collections::HashMap<String, Vec<Option<Standing>>>,
    pub job_family: String,
    pub level: String,
    pub region: String,
}

impl History {
    /// The standing `back` periods before the current one (0 = current).
    pub fn at(&self, key: &str, back: usize) -> Option<(&str, Standing)> {
        let n = self.periods.len();
        if back >= n {
            return None;
        }
        let i = n - 1 - back;
        let s = self.values.get(key)?.get(i).copied().flatten()?;
        Some((self.periods[i].as_str(), s))
    }
}

/// What a matching rule does. A rule carries one or more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Join a talent pool (e.g. 高潜人才池).
    JoinPool { pool: String },
    /// Recommend a course of the catalogue (e.g. 医疗AI认证课程).
    RecommendCourse { course: String },
    /// Add to the period's bonus coefficient (1.00 before any rule), in hundredths.
    AdjustBonus { hundredths: i64 },
    /// Grant an eligibility (e.g. 培训师轮岗优先).
    GrantEligibility { eligibility: String },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::JoinPool { .. } => "join_pool",
            Action::RecommendCourse { .. } => "recommend_course",
            Action::AdjustBonus { .. } => "adjust_bonus",
            Action::GrantEligibility { .. } => "grant_eligibility",
        }
    }

    /// The outcome in words: "加入高潜人才池" / "join 高潜人才池".
    pub fn describe(&self, zh: bool) -> String {
        match (self, zh) {
            (Action::JoinPool { pool }, true) => format!("加入{pool}"),
            (Action::JoinPool { pool }, false) => format!("joins {pool}"),
            (Action::RecommendCourse { course }, true) => format!("推荐 {course}"),
            (Action::RecommendCourse { course }, false) => format!("is offered {course}"),
            (Action::AdjustBonus { hundredths }, true) => {
                format!("本期奖金系数 {}", signed_coefficient(*hundredths))
            }
            (Action::AdjustBonus { hundredths }, false) => {
                format!(
                    "bonus coefficient {} for the period",
                    signed_coefficient(*hundredths)
                )
            }
            (Action::GrantEligibility { eligibility }, true) => format!("获得{eligibility}"),
            (Action::GrantEligibility { eligibility }, false) => format!("gains {eligibility}"),
        }
    }
}

/// "+0.15" / "−0.05".
pub fn signed_coefficient(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "−" } else { "+" };
    let a = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// "1.15".
pub fn coefficient(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// The coefficient before any rule: 1.00.
pub const BASE_COEFFICIENT: i64 = 100;

/// A bonus adjustment as written ("0.15", "+0.15", "-0.05") in hundredths.
pub fn parse_adjustment(text: &str) -> Result<i64, Problem> {
    let t = text.trim().replace(['＋', ' '], "").replace('−', "-");
    let bad = || {
        Problem::new(
            "invalid_bonus_adjustment",
            format!("奖金系数调整应为两位以内的小数，如 +0.15 或 -0.05，收到：{text}"),
            format!(
                "a bonus adjustment is a decimal with at most two places, such as +0.15 or -0.05; got: {text}"
            ),
        )
    };
    let h = parse_hundredths(&t).ok_or_else(bad)?;
    if h == 0 {
        return Err(Problem::new(
            "invalid_bonus_adjustment",
            "奖金系数调整不能为 0",
            "a bonus adjustment of 0 changes nothing",
        ));
    }
    if h <= -BASE_COEFFICIENT {
        return Err(below_zero(h));
    }
    if h > 500 {
        return Err(Problem::new(
            "invalid_bonus_adjustment",
            "单条规则的奖金系数调整最多 +5.00",
            "one rule adjusts the bonus coefficient by +5.00 at most",
        ));
    }
    Ok(h)
}

pub fn below_zero(hundredths: i64) -> Problem {
    Problem::new(
        "bonus_below_zero",
        format!(
            "奖金系数不能低于 0：基准 1.00 调整 {} 后为 {}",
            signed_coefficient(hundredths),
            coefficient(BASE_COEFFICIENT + hundredths)
        ),
        format!(
            "a bonus coefficient cannot go below zero: 1.00 adjusted by {} is {}",
            signed_coefficient(hundredths),
            coefficient(BASE_COEFFICIENT + hundredths)
        ),
    )
}

/// The coefficient after a period's adjustments; refuses one below zero.
pub fn apply_adjustments(adjustments: &[i64]) -> Result<i64, Problem> {
    let total: i64 = BASE_COEFFICIENT + adjustments.iter().sum::<i64>();
    if total < 0 {
        return Err(below_zero(total - BASE_COEFFICIENT));
    }
    Ok(total)
}

/// "±d.dd" read exactly, in hundredths (no float rounding in pay figures).
fn parse_hundredths(t: &str) -> Option<i64> {
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || int.len() > 6
    {
        return None;
    }
    let i: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let h = i * 100 + f;
    Some(if neg { -h } else { h })
}

#[cfg(test)]
mod coefficient_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn adjustments_are_exact_and_bounded() {
        assert_eq!(parse_adjustment("+0.15").unwrap(), 15);
        assert_eq!(parse_adjustment("0.1").unwrap(), 10);
        assert_eq!(parse_adjustment("-0.05").unwrap(), -5);
        assert_eq!(parse_adjustment("−0.5").unwrap(), -50);
        for bad in ["", "0", "abc", "0.155", "1e3", "-1.00", "-2", "6", "+", "."] {
            assert!(parse_adjustment(bad).is_err(), "{bad}");
        }
        assert_eq!(signed_coefficient(15), "+0.15");
        assert_eq!(signed_coefficient(-5), "−0.05");
        assert_eq!(coefficient(115), "1.15");
        assert_eq!(apply_adjustments(&[15, 10]).unwrap(), 125);
        assert_eq!(
            apply_adjustments(&[-60, -50]).unwrap_err().code,
            "bonus_below_zero"
        );
    }

    proptest! {
        /// Whatever adjustments are accepted, the coefficient never goes below zero.
        #[test]
        fn the_coefficient_never_goes_below_zero(adj in proptest::collection::vec(-99i64..=500, 0..8)) {
            match apply_adjustments(&adj) {
                Ok(c) => prop_assert!(c >= 0),
                Err(p) => {
                    prop_assert_eq!(p.code, "bonus_below_zero");
                    prop_assert!(BASE_COEFFICIENT + adj.iter().sum::<i64>() < 0);
                }
            }
        }

        #[test]
        fn written_adjustments_read_back(h in -99i64..=500) {
            prop_assume!(h != 0);
            let text = coefficient(h);
            prop_assert_eq!(parse_adjustment(&text).unwrap(), h);
        }
    }
}

#[cfg(test)]
mod tests;
