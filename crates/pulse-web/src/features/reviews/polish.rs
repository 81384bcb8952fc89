//! W3: an optional OpenAI-compatible endpoint (vLLM, Ollama `/v1`,
//! DeepSeek, Qwen/DashScope compatible mode) polishes the offline draft.
//! It receives pseudonymised text only and never sees or sets the rating;
//! any failure leaves the offline draft in place with the reason.

use std::time::Duration;

use pulse_domain::Lang;
use pulse_domain::reviews::pseudonym::Pseudonyms;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::AppResult;

const SETTING: &str = "review_llm";
pub const DEFAULT_TIMEOUT_MS: u64 = 8000;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LlmConfig {
    pub enabled: bool,
    /// E.g. `http://127.0.0.1:8000/v1` (the path before `/chat/completions`).
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token; never shown back.
    #[serde(default, skip_serializing)]
    pub api_key: String,
    /// Default 8000.
    pub timeout_ms: Option<u64>,
}

pub async fn config(state: &AppState) -> AppResult<LlmConfig> {
    Ok(pulse_store::digests::setting(&state.db, SETTING)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// The stored form keeps the key (the API form hides it).
#[derive(Serialize, Deserialize)]
struct Stored {
    enabled: bool,
    base_url: String,
    model: String,
    api_key: String,
    timeout_ms: Option<u64>,
}

pub async fn save(state: &AppState, c: &LlmConfig) -> AppResult<()> {
    let before = config(state).await?;
    let stored = Stored {
        enabled: c.enabled,
        base_url: c.base_url.trim().trim_end_matches('/').to_string(),
        model: c.model.trim().to_string(),
        // An empty key on save keeps the one stored (the form never shows it).
        api_key: if c.api_key.is_empty() {
            before.api_key
        } else {
            c.api_key.clone()
        },
        timeout_ms: c.timeout_ms,
    };
    let mut tx = state.db.begin().await?;
    pulse_store::digests::set_setting(
        &mut tx,
        SETTING,
        &serde_json::to_string(&stored).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const SYSTEM_PROMPT: &str = "你是企业绩效评语的润色助手。请在不改变事实、数字、日期的前提下，把下面的评语改写得更通顺、专业、具体。\
方括号中的占位符（如 [P1]、[C2]、[E1]）代表人名、客户名和工号，必须原样保留，不得删除、翻译或改写。只输出润色后的评语正文。";

/// The body sent to `{base_url}/chat/completions`.
pub fn request_body(model: &str, masked: &str) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": masked},
        ],
        "temperature": 0.3,
        "stream": false,
    })
}

/// The error message of an OpenAI-shaped (`{"error": {"message"}}`) or a
/// flat vLLM-shaped (`{"object": "error", "message"}`) reply.
fn error_message(v: &Value) -> Option<String> {
    v.pointer("/error/message")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("detail"))
        .or_else(|| v.get("error"))
        .and_then(|m| {
            m.as_str()
                .map(str::to_string)
                .or_else(|| Some(m.to_string()))
        })
}

/// The polished text, or why there is none (in the manager's language).
pub async fn polish(
    state: &AppState,
    text: &str,
    names: &Pseudonyms,
    lang: Lang,
) -> Result<String, String> {
    let c = config(state)
        .await
        .map_err(|e| e.message(lang).to_string())?;
    if !c.enabled || c.base_url.is_empty() {
        return Err(lang
            .pick(
                "管理员尚未配置润色服务，已使用离线草稿",
                "No polishing service is configured: the offline draft is used",
            )
            .into());
    }
    let masked = names.mask(text);
    if !names.is_clean(&masked) {
        return Err(lang
            .pick(
                "草稿无法完全匿名化，未发送润色",
                "The draft could not be fully pseudonymised, so it was not sent",
            )
            .into());
    }
    let timeout = Duration::from_millis(
        c.timeout_ms
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .clamp(500, 60_000),
    );
    let mut req = pulse_jobs::channels::http_client()
        .post(format!("{}/chat/completions", c.base_url))
        .timeout(timeout)
        .json(&request_body(&c.model, &masked));
    if !c.api_key.is_empty() {
        req = req.bearer_auth(&c.api_key);
    }
    let fallback = |zh: String, en: String| lang.pick(&zh, &en).to_string();
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            fallback(
                format!(
                    "润色服务 {} 秒内没有响应，已使用离线草稿",
                    timeout.as_secs()
                ),
                format!(
                    "The polishing service did not answer within {} s: the offline draft is used",
                    timeout.as_secs()
                ),
            )
        } else {
            fallback(
                "无法连接润色服务，已使用离线草稿".into(),
                "The polishing service could not be reached: the offline draft is used".into(),
            )
        }
    })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    if !status.is_success() {
        let msg = parsed.as_ref().and_then(error_message).unwrap_or_default();
        return Err(fallback(
            format!(
                "润色服务返回错误（{}）{}，已使用离线草稿",
                status.as_u16(),
                if msg.is_empty() {
                    String::new()
                } else {
                    format!("：{msg}")
                }
            ),
            format!(
                "The polishing service answered {}{}: the offline draft is used",
                status.as_u16(),
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(" ({msg})")
                }
            ),
        ));
    }
    let content = parsed
        .as_ref()
        .and_then(|v| v.pointer("/choices/0/message/content"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            fallback(
                "润色服务的回复无法识别，已使用离线草稿".into(),
                "The polishing service's reply was not understood: the offline draft is used"
                    .into(),
            )
        })?;
    names.unmask(&masked, content).map_err(|p| {
        fallback(
            format!("{}，为免张冠李戴已使用离线草稿", p.zh),
            format!(
                "{}; the offline draft is used so no name is lost or misplaced",
                p.en
            ),
        )
    })
}
