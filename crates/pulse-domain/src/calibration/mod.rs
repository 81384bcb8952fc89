//! Calibration sessions (C1–C6): the states a session walks through, what a
//! committee score is, the spread that flags a case, distribution guidance,
//! the 9-box and the pseudonyms committee clients see while scoring is blind.

pub mod growth;
pub mod guidance;
pub mod redact;
pub mod stats;

pub use guidance::{Band, Guidance};
pub use stats::{Spread, spread};

use crate::{Lang, Problem};
use serde::{Deserialize, Serialize};

/// prepared → (pre-scoring) → live → revealed → finalized. Scoring is open
/// (and every committee client blind) in pre-scoring and live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Prepared,
    PreScoring,
    Live,
    Revealed,
    Finalized,
}

impl SessionState {
    pub const ALL: [SessionState; 5] = [
        SessionState::Prepared,
        SessionState::PreScoring,
        SessionState::Live,
        SessionState::Revealed,
        SessionState::Finalized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Prepared => "prepared",
            SessionState::PreScoring => "pre_scoring",
            SessionState::Live => "live",
            SessionState::Revealed => "revealed",
            SessionState::Finalized => "finalized",
        }
    }

    pub fn from_code(code: &str) -> Option<SessionState> {
        SessionState::ALL.into_iter().find(|s| s.as_str() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            SessionState::Prepared => ("已准备", "Prepared"),
            SessionState::PreScoring => ("会前盲评", "Pre-scoring"),
            SessionState::Live => ("会议进行中", "Live"),
            SessionState::Revealed => ("已揭晓", "Revealed"),
            SessionState::Finalized => ("已定稿", "Finalized"),
        };
        lang.pick(zh, en)
    }

    /// Members may score, and nobody on a committee client sees who.
    pub fn blind(self) -> bool {
        matches!(self, SessionState::PreScoring | SessionState::Live)
    }

    /// The session holds its reviews: the managers can no longer rewrite them.
    pub fn locks_reviews(self) -> bool {
        matches!(
            self,
            SessionState::PreScoring | SessionState::Live | SessionState::Revealed
        )
    }

    /// The moves the facilitator (or HR) may make from here.
    pub fn can_move_to(self, to: SessionState) -> bool {
        use SessionState::*;
        matches!(
            (self, to),
            (Prepared, PreScoring)
                | (Prepared, Live)
                | (PreScoring, Live)
                | (Live, Revealed)
                | (Revealed, Finalized)
        )
    }

    /// Why a move is refused, in both languages.
    pub fn refuse(self, to: SessionState) -> Problem {
        Problem::new(
            "invalid_session_move",
            format!(
                "会议当前为“{}”，不能转为“{}”",
                self.label(Lang::Zh),
                to.label(Lang::Zh)
            ),
            format!(
                "the session is {}; it cannot move to {}",
                self.label(Lang::En).to_lowercase(),
                to.label(Lang::En).to_lowercase()
            ),
        )
    }
}

/// A committee score: 1 to 5 in halves.
pub fn check_score(score: f64) -> Result<f64, Problem> {
    if !score.is_finite() || !(1.0..=5.0).contains(&score) || (score * 2.0).fract() != 0.0 {
        return Err(Problem::new(
            "invalid_score",
            "评分须在 1 到 5 之间，可打半分（如 3.5）",
            "a score is 1 to 5, in halves (such as 3.5)",
        ));
    }
    Ok(score)
}

/// "案例 07" / "Case 07": what committee clients see instead of a name.
pub fn pseudonym(seq: i64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("案例 {seq:02}"),
        Lang::En => format!("Case {seq:02}"),
    }
}

/// Low / medium / high, for both axes of the 9-box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn from_code(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Level::Low => lang.pick("低", "Low"),
            Level::Medium => lang.pick("中", "Medium"),
            Level::High => lang.pick("高", "High"),
        }
    }

    /// Performance from a rating on the 1–5 scale: up to 2.5 low, 3–3.5
    /// medium, 4 and above high.
    pub fn of_rating(rating: f64) -> Level {
        if rating >= 4.0 {
            Level::High
        } else if rating >= 3.0 {
            Level::Medium
        } else {
            Level::Low
        }
    }
}

/// A 9-box cell: 1 (low performance, low potential) … 9 (high, high),
/// numbered row by row from the bottom left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NineBox {
    pub performance: Level,
    pub potential: Level,
}

impl NineBox {
    pub fn number(self) -> u8 {
        (self.potential as u8) * 3 + (self.performance as u8) + 1
    }

    pub fn from_number(n: u8) -> Option<NineBox> {
        if !(1..=9).contains(&n) {
            return None;
        }
        let i = n - 1;
        Some(NineBox {
            performance: Level::ALL[usize::from(i % 3)],
            potential: Level::ALL[usize::from(i / 3)],
        })
    }

    /// The usual names of the cells (高潜明星, 中坚力量, …).
    pub fn label(self, lang: Lang) -> &'static str {
        use Level::*;
        let (zh, en) = match (self.performance, self.potential) {
            (High, High) => ("明星", "Star"),
            (Medium, High) => ("高潜新星", "High potential"),
            (Low, High) => ("待雕琢", "Rough diamond"),
            (High, Medium) => ("绩效骨干", "High performer"),
            (Medium, Medium) => ("中坚力量", "Core player"),
            (Low, Medium) => ("需关注", "Inconsistent"),
            (High, Low) => ("专业能手", "Trusted professional"),
            (Medium, Low) => ("稳定贡献", "Effective"),
            (Low, Low) => ("需改进", "Underperformer"),
        };
        lang.pick(zh, en)
    }
}

/// Why the final rating was chosen: required when it differs from the
/// manager's rating.
pub fn check_rationale(
    final_rating: f64,
    manager_rating: Option<f64>,
    rationale: &str,
) -> Result<(), Problem> {
    let differs = manager_rating.is_none_or(|m| (m - final_rating).abs() > f64::EPSILON);
    if differs && rationale.trim().is_empty() {
        return Err(Problem::new(
            "rationale_required",
            "最终评分与经理评分不同，请写明校准理由",
            "the final rating differs from the manager's: give the committee's rationale",
        ));
    }
    if rationale.chars().count() > 2000 {
        return Err(Problem::new(
            "rationale_too_long",
            "校准理由最多 2000 字",
            "a rationale has at most 2,000 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn states_round_trip_and_move_forward_only() {
        for s in SessionState::ALL {
            assert_eq!(SessionState::from_code(s.as_str()), Some(s));
            assert!(!s.can_move_to(s));
        }
        assert!(SessionState::Prepared.can_move_to(SessionState::Live));
        assert!(SessionState::PreScoring.can_move_to(SessionState::Live));
        assert!(!SessionState::Live.can_move_to(SessionState::Finalized));
        assert!(!SessionState::Finalized.can_move_to(SessionState::Live));
        assert!(SessionState::Live.blind() && SessionState::PreScoring.blind());
        assert!(!SessionState::Revealed.blind() && !SessionState::Prepared.blind());
        assert!(SessionState::Revealed.locks_reviews());
        assert!(!SessionState::Finalized.locks_reviews());
    }

    #[test]
    fn scores_are_halves_from_one_to_five() {
        for ok in [1.0, 1.5, 3.0, 4.5, 5.0] {
            assert_eq!(check_score(ok), Ok(ok));
        }
        for bad in [0.0, 6.0, 3.3, 0.5, 5.5, f64::NAN, f64::INFINITY, -1.0] {
            assert!(check_score(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pseudonyms_are_two_digit_cases() {
        assert_eq!(pseudonym(7, Lang::Zh), "案例 07");
        assert_eq!(pseudonym(112, Lang::En), "Case 112");
    }

    #[test]
    fn the_nine_box_numbers_every_cell_once() {
        let mut seen = std::collections::BTreeSet::new();
        for perf in Level::ALL {
            for pot in Level::ALL {
                let b = NineBox {
                    performance: perf,
                    potential: pot,
                };
                assert_eq!(NineBox::from_number(b.number()), Some(b));
                seen.insert(b.number());
            }
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(NineBox::from_number(0), None);
        assert_eq!(NineBox::from_number(10), None);
        assert_eq!(Level::of_rating(4.0), Level::High);
        assert_eq!(Level::of_rating(3.5), Level::Medium);
        assert_eq!(Level::of_rating(2.5), Level::Low);
    }

    #[test]
    fn a_changed_rating_needs_a_reason() {
        assert!(check_rationale(4.0, Some(4.0), "").is_ok());
        assert!(check_rationale(3.0, Some(4.0), " ").is_err());
        assert!(check_rationale(3.0, None, "").is_err());
        assert!(check_rationale(3.0, Some(4.0), "客户评价波动大").is_ok());
    }

    proptest! {
        #[test]
        fn check_score_accepts_exactly_the_nine_steps(x in -2.0f64..8.0) {
            let ok = check_score(x).is_ok();
            let steps = (1..=9).any(|i| (1.0 + 0.5 * f64::from(i - 1) - x).abs() == 0.0);
            prop_assert_eq!(ok, steps);
        }
    }
}
