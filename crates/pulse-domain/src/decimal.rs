//! Exact decimal numbers for targets (G3, G6). Targets such as 0.35 or 110
//! are kept as decimal text and compared in integer arithmetic, so that
//! 0.35 → 0.385 is exactly a 10 % change, never 10.000000001 %.

use std::cmp::Ordering;
use std::fmt;

use crate::Problem;

/// `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy)]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

const MAX_SCALE: u32 = 12;

impl Dec {
    pub fn parse(s: &str) -> Result<Dec, Problem> {
        let bad = || {
            Problem::new(
                "invalid_number",
                format!("“{s}”不是有效的数字"),
                format!("'{s}' is not a valid number"),
            )
        };
        let t = s.trim().replace([',', '，'], "");
        let (neg, body) = match t.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, t.as_str()),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() as u32 > MAX_SCALE
            || int.len() > 20
        {
            return Err(bad());
        }
        let digits = format!("{int}{frac}");
        let m: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        Ok(Dec {
            mantissa: if neg { -m } else { m },
            scale: frac.len() as u32,
        }
        .normalized())
    }

    fn normalized(mut self) -> Dec {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    fn at_scale(&self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    pub fn to_f64(&self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }
}

impl PartialEq for Dec {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Dec {}
impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Dec {
    fn cmp(&self, other: &Self) -> Ordering {
        let s = self.scale.max(other.scale);
        self.at_scale(s).cmp(&other.at_scale(s))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        if self.scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// The largest change one adjustment request may make (G6): 10 %.
pub const MAX_CHANGE_PERCENT: i128 = 10;

/// Checks a requested target change: |new − old| / |old| ≤ 10 %, computed
/// exactly as |new − old| × 100 ≤ 10 × |old|. A zero target has no relative
/// size, so it cannot be adjusted by request (documented rule: an HRBP sets
/// it instead); an unchanged target is no request at all.
pub fn check_adjustment(old: &Dec, new: &Dec) -> Result<(), Problem> {
    if old == new {
        return Err(Problem::new(
            "unchanged_target",
            "新目标与当前目标相同",
            "the new target equals the current one",
        ));
    }
    if old.is_zero() {
        return Err(Problem::new(
            "zero_target",
            "当前目标为 0，无法按比例微调；请联系 HRBP 设定目标",
            "the current target is 0, so it cannot be adjusted by a percentage; ask your HRBP to set it",
        ));
    }
    let s = old.scale.max(new.scale);
    let diff = (new.at_scale(s) - old.at_scale(s)).abs();
    let base = old.at_scale(s).abs();
    if diff * 100 > MAX_CHANGE_PERCENT * base {
        return Err(Problem::new(
            "adjustment_too_large",
            format!(
                "调整幅度为 {}，超过单次申请上限 10%（{} → {}）",
                change_text(diff, base),
                old,
                new
            ),
            format!(
                "the change is {}, more than the 10% a request may make ({} → {})",
                change_text(diff, base),
                old,
                new
            ),
        ));
    }
    Ok(())
}

/// The relative change in percent with two decimals, rounded up so that
/// 10.001 % never displays as 10.00 %.
fn change_text(diff: i128, base: i128) -> String {
    let hundredths = (diff * 10_000 + base - 1) / base;
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn exactly_ten_percent_is_allowed_both_ways() {
        assert!(check_adjustment(&d("0.35"), &d("0.385")).is_ok());
        assert!(check_adjustment(&d("100"), &d("110")).is_ok());
        assert!(check_adjustment(&d("100"), &d("90")).is_ok());
        assert!(check_adjustment(&d("-50"), &d("-55")).is_ok());
        let e = check_adjustment(&d("100"), &d("110.01")).unwrap_err();
        assert_eq!(e.code, "adjustment_too_large");
        assert!(e.zh.contains("10.01%"), "{}", e.zh);
        let e = check_adjustment(&d("0.35"), &d("0.38501")).unwrap_err();
        assert!(
            e.zh.contains("10.01%"),
            "rounded up, never shown as 10.00%: {}",
            e.zh
        );
        assert_eq!(
            check_adjustment(&d("0"), &d("1")).unwrap_err().code,
            "zero_target"
        );
        assert_eq!(
            check_adjustment(&d("5"), &d("5.0")).unwrap_err().code,
            "unchanged_target"
        );
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(d("0.3850").to_string(), "0.385");
        assert_eq!(d("1,200").to_string(), "1200");
        assert_eq!(d("-0.05").to_string(), "-0.05");
        assert_eq!(d(".5").to_string(), "0.5");
        for bad in ["", "abc", "1.2.3", "1e5", "--1", "."] {
            assert!(Dec::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// The exact check agrees with a wide-integer reference for
        /// targets with up to 4 decimals.
        #[test]
        fn exact_check_matches_integer_reference(old in 1i64..10_000_000, new in 0i64..20_000_000) {
            let (o, n) = (Dec { mantissa: old.into(), scale: 4 }.normalized(), Dec { mantissa: new.into(), scale: 4 }.normalized());
            let ok = check_adjustment(&o, &n).is_ok();
            let expected = old != new && (i128::from(new) - i128::from(old)).abs() * 10 <= i128::from(old);
            prop_assert_eq!(ok, expected);
            prop_assert_eq!(Dec::parse(&o.to_string()).unwrap(), o);
        }
    }
}
