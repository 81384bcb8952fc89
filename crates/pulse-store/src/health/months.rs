//! The activity behind the dashboard's monthly lines, counted per person and
//! complete China-time month in one grouped query per source: own radar
//! views and development clicks (H3) and feedback cards received (H4).
//! Complete months do not change, so each instance keeps the counts and
//! only re-reads when a row arrived that falls inside the window.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{Datelike, NaiveDate};

use crate::{Db, StoreError, day_start_ms};

/// Twelve complete months ending before `today`'s month: (first day, start ms, end ms).
pub fn window(today: NaiveDate, months: u32) -> Vec<(NaiveDate, i64, i64)> {
    let first_of = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    let mut end = first_of(today);
    let mut out = Vec::new();
    for _ in 0..months {
        let start = first_of(end.pred_opt().unwrap_or(end));
        out.push((start, day_start_ms(start), day_start_ms(end)));
        end = start;
    }
    out.reverse();
    out
}

#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Per person, per month index of the window.
    pub engagement: HashMap<i64, Vec<i64>>,
    pub cards: HashMap<i64, Vec<i64>>,
}

struct Entry {
    start: i64,
    end: i64,
    marks: [i64; 3],
    counts: Arc<Counts>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Default::default);

const SOURCES: [(&str, &str, &str); 3] = [
    ("radar_views", "viewed_at", "viewer_id = person_id"),
    (
        "development_activity",
        "at",
        "viewer_id = person_id AND action = 'click'",
    ),
    ("feedback_cards", "created_at", "1 = 1"),
];

async fn marks(db: &Db) -> Result<[i64; 3], StoreError> {
    let (a, b, c): (Option<i64>, Option<i64>, Option<i64>) = on_db!(db, pool => {
        sqlx::query_as("SELECT (SELECT MAX(id) FROM radar_views), (SELECT MAX(id) FROM development_activity), (SELECT MAX(id) FROM feedback_cards)")
            .fetch_one(pool).await?
    });
    Ok([a.unwrap_or(0), b.unwrap_or(0), c.unwrap_or(0)])
}

/// Whether rows written since `old` land before `end` (a backdated import,
/// the demo's history); rows of the running month never do.
async fn touched(db: &Db, old: [i64; 3], now: [i64; 3], end: i64) -> Result<bool, StoreError> {
    for (i, (table, at, _)) in SOURCES.iter().enumerate() {
        if now[i] == old[i] {
            continue;
        }
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE id > $1 AND {at} < $2");
        let (n,): (i64,) = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(old[i]).bind(end).fetch_one(pool).await?);
        if n > 0 || now[i] < old[i] {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The counts for `months` (from [`window`]), from this instance's cache
/// when nothing inside the window changed.
pub async fn counts(db: &Db, months: &[(NaiveDate, i64, i64)]) -> Result<Arc<Counts>, StoreError> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Arc::default());
    };
    let (start, end) = (first.1, last.2);
    let key = db.key();
    let now = marks(db).await?;
    let cached = {
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&key)
            .filter(|e| e.start == start && e.end == end)
            .map(|e| (e.marks, e.counts.clone()))
    };
    if let Some((old, counts)) = cached
        && (old == now || !touched(db, old, now, end).await?)
    {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = cache.get_mut(&key) {
            e.marks = now;
        }
        return Ok(counts);
    }
    let counts = Arc::new(read(db, months).await?);
    CACHE.lock().unwrap_or_else(|p| p.into_inner()).insert(
        key,
        Entry {
            start,
            end,
            marks: now,
            counts: counts.clone(),
        },
    );
    Ok(counts)
}

/// Drops this instance's counts for `db` (benchmarks measure a cold read).
pub fn forget(db: &Db) {
    CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&db.key());
}

async fn read(db: &Db, months: &[(NaiveDate, i64, i64)]) -> Result<Counts, StoreError> {
    let start = months[0].1;
    let end = months[months.len() - 1].2;
    let bucket = |col: &str| {
        let mut s = String::from("CAST(CASE");
        for (i, m) in months.iter().enumerate().skip(1) {
            s.push_str(&format!(" WHEN {col} < {} THEN {}", m.1, i - 1));
        }
        s.push_str(&format!(" ELSE {} END AS BIGINT)", months.len() - 1));
        s
    };
    let mut out = Counts::default();
    for (i, (table, at, filter)) in SOURCES.iter().enumerate() {
        let sql = if *table == "feedback_cards" {
            format!(
                "SELECT e.person_id, {} AS m, COUNT(*) FROM feedback_cards c JOIN events e ON e.id = c.event_id \
                 WHERE c.created_at >= $1 AND c.created_at < $2 GROUP BY e.person_id, m",
                bucket("c.created_at")
            )
        } else {
            format!(
                "SELECT person_id, {} AS m, COUNT(*) FROM {table} WHERE {filter} AND {at} >= $1 AND {at} < $2 GROUP BY person_id, m",
                bucket(at)
            )
        };
        let rows: Vec<(i64, i64, i64)> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(start).bind(end).fetch_all(pool).await?);
        let target = if i == 2 {
            &mut out.cards
        } else {
            &mut out.engagement
        };
        for (person, m, n) in rows {
            let v = target
                .entry(person)
                .or_insert_with(|| vec![0; months.len()]);
            if let Some(slot) = v.get_mut(m as usize) {
                *slot += n;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_complete_months_end_before_this_one() {
        let w = window(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(), 12);
        assert_eq!(w.len(), 12);
        assert_eq!(w[0].0, NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
        assert_eq!(w[11].0, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(
            w[11].2,
            day_start_ms(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert!(w.windows(2).all(|p| p[0].2 == p[1].1));
    }
}
