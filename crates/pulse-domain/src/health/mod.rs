//! Organisational health (H1–H4): the figures behind the 组织脉搏 dashboard
//! as plain functions — a share with its Wilson interval, the alignment
//! rule, the trust question's options, engagement per week, the sample draw
//! and (in [`suppress`]) which survey groups may be shown.

pub mod sample;
pub mod suppress;

use serde::Serialize;

use crate::Problem;

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A share `k / n` with its 95 % Wilson score interval, all in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub k: i64,
    pub n: i64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The Wilson interval: unlike `p ± z·√(p(1−p)/n)` it never leaves 0..1 and
/// stays honest for small samples and shares near 0 or 1 — with 50 people a
/// share of 79 % reads as 66 %–88 %, which is what HR must not over-read.
pub fn wilson(k: i64, n: i64) -> Option<Share> {
    if n <= 0 || k < 0 || k > n {
        return None;
    }
    let (kf, nf) = (k as f64, n as f64);
    let p = kf / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Some(Share {
        k,
        n,
        value: p,
        // At 0 or n the bound is exactly the edge (floating point lands a hair inside).
        low: if k == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        high: if k == n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    })
}

/// H1: a person is aligned when at least this many of their three tasks
/// truly support a company TOP goal (the HRBP agreed).
pub const ALIGNED_AT: usize = 2;

/// The three busiest tasks a sampled person lists.
pub const TASKS: usize = 3;

/// An HRBP's verdict on one claimed task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    Disagree,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Agree => "agree",
            Verdict::Disagree => "disagree",
        }
    }

    pub fn parse(raw: &str) -> Result<Verdict, Problem> {
        match raw.trim() {
            "agree" => Ok(Verdict::Agree),
            "disagree" => Ok(Verdict::Disagree),
            other => Err(Problem::new(
                "invalid_verdict",
                format!("核实结论应为“同意”或“不同意”，收到：{other}"),
                format!("a verdict is agree or disagree, got: {other}"),
            )),
        }
    }
}

/// One task as the rule reads it: did the person name a TOP goal, and what
/// did the HRBP say (None = not verified yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub names_goal: bool,
    pub verdict: Option<Verdict>,
}

/// Where a submitted person stands: `None` while a claimed task still waits
/// for its verification, else whether ≥ 2 tasks truly support a TOP goal.
pub fn aligned(claims: &[Claim]) -> Option<bool> {
    if claims.iter().any(|c| c.names_goal && c.verdict.is_none()) {
        return None;
    }
    let agreed = claims
        .iter()
        .filter(|c| c.names_goal && c.verdict == Some(Verdict::Agree))
        .count();
    Some(agreed >= ALIGNED_AT)
}

/// A task as typed: 2–60 characters after trimming.
pub fn task_text(raw: &str) -> Result<String, Problem> {
    let t = raw.trim();
    let n = t.chars().count();
    if !(2..=60).contains(&n) {
        return Err(Problem::new(
            "invalid_task",
            "每项工作请用 2–60 个字描述",
            "describe each task in 2–60 characters",
        ));
    }
    Ok(t.to_string())
}

/// H2: the five answers to the trust question, best first. The first two
/// (非常清楚 / 比较清楚) count as "clear".
pub const OPTIONS: [(&str, &str, &str); 5] = [
    ("very_clear", "非常清楚", "Very clear"),
    ("clear", "比较清楚", "Fairly clear"),
    ("unsure", "说不好", "Not sure"),
    ("unclear", "不太清楚", "Not very clear"),
    ("very_unclear", "完全不清楚", "Not clear at all"),
];

/// How many of [`OPTIONS`] (from the top) count as clear.
pub const CLEAR_OPTIONS: usize = 2;

pub const QUESTION: (&str, &str) = (
    "你最近一次收到的绩效反馈，是否让你清楚知道下一步该做什么？",
    "Did the last performance feedback you received make clear what to do next?",
);

/// An answer as a request gives it: its position 1–5, its code or its
/// Chinese or English text. Returns the position 1–5.
pub fn parse_answer(raw: &str) -> Result<i64, Problem> {
    let t = raw.trim();
    if let Ok(n) = t.parse::<i64>()
        && (1..=OPTIONS.len() as i64).contains(&n)
    {
        return Ok(n);
    }
    OPTIONS
        .iter()
        .position(|(code, zh, en)| t == *code || t == *zh || t.eq_ignore_ascii_case(en))
        .map(|i| i as i64 + 1)
        .ok_or_else(|| {
            Problem::new(
                "invalid_answer",
                "请选择五个选项之一（1–5）",
                "choose one of the five options (1–5)",
            )
        })
}

/// The minimum group size HR may set: never below 3 (two respondents can
/// each work out the other's answer), at most 50.
pub fn min_group(n: i64) -> Result<i64, Problem> {
    if !(3..=50).contains(&n) {
        return Err(Problem::new(
            "invalid_min_group",
            "最小展示人数应在 3 到 50 之间",
            "the minimum group size is 3 to 50",
        ));
    }
    Ok(n)
}

/// Counts per option (index 0 = option 1) → the clear share.
pub fn trust(counts: &[i64]) -> Option<Share> {
    let n: i64 = counts.iter().sum();
    let k: i64 = counts.iter().take(CLEAR_OPTIONS).sum();
    wilson(k, n)
}

/// H3: actions (own radar views + development clicks) per person per week
/// over `days` days.
pub fn per_week(actions: i64, people: i64, days: i64) -> Option<f64> {
    if people <= 0 || days <= 0 {
        return None;
    }
    Some(actions as f64 / people as f64 / (days as f64 / 7.0))
}

/// The median of whole numbers (e.g. seconds), None for none.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let m = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[m] as f64
    } else {
        (values[m - 1] + values[m]) as f64 / 2.0
    })
}

/// Rounds to `places` decimals for display and JSON.
pub fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wilson_of_fifty_is_wide() {
        let s = wilson(39, 50).unwrap();
        assert!((s.value - 0.78).abs() < 1e-9);
        assert!((s.low - 0.6476).abs() < 1e-3, "{}", s.low);
        assert!((s.high - 0.8724).abs() < 1e-3, "{}", s.high);
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
        assert_eq!(wilson(0, 10).unwrap().low, 0.0);
        assert_eq!(wilson(10, 10).unwrap().high, 1.0);
    }

    proptest! {
        #[test]
        fn the_interval_holds_the_share(n in 1i64..5_000, k in 0i64..5_000) {
            let k = k % (n + 1);
            let s = wilson(k, n).unwrap();
            prop_assert!(0.0 <= s.low && s.low <= s.value + 1e-12);
            prop_assert!(s.value <= s.high + 1e-12 && s.high <= 1.0);
        }
    }

    #[test]
    fn two_agreed_tasks_align_a_person() {
        let c = |g, v| Claim {
            names_goal: g,
            verdict: v,
        };
        let a = Some(Verdict::Agree);
        let d = Some(Verdict::Disagree);
        assert_eq!(
            aligned(&[c(true, a), c(true, a), c(false, None)]),
            Some(true)
        );
        assert_eq!(
            aligned(&[c(true, a), c(true, d), c(false, None)]),
            Some(false)
        );
        assert_eq!(aligned(&[c(true, a), c(true, None), c(true, a)]), None);
        assert_eq!(aligned(&[c(false, None); 3]), Some(false));
    }

    #[test]
    fn answers_by_position_code_or_text() {
        assert_eq!(parse_answer("1").unwrap(), 1);
        assert_eq!(parse_answer("比较清楚").unwrap(), 2);
        assert_eq!(parse_answer("very_unclear").unwrap(), 5);
        assert_eq!(parse_answer("Not sure").unwrap(), 3);
        assert!(parse_answer("6").is_err());
        assert!(parse_answer("0").is_err());
        assert!(parse_answer("maybe").is_err());
        assert_eq!(trust(&[3, 2, 1, 0, 4]).unwrap().k, 5);
    }

    #[test]
    fn the_floor_is_three() {
        assert!(min_group(2).is_err());
        assert_eq!(min_group(3).unwrap(), 3);
        assert!(min_group(51).is_err());
    }

    #[test]
    fn medians_and_rates() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(per_week(28, 10, 28), Some(0.7));
        assert_eq!(per_week(1, 0, 7), None);
        assert!(task_text(" 拜访 ").is_ok());
        assert!(task_text("a").is_err());
    }
}
