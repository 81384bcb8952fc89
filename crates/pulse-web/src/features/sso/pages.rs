//! The sign-in redirects and callbacks, and the admin's identity settings
//! page (`/admin/identity`): OIDC, WeChat Work login, password sign-in per
//! role, the PIPL retention period.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::identity::claims::{MatchField, valid_claim_name};
use pulse_domain::roles::Role;
use pulse_store::identity::settings::{self, OidcSettings, PrivacySettings, WecomLoginSettings};
use serde::Deserialize;

use super::service::{self, BROWSER_COOKIE, PASSWORD_OFF_CHOICES};
use crate::AppState;
use crate::access::{Me, session_cookie};
use crate::error::{AppError, AppResult};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/home".to_string(),
    }
}

/// A 302 (what OAuth providers and the contract expect) carrying a cookie.
fn redirect_with_cookie(location: &str, cookie: &str) -> Response {
    let mut res = axum::http::StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `GET /auth/oidc/login`: 302 to the provider with PKCE, state and nonce.
pub async fn oidc_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let started = service::start_oidc(&state, &headers, &safe_next(q.next.as_deref())).await?;
    Ok(redirect_with_cookie(
        &started.location,
        &service::browser_cookie(&started.browser, state.config.secure_cookies),
    ))
}

fn finish(state: &AppState, f: service::Finished) -> Response {
    let mut res = redirect_with_cookie(
        &f.next,
        &session_cookie(&f.session, state.config.secure_cookies),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{BROWSER_COOKIE}=; Path=/auth; Max-Age=0")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn callback_params(q: &CallbackQuery) -> AppResult<(String, String)> {
    if let Some(e) = &q.error {
        let e: String = e.chars().take(60).collect();
        return Err(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "sso_provider_error",
            format!("身份提供方未完成登录（{e}），请重新登录"),
            format!("the identity provider did not complete the sign-in ({e}); start again"),
        ));
    }
    match (q.code.as_deref(), q.state.as_deref()) {
        (Some(c), Some(s))
            if !c.is_empty() && !s.is_empty() && c.len() <= 2048 && s.len() <= 256 =>
        {
            Ok((c.to_string(), s.to_string()))
        }
        _ => Err(AppError::bad_request(
            "登录回调缺少 code 或 state，请重新登录",
            "the sign-in callback lacks code or state; start again",
        )),
    }
}

/// `GET /auth/oidc/callback?code&state`.
pub async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let (code, st) = callback_params(&q)?;
    let f = service::finish_oidc(&state, &headers, &code, &st).await?;
    Ok(finish(&state, f))
}

/// `GET /auth/wecom/login`: silent OAuth inside WeChat Work, the QR login elsewhere.
pub async fn wecom_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let started = service::start_wecom(&state, &headers, &safe_next(q.next.as_deref())).await?;
    Ok(redirect_with_cookie(
        &started.location,
        &service::browser_cookie(&started.browser, state.config.secure_cookies),
    ))
}

/// `GET /auth/wecom/callback?code&state`.
pub async fn wecom_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let (code, st) = callback_params(&q)?;
    let f = service::finish_wecom(&state, &headers, &code, &st).await?;
    Ok(finish(&state, f))
}

/// What the settings form shows: stored values, or what was typed on a refusal.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub oidc_enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub has_secret: bool,
    pub scopes: String,
    pub claim: String,
    pub match_field: String,
    pub button_label: String,
    pub password_off: Vec<String>,
    pub wecom_enabled: bool,
    pub corp_id: String,
    pub agent_id: String,
    pub has_wecom_secret: bool,
    pub base_url: String,
    pub retention_days: String,
}

impl Typed {
    fn from_stored(o: &OidcSettings, w: &WecomLoginSettings, p: &PrivacySettings) -> Typed {
        Typed {
            oidc_enabled: o.enabled,
            issuer: o.issuer.clone(),
            client_id: o.client_id.clone(),
            has_secret: !o.client_secret.is_empty(),
            scopes: if o.scopes.is_empty() {
                "openid profile email".into()
            } else {
                o.scopes.clone()
            },
            claim: if o.claim.is_empty() {
                "email".into()
            } else {
                o.claim.clone()
            },
            match_field: if o.match_field.is_empty() {
                "email".into()
            } else {
                o.match_field.clone()
            },
            button_label: o.button_label.clone(),
            password_off: o.password_off_roles.clone(),
            wecom_enabled: w.enabled,
            corp_id: w.corp_id.clone(),
            agent_id: if w.agent_id > 0 {
                w.agent_id.to_string()
            } else {
                String::new()
            },
            has_wecom_secret: !w.secret.is_empty(),
            base_url: w.base_url.clone(),
            retention_days: p.retention_days.to_string(),
        }
    }

    pub fn off(&self, role: &str) -> bool {
        self.password_off.iter().any(|r| r == role)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sso/settings.html")]
struct SettingsPage {
    tr: Tr,
    nav: Nav,
    f: Typed,
    error: Option<String>,
    saved: bool,
    roles: Vec<(&'static str, &'static str)>,
    callback_oidc: String,
    callback_wecom: String,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn render(
    state: &AppState,
    page: Page,
    headers: &HeaderMap,
    typed: Option<Typed>,
    error: Option<String>,
    saved: bool,
) -> AppResult<Response> {
    let f = match typed {
        Some(t) => t,
        None => Typed::from_stored(
            &settings::get(&state.db, settings::OIDC).await?,
            &settings::get(&state.db, settings::WECOM_LOGIN).await?,
            &settings::get(&state.db, settings::PRIVACY).await?,
        ),
    };
    let ctx = page.at("admin_identity");
    let lang = ctx.tr.0;
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        SettingsPage {
            roles: PASSWORD_OFF_CHOICES
                .iter()
                .map(|r| (r.as_str(), r.label(lang)))
                .collect(),
            tr: ctx.tr,
            nav: ctx.nav,
            f,
            error,
            saved,
            callback_oidc: service::callback_url(state, headers, "/auth/oidc/callback"),
            callback_wecom: service::callback_url(state, headers, "/auth/wecom/callback"),
        },
    )
        .into_response())
}

/// `GET /admin/identity`.
pub async fn settings_page(
    State(state): State<AppState>,
    _me: Me,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<SavedQuery>,
) -> AppResult<Response> {
    render(&state, page, &headers, None, None, q.saved.is_some()).await
}

fn typed_from(form: &FormFields, stored: &Typed) -> Typed {
    Typed {
        oidc_enabled: form.text("oidc_enabled") == "on",
        issuer: form.text("issuer"),
        client_id: form.text("client_id"),
        has_secret: stored.has_secret || !form.text("client_secret").is_empty(),
        scopes: form.text("scopes"),
        claim: form.text("claim"),
        match_field: form.text("match_field"),
        button_label: form.text("button_label"),
        password_off: form.all("password_off"),
        wecom_enabled: form.text("wecom_enabled") == "on",
        corp_id: form.text("corp_id"),
        agent_id: form.text("agent_id"),
        has_wecom_secret: stored.has_wecom_secret || !form.text("wecom_secret").is_empty(),
        base_url: form.text("base_url"),
        retention_days: form.text("retention_days"),
    }
}

/// The three settings groups from a form, checked whole: all or nothing.
pub fn validate(
    t: &Typed,
    client_secret: Option<String>,
    wecom_secret: Option<String>,
    stored: (&OidcSettings, &WecomLoginSettings),
) -> Result<(OidcSettings, WecomLoginSettings, PrivacySettings), AppError> {
    let bad = |zh: &str, en: &str| AppError::bad_request(zh.to_string(), en.to_string());
    let url_ok = |u: &str| {
        pulse_jobs::identity::Url::parse(u).is_ok_and(|p| {
            p.scheme() == "https"
                || (p.scheme() == "http"
                    && matches!(p.host_str(), Some("localhost") | Some("127.0.0.1")))
        })
    };
    let claim = valid_claim_name(if t.claim.is_empty() {
        "email"
    } else {
        &t.claim
    })?;
    let match_field = MatchField::parse(if t.match_field.is_empty() {
        "email"
    } else {
        &t.match_field
    })?;
    let client_secret = client_secret.unwrap_or_else(|| stored.0.client_secret.clone());
    if t.oidc_enabled {
        if !url_ok(&t.issuer) {
            return Err(bad(
                "签发方地址须为 https:// 开头的网址",
                "the issuer must be an https:// URL",
            ));
        }
        if t.client_id.is_empty() || client_secret.is_empty() {
            return Err(bad(
                "启用单点登录需要客户端 ID 和密钥",
                "single sign-on needs a client id and secret",
            ));
        }
    }
    let mut off = Vec::new();
    for r in &t.password_off {
        let role = Role::parse(r).map_err(|_| bad("未知的角色", "unknown role"))?;
        if !PASSWORD_OFF_CHOICES.contains(&role) {
            return Err(bad(
                "管理员始终保留密码登录",
                "administrators always keep password sign-in",
            ));
        }
        off.push(role.as_str().to_string());
    }
    if !off.is_empty() && !t.oidc_enabled {
        return Err(bad(
            "关闭密码登录前请先启用单点登录",
            "turn single sign-on on before turning password sign-in off",
        ));
    }
    let wecom_secret = wecom_secret.unwrap_or_else(|| stored.1.secret.clone());
    let agent_id = if t.agent_id.is_empty() {
        0
    } else {
        t.agent_id
            .parse::<i64>()
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| {
                bad(
                    "AgentId 须为正整数",
                    "the AgentId is a positive whole number",
                )
            })?
    };
    let base_url = if t.base_url.is_empty() {
        "https://qyapi.weixin.qq.com".to_string()
    } else {
        t.base_url.clone()
    };
    if !url_ok(&base_url) {
        return Err(bad(
            "企业微信接口地址须为 https:// 开头的网址",
            "the WeChat Work API address must be an https:// URL",
        ));
    }
    if t.wecom_enabled && (t.corp_id.is_empty() || agent_id == 0 || wecom_secret.is_empty()) {
        return Err(bad(
            "启用企业微信登录需要企业 ID、AgentId 和应用 Secret",
            "WeChat Work sign-in needs the corp id, AgentId and app secret",
        ));
    }
    let retention_days = t
        .retention_days
        .parse::<i64>()
        .ok()
        .filter(|d| (30..=3650).contains(d))
        .ok_or_else(|| {
            bad(
                "保留期须为 30–3650 天",
                "the retention period is 30–3650 days",
            )
        })?;
    if t.issuer.chars().count() > 256
        || t.client_id.chars().count() > 256
        || t.scopes.chars().count() > 256
        || t.button_label.chars().count() > 32
    {
        return Err(bad("填写的内容过长", "a field is too long"));
    }
    Ok((
        OidcSettings {
            enabled: t.oidc_enabled,
            issuer: t.issuer.trim_end_matches('/').to_string(),
            client_id: t.client_id.clone(),
            client_secret,
            scopes: t.scopes.clone(),
            claim,
            match_field: match_field.as_str().into(),
            button_label: t.button_label.clone(),
            password_off_roles: off,
        },
        WecomLoginSettings {
            enabled: t.wecom_enabled,
            corp_id: t.corp_id.clone(),
            agent_id,
            secret: wecom_secret,
            base_url,
        },
        PrivacySettings { retention_days },
    ))
}

/// Saves all three groups in one transaction, each with the names of its changed fields.
pub async fn save(
    state: &AppState,
    actor: &pulse_store::Actor,
    new: &(OidcSettings, WecomLoginSettings, PrivacySettings),
    old: &(OidcSettings, WecomLoginSettings, PrivacySettings),
) -> AppResult<()> {
    fn changed<T: serde::Serialize>(a: &T, b: &T) -> Vec<String> {
        let (a, b) = (
            serde_json::to_value(a).unwrap_or_default(),
            serde_json::to_value(b).unwrap_or_default(),
        );
        a.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
    let mut tx = state.db.begin().await?;
    let c = changed(&new.0, &old.0);
    settings::put(
        &mut tx,
        actor,
        settings::OIDC,
        &new.0,
        &c.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await?;
    let c = changed(&new.1, &old.1);
    settings::put(
        &mut tx,
        actor,
        settings::WECOM_LOGIN,
        &new.1,
        &c.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await?;
    let c = changed(&new.2, &old.2);
    settings::put(
        &mut tx,
        actor,
        settings::PRIVACY,
        &new.2,
        &c.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await?;
    tx.commit().await?;
    state.identity.oidc.forget().await;
    Ok(())
}

pub async fn stored(
    state: &AppState,
) -> AppResult<(OidcSettings, WecomLoginSettings, PrivacySettings)> {
    Ok((
        settings::get(&state.db, settings::OIDC).await?,
        settings::get(&state.db, settings::WECOM_LOGIN).await?,
        settings::get(&state.db, settings::PRIVACY).await?,
    ))
}

/// `POST /admin/identity`: a refusal keeps what was typed (secrets are never echoed).
pub async fn settings_submit(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    headers: HeaderMap,
    form: FormFields,
) -> AppResult<Response> {
    let old = stored(&state).await?;
    let stored_typed = Typed::from_stored(&old.0, &old.1, &old.2);
    let typed = typed_from(&form, &stored_typed);
    let secret = Some(form.text("client_secret")).filter(|s| !s.is_empty());
    let wecom_secret = Some(form.text("wecom_secret")).filter(|s| !s.is_empty());
    let result = match validate(&typed, secret, wecom_secret, (&old.0, &old.1)) {
        Ok(new) => save(&state, &state.actor(&caller), &new, &old).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/identity?saved=1").into_response()),
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(page.lang()).to_string();
            render(&state, page, &headers, Some(typed), Some(msg), false).await
        }
        Err(e) => Err(e),
    }
}
