//! The JSON API under `/api/v1` (X4). Conventions (docs/API-DESIGN.md):
//! lists are `{"items": [...], "total": N}`, errors are
//! `{"error": {"code", "message"}}`, unknown fields are rejected.

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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    let detail = rej.body_text();
    match rej {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求需要 Content-Type: application/json",
            "expected Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => AppError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("JSON 格式错误：{detail}"),
            format!("malformed JSON: {detail}"),
        ),
        JsonRejection::JsonDataError(_) => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("字段或类型不正确：{detail}"),
            format!("wrong or unknown fields: {detail}"),
        ),
        JsonRejection::BytesRejection(_) => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "提交的内容过大",
            "request body too large",
        ),
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
