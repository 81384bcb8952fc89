use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::access::{
    MaybeMe, PRELOGIN_CSRF_COOKIE, SESSION_COOKIE, clear_session_cookie, cookie, session_cookie,
};
use crate::error::AppResult;
use crate::forms::PageForm;
use crate::i18n::{LANG_COOKIE, Tr};
use crate::pages::{Nav, PageCtx};

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    tr: Tr,
    nav: Nav,
    csrf: String,
    next: String,
    login: String,
    error: Option<String>,
    demo: bool,
    /// The SSO button's text when single sign-on is on.
    oidc: Option<String>,
    wecom: bool,
    /// Inside the WeChat Work client its button comes first.
    in_wecom: bool,
}

pub async fn home(MaybeMe(me): MaybeMe) -> Redirect {
    Redirect::to(if me.is_some() { "/home" } else { "/login" })
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// Only same-site paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/home".to_string(),
    }
}

async fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    next: String,
    login: String,
    error: Option<String>,
) -> Response {
    let ctx = PageCtx::new(headers, None, "login");
    // Reuse the pre-login token if the browser has one, so two tabs both work.
    let csrf = cookie(headers, PRELOGIN_CSRF_COOKIE)
        .filter(|c| c.len() == 64)
        .unwrap_or_else(pulse_domain::auth::new_secret);
    let sso = crate::features::sso::service::oidc_settings(state)
        .await
        .ok();
    let oidc = sso.filter(|s| s.enabled).map(|s| {
        if s.button_label.is_empty() {
            ctx.tr.t("sso.sign_in_company").to_string()
        } else {
            s.button_label
        }
    });
    let wecom = crate::features::sso::service::wecom_settings(state)
        .await
        .is_ok_and(|w| w.enabled);
    let page = LoginPage {
        oidc,
        wecom,
        in_wecom: crate::features::sso::service::in_wecom(headers),
        tr: ctx.tr,
        nav: ctx.nav,
        csrf: csrf.clone(),
        next,
        login,
        error,
        demo: state.config.demo,
    };
    let status = if page.error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    let mut res = (status, page).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{PRELOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(
    State(state): State<AppState>,
    MaybeMe(me): MaybeMe,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    if me.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render_login(
        &state,
        &headers,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let lang = crate::i18n::request_lang(&headers);
    let next = safe_next(form.next.as_deref());
    let expected = cookie(&headers, PRELOGIN_CSRF_COOKIE);
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        let msg = lang
            .pick(
                "页面已过期，请重新登录",
                "The page expired; please sign in again",
            )
            .to_string();
        return render_login(&state, &headers, next, form.login, Some(msg)).await;
    }
    match crate::features::auth::service::sign_in(&state, &form.login, &form.password).await {
        Ok(secret) => {
            let mut res = Redirect::to(&next).into_response();
            if let Ok(v) =
                HeaderValue::from_str(&session_cookie(&secret, state.config.secure_cookies))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            render_login(
                &state,
                &headers,
                next,
                form.login,
                Some(e.message(lang).to_string()),
            )
            .await
        }
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        pulse_store::accounts::delete_session(&state.db, &secret).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Switches the UI language and returns to the page the person came from.
pub async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = pulse_domain::Lang::parse(&code);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .map(|i| &r[i + 3..])
                .and_then(|rest| rest.find('/').map(|j| rest[j..].to_string()))
        })
        .map(|p| safe_next(Some(&p)))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next(Some("/org?q=1")), "/org?q=1");
        assert_eq!(safe_next(Some("//evil.example")), "/home");
        assert_eq!(safe_next(Some("https://evil.example")), "/home");
        assert_eq!(safe_next(Some("/\\evil")), "/home");
        assert_eq!(safe_next(None), "/home");
    }
}
