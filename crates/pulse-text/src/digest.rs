//! The body of a manager's weekly digest (D1), built from the cards of the
//! week and of the week before: counts and average rating per tag, the
//! terms for the word cloud with their trend, the red flags, and for each
//! term the cards that mention it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{TrendRule, count, flag_text_en, flag_text_zh, trends};

/// A card as the digest reads it, its observation already segmented
/// ([`crate::Analyzer::terms`]: a card is segmented once even when it
/// appears in its team lead's, director's and VP's digests).
pub struct CardText<'a> {
    pub id: i64,
    pub terms: &'a [String],
    /// (tag, rating 1–5)
    pub ratings: &'a [(String, i64)],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagLine {
    pub tag: String,
    pub count: u32,
    /// One decimal.
    pub avg_rating: f64,
    pub previous_count: u32,
    pub previous_avg: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermLine {
    pub term: String,
    pub count: u32,
    pub previous: u32,
    pub change_pct: Option<i64>,
    pub flagged: bool,
    pub new: bool,
    /// The cards of this week that mention the term.
    pub card_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub term: String,
    pub count: u32,
    pub previous: u32,
    /// None for a term new this week.
    pub change_pct: Option<i64>,
    /// e.g. 本周‘价格异议’提及频次上升40%
    pub text: String,
    pub text_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub cards: u32,
    pub previous_cards: u32,
    pub tags: Vec<TagLine>,
    pub terms: Vec<TermLine>,
    pub flags: Vec<Flag>,
    pub rule: TrendRule,
}

fn tag_lines(cards: &[CardText<'_>]) -> BTreeMap<String, (u32, i64)> {
    let mut out: BTreeMap<String, (u32, i64)> = BTreeMap::new();
    for c in cards {
        for (tag, rating) in c.ratings {
            let e = out.entry(tag.clone()).or_default();
            e.0 += 1;
            e.1 += rating;
        }
    }
    out
}

fn one_decimal(sum: i64, n: u32) -> f64 {
    (sum as f64 / f64::from(n.max(1)) * 10.0).round() / 10.0
}

/// Builds the digest body. `top` caps the terms listed (flagged terms are
/// always listed).
pub fn build(
    this_week: &[CardText<'_>],
    last_week: &[CardText<'_>],
    rule: &TrendRule,
    top: usize,
) -> Body {
    let now = count(this_week.iter().map(|c| c.terms.iter()));
    let before = count(last_week.iter().map(|c| c.terms.iter()));
    let volume = (this_week.len() as u32, last_week.len() as u32);
    let all = trends(&now, &before, volume, rule);
    let flags: Vec<Flag> = all
        .iter()
        .filter(|t| t.flagged)
        .map(|t| Flag {
            term: t.term.clone(),
            count: t.count,
            previous: t.previous,
            change_pct: t.change_pct,
            text: flag_text_zh(t),
            text_en: flag_text_en(t),
        })
        .collect();
    let terms = all
        .into_iter()
        .enumerate()
        .filter(|(i, t)| *i < top || t.flagged)
        .map(|(_, t)| TermLine {
            card_ids: this_week
                .iter()
                .filter(|c| c.terms.contains(&t.term))
                .map(|c| c.id)
                .collect(),
            term: t.term,
            count: t.count,
            previous: t.previous,
            change_pct: t.change_pct,
            flagged: t.flagged,
            new: t.new,
        })
        .collect();
    let prev_tags = tag_lines(last_week);
    let tags = tag_lines(this_week)
        .into_iter()
        .map(|(tag, (n, sum))| {
            let prev = prev_tags.get(&tag);
            TagLine {
                avg_rating: one_decimal(sum, n),
                count: n,
                previous_count: prev.map_or(0, |p| p.0),
                previous_avg: prev.map(|p| one_decimal(p.1, p.0)),
                tag,
            }
        })
        .collect::<Vec<_>>();
    let mut tags = tags;
    tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
    Body {
        cards: u32::try_from(this_week.len()).unwrap_or(u32::MAX),
        previous_cards: u32::try_from(last_week.len()).unwrap_or(u32::MAX),
        tags,
        terms,
        flags,
        rule: *rule,
    }
}
