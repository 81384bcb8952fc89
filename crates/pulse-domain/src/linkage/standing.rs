//! A person's standing among the peers of their group for one metric.

use super::Standing;

/// Ranks `values` (person, value) of one peer group: rank 1 is the best,
/// ties share the better rank (competition ranking, so two people on 98 %
/// are both 1st and the next is 3rd), and the percentile is the share of
/// the others behind, ties counted half, 0–100 — so when everyone has the
/// same value everyone stands at 50, neither top nor bottom. Values that
/// are not finite are left out.
pub fn standings(values: &[(i64, f64)], higher_is_better: bool) -> Vec<(i64, Standing)> {
    let mut v: Vec<(i64, f64)> = values
        .iter()
        .copied()
        .filter(|(_, x)| x.is_finite())
        .collect();
    // Best first.
    v.sort_by(|a, b| {
        let o = a.1.total_cmp(&b.1);
        if higher_is_better { o.reverse() } else { o }
    });
    let n = v.len();
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && v[j].1 == v[i].1 {
            j += 1;
        }
        let behind = (n - j) as f64 + (j - i - 1) as f64 / 2.0;
        let percentile = if n > 1 {
            (behind * 100.0 / (n - 1) as f64 * 10.0).round() / 10.0
        } else {
            100.0
        };
        for &(person, value) in &v[i..j] {
            out.push((
                person,
                Standing {
                    value,
                    rank: (i + 1) as u32,
                    peers: n as u32,
                    percentile,
                },
            ));
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_share_the_better_rank() {
        let s = standings(&[(1, 90.0), (2, 98.0), (3, 98.0), (4, 50.0)], true);
        let r: Vec<(i64, u32)> = s.iter().map(|(p, s)| (*p, s.rank)).collect();
        assert_eq!(r, vec![(2, 1), (3, 1), (1, 3), (4, 4)]);
        assert_eq!(s[0].1.percentile, 83.3);
        assert_eq!(s[2].1.percentile, 33.3);
        let same = standings(&[(1, 7.0), (2, 7.0), (3, 7.0)], true);
        assert!(
            same.iter()
                .all(|(_, s)| s.rank == 1 && s.percentile == 50.0)
        );
        assert_eq!(s[3].1.percentile, 0.0);
        let low = standings(&[(1, 12.0), (2, 30.0)], false);
        assert_eq!(
            low[0],
            (
                1,
                Standing {
                    value: 12.0,
                    rank: 1,
                    peers: 2,
                    percentile: 100.0
                }
            )
        );
        assert!(standings(&[(1, f64::NAN)], true).is_empty());
    }

    proptest! {
        /// Every finite value is ranked once, ranks lie in 1..=peers, and a
        /// better value never has a worse rank or a lower percentile.
        #[test]
        fn ranks_follow_the_values(xs in proptest::collection::vec(-1000i32..1000, 1..60), up in any::<bool>()) {
            let values: Vec<(i64, f64)> = xs.iter().enumerate().map(|(i, x)| (i as i64, f64::from(*x) / 10.0)).collect();
            let s = standings(&values, up);
            prop_assert_eq!(s.len(), values.len());
            for (_, a) in &s {
                prop_assert!(a.rank >= 1 && a.rank <= a.peers);
                prop_assert!((0.0..=100.0).contains(&a.percentile));
                for (_, b) in &s {
                    let better = if up { a.value > b.value } else { a.value < b.value };
                    if better {
                        prop_assert!(a.rank < b.rank && a.percentile > b.percentile);
                    }
                }
            }
            prop_assert!(s.iter().any(|(_, a)| a.rank == 1));
        }
    }
}
