//! `/scim/v2/Users`: people as SCIM users.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use pulse_domain::identity::scim::{
    ENTERPRISE_SCHEMA, ScimError, USER_SCHEMA, apply_user_patch, parse_filter, parse_patch,
    user_from_json,
};
use pulse_store::identity::scim::{self as store, UserRow};
use serde_json::{Value, json};

use super::service::{self, base_url, error, id, json_body, list_query, reply, rfc3339};
use crate::AppState;

/// A person as a SCIM user (core schema + the enterprise extension).
pub fn render(u: &UserRow, base: &str) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": u.id.to_string(),
        "userName": u.user_name(),
        "displayName": u.name,
        "name": {"formatted": u.name},
        "active": u.active(),
        "groups": [{
            "value": u.org_unit_id.to_string(),
            "display": u.unit_name,
            "$ref": format!("{base}/Groups/{}", u.org_unit_id),
            "type": "direct",
        }],
        ENTERPRISE_SCHEMA: {
            "employeeNumber": u.employee_no,
            "department": u.unit_name,
        },
        "meta": {
            "resourceType": "User",
            "created": rfc3339(u.created_at),
            "lastModified": rfc3339(u.updated_at),
            "location": format!("{base}/Users/{}", u.id),
        },
    });
    if let Some(x) = &u.external_id {
        v["externalId"] = x.as_str().into();
    }
    if let Some(e) = &u.email {
        v["emails"] = json!([{"value": e, "type": "work", "primary": true}]);
    }
    if !u.level.is_empty() {
        v["title"] = u.level.as_str().into();
    }
    if let Some(m) = u.manager_id {
        v[ENTERPRISE_SCHEMA]["manager"] = json!({
            "value": m.to_string(),
            "displayName": u.manager_name,
            "$ref": format!("{base}/Users/{m}"),
        });
    }
    v
}

async fn one(state: &AppState, headers: &HeaderMap, id: i64, status: StatusCode) -> Response {
    match store::user(&state.db, id).await {
        Ok(Some(u)) => {
            let body = render(&u, &base_url(state, headers));
            let mut res = reply(status, &body);
            if status == StatusCode::CREATED
                && let Ok(loc) =
                    HeaderValue::from_str(body["meta"]["location"].as_str().unwrap_or_default())
            {
                res.headers_mut().insert(header::LOCATION, loc);
            }
            res
        }
        Ok(None) => error(&ScimError::not_found(&format!("User {id}"))),
        Err(e) => error(&service::store_error(e)),
    }
}

/// Lists users, `filter=userName eq "…"` (also externalId, id, emails.value,
/// the enterprise employeeNumber), paged by `startIndex` and `count` (≤ 200).
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim",
    params(
        ("filter" = Option<String>, Query, description = "`attribute eq \"value\"` on userName, externalId, id, emails.value or employeeNumber"),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "Results per page, at most 200"),
    ),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimListDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidFilter` or `invalidValue`"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = service::caller(&state, &headers).await {
        return error(&e);
    }
    let q = match list_query(&raw) {
        Ok(q) => q,
        Err(e) => return error(&e),
    };
    let filter = match q
        .filter
        .as_deref()
        .map(|f| parse_filter(f, store::USER_FILTERS))
        .transpose()
    {
        Ok(f) => f,
        Err(e) => return error(&e),
    };
    match store::users(&state.db, filter.as_ref(), q.offset, q.limit).await {
        Ok((total, rows)) => {
            let base = base_url(&state, &headers);
            let resources = rows.iter().map(|u| render(u, &base)).collect();
            reply(
                StatusCode::OK,
                &service::list_response(total, q.start_index, resources),
            )
        }
        Err(e) => error(&service::store_error(e)),
    }
}

/// Creates a user: the person, their account (employee role, no password —
/// they sign in through SSO) and their unit from `department`.
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim",
    request_body(content = super::discovery::ScimUserDoc, content_type = "application/scim+json"),
    responses(
        (status = 201, content_type = "application/scim+json", body = super::discovery::ScimUserDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidSyntax`, `invalidValue`"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 409, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`uniqueness`: the userName or employeeNumber is taken"),
        (status = 413, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let caller = match service::caller(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    let user = match json_body(body).await.and_then(|b| user_from_json(&b)) {
        Ok(u) => u,
        Err(e) => return error(&e),
    };
    match store::write_user(&state.db, &state.actor(&caller), None, &user).await {
        Ok(id) => one(&state, &headers, id, StatusCode::CREATED).await,
        Err(e) => error(&service::store_error(e)),
    }
}

/// One user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimUserDoc),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    if let Err(e) = service::caller(&state, &headers).await {
        return error(&e);
    }
    match id(&raw, "User") {
        Ok(id) => one(&state, &headers, id, StatusCode::OK).await,
        Err(e) => error(&e),
    }
}

/// Replaces a user. The employee number cannot change (400 `mutability`).
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = super::discovery::ScimUserDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimUserDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidSyntax`, `invalidValue`, `mutability`"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 409, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`uniqueness`"),
        (status = 413, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body,
) -> Response {
    let caller = match service::caller(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    let id = match id(&raw, "User") {
        Ok(id) => id,
        Err(e) => return error(&e),
    };
    let user = match json_body(body).await.and_then(|b| user_from_json(&b)) {
        Ok(u) => u,
        Err(e) => return error(&e),
    };
    match store::write_user(&state.db, &state.actor(&caller), Some(id), &user).await {
        Ok(id) => one(&state, &headers, id, StatusCode::OK).await,
        Err(e) => error(&service::store_error(e)),
    }
}

/// PATCHes a user (RFC 7644 §3.5.2, as Entra and Okta send it); `active`
/// false deactivates: the account is disabled and its sessions and tokens end.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = super::discovery::ScimPatchDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimUserDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidSyntax`, `invalidPath`, `invalidValue`, `noTarget`, `mutability`"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 409, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`uniqueness`"),
        (status = 413, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body,
) -> Response {
    let caller = match service::caller(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    let id = match id(&raw, "User") {
        Ok(id) => id,
        Err(e) => return error(&e),
    };
    let ops = match json_body(body).await.and_then(|b| parse_patch(&b)) {
        Ok(o) => o,
        Err(e) => return error(&e),
    };
    let current = match store::user(&state.db, id).await {
        Ok(Some(u)) => u,
        Ok(None) => return error(&ScimError::not_found(&format!("User {id}"))),
        Err(e) => return error(&service::store_error(e)),
    };
    let mut user = current.to_scim();
    if let Err(e) = apply_user_patch(&mut user, &ops) {
        return error(&e);
    }
    if user == current.to_scim() {
        return one(&state, &headers, id, StatusCode::OK).await;
    }
    match store::write_user(&state.db, &state.actor(&caller), Some(id), &user).await {
        Ok(id) => one(&state, &headers, id, StatusCode::OK).await,
        Err(e) => error(&service::store_error(e)),
    }
}

/// Deactivates a user. Pulse keeps a person's history (reviews, ratings,
/// outcomes), so DELETE does what `active: false` does; the person is then
/// anonymised after the retention period like any leaver.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let caller = match service::caller(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    let id = match id(&raw, "User") {
        Ok(id) => id,
        Err(e) => return error(&e),
    };
    let current = match store::user(&state.db, id).await {
        Ok(Some(u)) => u,
        Ok(None) => return error(&ScimError::not_found(&format!("User {id}"))),
        Err(e) => return error(&service::store_error(e)),
    };
    let mut user = current.to_scim();
    if user.active {
        user.active = false;
        if let Err(e) = store::write_user(&state.db, &state.actor(&caller), Some(id), &user).await {
            return error(&service::store_error(e));
        }
    }
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    res
}
