//! `Idempotency-Key` (P5, F2): a retried request with the same key and the
//! same body gets the first answer again and changes nothing; the same key
//! with another body is refused (409). The answer is stored in the same
//! transaction as the work, by the store function doing the work.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pulse_store::accounts::Caller;
use pulse_store::events::{self, StoredAnswer};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// One request's key: who sent it (keys are per caller and per route),
/// the key, and a digest of the body.
#[derive(Debug, Clone)]
pub struct Key {
    pub scope: String,
    pub key: String,
    pub hash: String,
}

impl Key {
    pub fn as_store(&self) -> events::IdemKey<'_> {
        events::IdemKey {
            scope: &self.scope,
            key: &self.key,
            hash: &self.hash,
        }
    }
}

/// Whether an error is the lost race of two requests with one key.
pub fn is_race(e: &AppError) -> bool {
    e.code == events::IDEMPOTENCY_RACE
}

/// Reads the header. `None` when absent; a malformed key is a 400.
pub fn from_headers(
    headers: &HeaderMap,
    caller: &Caller,
    route: &str,
    body: &serde_json::Value,
) -> AppResult<Option<Key>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw.to_str().unwrap_or("").trim();
    // As the documented pattern says: visible ASCII only, no inner spaces.
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(AppError::bad_request(
            "Idempotency-Key 必须是 1–200 个可见字符",
            "Idempotency-Key must be 1–200 visible characters",
        ));
    }
    // Value::to_string writes object keys in sorted order, so the same body
    // with other whitespace or key order is the same request.
    Ok(Some(Key {
        scope: format!("{route}:{}", caller.account_id),
        key: key.to_string(),
        hash: pulse_domain::auth::digest_secret(&body.to_string()),
    }))
}

fn replay(stored: StoredAnswer, hash: &str) -> AppResult<Response> {
    if stored.request_hash != hash {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "这个 Idempotency-Key 已用于另一个请求内容",
            "this Idempotency-Key was already used with a different body",
        ));
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&stored.body).unwrap_or_default();
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        "idempotent-replayed",
        axum::http::HeaderValue::from_static("true"),
    );
    Ok(res)
}

/// The stored answer for a key seen before, if any.
pub async fn earlier(state: &AppState, key: Option<&Key>) -> AppResult<Option<Response>> {
    let Some(k) = key else { return Ok(None) };
    match events::idempotent_answer(&state.db, &k.scope, &k.key).await? {
        Some(stored) => replay(stored, &k.hash).map(Some),
        None => Ok(None),
    }
}

/// After a conflict on commit (two requests with one key at once): the
/// winner's answer.
pub async fn after_race(state: &AppState, key: &Key) -> AppResult<Response> {
    match events::idempotent_answer(&state.db, &key.scope, &key.key).await? {
        Some(stored) => replay(stored, &key.hash),
        None => Err(AppError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "同一个 Idempotency-Key 的请求正在处理，请稍后重试",
            "a request with this Idempotency-Key is in progress; retry shortly",
        )),
    }
}
