//! `/scim/v2/Users`: people as SCIM users.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pulse_domain::identity::scim::{
    ENTERPRISE_SCHEMA, ScimError, USER_SCHEMA, apply_user_patch, parse_filter, parse_patch,
    user_from_json,
};
use pulse_store::identity::scim::{self as store, UserRow};
use serde_json::{Value, json};

use super::service::{
    self, Scim, answer, base_url, id, json_body, list_query, no_content, reply, resource, rfc3339,
};
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

async fn current(state: &AppState, id: i64) -> Result<UserRow, ScimError> {
    store::user(&state.db, id)
        .await
        .map_err(service::store_error)?
        .ok_or_else(|| ScimError::not_found(&format!("User {id}")))
}

async fn one(state: &AppState, headers: &HeaderMap, id: i64, status: StatusCode) -> Scim {
    let u = current(state, id).await?;
    Ok(resource(status, &render(&u, &base_url(state, headers))))
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
    answer(
        async {
            service::caller(&state, &headers).await?;
            let q = list_query(&raw)?;
            let filter = q
                .filter
                .as_deref()
                .map(|f| parse_filter(f, store::USER_FILTERS))
                .transpose()?;
            let (total, rows) = store::users(&state.db, filter.as_ref(), q.offset, q.limit)
                .await
                .map_err(service::store_error)?;
            let base = base_url(&state, &headers);
            let resources = rows.iter().map(|u| render(u, &base)).collect();
            Ok(reply(
                StatusCode::OK,
                &service::list_response(total, q.start_index, resources),
            ))
        }
        .await,
    )
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
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            let user = user_from_json(&json_body(body).await?)?;
            let id = store::write_user(&state.db, &state.actor(&caller), None, &user)
                .await
                .map_err(service::store_error)?;
            one(&state, &headers, id, StatusCode::CREATED).await
        }
        .await,
    )
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
    answer(
        async {
            service::caller(&state, &headers).await?;
            one(&state, &headers, id(&raw, "User")?, StatusCode::OK).await
        }
        .await,
    )
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
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            let id = id(&raw, "User")?;
            let user = user_from_json(&json_body(body).await?)?;
            store::write_user(&state.db, &state.actor(&caller), Some(id), &user)
                .await
                .map_err(service::store_error)?;
            one(&state, &headers, id, StatusCode::OK).await
        }
        .await,
    )
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
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            let id = id(&raw, "User")?;
            let ops = parse_patch(&json_body(body).await?)?;
            let before = current(&state, id).await?.to_scim();
            let mut user = before.clone();
            apply_user_patch(&mut user, &ops)?;
            if user != before {
                store::write_user(&state.db, &state.actor(&caller), Some(id), &user)
                    .await
                    .map_err(service::store_error)?;
            }
            one(&state, &headers, id, StatusCode::OK).await
        }
        .await,
    )
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
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            let id = id(&raw, "User")?;
            let mut user = current(&state, id).await?.to_scim();
            if user.active {
                user.active = false;
                store::write_user(&state.db, &state.actor(&caller), Some(id), &user)
                    .await
                    .map_err(service::store_error)?;
            }
            Ok(no_content())
        }
        .await,
    )
}
