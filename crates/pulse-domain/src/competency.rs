//! Competency models and the capability radar (R1, R2): per job family, a
//! list of dimensions, each mapped to a metric Pulse measures and to a
//! normalisation that puts every axis on 0–100.

use serde::{Deserialize, Serialize};

use crate::Problem;

/// A metric a dimension can be mapped to. `FeedbackTag` reads the average
/// rating (1–5) of a tag on the person's own cards.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    FeedbackTag(String),
    VisitsPerWeek,
    /// 重点客户渗透: share of the A-class customers owned that had a visit or snapshot.
    KeyAccountPenetration,
    EvaluationScore,
    OnTimeDelivery,
    ResponseMinutes,
    PartsUsage,
    TicketsPerWeek,
    TicketResolvedRate,
    TicketMinutes,
    /// 客户情绪安抚成功率: of the tickets where the customer was upset, the
    /// share the agent calmed (ticket fields `emotional`, `soothed`).
    SoothingRate,
    /// The latest released review's rating (calibrated where it was).
    ReviewRating,
}

/// (code, zh, en, unit, higher is better) of the fixed metrics.
const FIXED: &[(&str, &str, &str, &str, bool)] = &[
    (
        "review_rating",
        "最近一次绩效评分",
        "latest review rating",
        "分",
        true,
    ),
    (
        "visits_per_week",
        "每周拜访次数",
        "visits per week",
        "次/周",
        true,
    ),
    (
        "key_account_penetration",
        "重点客户渗透率",
        "A-class customer penetration",
        "%",
        true,
    ),
    (
        "evaluation_score",
        "客户评价均分",
        "average customer evaluation",
        "分",
        true,
    ),
    (
        "on_time_delivery",
        "交付准时率",
        "on-time delivery",
        "%",
        true,
    ),
    (
        "response_minutes",
        "平均响应时长（时效）",
        "average response time",
        "分钟",
        false,
    ),
    (
        "parts_usage",
        "备件使用率",
        "spare-part usage rate",
        "%",
        true,
    ),
    (
        "tickets_per_week",
        "每周工单量",
        "tickets per week",
        "单/周",
        true,
    ),
    (
        "ticket_resolved_rate",
        "一次解决率",
        "first-contact resolution",
        "%",
        true,
    ),
    (
        "soothing_rate",
        "客户情绪安抚成功率",
        "customer soothing success rate",
        "%",
        true,
    ),
    (
        "ticket_minutes",
        "平均处理时长",
        "average handling time",
        "分钟",
        false,
    ),
];

const TAG_PREFIX: &str = "feedback_tag:";

impl Metric {
    pub fn parse(code: &str) -> Result<Metric, Problem> {
        let code = code.trim();
        if let Some(tag) = code.strip_prefix(TAG_PREFIX) {
            let tag = tag.trim();
            if tag.is_empty() {
                return Err(unknown(code));
            }
            return Ok(Metric::FeedbackTag(tag.to_string()));
        }
        Ok(match code {
            "visits_per_week" => Metric::VisitsPerWeek,
            "key_account_penetration" => Metric::KeyAccountPenetration,
            "evaluation_score" => Metric::EvaluationScore,
            "on_time_delivery" => Metric::OnTimeDelivery,
            "response_minutes" => Metric::ResponseMinutes,
            "parts_usage" => Metric::PartsUsage,
            "tickets_per_week" => Metric::TicketsPerWeek,
            "ticket_resolved_rate" => Metric::TicketResolvedRate,
            "ticket_minutes" => Metric::TicketMinutes,
            "soothing_rate" => Metric::SoothingRate,
            "review_rating" => Metric::ReviewRating,
            _ => return Err(unknown(code)),
        })
    }

    pub fn code(&self) -> String {
        match self {
            Metric::FeedbackTag(t) => format!("{TAG_PREFIX}{t}"),
            Metric::VisitsPerWeek => "visits_per_week".into(),
            Metric::KeyAccountPenetration => "key_account_penetration".into(),
            Metric::EvaluationScore => "evaluation_score".into(),
            Metric::OnTimeDelivery => "on_time_delivery".into(),
            Metric::ResponseMinutes => "response_minutes".into(),
            Metric::PartsUsage => "parts_usage".into(),
            Metric::TicketsPerWeek => "tickets_per_week".into(),
            Metric::TicketResolvedRate => "ticket_resolved_rate".into(),
            Metric::TicketMinutes => "ticket_minutes".into(),
            Metric::SoothingRate => "soothing_rate".into(),
            Metric::ReviewRating => "review_rating".into(),
        }
    }

    fn fixed(
        &self,
    ) -> Option<&'static (&'static str, &'static str, &'static str, &'static str, bool)> {
        let code = self.code();
        FIXED.iter().find(|f| f.0 == code)
    }

    /// What the raw number means, for the "numbers behind the axis".
    pub fn label(&self, zh: bool) -> String {
        match (self, self.fixed()) {
            (Metric::FeedbackTag(t), _) => {
                if zh {
                    format!("反馈卡“{t}”平均评分")
                } else {
                    format!("average card rating for \"{t}\"")
                }
            }
            (_, Some(f)) => (if zh { f.1 } else { f.2 }).to_string(),
            _ => self.code(),
        }
    }

    pub fn unit(&self) -> &'static str {
        match self {
            Metric::FeedbackTag(_) => "分",
            _ => self.fixed().map_or("", |f| f.3),
        }
    }

    /// The unit as an English reader writes it.
    pub fn unit_en(&self) -> &'static str {
        match self.unit() {
            "次/周" => "/ week",
            "分" => "pts",
            "分钟" => "min",
            "单/周" => "tickets / week",
            other => other,
        }
    }

    pub fn higher_is_better(&self) -> bool {
        self.fixed().is_none_or(|f| f.4)
    }

    /// The metric codes an HRBP can choose from (tags come from the library),
    /// with their Chinese and English labels.
    pub fn fixed_codes() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        FIXED.iter().map(|f| (f.0, f.1, f.2))
    }
}

fn unknown(code: &str) -> Problem {
    Problem::new(
        "unknown_metric",
        format!("未知的数据来源：{code}"),
        format!("unknown metric: {code}"),
    )
}

/// How a raw figure becomes 0–100 on the radar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Normalisation {
    /// Percentile rank within the peer group (same job family and level).
    Percentile,
    /// Share of a target: reaching the target is 100 (capped); for a
    /// lower-is-better metric, target ÷ value.
    Target { target: f64 },
}

impl Normalisation {
    pub fn parse(kind: &str, target: Option<f64>) -> Result<Normalisation, Problem> {
        match (kind.trim(), target) {
            ("percentile", _) => Ok(Normalisation::Percentile),
            ("target", Some(t)) if t.is_finite() && t > 0.0 => {
                Ok(Normalisation::Target { target: t })
            }
            ("target", _) => Err(Problem::new(
                "target_required",
                "按目标归一化需要一个大于 0 的目标值",
                "a target normalisation needs a target above 0",
            )),
            _ => Err(Problem::new(
                "unknown_normalisation",
                "归一化方式只能是 percentile（同级百分位）或 target（对标目标）",
                "normalisation is percentile or target",
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Normalisation::Percentile => "percentile",
            Normalisation::Target { .. } => "target",
        }
    }
}

/// Percentile rank of `value` among `peers` (which include it), 0–100,
/// mid-rank for ties: (below + ½·equal) ÷ n. A peer group of one, or all
/// equal, gives 50 — "like your peers". Reversed for lower-is-better.
pub fn percentile_rank(value: f64, peers: &[f64], higher_is_better: bool) -> f64 {
    if peers.is_empty() {
        return 50.0;
    }
    let (mut worse, mut equal) = (0usize, 0usize);
    for &p in peers {
        if (p - value).abs() < 1e-9 {
            equal += 1;
        } else if (p < value) == higher_is_better {
            worse += 1;
        }
    }
    let n = peers.len() as f64;
    (worse as f64 + equal as f64 / 2.0) / n * 100.0
}

/// `value` against `target`, 0–100.
pub fn against_target(value: f64, target: f64, higher_is_better: bool) -> f64 {
    if target <= 0.0 || value < 0.0 {
        return 0.0;
    }
    let share = if higher_is_better {
        value / target
    } else if value == 0.0 {
        1.0
    } else {
        target / value
    };
    (share * 100.0).clamp(0.0, 100.0)
}

/// The axis value of one person; `None` when the person has no data for it.
pub fn normalise(
    n: &Normalisation,
    value: Option<f64>,
    peers: &[f64],
    higher_is_better: bool,
) -> Option<f64> {
    let v = value?;
    Some(match n {
        Normalisation::Percentile => percentile_rank(v, peers, higher_is_better),
        Normalisation::Target { target } => against_target(v, *target, higher_is_better),
    })
}

/// The median of some numbers (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Checks a dimension an HRBP configures.
pub fn check_dimension(name: &str) -> Result<String, Problem> {
    let name = name.trim();
    crate::org::required_text(name, 20, "维度名称", "dimension name")?;
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_peer_group_of_one_sits_at_the_middle() {
        assert_eq!(percentile_rank(3.2, &[3.2], true), 50.0);
        assert_eq!(median(&[50.0]), Some(50.0));
    }

    #[test]
    fn ties_share_the_mid_rank() {
        let peers = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(percentile_rank(2.0, &peers, true), 50.0);
        assert_eq!(percentile_rank(3.0, &peers, true), 87.5);
        assert_eq!(percentile_rank(1.0, &peers, true), 12.5);
        // All equal: everyone in the middle.
        assert!(
            [4.0; 5]
                .iter()
                .all(|v| percentile_rank(*v, &[4.0; 5], true) == 50.0)
        );
    }

    #[test]
    fn lower_is_better_reverses_the_rank() {
        let minutes = [60.0, 90.0, 120.0];
        assert!(percentile_rank(60.0, &minutes, false) > percentile_rank(120.0, &minutes, false));
        assert!((percentile_rank(60.0, &minutes, false) - 250.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn targets_cap_at_100() {
        assert_eq!(against_target(0.45, 0.9, true), 50.0);
        assert_eq!(against_target(1.2, 0.9, true), 100.0);
        assert_eq!(against_target(120.0, 60.0, false), 50.0);
        assert_eq!(against_target(30.0, 60.0, false), 100.0);
    }

    #[test]
    fn metrics_round_trip_and_unknown_ones_are_refused() {
        for (code, _, _) in Metric::fixed_codes() {
            assert_eq!(Metric::parse(code).unwrap().code(), code);
        }
        assert_eq!(
            Metric::parse("feedback_tag:沟通质量").unwrap(),
            Metric::FeedbackTag("沟通质量".into())
        );
        assert_eq!(Metric::parse("salary").unwrap_err().code, "unknown_metric");
        assert_eq!(
            Metric::parse("feedback_tag: ").unwrap_err().code,
            "unknown_metric"
        );
        assert!(!Metric::ResponseMinutes.higher_is_better());
        assert!(Normalisation::parse("target", Some(0.0)).is_err());
        assert!(Normalisation::parse("zscore", None).is_err());
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    proptest! {
        #[test]
        fn ranks_stay_in_range_and_follow_the_order(values in proptest::collection::vec(0.0f64..100.0, 1..40)) {
            for &a in &values {
                let ra = percentile_rank(a, &values, true);
                prop_assert!((0.0..=100.0).contains(&ra));
                for &b in &values {
                    if a < b {
                        prop_assert!(ra < percentile_rank(b, &values, true));
                    }
                }
            }
        }
    }
}
