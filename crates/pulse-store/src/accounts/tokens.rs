//! Scoped API tokens for integrations (X4, S1).

use crate::{Actor, Db, StoreError, Tx, audit};
use pulse_domain::Problem;
use pulse_domain::auth::{digest_secret, new_secret};
use serde::Serialize;

use super::*;

/// Scopes an API token may carry.
pub const TOKEN_SCOPES: [&str; 8] = [
    "people:read",
    "org:read",
    "people:write",
    "goals:read",
    "metrics:write",
    "crm:write",
    "events:write",
    "scim",
];

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// Issues an API token acting as `login` with `scopes`; returns (id, secret).
/// The secret is shown once and never stored.
pub async fn create_token(
    tx: &mut Tx,
    actor: &Actor,
    login: &str,
    name: &str,
    scopes: &[String],
    expires_at: Option<i64>,
) -> Result<(i64, String), StoreError> {
    let name = pulse_domain::org::required_text(name, 64, "令牌名称", "token name")?;
    if scopes.is_empty() {
        return Err(StoreError::Invalid(Problem::new(
            "no_scope",
            "至少选择一个权限范围",
            "choose at least one scope",
        )));
    }
    for s in scopes {
        if !TOKEN_SCOPES.contains(&s.as_str()) {
            return Err(StoreError::Invalid(Problem::new(
                "invalid_scope",
                format!("未知的令牌权限“{s}”"),
                format!("unknown token scope '{s}'"),
            )));
        }
    }
    let account: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM accounts WHERE login = $1").bind(login).fetch_optional(conn).await?
    });
    let Some((account_id,)) = account else {
        return Err(StoreError::Invalid(Problem::new(
            "unknown_account",
            format!("账号“{login}”不存在"),
            format!("no account '{login}'"),
        )));
    };
    let secret = format!("pulse_{}", new_secret());
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO api_tokens (name, token_digest, account_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(&name).bind(digest_secret(&secret)).bind(account_id).bind(scopes.join(" ")).bind(now).bind(expires_at)
            .fetch_one(conn).await?
    });
    audit::record::<(), _>(
        tx,
        actor,
        "create",
        "api_token",
        &id.to_string(),
        None,
        Some(&serde_json::json!({"name": name, "login": login, "scopes": scopes})),
    )
    .await?;
    Ok((id, secret))
}

pub async fn caller_by_token(db: &Db, secret: &str) -> Result<Option<Caller>, StoreError> {
    const SQL: &str = concat!(
        select_caller!(),
        ", api_tokens t WHERE t.account_id = a.id AND t.token_digest = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) AND a.disabled_at IS NULL AND p.status = 'active'"
    );
    let digest = digest_secret(secret);
    let now = db.now_ms();
    let found: Option<(CallerRow, String)> = on_db!(db, pool => {
        match sqlx::query_as::<_, CallerRow>(SQL).bind(&digest).bind(now).fetch_optional(pool).await? {
            Some(r) => {
                let (scopes,): (String,) = sqlx::query_as("UPDATE api_tokens SET last_used_at = $1 WHERE token_digest = $2 RETURNING scopes")
                    .bind(now).bind(&digest).fetch_one(pool).await?;
                Some((r, scopes))
            }
            None => None,
        }
    });
    match found {
        Some((row, scopes)) => {
            let scopes = scopes.split_whitespace().map(str::to_string).collect();
            Ok(Some(finish_caller(db, row, None, Some(scopes)).await?))
        }
        None => Ok(None),
    }
}

pub async fn list_tokens(db: &Db) -> Result<Vec<TokenInfo>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, TokenInfo>(
            "SELECT t.id, t.name, a.login, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.last_used_at \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.id DESC",
        )
        .fetch_all(pool).await?
    }))
}

pub async fn revoke_token(tx: &mut Tx, actor: &Actor, id: i64) -> Result<(), StoreError> {
    let now = tx.now_ms();
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now).bind(id).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        return Err(StoreError::NotFound(format!("token {id}")));
    }
    audit::record::<(), ()>(
        tx,
        actor,
        "revoke",
        "api_token",
        &id.to_string(),
        None,
        None,
    )
    .await?;
    Ok(())
}
