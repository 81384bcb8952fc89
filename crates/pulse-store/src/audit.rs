//! The append-only audit trail (S4). Writers call [`record`] inside the same
//! transaction as the change; the database refuses updates and deletes.

use serde::Serialize;

use crate::{Actor, StoreError, Tx};

pub async fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), StoreError> {
    let now = tx.now_ms();
    record_at(tx, now, actor, action, entity, entity_id, before, after).await
}

/// [`record`] at a given instant: for history written after the fact (the
/// demo's weeks of check-ins), never for what happens now.
#[allow(clippy::too_many_arguments)]
pub async fn record_at<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    now: i64,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), StoreError> {
    let before = before.map(|b| serde_json::to_string(b).unwrap_or_default());
    let after = after.map(|a| serde_json::to_string(a).unwrap_or_default());
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_label, action, entity, entity_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(now)
        .bind(actor.account_id)
        .bind(&actor.label)
        .bind(action)
        .bind(entity)
        .bind(entity_id)
        .bind(before)
        .bind(after)
        .execute(conn)
        .await?;
    });
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Newest first; `entity` and `entity_id` narrow the list when given.
pub async fn list(
    db: &crate::Db,
    entity: Option<&str>,
    entity_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = on_db!(db, pool => {
        sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor_label, action, entity, entity_id, before_json, after_json FROM audit_log \
             WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(entity)
        .bind(entity_id)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows)
}

/// What the audit page narrows the trail by (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor's label (name or login), any case.
    pub actor: Option<String>,
    /// One action code.
    pub action: Option<String>,
    /// `[from_ms, to_ms)`.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// One page of the trail, newest first, and how many entries match.
pub async fn search(
    db: &crate::Db,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), StoreError> {
    let actor = f
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let escaped = s
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
    const WHERE: &str = " WHERE ($1 IS NULL OR LOWER(actor_label) LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR action = $2) \
         AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)";
    let rows_sql = format!(
        "SELECT id, at, actor_label, action, entity, entity_id, before_json, after_json FROM audit_log{WHERE} \
         ORDER BY id DESC LIMIT $5 OFFSET $6"
    );
    let count_sql = format!("SELECT COUNT(*) FROM audit_log{WHERE}");
    Ok(on_db!(db, pool => {
        let rows = sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(rows_sql.clone()))
            .bind(&actor).bind(&f.action).bind(f.from_ms).bind(f.to_ms).bind(limit).bind(offset)
            .fetch_all(pool).await?;
        let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone()))
            .bind(&actor).bind(&f.action).bind(f.from_ms).bind(f.to_ms)
            .fetch_one(pool).await?;
        (rows, total)
    }))
}

/// The action codes the trail holds, for the page's filter.
pub async fn actions(db: &crate::Db) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT DISTINCT action FROM audit_log ORDER BY action").fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}
