//! How cards are written: the per-instance rules cache and the group commit that writes concurrent cards in one transaction (F1, F2).

use crate::{Db, StoreError, events, points};

use super::*;

pub(super) type CachedRules = (std::time::Instant, std::sync::Arc<CardRules>);

static CARD_RULES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, CachedRules>>,
> = std::sync::LazyLock::new(Default::default);

/// Every card checks against the library and the window; they change a few
/// times a year, so each instance keeps them for two seconds (another
/// instance sees an HR change that much later; this one at once).
pub(super) const RULES_FOR: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) async fn card_rules(db: &Db) -> Result<std::sync::Arc<CardRules>, StoreError> {
    let key = db.key();
    if let Ok(map) = CARD_RULES.lock()
        && let Some((at, r)) = map.get(&key)
        && at.elapsed() < RULES_FOR
    {
        return Ok(r.clone());
    }
    // The library and the window in one round trip.
    let rows: Vec<(i64, String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, name, (SELECT value FROM app_settings WHERE name = 'feedback_window_hours') \
             FROM feedback_tags WHERE active = 1 ORDER BY sort_order, id",
        )
        .fetch_all(pool).await?
    });
    let window_hours = rows
        .first()
        .and_then(|r| r.2.as_deref())
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_WINDOW_HOURS);
    let r = std::sync::Arc::new(CardRules {
        library: rows.into_iter().map(|r| (r.0, r.1)).collect(),
        window_hours,
    });
    if let Ok(mut map) = CARD_RULES.lock() {
        map.insert(key, (std::time::Instant::now(), r.clone()));
    }
    Ok(r)
}

/// Called by every change to the library or the window.
pub(super) fn forget_card_rules() {
    if let Ok(mut map) = CARD_RULES.lock() {
        map.clear();
    }
}

/// A checked card waiting to be written.
pub(super) struct CardWrite {
    pub(super) event_id: i64,
    pub(super) author_id: i64,
    pub(super) observation: String,
    pub(super) earned: i64,
    /// (tag id, rating)
    pub(super) ratings: Vec<(i64, i64)>,
    /// Idempotency scope, key and request hash.
    pub(super) idem: Option<(String, String, String)>,
    pub(super) now: i64,
}

pub(super) type CardGroup = std::sync::Arc<crate::group_commit::Group<CardWrite, CardOutcome>>;

static CARD_GROUPS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, CardGroup>>,
> = std::sync::LazyLock::new(Default::default);

/// Concurrent cards of one database are written in shared transactions
/// (the card benchmark: 64 reps at once). An in-memory SQLite database has
/// no name to share a group by, so its cards are written one by one.
pub(super) fn card_group(db: &Db) -> Option<CardGroup> {
    let key = db.key();
    if key == "sqlite:" || key.ends_with(":memory:") {
        return None;
    }
    let mut map = CARD_GROUPS.lock().ok()?;
    Some(
        map.entry(key)
            .or_insert_with(|| {
                let writers = match db.engine() {
                    crate::Engine::Sqlite => 1,
                    crate::Engine::Postgres => 4,
                };
                std::sync::Arc::new(crate::group_commit::Group::new(100, writers))
            })
            .clone(),
    )
}

/// Writes a batch of cards in one transaction; when that fails (a racing
/// second card for a visit, an idempotency key used meanwhile), each card
/// is written alone so every request gets its own answer.
pub(super) async fn write_cards(
    db: Db,
    jobs: Vec<CardWrite>,
) -> Vec<Result<CardOutcome, StoreError>> {
    if jobs.len() > 1
        && let Ok(done) = write_batch(&db, &jobs).await
    {
        return done.into_iter().map(Ok).collect();
    }
    let mut out = Vec::with_capacity(jobs.len());
    for job in &jobs {
        out.push(
            write_batch(&db, std::slice::from_ref(job))
                .await
                .map(|mut v| v.remove(0)),
        );
    }
    out
}

pub(super) async fn write_batch(
    db: &Db,
    jobs: &[CardWrite],
) -> Result<Vec<CardOutcome>, StoreError> {
    use crate::bulk::{self, Cell};
    let mut tx = db.begin().await?;
    let rows: Vec<Vec<Cell>> = jobs
        .iter()
        .map(|j| {
            vec![
                Cell::Int(j.event_id),
                Cell::Int(j.author_id),
                Cell::Text(j.observation.clone()),
                Cell::Int(j.earned),
                Cell::Int(j.now),
            ]
        })
        .collect();
    let inserted = bulk::insert_returning(
        &mut tx,
        "feedback_cards",
        &[
            "event_id",
            "author_id",
            "observation",
            "points_awarded",
            "created_at",
        ],
        &rows,
        "",
        ["event_id", "id"],
    )
    .await
    .map_err(|e| match e {
        // The unique event_id turns a racing second card into a refusal.
        StoreError::Conflict(_) => card_exists(),
        e => e,
    })?;
    let ids: std::collections::HashMap<i64, i64> = inserted.into_iter().collect();
    let card_id = |j: &CardWrite| {
        ids.get(&j.event_id).copied().ok_or_else(|| {
            StoreError::Config(format!("card for event {} not returned", j.event_id))
        })
    };
    let mut ratings = Vec::new();
    for j in jobs {
        let id = card_id(j)?;
        for (tag, rating) in &j.ratings {
            ratings.push(vec![Cell::Int(id), Cell::Int(*tag), Cell::Int(*rating)]);
        }
    }
    bulk::insert(
        &mut tx,
        "feedback_ratings",
        &["card_id", "tag_id", "rating"],
        &ratings,
    )
    .await?;
    // One balance write per author (an author may have several cards here;
    // PostgreSQL refuses to upsert one row twice in a statement).
    let mut earned: std::collections::BTreeMap<i64, i64> = Default::default();
    for j in jobs {
        *earned.entry(j.author_id).or_default() += j.earned;
    }
    let rows: Vec<Vec<Cell>> = earned
        .iter()
        .map(|(p, d)| vec![Cell::Int(*p), Cell::Int(*d)])
        .collect();
    let balances = points::add_to_balances(&mut tx, &rows).await?;
    // Ledger rows in card order: each shows the balance after its own point.
    let mut after: std::collections::HashMap<i64, i64> = balances.iter().copied().collect();
    let mut ledger = Vec::new();
    let mut outcomes = vec![None; jobs.len()];
    for (i, j) in jobs.iter().enumerate().rev() {
        let id = card_id(j)?;
        let balance = after.get(&j.author_id).copied().unwrap_or(0);
        if j.earned > 0 {
            ledger.push(vec![
                Cell::Int(j.author_id),
                Cell::Int(j.earned),
                Cell::Int(balance),
                Cell::Text("feedback_card".into()),
                Cell::Text(format!("card:{id}")),
                Cell::Int(j.now),
            ]);
            after.insert(j.author_id, balance - j.earned);
        }
        outcomes[i] = Some(CardOutcome {
            id,
            points_awarded: j.earned,
            balance,
        });
    }
    ledger.reverse();
    bulk::insert(
        &mut tx,
        "points_ledger",
        &[
            "person_id",
            "delta",
            "balance_after",
            "reason",
            "source_key",
            "created_at",
        ],
        &ledger,
    )
    .await?;
    let outcomes: Vec<CardOutcome> = outcomes.into_iter().flatten().collect();
    let mut answers = Vec::new();
    for (j, o) in jobs.iter().zip(&outcomes) {
        if let Some((scope, key, hash)) = &j.idem {
            answers.push(vec![
                Cell::Text(scope.clone()),
                Cell::Text(key.clone()),
                Cell::Text(hash.clone()),
                Cell::Int(201),
                Cell::Text(serde_json::to_string(o).unwrap_or_default()),
                Cell::Int(j.now),
            ]);
        }
    }
    events::remember_answers(&mut tx, &answers).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Rewrites a card's observation. For data loads only (the demo plants its
/// story in text written in bulk); a person's card is never edited after it
/// is submitted.
pub async fn set_observation(tx: &mut Tx, card_id: i64, text: &str) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE feedback_cards SET observation = $1 WHERE id = $2")
            .bind(text).bind(card_id).execute(conn).await?;
    });
    Ok(())
}
