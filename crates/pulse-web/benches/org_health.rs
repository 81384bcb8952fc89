//! Org-health benchmark (issue 17) on the demo (52 weeks by default;
//! `PULSE_BENCH_WEEKS` to shrink): the dashboard over HTTP for the whole
//! company and one region — cold (this instance's month counts not read
//! yet) and warm — beside the same run's baseline of counting the raw rows
//! it reads (views, clicks, cards, answers, claims, reviews); then survey
//! answers from 64 concurrent respondents (each a different person, each
//! answering once) beside a bare one-row INSERT endpoint in the same run.
//! SQLite always; PostgreSQL too when `PULSE_TEST_DATABASE_URL` is set.
//!
//! Run: `cargo bench -p pulse-web --bench org_health`.

use std::sync::Arc;
use std::time::Instant;

use pulse_store::Db;

mod common;
use common::{load, login_cookie, median, ms};

async fn count_raw(db: &Db) -> i64 {
    const SQL: &str = "SELECT (SELECT COUNT(*) FROM radar_views) + (SELECT COUNT(*) FROM development_activity) \
        + (SELECT COUNT(*) FROM feedback_cards) + (SELECT COUNT(*) FROM survey_counts) + (SELECT COUNT(*) FROM alignment_tasks) \
        + (SELECT COUNT(*) FROM reviews) + (SELECT COUNT(*) FROM goal_adjustments) + (SELECT COUNT(*) FROM people)";
    match db.pool() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query_as::<_, (i64,)>(SQL)
                .fetch_one(p)
                .await
                .expect("count")
                .0
        }
        pulse_store::Pool::Postgres(p) => {
            sqlx::query_as::<_, (i64,)>(SQL)
                .fetch_one(p)
                .await
                .expect("count")
                .0
        }
    }
}

async fn run(engine: &str, db: Db, weeks: i64) {
    let t = Instant::now();
    let plan = pulse_demo::build_with(
        &db,
        pulse_demo::DEFAULT_SEED,
        &pulse_demo::Volume { weeks },
        &pulse_demo::NoProgress,
    )
    .await
    .expect("demo");
    println!(
        "[{engine}] demo with {weeks} weeks: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let state =
        pulse_web::AppState::new(db.clone(), pulse_web::WebConfig::default()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(128)
        .build()
        .expect("client");
    let hr = login_cookie(&http, addr, "hrbp", pulse_demo::DEMO_PASSWORD).await;

    let (base, rows) = median(11, || count_raw(&db)).await;
    for (what, q) in [("whole company", ""), ("华东 region", "?unit=HD")] {
        let get = || {
            let (http, hr) = (http.clone(), hr.clone());
            async move {
                let r = http
                    .get(format!("http://{addr}/api/v1/org-health{q}"))
                    .header("cookie", hr)
                    .send()
                    .await
                    .expect("get");
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.expect("body").len()
            }
        };
        pulse_store::health::months::forget(&db);
        let t = Instant::now();
        let size = get().await;
        let cold = t.elapsed();
        let (warm, _) = median(11, get).await;
        println!(
            "[{engine}] dashboard, {what}: cold {:.0} ms, warm {:.0} ms ({size} B); baseline counting the {rows} raw rows it reads {:.0} ms = {:.1}× / {:.1}×",
            ms(cold),
            ms(warm),
            ms(base),
            ms(cold) / ms(base).max(0.001),
            ms(warm) / ms(base).max(0.001),
        );
    }

    // 64 respondents at once, each answering once: a fresh survey of everyone.
    let r = http
        .post(format!("http://{addr}/api/v1/surveys"))
        .header("cookie", hr.clone())
        .json(&serde_json::json!({"title": "bench"}))
        .send()
        .await
        .expect("launch");
    assert!(r.status().is_success(), "{}", r.status());
    let survey = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    let clients = 64;
    let per = 16;
    let frontline = pulse_store::health::frontline(&db)
        .await
        .expect("frontline");
    let mut cookies: Vec<Vec<String>> = vec![Vec::new(); clients];
    let mut n = 0;
    for p in &plan.people {
        if n == clients * per {
            break;
        }
        let person = pulse_store::people::by_employee_no(&db, &p.employee_no)
            .await
            .expect("q")
            .expect("p");
        if p.login.is_some() || !frontline.iter().any(|f| f.0 == person.id) {
            continue;
        }
        let (account, _) = pulse_store::accounts::credentials(&db, &p.employee_no)
            .await
            .expect("q")
            .expect("account");
        let secret = pulse_store::accounts::create_session(&db, account)
            .await
            .expect("session");
        cookies[n % clients].push(format!("pulse_session={secret}"));
        n += 1;
    }
    let bare_addr = common::bare_endpoint(db.clone()).await;
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
    let cookies = Arc::new(cookies);
    let h = http.clone();
    let (rps, p50, p99) = load(clients, per, move |c, i| {
        let h = h.clone();
        let cookie = cookies[c][i].clone();
        async move {
            h.post(format!("http://{addr}/api/v1/surveys/{survey}/responses"))
                .header("cookie", cookie)
                .json(&serde_json::json!({"answer": 1 + (c + i) % 5}))
                .send()
                .await
                .map(|r| r.status() == reqwest::StatusCode::CREATED)
                .unwrap_or(false)
        }
    })
    .await;
    println!(
        "[{engine}] survey answers, {clients} respondents at once, {} answers: {rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; bare insert {base_rps:.0} req/s, p99 {:.1} ms = {:.0} % of bare",
        clients * per,
        ms(p50),
        ms(p99),
        ms(base_p99),
        100.0 * rps / base_rps.max(1.0),
    );
}

#[tokio::main]
async fn main() {
    let weeks: i64 = std::env::var("PULSE_BENCH_WEEKS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(52);
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
