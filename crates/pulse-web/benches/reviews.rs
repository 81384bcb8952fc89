//! Review-writer benchmark (issue 14) on the demo's data (52 weeks by
//! default; `PULSE_BENCH_WEEKS` to shrink): one person's evidence list, one
//! offline draft (the writer alone, and over HTTP with the evidence and the
//! radar), HR's cycle-progress page over every review, and launching a
//! cycle for the whole company, each beside the same run's baseline of
//! reading the person's period events. SQLite always; PostgreSQL too when
//! `PULSE_TEST_DATABASE_URL` is set.
//!
//! Run: `cargo bench -p pulse-web --bench reviews`.

use std::time::Instant;

use pulse_domain::reviews::writer::{DraftInput, draft};
use pulse_domain::reviews::{Population, RatingScale};
use pulse_store::reviews::{self, CycleInput, Whose, evidence};
use pulse_store::{Actor, Db};

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
    let cycles = reviews::cycles(&db).await.expect("cycles");
    let open = cycles.iter().find(|c| !c.frozen()).expect("the open cycle");
    let rep_no = plan.by_login("employee").expect("rep").employee_no.clone();
    let review = reviews::list(&db, Whose::All, Some(open.id))
        .await
        .expect("reviews")
        .into_iter()
        .find(|r| r.employee_no == rep_no)
        .expect("the rep's review");
    let (from, to) = review.window();

    let (base, n_events) = median(21, || async {
        evidence::period_events(&db, review.person_id, from, to)
            .await
            .expect("events")
            .len()
    })
    .await;
    let (list, facts) = median(21, || async {
        evidence::facts(&db, &review).await.expect("facts")
    })
    .await;
    println!(
        "[{engine}] one person's evidence list ({} records): {:.1} ms (baseline: reading their {n_events} period events {:.1} ms = {:.1}×)",
        facts.len(),
        ms(list),
        ms(base),
        ms(list) / ms(base).max(1e-6)
    );
    let (write, _) = median(101, || async {
        draft(&DraftInput {
            name: &review.name,
            period: &review.period_name,
            facts: [&facts[0], &facts[1]],
            weakest: None,
            seed: review.id as u64,
        })
    })
    .await;
    println!(
        "[{engine}] one offline draft, the writer alone: {:.3} ms ({:.4}× the baseline)",
        ms(write),
        ms(write) / ms(base).max(1e-6)
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
        .build()
        .expect("client");
    let lead = login_cookie(&http, addr, "manager", pulse_demo::DEMO_PASSWORD).await;
    let hr = login_cookie(&http, addr, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    let body = serde_json::json!({"evidence_ids": [facts[0].id(), facts[1].id()]});
    let (http_draft, _) = median(21, || async {
        let r = http
            .post(format!("http://{addr}/api/v1/reviews/{}/draft", review.id))
            .header("cookie", &lead)
            .json(&body)
            .send()
            .await
            .expect("draft");
        assert!(r.status().is_success(), "{}", r.status());
    })
    .await;
    println!(
        "[{engine}] one offline draft over HTTP (evidence, radar, draft kept): {:.1} ms ({:.1}× the baseline)",
        ms(http_draft),
        ms(http_draft) / ms(base).max(1e-6)
    );
    let (page, size) = median(11, || async {
        let r = http
            .get(format!("http://{addr}/reviews/cycles/{}", open.id))
            .header("cookie", &hr)
            .send()
            .await
            .expect("page");
        assert!(r.status().is_success());
        r.bytes().await.expect("body").len()
    })
    .await;
    println!(
        "[{engine}] HR's cycle-progress page for {} reviews: {:.1} ms, {:.0} kB ({:.1}× the baseline)",
        open.reviews,
        ms(page),
        size as f64 / 1e3,
        ms(page) / ms(base).max(1e-6)
    );

    // Launching: the whole company, into periods with no reviews yet.
    let mut times = Vec::new();
    let mut people = 0;
    for i in 0..3 {
        let mut tx = db.begin().await.expect("tx");
        let start = chrono::NaiveDate::from_ymd_opt(2030 + i, 1, 1).unwrap();
        let period = pulse_store::goals::upsert_period(
            &mut tx,
            &format!("{}", 2030 + i),
            "基准年度",
            start,
            start + chrono::Days::new(364),
        )
        .await
        .expect("period");
        tx.commit().await.expect("commit");
        let t = Instant::now();
        let c = reviews::launch(
            &db,
            &Actor::system("bench"),
            &CycleInput {
                name: format!("基准周期 {i}"),
                period_id: period,
                population: Population::Company,
                scale: RatingScale::default(),
                self_assessment: false,
                due_on: start + chrono::Days::new(380),
            },
        )
        .await
        .expect("launch");
        times.push(t.elapsed());
        people = c.reviews;
    }
    times.sort();
    println!(
        "[{engine}] launching a cycle for {people} people: {:.0} ms ({:.0}× the baseline)",
        ms(times[1]),
        ms(times[1]) / ms(base).max(1e-6)
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
