//! SCIM's self-description (RFC 7644 §4): ServiceProviderConfig,
//! ResourceTypes and Schemas, and the shapes the OpenAPI document declares.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pulse_domain::identity::scim::{
    ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_PAGE, ScimError, USER_SCHEMA,
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::service::{self, Scim, answer, base_url, list_response, reply};
use crate::AppState;

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// A SCIM error (RFC 7644 §3.12).
#[derive(Serialize, ToSchema)]
pub struct ScimErrorDoc {
    pub schemas: Vec<String>,
    /// The HTTP status as a string, e.g. `"409"`.
    pub status: String,
    /// `invalidFilter`, `invalidSyntax`, `invalidPath`, `invalidValue`, `noTarget`, `mutability` or `uniqueness`.
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    pub detail: String,
}

/// A SCIM list (RFC 7644 §3.4.2).
#[derive(Serialize, ToSchema)]
pub struct ScimListDoc {
    pub schemas: Vec<String>,
    #[serde(rename = "totalResults")]
    pub total_results: i64,
    #[serde(rename = "startIndex")]
    pub start_index: i64,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: i64,
    #[serde(rename = "Resources")]
    pub resources: Vec<serde_json::Map<String, Value>>,
}

/// A user (core schema and the enterprise extension, RFC 7643 §4). Pulse
/// keeps userName (the sign-in name), name or displayName, the work email,
/// title (the level), active (a boolean, or `"True"`/`"False"` as Entra
/// sends it) and, in the extension, employeeNumber (工号, fixed once set),
/// department (a unit's name or code) and manager (`{"value": <User id>}`).
/// Other attributes are accepted and ignored.
#[derive(Serialize, ToSchema)]
pub struct ScimUserDoc {
    pub schemas: Option<Vec<String>>,
    /// Set by Pulse; read-only.
    pub id: Option<String>,
    #[serde(rename = "userName")]
    #[schema(min_length = 1, max_length = 64)]
    pub user_name: String,
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    pub name: Option<serde_json::Map<String, Value>>,
    pub emails: Option<Vec<serde_json::Map<String, Value>>>,
    pub title: Option<String>,
    #[schema(value_type = Object)]
    pub active: Option<Value>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<serde_json::Map<String, Value>>,
    pub meta: Option<serde_json::Map<String, Value>>,
}

/// A group (RFC 7643 §4.2): an org unit; members are User ids.
#[derive(Serialize, ToSchema)]
pub struct ScimGroupDoc {
    pub schemas: Option<Vec<String>>,
    pub id: Option<String>,
    #[serde(rename = "displayName")]
    #[schema(min_length = 1, max_length = 64)]
    pub display_name: String,
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
    pub members: Option<Vec<serde_json::Map<String, Value>>>,
    pub meta: Option<serde_json::Map<String, Value>>,
}

/// A PATCH (RFC 7644 §3.5.2): `op` add, replace or remove in any case,
/// `path` optional for add and replace.
#[derive(Serialize, ToSchema)]
pub struct ScimPatchDoc {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<serde_json::Map<String, Value>>,
}

fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": format!("{}/api/docs", base.trim_end_matches("/scim/v2")),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A Pulse API token with scope `scim`, issued by an administrator (POST /api/v1/tokens).",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RT_SCHEMA], "id": "User", "name": "User", "endpoint": "/Users",
            "description": "A person in Pulse", "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RT_SCHEMA], "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "An org unit in Pulse", "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

fn attr(name: &str, kind: &str, mutability: &str, required: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness,
    })
}

fn complex(name: &str, multi: bool, mutability: &str, subs: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": multi, "required": false,
        "mutability": mutability, "returned": "default", "subAttributes": subs,
    })
}

fn schemas(base: &str) -> Vec<Value> {
    let rw = "readWrite";
    let user = vec![
        attr("userName", "string", rw, true, "server"),
        attr("externalId", "string", rw, false, "none"),
        attr("displayName", "string", rw, false, "none"),
        complex(
            "name",
            false,
            rw,
            vec![
                attr("formatted", "string", rw, false, "none"),
                attr("familyName", "string", rw, false, "none"),
                attr("givenName", "string", rw, false, "none"),
            ],
        ),
        complex(
            "emails",
            true,
            rw,
            vec![
                attr("value", "string", rw, false, "none"),
                attr("type", "string", rw, false, "none"),
                attr("primary", "boolean", rw, false, "none"),
            ],
        ),
        attr("title", "string", rw, false, "none"),
        attr("active", "boolean", rw, false, "none"),
        complex(
            "groups",
            true,
            "readOnly",
            vec![
                attr("value", "string", "readOnly", false, "none"),
                attr("display", "string", "readOnly", false, "none"),
            ],
        ),
    ];
    let enterprise = vec![
        attr("employeeNumber", "string", "immutable", false, "server"),
        attr("department", "string", rw, false, "none"),
        complex(
            "manager",
            false,
            rw,
            vec![
                attr("value", "string", rw, false, "none"),
                attr("displayName", "string", "readOnly", false, "none"),
            ],
        ),
    ];
    let group = vec![
        attr("displayName", "string", rw, true, "server"),
        attr("externalId", "string", rw, false, "none"),
        complex(
            "members",
            true,
            rw,
            vec![
                attr("value", "string", "immutable", false, "none"),
                attr("display", "string", "readOnly", false, "none"),
            ],
        ),
    ];
    let one = |id: &str, name: &str, description: &str, attributes: Vec<Value>| {
        json!({
            "schemas": [SCHEMA_SCHEMA], "id": id, "name": name, "description": description,
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    };
    vec![
        one(USER_SCHEMA, "User", "A person in Pulse", user),
        one(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "工号, department and manager",
            enterprise,
        ),
        one(GROUP_SCHEMA, "Group", "An org unit", group),
    ]
}

/// What this SCIM service supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim",
    responses(
        (status = 200, content_type = "application/scim+json", body = Object),
        (status = 401, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = ScimErrorDoc),
    ))]
pub async fn config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(checked(&state, &headers, service_provider_config).await)
}

/// The caller checked, then one discovery document for this server's base URL.
async fn checked(state: &AppState, headers: &HeaderMap, doc: impl Fn(&str) -> Value) -> Scim {
    service::caller(state, headers).await?;
    Ok(reply(StatusCode::OK, &doc(&base_url(state, headers))))
}

/// One entry of a discovery list by its `id`.
async fn one_of(
    state: &AppState,
    headers: &HeaderMap,
    all: fn(&str) -> Vec<Value>,
    what: &str,
    id: &str,
) -> Scim {
    service::caller(state, headers).await?;
    all(&base_url(state, headers))
        .into_iter()
        .find(|t| t["id"] == id)
        .map(|t| reply(StatusCode::OK, &t))
        .ok_or_else(|| ScimError::not_found(&format!("{what} {id}")))
}

fn listed(all: Vec<Value>) -> Value {
    list_response(all.len() as i64, 1, all)
}

/// The resource types: User and Group.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim",
    responses(
        (status = 200, content_type = "application/scim+json", body = ScimListDoc),
        (status = 401, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = ScimErrorDoc),
    ))]
pub async fn types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(checked(&state, &headers, |b| listed(resource_types(b))).await)
}

/// One resource type by id (`User`, `Group`).
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim",
    params(("id" = String, Path, description = "`User` or `Group`")),
    responses(
        (status = 200, content_type = "application/scim+json", body = Object),
        (status = 401, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = ScimErrorDoc),
    ))]
pub async fn type_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(one_of(&state, &headers, resource_types, "ResourceType", &id).await)
}

/// The schemas: core User, the enterprise extension and Group, with the
/// attributes Pulse keeps.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim",
    responses(
        (status = 200, content_type = "application/scim+json", body = ScimListDoc),
        (status = 401, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = ScimErrorDoc),
    ))]
pub async fn schemas_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(checked(&state, &headers, |b| listed(schemas(b))).await)
}

/// One schema by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "scim",
    params(("id" = String, Path, description = "The schema's URN")),
    responses(
        (status = 200, content_type = "application/scim+json", body = Object),
        (status = 401, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 403, content_type = "application/scim+json", body = ScimErrorDoc),
        (status = 404, content_type = "application/scim+json", body = ScimErrorDoc),
    ))]
pub async fn schema_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(one_of(&state, &headers, schemas, "Schema", &id).await)
}
