//! S3 / H2: which survey groups may be shown. A group (an org unit with
//! everything below it) under the minimum respondents is hidden; and so
//! that nobody can work a hidden group out by subtraction — the parent's
//! total minus the shown siblings — a parent never shows with exactly one
//! hidden part: the smallest shown sibling is hidden too. A unit's own
//! direct members are a part of it that is never shown on its own: worked
//! out by subtraction they must be at least the minimum.

use std::collections::{HashMap, HashSet};

/// One org unit in a survey's population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub parent: Option<i64>,
    /// Respondents placed directly in this unit (not below it).
    pub own: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Fewer respondents than the minimum.
    TooFew,
    /// Hidden so that a hidden sibling cannot be subtracted out.
    Sibling,
}

#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    pub totals: HashMap<i64, i64>,
    pub hidden: HashMap<i64, Why>,
}

impl Verdicts {
    pub fn is_hidden(&self, id: i64) -> bool {
        self.hidden.contains_key(&id)
    }

    pub fn why(&self, id: i64) -> Option<Why> {
        self.hidden.get(&id).copied()
    }
}

/// Decides every group at once, so each query about any unit answers from
/// the same set and two queries cannot be combined to undo one another.
pub fn decide(groups: &[Group], min: i64) -> Verdicts {
    let ids: HashSet<i64> = groups.iter().map(|g| g.id).collect();
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for g in groups {
        if let Some(p) = g.parent.filter(|p| ids.contains(p)) {
            children.entry(p).or_default().push(g.id);
        }
    }
    for c in children.values_mut() {
        c.sort_unstable();
    }
    let own: HashMap<i64, i64> = groups.iter().map(|g| (g.id, g.own)).collect();
    let mut totals = HashMap::new();
    for g in groups {
        total_of(g.id, &own, &children, &mut totals, 0);
    }
    let mut hidden: HashMap<i64, Why> = groups
        .iter()
        .filter(|g| totals[&g.id] < min)
        .map(|g| (g.id, Why::TooFew))
        .collect();
    let mut order: Vec<i64> = groups.iter().map(|g| g.id).collect();
    order.sort_unstable();
    loop {
        let mut changed = false;
        for &p in &order {
            let Some(kids) = children.get(&p) else {
                continue;
            };
            let parts: Vec<i64> = kids.iter().copied().filter(|k| totals[k] > 0).collect();
            // The unit's own members are never shown apart, so they are an
            // unknown part — one that may be worked out only if big enough.
            let own_unknown = own[&p] > 0;
            let unknown =
                parts.iter().filter(|k| hidden.contains_key(k)).count() + usize::from(own_unknown);
            let p_hidden = hidden.contains_key(&p);
            // A shown parent with one unknown part gives it away; a hidden
            // parent whose parts all show is their sum.
            let leaks = if p_hidden {
                unknown == 0
            } else {
                unknown == 1 && !(own_unknown && own[&p] >= min)
            };
            if !leaks || (p_hidden && parts.is_empty()) {
                continue;
            }
            let smallest = parts
                .iter()
                .copied()
                .filter(|k| !hidden.contains_key(k))
                .min_by_key(|k| (totals[k], *k));
            match smallest {
                Some(k) => {
                    hidden.insert(k, Why::Sibling);
                }
                // Nothing else to hide: the parent itself is that one part.
                None => {
                    hidden.insert(p, Why::Sibling);
                }
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    Verdicts { totals, hidden }
}

fn total_of(
    id: i64,
    own: &HashMap<i64, i64>,
    children: &HashMap<i64, Vec<i64>>,
    memo: &mut HashMap<i64, i64>,
    depth: usize,
) -> i64 {
    if let Some(t) = memo.get(&id) {
        return *t;
    }
    let mut t = own.get(&id).copied().unwrap_or(0);
    if depth < 64 {
        for c in children.get(&id).into_iter().flatten() {
            t += total_of(*c, own, children, memo, depth + 1);
        }
    }
    memo.insert(id, t);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(id: i64, parent: Option<i64>, own: i64) -> Group {
        Group { id, parent, own }
    }

    #[test]
    fn a_small_team_hides_and_so_does_its_smallest_sibling() {
        // Region 1 = teams 2 (12), 3 (3), 4 (8): 3 is too few, 4 goes with it.
        let v = decide(
            &[
                g(1, None, 0),
                g(2, Some(1), 12),
                g(3, Some(1), 3),
                g(4, Some(1), 8),
            ],
            5,
        );
        assert_eq!(v.why(3), Some(Why::TooFew));
        assert_eq!(v.why(4), Some(Why::Sibling));
        assert!(!v.is_hidden(1) && !v.is_hidden(2));
        assert_eq!(v.totals[&1], 23);
    }

    #[test]
    fn a_few_direct_members_count_as_a_hidden_part() {
        // The region's 2 own respondents would be region − teams.
        let v = decide(&[g(1, None, 2), g(2, Some(1), 9), g(3, Some(1), 7)], 5);
        assert_eq!(v.why(3), Some(Why::Sibling));
        assert!(!v.is_hidden(2));
    }

    #[test]
    fn own_members_keep_a_lone_small_team_unknown() {
        // Region 2 = its 20 own people (never shown apart) + team 3 (2):
        // team 3 cannot be subtracted out, so nothing else hides.
        let v = decide(&[g(1, None, 0), g(2, Some(1), 20), g(3, Some(2), 2)], 5);
        assert_eq!(v.why(3), Some(Why::TooFew));
        assert!(!v.is_hidden(2) && !v.is_hidden(1));
        // Without own people, region 2 would be exactly team 3.
        let v = decide(&[g(1, None, 9), g(2, Some(1), 0), g(3, Some(2), 2)], 5);
        assert!(v.is_hidden(3) && v.is_hidden(2));
    }

    #[test]
    fn everyone_at_or_over_the_minimum_shows() {
        let v = decide(&[g(1, None, 0), g(2, Some(1), 5), g(3, Some(1), 6)], 5);
        assert!(v.hidden.is_empty());
    }

    fn tree() -> impl Strategy<Value = Vec<Group>> {
        prop::collection::vec((0usize..1000, 0i64..14), 1..40).prop_map(|spec| {
            spec.iter()
                .enumerate()
                .map(|(i, (p, own))| Group {
                    id: i as i64 + 1,
                    parent: if i == 0 {
                        None
                    } else {
                        Some((p % i) as i64 + 1)
                    },
                    own: *own,
                })
                .collect()
        })
    }

    proptest! {
        /// Nothing hidden can be subtracted out: no shown unit has exactly
        /// one hidden part, no hidden unit is the sum of shown parts, and
        /// every group under the minimum is hidden.
        #[test]
        fn no_hidden_group_can_be_derived(groups in tree(), min in 3i64..8) {
            let v = decide(&groups, min);
            for gr in &groups {
                let t = v.totals[&gr.id];
                if t < min {
                    prop_assert!(v.is_hidden(gr.id));
                }
                let kids: Vec<&Group> = groups.iter().filter(|c| c.parent == Some(gr.id) && v.totals[&c.id] > 0).collect();
                if kids.is_empty() {
                    continue;
                }
                let own_unknown = gr.own > 0;
                let unknown = kids.iter().filter(|c| v.is_hidden(c.id)).count() + usize::from(own_unknown);
                if v.is_hidden(gr.id) {
                    prop_assert!(unknown != 0, "hidden {} is the sum of shown parts", gr.id);
                } else {
                    prop_assert!(unknown != 1 || (own_unknown && gr.own >= min), "shown {} gives its one hidden part away", gr.id);
                }
            }
        }
    }
}
