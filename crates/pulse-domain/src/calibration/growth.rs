//! C6: what a growth letter says about one person and where a unit falls
//! short as a whole. Both read the same "readings": a competency's value
//! from the radar (0–100 against the peer group) or from the texts'
//! trajectory (1–5, 3 is neutral tone). A reading is *short* below a fixed
//! line on its own scale, and *strong* above another; the lines are
//! constants, not tuned per person, so a letter and the gap map can be
//! explained with one sentence each.

use std::collections::BTreeMap;

/// Texts leaning negative on a competency (below the neutral 3 on 1–5).
pub const TEXTS_SHORT: f64 = 3.0;
/// Texts clearly positive.
pub const TEXTS_STRONG: f64 = 3.5;
/// Radar value below 25 of 100. Most radar axes are percentiles of the
/// peer group, so a quarter of the company is below this line by
/// construction: a unit is short on it only when clearly more of its
/// people are (see [`GAP_SHARE_PCT`]).
pub const RADAR_SHORT: f64 = 25.0;
/// Radar value from 60 of 100 and not below the peers' median.
pub const RADAR_STRONG: f64 = 60.0;
/// A unit's gap: at least this share of its people short on it (well above
/// the radar's built-in quarter) …
pub const GAP_SHARE_PCT: u32 = 40;
/// … and at least this many people (one person is a letter, not a gap).
pub const GAP_MIN_PEOPLE: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A radar dimension (0–100).
    Radar,
    /// The trajectory from review texts and feedback observations (1–5).
    Texts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub competency: String,
    pub basis: Basis,
    pub value: f64,
    /// The peers' median on the same scale (radar only).
    pub peer_median: Option<f64>,
    /// The radar metric's code, for the course catalogue.
    pub metric: String,
    /// A sentence behind a texts reading (the most telling one).
    pub evidence: Option<String>,
}

impl Reading {
    pub fn short(&self) -> bool {
        match self.basis {
            Basis::Radar => self.value < RADAR_SHORT,
            Basis::Texts => self.value < TEXTS_SHORT,
        }
    }

    pub fn strong(&self) -> bool {
        match self.basis {
            Basis::Radar => {
                self.value >= RADAR_STRONG && self.peer_median.is_none_or(|m| self.value >= m)
            }
            Basis::Texts => self.value >= TEXTS_STRONG,
        }
    }

    /// How far past its line (positive = stronger), on a 0–1 scale so
    /// radar and texts readings sort together.
    fn margin(&self) -> f64 {
        match self.basis {
            Basis::Radar => (self.value - 50.0) / 100.0,
            Basis::Texts => (self.value - 3.0) / 4.0,
        }
    }
}

/// The letter's two lists: at most `limit` each, strongest / weakest first.
/// A competency read both ways appears once, under its more telling basis.
pub fn assess(readings: &[Reading], limit: usize) -> (Vec<Reading>, Vec<Reading>) {
    let mut strengths: Vec<Reading> = readings.iter().filter(|r| r.strong()).cloned().collect();
    strengths.sort_by(|a, b| b.margin().total_cmp(&a.margin()));
    dedup_by_competency(&mut strengths);
    strengths.truncate(limit);
    let mut improve: Vec<Reading> = readings.iter().filter(|r| r.short()).cloned().collect();
    improve.sort_by(|a, b| a.margin().total_cmp(&b.margin()));
    dedup_by_competency(&mut improve);
    improve.truncate(limit);
    (strengths, improve)
}

fn dedup_by_competency(list: &mut Vec<Reading>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|r| seen.insert(r.competency.clone()));
}

/// The organisational capability gap map: per unit, how many people are
/// short on each competency.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GapMap {
    pub competencies: Vec<String>,
    pub units: Vec<GapUnit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GapUnit {
    pub unit: String,
    pub people: u32,
    /// One count per competency, in `competencies` order.
    pub short: Vec<u32>,
}

impl GapUnit {
    pub fn is_gap(&self, i: usize) -> bool {
        let n = self.short.get(i).copied().unwrap_or(0);
        n >= GAP_MIN_PEOPLE && n * 100 >= self.people * GAP_SHARE_PCT
    }

    pub fn share_pct(&self, i: usize) -> u32 {
        let n = self.short.get(i).copied().unwrap_or(0);
        (n * 100).checked_div(self.people).unwrap_or(0)
    }
}

impl GapMap {
    /// `people`: (unit, that person's readings). Competencies are listed in
    /// the order of how many units they are a gap for (then how many people
    /// are short), leaving out those nobody is short on; units by name.
    pub fn build(people: &[(String, Vec<Reading>)]) -> GapMap {
        let mut competencies: Vec<String> = Vec::new();
        for (_, rs) in people {
            for r in rs {
                if !competencies.contains(&r.competency) {
                    competencies.push(r.competency.clone());
                }
            }
        }
        let mut units: BTreeMap<&str, GapUnit> = BTreeMap::new();
        for (unit, rs) in people {
            let u = units.entry(unit.as_str()).or_insert_with(|| GapUnit {
                unit: unit.clone(),
                people: 0,
                short: vec![0; competencies.len()],
            });
            u.people += 1;
            // A person counts once per competency, however many bases say so.
            for (i, c) in competencies.iter().enumerate() {
                if rs.iter().any(|r| &r.competency == c && r.short()) {
                    u.short[i] += 1;
                }
            }
        }
        let map = GapMap {
            competencies,
            units: units.into_values().collect(),
        };
        // Columns: nobody short, no column; the widest gaps first, so a
        // phone's first screen shows what matters.
        let mut order: Vec<usize> = (0..map.competencies.len())
            .filter(|&i| map.units.iter().any(|u| u.short[i] > 0))
            .collect();
        let gaps = |i: usize| map.units.iter().filter(|u| u.is_gap(i)).count();
        let short = |i: usize| map.units.iter().map(|u| u.short[i]).sum::<u32>();
        order.sort_by_key(|&i| (std::cmp::Reverse(gaps(i)), std::cmp::Reverse(short(i))));
        GapMap {
            competencies: order.iter().map(|&i| map.competencies[i].clone()).collect(),
            units: map
                .units
                .iter()
                .map(|u| GapUnit {
                    unit: u.unit.clone(),
                    people: u.people,
                    short: order.iter().map(|&i| u.short[i]).collect(),
                })
                .collect(),
        }
    }

    /// The competencies that are a gap in at least one unit, most units first.
    pub fn headline(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .competencies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), self.units.iter().filter(|u| u.is_gap(i)).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        out.sort_by_key(|x| std::cmp::Reverse(x.1));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(c: &str, v: f64) -> Reading {
        Reading {
            competency: c.into(),
            basis: Basis::Texts,
            value: v,
            peer_median: None,
            metric: String::new(),
            evidence: None,
        }
    }

    fn radar(c: &str, v: f64, median: f64) -> Reading {
        Reading {
            competency: c.into(),
            basis: Basis::Radar,
            value: v,
            peer_median: Some(median),
            metric: "visits_per_week".into(),
            evidence: None,
        }
    }

    #[test]
    fn lines_are_on_each_scale() {
        assert!(texts("谈判", 2.9).short());
        assert!(!texts("谈判", 3.0).short());
        assert!(texts("谈判", 3.5).strong());
        assert!(radar("拜访", 24.9, 50.0).short());
        assert!(!radar("拜访", 25.0, 50.0).short());
        assert!(radar("拜访", 65.0, 60.0).strong());
        // Above 60 but below the peers is not a strength.
        assert!(!radar("拜访", 62.0, 70.0).strong());
    }

    #[test]
    fn assess_orders_and_dedups() {
        let rs = vec![
            texts("谈判", 2.0),
            radar("谈判", 10.0, 50.0),
            texts("方案", 4.5),
            radar("拜访", 90.0, 50.0),
            texts("洞察", 2.8),
        ];
        let (strong, weak) = assess(&rs, 3);
        assert_eq!(
            strong
                .iter()
                .map(|r| r.competency.as_str())
                .collect::<Vec<_>>(),
            ["拜访", "方案"]
        );
        // 谈判 once, from the radar (10/100 is further below than 2/5).
        assert_eq!(
            weak.iter()
                .map(|r| r.competency.as_str())
                .collect::<Vec<_>>(),
            ["谈判", "洞察"]
        );
        assert_eq!(weak[0].basis, Basis::Radar);
    }

    #[test]
    fn gap_needs_share_and_people() {
        let people = vec![
            ("华东一组".to_string(), vec![texts("谈判", 2.0)]),
            (
                "华东一组".to_string(),
                vec![texts("谈判", 2.5), radar("谈判", 20.0, 50.0)],
            ),
            ("华东一组".to_string(), vec![texts("谈判", 3.2)]),
            ("华南一组".to_string(), vec![texts("谈判", 2.0)]),
            ("华南一组".to_string(), vec![texts("谈判", 4.0)]),
            ("华南一组".to_string(), vec![texts("谈判", 4.0)]),
        ];
        let map = GapMap::build(&people);
        // 方案: nobody short, no column.
        assert_eq!(map.competencies, ["谈判"]);
        let east = &map.units[0];
        assert_eq!(
            (east.unit.as_str(), east.people, east.short[0]),
            ("华东一组", 3, 2)
        );
        assert!(east.is_gap(0));
        assert_eq!(east.share_pct(0), 66);
        assert_eq!(east.short.len(), 1);
        // One person of three is a letter's matter, not a unit's gap.
        assert!(!map.units[1].is_gap(0));
        assert_eq!(map.headline(), [("谈判".to_string(), 1)]);
    }

    #[test]
    fn the_widest_gap_comes_first() {
        let people = vec![
            (
                "A".to_string(),
                vec![texts("方案", 2.0), texts("谈判", 2.0)],
            ),
            (
                "A".to_string(),
                vec![texts("方案", 4.0), texts("谈判", 2.0)],
            ),
            (
                "B".to_string(),
                vec![texts("方案", 4.0), texts("谈判", 2.0)],
            ),
            (
                "B".to_string(),
                vec![texts("方案", 4.0), texts("谈判", 2.0)],
            ),
        ];
        let map = GapMap::build(&people);
        assert_eq!(map.competencies, ["谈判", "方案"]);
        assert_eq!(map.units[0].short, [2, 1]);
        assert_eq!(map.units[1].short, [2, 0]);
    }

    proptest! {
        /// However the readings fall, a unit's count never exceeds its people
        /// and the people add up to the population.
        #[test]
        fn counts_stay_within_people(values in proptest::collection::vec((0u8..3, 0.0f64..100.0, 1.0f64..5.0), 0..60)) {
            let people: Vec<(String, Vec<Reading>)> = values
                .iter()
                .map(|(u, r, t)| (format!("U{u}"), vec![radar("a", *r, 50.0), texts("b", *t), texts("a", *t)]))
                .collect();
            let map = GapMap::build(&people);
            let total: u32 = map.units.iter().map(|u| u.people).sum();
            prop_assert_eq!(total as usize, people.len());
            for u in &map.units {
                for n in &u.short {
                    prop_assert!(*n <= u.people);
                }
            }
        }
    }
}
