//! Digest, radar and team-workbook benchmark (issues 6, 13) on the demo's data (52 weeks by
//! default; `PULSE_BENCH_WEEKS` to shrink): one manager's digest, every
//! manager's digests, segmentation throughput and one person's radar, each
//! beside the same run's baseline of just reading the cards of the two
//! weeks a digest compares. SQLite always; PostgreSQL too when
//! `PULSE_TEST_DATABASE_URL` is set.
//!
//! Run: `cargo bench -p pulse-web --bench insights`.

use std::time::Instant;

use pulse_jobs::digests::{self, Delivery, TextEngine};
use pulse_store::Db;

mod common;
use common::{login_cookie, median, ms};

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
    let week = digests::last_complete_week(db.today());
    let (from, to) = (
        pulse_store::day_start_ms(week - chrono::Days::new(7)),
        pulse_store::day_start_ms(week + chrono::Days::new(7)),
    );
    let links = pulse_jobs::reminders::Links::default();
    let engine_text = TextEngine::default();
    let analyzer = engine_text.analyzer(&db).await.expect("analyzer");

    // Baseline: read the two weeks' cards (what every digest must do anyway).
    let (base_all, n_cards) = median(5, || async {
        pulse_store::digests::cards_between(&db, from, to)
            .await
            .expect("cards")
            .len()
    })
    .await;
    let lines = digests::reporting_lines(
        &pulse_store::digests::reporting_lines(&db)
            .await
            .expect("lines"),
    );
    let manager = pulse_store::people::by_employee_no(
        &db,
        &plan.by_login("manager").expect("manager").employee_no,
    )
    .await
    .expect("q")
    .expect("manager");
    let team = lines[&manager.id].clone();
    let (base_one, _) = median(21, || async {
        pulse_store::digests::cards_of(&db, &team, from, to)
            .await
            .expect("cards");
    })
    .await;

    let (one, _) = median(21, || async {
        digests::generate(
            &db,
            &engine_text,
            week,
            Some(manager.id),
            Delivery::Store,
            &links,
        )
        .await
        .expect("digest");
    })
    .await;
    let (all, made) = median(3, || async {
        digests::generate(&db, &engine_text, week, None, Delivery::Store, &links)
            .await
            .expect("digests")
            .len()
    })
    .await;
    println!(
        "[{engine}] one manager's digest ({} people): {:.1} ms (baseline: reading their cards {:.1} ms = {:.1}×)",
        team.len(),
        ms(one),
        ms(base_one),
        ms(one) / ms(base_one).max(1e-6)
    );
    println!(
        "[{engine}] all {made} managers' digests ({n_cards} cards): {:.0} ms (baseline: reading the cards {:.0} ms = {:.1}×)",
        ms(all),
        ms(base_all),
        ms(all) / ms(base_all).max(1e-6)
    );

    // Segmentation throughput over a year of observations.
    let cards = pulse_store::digests::cards_between(&db, 0, i64::MAX)
        .await
        .expect("cards");
    let bytes: usize = cards.iter().map(|c| c.observation.len()).sum();
    let t = Instant::now();
    let mut terms = 0;
    for c in &cards {
        terms += analyzer.terms(&c.observation).len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "[{engine}] segmentation: {} cards, {:.1} MB, {terms} terms in {:.2} s = {:.1} MB/s",
        cards.len(),
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs
    );

    // What `pulse serve` does at start and every 9 minutes per instance.
    let t = Instant::now();
    let groups = pulse_store::competency::warm_peer_figures(&db, db.today())
        .await
        .expect("warm");
    println!(
        "[{engine}] warming every peer group's radar figures: {groups} groups in {:.0} ms",
        ms(t.elapsed())
    );
    pulse_store::competency::forget_peer_figures();

    // One person's radar over HTTP (session, peers' figures, normalisation, view log).
    let state =
        pulse_web::AppState::new(db.clone(), pulse_web::WebConfig::default()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let cookie = login_cookie(&http, addr, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    let employee = plan
        .by_login("employee")
        .expect("employee")
        .employee_no
        .clone();
    let engineer = plan
        .people
        .iter()
        .find(|p| p.job_family == "服务工程师")
        .expect("engineer")
        .employee_no
        .clone();
    for (label, no) in [("sales rep", employee), ("service engineer", engineer)] {
        let radar_once = || async {
            let r = http
                .get(format!("http://{addr}/api/v1/people/{no}/radar"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("radar");
            assert!(r.status().is_success());
        };
        // The first view of a peer group computes its figures; later views
        // of anyone in the group reuse them (10 minutes per instance).
        let (cold, _) = median(1, radar_once).await;
        let (radar, _) = median(21, radar_once).await;
        let (me, _) = median(21, || async {
            let r = http
                .get(format!("http://{addr}/api/v1/me"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("me");
            assert!(r.status().is_success());
        })
        .await;
        println!(
            "[{engine}] radar of a {label} over HTTP: {:.1} ms, first view of the peer group {:.1} ms (baseline: GET /api/v1/me {:.1} ms)",
            ms(radar),
            ms(cold),
            ms(me)
        );
    }

    // The team workbook (X2): HR's whole company, and one team lead's team,
    // beside the one-sheet goals export of the same run. Peak memory is the
    // process's high-water mark, reset just before the download.
    let manager_cookie = login_cookie(&http, addr, "manager", pulse_demo::DEMO_PASSWORD).await;
    for (who, cookie) in [
        ("HR, whole company", &cookie),
        ("team lead", &manager_cookie),
    ] {
        let fetch = |path: &'static str| {
            let (http, cookie) = (http.clone(), cookie.clone());
            async move {
                let r = http
                    .get(format!("http://{addr}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("export");
                assert!(r.status().is_success(), "{path}: {}", r.status());
                r.bytes().await.expect("body").len()
            }
        };
        let (base, _) = median(3, || fetch("/export/goals.xlsx")).await;
        let rss_before = high_water_kb(true);
        let (book, size) = median(3, || fetch("/export/team.xlsx")).await;
        let rss_peak = high_water_kb(false);
        println!(
            "[{engine}] team workbook, {who}: {:.0} ms, {:.0} kB (baseline: the one-sheet goals export {:.0} ms = {:.1}×); peak memory +{} MB",
            ms(book),
            size as f64 / 1e3,
            ms(base),
            ms(book) / ms(base).max(1e-6),
            rss_peak.saturating_sub(rss_before) / 1024
        );
    }
}

/// The process's peak resident memory (VmHWM) in kB; `reset` first sets the
/// mark back to the current size (Linux `clear_refs`), so a later read shows
/// the peak of what ran in between.
fn high_water_kb(reset: bool) -> u64 {
    if reset {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    if reset {
        field("VmRSS:")
    } else {
        field("VmHWM:")
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
    run("SQLite", sqlite, weeks).await;
    if std::env::var("PULSE_TEST_DATABASE_URL").is_ok() {
        let (pg, _keep) = pulse_store::testing::fresh_db().await;
        run("PostgreSQL", pg, weeks).await;
    } else {
        println!("PostgreSQL not measured: set PULSE_TEST_DATABASE_URL");
    }
}
