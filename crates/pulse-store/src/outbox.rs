//! The transactional outbox (N3). Features call [`enqueue`] inside the
//! transaction of the change that causes the message: a rolled-back change
//! never notifies, a committed one always does. The delivery worker (in
//! `pulse-jobs`) claims due messages with a lease, so a crashed worker's
//! messages are picked up again once the lease runs out, and two instances
//! never hold the same message at once (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer).

use pulse_domain::Problem;
use serde::Serialize;

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Same key, same message: enqueueing it again does nothing.
    pub idempotency_key: String,
    /// Channel kind, e.g. `wecom_robot`.
    pub channel: String,
    /// Which configured channel (by name) or recipient the kind needs.
    pub target: String,
    pub subject: String,
    /// Markdown; each channel renders or trims it to its limits.
    pub body: String,
    /// Who receives it inside the channel (a WeChat Work user id …); empty for group robots.
    pub recipient: String,
    /// Hold the message until then (the end of the person's quiet hours).
    pub not_before: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Message {
    pub id: i64,
    pub idempotency_key: String,
    pub channel: String,
    pub target: String,
    pub subject: String,
    pub body: String,
    pub recipient: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// Enqueues a message in the caller's transaction; returns false when a
/// message with the same idempotency key exists already.
pub async fn enqueue(tx: &mut Tx, m: &NewMessage) -> Result<bool, StoreError> {
    pulse_domain::org::required_text(&m.idempotency_key, 200, "幂等键", "idempotency key")?;
    if m.body.trim().is_empty() {
        return Err(StoreError::Invalid(Problem::new(
            "empty_message",
            "消息内容为空",
            "the message is empty",
        )));
    }
    let now = tx.now_ms();
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, channel, target, subject, body, recipient, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $7, 'pending', 0, $8, $6) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&m.idempotency_key).bind(&m.channel).bind(&m.target).bind(&m.subject).bind(&m.body).bind(now).bind(&m.recipient)
        .bind(m.not_before.map_or(now, |t| t.max(now)))
        .execute(conn).await?.rows_affected()
    });
    Ok(n == 1)
}

const COLUMNS: &str = "id, idempotency_key, channel, target, subject, body, recipient, state, attempts, next_attempt_at, last_error, created_at, sent_at";

/// Claims up to `limit` due messages (pending and due, or sending with an
/// expired lease) for `lease_ms`, counting the attempt.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    const SQLITE: &str = "UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $2) \
                      OR (state = 'sending' AND lease_until < $2) ORDER BY id LIMIT $3) \
         RETURNING id, idempotency_key, channel, target, subject, body, recipient, state, attempts, next_attempt_at, last_error, created_at, sent_at";
    const POSTGRES: &str = "UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $2) \
                      OR (state = 'sending' AND lease_until < $2) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING id, idempotency_key, channel, target, subject, body, recipient, state, attempts, next_attempt_at, last_error, created_at, sent_at";
    let mut claimed = match db.pool() {
        crate::Pool::Sqlite(p) => {
            sqlx::query_as::<_, Message>(SQLITE)
                .bind(now + lease_ms)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await?
        }
        crate::Pool::Postgres(p) => {
            sqlx::query_as::<_, Message>(POSTGRES)
                .bind(now + lease_ms)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await?
        }
    };
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// Records a successful send. Only a message still held (state `sending`) is
/// acknowledged, so a late worker cannot overwrite a newer outcome.
pub async fn mark_sent(db: &Db, id: i64) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND state = 'sending'")
            .bind(db.now_ms()).bind(id).execute(pool).await?;
    });
    Ok(())
}

/// Records a failed attempt: retry at `retry_at`, or dead-letter when `None`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(1000).collect();
    on_db!(db, pool => {
        match retry_at {
            Some(at) => sqlx::query("UPDATE outbox SET state = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND state = 'sending'")
                .bind(at).bind(&error).bind(id).execute(pool).await?,
            None => sqlx::query("UPDATE outbox SET state = 'dead', lease_until = NULL, last_error = $1 WHERE id = $2 AND state = 'sending'")
                .bind(&error).bind(id).execute(pool).await?,
        };
    });
    Ok(())
}

/// Messages in one state, newest first (the admin's dead-letter view uses `dead`).
pub async fn list(db: &Db, state: &str, limit: i64) -> Result<Vec<Message>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE state = $1 ORDER BY id DESC LIMIT $2");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Message>(sqlx::AssertSqlSafe(sql.clone())).bind(state).bind(limit).fetch_all(pool).await?),
    )
}

/// Counts by state, for the admin page and metrics.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(
        on_db!(db, pool => sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state").fetch_all(pool).await?),
    )
}

/// Puts a dead letter back in the queue, with a fresh attempt budget.
pub async fn retry_dead(db: &Db, id: i64) -> Result<(), StoreError> {
    let n = on_db!(db, pool => {
        sqlx::query("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state = 'dead'")
            .bind(db.now_ms()).bind(id).execute(pool).await?.rows_affected()
    });
    if n == 0 {
        return Err(StoreError::NotFound(format!("dead letter {id}")));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ChannelConfig {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// Includes secrets: never render it.
    #[serde(skip)]
    pub config_json: String,
    pub enabled: i64,
}

pub async fn channels(db: &Db) -> Result<Vec<ChannelConfig>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, ChannelConfig>("SELECT id, name, kind, config_json, enabled FROM notify_channels ORDER BY name")
            .fetch_all(pool).await?
    }))
}

/// Creates or replaces a named channel's settings.
pub async fn save_channel(
    tx: &mut Tx,
    name: &str,
    kind: &str,
    config: &serde_json::Value,
    enabled: bool,
) -> Result<(), StoreError> {
    let name = pulse_domain::org::required_text(name, 64, "渠道名称", "channel name")?;
    let config = config.to_string();
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO notify_channels (name, kind, config_json, enabled, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET kind = $2, config_json = $3, enabled = $4",
        )
        .bind(&name).bind(kind).bind(&config).bind(i64::from(enabled)).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}
