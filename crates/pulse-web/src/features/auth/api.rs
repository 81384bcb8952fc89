use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pulse_store::accounts::Caller;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::access::{Me, SESSION_COOKIE, clear_session_cookie, cookie, session_cookie};
use crate::api::ApiJson;
use crate::error::AppResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name or 工号.
    #[schema(min_length = 1, max_length = 128)]
    pub login: String,
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    pub role: String,
    pub scope: String,
    /// Org unit code a `subtree` scope is anchored at.
    pub scope_unit: Option<String>,
}

impl RoleDto {
    pub fn list(
        grants: &[pulse_domain::roles::Grant],
        tree: &pulse_store::org::Tree,
    ) -> Vec<RoleDto> {
        grants
            .iter()
            .map(|g| RoleDto {
                role: g.role.as_str().into(),
                scope: g.scope.as_str().into(),
                scope_unit: g
                    .anchor_unit
                    .and_then(|id| tree.get(id))
                    .map(|u| u.code.clone()),
            })
            .collect()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub employee_no: String,
    pub name: String,
    pub login: String,
    /// Role names, e.g. `["employee", "manager"]`.
    pub roles: Vec<String>,
    pub grants: Vec<RoleDto>,
    pub org_unit: OrgRef,
    /// For browser sessions: send back as `X-CSRF-Token` on form-encodable writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

pub(crate) async fn me_dto(state: &AppState, c: &Caller) -> AppResult<MeDto> {
    let tree = state.org_tree().await?;
    Ok(MeDto {
        employee_no: c.employee_no.clone(),
        name: c.name.clone(),
        login: c.login.clone(),
        roles: c.roles().iter().map(|r| r.as_str().to_string()).collect(),
        grants: RoleDto::list(&c.grants, &tree),
        org_unit: OrgRef {
            code: c.org_unit_code.clone(),
            name: c.org_unit_name.clone(),
        },
        csrf_token: c.csrf_token.clone(),
    })
}

/// Sign in with login and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = MeDto), (status = 401, body = crate::api::ErrorBody), (status = 429, body = crate::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let secret =
        crate::features::auth::service::sign_in(&state, &body.login, &body.password).await?;
    let caller = pulse_store::accounts::caller_by_session(&state.db, &secret)
        .await?
        .ok_or_else(|| crate::error::AppError::internal("session vanished right after login"))?;
    let dto = me_dto(&state, &caller).await?;
    let mut res = (StatusCode::OK, Json(dto)).into_response();
    let cookie = session_cookie(&secret, state.config.secure_cookies);
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(crate::error::AppError::internal)?,
    );
    Ok(res)
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204), (status = 401, body = crate::api::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    _me: Me,
) -> AppResult<Response> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        pulse_store::accounts::delete_session(&state.db, &secret).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    let cookie = clear_session_cookie(state.config.secure_cookies);
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(crate::error::AppError::internal)?,
    );
    Ok(res)
}

/// The signed-in caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = MeDto), (status = 401, body = crate::api::ErrorBody)))]
pub async fn me(State(state): State<AppState>, Me(caller): Me) -> AppResult<Json<MeDto>> {
    Ok(Json(me_dto(&state, &caller).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 4–64 characters.
    #[schema(min_length = 4, max_length = 64)]
    pub new_password: String,
}

/// Change your own password; other sessions end, this one stays.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<Response> {
    let secret = crate::features::accounts::service::change_own_password(
        &state,
        &caller,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    let _ = headers;
    let cookie = session_cookie(&secret, state.config.secure_cookies);
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(crate::error::AppError::internal)?,
    );
    Ok(res)
}
