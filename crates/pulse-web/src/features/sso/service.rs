//! The sign-in flows, free of page rendering: start (state, nonce, PKCE, the
//! browser cookie; the redirect) and finish (the flow taken once, the
//! provider asked, the person found, the session opened).

use axum::http::{HeaderMap, StatusCode, header};
use pulse_domain::Problem;
use pulse_domain::identity::claims::{Expect, MatchField, claim_value};
use pulse_domain::identity::pkce;
use pulse_domain::roles::Role;
use pulse_jobs::identity::wecom_login::{self, App};
use pulse_store::identity::settings::{self, OidcSettings, WecomLoginSettings};
use pulse_store::identity::{flows, sign_in};

use crate::AppState;
use crate::access::cookie;
use crate::error::{AppError, AppResult};

/// The cookie that binds a sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "pulse_sso";

pub fn browser_cookie(value: &str, secure: bool) -> String {
    format!(
        "{BROWSER_COOKIE}={value}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=600{}",
        if secure { "; Secure" } else { "" }
    )
}

fn refused(status: StatusCode, p: Problem) -> AppError {
    AppError::new(status, p.code, p.zh, p.en)
}

fn store_refusal(e: pulse_store::StoreError) -> AppError {
    match e {
        pulse_store::StoreError::Invalid(p) => refused(StatusCode::FORBIDDEN, p),
        other => other.into(),
    }
}

/// Where the provider sends the browser back: the configured public URL, or
/// this request's own host.
pub fn callback_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let base = state.config.public_url.trim_end_matches('/');
    if !base.is_empty() {
        return format!("{base}{path}");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

/// A started sign-in: where to send the browser and the cookie to set.
pub struct Started {
    pub location: String,
    pub browser: String,
}

fn not_configured(what_zh: &str, what_en: &str) -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "sso_not_configured",
        format!("{what_zh}尚未启用，请使用账号密码登录"),
        format!("{what_en} is not enabled; sign in with your password"),
    )
}

pub async fn oidc_settings(state: &AppState) -> AppResult<OidcSettings> {
    Ok(settings::get(&state.db, settings::OIDC).await?)
}

pub async fn wecom_settings(state: &AppState) -> AppResult<WecomLoginSettings> {
    Ok(settings::get(&state.db, settings::WECOM_LOGIN).await?)
}

fn scopes(s: &OidcSettings) -> String {
    let mut out = vec!["openid".to_string()];
    for sc in s.scopes.split_whitespace() {
        if !out.iter().any(|o| o == sc) {
            out.push(sc.to_string());
        }
    }
    out.join(" ")
}

pub async fn start_oidc(state: &AppState, headers: &HeaderMap, next: &str) -> AppResult<Started> {
    let s = oidc_settings(state).await?;
    if !s.enabled {
        return Err(not_configured("单点登录", "single sign-on"));
    }
    let provider = state
        .identity
        .oidc
        .provider(&s.issuer)
        .await
        .map_err(|p| refused(StatusCode::BAD_GATEWAY, p))?;
    let (st, nonce, verifier, browser) = (
        pkce::random_token(),
        pkce::random_token(),
        pkce::verifier(),
        pkce::random_token(),
    );
    flows::start(
        &state.db,
        &flows::NewFlow {
            kind: "oidc",
            state: &st,
            browser: &browser,
            nonce: &nonce,
            verifier: &verifier,
            next_path: next,
        },
    )
    .await?;
    let mut url =
        pulse_jobs::identity::Url::parse(&provider.authorization_endpoint).map_err(|_| {
            refused(
                StatusCode::BAD_GATEWAY,
                Problem::new(
                    "sso_provider_answer",
                    "身份提供方的授权地址无效",
                    "the provider's authorization endpoint is invalid",
                ),
            )
        })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.client_id)
        .append_pair(
            "redirect_uri",
            &callback_url(state, headers, "/auth/oidc/callback"),
        )
        .append_pair("scope", &scopes(&s))
        .append_pair("state", &st)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce::challenge_s256(&verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(Started {
        location: url.to_string(),
        browser,
    })
}

/// A finished sign-in: the new session's secret and where to go.
pub struct Finished {
    pub session: String,
    pub next: String,
}

pub async fn finish_oidc(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    st: &str,
) -> AppResult<Finished> {
    let s = oidc_settings(state).await?;
    if !s.enabled {
        return Err(not_configured("单点登录", "single sign-on"));
    }
    let flow = flows::take(
        &state.db,
        "oidc",
        st,
        cookie(headers, BROWSER_COOKIE).as_deref(),
    )
    .await
    .map_err(store_refusal)?;
    let oidc = &state.identity.oidc;
    let bad_gateway = |p| refused(StatusCode::BAD_GATEWAY, p);
    let provider = oidc.provider(&s.issuer).await.map_err(bad_gateway)?;
    let id_token = oidc
        .exchange(
            &provider,
            &s.client_id,
            &s.client_secret,
            code,
            &callback_url(state, headers, "/auth/oidc/callback"),
            &flow.verifier,
        )
        .await
        .map_err(|p| refused(StatusCode::UNAUTHORIZED, p))?;
    let expect = Expect {
        issuer: provider.issuer.trim_end_matches('/'),
        client_id: &s.client_id,
        nonce: &flow.nonce,
        now_s: state.db.now_ms() / 1000,
    };
    let claims = match oidc.verify(&provider, &id_token, &expect).await {
        Ok(c) => c,
        // The discovery document may spell the issuer with a trailing slash.
        Err(p) if p.code == "sso_issuer" => {
            let expect = Expect {
                issuer: &provider.issuer,
                ..expect
            };
            oidc.verify(&provider, &id_token, &expect)
                .await
                .map_err(|p| refused(StatusCode::UNAUTHORIZED, p))?
        }
        Err(p) => return Err(refused(StatusCode::UNAUTHORIZED, p)),
    };
    let candidate = match sign_in::by_link(&state.db, &claims.iss, &claims.sub)
        .await
        .map_err(store_refusal)?
    {
        Some(c) => c,
        None => {
            let field = MatchField::parse(&s.match_field).unwrap_or(MatchField::Email);
            let claim = if s.claim.is_empty() {
                "email"
            } else {
                s.claim.as_str()
            };
            let value = claim_value(&claims, claim)
                .ok_or_else(|| store_refusal(sign_in::unknown_person()))?;
            sign_in::by_claim(&state.db, field, &value)
                .await
                .map_err(store_refusal)?
        }
    };
    let account = sign_in::account_for(
        &state.db,
        &candidate,
        Some((&claims.iss, &claims.sub)),
        "SSO",
    )
    .await
    .map_err(store_refusal)?;
    Ok(Finished {
        session: pulse_store::accounts::create_session(&state.db, account).await?,
        next: flow.next_path,
    })
}

/// True when the request comes from inside the WeChat Work client.
pub fn in_wecom(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.to_ascii_lowercase().contains("wxwork"))
}

fn app(s: &WecomLoginSettings) -> App<'_> {
    App {
        base_url: &s.base_url,
        corp_id: &s.corp_id,
        agent_id: s.agent_id,
        secret: &s.secret,
    }
}

pub async fn start_wecom(state: &AppState, headers: &HeaderMap, next: &str) -> AppResult<Started> {
    let s = wecom_settings(state).await?;
    if !s.enabled {
        return Err(not_configured("企业微信登录", "WeChat Work sign-in"));
    }
    let (st, browser) = (pkce::random_token(), pkce::random_token());
    flows::start(
        &state.db,
        &flows::NewFlow {
            kind: "wecom",
            state: &st,
            browser: &browser,
            nonce: "",
            verifier: "",
            next_path: next,
        },
    )
    .await?;
    let redirect = callback_url(state, headers, "/auth/wecom/callback");
    let location = if in_wecom(headers) {
        wecom_login::authorize_url(&app(&s), &redirect, &st)
    } else {
        wecom_login::qr_url(&app(&s), &redirect, &st)
    };
    Ok(Started { location, browser })
}

pub async fn finish_wecom(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    st: &str,
) -> AppResult<Finished> {
    let s = wecom_settings(state).await?;
    if !s.enabled {
        return Err(not_configured("企业微信登录", "WeChat Work sign-in"));
    }
    let flow = flows::take(
        &state.db,
        "wecom",
        st,
        cookie(headers, BROWSER_COOKIE).as_deref(),
    )
    .await
    .map_err(store_refusal)?;
    if !sign_in::spend_wecom_code(&state.db, code).await? {
        return Err(refused(
            StatusCode::UNAUTHORIZED,
            Problem::new(
                "wecom_code_used",
                "这个企业微信登录码已经用过，请重新打开或重新扫码",
                "this WeChat Work code was already used; open or scan again",
            ),
        ));
    }
    let user_id = state
        .identity
        .wecom
        .user_id(&app(&s), code)
        .await
        .map_err(|p| {
            let status = if p.code == "wecom_unreachable" || p.code == "wecom_answer" {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::FORBIDDEN
            };
            refused(status, p)
        })?;
    let candidate = sign_in::by_wecom(&state.db, &user_id)
        .await
        .map_err(store_refusal)?;
    let account = sign_in::account_for(&state.db, &candidate, None, "企业微信")
        .await
        .map_err(store_refusal)?;
    Ok(Finished {
        session: pulse_store::accounts::create_session(&state.db, account).await?,
        next: flow.next_path,
    })
}

/// Roles an admin may move to SSO only; administrators keep their password
/// so a broken provider never locks everyone out.
pub const PASSWORD_OFF_CHOICES: [Role; 5] = [
    Role::Employee,
    Role::Manager,
    Role::Director,
    Role::Hrbp,
    Role::Committee,
];

/// Refuses a password sign-in when SSO is on and every role of the account is SSO-only.
pub async fn password_allowed(state: &AppState, roles: &[Role]) -> AppResult<()> {
    let s = oidc_settings(state).await?;
    if !s.enabled || roles.contains(&Role::Admin) {
        return Ok(());
    }
    // Every role must be switched off: an HRBP also holds the employee role
    // and keeps the password when only frontline roles go SSO-only.
    if !roles.is_empty()
        && roles
            .iter()
            .all(|r| s.password_off_roles.iter().any(|o| o == r.as_str()))
    {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "password_sign_in_off",
            "您所在的角色须使用企业账号（单点登录）登录",
            "your role signs in with the company account (single sign-on)",
        ));
    }
    Ok(())
}
