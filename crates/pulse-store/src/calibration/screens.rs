//! What the three wall screens read (C2): a person's raw process data per
//! quarter (left), the texts the growth trajectory is derived from and the
//! HRBP's competency keyword dictionary (middle), and per-region figures
//! against the national mean (right).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use pulse_domain::competency::Metric;
use pulse_domain::events::EventKind;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Db, StoreError};

/// A calendar quarter as a window of epoch ms (China days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarter {
    pub code: String,
    pub from: i64,
    pub to: i64,
}

/// The four calendar quarters ending with the one that holds `last`.
pub fn year_of_quarters(last: NaiveDate) -> Vec<Quarter> {
    let mut y = last.year();
    let mut q = (last.month0() / 3) as i32;
    let mut out = Vec::with_capacity(4);
    for _ in 0..4 {
        let start = NaiveDate::from_ymd_opt(y, (q * 3 + 1) as u32, 1).unwrap_or(last);
        let end = if q == 3 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, ((q + 1) * 3 + 1) as u32, 1)
        }
        .unwrap_or(last);
        out.push(Quarter {
            code: format!("{y}Q{}", q + 1),
            from: crate::day_start_ms(start),
            to: crate::day_start_ms(end),
        });
        if q == 0 {
            q = 3;
            y -= 1;
        } else {
            q -= 1;
        }
    }
    out.reverse();
    out
}

/// One quarter of a person's raw process data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuarterFigures {
    pub code: String,
    pub visits: u32,
    pub evaluations: u32,
    pub evaluation_avg: Option<f64>,
    pub deliveries: u32,
    pub on_time: u32,
    pub work_orders: u32,
    pub response_avg_minutes: Option<f64>,
    pub tickets: u32,
    pub cards: u32,
    pub card_rating_avg: Option<f64>,
    /// G7's weighted goal score of the quarter's period, in basis points.
    pub goal_score_bp: Option<i64>,
}

pub async fn process_data(
    db: &Db,
    person_id: i64,
    quarters: &[Quarter],
) -> Result<Vec<QuarterFigures>, StoreError> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<QuarterFigures> = quarters
        .iter()
        .map(|q| QuarterFigures {
            code: q.code.clone(),
            ..Default::default()
        })
        .collect();
    let slot = |at: i64| quarters.iter().position(|q| at >= q.from && at < q.to);
    let rows: Vec<(String, i64, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT kind, occurred_at, CASE WHEN kind = 'visit' THEN '' ELSE payload_json END FROM events \
             WHERE person_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
        )
        .bind(person_id).bind(first.from).bind(last.to).fetch_all(pool).await?
    });
    let mut sums: Vec<(f64, f64)> = vec![(0.0, 0.0); quarters.len()];
    for (kind, at, json) in rows {
        let Some(i) = slot(at) else { continue };
        let f = &mut out[i];
        let kind = EventKind::from_code(&kind);
        if kind == Some(EventKind::Visit) {
            f.visits += 1;
            continue;
        }
        let p: Map<String, Value> = serde_json::from_str(&json).unwrap_or_default();
        match kind {
            Some(EventKind::Evaluation) => {
                if let Some(s) = p.get("score").and_then(Value::as_f64) {
                    f.evaluations += 1;
                    sums[i].0 += s;
                }
            }
            Some(EventKind::Delivery) => {
                let due = p.get("due_at").and_then(pulse_domain::events::parse_time);
                let done = p
                    .get("delivered_at")
                    .and_then(pulse_domain::events::parse_time);
                if let (Some(due), Some(done)) = (due, done) {
                    f.deliveries += 1;
                    f.on_time += u32::from(done <= due);
                }
            }
            Some(EventKind::WorkOrder) => {
                if let Some(m) = pulse_domain::events::response_minutes(&p) {
                    f.work_orders += 1;
                    sums[i].1 += m as f64;
                }
            }
            Some(EventKind::ServiceTicket) => f.tickets += 1,
            _ => {}
        }
    }
    for (f, (ev, resp)) in out.iter_mut().zip(&sums) {
        f.evaluation_avg = (f.evaluations > 0).then(|| ev / f64::from(f.evaluations));
        f.response_avg_minutes = (f.work_orders > 0).then(|| resp / f64::from(f.work_orders));
    }
    let cards: Vec<(i64, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            // From the person's events to their cards: `CROSS JOIN` keeps
            // SQLite from scanning a year of everyone's cards by time.
            "SELECT f.created_at, CAST(COALESCE(SUM(r.rating), 0) AS BIGINT), COUNT(r.rating) FROM events e \
             CROSS JOIN feedback_cards f LEFT JOIN feedback_ratings r ON r.card_id = f.id \
             WHERE f.event_id = e.id AND e.person_id = $1 AND e.occurred_at < $3 \
             AND f.created_at >= $2 AND f.created_at < $3 GROUP BY f.id, f.created_at",
        )
        .bind(person_id).bind(first.from).bind(last.to).fetch_all(pool).await?
    });
    let mut rating: Vec<(i64, i64)> = vec![(0, 0); quarters.len()];
    for (at, sum, n) in cards {
        let Some(i) = slot(at) else { continue };
        out[i].cards += 1;
        rating[i].0 += sum;
        rating[i].1 += n;
    }
    for (f, (sum, n)) in out.iter_mut().zip(&rating) {
        f.card_rating_avg = (*n > 0).then(|| *sum as f64 / *n as f64);
    }
    for (i, q) in quarters.iter().enumerate() {
        let period: Option<(i64,)> = on_db!(db, pool => {
            sqlx::query_as("SELECT id FROM periods WHERE code = $1").bind(&q.code).fetch_optional(pool).await?
        });
        if let Some((pid,)) = period {
            let goals = crate::goals::person_goals(db, person_id, pid).await?;
            if !goals.is_empty() {
                out[i].goal_score_bp = Some(crate::goals::weighted_score_bp(&goals));
            }
        }
    }
    Ok(out)
}

/// A text the growth trajectory reads: a review or a feedback observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceText {
    pub quarter: String,
    /// `review` or `card`.
    pub kind: &'static str,
    pub id: i64,
    pub at: i64,
    pub text: String,
}

pub async fn texts(
    db: &Db,
    person_id: i64,
    quarters: &[Quarter],
) -> Result<Vec<SourceText>, StoreError> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(Vec::new());
    };
    let reviews: Vec<ReviewRow> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT r.person_id, r.id, pe.ends_on, r.body FROM reviews r JOIN periods pe ON pe.id = r.period_id \
             WHERE r.person_id = $1 AND r.state <> 'draft' AND r.body <> '' ORDER BY pe.ends_on",
        )
        .bind(person_id).fetch_all(pool).await?
    });
    let cards: Vec<CardRow> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT e.person_id, f.id, f.created_at, f.observation FROM events e CROSS JOIN feedback_cards f \
             WHERE f.event_id = e.id AND e.person_id = $1 AND e.occurred_at < $3 \
             AND f.created_at >= $2 AND f.created_at < $3 ORDER BY f.created_at",
        )
        .bind(person_id).bind(first.from).bind(last.to).fetch_all(pool).await?
    });
    Ok(sources(quarters, reviews, cards)
        .remove(&person_id)
        .unwrap_or_default())
}

/// The texts of everyone a session calibrates, by person, in two queries
/// (the gap map reads them all: one query per person cost PostgreSQL a scan
/// of the year's cards each time).
pub async fn session_texts(
    db: &Db,
    session_id: i64,
    quarters: &[Quarter],
) -> Result<HashMap<i64, Vec<SourceText>>, StoreError> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(HashMap::new());
    };
    const PEOPLE: &str = "SELECT r2.person_id FROM calibration_cases k JOIN reviews r2 ON r2.id = k.review_id WHERE k.session_id = $1";
    let reviews: Vec<ReviewRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.person_id, r.id, pe.ends_on, r.body FROM reviews r JOIN periods pe ON pe.id = r.period_id \
             WHERE r.person_id IN ({PEOPLE}) AND r.state <> 'draft' AND r.body <> '' ORDER BY pe.ends_on",
        )))
        .bind(session_id).fetch_all(pool).await?
    });
    let cards: Vec<CardRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT e.person_id, f.id, f.created_at, f.observation FROM events e CROSS JOIN feedback_cards f \
             WHERE f.event_id = e.id AND e.person_id IN ({PEOPLE}) AND e.occurred_at < $3 \
             AND f.created_at >= $2 AND f.created_at < $3 ORDER BY f.created_at",
        )))
        .bind(session_id).bind(first.from).bind(last.to).fetch_all(pool).await?
    });
    Ok(sources(quarters, reviews, cards))
}

/// person, review id, period end, text.
type ReviewRow = (i64, i64, chrono::NaiveDate, String);
/// person, card id, written at, observation.
type CardRow = (i64, i64, i64, String);

/// Rows placed in the quarters they fall in, per person: reviews first (by
/// period end), then cards (by time), as the trajectory reads them.
fn sources(
    quarters: &[Quarter],
    reviews: Vec<ReviewRow>,
    cards: Vec<CardRow>,
) -> HashMap<i64, Vec<SourceText>> {
    let slot = |at: i64| {
        quarters
            .iter()
            .find(|q| at >= q.from && at < q.to)
            .map(|q| q.code.clone())
    };
    let mut out: HashMap<i64, Vec<SourceText>> = HashMap::new();
    for (person, id, ends_on, text) in reviews {
        let at = crate::day_start_ms(ends_on);
        if let Some(quarter) = slot(at) {
            out.entry(person).or_default().push(SourceText {
                quarter,
                kind: "review",
                id,
                at,
                text,
            });
        }
    }
    for (person, id, at, text) in cards {
        if let Some(quarter) = slot(at) {
            out.entry(person).or_default().push(SourceText {
                quarter,
                kind: "card",
                id,
                at,
                text,
            });
        }
    }
    out
}

/// The customers a person dealt with in the window (names, for redaction).
pub async fn customer_names(
    db: &Db,
    person_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT DISTINCT c.name FROM events e JOIN customers c ON c.id = e.customer_id \
             WHERE e.person_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3",
        )
        .bind(person_id).bind(from).bind(to).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Per region: the mean of each process metric (every job family's radar
/// metrics that are not card ratings: 服务时效, 一次解决率, 重点客户渗透…)
/// over the family's active people (last 90 days, from the radar's
/// per-instance figures), and the national mean. Regions are the org units
/// of kind `region`. `first` puts a family's columns first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionFigures {
    pub columns: Vec<Column>,
    pub regions: Vec<RegionRow>,
    /// Per column.
    pub national: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub job_family: String,
    pub metric: Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRow {
    pub id: i64,
    pub name: String,
    /// Per column: the mean over the region's people with a figure.
    pub means: Vec<Option<f64>>,
    /// Frontline people of the families shown.
    pub people: usize,
}

/// Per column: (sum, count), and the region's head count.
type RegionSums = (Vec<(f64, u32)>, usize);

pub async fn region_figures(
    db: &Db,
    today: NaiveDate,
    first: &str,
) -> Result<RegionFigures, StoreError> {
    let dims = crate::competency::dimensions(db, None).await?;
    let mut families: Vec<String> = dims.iter().map(|d| d.job_family.clone()).collect();
    families.sort();
    families.dedup();
    families.sort_by_key(|f| f != first);
    let (_, from) = crate::competency::radar_window(today);
    let to = db.now_ms();
    let tree = crate::org::Tree::new(crate::org::list(db).await?);
    let mut unit_region: HashMap<i64, Option<(i64, String)>> = HashMap::new();
    let mut region_of = |unit: i64| -> Option<(i64, String)> {
        unit_region
            .entry(unit)
            .or_insert_with(|| {
                tree.path(unit)
                    .into_iter()
                    .find(|u| u.kind == "region")
                    .map(|u| (u.id, u.name.clone()))
            })
            .clone()
    };
    let mut columns = Vec::new();
    // Per region: per column (sum, n), head count.
    let mut per_region: HashMap<(i64, String), RegionSums> = HashMap::new();
    let mut national: Vec<(f64, u32)> = Vec::new();
    for family in &families {
        // The family's metrics in the radar's order: the cache key the warm-up uses.
        let metrics: Vec<Metric> = dims
            .iter()
            .filter(|d| &d.job_family == family)
            .map(|d| d.metric.clone())
            .collect();
        let shown: Vec<Metric> = metrics
            .iter()
            .filter(|m| !matches!(m, Metric::FeedbackTag(_)))
            .cloned()
            .collect();
        if shown.is_empty() {
            continue;
        }
        let base = columns.len();
        columns.extend(shown.iter().map(|m| Column {
            job_family: family.clone(),
            metric: m.clone(),
        }));
        national.resize(columns.len(), (0.0, 0));
        let people: Vec<(i64, String, i64)> = on_db!(db, pool => {
            sqlx::query_as("SELECT id, level, org_unit_id FROM people WHERE job_family = $1 AND status = 'active'")
                .bind(family).fetch_all(pool).await?
        });
        let mut levels: Vec<&str> = people.iter().map(|p| p.1.as_str()).collect();
        levels.sort_unstable();
        levels.dedup();
        let mut figures: HashMap<i64, HashMap<String, f64>> = HashMap::new();
        for level in levels {
            let f = crate::competency::peer_figures_cached(db, family, level, &metrics, from, to)
                .await?;
            figures.extend(f.iter().map(|(k, v)| (*k, v.clone())));
        }
        for (id, _, unit) in &people {
            let Some(region) = region_of(*unit) else {
                continue;
            };
            let entry = per_region.entry(region).or_default();
            entry.0.resize(columns.len(), (0.0, 0));
            entry.1 += 1;
            let Some(m) = figures.get(id) else { continue };
            for (j, metric) in shown.iter().enumerate() {
                if let Some(v) = m.get(&metric.code()) {
                    entry.0[base + j].0 += v;
                    entry.0[base + j].1 += 1;
                    national[base + j].0 += v;
                    national[base + j].1 += 1;
                }
            }
        }
    }
    let mean = |(s, n): &(f64, u32)| (*n > 0).then(|| s / f64::from(*n));
    let width = columns.len();
    let mut regions: Vec<RegionRow> = per_region
        .into_iter()
        .map(|((id, name), (mut sums, people))| {
            sums.resize(width, (0.0, 0));
            RegionRow {
                id,
                name,
                means: sums.iter().map(mean).collect(),
                people,
            }
        })
        .collect();
    regions.sort_by_key(|r| r.id);
    Ok(RegionFigures {
        columns,
        regions,
        national: national.iter().map(mean).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_the_four_quarters_up_to_the_last() {
        let q = year_of_quarters(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let codes: Vec<&str> = q.iter().map(|q| q.code.as_str()).collect();
        assert_eq!(codes, ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]);
        let q = year_of_quarters(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
        let codes: Vec<&str> = q.iter().map(|q| q.code.as_str()).collect();
        assert_eq!(codes, ["2026Q2", "2026Q3", "2026Q4", "2027Q1"]);
        assert!(q.windows(2).all(|w| w[0].to == w[1].from));
    }
}
