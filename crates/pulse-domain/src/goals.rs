//! Goal maths (G2, G4, G7) as plain functions: kinds, progress toward a
//! target, a person's weighted score, roll-ups through the tree, the tree in
//! drawing order, and effective weights under rule overrides. The store reads
//! and writes rows; every number a board shows is computed here.

use std::collections::HashSet;

use crate::decimal::Dec;
use crate::weights;

/// The level of a goal in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoalKind {
    /// A company TOP goal (G1).
    Company,
    /// A unit's objective under a TOP goal.
    Objective,
    /// A unit's or a person's key result.
    KeyResult,
    /// A person's KPI.
    Kpi,
}

impl GoalKind {
    pub const ALL: [GoalKind; 4] = [
        GoalKind::Company,
        GoalKind::Objective,
        GoalKind::KeyResult,
        GoalKind::Kpi,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GoalKind::Company => "company",
            GoalKind::Objective => "objective",
            GoalKind::KeyResult => "key_result",
            GoalKind::Kpi => "kpi",
        }
    }

    pub fn parse(s: &str) -> Option<GoalKind> {
        GoalKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Kinds that carry a person's weight (their weights sum to 100 %).
    pub fn is_weighted(self) -> bool {
        matches!(self, GoalKind::KeyResult | GoalKind::Kpi)
    }

    /// Unit goals: the strategy tree above people's KPIs.
    pub fn is_unit_goal(self) -> bool {
        matches!(
            self,
            GoalKind::Company | GoalKind::Objective | GoalKind::KeyResult
        )
    }

    /// Where a unit goal may hang (G2): objectives under a company goal or
    /// another objective, key results under an objective or a company goal.
    pub fn may_hang_under(self, parent: GoalKind) -> bool {
        match self {
            GoalKind::Objective => matches!(parent, GoalKind::Company | GoalKind::Objective),
            GoalKind::KeyResult => matches!(parent, GoalKind::Objective | GoalKind::Company),
            GoalKind::Company | GoalKind::Kpi => false,
        }
    }
}

/// True for a kind string that carries weight (unknown kinds carry none).
pub fn is_weighted(kind: &str) -> bool {
    GoalKind::parse(kind).is_some_and(GoalKind::is_weighted)
}

/// Progress in basis points, capped at 150 %: actual ÷ target when higher
/// is better, target ÷ actual when lower is better. A zero target is met by
/// any non-negative actual; a lower-is-better actual of zero or less is the
/// cap.
pub fn progress_bp(actual: &Dec, target: &Dec, lower_is_better: bool) -> i64 {
    let (a, t) = (actual.to_f64(), target.to_f64());
    let ratio = if lower_is_better {
        if a <= 0.0 { 1.5 } else { t / a }
    } else if t == 0.0 {
        if a >= 0.0 { 1.0 } else { 0.0 }
    } else {
        a / t
    };
    (ratio.clamp(0.0, 1.5) * 10_000.0).round() as i64
}

/// A person's weighted score: Σ weight × progress over weighted goals
/// `(weight_bp, progress_bp)`, in basis points (exact integer arithmetic).
pub fn weighted_score_bp(goals: impl IntoIterator<Item = (i64, i64)>) -> i64 {
    let sum: i128 = goals
        .into_iter()
        .map(|(w, p)| i128::from(w) * i128::from(p))
        .sum();
    (sum / 10_000) as i64
}

/// One goal as the roll-up sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupNode {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub progress_bp: i64,
    pub weight_bp: i64,
}

/// Progress of `root` rolled up from its children (G7): the mean of the
/// children's own roll-ups weighted by their weight (equally when none
/// carries weight); a goal without children reports its own progress.
/// Depth is bounded, so a cycle in bad data cannot loop.
pub fn rollup(nodes: &[RollupNode], root: i64) -> i64 {
    fn of(id: i64, nodes: &[RollupNode], depth: usize) -> i64 {
        let own = nodes
            .iter()
            .find(|n| n.id == id)
            .map_or(0, |n| n.progress_bp);
        let children: Vec<&RollupNode> = nodes
            .iter()
            .filter(|n| n.parent_id == Some(id) && n.id != id)
            .collect();
        if children.is_empty() || depth > 10 {
            return own;
        }
        let weighted = children.iter().any(|c| c.weight_bp > 0);
        let (mut sum, mut total) = (0i128, 0i128);
        for c in children {
            let w = if weighted { i128::from(c.weight_bp) } else { 1 };
            sum += w * i128::from(of(c.id, nodes, depth + 1));
            total += w;
        }
        if total == 0 {
            own
        } else {
            (sum / total) as i64
        }
    }
    of(root, nodes, 0)
}

/// Something with an id and maybe a parent: a node of a tree to draw.
pub trait TreeItem: Clone {
    fn id(&self) -> i64;
    fn parent_id(&self) -> Option<i64>;
}

/// Orders a tree depth-first under its roots, each node with its depth; a
/// node whose parent is not in the list is a root, so nothing is lost when a
/// parent lives in another period, and each node appears once.
pub fn flatten_tree<T: TreeItem>(nodes: Vec<T>) -> Vec<(usize, T)> {
    let ids: HashSet<i64> = nodes.iter().map(T::id).collect();
    let mut out = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, T)> = nodes
        .iter()
        .filter(|n| n.parent_id().is_none_or(|p| !ids.contains(&p)))
        .rev()
        .map(|n| (0, n.clone()))
        .collect();
    let mut seen = HashSet::new();
    while let Some((depth, node)) = stack.pop() {
        if !seen.insert(node.id()) {
            continue;
        }
        for child in nodes
            .iter()
            .rev()
            .filter(|c| c.parent_id() == Some(node.id()))
        {
            stack.push((depth + 1, child.clone()));
        }
        out.push((depth, node));
    }
    out
}

/// Effective weights: `base` (one per goal, same order as `metrics`, the
/// goal's KPI definition) with each override `(metric_id, weight_bp)` applied
/// in the given order (highest priority first); the others rescale so the
/// sum stays what it was.
pub fn effective_weights(
    metrics: &[Option<i64>],
    base: &[i64],
    overrides: &[(i64, i64)],
) -> Vec<i64> {
    let idx: Vec<(usize, i64)> = overrides
        .iter()
        .filter_map(|(metric, w)| {
            metrics
                .iter()
                .position(|m| *m == Some(*metric))
                .map(|i| (i, *w))
        })
        .collect();
    weights::apply_overrides(base, &idx)
}

/// A period's name for a reader. Periods coded like `2026Q4` or `2026` read
/// "Q4 2026" / "2026" in English whatever name HR gave them in Chinese; any
/// other period keeps its name as typed.
pub fn period_label(code: &str, name: &str, lang: crate::Lang) -> String {
    if lang == crate::Lang::Zh {
        return name.to_string();
    }
    let code = code.trim();
    let year = code
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
    let rest = code.get(4..).map(|r| r.trim_start_matches('-'));
    match (year, rest) {
        (Some(y), Some("")) => y.to_string(),
        (Some(y), Some(q @ ("Q1" | "Q2" | "Q3" | "Q4" | "H1" | "H2"))) => format!("{q} {y}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn period_labels_follow_the_reader() {
        use super::period_label;
        use crate::Lang;
        assert_eq!(
            period_label("2026Q4", "2026年第四季度", Lang::En),
            "Q4 2026"
        );
        assert_eq!(period_label("2026-H1", "2026年上半年", Lang::En), "H1 2026");
        assert_eq!(period_label("2026", "2026年度", Lang::En), "2026");
        assert_eq!(
            period_label("2026Q4", "2026年第四季度", Lang::Zh),
            "2026年第四季度"
        );
        assert_eq!(
            period_label("FY26-spring", "Spring push", Lang::En),
            "Spring push"
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn progress_reads_direction_and_caps() {
        assert_eq!(progress_bp(&dec("21.3"), &dec("35"), false), 6086);
        assert_eq!(progress_bp(&dec("100"), &dec("50"), false), 15_000);
        assert_eq!(progress_bp(&dec("40"), &dec("30"), true), 7500);
        assert_eq!(progress_bp(&dec("0"), &dec("30"), true), 15_000);
        assert_eq!(progress_bp(&dec("5"), &dec("0"), false), 10_000);
    }

    #[test]
    fn kinds_round_trip_and_only_kpis_and_key_results_carry_weight() {
        for k in GoalKind::ALL {
            assert_eq!(GoalKind::parse(k.as_str()), Some(k));
        }
        assert!(is_weighted("kpi") && is_weighted("key_result"));
        assert!(!is_weighted("company") && !is_weighted("objective") && !is_weighted("x"));
        use GoalKind::*;
        assert!(Objective.may_hang_under(Company) && KeyResult.may_hang_under(Objective));
        assert!(!Company.may_hang_under(Company) && !KeyResult.may_hang_under(Kpi));
    }

    #[test]
    fn rollup_weights_children_and_falls_back_to_equal_shares() {
        let n = |id, parent, progress_bp, weight_bp| RollupNode {
            id,
            parent_id: parent,
            progress_bp,
            weight_bp,
        };
        let tree = [
            n(1, None, 0, 0),
            n(2, Some(1), 10_000, 7_500),
            n(3, Some(1), 2_000, 2_500),
        ];
        assert_eq!(rollup(&tree, 1), 8_000);
        let equal = [
            n(1, None, 0, 0),
            n(2, Some(1), 10_000, 0),
            n(3, Some(1), 0, 0),
        ];
        assert_eq!(rollup(&equal, 1), 5_000);
        assert_eq!(rollup(&tree, 3), 2_000, "a leaf reports its own progress");
    }

    #[derive(Clone, Debug)]
    struct Node(i64, Option<i64>);
    impl TreeItem for Node {
        fn id(&self) -> i64 {
            self.0
        }
        fn parent_id(&self) -> Option<i64> {
            self.1
        }
    }

    proptest! {
        #[test]
        fn progress_stays_between_zero_and_the_cap(a in -1e6f64..1e6, t in -1e6f64..1e6, lower: bool) {
            let p = progress_bp(&dec(&format!("{a:.2}")), &dec(&format!("{t:.2}")), lower);
            prop_assert!((0..=15_000).contains(&p));
        }

        #[test]
        fn the_score_of_weights_summing_to_100_percent_lies_within_the_progress_range(
            parts in prop::collection::vec((1i64..100, 0i64..=15_000), 1..8)
        ) {
            let raw: Vec<i64> = parts.iter().map(|p| p.0).collect();
            let weights = weights::largest_remainder(10_000, &raw);
            let goals: Vec<(i64, i64)> = weights.iter().zip(&parts).map(|(w, p)| (*w, p.1)).collect();
            let score = weighted_score_bp(goals.iter().copied());
            let lo = parts.iter().map(|p| p.1).min().unwrap_or(0);
            let hi = parts.iter().map(|p| p.1).max().unwrap_or(0);
            prop_assert!(score >= lo - 1 && score <= hi, "{score} not in {lo}..={hi}");
        }

        #[test]
        fn a_rollup_lies_between_its_childrens_progress(
            kids in prop::collection::vec((0i64..=15_000, 0i64..10_000), 1..8)
        ) {
            let mut nodes = vec![RollupNode { id: 0, parent_id: None, progress_bp: 0, weight_bp: 0 }];
            for (i, (p, w)) in kids.iter().enumerate() {
                nodes.push(RollupNode { id: i as i64 + 1, parent_id: Some(0), progress_bp: *p, weight_bp: *w });
            }
            let r = rollup(&nodes, 0);
            let lo = kids.iter().map(|k| k.0).min().unwrap_or(0);
            let hi = kids.iter().map(|k| k.0).max().unwrap_or(0);
            prop_assert!(r >= lo - 1 && r <= hi);
        }

        #[test]
        fn flattening_keeps_every_node_once_and_children_below_parents(
            parents in prop::collection::vec(prop::option::of(0i64..30), 0..30)
        ) {
            let nodes: Vec<Node> = parents.iter().enumerate().map(|(i, p)| Node(i as i64, *p)).collect();
            let flat = flatten_tree(nodes.clone());
            let mut ids: Vec<i64> = flat.iter().map(|(_, n)| n.0).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), flat.len(), "no node twice");
            // Every node not caught in a cycle is drawn, under its parent.
            for (pos, (depth, n)) in flat.iter().enumerate() {
                if *depth > 0 {
                    let parent = flat[..pos].iter().rev().find(|(d, _)| *d == depth - 1);
                    prop_assert_eq!(parent.map(|p| p.1.0), n.1);
                }
            }
        }

        #[test]
        fn effective_weights_keep_the_sum(
            base_raw in prop::collection::vec(1i64..100, 1..6),
            over in prop::collection::vec((0i64..6, 0i64..=10_000), 0..3)
        ) {
            let base = weights::largest_remainder(10_000, &base_raw);
            let metrics: Vec<Option<i64>> = (0..base.len() as i64).map(Some).collect();
            let eff = effective_weights(&metrics, &base, &over);
            prop_assert_eq!(eff.iter().sum::<i64>(), 10_000);
        }
    }
}
