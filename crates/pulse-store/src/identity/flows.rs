//! Sign-ins in flight (OIDC and WeChat Work). The state is the key, stored as
//! a digest; the flow is bound to the browser that started it by a cookie
//! whose digest is stored beside it, and taken once.

use pulse_domain::Problem;
use pulse_domain::auth::digest_secret;
use pulse_domain::identity::FLOW_TTL_MS;

use crate::{Db, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Flow {
    pub kind: String,
    pub browser_digest: String,
    pub nonce: String,
    pub verifier: String,
    pub next_path: String,
    pub created_at: i64,
    pub consumed_at: Option<i64>,
}

pub struct NewFlow<'a> {
    pub kind: &'a str,
    pub state: &'a str,
    pub browser: &'a str,
    pub nonce: &'a str,
    pub verifier: &'a str,
    pub next_path: &'a str,
}

pub async fn start(db: &Db, f: &NewFlow<'_>) -> Result<(), StoreError> {
    let now = db.now_ms();
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO login_flows (state_digest, kind, browser_digest, nonce, verifier, next_path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(digest_secret(f.state)).bind(f.kind).bind(digest_secret(f.browser)).bind(f.nonce)
        .bind(f.verifier).bind(f.next_path).bind(now)
        .execute(pool).await?;
        // Flows older than a day are only evidence of abandoned sign-ins.
        sqlx::query("DELETE FROM login_flows WHERE created_at < $1").bind(now - 24 * 3600 * 1000).execute(pool).await?;
    });
    Ok(())
}

fn refused(code: &'static str, zh: &str, en: &str) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

/// Takes the flow for `state` started in `browser`, once. A state from
/// another browser is refused without spending it, so a forged callback
/// cannot cancel the real person's sign-in.
pub async fn take(
    db: &Db,
    kind: &str,
    state: &str,
    browser: Option<&str>,
) -> Result<Flow, StoreError> {
    let digest = digest_secret(state);
    let found: Option<Flow> = on_db!(db, pool => {
        sqlx::query_as::<_, Flow>(
            "SELECT kind, browser_digest, nonce, verifier, next_path, created_at, consumed_at FROM login_flows WHERE state_digest = $1",
        )
        .bind(&digest).fetch_optional(pool).await?
    });
    let Some(flow) = found.filter(|f| f.kind == kind) else {
        return Err(refused(
            "sso_state_unknown",
            "登录请求无效或已失效，请重新登录",
            "this sign-in is unknown or has lapsed; start again",
        ));
    };
    if browser.map(digest_secret).as_deref() != Some(flow.browser_digest.as_str()) {
        return Err(refused(
            "sso_other_browser",
            "登录请求来自另一个浏览器，请在同一浏览器中重新登录",
            "this sign-in was started in another browser; start again here",
        ));
    }
    let now = db.now_ms();
    if flow.created_at + FLOW_TTL_MS < now {
        return Err(refused(
            "sso_state_expired",
            "登录已超时（10 分钟），请重新登录",
            "the sign-in took longer than 10 minutes; start again",
        ));
    }
    let n = on_db!(db, pool => {
        sqlx::query("UPDATE login_flows SET consumed_at = $1 WHERE state_digest = $2 AND consumed_at IS NULL")
            .bind(now).bind(&digest).execute(pool).await?.rows_affected()
    });
    if n == 0 {
        return Err(refused(
            "sso_state_used",
            "这次登录已经完成过，不能重复使用",
            "this sign-in was already completed",
        ));
    }
    Ok(flow)
}
