//! Identity benchmark (issue 18) on the demo (1 week of history by default;
//! `PULSE_BENCH_WEEKS` to change): SCIM's user list of all 2,342 people
//! paged by 100, beside reading the same 100 rows straight from the
//! database; 2,000 SCIM creates from 16 clients beside a bare one-row
//! INSERT endpoint; and the OIDC callback beside `/healthz` and the
//! password sign-in, with the local provider's own handling time (token
//! endpoint, signing the ID token) taken out. SQLite always; PostgreSQL too
//! when `PULSE_TEST_DATABASE_URL` is set.
//!
//! Run: `cargo bench -p pulse-web --bench identity`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pulse_store::Db;
use serde_json::{Value, json};

mod common;
use common::{load, login_cookie, median, ms, percentile};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A provider that signs real RS256 ID tokens and keeps the time it spends.
struct Op {
    issuer: String,
    key: RsaKeyPair,
    /// code → (nonce, employee number)
    codes: HashMap<String, (String, String)>,
    next: u64,
    spent: Duration,
    /// Signs on Pulse's own clock, as a provider in sync with it would.
    clock: pulse_store::Clock,
}

type Shared = Arc<Mutex<Op>>;

async fn discovery(State(s): State<Shared>) -> Response {
    let i = s.lock().unwrap().issuer.clone();
    axum::Json(json!({
        "issuer": i, "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"), "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Response {
    let op = s.lock().unwrap();
    let c = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(op.key.public_key());
    axum::Json(json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": b64(&c.n), "e": b64(&c.e)}]}))
        .into_response()
}

async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut op = s.lock().unwrap();
    op.next += 1;
    let code = format!("c{}", op.next);
    let who = q["login_hint"].clone();
    op.codes.insert(code.clone(), (q["nonce"].clone(), who));
    let mut back = reqwest::Url::parse(&q["redirect_uri"]).expect("redirect_uri");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q["state"]);
    Redirect::to(back.as_str()).into_response()
}

async fn token(State(s): State<Shared>, body: String) -> Response {
    let t = Instant::now();
    let f: HashMap<String, String> = reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let mut op = s.lock().unwrap();
    let Some((nonce, who)) = f.get("code").and_then(|c| op.codes.remove(c)) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let now = op.clock.now_ms() / 1000;
    let claims = json!({"iss": op.issuer, "aud": "pulse-bench", "sub": who, "employee_number": who,
        "iat": now, "exp": now + 300, "nonce": nonce});
    let head = b64(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let input = format!("{head}.{}", b64(claims.to_string().as_bytes()));
    let mut sig = vec![0; op.key.public_modulus_len()];
    op.key
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .expect("sign");
    let answer = json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300,
        "id_token": format!("{input}.{}", b64(&sig))});
    op.spent += t.elapsed();
    axum::Json(answer).into_response()
}

async fn provider(clock: pulse_store::Clock) -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!(
        "http://127.0.0.1:{}/op",
        listener.local_addr().unwrap().port()
    );
    let shared = Arc::new(Mutex::new(Op {
        issuer: issuer.clone(),
        key: RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key"),
        codes: HashMap::new(),
        next: 0,
        spent: Duration::ZERO,
        clock,
    }));
    let app = axum::Router::new()
        .route(
            "/op/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/op/jwks", axum::routing::get(jwks))
        .route("/op/authorize", axum::routing::get(authorize))
        .route("/op/token", axum::routing::post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, shared)
}

async fn raw_page(db: &Db, offset: i64) -> usize {
    let sql = "SELECT p.id, p.employee_no, p.name, p.email, p.status, u.name FROM people p \
               JOIN org_units u ON u.id = p.org_unit_id ORDER BY p.id LIMIT 100 OFFSET $1";
    type Row = (i64, String, String, Option<String>, String, String);
    match db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as::<_, Row>(sql)
            .bind(offset)
            .fetch_all(p)
            .await
            .expect("raw")
            .len(),
        pulse_store::Pool::Postgres(p) => sqlx::query_as::<_, Row>(sql)
            .bind(offset)
            .fetch_all(p)
            .await
            .expect("raw")
            .len(),
    }
}

async fn run(engine: &str, db: Db, weeks: i64) {
    let plan = pulse_demo::build_with(
        &db,
        pulse_demo::DEFAULT_SEED,
        &pulse_demo::Volume { weeks },
        &pulse_demo::NoProgress,
    )
    .await
    .expect("demo");
    let mut state =
        pulse_web::AppState::new(db.clone(), pulse_web::WebConfig::default()).expect("state");
    let direct = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    state.identity = Arc::new(pulse_jobs::identity::Clients {
        oidc: pulse_jobs::identity::oidc::OidcClient::new(direct.clone()),
        wecom: pulse_jobs::identity::wecom_login::WecomLogin::new(
            direct,
            Duration::from_millis(300),
        ),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(128)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let admin = login_cookie(&http, addr, "admin", pulse_demo::DEMO_PASSWORD).await;
    let r = http
        .post(format!("http://{addr}/api/v1/tokens"))
        .header("cookie", &admin)
        .json(&json!({"name": "bench directory", "login": "admin", "scopes": ["scim"]}))
        .send()
        .await
        .expect("token");
    assert!(r.status().is_success(), "token: {}", r.status());
    let bearer = format!(
        "Bearer {}",
        r.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
    );

    // The list, page by page.
    let total = plan.people.len();
    let pages = total.div_ceil(100);
    let mut times = Vec::new();
    let mut base = Vec::new();
    for page in 0..pages {
        let url = format!(
            "http://{addr}/scim/v2/Users?startIndex={}&count=100",
            1 + page * 100
        );
        let (t, n) = median(5, || {
            let (http, bearer, url) = (http.clone(), bearer.clone(), url.clone());
            async move {
                let r = http
                    .get(url)
                    .header("authorization", bearer)
                    .send()
                    .await
                    .expect("list");
                assert!(r.status().is_success(), "{}", r.status());
                r.json::<Value>().await.expect("json")["Resources"]
                    .as_array()
                    .map_or(0, Vec::len)
            }
        })
        .await;
        assert!(n > 0, "page {page} is empty");
        times.push(t);
        base.push(median(5, || raw_page(&db, (page * 100) as i64)).await.0);
    }
    times.sort();
    base.sort();
    println!(
        "[{engine}] SCIM list of {total} users, {pages} pages of 100: median page {:.1} ms, slowest {:.1} ms (target ≤ 50); the same rows read raw {:.2} ms = {:.0}×",
        ms(percentile(&times, 0.5)),
        ms(*times.last().unwrap()),
        ms(percentile(&base, 0.5)),
        ms(percentile(&times, 0.5)) / ms(percentile(&base, 0.5)).max(0.001),
    );

    // 2,000 creates from 16 clients, beside a bare insert.
    let bare_addr = common::bare_endpoint(db.clone()).await;
    let (clients, per) = (16, 125);
    let h = http.clone();
    let (base_rps, _, base_p99) = load(clients, per, move |_, _| {
        let h = h.clone();
        async move {
            h.post(format!("http://{bare_addr}/bare"))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
    })
    .await;
    let h = http.clone();
    let b = bearer.clone();
    let (rps, p50, p99) = load(clients, per, move |c, i| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            let n = format!("S{c:02}{i:03}");
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
                "userName": format!("{}@corp.example.cn", n.to_lowercase()), "externalId": format!("ext-{n}"),
                "displayName": format!("新员工{n}"), "name": {"familyName": "新", "givenName": format!("员工{n}")},
                "emails": [{"primary": true, "type": "work", "value": format!("{}@corp.example.cn", n.to_lowercase())}],
                "title": "P1", ENT: {"employeeNumber": n, "department": "上海销售一组"}
            });
            h.post(format!("http://{addr}/scim/v2/Users"))
                .header("authorization", b)
                .header("content-type", "application/scim+json")
                .body(body.to_string())
                .send()
                .await
                .map(|r| r.status() == reqwest::StatusCode::CREATED)
                .unwrap_or(false)
        }
    })
    .await;
    println!(
        "[{engine}] SCIM creates, {clients} clients, {} users: {rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; bare insert {base_rps:.0} req/s, p99 {:.1} ms = {:.0} % of bare",
        clients * per,
        ms(p50),
        ms(p99),
        ms(base_p99),
        100.0 * rps / base_rps.max(1.0),
    );

    // The OIDC callback, the provider's own time taken out.
    let (issuer, op) = provider(db.clock().clone()).await;
    let r = http
        .put(format!("http://{addr}/api/v1/identity/settings"))
        .header("cookie", &admin)
        .json(&json!({"oidc_enabled": true, "issuer": issuer, "client_id": "pulse-bench", "client_secret": "bench",
            "scopes": "openid", "claim": "employee_number", "match_field": "employee_no", "button_label": "",
            "password_off_roles": [], "wecom_enabled": false, "retention_days": 365}))
        .send()
        .await
        .expect("settings");
    assert!(
        r.status().is_success(),
        "settings: {} {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    let staff: Vec<String> = plan
        .people
        .iter()
        .filter(|p| p.login.is_none())
        .take(200)
        .map(|p| p.employee_no.clone())
        .collect();
    let mut lat = Vec::new();
    let mut provider_spent = Duration::ZERO;
    for (k, who) in staff.iter().enumerate() {
        let r = http
            .get(format!("http://{addr}/auth/oidc/login"))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), reqwest::StatusCode::FOUND);
        let browser = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|kv| kv.starts_with("pulse_sso="))
            .expect("browser cookie")
            .to_string();
        let to = format!(
            "{}&login_hint={who}",
            r.headers()["location"].to_str().unwrap()
        );
        let back = http.get(to).send().await.expect("authorize");
        let callback = back.headers()["location"].to_str().unwrap().to_string();
        let before = op.lock().unwrap().spent;
        let t = Instant::now();
        let done = http
            .get(callback)
            .header("cookie", browser)
            .send()
            .await
            .expect("callback");
        let took = t.elapsed();
        assert_eq!(done.status(), reqwest::StatusCode::FOUND, "{who}");
        let spent = op.lock().unwrap().spent - before;
        // The first callback fetches discovery and the keys: kept out of the figure.
        if k > 0 {
            lat.push(took.saturating_sub(spent));
            provider_spent += spent;
        }
    }
    lat.sort();
    let (health, _) = median(51, || {
        let http = http.clone();
        async move {
            http.get(format!("http://{addr}/healthz"))
                .send()
                .await
                .expect("health")
                .status()
        }
    })
    .await;
    let (password, _) = median(11, || {
        let http = http.clone();
        async move { login_cookie(&http, addr, "employee", pulse_demo::DEMO_PASSWORD).await }
    })
    .await;
    println!(
        "[{engine}] OIDC callback, {} sign-ins, provider's {:.1} ms each taken out: p50 {:.1} ms, p99 {:.1} ms; /healthz {:.2} ms = {:.0}×; password sign-in {:.1} ms = {:.2}×",
        lat.len(),
        ms(provider_spent) / lat.len().max(1) as f64,
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(health),
        ms(percentile(&lat, 0.5)) / ms(health).max(0.001),
        ms(password),
        ms(percentile(&lat, 0.5)) / ms(password).max(0.001),
    );
}

#[tokio::main]
async fn main() {
    let weeks: i64 = std::env::var("PULSE_BENCH_WEEKS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("tmp");
    let sqlite = Db::connect(None, dir.path()).await.expect("sqlite");
    sqlite.migrate().await.expect("migrate");
    run("SQLite", sqlite, weeks).await;
    if std::env::var("PULSE_TEST_DATABASE_URL").is_ok() {
        let (pg, _keep) = pulse_store::testing::fresh_db().await;
        run("PostgreSQL", pg, weeks).await;
    } else {
        println!("PostgreSQL not measured: set PULSE_TEST_DATABASE_URL");
    }
}
