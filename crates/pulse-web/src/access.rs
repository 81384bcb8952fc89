//! Authentication and authorization, decided in one place (S1, S2).
//!
//! Every route in [`crate::routes`] declares an [`Access`]; the router wraps
//! each one in [`authorize`], which finds the caller (session cookie or
//! bearer token), checks role and token scope, enforces CSRF on browser
//! writes, and hands the [`Caller`] to the handler.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::roles::Role;
use pulse_store::accounts::{self, Caller};

use crate::AppState;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "pulse_session";
/// Double-submit token for forms shown before sign-in (the login form).
pub const PRELOGIN_CSRF_COOKIE: &str = "pulse_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Public and never about the caller (health, metrics, static files, docs):
    /// no session lookup at all.
    Open,
    /// Public, but the page may greet a signed-in caller (home, login).
    Public,
    /// Any signed-in caller.
    Anyone,
    /// Callers holding at least one of these roles.
    Roles(&'static [Role]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub who: Who,
    /// The API-token scope that admits a token caller; `None` = tokens refused.
    pub token_scope: Option<&'static str>,
}

impl Access {
    pub const OPEN: Access = Access {
        who: Who::Open,
        token_scope: None,
    };
    pub const PUBLIC: Access = Access {
        who: Who::Public,
        token_scope: None,
    };
    pub const ANYONE: Access = Access {
        who: Who::Anyone,
        token_scope: None,
    };

    pub const fn roles(roles: &'static [Role]) -> Access {
        Access {
            who: Who::Roles(roles),
            token_scope: None,
        }
    }

    pub const fn with_token(self, scope: &'static str) -> Access {
        Access {
            who: self.who,
            token_scope: Some(scope),
        }
    }

    /// The rule itself, kept free of HTTP so it can be read and tested alone.
    pub fn admits(&self, caller: Option<&Caller>) -> Result<(), AppError> {
        if matches!(self.who, Who::Open | Who::Public) {
            return Ok(());
        }
        let Some(caller) = caller else {
            return Err(AppError::unauthenticated());
        };
        if let Some(scopes) = &caller.token_scopes {
            match self.token_scope {
                Some(needed) if scopes.iter().any(|s| s == needed) => {}
                _ => return Err(AppError::forbidden()),
            }
        }
        match self.who {
            Who::Open | Who::Public | Who::Anyone => Ok(()),
            Who::Roles(roles) if roles.iter().any(|r| caller.has_role(*r)) => Ok(()),
            Who::Roles(_) => Err(AppError::forbidden()),
        }
    }
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Finds the caller: a bearer token first, else the session cookie.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, AppError> {
    if let Some(token) = bearer(headers) {
        return match accounts::caller_by_token(&state.db, token).await? {
            Some(c) => Ok(Some(c)),
            None => Err(AppError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_token",
                "API 令牌无效、已过期或已吊销",
                "the API token is invalid, expired or revoked",
            )),
        };
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(secret) if !secret.is_empty() => {
            Ok(accounts::caller_by_session(&state.db, &secret).await?)
        }
        _ => Ok(None),
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Largest form body read for the CSRF check (uploads carry the token in the query).
const FORM_LIMIT: usize = 1024 * 1024;

pub async fn authorize(
    State((state, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    if access.who == Who::Open {
        return next.run(req).await;
    }
    let is_api = req.uri().path().starts_with("/api/");
    let caller = match identify(&state, req.headers()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = access.admits(caller.as_ref()) {
        if caller.is_none() && !is_api && req.method() == Method::GET {
            let next_path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            return Redirect::to(&format!("/login?next={}", urlencode(next_path))).into_response();
        }
        return e.into_response();
    }
    let mut req = req;
    if let Some(c) = &caller
        && c.token_scopes.is_none()
        && is_unsafe(req.method())
    {
        req = match check_csrf(req, c, is_api).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
    }
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
}

fn csrf_error() -> AppError {
    AppError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf",
        "页面已过期或请求来源不可信，请刷新页面后重试",
        "the form expired or the request came from another site; reload and try again",
    )
}

/// Browser writes must prove they come from our own pages. JSON requests and
/// non-POST methods cannot be sent cross-site without a CORS preflight (which
/// we never grant), so only form-encodable POSTs need the token.
async fn check_csrf(req: Request, caller: &Caller, is_api: bool) -> Result<Request, AppError> {
    let expected = caller.csrf_token.as_deref().unwrap_or("");
    let headers = req.headers();
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) == Some(expected)
        && !expected.is_empty()
    {
        return Ok(req);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if is_api && (req.method() != Method::POST || content_type.starts_with("application/json")) {
        return Ok(req);
    }
    if let Some(q) = req.uri().query()
        && form_field(q, CSRF_FIELD).as_deref() == Some(expected)
    {
        return Ok(req);
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, FORM_LIMIT).await.map_err(|_| {
            AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "提交的内容过大",
                "form too large",
            )
        })?;
        let ok = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| form_field(s, CSRF_FIELD))
            .as_deref()
            == Some(expected);
        if ok {
            return Ok(Request::from_parts(parts, Body::from(bytes)));
        }
    }
    Err(csrf_error())
}

pub fn form_field(encoded: &str, name: &str) -> Option<String> {
    form_urlencoded_pairs(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Every `key=value` pair of a URL-encoded form, decoded, in order (repeated keys kept).
pub(crate) fn form_pairs(encoded: &str) -> Vec<(String, String)> {
    form_urlencoded_pairs(encoded).collect()
}

fn form_urlencoded_pairs(s: &str) -> impl Iterator<Item = (String, String)> + '_ {
    s.split('&').filter_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        Some((urldecode(k)?, urldecode(v)?))
    })
}

fn urldecode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The signed-in caller, put in place by [`authorize`].
pub struct Me(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(Me)
            .ok_or_else(AppError::unauthenticated)
    }
}

/// The caller if signed in (public routes).
pub struct MaybeMe(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeMe {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeMe(parts.extensions.get::<Caller>().cloned()))
    }
}

pub fn session_cookie(secret: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        pulse_store::accounts::SESSION_TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(
            form_field("a=1&_csrf=ab%2Bc&x", "_csrf").as_deref(),
            Some("ab+c")
        );
        assert_eq!(
            form_field("q=%E5%BC%A0+%E4%B8%89", "q").as_deref(),
            Some("张 三")
        );
        assert_eq!(form_field("q=%E5", "q"), None);
        assert_eq!(form_field("q=%", "q"), None);
        assert_eq!(urlencode("/people/E1?x=张"), "/people/E1%3Fx%3D%E5%BC%A0");
    }
}
