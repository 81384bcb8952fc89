//! The review writer's language-model settings (W3), for admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};

/// The review writer's language-model settings (the key is never shown).
#[utoipa::path(get, path = "/api/v1/review-writer/llm", tag = "admin", responses((status = 200, body = super::polish::LlmConfig)))]
pub async fn llm_config(
    State(state): State<AppState>,
    _me: Me,
) -> AppResult<Json<super::polish::LlmConfig>> {
    Ok(Json(super::polish::config(&state).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmBody {
    pub enabled: bool,
    /// The OpenAI-compatible base, e.g. `http://127.0.0.1:11434/v1`.
    #[schema(max_length = 300, pattern = r"^https?://\S+$")]
    pub base_url: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub model: String,
    /// Empty keeps the stored key.
    #[schema(max_length = 300)]
    pub api_key: Option<String>,
    #[schema(minimum = 500, maximum = 60000)]
    pub timeout_ms: Option<u64>,
}

/// Configure the optional polish (W3). Drafts stay offline unless enabled.
#[utoipa::path(put, path = "/api/v1/review-writer/llm", tag = "admin", request_body = LlmBody,
    responses((status = 200, body = super::polish::LlmConfig), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_llm_config(
    State(state): State<AppState>,
    _me: Me,
    ApiJson(b): ApiJson<LlmBody>,
) -> AppResult<Json<super::polish::LlmConfig>> {
    let url = b.base_url.as_str();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    if url.chars().count() > 300
        || rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace))
    {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_url",
            "地址须以 http:// 或 https:// 开头，且不含空格",
            "the URL must start with http:// or https:// and hold no spaces",
        )));
    }
    if b.model.trim().is_empty() {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "model_required",
            "请填写模型名称",
            "name the model",
        )));
    }
    if b.model.chars().count() > 100
        || b.api_key
            .as_deref()
            .is_some_and(|k| k.chars().count() > 300)
        || b.timeout_ms.is_some_and(|t| !(500..=60_000).contains(&t))
    {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_llm_config",
            "模型名称、密钥或超时设置超出范围",
            "the model, key or timeout is out of range",
        )));
    }
    super::polish::save(
        &state,
        &super::polish::LlmConfig {
            enabled: b.enabled,
            base_url: url.to_string(),
            model: b.model,
            api_key: b.api_key.unwrap_or_default(),
            timeout_ms: b.timeout_ms,
        },
    )
    .await?;
    Ok(Json(super::polish::config(&state).await?))
}
