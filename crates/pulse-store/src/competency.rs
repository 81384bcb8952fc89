//! Competency models (R1) and the figures behind the capability radar (R2):
//! per person of a peer group, the raw value of every metric a model uses.

use std::collections::HashMap;

use pulse_domain::competency::{Metric, Normalisation};
use pulse_domain::events::EventKind;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dimension {
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub metric: Metric,
    pub normalisation: Normalisation,
}

type DimRow = (i64, String, String, String, String, Option<String>);

fn to_dimension(r: DimRow) -> Result<Dimension, StoreError> {
    let target = r.5.as_deref().and_then(|t| t.parse::<f64>().ok());
    Ok(Dimension {
        id: r.0,
        job_family: r.1,
        name: r.2,
        metric: Metric::parse(&r.3)?,
        normalisation: Normalisation::parse(&r.4, target)?,
    })
}

/// The model of a job family (all families when `None`), in display order.
pub async fn dimensions(db: &Db, job_family: Option<&str>) -> Result<Vec<Dimension>, StoreError> {
    let rows: Vec<DimRow> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, job_family, name, metric, normalisation, target FROM competency_dimensions \
             WHERE job_family = $1 OR $1 IS NULL ORDER BY job_family, sort_order, id",
        )
        .bind(job_family).fetch_all(pool).await?
    });
    rows.into_iter().map(to_dimension).collect()
}

/// Adds a dimension or changes one by (job family, name).
pub async fn save_dimension(
    tx: &mut Tx,
    job_family: &str,
    name: &str,
    metric: &Metric,
    normalisation: &Normalisation,
) -> Result<i64, StoreError> {
    let name = pulse_domain::competency::check_dimension(name)?;
    let job_family = job_family.trim();
    pulse_domain::org::required_text(job_family, 40, "岗位族", "job family")?;
    let target = match normalisation {
        Normalisation::Target { target } => Some(target.to_string()),
        Normalisation::Percentile => None,
    };
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO competency_dimensions (job_family, name, metric, normalisation, target, sort_order, updated_at) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM competency_dimensions WHERE job_family = $1), $6) \
             ON CONFLICT (job_family, name) DO UPDATE SET metric = excluded.metric, normalisation = excluded.normalisation, \
               target = excluded.target, updated_at = excluded.updated_at RETURNING id",
        )
        .bind(job_family).bind(&name).bind(metric.code()).bind(normalisation.kind()).bind(target).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

pub async fn delete_dimension(tx: &mut Tx, id: i64) -> Result<bool, StoreError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("DELETE FROM competency_dimensions WHERE id = $1").bind(id).execute(conn).await?.rows_affected()
    });
    Ok(n > 0)
}

/// Logs that `viewer` looked at `person`'s radar (H3 reads these).
pub async fn log_view(db: &Db, person_id: i64, viewer_id: i64) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("INSERT INTO radar_views (person_id, viewer_id, viewed_at) VALUES ($1, $2, $3)")
            .bind(person_id).bind(viewer_id).bind(db.now_ms()).execute(pool).await?;
    });
    Ok(())
}

/// The radar's window: the 90 days up to `today` (China time), from its
/// first midnight, as (first day, from ms).
pub fn radar_window(today: chrono::NaiveDate) -> (chrono::NaiveDate, i64) {
    let first = today - chrono::Days::new(90);
    (first, crate::day_start_ms(first))
}

type Figures = HashMap<i64, HashMap<String, f64>>;
type CachedFigures = (std::time::Instant, std::sync::Arc<Figures>);

static FIGURES: std::sync::LazyLock<std::sync::Mutex<HashMap<String, CachedFigures>>> =
    std::sync::LazyLock::new(Default::default);

/// How long a peer group's figures are reused. A radar covers 90 days, so
/// a few minutes' lag is invisible, while computing a group of 400 reps
/// takes 50–100 ms: the first view of a group pays, the next ones do not.
const FIGURES_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// Empties the cache (benchmarks measure a group's first view after warming).
pub fn forget_peer_figures() {
    if let Ok(mut map) = FIGURES.lock() {
        map.clear();
    }
}

fn figures_key(db: &Db, job_family: &str, level: &str, metrics: &[Metric], from: i64) -> String {
    let codes: Vec<String> = metrics.iter().map(Metric::code).collect();
    format!(
        "{}|{job_family}|{level}|{from}|{}",
        db.key(),
        codes.join(",")
    )
}

/// [`peer_figures`] through a per-instance cache keyed by database, group,
/// metrics and the window's start.
pub async fn peer_figures_cached(
    db: &Db,
    job_family: &str,
    level: &str,
    metrics: &[Metric],
    from: i64,
    to: i64,
) -> Result<std::sync::Arc<Figures>, StoreError> {
    let key = figures_key(db, job_family, level, metrics, from);
    if let Ok(map) = FIGURES.lock()
        && let Some((at, f)) = map.get(&key)
        && at.elapsed() < FIGURES_FOR
    {
        return Ok(f.clone());
    }
    refresh_figures(db, key, job_family, level, metrics, from, to).await
}

async fn refresh_figures(
    db: &Db,
    key: String,
    job_family: &str,
    level: &str,
    metrics: &[Metric],
    from: i64,
    to: i64,
) -> Result<std::sync::Arc<Figures>, StoreError> {
    let f = std::sync::Arc::new(peer_figures(db, job_family, level, metrics, from, to).await?);
    if let Ok(mut map) = FIGURES.lock() {
        map.retain(|_, (at, _)| at.elapsed() < FIGURES_FOR);
        map.insert(key, (std::time::Instant::now(), f.clone()));
    }
    Ok(f)
}

/// Recomputes every peer group that has a model (each job family with
/// dimensions × each level of its active people) into the cache, so no
/// viewer pays for a group's first radar. `pulse serve` runs this at start
/// and every few minutes on each instance. Returns the groups computed.
pub async fn warm_peer_figures(db: &Db, today: chrono::NaiveDate) -> Result<usize, StoreError> {
    let (_, from) = radar_window(today);
    let to = db.now_ms();
    let dims = dimensions(db, None).await?;
    let groups: Vec<(String, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT DISTINCT job_family, level FROM people WHERE status = 'active' ORDER BY job_family, level")
            .fetch_all(pool).await?
    });
    let mut n = 0;
    for (family, level) in groups {
        let metrics: Vec<Metric> = dims
            .iter()
            .filter(|d| d.job_family == family)
            .map(|d| d.metric.clone())
            .collect();
        if metrics.is_empty() {
            continue;
        }
        let key = figures_key(db, &family, &level, &metrics, from);
        refresh_figures(db, key, &family, &level, &metrics, from, to).await?;
        n += 1;
    }
    Ok(n)
}

/// Raw figures of every active person of a peer group (job family and
/// level) over `[from, to)`: person id → metric code → value. A person
/// without data for a metric has no entry for it.
pub async fn peer_figures(
    db: &Db,
    job_family: &str,
    level: &str,
    metrics: &[Metric],
    from: i64,
    to: i64,
) -> Result<HashMap<i64, HashMap<String, f64>>, StoreError> {
    let peers: Vec<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT id FROM people WHERE job_family = $1 AND level = $2 AND status = 'active'")
            .bind(job_family).bind(level).fetch_all(pool).await?
    });
    let mut out: HashMap<i64, HashMap<String, f64>> =
        peers.iter().map(|(id,)| (*id, HashMap::new())).collect();
    if peers.is_empty() {
        return Ok(out);
    }
    // The peers' ids (integers read above) inline: the per-person indexes
    // then serve every query, instead of a scan of 90 days of everyone's rows.
    let ids = peers
        .iter()
        .map(|(id,)| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let weeks = ((to - from) as f64 / (7.0 * 86_400_000.0)).max(1.0 / 7.0);

    if metrics.iter().any(|m| matches!(m, Metric::FeedbackTag(_))) {
        let sql = format!(
            "SELECT f.author_id, t.name, CAST(SUM(r.rating) AS BIGINT), COUNT(*) FROM feedback_cards f \
             JOIN feedback_ratings r ON r.card_id = f.id JOIN feedback_tags t ON t.id = r.tag_id \
             WHERE f.author_id IN ({ids}) AND f.created_at >= $1 AND f.created_at < $2 \
             GROUP BY f.author_id, t.name"
        );
        let rows: Vec<(i64, String, i64, i64)> = on_db!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
        });
        for (person, tag, sum, n) in rows {
            if let Some(m) = out.get_mut(&person) {
                m.insert(
                    Metric::FeedbackTag(tag).code(),
                    sum as f64 / n.max(1) as f64,
                );
            }
        }
    }

    if metrics.contains(&Metric::KeyAccountPenetration) {
        let sql = format!(
            "SELECT c.owner_id, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id \
               AND e.person_id = c.owner_id AND e.kind IN ('visit', 'snapshot') AND e.occurred_at >= $1 AND e.occurred_at < $2) \
               THEN 1 ELSE 0 END) \
             FROM customers c WHERE c.owner_id IN ({ids}) AND c.tier = 'A' GROUP BY c.owner_id"
        );
        let rows: Vec<(i64, i64, i64)> = on_db!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
        });
        for (person, owned, touched) in rows {
            if let Some(m) = out.get_mut(&person)
                && owned > 0
            {
                m.insert(
                    Metric::KeyAccountPenetration.code(),
                    touched as f64 * 100.0 / owned as f64,
                );
            }
        }
    }

    // R1: review scores as a radar source, the latest released before `to`.
    if metrics.contains(&Metric::ReviewRating) {
        let sql = format!(
            "SELECT person_id, COALESCE(calibrated_rating, rating) FROM reviews WHERE person_id IN ({ids}) \
             AND state IN ('released', 'acknowledged') AND released_at < $1 AND rating IS NOT NULL ORDER BY released_at, id"
        );
        let rows: Vec<(i64, f64)> = on_db!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(to).fetch_all(pool).await?
        });
        for (person, rating) in rows {
            if let Some(m) = out.get_mut(&person) {
                m.insert(Metric::ReviewRating.code(), rating);
            }
        }
    }

    // Counted kinds need no payload; payload kinds are read and parsed.
    let mut kinds: Vec<&str> = Vec::new();
    for m in metrics {
        kinds.extend(match m {
            Metric::VisitsPerWeek => &["visit"][..],
            Metric::EvaluationScore => &["evaluation"],
            Metric::OnTimeDelivery => &["delivery"],
            Metric::ResponseMinutes | Metric::PartsUsage => &["work_order"],
            Metric::TicketsPerWeek
            | Metric::TicketResolvedRate
            | Metric::TicketMinutes
            | Metric::SoothingRate => &["service_ticket"],
            Metric::FeedbackTag(_) | Metric::KeyAccountPenetration | Metric::ReviewRating => &[],
        });
    }
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.is_empty() {
        return Ok(out);
    }
    let list = kinds
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT e.person_id, e.kind, CASE WHEN e.kind = 'visit' THEN '' ELSE e.payload_json END FROM events e \
         WHERE e.person_id IN ({ids}) AND e.occurred_at >= $1 AND e.occurred_at < $2 AND e.kind IN ({list})"
    );
    let rows: Vec<(i64, String, String)> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
    });
    let mut acc: HashMap<i64, Acc> = HashMap::new();
    for (person, kind, json) in rows {
        let a = acc.entry(person).or_default();
        let kind = EventKind::from_code(&kind);
        if kind == Some(EventKind::Visit) {
            a.visits += 1;
            continue;
        }
        let p: Map<String, Value> = serde_json::from_str(&json).unwrap_or_default();
        match kind {
            Some(EventKind::Evaluation) => {
                if let Some(s) = p.get("score").and_then(Value::as_f64) {
                    a.scores.0 += s;
                    a.scores.1 += 1;
                }
            }
            Some(EventKind::Delivery) => {
                let due = p.get("due_at").and_then(pulse_domain::events::parse_time);
                let done = p
                    .get("delivered_at")
                    .and_then(pulse_domain::events::parse_time);
                if let (Some(due), Some(done)) = (due, done) {
                    a.deliveries.1 += 1;
                    a.deliveries.0 += u32::from(done <= due);
                }
            }
            Some(EventKind::WorkOrder) => {
                if let Some(m) = pulse_domain::events::response_minutes(&p) {
                    a.response.0 += m as f64;
                    a.response.1 += 1;
                }
                if let Some((pl, us)) = pulse_domain::events::parts(&p) {
                    a.parts.0 += pl;
                    a.parts.1 += us;
                }
            }
            _ => {
                a.tickets += 1;
                if p.get("resolved").and_then(Value::as_bool) == Some(true) {
                    a.resolved += 1;
                }
                if p.get("emotional").and_then(Value::as_bool) == Some(true) {
                    a.upset += 1;
                    if p.get("soothed").and_then(Value::as_bool) == Some(true) {
                        a.soothed += 1;
                    }
                }
                if let Some(m) = p.get("minutes").and_then(Value::as_f64) {
                    a.ticket_minutes.0 += m;
                    a.ticket_minutes.1 += 1;
                }
            }
        }
    }
    for (person, a) in acc {
        let Some(m) = out.get_mut(&person) else {
            continue;
        };
        let mut put = |metric: Metric, v: Option<f64>| {
            if let Some(v) = v
                && metrics.contains(&metric)
            {
                m.insert(metric.code(), v);
            }
        };
        put(Metric::VisitsPerWeek, Some(a.visits as f64 / weeks));
        put(Metric::EvaluationScore, mean(a.scores));
        put(
            Metric::OnTimeDelivery,
            (a.deliveries.1 > 0)
                .then(|| f64::from(a.deliveries.0) * 100.0 / f64::from(a.deliveries.1)),
        );
        put(Metric::ResponseMinutes, mean(a.response));
        put(
            Metric::PartsUsage,
            (a.parts.0 > 0).then(|| a.parts.1 as f64 * 100.0 / a.parts.0 as f64),
        );
        put(Metric::TicketsPerWeek, Some(a.tickets as f64 / weeks));
        put(
            Metric::TicketResolvedRate,
            (a.tickets > 0).then(|| a.resolved as f64 * 100.0 / a.tickets as f64),
        );
        put(Metric::TicketMinutes, mean(a.ticket_minutes));
        put(
            Metric::SoothingRate,
            (a.upset > 0).then(|| f64::from(a.soothed) * 100.0 / f64::from(a.upset)),
        );
    }
    // Counted metrics are 0, not missing, for a peer with no such events.
    for m in out.values_mut() {
        for metric in [Metric::VisitsPerWeek, Metric::TicketsPerWeek] {
            if metrics.contains(&metric) {
                m.entry(metric.code()).or_insert(0.0);
            }
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Acc {
    visits: u32,
    scores: (f64, u32),
    deliveries: (u32, u32),
    response: (f64, u32),
    parts: (i64, i64),
    tickets: u32,
    resolved: u32,
    ticket_minutes: (f64, u32),
    upset: u32,
    soothed: u32,
}

fn mean((sum, n): (f64, u32)) -> Option<f64> {
    (n > 0).then(|| sum / f64::from(n))
}
