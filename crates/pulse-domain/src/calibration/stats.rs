//! The committee's spread on a case (C4).
//!
//! σ is the **population** standard deviation (divide by n): the committee's
//! scores are not a sample of some larger set of raters — they are every
//! score the case will get — and with three or four raters the sample
//! formula (n − 1) inflates σ by 22–41 %, flagging cases where the room
//! barely disagrees. With population σ, scores 2, 4, 5 give 1.25 and flag at
//! the default threshold of 1.2; 3, 4, 5 give 0.82 and do not.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub n: usize,
    pub mean: Option<f64>,
    pub sigma: Option<f64>,
}

impl Spread {
    /// Disagreement worth the room's time: at least two scores and σ above
    /// the threshold.
    pub fn flagged(&self, threshold: f64) -> bool {
        self.n >= 2 && self.sigma.is_some_and(|s| s > threshold + 1e-9)
    }
}

pub fn spread(scores: &[f64]) -> Spread {
    let n = scores.len();
    if n == 0 {
        return Spread {
            n,
            mean: None,
            sigma: None,
        };
    }
    let mean = scores.iter().sum::<f64>() / n as f64;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n as f64;
    Spread {
        n,
        mean: Some(mean),
        sigma: Some(var.sqrt()),
    }
}

/// Two decimals, as the screens show them and the API returns them.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_planted_case_flags_on_its_third_score() {
        let two = spread(&[4.0, 5.0]);
        assert!(!two.flagged(1.2));
        let three = spread(&[4.0, 5.0, 2.0]);
        assert_eq!(round2(three.sigma.unwrap()), 1.25);
        assert_eq!(round2(three.mean.unwrap()), 3.67);
        assert!(three.flagged(1.2));
        assert!(!spread(&[3.0, 4.0, 5.0]).flagged(1.2));
        assert!(!spread(&[1.0]).flagged(0.0));
        assert_eq!(spread(&[]).mean, None);
    }

    proptest! {
        #[test]
        fn sigma_is_bounded_and_shift_invariant(v in proptest::collection::vec(1u8..=9, 1..12), k in 0u8..4) {
            let s: Vec<f64> = v.iter().map(|x| 1.0 + f64::from(*x - 1) * 0.5).collect();
            let sp = spread(&s);
            let sigma = sp.sigma.unwrap();
            // On a 1–5 scale σ can never exceed half the range.
            prop_assert!((0.0..=2.0 + 1e-9).contains(&sigma));
            let shifted: Vec<f64> = s.iter().map(|x| x + f64::from(k)).collect();
            prop_assert!((spread(&shifted).sigma.unwrap() - sigma).abs() < 1e-9);
            let mean = sp.mean.unwrap();
            prop_assert!(s.iter().cloned().fold(f64::MAX, f64::min) <= mean + 1e-9);
            prop_assert!(s.iter().cloned().fold(f64::MIN, f64::max) >= mean - 1e-9);
            // All equal ⇔ σ = 0.
            prop_assert_eq!(sigma < 1e-12, s.iter().all(|x| *x == s[0]));
        }
    }
}
