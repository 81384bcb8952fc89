//! A closed period's metric values (L1 input), taken once per period: each
//! active person's value of every catalogue metric over the period, with
//! their rank and percentile in their peer group (job family × level) then.
//! Rules read these rows, never live data, so a rule evaluated again next
//! year reads what it read this year.

use std::collections::HashMap;

use pulse_domain::competency::Metric;
use pulse_domain::linkage::{Catalog, History, Standing, standings};

use super::{CALIBRATED_RATING, CARDS_RECEIVED, GOAL_SCORE, KPI_PREFIX};
use crate::bulk::{self, Cell};
use crate::goals::Period;
use crate::{Db, StoreError};

/// A person as they were when the period's values were taken.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodPerson {
    pub person_id: i64,
    pub job_family: String,
    pub level: String,
    pub region: String,
}

/// When the period's values were taken (ms), if they were.
pub async fn taken_at(db: &Db, period_id: i64) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT taken_at FROM period_snapshots WHERE period_id = $1")
            .bind(period_id).fetch_optional(pool).await?
    });
    Ok(row.map(|r| r.0))
}

/// The window of a period: [first midnight, the midnight after the last day).
fn window(p: &Period) -> (i64, i64) {
    let next = p.ends_on.succ_opt().unwrap_or(p.ends_on);
    (crate::day_start_ms(p.starts_on), crate::day_start_ms(next))
}

/// Each active person's peer group and region (the region is the nearest
/// unit of kind region above their unit; '' when there is none).
async fn people(db: &Db) -> Result<Vec<PeriodPerson>, StoreError> {
    let units: Vec<(i64, Option<i64>, String, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, parent_id, kind, name FROM org_units").fetch_all(pool).await?
    });
    let by_id: HashMap<i64, (Option<i64>, &str, &str)> = units
        .iter()
        .map(|(id, parent, kind, name)| (*id, (*parent, kind.as_str(), name.as_str())))
        .collect();
    let region_of = |mut unit: i64| -> String {
        for _ in 0..32 {
            let Some((parent, kind, name)) = by_id.get(&unit) else {
                break;
            };
            if *kind == "region" {
                return (*name).to_string();
            }
            match parent {
                Some(p) => unit = *p,
                None => break,
            }
        }
        String::new()
    };
    let rows: Vec<(i64, String, String, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, job_family, level, org_unit_id FROM people WHERE status = 'active' ORDER BY id")
            .fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(person_id, job_family, level, unit)| PeriodPerson {
            person_id,
            job_family,
            level,
            region: region_of(unit),
        })
        .collect())
}

/// The period's final ratings: (person, rating, calibrated rating).
async fn ratings(db: &Db, period_id: i64) -> Result<Vec<(i64, f64, Option<f64>)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT person_id, rating, calibrated_rating FROM reviews WHERE period_id = $1 \
             AND rating IS NOT NULL AND state IN ('calibrated', 'released', 'acknowledged')",
        )
        .bind(period_id).fetch_all(pool).await?
    }))
}

async fn insert_metrics(
    tx: &mut crate::Tx,
    period_id: i64,
    ranked: Vec<(i64, String, Standing)>,
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Cell>> = ranked
        .into_iter()
        .map(|(person, key, s)| {
            vec![
                period_id.into(),
                person.into(),
                key.into(),
                s.value.into(),
                i64::from(s.rank).into(),
                i64::from(s.peers).into(),
                s.percentile.into(),
            ]
        })
        .collect();
    bulk::insert(
        tx,
        "period_metrics",
        &[
            "period_id",
            "person_id",
            "metric",
            "value",
            "rank",
            "peers",
            "percentile",
        ],
        &rows,
    )
    .await?;
    Ok(())
}

/// Person → metric key → value over the period, for everyone in `who`.
async fn values(
    db: &Db,
    period: &Period,
    catalog: &Catalog,
    who: &[PeriodPerson],
) -> Result<HashMap<i64, HashMap<String, f64>>, StoreError> {
    let (from, to) = window(period);
    // Radar sources, per peer group (the period's review is read below).
    let metrics: Vec<Metric> = catalog
        .metrics
        .iter()
        .filter_map(|m| Metric::parse(&m.key).ok())
        .filter(|m| *m != Metric::ReviewRating)
        .collect();
    let mut groups: Vec<(&str, &str)> = who
        .iter()
        .map(|p| (p.job_family.as_str(), p.level.as_str()))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let mut out: HashMap<i64, HashMap<String, f64>> = HashMap::new();
    for (family, level) in groups {
        let f = crate::competency::peer_figures(db, family, level, &metrics, from, to).await?;
        out.extend(f);
    }
    let ids: Vec<i64> = who.iter().map(|p| p.person_id).collect();
    let mut put = |person: i64, key: String, v: f64| {
        if let Some(m) = out.get_mut(&person) {
            m.insert(key, v);
        }
    };
    let reviews = ratings(db, period.id).await?;
    for (person, rating, calibrated) in reviews {
        put(person, "review_rating".into(), calibrated.unwrap_or(rating));
        if let Some(c) = calibrated {
            put(person, CALIBRATED_RATING.into(), c);
        }
    }
    let cards: Vec<(i64, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT author_id, COUNT(*) FROM feedback_cards WHERE created_at >= $1 AND created_at < $2 GROUP BY author_id",
        )
        .bind(from).bind(to).fetch_all(pool).await?
    });
    let mut counted: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for (person, n) in cards {
        counted.insert(person);
        put(person, CARDS_RECEIVED.into(), n as f64);
    }
    for id in &ids {
        if !counted.contains(id) {
            put(*id, CARDS_RECEIVED.into(), 0.0);
        }
    }
    let goals = crate::goals::goals_of_people(db, &ids, period.id).await?;
    for (person, gs) in goals {
        if gs.iter().any(|g| pulse_domain::goals::is_weighted(&g.kind)) {
            let score = crate::goals::weighted_score_bp(&gs);
            put(person, GOAL_SCORE.into(), score as f64 / 100.0);
        }
        for g in gs {
            if let Some(code) = g.metric_code {
                put(
                    person,
                    format!("{KPI_PREFIX}{code}"),
                    g.progress_bp as f64 / 100.0,
                );
            }
        }
    }
    Ok(out)
}

/// Standings per person and metric key, ranked within each peer group.
fn rank(
    catalog: &Catalog,
    who: &[PeriodPerson],
    values: &HashMap<i64, HashMap<String, f64>>,
) -> Vec<(i64, String, Standing)> {
    let mut groups: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for p in who {
        groups
            .entry((p.job_family.as_str(), p.level.as_str()))
            .or_default()
            .push(p.person_id);
    }
    let mut keys: Vec<&String> = values.values().flat_map(|m| m.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for members in groups.values() {
        for key in &keys {
            let higher = catalog
                .metrics
                .iter()
                .find(|m| &m.key == *key)
                .is_none_or(|m| m.higher_is_better);
            let vals: Vec<(i64, f64)> = members
                .iter()
                .filter_map(|p| Some((*p, *values.get(p)?.get(*key)?)))
                .collect();
            for (person, s) in standings(&vals, higher) {
                out.push((person, (*key).clone(), s));
            }
        }
    }
    out
}

/// Takes the period's values unless they are taken. The period must be
/// closed: an open period's values still move. Returns whether it took them.
pub async fn ensure(db: &Db, period: &Period) -> Result<bool, StoreError> {
    if period.state == "open" || taken_at(db, period.id).await?.is_some() {
        return Ok(false);
    }
    let catalog = super::catalog(db).await?;
    let who = people(db).await?;
    let values = values(db, period, &catalog, &who).await?;
    let ranked = rank(&catalog, &who, &values);
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    // First, so a second instance taking the same period at the same time
    // stops at the key instead of writing the rows twice.
    let claimed = on_tx!(&mut tx, conn => {
        sqlx::query("INSERT INTO period_snapshots (period_id, people, taken_at) VALUES ($1, $2, $3) ON CONFLICT (period_id) DO NOTHING")
            .bind(period.id).bind(who.len() as i64).bind(now).execute(conn).await?.rows_affected()
    });
    if claimed == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let people_rows: Vec<Vec<Cell>> = who
        .iter()
        .map(|p| {
            vec![
                period.id.into(),
                p.person_id.into(),
                p.job_family.as_str().into(),
                p.level.as_str().into(),
                p.region.as_str().into(),
            ]
        })
        .collect();
    bulk::insert(
        &mut tx,
        "period_people",
        &["period_id", "person_id", "job_family", "level", "region"],
        &people_rows,
    )
    .await?;
    insert_metrics(&mut tx, period.id, ranked).await?;
    tx.commit().await?;
    Ok(true)
}

/// Retakes the period's ratings when a calibration finalized after the
/// values were taken (calibrated ratings are the ones rules should read);
/// every other value stays as taken. Returns whether it changed anything.
pub async fn refresh_ratings(db: &Db, period: &Period) -> Result<bool, StoreError> {
    let Some(taken) = taken_at(db, period.id).await? else {
        return Ok(false);
    };
    let (last,): (Option<i64>,) = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT MAX(s.finalized_at) FROM calibration_sessions s JOIN review_cycles c ON c.id = s.cycle_id \
             WHERE c.period_id = $1 AND s.state = 'finalized'",
        )
        .bind(period.id).fetch_one(pool).await?
    });
    if last.is_none_or(|l| l <= taken) {
        return Ok(false);
    }
    let catalog = super::catalog(db).await?;
    let who = group_of(db, period.id).await?;
    let mut values: HashMap<i64, HashMap<String, f64>> =
        who.iter().map(|p| (p.person_id, HashMap::new())).collect();
    let reviews = ratings(db, period.id).await?;
    for (person, rating, calibrated) in reviews {
        if let Some(m) = values.get_mut(&person) {
            m.insert("review_rating".into(), calibrated.unwrap_or(rating));
            if let Some(c) = calibrated {
                m.insert(CALIBRATED_RATING.into(), c);
            }
        }
    }
    let ranked = rank(&catalog, &who, &values);
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("DELETE FROM period_metrics WHERE period_id = $1 AND metric IN ('review_rating', 'calibrated_rating')")
            .bind(period.id).execute(conn).await?;
    });
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE period_snapshots SET taken_at = $1 WHERE period_id = $2")
            .bind(now).bind(period.id).execute(conn).await?;
    });
    insert_metrics(&mut tx, period.id, ranked).await?;
    tx.commit().await?;
    Ok(true)
}

/// The people of a taken period, as they were then.
pub async fn group_of(db: &Db, period_id: i64) -> Result<Vec<PeriodPerson>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT person_id, job_family, level, region FROM period_people WHERE period_id = $1 ORDER BY person_id")
            .bind(period_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(person_id, job_family, level, region)| PeriodPerson {
            person_id,
            job_family,
            level,
            region,
        })
        .collect())
}

type MetricRow = (i64, i64, String, f64, i64, i64, f64);

/// What rules read about everyone in the last of `periods` (oldest first):
/// one [`History`] per person of that period, with a standing per period
/// where they had a value. `only` limits it to some people.
pub async fn histories(
    db: &Db,
    periods: &[Period],
    only: Option<&[i64]>,
) -> Result<HashMap<i64, History>, StoreError> {
    let Some(last) = periods.last() else {
        return Ok(HashMap::new());
    };
    let wanted: Option<std::collections::HashSet<i64>> =
        only.map(|ids| ids.iter().copied().collect());
    let codes: Vec<String> = periods.iter().map(|p| p.code.clone()).collect();
    let mut out: HashMap<i64, History> = group_of(db, last.id)
        .await?
        .into_iter()
        .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.person_id)))
        .map(|p| {
            (
                p.person_id,
                History {
                    periods: codes.clone(),
                    values: HashMap::new(),
                    job_family: p.job_family,
                    level: p.level,
                    region: p.region,
                },
            )
        })
        .collect();
    let n = periods.len();
    for (i, p) in periods.iter().enumerate() {
        let rows: Vec<MetricRow> = match &wanted {
            Some(w) if w.len() <= 50 => {
                let list = w.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                let sql = format!(
                    "SELECT period_id, person_id, metric, value, rank, peers, percentile FROM period_metrics \
                     WHERE period_id = $1 AND person_id IN ({list})"
                );
                on_db!(db, pool => {
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(p.id).fetch_all(pool).await?
                })
            }
            _ => on_db!(db, pool => {
                sqlx::query_as(
                    "SELECT period_id, person_id, metric, value, rank, peers, percentile FROM period_metrics WHERE period_id = $1",
                )
                .bind(p.id).fetch_all(pool).await?
            }),
        };
        for (_, person, metric, value, rank, peers, percentile) in rows {
            let Some(h) = out.get_mut(&person) else {
                continue;
            };
            let slot = h.values.entry(metric).or_insert_with(|| vec![None; n]);
            slot[i] = Some(Standing {
                value,
                rank: rank as u32,
                peers: peers as u32,
                percentile,
            });
        }
    }
    Ok(out)
}
