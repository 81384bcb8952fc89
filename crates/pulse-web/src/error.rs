//! The one error type of the web layer.
//!
//! Handlers return `AppError`; its response carries the error as an extension
//! and [`render_errors`] turns it into the JSON envelope
//! `{"error": {"code", "message"}}` under `/api` or into an HTML page
//! elsewhere, in the caller's language. Details of 5xx errors are logged and
//! never shown.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pulse_domain::{Lang, Problem};
use pulse_store::StoreError;
use serde_json::json;

use crate::AppState;

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl AppError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AppError {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录",
            "please sign in",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您没有权限执行此操作",
            "you are not allowed to do this",
        )
    }

    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what_zh}不存在"),
            format!("{what_en} not found"),
        )
    }

    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }

    pub fn invalid(p: Problem) -> Self {
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: p.code,
            zh: p.zh,
            en: p.en,
        }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        tracing::error!(error = %context, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后再试",
            "internal server error",
        )
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }

    pub fn json_body(&self, lang: Lang) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message(lang)}})
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("未找到：{what}"),
                format!("not found: {what}"),
            ),
            StoreError::Conflict(p) => AppError {
                status: StatusCode::CONFLICT,
                code: p.code,
                zh: p.zh,
                en: p.en,
            },
            StoreError::Invalid(p) => AppError::invalid(p),
            other => AppError::internal(other),
        }
    }
}

impl From<Problem> for AppError {
    fn from(p: Problem) -> Self {
        AppError::invalid(p)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Default body for responses that bypass `render_errors`; the
        // middleware replaces it with the caller's language and format.
        let mut res = (self.status, Json(self.json_body(Lang::Zh))).into_response();
        res.extensions_mut().insert(self);
        res
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A handler that panicked answers like any internal error (the envelope or
/// the error page, via [`render_errors`]) and the panic is logged; the
/// server goes on serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into());
    AppError::internal(format!("handler panicked: {what}")).into_response()
}

/// Renders every `AppError` in one place, and turns axum's own plain-text
/// rejections (bad JSON, wrong content type, body too large) into the same
/// envelope so no client ever sees a bare text error.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let is_scim = req.uri().path().starts_with("/scim/");
    let lang = if is_api {
        crate::i18n::api_lang(req.headers())
    } else {
        crate::i18n::request_lang(req.headers())
    };
    let res = next.run(req).await;
    let err = match res.extensions().get::<AppError>() {
        // The router's fallback: SCIM clients read only SCIM's error shape.
        Some(e) if is_scim => {
            let e =
                pulse_domain::identity::scim::ScimError::new(e.status.as_u16(), None, e.en.clone());
            return crate::features::scim::service::error(&e);
        }
        Some(e) => e.clone(),
        None if res.status().is_client_error() || res.status().is_server_error() => {
            let is_plain = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.to_str().unwrap_or("").starts_with("text/plain"));
            if !is_plain {
                return res;
            }
            if is_scim {
                // An unknown SCIM path or method: SCIM clients read only SCIM's error shape.
                let e = pulse_domain::identity::scim::ScimError::new(
                    res.status().as_u16(),
                    None,
                    res.status().canonical_reason().unwrap_or("error"),
                );
                return crate::features::scim::service::error(&e);
            }
            from_rejection(res.status())
        }
        None => return res,
    };
    if is_api {
        let mut out = (err.status, Json(err.json_body(lang))).into_response();
        copy_auth_headers(&res, &mut out);
        out
    } else {
        crate::pages::error_page(&state, lang, &err).await
    }
}

fn copy_auth_headers(from: &Response, to: &mut Response) {
    if let Some(v) = from.headers().get(header::WWW_AUTHENTICATE) {
        to.headers_mut().insert(header::WWW_AUTHENTICATE, v.clone());
    }
    for v in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    to.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn from_rejection(status: StatusCode) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
            status,
            "payload_too_large",
            "提交的内容过大",
            "request body too large",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "unsupported_media_type",
            "请求格式不支持，请使用 JSON",
            "unsupported content type; send JSON",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::new(
            status,
            "invalid_body",
            "请求内容的字段或类型不正确",
            "the request body has wrong or unknown fields",
        ),
        StatusCode::BAD_REQUEST => {
            AppError::new(status, "bad_request", "请求格式错误", "malformed request")
        }
        StatusCode::NOT_FOUND => AppError::new(status, "not_found", "页面不存在", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "method_not_allowed",
            "不支持该请求方法",
            "method not allowed",
        ),
        StatusCode::REQUEST_TIMEOUT => {
            AppError::new(status, "timeout", "请求超时", "request timed out")
        }
        s if s.is_server_error() => AppError::new(
            s,
            "internal",
            "服务器内部错误，请稍后再试",
            "internal server error",
        ),
        s => AppError::new(s, "error", "请求失败", "request failed"),
    }
}
