use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_store::outbox;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::AppResult;
use crate::features::notify::service::{self, ChannelDto};

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelDto>,
    pub total: i64,
}

/// Notification channels (admin); secrets are never returned.
#[utoipa::path(get, path = "/api/v1/notify-channels", tag = "notifications", responses((status = 200, body = ChannelList)))]
pub async fn list_channels(State(state): State<AppState>, _me: Me) -> AppResult<Json<ChannelList>> {
    let items = service::list(&state).await?;
    let total = items.len() as i64;
    Ok(Json(ChannelList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// For `wecom_app` the `webhook_url` is the API base URL.
    #[schema(value_type = crate::api::vocab::ChannelKind)]
    pub kind: String,
    /// The robot's webhook URL; empty keeps the stored one.
    #[serde(default)]
    pub webhook_url: String,
    /// Signing secret (DingTalk, Feishu), corpsecret (WeChat Work app) or SMTP password; empty keeps the stored one.
    #[serde(default)]
    pub secret: String,
    /// WeChat Work app: corp id.
    #[serde(default)]
    pub corpid: String,
    /// WeChat Work app: agent id.
    pub agentid: Option<i64>,
    /// Email: SMTP server host name.
    #[serde(default)]
    pub smtp_host: String,
    /// Email: SMTP port (587 for STARTTLS by default, 465 for `tls`).
    pub smtp_port: Option<u16>,
    /// Email: SMTP login (the password goes in `secret`).
    #[serde(default)]
    pub smtp_username: String,
    /// Email: sender, e.g. `绩效脉搏 <pulse@example.cn>`.
    #[serde(default)]
    pub smtp_from: String,
    /// Email: `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub smtp_tls: String,
    pub enabled: bool,
}

/// Create or change a channel (admin).
#[utoipa::path(put, path = "/api/v1/notify-channels/{name}", tag = "notifications", request_body = ChannelInput,
    params(("name" = String, Path, max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_channel(
    State(state): State<AppState>,
    _me: Me,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ChannelInput>,
) -> AppResult<StatusCode> {
    let form = service::ChannelForm {
        kind: body.kind,
        webhook_url: body.webhook_url,
        secret: body.secret,
        corpid: body.corpid,
        agentid: body.agentid.map(|a| a.to_string()).unwrap_or_default(),
        smtp_host: body.smtp_host,
        smtp_port: body.smtp_port.map(|p| p.to_string()).unwrap_or_default(),
        smtp_username: body.smtp_username,
        smtp_from: body.smtp_from,
        smtp_tls: body.smtp_tls,
        enabled: body.enabled,
    };
    service::save(&state, &name, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test message through a channel now (admin); a failure says why.
#[utoipa::path(post, path = "/api/v1/notify-channels/{name}/test", tag = "notifications",
    responses((status = 204), (status = 502, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn test_channel(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    service::test(&state, &name, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxParams {
    /// Default `dead`.
    #[param(inline)]
    pub state: Option<OutboxState>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    Dead,
    Pending,
    Sending,
    Sent,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<serde_json::Value>,
    pub total: i64,
    /// Messages per state.
    pub counts: serde_json::Value,
}

/// Outbox messages by state (admin): the dead-letter view by default.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications", params(OutboxParams), responses((status = 200, body = OutboxList)))]
pub async fn list_outbox(
    State(state): State<AppState>,
    _me: Me,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> AppResult<Json<OutboxList>> {
    let s = match p.state.unwrap_or(OutboxState::Dead) {
        OutboxState::Dead => "dead",
        OutboxState::Pending => "pending",
        OutboxState::Sending => "sending",
        OutboxState::Sent => "sent",
    };
    let items: Vec<serde_json::Value> = outbox::list(&state.db, s, 200)
        .await?
        .into_iter()
        .map(|m| serde_json::to_value(m).unwrap_or_default())
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> = outbox::counts(&state.db)
        .await?
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    let total = items.len() as i64;
    Ok(Json(OutboxList {
        items,
        total,
        counts: counts.into(),
    }))
}

/// Put a dead letter back in the queue (admin).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "notifications", responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    outbox::retry_dead(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitChannelInput {
    /// A configured channel's name, or null to clear (the unit then uses its parent's).
    pub channel: Option<String>,
}

/// Which group robot gets a unit's team-level messages (admin).
#[utoipa::path(put, path = "/api/v1/org-units/{code}/channel", tag = "notifications", request_body = UnitChannelInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn set_unit_channel(
    State(state): State<AppState>,
    _me: Me,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<UnitChannelInput>,
) -> AppResult<StatusCode> {
    service::set_unit_channel(&state, &code, body.channel.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's notification preferences: channels and quiet hours (N2).
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications",
    responses((status = 200, body = service::PreferencesDto)))]
pub async fn my_preferences(
    State(state): State<AppState>,
    Me(caller): Me,
) -> AppResult<Json<service::PreferencesDto>> {
    Ok(Json(service::preferences(&state, caller.person_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// An empty list means inbox only.
    #[schema(schema_with = crate::api::vocab::personal_channels)]
    pub channels: Vec<String>,
    /// Messages created inside these hours wait until they end; to-dos do not wait. Null for none.
    pub quiet_hours: Option<service::QuietHoursDto>,
}

/// Change the caller's notification preferences.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", request_body = PreferencesInput,
    responses((status = 200, body = service::PreferencesDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_my_preferences(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(body): ApiJson<PreferencesInput>,
) -> AppResult<Json<service::PreferencesDto>> {
    service::save_preferences(
        &state,
        caller.person_id,
        &body.channels,
        body.quiet_hours.as_ref(),
    )
    .await?;
    Ok(Json(service::preferences(&state, caller.person_id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// Each scheduled job: `job`, `runs`, `next_due_at`, `lease_until`, `last_finished_at`, `last_result`.
    pub items: Vec<serde_json::Value>,
    pub total: i64,
}

/// Scheduled jobs (reminders …) and how their last run went (admin).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "notifications", responses((status = 200, body = JobList)))]
pub async fn list_jobs(State(state): State<AppState>, _me: Me) -> AppResult<Json<JobList>> {
    let items: Vec<serde_json::Value> = pulse_store::jobs::list(&state.db)
        .await?
        .into_iter()
        .map(|j| serde_json::to_value(j).unwrap_or_default())
        .collect();
    let total = items.len() as i64;
    Ok(Json(JobList { items, total }))
}
