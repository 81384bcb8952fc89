//! What every SCIM handler shares: the caller check, the body, paging and
//! the answer in SCIM's media type.

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pulse_domain::identity::scim::{LIST_SCHEMA, ScimError, page};
use pulse_domain::roles::Role;
use pulse_store::StoreError;
use pulse_store::accounts::Caller;
use pulse_store::identity::scim as store;
use serde_json::{Value, json};

use crate::AppState;

pub const MEDIA_TYPE: &str = "application/scim+json";
/// The token scope SCIM needs.
pub const SCOPE: &str = "scim";
/// A SCIM body larger than this is refused (413) before it is parsed; a
/// full Entra user is about 2 KB and a 2,000-member group PATCH ~100 KB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A SCIM answer: the resource or the error, in SCIM's media type.
pub fn reply(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What a SCIM handler works out: a response, or a refusal [`answer`] renders.
pub type Scim = Result<Response, ScimError>;

pub fn answer(r: Scim) -> Response {
    r.unwrap_or_else(|e| error(&e))
}

/// A resource; a created one also carries its `Location` (RFC 7644 §3.3).
pub fn resource(status: StatusCode, body: &Value) -> Response {
    let mut res = reply(status, body);
    if status == StatusCode::CREATED
        && let Some(loc) = body["meta"]["location"].as_str()
        && let Ok(loc) = HeaderValue::from_str(loc)
    {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub fn error(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = reply(status, &e.to_json());
    if e.status == 401 {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pulse-scim\""),
        );
    }
    res
}

/// Store refusals as SCIM errors: the store's SCIM problem codes carry the
/// `scimType`; anything unexpected is logged and answered 500 without detail.
pub fn store_error(e: StoreError) -> ScimError {
    match e {
        StoreError::NotFound(what) => ScimError::not_found(&what),
        StoreError::Invalid(p) | StoreError::Conflict(p) if p.code == store::UNIQUENESS => {
            ScimError::new(409, Some("uniqueness"), p.en)
        }
        // A group still holding people or history cannot go: a conflict with its state.
        StoreError::Conflict(p) if p.code == store::MUTABILITY => {
            ScimError::new(409, Some("mutability"), p.en)
        }
        StoreError::Invalid(p) if p.code == store::MUTABILITY => ScimError::bad("mutability", p.en),
        StoreError::Conflict(p) if p.code == "duplicate" => {
            ScimError::new(409, Some("uniqueness"), p.en)
        }
        StoreError::Conflict(p) => ScimError::new(409, None, p.en),
        StoreError::Invalid(p) => ScimError::bad("invalidValue", p.en),
        other => {
            tracing::error!(error = %other, "SCIM request failed");
            ScimError::new(500, None, "internal server error")
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The directory's caller: a live token with scope `scim` acting as an
/// administrator or HRBP. A session cookie or a token for the normal API is refused.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ScimError> {
    let Some(token) = bearer(headers) else {
        return Err(ScimError::new(
            401,
            None,
            "SCIM needs `Authorization: Bearer <token>` with a token of scope `scim`",
        ));
    };
    let found = pulse_store::accounts::caller_by_token(&state.db, token)
        .await
        .map_err(store_error)?;
    let Some(c) = found else {
        return Err(ScimError::new(
            401,
            None,
            "the token is invalid, expired or revoked",
        ));
    };
    if !c
        .token_scopes
        .as_ref()
        .is_some_and(|s| s.iter().any(|s| s == SCOPE))
    {
        return Err(ScimError::new(
            403,
            None,
            "this token lacks the `scim` scope; issue one with scope `scim` for provisioning",
        ));
    }
    if !(c.has_role(Role::Admin) || c.has_role(Role::Hrbp)) {
        return Err(ScimError::new(
            403,
            None,
            "the token's account must be an administrator or HRBP to provision people",
        ));
    }
    Ok(c)
}

/// The JSON body, at most [`BODY_LIMIT`] bytes.
pub async fn json_body(body: Body) -> Result<Value, ScimError> {
    let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ScimError::new(
            413,
            None,
            format!("the body is larger than {} KB", BODY_LIMIT / 1024),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

/// A list request's parameters, names case-insensitive as RFC 7644 §3.4.2 allows.
pub struct ListQuery {
    pub filter: Option<String>,
    pub offset: i64,
    pub limit: i64,
    pub start_index: i64,
    pub excluded: Vec<String>,
}

pub fn list_query(raw: &HashMap<String, String>) -> Result<ListQuery, ScimError> {
    let get = |k: &str| {
        raw.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim())
    };
    let int = |k: &str| -> Result<Option<i64>, ScimError> {
        match get(k) {
            None | Some("") => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                ScimError::bad(
                    "invalidValue",
                    format!("`{k}` must be an integer, got `{v}`"),
                )
            }),
        }
    };
    let start = int("startIndex")?;
    let (offset, limit) = page(start, int("count")?);
    Ok(ListQuery {
        filter: get("filter").filter(|f| !f.is_empty()).map(str::to_string),
        offset,
        limit,
        start_index: offset + 1,
        excluded: get("excludedAttributes")
            .unwrap_or("")
            .split(',')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect(),
    })
}

pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `meta.created` and `meta.lastModified` as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Absolute `/scim/v2/...` URLs for `meta.location` and `$ref`.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    crate::features::sso::service::callback_url(state, headers, "/scim/v2")
}

/// A resource id from the path: ours are integers, anything else is unknown.
pub fn id(raw: &str, what: &str) -> Result<i64, ScimError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ScimError::not_found(&format!("{what} {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_as_clients_send_them() {
        let q = |pairs: &[(&str, &str)]| {
            list_query(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let okta = q(&[("startIndex", "101"), ("count", "100")]).unwrap();
        assert_eq!((okta.offset, okta.limit, okta.start_index), (100, 100, 101));
        let lower = q(&[("startindex", "0"), ("COUNT", "5000"), ("filter", "")]).unwrap();
        assert_eq!((lower.offset, lower.limit), (0, 200));
        assert!(lower.filter.is_none());
        let e = q(&[("count", "ten")]).err().unwrap();
        assert_eq!((e.status, e.scim_type), (400, Some("invalidValue")));
        let ex = q(&[("excludedAttributes", "members, meta")]).unwrap();
        assert_eq!(ex.excluded, ["members", "meta"]);
    }

    #[test]
    fn store_refusals_keep_their_scim_type() {
        let p = |code| pulse_domain::Problem::new(code, "x", "x");
        let e = store_error(StoreError::Invalid(p(store::UNIQUENESS)));
        assert_eq!((e.status, e.scim_type), (409, Some("uniqueness")));
        let e = store_error(StoreError::Invalid(p(store::MUTABILITY)));
        assert_eq!((e.status, e.scim_type), (400, Some("mutability")));
        let e = store_error(StoreError::Invalid(p(store::INVALID_VALUE)));
        assert_eq!((e.status, e.scim_type), (400, Some("invalidValue")));
        assert_eq!(
            store_error(StoreError::NotFound("User 9".into())).status,
            404
        );
    }
}
