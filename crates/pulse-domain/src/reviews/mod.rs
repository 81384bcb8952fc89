//! Review cycles and reviews (W1–W3): the states a review walks through,
//! the rating scale, and the parts of the review writer (evidence, draft,
//! edits and writing time, pseudonyms for an outside polish).

pub mod edits;
pub mod evidence;
pub mod pseudonym;
pub mod writer;

use crate::{Lang, Problem};
use serde::{Deserialize, Serialize};

/// draft → submitted → in calibration (locked) → calibrated → released →
/// acknowledged. A review without calibration is released from submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Draft,
    Submitted,
    InCalibration,
    Calibrated,
    Released,
    Acknowledged,
}

impl ReviewState {
    pub const ALL: [ReviewState; 6] = [
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::InCalibration,
        ReviewState::Calibrated,
        ReviewState::Released,
        ReviewState::Acknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::Submitted => "submitted",
            ReviewState::InCalibration => "in_calibration",
            ReviewState::Calibrated => "calibrated",
            ReviewState::Released => "released",
            ReviewState::Acknowledged => "acknowledged",
        }
    }

    pub fn from_code(code: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|s| s.as_str() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            ReviewState::Draft => ("待撰写", "To write"),
            ReviewState::Submitted => ("已提交", "Submitted"),
            ReviewState::InCalibration => ("校准中", "In calibration"),
            ReviewState::Calibrated => ("已校准", "Calibrated"),
            ReviewState::Released => ("已发布", "Released"),
            ReviewState::Acknowledged => ("已确认", "Acknowledged"),
        };
        lang.pick(zh, en)
    }

    /// The manager may write (and rewrite) until calibration locks it.
    pub fn writable(self) -> bool {
        matches!(self, ReviewState::Draft | ReviewState::Submitted)
    }

    /// HR releases a submitted or calibrated review to the employee.
    pub fn releasable(self) -> bool {
        matches!(self, ReviewState::Submitted | ReviewState::Calibrated)
    }

    /// The employee sees the review once it is released.
    pub fn visible_to_employee(self) -> bool {
        matches!(self, ReviewState::Released | ReviewState::Acknowledged)
    }
}

/// A cycle's state: open while reviews are written, completed (frozen) once
/// HR closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    Open,
    Completed,
}

impl CycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Open => "open",
            CycleState::Completed => "completed",
        }
    }

    pub fn from_code(code: &str) -> Option<CycleState> {
        [CycleState::Open, CycleState::Completed]
            .into_iter()
            .find(|s| s.as_str() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            CycleState::Open => lang.pick("进行中", "Open"),
            CycleState::Completed => lang.pick("已完成（已冻结）", "Completed (frozen)"),
        }
    }
}

/// Who a cycle covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Population {
    Company,
    /// An org unit's code (a region, or any unit): everyone under it.
    Unit(String),
    JobFamily(String),
}

impl Population {
    pub fn kind(&self) -> &'static str {
        match self {
            Population::Company => "company",
            Population::Unit(_) => "unit",
            Population::JobFamily(_) => "job_family",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Population::Company => "",
            Population::Unit(v) | Population::JobFamily(v) => v,
        }
    }

    pub fn parse(kind: &str, value: &str) -> Result<Population, Problem> {
        let value = value.trim();
        let need = |p: Population| {
            if value.is_empty() {
                Err(Problem::new(
                    "population_value_required",
                    "请选择范围（部门或岗位族）",
                    "choose the unit or job family the cycle covers",
                ))
            } else {
                Ok(p)
            }
        };
        match kind.trim() {
            "company" | "" => Ok(Population::Company),
            "unit" | "region" => need(Population::Unit(value.to_string())),
            "job_family" => need(Population::JobFamily(value.to_string())),
            other => Err(Problem::new(
                "invalid_population",
                format!("未知的范围类型：{other}"),
                format!("unknown population kind: {other}"),
            )),
        }
    }
}

const DEFAULT_LABELS: [(&str, &str); 5] = [
    ("待改进", "Needs improvement"),
    ("需提升", "Developing"),
    ("达到预期", "Meets expectations"),
    ("超出预期", "Exceeds expectations"),
    ("卓越", "Outstanding"),
];

/// A rating scale from 1 to `max`, in whole steps or halves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingScale {
    pub max: u8,
    pub halves: bool,
}

impl Default for RatingScale {
    fn default() -> Self {
        RatingScale {
            max: 5,
            halves: false,
        }
    }
}

impl RatingScale {
    pub fn new(max: i64, halves: bool) -> Result<RatingScale, Problem> {
        if !(3..=10).contains(&max) {
            return Err(Problem::new(
                "invalid_scale",
                "评分档位须为 3 到 10 档",
                "a rating scale has 3 to 10 steps",
            ));
        }
        Ok(RatingScale {
            max: max as u8,
            halves,
        })
    }

    /// The rating if it lies on the scale, else why not.
    pub fn check(&self, rating: f64) -> Result<f64, Problem> {
        let step = if self.halves { 2.0 } else { 1.0 };
        let on_step = (rating * step).fract() == 0.0;
        if !rating.is_finite() || !(1.0..=f64::from(self.max)).contains(&rating) || !on_step {
            let steps = if self.halves {
                "，可打半分"
            } else {
                "，只能是整数"
            };
            let steps_en = if self.halves {
                ", halves allowed"
            } else {
                ", whole numbers only"
            };
            return Err(Problem::new(
                "invalid_rating",
                format!("评分须在 1 到 {} 之间{steps}", self.max),
                format!("the rating must be between 1 and {}{steps_en}", self.max),
            ));
        }
        Ok(rating)
    }

    /// Every rating a manager can choose, lowest first.
    pub fn steps(&self) -> Vec<f64> {
        let n = if self.halves {
            (self.max as usize - 1) * 2 + 1
        } else {
            self.max as usize
        };
        let step = if self.halves { 0.5 } else { 1.0 };
        (0..n).map(|i| 1.0 + step * i as f64).collect()
    }

    /// "4 · 超出预期", "3.5 · 达到预期～超出预期"; beyond five steps the
    /// number says it.
    pub fn label(&self, rating: f64, lang: Lang) -> String {
        let word = |n: f64| -> Option<&'static str> {
            if self.max != 5 {
                return None;
            }
            DEFAULT_LABELS
                .get((n as usize).checked_sub(1)?)
                .map(|(zh, en)| lang.pick(zh, en))
        };
        let num = format_rating(rating);
        if rating.fract() == 0.0 {
            match word(rating) {
                Some(w) => format!("{num} · {w}"),
                None => lang.pick("{n} 分", "{n}").replace("{n}", &num),
            }
        } else {
            match (word(rating.floor()), word(rating.ceil())) {
                (Some(a), Some(b)) => format!("{num} · {a}～{b}"),
                _ => lang.pick("{n} 分", "{n}").replace("{n}", &num),
            }
        }
    }

    /// Where a rating sits on the scale, 0 (lowest) to 1 (highest).
    pub fn position(&self, rating: f64) -> f64 {
        ((rating - 1.0) / (f64::from(self.max) - 1.0)).clamp(0.0, 1.0)
    }
}

/// 4 → "4", 3.5 → "3.5".
pub fn format_rating(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_lock_after_submission() {
        for s in ReviewState::ALL {
            assert_eq!(ReviewState::from_code(s.as_str()), Some(s));
        }
        assert!(ReviewState::Submitted.writable());
        assert!(!ReviewState::InCalibration.writable());
        assert!(!ReviewState::Released.writable());
        assert!(ReviewState::Calibrated.releasable());
        assert!(!ReviewState::Draft.releasable());
        assert!(ReviewState::Acknowledged.visible_to_employee());
        assert!(!ReviewState::Submitted.visible_to_employee());
    }

    #[test]
    fn the_scale_takes_its_steps_only() {
        let s = RatingScale::default();
        assert_eq!(s.check(4.0), Ok(4.0));
        assert!(s.check(3.5).is_err());
        assert!(s.check(0.0).is_err());
        assert!(s.check(6.0).is_err());
        assert!(s.check(f64::NAN).is_err());
        let h = RatingScale::new(5, true).unwrap();
        assert_eq!(h.check(3.5), Ok(3.5));
        assert!(h.check(3.25).is_err());
        assert_eq!(h.steps().len(), 9);
        assert_eq!(s.label(4.0, Lang::Zh), "4 · 超出预期");
        assert_eq!(h.label(3.5, Lang::Zh), "3.5 · 达到预期～超出预期");
        assert_eq!(s.label(5.0, Lang::En), "5 · Outstanding");
        assert_eq!(
            RatingScale::new(7, false).unwrap().label(6.0, Lang::Zh),
            "6 分"
        );
        assert!(RatingScale::new(2, false).is_err());
    }

    #[test]
    fn populations_parse() {
        assert_eq!(Population::parse("company", ""), Ok(Population::Company));
        assert_eq!(
            Population::parse("unit", "HD"),
            Ok(Population::Unit("HD".into()))
        );
        assert!(Population::parse("job_family", " ").is_err());
        assert!(Population::parse("planet", "x").is_err());
    }
}
