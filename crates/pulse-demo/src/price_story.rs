//! The planted story the weekly digest reads (D1), made exact: in 华东 a
//! steady quarter of the cards mention 价格异议 week after week, then in the
//! last complete week each team's mentions rise by about 45 % over the week
//! before ("本周‘价格异议’提及频次上升45%"), while every other term keeps its
//! base — the extra mentions use the plain phrase, so 竞品报价, 耗材 and 科室
//! (which ride on the other price phrases) do not rise with it.
//!
//! The generator draws phrases at random; this pass, run after it, sets each
//! 华东 team's price mentions per week to a quota so the story holds whatever
//! the seed, the weekday and the hour the demo is built at.

use std::collections::HashMap;

use chrono::NaiveDate;
use pulse_store::{Db, StoreError};

use crate::DemoOrg;
use crate::feedback::{PHRASES, PRICE_PHRASES};

/// Share of a 华东 team's cards that mention 价格异议 in an ordinary week.
const BASE_SHARE: f64 = 0.25;
/// The story week's mentions against the week before.
const RISE: f64 = 1.45;
/// Weeks of steady base before the story week (the digest history).
const BASE_WEEKS: u64 = 4;

/// Which of `n` cards (evenly spread) carry the first `quota` mentions.
fn spread(n: usize, quota: usize) -> Vec<bool> {
    (0..n)
        .map(|i| (i + 1) * quota / n.max(1) > i * quota / n.max(1))
        .collect()
}

/// The story week's quota: last week's mentions times [`RISE`], and as much
/// again for any growth in cards (the digest reads the rise against the
/// week's volume), at least one more, never more than the cards.
pub fn story_quota(base: usize, base_cards: usize, cards: usize) -> usize {
    let growth = (cards as f64 / base_cards.max(1) as f64).max(1.0);
    ((base as f64 * RISE * growth).ceil() as usize)
        .max(base + 1)
        .min(cards)
}

pub async fn plant(
    db: &Db,
    org: &DemoOrg,
    today: NaiveDate,
    first_day: NaiveDate,
) -> Result<(), StoreError> {
    let story_week = pulse_jobs::digests::last_complete_week(today);
    let ids = {
        let mut tx = db.begin().await?;
        let ids = pulse_store::people::ids_by_employee_no(&mut tx).await?;
        tx.commit().await?;
        ids
    };
    // Author → their manager, for everyone in 华东.
    let team_of: HashMap<i64, String> = org
        .people
        .iter()
        .filter(|p| p.unit_code == "HD" || p.unit_code.starts_with("HD-"))
        .filter_map(|p| Some((*ids.get(&p.employee_no)?, p.manager.clone()?)))
        .collect();
    // Team → (mentions, cards) of the week before.
    let mut previous: HashMap<String, (usize, usize)> = HashMap::new();
    // Oldest base week first; the story week; then the week under way.
    for back in (0..=BASE_WEEKS + 1).rev() {
        let monday = if back == 0 {
            story_week + chrono::Days::new(7)
        } else {
            story_week - chrono::Days::new(7 * (back - 1))
        };
        if monday < first_day {
            continue;
        }
        let from = pulse_store::day_start_ms(monday);
        let to = pulse_store::day_start_ms(monday + chrono::Days::new(7));
        let mut by_team: HashMap<&str, Vec<(i64, String)>> = HashMap::new();
        for c in pulse_store::digests::cards_between(db, from, to).await? {
            if let Some(team) = team_of.get(&c.author_id) {
                by_team.entry(team).or_default().push((c.id, c.observation));
            }
        }
        let mut tx = db.begin().await?;
        let mut teams: Vec<_> = by_team.into_iter().collect();
        teams.sort_by(|a, b| a.0.cmp(b.0));
        for (team, cards) in teams {
            let base = (cards.len() as f64 * BASE_SHARE).round() as usize;
            let (quota, compound) = match back {
                // The story week: the rise is the plain phrase only.
                1 => {
                    let (before, before_cards) =
                        previous.get(team).copied().unwrap_or((base, cards.len()));
                    (story_quota(before, before_cards, cards.len()), before)
                }
                // Ordinary weeks stay within a quarter of the week before,
                // so no base week reads as a rise.
                _ => {
                    let q = match previous.get(team) {
                        Some(&(p, _)) => base.clamp(p * 4 / 5, p * 5 / 4),
                        None => base,
                    };
                    (q, q)
                }
            };
            previous.insert(team.to_string(), (quota, cards.len()));
            // Each price card gets its phrase; an ordinary card that must
            // turn into a price card hands its phrase to a price card that
            // must turn ordinary, so every other term keeps its count.
            let mut give: Vec<usize> = Vec::new();
            let mut take: Vec<usize> = Vec::new();
            let mut text: Vec<String> = cards.iter().map(|c| c.1.clone()).collect();
            let mut nth = 0;
            for (i, price) in spread(cards.len(), quota).into_iter().enumerate() {
                let is_price = PRICE_PHRASES.contains(&text[i].as_str());
                if price {
                    nth += 1;
                    let phrase = if nth <= compound {
                        PRICE_PHRASES[nth % PRICE_PHRASES.len()]
                    } else {
                        PRICE_PHRASES[0]
                    };
                    if !is_price {
                        give.push(i);
                    }
                    text[i] = phrase.to_string();
                } else if is_price {
                    take.push(i);
                }
            }
            for (k, &t) in take.iter().enumerate() {
                text[t] = match give.get(k) {
                    Some(&g) => cards[g].1.clone(),
                    None => PHRASES[(cards[t].0 as usize) % PHRASES.len()].to_string(),
                };
            }
            for ((id, before), after) in cards.iter().zip(&text) {
                if before != after {
                    pulse_store::feedback::set_observation(&mut tx, *id, after).await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_spread_evenly_and_rise_by_about_45_percent() {
        let s = spread(23, 6);
        assert_eq!(s.iter().filter(|b| **b).count(), 6);
        assert!(!s[0] || !s[1], "not bunched: {s:?}");
        assert_eq!(story_quota(6, 23, 23), 9);
        assert_eq!(story_quota(6, 20, 24), 11, "more cards, more mentions");
        assert_eq!(story_quota(7, 30, 24), 11, "fewer cards: still +45 %");
        assert_eq!(story_quota(1, 4, 4), 2, "always a rise");
        assert_eq!(story_quota(8, 9, 9), 9, "never more mentions than cards");
        assert_eq!(spread(0, 0), Vec::<bool>::new());
    }
}
