//! Channel settings, test messages and dead-letter retries (N2, N3), shared
//! by the admin API and the admin page. Secrets go in, never come out.

use std::sync::Arc;

use pulse_jobs::channels::{Channel, Outgoing, WecomRobot};
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

fn build(kind: &str, webhook_url: &str) -> AppResult<Arc<dyn Channel>> {
    match kind {
        "wecom_robot" => WecomRobot::new(pulse_jobs::channels::http_client(), webhook_url)
            .map(|c| Arc::new(c) as Arc<dyn Channel>)
            .map_err(|e| invalid(e.clone(), format!("invalid WeChat Work webhook: {e}"))),
        other => Err(invalid(
            format!("不支持的渠道类型“{other}”"),
            format!("unsupported channel kind '{other}'"),
        )),
    }
}

/// Saves a channel after checking its settings parse; an empty URL keeps the stored one.
pub async fn save(
    state: &AppState,
    name: &str,
    kind: &str,
    webhook_url: &str,
    enabled: bool,
) -> AppResult<()> {
    let url = if webhook_url.trim().is_empty() {
        let stored = outbox::channels(&state.db)
            .await?
            .into_iter()
            .find(|c| c.name == name);
        let stored = stored.ok_or_else(|| {
            invalid(
                "请填写 webhook 地址".into(),
                "a webhook URL is required".into(),
            )
        })?;
        serde_json::from_str::<serde_json::Value>(&stored.config_json)
            .ok()
            .and_then(|v| v["webhook_url"].as_str().map(String::from))
            .unwrap_or_default()
    } else {
        webhook_url.trim().to_string()
    };
    build(kind, &url)?;
    let mut tx = state.db.begin().await?;
    outbox::save_channel(
        &mut tx,
        name,
        kind,
        &serde_json::json!({ "webhook_url": url }),
        enabled,
    )
    .await?;
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
    let url = serde_json::from_str::<serde_json::Value>(&c.config_json)
        .ok()
        .and_then(|v| v["webhook_url"].as_str().map(String::from))
        .unwrap_or_default();
    let channel = build(&c.kind, &url)?;
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
