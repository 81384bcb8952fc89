//! H1's sample: a reproducible random draw from the frontline population,
//! optionally stratified so each region gets its proportional share.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Problem;

/// The default sample size (SPEC H1).
pub const DEFAULT_SIZE: i64 = 50;

/// Draws `size` of `population` (person id, stratum — e.g. their region)
/// from `seed`. The same population, size and seed always give the same
/// people, whatever order the population was read in. Stratified, each
/// stratum gets its share by largest remainder (ties to the larger stratum,
/// then the lower id), then a draw inside it.
pub fn draw(
    population: &[(i64, i64)],
    size: i64,
    seed: u64,
    stratified: bool,
) -> Result<Vec<i64>, Problem> {
    if size < 1 {
        return Err(Problem::new(
            "invalid_sample_size",
            "抽样人数至少为 1",
            "the sample needs at least one person",
        ));
    }
    if size as usize > population.len() {
        return Err(Problem::new(
            "sample_too_large",
            format!(
                "抽样人数 {size} 超过了在岗一线员工总数 {}",
                population.len()
            ),
            format!(
                "a sample of {size} is larger than the {} active frontline staff",
                population.len()
            ),
        ));
    }
    let mut sorted = population.to_vec();
    sorted.sort_unstable();
    sorted.dedup_by_key(|p| p.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let size = size as usize;
    if !stratified {
        return Ok(pick(&mut rng, sorted.iter().map(|p| p.0).collect(), size));
    }
    let mut strata: Vec<(i64, Vec<i64>)> = Vec::new();
    for (id, s) in &sorted {
        match strata.iter_mut().find(|(k, _)| k == s) {
            Some((_, v)) => v.push(*id),
            None => strata.push((*s, vec![*id])),
        }
    }
    strata.sort_by_key(|(k, _)| *k);
    let total = sorted.len();
    let mut quotas: Vec<usize> = strata.iter().map(|(_, v)| v.len() * size / total).collect();
    let mut rest: Vec<usize> = (0..strata.len()).collect();
    // Largest remainder: the strata whose exact share lost most to rounding.
    rest.sort_by_key(|&i| {
        let len = strata[i].1.len();
        (
            std::cmp::Reverse(len * size % total),
            std::cmp::Reverse(len),
            i,
        )
    });
    let short = size - quotas.iter().sum::<usize>();
    for &i in rest.iter().take(short) {
        quotas[i] += 1;
    }
    let mut out = Vec::with_capacity(size);
    for ((_, ids), q) in strata.into_iter().zip(quotas) {
        out.extend(pick(&mut rng, ids, q));
    }
    out.sort_unstable();
    Ok(out)
}

/// A partial Fisher–Yates shuffle: the first `n` of a random order.
fn pick(rng: &mut ChaCha8Rng, mut ids: Vec<i64>, n: usize) -> Vec<i64> {
    let n = n.min(ids.len());
    for i in 0..n {
        let j = rng.random_range(i..ids.len());
        ids.swap(i, j);
    }
    ids.truncate(n);
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn people(n: i64, strata: i64) -> Vec<(i64, i64)> {
        (1..=n).map(|i| (i * 7, i % strata)).collect()
    }

    #[test]
    fn too_large_a_sample_is_refused() {
        assert_eq!(
            draw(&people(10, 2), 11, 1, false).unwrap_err().code,
            "sample_too_large"
        );
        assert!(draw(&people(10, 2), 0, 1, false).is_err());
    }

    #[test]
    fn strata_get_their_share() {
        // 60 / 30 / 10 people, 10 drawn → 6 / 3 / 1.
        let mut pop: Vec<(i64, i64)> = (0..60).map(|i| (i, 1)).collect();
        pop.extend((60..90).map(|i| (i, 2)));
        pop.extend((90..100).map(|i| (i, 3)));
        let s = draw(&pop, 10, 42, true).unwrap();
        assert_eq!(s.iter().filter(|&&i| i < 60).count(), 6);
        assert_eq!(s.iter().filter(|&&i| (60..90).contains(&i)).count(), 3);
        assert_eq!(s.iter().filter(|&&i| i >= 90).count(), 1);
    }

    proptest! {
        #[test]
        fn a_draw_is_reproducible_and_exact(n in 1i64..400, k in 1i64..400, seed: u64, strata in 1i64..20, stratified: bool) {
            let k = 1 + (k - 1) % n;
            let pop = people(n, strata);
            let a = draw(&pop, k, seed, stratified).unwrap();
            let mut reversed = pop.clone();
            reversed.reverse();
            let b = draw(&reversed, k, seed, stratified).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.len() as i64, k);
            let mut d = a.clone();
            d.dedup();
            prop_assert_eq!(d.len(), a.len());
            prop_assert!(a.iter().all(|id| pop.iter().any(|p| p.0 == *id)));
        }
    }
}
