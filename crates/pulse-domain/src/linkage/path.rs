//! The development path (T1): from a person's competency scores over the
//! last periods, the dimension that is consistently weak against the peer
//! group, the standout strength, and how well each role profile fits, with
//! every dimension's share of the score shown. It advises; it decides nothing.

use serde::Serialize;

/// One competency dimension of a person over the last periods, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionHistory {
    pub name: String,
    /// The radar's 0–100 score per period (None = no data that period).
    pub scores: Vec<Option<f64>>,
    /// The percentile in the peer group per period.
    pub percentiles: Vec<Option<f64>>,
}

/// A role's required competency vector (0–100 per dimension).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleProfile {
    pub name: String,
    pub requirements: Vec<(String, f64)>,
}

/// Below this percentile a period counts as under the peer group's lower quartile.
pub const LOWER_QUARTILE: f64 = 25.0;
/// A strength stands out from this mean percentile.
pub const STANDOUT: f64 = 70.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weakness {
    pub dimension: String,
    /// Periods under the peer group's lower quartile, of the periods with data.
    pub below: usize,
    pub periods: usize,
    pub mean_percentile: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strength {
    pub dimension: String,
    pub mean_percentile: f64,
    pub mean_score: f64,
}

/// One dimension's part of a role's similarity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub dimension: String,
    pub required: f64,
    /// The person's mean score (None = no data: contributes nothing).
    pub score: Option<f64>,
    /// The dimension's weight in the role: its requirement's share, in %.
    pub weight: f64,
    /// Points of the similarity this dimension gives: weight × min(score ÷ required, 1).
    pub points: f64,
    /// How far the person is below the requirement (0 when met).
    pub gap: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleMatch {
    pub name: String,
    /// 0–100: the sum of the contributions' points.
    pub similarity: f64,
    pub contributions: Vec<Contribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Path {
    pub weak: Option<Weakness>,
    pub strength: Option<Strength>,
    /// Best fit first.
    pub roles: Vec<RoleMatch>,
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// How well a person's mean scores cover a role's requirements.
pub fn role_match(dims: &[DimensionHistory], role: &RoleProfile) -> RoleMatch {
    let total: f64 = role.requirements.iter().map(|(_, r)| r.max(0.0)).sum();
    let contributions: Vec<Contribution> = role
        .requirements
        .iter()
        .map(|(name, required)| {
            let score = dims
                .iter()
                .find(|d| &d.name == name)
                .and_then(|d| mean(d.scores.iter().flatten().copied()));
            let weight = if total > 0.0 {
                required.max(0.0) / total * 100.0
            } else {
                0.0
            };
            let cover = match score {
                Some(s) if *required > 0.0 => (s / required).clamp(0.0, 1.0),
                Some(_) => 1.0,
                None => 0.0,
            };
            Contribution {
                dimension: name.clone(),
                required: *required,
                score: score.map(round1),
                weight: round1(weight),
                points: weight * cover,
                gap: round1(score.map_or(*required, |s| (required - s).max(0.0))),
            }
        })
        .collect();
    let similarity = round1(contributions.iter().map(|c| c.points).sum());
    RoleMatch {
        name: role.name.clone(),
        similarity,
        contributions: contributions
            .into_iter()
            .map(|mut c| {
                c.points = round1(c.points);
                c
            })
            .collect(),
    }
}

/// The path for one person: weak dimension, strength, roles by fit.
pub fn development_path(dims: &[DimensionHistory], roles: &[RoleProfile]) -> Path {
    let mut weak: Option<Weakness> = None;
    let mut strength: Option<Strength> = None;
    for d in dims {
        let ps: Vec<f64> = d.percentiles.iter().flatten().copied().collect();
        let Some(mp) = mean(ps.iter().copied()) else {
            continue;
        };
        let below = ps.iter().filter(|p| **p < LOWER_QUARTILE).count();
        // "Consistently": under the lower quartile in most periods with data.
        if below * 2 > ps.len() {
            let better = weak
                .as_ref()
                .is_none_or(|w| below > w.below || (below == w.below && mp < w.mean_percentile));
            if better {
                weak = Some(Weakness {
                    dimension: d.name.clone(),
                    below,
                    periods: ps.len(),
                    mean_percentile: round1(mp),
                });
            }
        }
        if mp >= STANDOUT && strength.as_ref().is_none_or(|s| mp > s.mean_percentile) {
            strength = Some(Strength {
                dimension: d.name.clone(),
                mean_percentile: round1(mp),
                mean_score: round1(mean(d.scores.iter().flatten().copied()).unwrap_or(0.0)),
            });
        }
    }
    let mut roles: Vec<RoleMatch> = roles.iter().map(|r| role_match(dims, r)).collect();
    roles.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.name.cmp(&b.name))
    });
    Path {
        weak,
        strength,
        roles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dim(name: &str, scores: &[f64], percentiles: &[f64]) -> DimensionHistory {
        DimensionHistory {
            name: name.into(),
            scores: scores.iter().map(|s| Some(*s)).collect(),
            percentiles: percentiles.iter().map(|p| Some(*p)).collect(),
        }
    }

    fn rep() -> Vec<DimensionHistory> {
        vec![
            dim("医疗政策解读", &[18.0, 12.0, 30.0], &[18.0, 12.0, 30.0]),
            dim("客户关系韧性", &[92.0, 88.0, 95.0], &[92.0, 88.0, 95.0]),
            dim("沟通质量", &[60.0, 70.0, 65.0], &[60.0, 70.0, 65.0]),
        ]
    }

    #[test]
    fn the_rep_is_weak_in_policy_and_strong_in_resilience() {
        let roles = vec![
            RoleProfile {
                name: "KA客户健康顾问".into(),
                requirements: vec![
                    ("客户关系韧性".into(), 85.0),
                    ("沟通质量".into(), 70.0),
                    ("医疗政策解读".into(), 40.0),
                ],
            },
            RoleProfile {
                name: "区域销售经理".into(),
                requirements: vec![("医疗政策解读".into(), 80.0), ("沟通质量".into(), 80.0)],
            },
        ];
        let p = development_path(&rep(), &roles);
        let w = p.weak.unwrap();
        assert_eq!(
            (w.dimension.as_str(), w.below, w.periods),
            ("医疗政策解读", 2, 3)
        );
        assert_eq!(p.strength.unwrap().dimension, "客户关系韧性");
        assert_eq!(p.roles[0].name, "KA客户健康顾问");
        // 85/195 × 100 + 70/195 × 65/70 × 100 + 40/195 × 20/40 × 100
        let expect = 85.0 / 195.0 * 100.0 + 65.0 / 195.0 * 100.0 + 20.0 / 195.0 * 100.0;
        assert!((p.roles[0].similarity - round1(expect)).abs() < 0.051);
        let c = &p.roles[0].contributions[2];
        assert_eq!((c.score, c.gap), (Some(20.0), 20.0));
    }

    #[test]
    fn one_bad_quarter_is_not_a_weakness() {
        let d = vec![dim(
            "医疗政策解读",
            &[10.0, 60.0, 70.0],
            &[10.0, 60.0, 70.0],
        )];
        assert!(development_path(&d, &[]).weak.is_none());
    }

    proptest! {
        /// A role's similarity is the sum of its contributions, lies in
        /// 0–100, and is 100 when every requirement is met.
        #[test]
        fn similarity_adds_up(req in proptest::collection::vec(1u8..100, 1..6), sc in proptest::collection::vec(0u8..=100, 6)) {
            let dims: Vec<DimensionHistory> = (0..req.len()).map(|i| dim(&format!("d{i}"), &[f64::from(sc[i])], &[50.0])).collect();
            let role = RoleProfile { name: "r".into(), requirements: req.iter().enumerate().map(|(i, r)| (format!("d{i}"), f64::from(*r))).collect() };
            let m = role_match(&dims, &role);
            let sum: f64 = m.contributions.iter().map(|c| c.points).sum();
            prop_assert!((0.0..=100.0).contains(&m.similarity));
            prop_assert!((sum - m.similarity).abs() <= 0.05 * req.len() as f64 + 1e-9);
            let full = RoleMatch { ..role_match(&dims.iter().map(|d| DimensionHistory { scores: vec![Some(100.0)], ..d.clone() }).collect::<Vec<_>>(), &role) };
            prop_assert_eq!(full.similarity, 100.0);
        }
    }
}
