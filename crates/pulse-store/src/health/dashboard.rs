//! H4: the dashboard's figures for the whole organisation or one unit,
//! each with the raw counts and period it was computed from. Nothing here
//! is stored or typed in: a baseline is the first round's, survey's or
//! month's computed value.

use std::collections::HashSet;

use chrono::NaiveDate;
use pulse_domain::health::{self, Share};
use serde::Serialize;

use super::alignment::{self, outcome_of};
use super::surveys::{self, Cell};
use super::{Settings, frontline, months, subtree};
use crate::org::Tree;
use crate::{Db, StoreError};

/// One reading: a value with what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The round's or survey's name, or the month (`2026-11`).
    pub label: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Percent (alignment, trust) or per person per week (engagement).
    pub value: Option<f64>,
    /// The counted things (aligned people, clear answers, actions).
    pub count: i64,
    /// What it is out of (decided people, answers, people).
    pub of: i64,
    /// The share's 95 % interval in percent, where it is a sample.
    pub interval: Option<(f64, f64)>,
    /// Hidden by the anonymity rule.
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub key: &'static str,
    pub baseline: Option<Reading>,
    pub now: Option<Reading>,
    pub target: Option<f64>,
    pub trend: Vec<Reading>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub key: &'static str,
    pub value: Option<f64>,
    /// The raw figures: (count, of) over the period named.
    pub count: i64,
    pub of: i64,
    pub label: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The first period's value beside it, where there is one.
    pub baseline: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatRow {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    /// alignment, trust, engagement — the latest reading for the unit.
    pub cells: Vec<Option<Reading>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// None = the whole organisation.
    pub unit: Option<i64>,
    pub people: i64,
    pub metrics: Vec<Metric>,
    pub operations: Vec<Operation>,
    pub heatmap: Vec<HeatRow>,
}

fn pct(s: &Share) -> (f64, (f64, f64)) {
    (
        health::round(s.value * 100.0, 1),
        (
            health::round(s.low * 100.0, 1),
            health::round(s.high * 100.0, 1),
        ),
    )
}

fn first_last(trend: &[Reading]) -> (Option<Reading>, Option<Reading>) {
    let with: Vec<&Reading> = trend.iter().filter(|r| r.value.is_some()).collect();
    (
        with.first().map(|r| (*r).clone()),
        with.last().map(|r| (*r).clone()),
    )
}

/// Everything the dashboard shows for `unit` (None = everyone), as of `today`.
pub async fn dashboard(
    db: &Db,
    tree: &Tree,
    settings: &Settings,
    unit: Option<i64>,
    today: NaiveDate,
) -> Result<Dashboard, StoreError> {
    let people = frontline(db).await?;
    let scope: Option<HashSet<i64>> = unit.map(|u| subtree(tree, u));
    let inside = |u: i64| scope.as_ref().is_none_or(|s| s.contains(&u));
    let mine: Vec<(i64, i64)> = people.iter().copied().filter(|p| inside(p.1)).collect();
    let month_list = months::window(today, 12);
    let counts = months::counts(db, &month_list).await?;
    let rounds = alignment_trend(db, tree, &inside).await?;
    let closed = closed_surveys(db, tree).await?;
    let trust = trust_trend(tree, unit, &closed);
    let engagement = monthly(&month_list, &mine, &counts.engagement);
    let points = settings.target_points as f64;
    let metric = |key, trend: Vec<Reading>, target: &dyn Fn(f64) -> f64| {
        let (baseline, now) = first_last(&trend);
        Metric {
            key,
            target: baseline.as_ref().and_then(|b| b.value).map(target),
            baseline,
            now,
            trend,
        }
    };
    let metrics = vec![
        metric("alignment", rounds, &|b| (b + points).min(100.0)),
        metric("trust", trust, &|b| (b + points).min(100.0)),
        metric("engagement", engagement.clone(), &|_| {
            settings.engagement_target
        }),
    ];
    let cards = monthly(&month_list, &mine, &counts.cards);
    let mut operations = vec![month_operation("feedback_per_person_week", &cards)];
    operations.push(review_minutes(db, &inside, &people).await?);
    operations.push(adjustment_hours(db, &inside, &people, today).await?);
    operations.push(calibration_minutes(db).await?);
    let heatmap = heatmap(db, tree, unit, &people, &month_list, &counts, &closed).await?;
    Ok(Dashboard {
        unit,
        people: mine.len() as i64,
        metrics,
        operations,
        heatmap,
    })
}

/// Closed rounds, oldest first, each over the sampled people inside the scope.
async fn alignment_trend(
    db: &Db,
    tree: &Tree,
    inside: &(dyn Fn(i64) -> bool + Sync),
) -> Result<Vec<Reading>, StoreError> {
    let mut rounds = alignment::rounds(db).await?;
    rounds.retain(|r| r.state == "closed");
    rounds.reverse();
    let members: Vec<(i64, i64, i64, Option<i64>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT m.round_id, m.person_id, m.org_unit_id, m.submitted_at FROM alignment_members m \
                        JOIN alignment_rounds r ON r.id = m.round_id WHERE r.state = 'closed'")
            .fetch_all(pool).await?
    });
    let tasks: Vec<(i64, i64, Option<i64>, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT t.round_id, t.person_id, t.goal_id, t.verdict FROM alignment_tasks t \
                        JOIN alignment_rounds r ON r.id = t.round_id WHERE r.state = 'closed'")
            .fetch_all(pool).await?
    });
    Ok(rounds
        .iter()
        .map(|r| {
            let m: Vec<(i64, i64, Option<i64>)> = members
                .iter()
                .filter(|m| m.0 == r.id && inside(m.2))
                .map(|m| (m.1, m.2, m.3))
                .collect();
            let t: Vec<(i64, Option<i64>, Option<String>)> = tasks
                .iter()
                .filter(|t| t.0 == r.id)
                .map(|t| (t.1, t.2, t.3.clone()))
                .collect();
            let o = outcome_of(tree, &m, &t);
            let shown = o.share.as_ref().map(pct);
            Reading {
                label: r.name.clone(),
                from_ms: r.created_at,
                to_ms: r.closed_at.unwrap_or(r.created_at),
                value: shown.map(|s| s.0),
                count: o.share.map_or(0, |s| s.k),
                of: o.share.map_or(0, |s| s.n),
                interval: shown.map(|s| s.1),
                suppressed: false,
            }
        })
        .collect())
}

/// Closed surveys that asked the unit, oldest first, as the anonymity rule allows.
/// A closed survey, the units it asked and its results, read once per
/// dashboard for both the trust line and the heatmap.
struct Asked {
    survey: surveys::Survey,
    asked: HashSet<i64>,
    results: surveys::Results,
}

/// Closed surveys, newest first.
async fn closed_surveys(db: &Db, tree: &Tree) -> Result<Vec<Asked>, StoreError> {
    let mut out = Vec::new();
    for survey in surveys::list(db).await? {
        if survey.state == "closed" {
            out.push(Asked {
                asked: subtree(tree, survey.org_unit_id),
                results: surveys::results(db, tree, &survey).await?,
                survey,
            });
        }
    }
    Ok(out)
}

/// Closed surveys that asked the whole unit, oldest first, as the anonymity rule allows.
fn trust_trend(tree: &Tree, unit: Option<i64>, closed: &[Asked]) -> Vec<Reading> {
    let root = tree.children(None).next().map(|u| u.id);
    closed
        .iter()
        .rev()
        .filter_map(|a| {
            let target = unit.or(root).unwrap_or(a.survey.org_unit_id);
            // A survey speaks for a unit only when it asked all of it.
            a.asked
                .contains(&target)
                .then(|| trust_reading(&a.survey, &a.results.cell(tree, target)))
        })
        .collect()
}

fn trust_reading(s: &surveys::Survey, cell: &Cell) -> Reading {
    let mut r = Reading {
        label: s.title.clone(),
        from_ms: s.opened_at,
        to_ms: s.closed_at.unwrap_or(s.opened_at),
        value: None,
        count: 0,
        of: 0,
        interval: None,
        suppressed: false,
    };
    match cell {
        Cell::Shown { share, .. } => {
            let (v, i) = pct(share);
            r.value = Some(v);
            r.interval = Some(i);
            r.count = share.k;
            r.of = share.n;
        }
        Cell::Suppressed(_) => r.suppressed = true,
        Cell::Outside => {}
    }
    r
}

/// Per month: the people's counted actions per person per week.
fn monthly(
    month_list: &[(NaiveDate, i64, i64)],
    people: &[(i64, i64)],
    counts: &std::collections::HashMap<i64, Vec<i64>>,
) -> Vec<Reading> {
    month_list
        .iter()
        .enumerate()
        .map(|(i, (first, from, to))| {
            let n: i64 = people
                .iter()
                .filter_map(|p| counts.get(&p.0).and_then(|v| v.get(i)))
                .sum();
            let days = (to - from) / 86_400_000;
            Reading {
                label: first.format("%Y-%m").to_string(),
                from_ms: *from,
                to_ms: *to,
                value: health::per_week(n, people.len() as i64, days)
                    .filter(|_| n > 0)
                    .map(|v| health::round(v, 2)),
                count: n,
                of: people.len() as i64,
                interval: None,
                suppressed: false,
            }
        })
        .collect()
}

fn month_operation(key: &'static str, trend: &[Reading]) -> Operation {
    let (baseline, now) = first_last(trend);
    let now = now.or_else(|| trend.last().cloned());
    Operation {
        key,
        value: now.as_ref().and_then(|r| r.value),
        count: now.as_ref().map_or(0, |r| r.count),
        of: now.as_ref().map_or(0, |r| r.of),
        label: now.as_ref().map_or_else(String::new, |r| r.label.clone()),
        from_ms: now.as_ref().map_or(0, |r| r.from_ms),
        to_ms: now.as_ref().map_or(0, |r| r.to_ms),
        baseline: baseline.and_then(|r| r.value),
    }
}

fn empty(key: &'static str) -> Operation {
    Operation {
        key,
        value: None,
        count: 0,
        of: 0,
        label: String::new(),
        from_ms: 0,
        to_ms: 0,
        baseline: None,
    }
}

/// The median active writing time of submitted reviews, latest cycle with any.
async fn review_minutes(
    db: &Db,
    inside: &(dyn Fn(i64) -> bool + Sync),
    people: &[(i64, i64)],
) -> Result<Operation, StoreError> {
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT c.id, c.name, c.created_at, COALESCE(c.completed_at, c.created_at), r.person_id, r.writing_seconds \
                        FROM reviews r JOIN review_cycles c ON c.id = r.cycle_id \
                        WHERE r.writing_seconds IS NOT NULL AND r.writing_seconds > 0 AND r.submitted_at IS NOT NULL ORDER BY c.created_at, c.id")
            .fetch_all(pool).await?
    });
    let unit_of: std::collections::HashMap<i64, i64> = people.iter().copied().collect();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| unit_of.get(&r.4).is_some_and(|u| inside(*u)))
        .collect();
    let mut cycles: Vec<i64> = rows.iter().map(|r| r.0).collect();
    cycles.dedup();
    let median_of = |id: i64| {
        let mut secs: Vec<i64> = rows.iter().filter(|r| r.0 == id).map(|r| r.5).collect();
        let n = secs.len() as i64;
        (
            health::median(&mut secs).map(|s| health::round(s / 60.0, 1)),
            n,
        )
    };
    let (Some(first), Some(last)) = (cycles.first(), cycles.last()) else {
        return Ok(empty("review_minutes_median"));
    };
    let row = rows
        .iter()
        .find(|r| r.0 == *last)
        .expect("a row of the cycle");
    let (value, n) = median_of(*last);
    Ok(Operation {
        key: "review_minutes_median",
        value,
        count: n,
        of: n,
        label: row.1.clone(),
        from_ms: row.2,
        to_ms: row.3,
        baseline: median_of(*first).0,
    })
}

/// The mean hours from a target-adjustment request to its decision over the last 90 days.
async fn adjustment_hours(
    db: &Db,
    inside: &(dyn Fn(i64) -> bool + Sync),
    people: &[(i64, i64)],
    today: NaiveDate,
) -> Result<Operation, StoreError> {
    let to = crate::day_start_ms(today);
    let from = to - 90 * 86_400_000;
    let rows: Vec<(i64, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT a.requester_id, a.created_at, a.decided_at FROM goal_adjustments a \
                        WHERE a.decided_at IS NOT NULL AND a.decided_at >= $1 AND a.decided_at < $2")
            .bind(from).bind(to).fetch_all(pool).await?
    });
    let unit_of: std::collections::HashMap<i64, i64> = people.iter().copied().collect();
    let waits: Vec<i64> = rows
        .iter()
        .filter(|r| unit_of.get(&r.0).is_none_or(|u| inside(*u)))
        .map(|r| (r.2 - r.1).max(0))
        .collect();
    let n = waits.len() as i64;
    let total: i64 = waits.iter().sum();
    Ok(Operation {
        key: "adjustment_response_hours",
        value: (n > 0).then(|| health::round(total as f64 / n as f64 / 3_600_000.0, 1)),
        count: total / 60_000,
        of: n,
        label: String::new(),
        from_ms: from,
        to_ms: to,
        baseline: None,
    })
}

/// The median live → finalized time of calibration sessions (the whole company's).
async fn calibration_minutes(db: &Db) -> Result<Operation, StoreError> {
    let rows: Vec<(String, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT name, duration_ms, COALESCE(finalized_at, 0) FROM calibration_sessions \
                        WHERE duration_ms IS NOT NULL ORDER BY finalized_at, id")
            .fetch_all(pool).await?
    });
    if rows.is_empty() {
        return Ok(empty("calibration_minutes_median"));
    }
    let mut ms: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let n = ms.len() as i64;
    let value = health::median(&mut ms).map(|m| health::round(m / 60_000.0, 1));
    Ok(Operation {
        key: "calibration_minutes_median",
        value,
        count: n,
        of: n,
        label: rows
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        from_ms: rows.first().map_or(0, |r| r.2),
        to_ms: rows.last().map_or(0, |r| r.2),
        baseline: rows
            .first()
            .map(|r| health::round(r.1 as f64 / 60_000.0, 1)),
    })
}

/// Regions (or the unit's children) × the three metrics' latest readings.
async fn heatmap(
    db: &Db,
    tree: &Tree,
    unit: Option<i64>,
    people: &[(i64, i64)],
    month_list: &[(NaiveDate, i64, i64)],
    counts: &months::Counts,
    closed: &[Asked],
) -> Result<Vec<HeatRow>, StoreError> {
    let rows: Vec<&crate::org::OrgUnit> = match unit {
        Some(u) => {
            let kids: Vec<_> = tree.children(Some(u)).collect();
            if kids.is_empty() {
                tree.get(u).into_iter().collect()
            } else {
                kids
            }
        }
        None => tree.units.iter().filter(|u| u.kind == "region").collect(),
    };
    let last_round: Option<i64> = alignment::rounds(db)
        .await?
        .iter()
        .find(|r| r.state == "closed")
        .map(|r| r.id);
    let outcome = match last_round {
        Some(id) => Some(alignment::outcome(db, tree, id).await?),
        None => None,
    };
    let last = month_list.len().saturating_sub(1);
    let mut out = Vec::new();
    for u in rows {
        let under = subtree(tree, u.id);
        let mine: Vec<(i64, i64)> = people
            .iter()
            .copied()
            .filter(|p| under.contains(&p.1))
            .collect();
        let engagement = monthly(
            &month_list[last..],
            &mine,
            &counts
                .engagement
                .iter()
                .map(|(k, v)| (*k, v.get(last..).map(<[i64]>::to_vec).unwrap_or_default()))
                .collect(),
        );
        let alignment = outcome.as_ref().and_then(|o| {
            let (k, n) = o
                .by_region
                .iter()
                // By region: a row below a region (a team) has no reading of its own.
                .filter(|r| under.contains(&r.0))
                .fold((0, 0), |a, r| (a.0 + r.1, a.1 + r.2));
            health::wilson(k, n).map(|s| {
                let (v, i) = pct(&s);
                Reading {
                    label: String::new(),
                    from_ms: 0,
                    to_ms: 0,
                    value: Some(v),
                    count: k,
                    of: n,
                    interval: Some(i),
                    suppressed: false,
                }
            })
        });
        // Newest first: each row reads the latest closed survey that asked it.
        let trust = closed
            .iter()
            .find(|a| a.asked.contains(&u.id))
            .map(|a| trust_reading(&a.survey, &a.results.cell(tree, u.id)));
        out.push(HeatRow {
            unit_id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            cells: vec![alignment, trust, engagement.into_iter().next()],
        });
    }
    Ok(out)
}
