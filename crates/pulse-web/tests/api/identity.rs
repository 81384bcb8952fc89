//! Single sign-on (X5) against stand-ins that speak the real protocols: an
//! OpenID Connect provider signing RS256 ID tokens with keys it can rotate
//! and checking PKCE on its token endpoint, and a WeChat Work server
//! answering `gettoken` and `auth/getuserinfo` with the documented payloads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::support::*;

const CLIENT_ID: &str = "pulse-test";
const CLIENT_SECRET: &str = "s3cret-客户端";
/// The store's clock for every test here; the provider signs on the same time.
const NOW: &str = "2027-03-01 09:00";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Clone, Copy, PartialEq)]
enum Mint {
    Good,
    Expired,
    WrongAudience,
    /// Signed by a key the JWKS never published, under the published kid.
    Forged,
    WrongNonce,
}

struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

struct Op {
    issuer: String,
    keys: Vec<(String, Arc<RsaKeyPair>)>,
    signer: (String, Arc<RsaKeyPair>),
    rogue: Arc<RsaKeyPair>,
    codes: HashMap<String, Pending>,
    next_code: u32,
    claims: Value,
    mint: Mint,
    now_s: i64,
}

type Shared = Arc<Mutex<Op>>;

fn key() -> Arc<RsaKeyPair> {
    Arc::new(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key"))
}

fn jwt(signer: &RsaKeyPair, kid: &str, claims: &Value) -> String {
    let head = b64(json!({"alg": "RS256", "typ": "JWT", "kid": kid})
        .to_string()
        .as_bytes());
    let body = b64(claims.to_string().as_bytes());
    let input = format!("{head}.{body}");
    let mut sig = vec![0; signer.public_modulus_len()];
    signer
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .expect("sign");
    format!("{input}.{}", b64(&sig))
}

async fn discovery(State(s): State<Shared>) -> Response {
    let op = s.lock().unwrap();
    let i = &op.issuer;
    axum::Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Response {
    let op = s.lock().unwrap();
    let keys: Vec<Value> = op
        .keys
        .iter()
        .map(|(kid, k)| {
            let c = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public_key());
            json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&c.n), "e": b64(&c.e)})
        })
        .collect();
    axum::Json(json!({"keys": keys})).into_response()
}

/// The provider's login page, already signed in: straight back with a code.
async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut op = s.lock().unwrap();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"), "{q:?}");
    op.next_code += 1;
    let code = format!("code-{}", op.next_code);
    op.codes.insert(
        code.clone(),
        Pending {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
        },
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"],
        enc(&q["state"])
    ))
    .into_response()
}

fn token_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error}))).into_response()
}

/// RFC 6749 §4.1.3 with client_secret_basic and RFC 7636's verifier check.
async fn token(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let f: HashMap<String, String> = reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let mut op = s.lock().unwrap();
    // client_secret_basic: Base64 of form-encoded id ":" form-encoded secret.
    let decoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let url = reqwest::Url::parse(&format!("http://x/?i={}", pair.replacen(':', "&s=", 1)))
                .ok()?;
            let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
            Some((q.get("i")?.clone(), q.get("s")?.clone()))
        });
    if decoded != Some((CLIENT_ID.to_string(), CLIENT_SECRET.to_string())) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error("unsupported_grant_type");
    }
    // A code is good once.
    let Some(p) = f.get("code").and_then(|c| op.codes.remove(c)) else {
        return token_error("invalid_grant");
    };
    if f.get("redirect_uri") != Some(&p.redirect_uri) {
        return token_error("invalid_grant");
    }
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    if b64(digest.as_ref()) != p.challenge {
        return token_error("invalid_grant");
    }
    let mut claims = op.claims.clone();
    claims["iss"] = op.issuer.clone().into();
    claims["aud"] = CLIENT_ID.into();
    claims["iat"] = op.now_s.into();
    claims["exp"] = (op.now_s + 300).into();
    claims["nonce"] = p.nonce.into();
    match op.mint {
        Mint::Expired => claims["exp"] = (op.now_s - 120).into(),
        Mint::WrongAudience => claims["aud"] = "another-app".into(),
        Mint::WrongNonce => claims["nonce"] = "not-the-nonce".into(),
        Mint::Good | Mint::Forged => {}
    }
    let (kid, signer) = op.signer.clone();
    let signer = if op.mint == Mint::Forged {
        op.rogue.clone()
    } else {
        signer
    };
    axum::Json(json!({
        "access_token": "at-1", "token_type": "Bearer", "expires_in": 300,
        "id_token": jwt(&signer, &kid, &claims),
    }))
    .into_response()
}

async fn provider(now_s: i64) -> (String, Shared) {
    let first = key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!(
        "http://127.0.0.1:{}/realms/corp",
        listener.local_addr().unwrap().port()
    );
    let shared = Arc::new(Mutex::new(Op {
        issuer: issuer.clone(),
        keys: vec![("k1".into(), first.clone())],
        signer: ("k1".into(), first),
        rogue: key(),
        codes: HashMap::new(),
        next_code: 0,
        claims: json!({"sub": "u-1001", "employee_id": "E1", "email": "yi@corp.cn"}),
        mint: Mint::Good,
        now_s,
    }));
    let app = axum::Router::new()
        .route(
            "/realms/corp/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/realms/corp/jwks", axum::routing::get(jwks))
        .route("/realms/corp/authorize", axum::routing::get(authorize))
        .route("/realms/corp/token", axum::routing::post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, shared)
}

async fn app() -> TestApp {
    let clock = pulse_store::Clock::at_china_time(NOW).expect("time");
    let (db, dir) = pulse_store::testing::fresh_db_at(clock).await;
    seed_org(&db).await;
    TestApp::with_db_and(db, dir, |state| {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        state.identity = Arc::new(pulse_jobs::identity::Clients {
            oidc: pulse_jobs::identity::oidc::OidcClient::new(http.clone())
                .with_jwks_refresh_min(Duration::ZERO),
            wecom: pulse_jobs::identity::wecom_login::WecomLogin::new(
                http,
                Duration::from_millis(5),
            ),
        });
    })
}

fn settings(issuer: &str, claim: &str, field: &str, off: &[&str]) -> Value {
    json!({
        "oidc_enabled": true, "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile", "claim": claim, "match_field": field, "button_label": "企业账号登录",
        "password_off_roles": off, "wecom_enabled": false, "retention_days": 365,
    })
}

fn set_cookie(res: &Res, name: &str) -> Option<String> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")))
        .map(|kv| kv[name.len() + 1..].to_string())
}

fn location(res: &Res) -> String {
    res.headers
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location ({}): {}", res.status, res.text()))
        .to_str()
        .unwrap()
        .to_string()
}

/// One browser's round trip: Pulse → provider → callback. Returns the
/// callback's answer; the browser cookie is sent from `browser` (None = the
/// one Pulse set).
struct Attempt {
    state: String,
    code: String,
    browser: String,
    params: HashMap<String, String>,
}

async fn start(app: &TestApp) -> Attempt {
    let res = app.anon().get("/auth/oidc/login?next=/goals").await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
    let to = reqwest::Url::parse(&location(&res)).unwrap();
    let params: HashMap<String, String> = to.query_pairs().into_owned().collect();
    let browser = set_cookie(&res, "pulse_sso").expect("browser cookie");
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = http.get(to).send().await.unwrap();
    let back = reqwest::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let q: HashMap<String, String> = back.query_pairs().into_owned().collect();
    Attempt {
        state: q["state"].clone(),
        code: q["code"].clone(),
        browser,
        params,
    }
}

async fn callback(app: &TestApp, a: &Attempt, browser: &str, code: &str) -> Res {
    let cookie = format!("pulse_sso={browser}");
    app.anon()
        .send_with(
            Method::GET,
            &format!(
                "/auth/oidc/callback?code={}&state={}",
                enc(code),
                enc(&a.state)
            ),
            None,
            Vec::new(),
            false,
            &[("cookie", &cookie)],
        )
        .await
}

fn signed_in(app: &TestApp, res: &Res) -> Client {
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
    let session = set_cookie(res, "pulse_session").expect("a session");
    let mut c = app.anon();
    c.cookie = Some(format!("pulse_session={session}"));
    c
}

fn refused(res: &Res, status: StatusCode, code: &str) {
    assert_eq!(res.status, status, "{}", res.text());
    assert!(set_cookie(res, "pulse_session").is_none(), "no session");
    let page = res.text();
    assert!(page.contains(code), "the page names {code}: {page}");
    assert!(page.contains("<h1>"), "a page, not a bare error: {page}");
}

async fn me(c: &Client) -> Value {
    let res = c.get("/api/v1/me").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn a_person_signs_in_through_the_company_provider() {
    let app = app().await;
    let now_s = app.db.now_ms() / 1000;
    let (issuer, op) = provider(now_s).await;
    let admin = app.login("admin").await;
    let saved = admin
        .put_json(
            "/api/v1/identity/settings",
            &settings(&issuer, "employee_id", "employee_no", &[]),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert!(
        !saved.text().contains(CLIENT_SECRET),
        "the secret is never shown"
    );
    // The sign-in page offers the button.
    let login_page = app.anon().get("/login").await.text();
    assert!(login_page.contains("企业账号登录"), "{login_page}");
    assert!(login_page.contains("/auth/oidc/login"));

    let a = start(&app).await;
    assert_eq!(a.params["code_challenge_method"], "S256");
    assert_eq!(a.params["code_challenge"].len(), 43, "a base64url SHA-256");
    assert!(!a.params["nonce"].is_empty() && !a.params["state"].is_empty());
    assert_eq!(
        a.params["redirect_uri"],
        "http://localhost/auth/oidc/callback"
    );
    let res = callback(&app, &a, &a.browser, &a.code).await;
    assert_eq!(location(&res), "/goals", "back where the person was going");
    let phone = signed_in(&app, &res);
    assert_eq!(me(&phone).await["login"], "employee");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM sso_links WHERE subject = 'u-1001'"
        )
        .await,
        1,
        "the first sign-in links the account"
    );

    // Replaying the callback, or the code under a fresh state, gets nothing.
    let replay = callback(&app, &a, &a.browser, &a.code).await;
    refused(&replay, StatusCode::FORBIDDEN, "sso_state_used");
    let b = start(&app).await;
    let reused_code = callback(&app, &b, &b.browser, &a.code).await;
    refused(&reused_code, StatusCode::UNAUTHORIZED, "sso_code_refused");

    // Linked by subject: the claim no longer matters.
    op.lock().unwrap().claims = json!({"sub": "u-1001", "employee_id": "nobody"});
    let c = start(&app).await;
    let again = signed_in(&app, &callback(&app, &c, &c.browser, &c.code).await);
    assert_eq!(me(&again).await["login"], "employee");

    // A state from another browser is refused and stays usable by its own.
    let d = start(&app).await;
    let other = callback(&app, &d, "someone-elses-browser", &d.code).await;
    refused(&other, StatusCode::FORBIDDEN, "sso_other_browser");
    let own = callback(&app, &d, &d.browser, &d.code).await;
    assert_eq!(me(&signed_in(&app, &own)).await["login"], "employee");

    // The provider rotates its key: Pulse fetches the new JWKS and goes on.
    {
        let mut o = op.lock().unwrap();
        let fresh = key();
        o.keys = vec![("k2".into(), fresh.clone())];
        o.signer = ("k2".into(), fresh);
    }
    let e = start(&app).await;
    let rotated = callback(&app, &e, &e.browser, &e.code).await;
    assert_eq!(me(&signed_in(&app, &rotated)).await["login"], "employee");

    // No account yet: the first sign-in creates one (employee role, no password).
    op.lock().unwrap().claims = json!({"sub": "u-2002", "employee_id": "E2"});
    let f = start(&app).await;
    let newcomer = signed_in(&app, &callback(&app, &f, &f.browser, &f.code).await);
    let who = me(&newcomer).await;
    assert_eq!(who["employee_no"], "E2", "{who}");
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_refused() {
    let app = app().await;
    let (issuer, op) = provider(app.db.now_ms() / 1000).await;
    let admin = app.login("admin").await;
    admin
        .put_json(
            "/api/v1/identity/settings",
            &settings(&issuer, "employee_id", "employee_no", &[]),
        )
        .await;
    let sessions = count(&app, "sessions").await;
    for (mint, code) in [
        (Mint::Expired, "sso_expired"),
        (Mint::WrongAudience, "sso_audience"),
        (Mint::Forged, "sso_signature"),
        (Mint::WrongNonce, "sso_nonce"),
    ] {
        op.lock().unwrap().mint = mint;
        let a = start(&app).await;
        let res = callback(&app, &a, &a.browser, &a.code).await;
        refused(&res, StatusCode::UNAUTHORIZED, code);
    }
    op.lock().unwrap().mint = Mint::Good;

    // An unknown person and one who left get a clear page, no session.
    op.lock().unwrap().claims = json!({"sub": "u-9", "employee_id": "X404"});
    let a = start(&app).await;
    refused(
        &callback(&app, &a, &a.browser, &a.code).await,
        StatusCode::FORBIDDEN,
        "sso_unknown_person",
    );
    let hr = app.login("hrbp").await;
    let left = hr
        .patch_json("/api/v1/people/E4", &json!({"status": "left"}))
        .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.text());
    op.lock().unwrap().claims = json!({"sub": "u-4", "employee_id": "E4"});
    let b = start(&app).await;
    refused(
        &callback(&app, &b, &b.browser, &b.code).await,
        StatusCode::FORBIDDEN,
        "sso_person_left",
    );
    // A callback without code or state, or the provider's own refusal.
    let bare = app.anon().get("/auth/oidc/callback").await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    let denied = app
        .anon()
        .get("/auth/oidc/callback?error=access_denied&state=x")
        .await;
    refused(&denied, StatusCode::UNAUTHORIZED, "sso_provider_error");
    assert_eq!(
        count(&app, "sessions").await,
        sessions + 1,
        "only HR's own sign-in above made a session"
    );
}

#[tokio::test]
async fn password_sign_in_can_be_turned_off_for_frontline_roles() {
    let app = app().await;
    let (issuer, _op) = provider(app.db.now_ms() / 1000).await;
    let admin = app.login("admin").await;
    // Turning password sign-in off needs SSO on, and never for administrators.
    let mut off_without_sso = settings(&issuer, "employee_id", "employee_no", &["employee"]);
    off_without_sso["oidc_enabled"] = false.into();
    let res = admin
        .put_json("/api/v1/identity/settings", &off_without_sso)
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let res = admin
        .put_json(
            "/api/v1/identity/settings",
            &settings(&issuer, "employee_id", "employee_no", &["admin"]),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let res = admin
        .put_json(
            "/api/v1/identity/settings",
            &settings(&issuer, "employee_id", "employee_no", &["employee"]),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    let pw = |login: &'static str| {
        let app = &app;
        async move {
            app.anon()
                .post_json(
                    "/api/v1/session",
                    &json!({"login": login, "password": PASSWORD}),
                )
                .await
        }
    };
    let frontline = pw("employee").await;
    assert_eq!(
        frontline.status,
        StatusCode::FORBIDDEN,
        "{}",
        frontline.text()
    );
    assert_eq!(frontline.error_code(), "password_sign_in_off");
    assert_eq!(
        pw("manager").await.status,
        StatusCode::OK,
        "a manager keeps the password"
    );
    assert_eq!(pw("admin").await.status, StatusCode::OK);
    // A wrong password is still just a wrong password (no hint that the account is SSO-only).
    let wrong = app
        .anon()
        .post_json(
            "/api/v1/session",
            &json!({"login": "employee", "password": "wrong-pass"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_ends_a_persons_sessions_and_a_role_change_ends_them_too() {
    let app = app().await;
    let admin = app.login("admin").await;
    let phone = app.login("manager").await;
    let laptop = app.login("manager").await;
    assert_eq!(me(&phone).await["login"], "manager");
    let ended = admin.delete("/api/v1/accounts/manager/sessions").await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text());
    assert_eq!(ended.json()["ended"], 2);
    assert_eq!(
        phone.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        laptop.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin
            .delete("/api/v1/accounts/nobody/sessions")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Ending your own keeps the session you use.
    let other_admin_session = app.login("admin").await;
    let own = admin.delete("/api/v1/accounts/admin/sessions").await;
    assert_eq!(own.json()["ended"], 1, "{}", own.text());
    assert_eq!(me(&admin).await["login"], "admin");
    assert_eq!(
        other_admin_session.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Only an administrator may.
    let hr = app.login("hrbp").await;
    assert_eq!(
        hr.delete("/api/v1/accounts/manager/sessions").await.status,
        StatusCode::FORBIDDEN
    );

    // A role change ends the person's sessions at once.
    let phone = app.login("manager").await;
    let res = admin
        .put_json(
            "/api/v1/accounts/manager/roles",
            &json!({"grants": [{"role": "employee", "scope": "self"}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        phone.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    // A password change ends the other sessions and keeps this one.
    let a = app.login("director").await;
    let b = app.login("director").await;
    let changed = a
        .send(
            Method::PUT,
            "/api/v1/me/password",
            Some("application/json"),
            serde_json::to_vec(
                &json!({"current_password": PASSWORD, "new_password": "new-pass-1"}),
            )
            .unwrap(),
            true,
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert_eq!(b.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

// ---- WeChat Work ----------------------------------------------------------

#[derive(Default)]
struct Wx {
    gettoken_calls: u32,
    busy_left: u32,
    token: String,
    /// Codes already answered: WeChat Work answers 40029 to a second use.
    spent: Vec<String>,
    seen: Vec<String>,
}

type WxShared = Arc<Mutex<Wx>>;

async fn wx_gettoken(
    State(s): State<WxShared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut wx = s.lock().unwrap();
    wx.gettoken_calls += 1;
    if q.get("corpid").map(String::as_str) != Some("ww-corp")
        || q.get("corpsecret").map(String::as_str) != Some("wx-secret")
    {
        return axum::Json(json!({"errcode": 40001, "errmsg": "invalid credential"}))
            .into_response();
    }
    wx.token = format!("ACCESS_TOKEN_{}", wx.gettoken_calls);
    axum::Json(json!({"errcode": 0, "errmsg": "ok", "access_token": wx.token, "expires_in": 7200}))
        .into_response()
}

async fn wx_userinfo(
    State(s): State<WxShared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut wx = s.lock().unwrap();
    let code = q.get("code").cloned().unwrap_or_default();
    wx.seen.push(code.clone());
    if q.get("access_token") != Some(&wx.token) {
        return axum::Json(json!({"errcode": 42001, "errmsg": "access_token expired"}))
            .into_response();
    }
    if wx.busy_left > 0 {
        wx.busy_left -= 1;
        return axum::Json(json!({"errcode": -1, "errmsg": "system busy"})).into_response();
    }
    if wx.spent.contains(&code) {
        // `errmsg` says "ok" on purpose: only `errcode` decides.
        return axum::Json(json!({"errcode": 40029, "errmsg": "ok"})).into_response();
    }
    wx.spent.push(code.clone());
    match code.as_str() {
        "CODE-MEMBER" => {
            axum::Json(json!({"errcode": 0, "errmsg": "ok", "userid": "wxE1", "user_ticket": "t"}))
        }
        "CODE-MANAGER" | "CODE-MANAGER-2" => {
            axum::Json(json!({"errcode": 0, "errmsg": "ok", "userid": "wxM1"}))
        }
        "CODE-OUTSIDER" => axum::Json(
            json!({"errcode": 0, "errmsg": "ok", "openid": "oAbCdEf", "external_userid": "wmX"}),
        ),
        _ => axum::Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
    .into_response()
}

async fn wecom_server() -> (String, WxShared) {
    let shared = Arc::new(Mutex::new(Wx::default()));
    let app = axum::Router::new()
        .route("/cgi-bin/gettoken", axum::routing::get(wx_gettoken))
        .route("/cgi-bin/auth/getuserinfo", axum::routing::get(wx_userinfo))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, shared)
}

async fn exec(app: &TestApp, sql: &str) {
    let sql = sql.to_string();
    match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .unwrap();
        }
        pulse_store::Pool::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .unwrap();
        }
    }
}

async fn wecom_start(app: &TestApp, ua: &str) -> (String, String, String) {
    let res = app
        .anon()
        .send_with(
            Method::GET,
            "/auth/wecom/login?next=/feedback",
            None,
            Vec::new(),
            false,
            &[("user-agent", ua)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
    let to = location(&res);
    let state = reqwest::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .expect("state");
    (
        to,
        state,
        set_cookie(&res, "pulse_sso").expect("browser cookie"),
    )
}

async fn wecom_back(app: &TestApp, code: &str, state: &str, browser: &str) -> Res {
    let cookie = format!("pulse_sso={browser}");
    app.anon()
        .send_with(
            Method::GET,
            &format!("/auth/wecom/callback?code={code}&state={}", enc(state)),
            None,
            Vec::new(),
            false,
            &[("cookie", &cookie)],
        )
        .await
}

const WXWORK_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.20 MicroMessenger/7.0.1 Language/zh";

#[tokio::test]
async fn wechat_work_signs_members_in_and_refuses_everyone_else() {
    let app = app().await;
    let (base, wx) = wecom_server().await;
    exec(
        &app,
        "UPDATE people SET wecom_userid = 'wxE1' WHERE employee_no = 'E1'",
    )
    .await;
    exec(
        &app,
        "UPDATE people SET wecom_userid = 'wxM1' WHERE employee_no = 'M1'",
    )
    .await;
    let admin = app.login("admin").await;
    let saved = admin
        .put_json(
            "/api/v1/identity/settings",
            &json!({"oidc_enabled": false, "issuer": "", "client_id": "", "wecom_enabled": true,
                    "corp_id": "ww-corp", "agent_id": 1000002, "wecom_secret": "wx-secret",
                    "wecom_base_url": base, "retention_days": 365}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    // Inside the client: the WeChat Work button comes first, and the silent OAuth.
    let page = app
        .anon()
        .send_with(
            Method::GET,
            "/login",
            None,
            Vec::new(),
            false,
            &[("user-agent", WXWORK_UA)],
        )
        .await
        .text();
    assert!(page.contains("/auth/wecom/login"), "{page}");
    let (to, state, browser) = wecom_start(&app, WXWORK_UA).await;
    assert!(
        to.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?"),
        "{to}"
    );
    assert!(
        to.contains("scope=snsapi_base")
            && to.contains("agentid=1000002")
            && to.contains("appid=ww-corp")
    );
    assert!(to.ends_with("#wechat_redirect"), "{to}");
    // One busy answer is retried.
    wx.lock().unwrap().busy_left = 1;
    let res = wecom_back(&app, "CODE-MEMBER", &state, &browser).await;
    assert_eq!(location(&res), "/feedback");
    assert_eq!(me(&signed_in(&app, &res)).await["login"], "employee");

    // On a desktop: the QR login; the cached token serves the second person.
    let (to, state, browser) =
        wecom_start(&app, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120").await;
    assert!(
        to.starts_with("https://login.work.weixin.qq.com/wwlogin/sso/login?"),
        "{to}"
    );
    assert!(to.contains("login_type=CorpApp"));
    let res = wecom_back(&app, "CODE-MANAGER", &state, &browser).await;
    assert_eq!(me(&signed_in(&app, &res)).await["login"], "manager");
    assert_eq!(wx.lock().unwrap().gettoken_calls, 1, "gettoken is cached");

    // The same code twice: refused by Pulse before WeChat Work is asked.
    let asked = wx.lock().unwrap().seen.len();
    let (_, state, browser) = wecom_start(&app, WXWORK_UA).await;
    let twice = wecom_back(&app, "CODE-MEMBER", &state, &browser).await;
    refused(&twice, StatusCode::UNAUTHORIZED, "wecom_code_used");
    assert_eq!(
        wx.lock().unwrap().seen.len(),
        asked,
        "WeChat Work was not asked again"
    );

    // An expired access token is renewed once.
    wx.lock().unwrap().token = "rotated-elsewhere".into();
    exec(
        &app,
        "UPDATE people SET wecom_userid = 'wxE1' WHERE employee_no = 'E1'",
    )
    .await;
    let (_, state, browser) = wecom_start(&app, WXWORK_UA).await;
    let outsider = wecom_back(&app, "CODE-OUTSIDER", &state, &browser).await;
    refused(&outsider, StatusCode::FORBIDDEN, "wecom_not_member");
    assert_eq!(wx.lock().unwrap().gettoken_calls, 2, "renewed after 42001");

    // A code WeChat Work itself rejects (errcode decides, errmsg "ok" or not).
    let (_, state, browser) = wecom_start(&app, WXWORK_UA).await;
    let stale = wecom_back(&app, "CODE-UNKNOWN", &state, &browser).await;
    refused(&stale, StatusCode::FORBIDDEN, "wecom_code_invalid");
    // A member WeChat Work knows but Pulse does not.
    exec(
        &app,
        "UPDATE people SET wecom_userid = NULL WHERE employee_no = 'M1'",
    )
    .await;
    let (_, state, browser) = wecom_start(&app, WXWORK_UA).await;
    let unknown = wecom_back(&app, "CODE-MANAGER-2", &state, &browser).await;
    refused(&unknown, StatusCode::FORBIDDEN, "sso_unknown_person");
}

/// HR sets the WeChat Work id sign-in finds a person by; it must be valid
/// and nobody else's, and a refused form keeps what was typed.
#[tokio::test]
async fn hr_sets_a_persons_wechat_work_id() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let r = hr
        .patch_json("/api/v1/people/E1", &json!({"wecom_userid": "yi.xiaoshou"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["wecom_userid"], "yi.xiaoshou");
    let taken = hr
        .patch_json("/api/v1/people/E2", &json!({"wecom_userid": "yi.xiaoshou"}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.error_code(), "wecom_userid_taken");
    let bad = hr
        .patch_json("/api/v1/people/E2", &json!({"wecom_userid": "有 空格"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hr.get("/api/v1/people/E2").await.json()["wecom_userid"].is_null());
    // Leaving it out keeps it; null clears it.
    let kept = hr
        .patch_json("/api/v1/people/E1", &json!({"level": "T2"}))
        .await;
    assert_eq!(kept.json()["wecom_userid"], "yi.xiaoshou");
    let cleared = hr
        .patch_json("/api/v1/people/E1", &json!({"wecom_userid": null}))
        .await;
    assert!(cleared.json()["wecom_userid"].is_null());
    hr.patch_json("/api/v1/people/E1", &json!({"wecom_userid": "yi.xiaoshou"}))
        .await;
    // The page's form: refused, the typed values stay in the fields.
    let form = hr
        .post_form(
            "/people/E2",
            &[
                ("name", "尔销售改"),
                ("org_unit", "T1"),
                ("job_family", "销售代表"),
                ("level", "T1"),
                ("status", "active"),
                ("wecom_userid", "yi.xiaoshou"),
            ],
            true,
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("value=\"尔销售改\"") && html.contains("value=\"yi.xiaoshou\""));
    assert_eq!(hr.get("/api/v1/people/E2").await.json()["name"], "尔销售");
}
