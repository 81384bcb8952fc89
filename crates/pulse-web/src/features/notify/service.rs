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
            match (
                v["webhook_url"].as_str(),
                v["base_url"].as_str(),
                v["host"].as_str(),
            ) {
                (Some(url), _, _) | (None, Some(url), _) => {
                    Some(pulse_jobs::channels::endpoint_hint(url))
                }
                (None, None, Some(host)) => Some(format!(
                    "smtp://{host}:{}",
                    v["port"].as_u64().unwrap_or(587)
                )),
                _ => None,
            }
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
/// The settings of a channel as an admin enters them; empty fields keep stored values.
#[derive(Debug, Default, Clone)]
pub struct ChannelForm {
    pub kind: String,
    /// Robot webhook URL, or the API base URL of a WeChat Work app (default qyapi.weixin.qq.com).
    pub webhook_url: String,
    /// Robot signing secret, or the app's corpsecret.
    pub secret: String,
    pub corpid: String,
    pub agentid: String,
    /// Email: SMTP host, port, login, sender and TLS mode (`starttls`, `tls`, `none`).
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_username: String,
    pub smtp_from: String,
    pub smtp_tls: String,
    pub enabled: bool,
}

pub async fn save(state: &AppState, name: &str, form: &ChannelForm) -> AppResult<()> {
    let (kind, webhook_url, secret, enabled) = (
        form.kind.as_str(),
        form.webhook_url.as_str(),
        form.secret.as_str(),
        form.enabled,
    );
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
    let config = if kind == "email" {
        let port = if form.smtp_port.trim().is_empty() {
            stored["port"].as_u64()
        } else {
            Some(form.smtp_port.trim().parse::<u16>().map_err(|_| {
                invalid(
                    format!("端口“{}”无效：应为 1–65535 的整数", form.smtp_port.trim()),
                    format!(
                        "port '{}' is not a number from 1 to 65535",
                        form.smtp_port.trim()
                    ),
                )
            })? as u64)
        };
        let mut c = serde_json::json!({
            "host": keep(&form.smtp_host, "host"),
            "from": keep(&form.smtp_from, "from"),
            "tls": Some(keep(&form.smtp_tls, "tls")).filter(|t| !t.is_empty()).unwrap_or_else(|| "starttls".into()),
            "username": keep(&form.smtp_username, "username"),
            "password": keep(secret, "password"),
        });
        if let Some(port) = port {
            c["port"] = port.into();
        }
        if let Some(ca) = stored["ca_pem"].as_str() {
            c["ca_pem"] = ca.into();
        }
        c
    } else if kind == "wecom_app" {
        let base = keep(webhook_url, "base_url");
        let agentid = if form.agentid.trim().is_empty() {
            stored["agentid"].as_i64().unwrap_or(0)
        } else {
            form.agentid.trim().parse::<i64>().unwrap_or(0)
        };
        serde_json::json!({
            "base_url": if base.is_empty() { "https://qyapi.weixin.qq.com".to_string() } else { base },
            "corpid": keep(&form.corpid, "corpid"),
            "corpsecret": keep(secret, "corpsecret"),
            "agentid": agentid,
        })
    } else {
        let mut c = serde_json::json!({ "webhook_url": keep(webhook_url, "webhook_url") });
        if kind != "wecom_robot" {
            c["secret"] = keep(secret, "secret").into();
        }
        c
    };
    build(kind, &config)?;
    let mut tx = state.db.begin().await?;
    outbox::save_channel(&mut tx, name, kind, &config, enabled).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a test message now and reports the channel's own answer.
/// Person channels (app messages) send the test to the admin's own account.
pub async fn test(
    state: &AppState,
    name: &str,
    caller: &pulse_store::accounts::Caller,
) -> AppResult<()> {
    let who = &caller.name;
    let c = outbox::channels(&state.db)
        .await?
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| AppError::not_found("渠道", "channel"))?;
    let me = pulse_store::people::by_id(&state.db, caller.person_id).await?;
    let recipient = match c.kind.as_str() {
        "email" => me.and_then(|p| p.email),
        _ => me.and_then(|p| p.wecom_userid),
    }
    .unwrap_or_default();
    let config: serde_json::Value = serde_json::from_str(&c.config_json).unwrap_or_default();
    let channel = build(&c.kind, &config)?;
    let body = format!("这是一条来自绩效脉搏的测试消息（{who}）。");
    channel
        .send(&Outgoing {
            subject: "测试消息",
            body: &body,
            link: None,
            recipient: &recipient,
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

/// A person's notification preferences as pages and the API show them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesDto {
    /// Personal channel kinds messages go to (`wecom_app`, `email`); empty means inbox only.
    pub channels: Vec<String>,
    /// True while the person never chose: the one channel that reaches them is used.
    pub is_default: bool,
    /// Quiet hours in China Standard Time, e.g. `{"start": "22:00", "end": "07:30"}`.
    pub quiet_hours: Option<QuietHoursDto>,
    /// Kinds an admin has configured and enabled, i.e. what can be chosen usefully.
    pub available: Vec<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursDto {
    /// `HH:MM`, China time.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`; before `start` means the next morning.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
}

pub async fn preferences(state: &AppState, person_id: i64) -> AppResult<PreferencesDto> {
    let p = pulse_store::notify::preferences(&state.db, person_id).await?;
    let person = pulse_store::people::by_id(&state.db, person_id).await?;
    let has = |v: Option<&String>| v.is_some_and(|s| !s.trim().is_empty());
    let channels = pulse_domain::preferences::effective_channels(
        p.channels.as_deref(),
        has(person.as_ref().and_then(|p| p.wecom_userid.as_ref())),
        has(person.as_ref().and_then(|p| p.email.as_ref())),
    );
    let configured = outbox::channels(&state.db).await?;
    let available = pulse_domain::preferences::PERSONAL_KINDS
        .iter()
        .filter(|k| configured.iter().any(|c| c.kind == **k && c.enabled != 0))
        .map(|k| k.to_string())
        .collect();
    Ok(PreferencesDto {
        channels: channels.into_iter().map(str::to_string).collect(),
        is_default: p.channels.is_none(),
        quiet_hours: p.quiet.map(|q| {
            let (start, end) = q.format();
            QuietHoursDto { start, end }
        }),
        available,
    })
}

pub async fn save_preferences(
    state: &AppState,
    person_id: i64,
    channels: &[String],
    quiet: Option<&QuietHoursDto>,
) -> AppResult<()> {
    let quiet = quiet
        .map(|q| pulse_domain::preferences::QuietHours::parse(&q.start, &q.end))
        .transpose()
        .map_err(AppError::invalid)?;
    let mut tx = state.db.begin().await?;
    pulse_store::notify::save_preferences(&mut tx, person_id, channels, quiet).await?;
    tx.commit().await?;
    Ok(())
}
