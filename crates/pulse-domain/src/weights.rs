//! Exact goal weights (G4, G5). Weights are integer basis points and a
//! person's weights for a period sum to exactly [`FULL`] (100 %). When a rule
//! or an edit fixes some weights, the others rescale in proportion to their
//! base weights with largest-remainder rounding, so nothing is lost to
//! rounding and the sum stays exact.

use crate::Problem;

/// 100 % in basis points.
pub const FULL: i64 = 10_000;

/// Checks a complete weight set: each 0..=10000, summing to exactly 10000.
pub fn check_sum(weights: &[i64]) -> Result<(), Problem> {
    if let Some(w) = weights.iter().find(|w| !(0..=FULL).contains(*w)) {
        return Err(Problem::new(
            "invalid_weight",
            format!("权重 {} 不在 0%–100% 之间", percent(*w)),
            format!("weight {} is not between 0% and 100%", percent(*w)),
        ));
    }
    let sum: i64 = weights.iter().sum();
    if sum != FULL && !weights.is_empty() {
        return Err(Problem::new(
            "weights_not_100",
            format!("权重合计为 {}，必须正好是 100%", percent(sum)),
            format!(
                "weights add up to {}, they must be exactly 100%",
                percent(sum)
            ),
        ));
    }
    Ok(())
}

/// `2500` → `25%`, `3333` → `33.33%`.
pub fn percent(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, (bp % 100).abs())
    }
}

/// Parses a percent figure with up to two decimals (`25`, `25%`, `33.33％`),
/// the way people write weights in Excel, into basis points.
pub fn parse_percent(s: &str) -> Result<i64, Problem> {
    let bad = || {
        Problem::new(
            "invalid_weight",
            format!("“{s}”不是有效的权重，请写成 25% 或 33.33%"),
            format!("'{s}' is not a valid weight; write it as 25% or 33.33%"),
        )
    };
    let t = s.trim().trim_end_matches(['%', '％']).trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || frac.len() > 2 || !int.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = int.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let bp = whole
        .checked_mul(100)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(bad)?;
    if bp > FULL {
        return Err(bad());
    }
    Ok(bp)
}

/// Distributes `total` over items in proportion to `shares` with the
/// largest-remainder method: floors first, then one unit each to the largest
/// remainders (earlier items win ties). All-zero shares split evenly.
pub fn largest_remainder(total: i64, shares: &[i64]) -> Vec<i64> {
    if shares.is_empty() {
        return Vec::new();
    }
    let sum: i128 = shares.iter().map(|s| i128::from((*s).max(0))).sum();
    let (shares, sum): (Vec<i128>, i128) = if sum == 0 {
        (vec![1; shares.len()], shares.len() as i128)
    } else {
        (
            shares.iter().map(|s| i128::from((*s).max(0))).collect(),
            sum,
        )
    };
    let total = i128::from(total);
    let mut out: Vec<i64> = shares.iter().map(|s| (total * s / sum) as i64).collect();
    let mut rest: Vec<(usize, i128)> = shares
        .iter()
        .enumerate()
        .map(|(i, s)| (i, total * s % sum))
        .collect();
    rest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let given: i64 = out.iter().sum();
    for (i, _) in rest.iter().take((total as i64 - given) as usize) {
        out[*i] += 1;
    }
    out
}

/// The effective weights of a person's goals: `base` (summing to 10000)
/// with `overrides` (index → weight) fixed in the given order (first wins
/// when they ask for more than is left), the rest rescaled in proportion to
/// their base weights. With nothing left to rescale, the remainder goes to
/// the first override, so the sum is exact in every case.
pub fn apply_overrides(base: &[i64], overrides: &[(usize, i64)]) -> Vec<i64> {
    let mut fixed: Vec<Option<i64>> = vec![None; base.len()];
    let mut budget = FULL;
    for &(i, w) in overrides {
        if i < base.len() && fixed[i].is_none() {
            let w = w.clamp(0, budget);
            fixed[i] = Some(w);
            budget -= w;
        }
    }
    let free: Vec<usize> = (0..base.len()).filter(|i| fixed[*i].is_none()).collect();
    let mut out: Vec<i64> = fixed.iter().map(|f| f.unwrap_or(0)).collect();
    if free.is_empty() {
        if let Some(&(first, _)) = overrides.iter().find(|(i, _)| *i < base.len()) {
            out[first] += budget;
        }
        return out;
    }
    let shares: Vec<i64> = free.iter().map(|i| base[*i]).collect();
    for (i, w) in free.iter().zip(largest_remainder(budget, &shares)) {
        out[*i] = w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seed_rule_moves_25_to_35_and_rescales_the_rest() {
        // 新客户首单转化率 25 %, 重点客户渗透率 30 %, 销售额达成 30 %, 回款 15 %.
        let base = [2500, 3000, 3000, 1500];
        let out = apply_overrides(&base, &[(0, 3500)]);
        assert_eq!(out[0], 3500);
        assert_eq!(out.iter().sum::<i64>(), FULL);
        // 6500 over 3000:3000:1500 = 2600, 2600, 1300 exactly.
        assert_eq!(out, vec![3500, 2600, 2600, 1300]);
        assert_eq!(apply_overrides(&base, &[]), base.to_vec());
    }

    #[test]
    fn rounding_keeps_the_sum_exact() {
        assert_eq!(
            largest_remainder(10_000, &[1, 1, 1]),
            vec![3334, 3333, 3333]
        );
        assert_eq!(largest_remainder(7, &[0, 0]), vec![4, 3]);
        let out = apply_overrides(&[3333, 3333, 3334], &[(2, 5000)]);
        assert_eq!(out, vec![2500, 2500, 5000]);
        assert_eq!(apply_overrides(&[10_000], &[(0, 3500)]), vec![10_000]);
        assert_eq!(
            apply_overrides(&[5000, 5000], &[(0, 8000), (1, 8000)]),
            vec![8000, 2000]
        );
    }

    #[test]
    fn percent_text_round_trips_and_bad_text_is_refused() {
        assert_eq!(parse_percent("25%").unwrap(), 2500);
        assert_eq!(parse_percent("33.33％").unwrap(), 3333);
        assert_eq!(parse_percent(" 7.5 ").unwrap(), 750);
        assert_eq!(percent(3333), "33.33%");
        assert_eq!(percent(750), "7.50%");
        for bad in ["", "abc", "25.555%", "101%", "-5%", "1e2"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
        assert!(check_sum(&[2500, 2500, 5000]).is_ok());
        let e = check_sum(&[2500, 2500, 4999]).unwrap_err();
        assert!(e.zh.contains("99.99%"), "{}", e.zh);
    }

    proptest! {
        /// Any base set and any overrides: the result sums to exactly 100 %,
        /// honoured overrides are exact, and free weights keep their order.
        #[test]
        fn overrides_always_sum_to_full(raw in proptest::collection::vec(0i64..5000, 1..12),
                                         ov in proptest::collection::vec((0usize..12, 0i64..=10_000), 0..4)) {
            let base = largest_remainder(FULL, &raw);
            prop_assert_eq!(base.iter().sum::<i64>(), FULL);
            let out = apply_overrides(&base, &ov);
            prop_assert_eq!(out.iter().sum::<i64>(), FULL);
            prop_assert!(out.iter().all(|w| (0..=FULL).contains(w)));
            let fixed: Vec<usize> = ov.iter().map(|o| o.0).filter(|i| *i < base.len()).collect();
            for i in 0..base.len() {
                for j in 0..base.len() {
                    if !fixed.contains(&i) && !fixed.contains(&j) && base[i] > base[j] {
                        prop_assert!(out[i] >= out[j]);
                    }
                }
            }
        }
    }
}
