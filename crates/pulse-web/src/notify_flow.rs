//! Channel settings, test messages and dead-letter retries (N2, N3), shared
//! by the admin API and the admin page. Secrets go in, never come out.

use std::sync::Arc;

use pulse_jobs::channels::{Channel, Outgoing};
use pulse_store::outbox;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelDto {
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    /// Where it points, without the secret (host only).
    pub endpoint: String,
}

fn endpoint_hint(config_json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(config_json)
        .ok()
        .and_then(|v| {
            v["webhook_url"]
                .as_str()
                .map(pulse_jobs::channels::endpoint_hint)
        })
        .unwrap_or_else(|| "—".into())
}

pub async fn list(state: &AppState) -> AppResult<Vec<ChannelDto>> {
    Ok(outbox::channels(&state.db)
        .await?
        .into_iter()
        .map(|c| ChannelDto {
            endpoint: endpoint_hint(&c.config_json),
            name: c.name,
            kind: c.kind,
            enabled: c.enabled != 0,
        })
        .collect())
}

fn invalid(zh: String, en: String) -> AppError {
    AppError::invalid(pulse_domain::Problem::new("invalid_channel", zh, en))
}

fn build(kind: &str, config: &serde_json::Value) -> AppResult<Arc<dyn Channel>> {
    pulse_jobs::channels::build(
        kind,
        &pulse_jobs::channels::http_client(),
        &config.to_string(),
    )
    .map_err(|e| invalid(e.clone(), format!("invalid channel settings: {e}")))
}

/// Saves a channel after checking its settings; an empty URL or secret keeps the stored one.
pub async fn save(
    state: &AppState,
    name: &str,
    kind: &str,
    webhook_url: &str,
    secret: &str,
    enabled: bool,
) -> AppResult<()> {
    let stored: serde_json::Value = outbox::channels(&state.db)
        .await?
        .into_iter()
        .find(|c| c.name == name)
        .and_then(|c| serde_json::from_str(&c.config_json).ok())
        .unwrap_or_default();
    let keep = |given: &str, key: &str| {
        if given.trim().is_empty() {
            stored[key].as_str().unwrap_or("").to_string()
        } else {
            given.trim().to_string()
        }
    };
    let mut config = serde_json::json!({ "webhook_url": keep(webhook_url, "webhook_url") });
    if kind != "wecom_robot" {
        config["secret"] = keep(secret, "secret").into();
    }
    build(kind, &config)?;
    let mut tx = state.db.begin().await?;
    outbox::save_channel(&mut tx, name, kind, &config, enabled).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a test message now and reports the channel's own answer.
pub async fn test(state: &AppState, name: &str, who: &str) -> AppResult<()> {
    let c = outbox::channels(&state.db)
        .await?
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| AppError::not_found("渠道", "channel"))?;
    let config: serde_json::Value = serde_json::from_str(&c.config_json).unwrap_or_default();
    let channel = build(&c.kind, &config)?;
    let body = format!("这是一条来自绩效脉搏的测试消息（{who}）。");
    channel
        .send(&Outgoing {
            subject: "测试消息",
            body: &body,
            link: None,
        })
        .await
        .map_err(|e| {
            AppError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "channel_failed",
                format!("发送失败：{}", e.message),
                format!("send failed: {}", e.message),
            )
        })
}

/// Points a unit (by code) at a configured channel, or clears it.
pub async fn set_unit_channel(
    state: &AppState,
    code: &str,
    channel: Option<&str>,
) -> AppResult<()> {
    let unit = pulse_store::org::by_code(&state.db, code.trim())
        .await?
        .ok_or_else(|| AppError::not_found("部门", "org unit"))?;
    let channel = channel.map(str::trim).filter(|c| !c.is_empty());
    let known = outbox::channels(&state.db).await?;
    if let Some(name) = channel
        && !known.iter().any(|c| c.name == name)
    {
        return Err(invalid(
            format!("渠道“{name}”不存在"),
            format!("no channel named '{name}'"),
        ));
    }
    let mut tx = state.db.begin().await?;
    pulse_store::notify::set_unit_channel(&mut tx, unit.id, channel).await?;
    tx.commit().await?;
    Ok(())
}
