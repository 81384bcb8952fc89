//! Distribution guidance (C5): "20-70-10" or "10-20-40-20-10", top band
//! first. Shown with "+/− N to meet it", never enforced.

use serde::Serialize;

use crate::{Lang, Problem};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guidance {
    /// Percent per band, top band first; sums to 100.
    pub shares: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    pub label: String,
    pub share: u32,
    pub actual: usize,
    pub target: usize,
    /// target − actual: + means the band needs more people, − fewer.
    pub delta: i64,
}

impl Default for Guidance {
    fn default() -> Self {
        Guidance {
            shares: vec![20, 70, 10],
        }
    }
}

impl Guidance {
    pub fn parse(text: &str) -> Result<Guidance, Problem> {
        let bad = || {
            Problem::new(
                "invalid_guidance",
                "分布指引须为 3 段或 5 段百分比，合计 100（如 20-70-10 或 10-20-40-20-10）",
                "distribution guidance is 3 or 5 percentages summing to 100 (such as 20-70-10 or 10-20-40-20-10)",
            )
        };
        let shares = text
            .split(['-', '/', ' ', '，', ','])
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().trim_end_matches('%').parse::<u32>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        if !(shares.len() == 3 || shares.len() == 5) || shares.iter().sum::<u32>() != 100 {
            return Err(bad());
        }
        Ok(Guidance { shares })
    }

    pub fn text(&self) -> String {
        self.shares
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The band a rating (1–5) falls in, 0 = top. Three bands: 4 and above,
    /// 3–3.5, below 3. Five bands: one per whole rating (a half counts with
    /// the rating below it).
    pub fn band_of(&self, rating: f64) -> usize {
        if self.shares.len() == 3 {
            if rating >= 4.0 {
                0
            } else if rating >= 3.0 {
                1
            } else {
                2
            }
        } else {
            (5 - (rating.floor().clamp(1.0, 5.0) as usize)).min(4)
        }
    }

    fn band_label(&self, i: usize, lang: Lang) -> String {
        if self.shares.len() == 3 {
            match i {
                0 => lang.pick("优秀（4 分及以上）", "Top (4 and above)"),
                1 => lang.pick("达标（3–3.5 分）", "Middle (3–3.5)"),
                _ => lang.pick("待改进（3 分以下）", "Bottom (below 3)"),
            }
            .to_string()
        } else {
            let r = 5 - i;
            match lang {
                Lang::Zh => format!("{r} 分档"),
                Lang::En => format!("Rated {r}"),
            }
        }
    }

    /// Actual and target head counts per band for these ratings; targets are
    /// shares of n rounded by largest remainder, so they sum to n.
    pub fn bands(&self, ratings: &[f64], lang: Lang) -> Vec<Band> {
        let n = ratings.len();
        let mut actual = vec![0usize; self.shares.len()];
        for r in ratings {
            actual[self.band_of(*r)] += 1;
        }
        let targets = largest_remainder(&self.shares, n);
        self.shares
            .iter()
            .enumerate()
            .map(|(i, share)| Band {
                label: self.band_label(i, lang),
                share: *share,
                actual: actual[i],
                target: targets[i],
                delta: targets[i] as i64 - actual[i] as i64,
            })
            .collect()
    }
}

fn largest_remainder(shares: &[u32], n: usize) -> Vec<usize> {
    let exact: Vec<(usize, u64)> = shares
        .iter()
        .map(|s| {
            let x = u64::from(*s) * n as u64;
            ((x / 100) as usize, x % 100)
        })
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|(q, _)| *q).collect();
    let mut left = n - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn guidance_parses_three_or_five_bands() {
        assert_eq!(
            Guidance::parse("20-70-10").unwrap().shares,
            vec![20, 70, 10]
        );
        assert_eq!(
            Guidance::parse("10/20/40/20/10").unwrap().text(),
            "10-20-40-20-10"
        );
        for bad in ["", "50-50", "20-70-20", "a-b-c", "10-20-30-40"] {
            assert!(Guidance::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bands_say_how_many_to_move() {
        let g = Guidance::default();
        let ratings = [5.0, 4.5, 4.0, 4.0, 3.0, 3.5, 3.0, 2.0, 3.0, 3.0];
        let b = g.bands(&ratings, Lang::Zh);
        assert_eq!(
            b.iter()
                .map(|b| (b.actual, b.target, b.delta))
                .collect::<Vec<_>>(),
            vec![(4, 2, -2), (5, 7, 2), (1, 1, 0)]
        );
        let five = Guidance::parse("10-20-40-20-10").unwrap();
        assert_eq!(five.band_of(5.0), 0);
        assert_eq!(five.band_of(4.5), 1);
        assert_eq!(five.band_of(1.0), 4);
        assert_eq!(five.band_of(1.5), 4);
    }

    proptest! {
        #[test]
        fn targets_sum_to_the_head_count(n in 0usize..500, pick in 0usize..3) {
            let g = [Guidance::default(), Guidance::parse("10-20-40-20-10").unwrap(), Guidance::parse("33-34-33").unwrap()][pick].clone();
            let ratings: Vec<f64> = (0..n).map(|i| 1.0 + (i % 9) as f64 * 0.5).collect();
            let bands = g.bands(&ratings, Lang::En);
            prop_assert_eq!(bands.iter().map(|b| b.target).sum::<usize>(), n);
            prop_assert_eq!(bands.iter().map(|b| b.actual).sum::<usize>(), n);
            prop_assert_eq!(bands.iter().map(|b| b.delta).sum::<i64>(), 0);
        }
    }
}
