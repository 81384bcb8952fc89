//! `/scim/v2/Groups`: org units as SCIM groups, members being the people
//! whose unit it is.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pulse_domain::identity::scim::{
    GROUP_SCHEMA, ScimError, ScimGroup, apply_group_patch, group_from_json, parse_filter,
    parse_patch,
};
use pulse_store::identity::scim::{self as store, GroupWithMembers};
use serde_json::{Value, json};

use super::service::{
    self, Scim, answer, base_url, id, json_body, list_query, no_content, reply, resource, rfc3339,
};
use crate::AppState;

pub fn render(g: &GroupWithMembers, base: &str, with_members: bool) -> Value {
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.group.id.to_string(),
        "displayName": g.group.name,
        "meta": {
            "resourceType": "Group",
            "created": rfc3339(g.group.created_at),
            "lastModified": rfc3339(g.group.updated_at),
            "location": format!("{base}/Groups/{}", g.group.id),
        },
    });
    if let Some(x) = &g.group.external_id {
        v["externalId"] = x.as_str().into();
    }
    if with_members {
        v["members"] = g
            .members
            .iter()
            .map(|(id, name)| {
                json!({"value": id.to_string(), "display": name, "$ref": format!("{base}/Users/{id}"), "type": "User"})
            })
            .collect();
    }
    v
}

async fn one(state: &AppState, headers: &HeaderMap, id: i64, status: StatusCode) -> Scim {
    let g = store::group(&state.db, id)
        .await
        .map_err(service::store_error)?
        .ok_or_else(|| ScimError::not_found(&format!("Group {id}")))?;
    Ok(resource(
        status,
        &render(&g, &base_url(state, headers), true),
    ))
}

/// Lists groups, `filter=displayName eq "…"` (also externalId, id);
/// `excludedAttributes=members` leaves the members out, as Entra asks.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim",
    params(
        ("filter" = Option<String>, Query, description = "`attribute eq \"value\"` on displayName, externalId or id"),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "Results per page, at most 200"),
        ("excludedAttributes" = Option<String>, Query, description = "`members` to leave members out"),
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
                .map(|f| parse_filter(f, store::GROUP_FILTERS))
                .transpose()?;
            let with_members = !q.excluded.iter().any(|a| a == "members");
            let (total, rows) =
                store::groups(&state.db, filter.as_ref(), q.offset, q.limit, with_members)
                    .await
                    .map_err(service::store_error)?;
            let base = base_url(&state, &headers);
            let resources = rows
                .iter()
                .map(|g| render(g, &base, with_members))
                .collect();
            Ok(reply(
                StatusCode::OK,
                &service::list_response(total, q.start_index, resources),
            ))
        }
        .await,
    )
}

/// Creates a group: a department under the top unit, its members moved in.
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim",
    request_body(content = super::discovery::ScimGroupDoc, content_type = "application/scim+json"),
    responses(
        (status = 201, content_type = "application/scim+json", body = super::discovery::ScimGroupDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidSyntax`, `invalidValue`"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 409, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`uniqueness`: a group of that name exists"),
        (status = 413, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
    ))]
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            let group = group_from_json(&json_body(body).await?)?;
            let id = store::write_group(&state.db, &state.actor(&caller), None, &group)
                .await
                .map_err(service::store_error)?;
            one(&state, &headers, id, StatusCode::CREATED).await
        }
        .await,
    )
}

/// One group with its members.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimGroupDoc),
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
            one(&state, &headers, id(&raw, "Group")?, StatusCode::OK).await
        }
        .await,
    )
}

/// Replaces a group: its name, external id and exactly these members
/// (people no longer listed move up to the parent unit).
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = super::discovery::ScimGroupDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimGroupDoc),
        (status = 400, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`invalidSyntax`, `invalidValue`"),
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
            let id = id(&raw, "Group")?;
            let group = group_from_json(&json_body(body).await?)?;
            store::write_group(&state.db, &state.actor(&caller), Some(id), &group)
                .await
                .map_err(service::store_error)?;
            one(&state, &headers, id, StatusCode::OK).await
        }
        .await,
    )
}

/// PATCHes a group: rename, add members (moved in), remove members
/// (`members[value eq "…"]` or a `members` value list; moved up to the parent unit).
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = super::discovery::ScimPatchDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, content_type = "application/scim+json", body = super::discovery::ScimGroupDoc),
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
            let id = id(&raw, "Group")?;
            let ops = parse_patch(&json_body(body).await?)?;
            let current = store::group(&state.db, id)
                .await
                .map_err(service::store_error)?
                .ok_or_else(|| ScimError::not_found(&format!("Group {id}")))?;
            let mut members: Vec<String> = current
                .members
                .iter()
                .map(|(id, _)| id.to_string())
                .collect();
            members.sort();
            let before = ScimGroup {
                display_name: current.group.name.clone(),
                external_id: current.group.external_id.clone(),
                members,
            };
            let mut group = before.clone();
            apply_group_patch(&mut group, &ops)?;
            group.members.sort();
            if group != before {
                store::write_group(&state.db, &state.actor(&caller), Some(id), &group)
                    .await
                    .map_err(service::store_error)?;
            }
            one(&state, &headers, id, StatusCode::OK).await
        }
        .await,
    )
}

/// Deletes an empty group without subgroups; one that still holds people
/// or history answers 409.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc),
        (status = 409, content_type = "application/scim+json", body = super::discovery::ScimErrorDoc, description = "`mutability`: the group still has members, subgroups or history"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    answer(
        async {
            let caller = service::caller(&state, &headers).await?;
            store::delete_group(&state.db, &state.actor(&caller), id(&raw, "Group")?)
                .await
                .map_err(service::store_error)?;
            Ok(no_content())
        }
        .await,
    )
}
