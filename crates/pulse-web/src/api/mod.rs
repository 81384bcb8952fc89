//! The JSON API under `/api/v1` (X4). Conventions (docs/API-DESIGN.md):
//! lists are `{"items": [...], "total": N}`, errors are
//! `{"error": {"code", "message"}}`, unknown fields are rejected.

pub mod vocab;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::AppError;

/// `Json<T>` whose rejections speak our error envelope, with the reason.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| payload_too_large())?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            // The body is valid JSON but does not fit `T`: perhaps only a
            // whole number spelled `14.0`. Only then is the body read a
            // second time, so the common case parses once.
            Err(JsonRejection::JsonDataError(_)) => {
                let mut value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| malformed(&e.to_string()))?;
                integral_floats_as_integers(&mut value);
                serde_path_to_error::deserialize(value)
                    .map(ApiJson)
                    .map_err(|e| {
                        let detail = match e.path().to_string().as_str() {
                            "." => e.inner().to_string(),
                            path => format!("{path}: {}", e.inner()),
                        };
                        AppError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_body",
                            format!("字段或类型不正确：{detail}"),
                            format!("wrong or unknown fields: {detail}"),
                        )
                    })
            }
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

/// `application/json` or any `application/*+json`, as axum's `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type() -> AppError {
    AppError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "请求需要 Content-Type: application/json",
        "expected Content-Type: application/json",
    )
}

fn payload_too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "提交的内容过大",
        "request body too large",
    )
}

fn malformed(detail: &str) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        format!("JSON 格式错误：{detail}"),
        format!("malformed JSON: {detail}"),
    )
}

/// In JSON (and JSON Schema) `14.0` is the integer 14; serde would refuse it
/// for an integer field. Whole floats within 64 bits become integers before
/// the body meets its type; a float field accepts an integer anyway.
fn integral_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.2e18
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    let detail = rej.body_text();
    match rej {
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::JsonSyntaxError(_) => malformed(&detail),
        JsonRejection::JsonDataError(_) => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("字段或类型不正确：{detail}"),
            format!("wrong or unknown fields: {detail}"),
        ),
        JsonRejection::BytesRejection(_) => payload_too_large(),
        _ => AppError::bad_request(
            format!("请求无效：{detail}"),
            format!("invalid request: {detail}"),
        ),
    }
}

/// `Query<T>` with the same error envelope.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(query_rejection(rej)),
        }
    }
}

fn query_rejection(rej: QueryRejection) -> AppError {
    let detail = rej.body_text();
    AppError::bad_request(
        format!("查询参数不正确：{detail}"),
        format!("invalid query parameters: {detail}"),
    )
}

/// A `limit`-style query value: its default when absent, else it must lie
/// in `1..=max` (the range the OpenAPI document declares).
pub fn limit(value: Option<i64>, default: i64, max: i64) -> Result<i64, AppError> {
    match value {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(v),
        Some(v) => Err(AppError::bad_request(
            format!("limit 需在 1 到 {max} 之间，而不是 {v}"),
            format!("limit must be between 1 and {max}, not {v}"),
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_body`.
    pub code: String,
    /// Human-readable, in the caller's language (zh-CN unless `Accept-Language: en`).
    pub message: String,
}
