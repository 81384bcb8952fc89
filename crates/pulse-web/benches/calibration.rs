//! Calibration benchmark (issue 15) on the demo's data (52 weeks by default;
//! `PULSE_BENCH_WEEKS` to shrink): each wall screen for the session's
//! current case over HTTP, and a committee score reaching 10 connected
//! stream clients (p50/p99 from the score's request to each client's
//! receipt), beside the same run's baseline of reading the case's raw
//! events for the year. SQLite always; PostgreSQL too when
//! `PULSE_TEST_DATABASE_URL` is set, and then also across two instances on
//! the one database (scores on one, clients on the other).
//!
//! Run: `cargo bench -p pulse-web --bench calibration`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pulse_store::Db;
use pulse_store::calibration;

mod common;
use common::{median, ms, percentile};

async fn serve(db: Db) -> SocketAddr {
    let state = pulse_web::AppState::new(db, pulse_web::WebConfig::default()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    addr
}

async fn login(http: &reqwest::Client, addr: SocketAddr, login: &str) -> (String, String) {
    let r = http
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"login": login, "password": pulse_demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_string();
    let v: serde_json::Value = r.json().await.expect("json");
    (cookie, v["csrf_token"].as_str().unwrap_or("").to_string())
}

/// A client reading a stream: sends (event id, when it arrived).
fn listen(
    http: reqwest::Client,
    addr: SocketAddr,
    cookie: String,
    path: String,
) -> tokio::sync::mpsc::UnboundedReceiver<(i64, Instant)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut r = http
            .get(format!("http://{addr}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("stream");
        let mut buf = String::new();
        while let Ok(Some(chunk)) = r.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                if let Some(id) = event
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .and_then(|v| v.parse().ok())
                {
                    let _ = tx.send((id, Instant::now()));
                }
            }
        }
    });
    rx
}

/// 10 clients (split over `client_addrs`), `rounds` scores through `score_addr`:
/// each delivery's latency, sorted.
async fn push(
    http: &reqwest::Client,
    score_addr: SocketAddr,
    client_addrs: &[SocketAddr],
    session: i64,
    case_id: i64,
    rounds: usize,
) -> Vec<Duration> {
    let mut clients = Vec::new();
    for i in 0..10 {
        let addr = client_addrs[i % client_addrs.len()];
        let (cookie, _) = login(http, addr, if i % 2 == 0 { "director" } else { "hrbp" }).await;
        clients.push(listen(
            http.clone(),
            addr,
            cookie,
            format!("/api/v1/calibration-sessions/{session}/stream"),
        ));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (cookie, csrf) = login(http, score_addr, "committee").await;
    let mut lat = Vec::new();
    for k in 0..rounds {
        let sent = Instant::now();
        let score = [2.0, 3.0, 4.0, 5.0][k % 4];
        let r = http
            .put(format!(
                "http://{score_addr}/api/v1/calibration-sessions/{session}/cases/{case_id}/score"
            ))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "score": score }))
            .send()
            .await
            .expect("score");
        assert!(r.status().is_success(), "{}", r.status());
        for c in &mut clients {
            // The score's own event (a flag may follow it): wait for any id from now on.
            loop {
                match tokio::time::timeout(Duration::from_secs(5), c.recv()).await {
                    Ok(Some((_, at))) if at >= sent => {
                        lat.push(at - sent);
                        break;
                    }
                    Ok(Some(_)) => continue,
                    _ => panic!("a client missed a score"),
                }
            }
        }
        // Let a trailing flag event drain before the next score.
        tokio::time::sleep(Duration::from_millis(20)).await;
        for c in &mut clients {
            while c.try_recv().is_ok() {}
        }
    }
    lat.sort();
    lat
}

async fn run(engine: &str, db: Db, second: Option<Db>, weeks: i64) {
    let t = Instant::now();
    pulse_demo::build_with(
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
    let session = calibration::sessions(&db)
        .await
        .expect("sessions")
        .remove(0);
    let case_id = session.current_case_id.expect("a case on screen");
    let case = calibration::case(&db, session.id, case_id)
        .await
        .expect("case")
        .expect("case");
    let year = calibration::screens::year_of_quarters(db.today());
    let (from, to) = (year[0].from, year[3].to);
    let person = case.person_id;
    let (base, n) = median(21, || async {
        let rows: Vec<(i64, String)> = pulse_store::on_db!(db, pool => {
            sqlx::query_as("SELECT id, payload_json FROM events WHERE person_id = $1 AND occurred_at >= $2 AND occurred_at < $3")
                .bind(person).bind(from).bind(to).fetch_all(pool).await.expect("events")
        });
        rows.len()
    })
    .await;
    println!(
        "[{engine}] baseline: reading the case's {n} raw events of the year: {:.1} ms ({} cases in the session)",
        ms(base),
        session.cases
    );

    let addr = serve(db.clone()).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let (cookie, _) = login(&http, addr, "director").await;
    for side in ["left", "middle", "right"] {
        let url = format!("http://{addr}/calibration/{}/screen/{side}", session.id);
        let first = Instant::now();
        let r = http
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("screen");
        assert!(r.status().is_success());
        let _ = r.bytes().await;
        let cold = first.elapsed();
        let (warm, size) = median(11, || async {
            let r = http
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await
                .expect("screen");
            assert!(r.status().is_success());
            r.bytes().await.expect("body").len()
        })
        .await;
        println!(
            "[{engine}] {side} screen: {:.1} ms ({:.1}× the baseline), first view {:.1} ms, {:.0} kB",
            ms(warm),
            ms(warm) / ms(base).max(1e-6),
            ms(cold),
            size as f64 / 1e3
        );
    }
    // C6: the gap map reads every case's radar and texts.
    let (hr, _) = login(&http, addr, "hrbp").await;
    let url = format!(
        "http://{addr}/api/v1/calibration-sessions/{}/gaps",
        session.id
    );
    let read_gaps = || async {
        let r = http
            .get(&url)
            .header("cookie", &hr)
            .send()
            .await
            .expect("gaps");
        assert!(r.status().is_success());
        r.bytes().await.expect("body").len()
    };
    // The first read computes the map; later ones reuse it for 5 minutes.
    let t = Instant::now();
    read_gaps().await;
    let first = t.elapsed();
    let (gaps, _) = median(3, read_gaps).await;
    println!(
        "[{engine}] gap map over the session's cases: first (computed) {:.1} ms ({:.1}× the baseline), reused {:.1} ms",
        ms(first),
        ms(first) / ms(base).max(1e-6),
        ms(gaps)
    );
    let lat = push(&http, addr, &[addr], session.id, case_id, 40).await;
    println!(
        "[{engine}] a score → 10 stream clients: p50 {:.1} ms, p99 {:.1} ms over {} deliveries ({:.1}× the baseline at p99)",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        lat.len(),
        ms(percentile(&lat, 0.99)) / ms(base).max(1e-6)
    );
    if let Some(second) = second {
        let other = serve(second).await;
        let lat = push(&http, addr, &[other], session.id, case_id, 40).await;
        println!(
            "[{engine}] across two instances (score on one, 10 clients on the other): p50 {:.1} ms, p99 {:.1} ms",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        );
    }
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
    run("SQLite", sqlite, None, weeks).await;
    if std::env::var("PULSE_TEST_DATABASE_URL").is_ok() {
        let (pg, _keep) = pulse_store::testing::fresh_db().await;
        let second = pulse_store::testing::second_instance(&pg).await;
        run("PostgreSQL", pg, second, weeks).await;
    } else {
        println!("PostgreSQL not measured: set PULSE_TEST_DATABASE_URL");
    }
}
