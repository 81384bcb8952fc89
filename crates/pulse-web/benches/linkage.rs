//! Linkage benchmark (issue 16) on the demo's data (52 weeks by default;
//! `PULSE_BENCH_WEEKS` to shrink): evaluating every shipped rule (and a copy
//! of each, so outcomes are written, not only found) for everyone over the
//! four closed quarters, beside the same run's baseline of reading those
//! quarters' period metrics; one person's development path; a rule preview.
//! SQLite always; PostgreSQL too when `PULSE_TEST_DATABASE_URL` is set.
//!
//! Run: `cargo bench -p pulse-web --bench linkage`.

use std::time::Instant;

use pulse_store::linkage::{evaluate, paths, rules, snapshot};
use pulse_store::{Actor, Db};

mod common;
use common::{median, ms};

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
    let quarters: Vec<pulse_store::goals::Period> = {
        let mut q: Vec<_> = pulse_store::goals::periods(&db)
            .await
            .expect("periods")
            .into_iter()
            .filter(|p| p.code.contains('Q') && p.state != "open")
            .collect();
        q.sort_by_key(|p| p.starts_on);
        q
    };
    let last = quarters.last().expect("a closed quarter").clone();
    let chain = evaluate::history_periods(&db, &last).await.expect("chain");

    // Baseline: reading the period metrics every evaluation reads.
    let (base, people) = median(11, || async {
        let mut n = 0;
        for q in &quarters {
            let chain = evaluate::history_periods(&db, q).await.expect("chain");
            n += snapshot::histories(&db, &chain, None)
                .await
                .expect("histories")
                .len();
        }
        n
    })
    .await;

    // Copies of the shipped rules, so the first evaluation writes outcomes.
    let hr = Actor::system("bench");
    let shipped = rules::rules(&db).await.expect("rules");
    for r in &shipped {
        rules::save(
            &db,
            &hr,
            None,
            &rules::RuleInput {
                name: format!("{}（副本）", r.name),
                condition: r.condition.clone(),
                actions: r.actions.clone(),
                job_family: r.job_family.clone(),
                enabled: true,
            },
        )
        .await
        .expect("copy");
    }
    let t = Instant::now();
    let mut created = 0;
    for q in &quarters {
        created += evaluate::evaluate(&db, &hr, &q.code, "")
            .await
            .expect("evaluate")
            .created;
    }
    let first = t.elapsed();
    let (again, unchanged) = median(5, || async {
        let mut n = 0;
        for q in &quarters {
            n += evaluate::evaluate(&db, &hr, &q.code, "")
                .await
                .expect("evaluate")
                .unchanged;
        }
        n
    })
    .await;
    println!(
        "[{engine}] evaluating {} rules for {} people over {} quarters: first (writes {created} outcomes) {:.0} ms, again (finds {unchanged}) {:.0} ms; baseline reading the period metrics ({people} histories) {:.0} ms = {:.1}× / {:.1}×",
        shipped.len() * 2,
        people / quarters.len().max(1),
        quarters.len(),
        ms(first),
        ms(again),
        ms(base),
        ms(first) / ms(base).max(0.001),
        ms(again) / ms(base).max(0.001),
    );

    let rep = pulse_store::people::by_employee_no(
        &db,
        &plan.by_login("employee").expect("rep").employee_no,
    )
    .await
    .expect("rep")
    .expect("rep");
    let (path_t, path) = median(21, || async {
        paths::path_for(&db, rep.id, &rep.job_family)
            .await
            .expect("path")
    })
    .await;
    let (one, _) = median(21, || async {
        snapshot::histories(&db, &chain, Some(&[rep.id]))
            .await
            .expect("history")
    })
    .await;
    println!(
        "[{engine}] one person's development path: {:.1} ms (next role {}; baseline reading their period history {:.1} ms = {:.1}×)",
        ms(path_t),
        path.path
            .roles
            .first()
            .map(|r| r.name.as_str())
            .unwrap_or("—"),
        ms(one),
        ms(path_t) / ms(one).max(0.001),
    );

    let input = rules::RuleInput {
        name: "preview".into(),
        condition: "consecutive(\"技术方案创新\", 2, \">\", 4.5)".into(),
        actions: shipped[0].actions.clone(),
        job_family: String::new(),
        enabled: true,
    };
    let (pre, p) = median(11, || async {
        evaluate::preview(&db, &input, &last.code, 20)
            .await
            .expect("preview")
    })
    .await;
    let (base_one, _) = median(11, || async {
        snapshot::histories(&db, &chain, None)
            .await
            .expect("histories")
            .len()
    })
    .await;
    println!(
        "[{engine}] a rule preview over everyone in {}: {:.0} ms ({} of {} match; baseline reading the quarter's period metrics {:.0} ms = {:.1}×)",
        last.code,
        ms(pre),
        p.matched,
        p.evaluated,
        ms(base_one),
        ms(pre) / ms(base_one).max(0.001),
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
