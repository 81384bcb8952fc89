//! The identity settings as JSON (secrets write-only) and ending a person's sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pages::{Typed, save, stored, validate};
use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};

/// Identity settings. Secrets are never returned: `has_client_secret` and
/// `has_wecom_secret` say whether one is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentitySettingsDto {
    pub oidc_enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub scopes: String,
    pub claim: String,
    /// `email` or `employee_no`.
    pub match_field: String,
    pub button_label: String,
    /// Roles that sign in through SSO only.
    pub password_off_roles: Vec<String>,
    pub wecom_enabled: bool,
    pub corp_id: String,
    pub agent_id: i64,
    pub has_wecom_secret: bool,
    pub wecom_base_url: String,
    /// Days a leaver's personal data is kept before anonymisation (30–3650).
    pub retention_days: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettingsInput {
    pub oidc_enabled: bool,
    #[schema(max_length = 256)]
    pub issuer: String,
    #[schema(max_length = 256)]
    pub client_id: String,
    /// Omit or leave empty to keep the stored secret.
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    #[schema(max_length = 256)]
    pub scopes: String,
    #[serde(default)]
    pub claim: String,
    #[serde(default)]
    pub match_field: String,
    #[serde(default)]
    #[schema(max_length = 32)]
    pub button_label: String,
    #[serde(default)]
    pub password_off_roles: Vec<String>,
    pub wecom_enabled: bool,
    #[serde(default)]
    pub corp_id: String,
    #[serde(default)]
    pub agent_id: i64,
    #[serde(default)]
    pub wecom_secret: Option<String>,
    #[serde(default)]
    pub wecom_base_url: String,
    #[schema(minimum = 30, maximum = 3650)]
    pub retention_days: i64,
}

async fn dto(state: &AppState) -> AppResult<IdentitySettingsDto> {
    let (o, w, p) = stored(state).await?;
    Ok(IdentitySettingsDto {
        oidc_enabled: o.enabled,
        issuer: o.issuer,
        client_id: o.client_id,
        has_client_secret: !o.client_secret.is_empty(),
        scopes: o.scopes,
        claim: o.claim,
        match_field: o.match_field,
        button_label: o.button_label,
        password_off_roles: o.password_off_roles,
        wecom_enabled: w.enabled,
        corp_id: w.corp_id,
        agent_id: w.agent_id,
        has_wecom_secret: !w.secret.is_empty(),
        wecom_base_url: w.base_url,
        retention_days: p.retention_days,
    })
}

/// The identity settings (admin).
#[utoipa::path(get, path = "/api/v1/identity/settings", tag = "identity",
    responses((status = 200, body = IdentitySettingsDto), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _me: Me,
) -> AppResult<Json<IdentitySettingsDto>> {
    Ok(Json(dto(&state).await?))
}

/// Replaces the identity settings, checked whole (admin).
#[utoipa::path(put, path = "/api/v1/identity/settings", tag = "identity", request_body = IdentitySettingsInput,
    responses((status = 200, body = IdentitySettingsDto), (status = 400, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<IdentitySettingsInput>,
) -> AppResult<Json<IdentitySettingsDto>> {
    let old = stored(&state).await?;
    let typed = Typed {
        oidc_enabled: b.oidc_enabled,
        issuer: b.issuer.trim().into(),
        client_id: b.client_id.trim().into(),
        has_secret: false,
        scopes: b.scopes.trim().into(),
        claim: b.claim.trim().into(),
        match_field: b.match_field.trim().into(),
        button_label: b.button_label.trim().into(),
        password_off: b.password_off_roles,
        wecom_enabled: b.wecom_enabled,
        corp_id: b.corp_id.trim().into(),
        agent_id: if b.agent_id == 0 {
            String::new()
        } else {
            b.agent_id.to_string()
        },
        has_wecom_secret: false,
        base_url: b.wecom_base_url.trim().into(),
        retention_days: b.retention_days.to_string(),
    };
    let keep = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let new = validate(
        &typed,
        keep(b.client_secret),
        keep(b.wecom_secret),
        (&old.0, &old.1),
    )?;
    save(&state, &state.actor(&caller), &new, &old).await?;
    Ok(Json(dto(&state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndedDto {
    /// How many sessions ended.
    pub ended: u64,
}

async fn end(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    login: &str,
    headers: &axum::http::HeaderMap,
) -> AppResult<u64> {
    let account = pulse_store::accounts::account_by_login(&state.db, login)
        .await?
        .ok_or_else(|| AppError::not_found("账号", "account"))?;
    let mut tx = state.db.begin().await?;
    let n = pulse_store::accounts::end_access(
        &mut tx,
        &state.actor(caller),
        account.account.account_id,
        false,
        "admin",
        crate::access::cookie(headers, crate::access::SESSION_COOKIE)
            .filter(|_| account.account.account_id == caller.account_id)
            .as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Ends every session of an account at once (admin); ending your own keeps the one you use.
#[utoipa::path(delete, path = "/api/v1/accounts/{login}/sessions", tag = "identity",
    params(("login" = String, Path, description = "Login name")),
    responses((status = 200, body = EndedDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(login): Path<String>,
    headers: axum::http::HeaderMap,
) -> AppResult<Json<EndedDto>> {
    Ok(Json(EndedDto {
        ended: end(&state, &caller, &login, &headers).await?,
    }))
}

/// The account page's button.
pub async fn end_sessions_form(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(login): Path<String>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    end(&state, &caller, &login, &headers).await?;
    let login = crate::access::urlencode(&login);
    Ok(Redirect::to(&format!("/admin/users?q={login}&ended={login}")).into_response())
}
