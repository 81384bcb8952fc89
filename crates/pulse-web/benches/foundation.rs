//! Foundation benchmarks (issue 2). Every figure is reported next to a
//! baseline measured in the same run, since this machine is noisy:
//!
//! - importing the 2,100-person sheet vs just reading it;
//! - a 100,000-row people dry run vs just reading it, with peak memory;
//! - building the demo organisation;
//! - sign-in + `GET /api/v1/people` under 64 concurrent clients vs a bare
//!   axum handler doing a single-row SQLite read on the same pool.
//!
//! Run: `cargo bench -p pulse-web` (release build). `PULSE_BENCH_QUICK=1` shrinks the load phase.

mod common;
use common::load;

use std::sync::Arc;
use std::time::Instant;

use pulse_sheets::{Cell, XlsxTable};
use pulse_store::imports::{self, ImportKind};
use pulse_store::{Actor, Db};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn sqlite(dir: &std::path::Path) -> Db {
    let db = Db::connect(None, dir).await.expect("sqlite");
    db.migrate().await.expect("migrate");
    db
}

fn people_sheet(rows: usize, plan: &pulse_demo::DemoOrg) -> Vec<u8> {
    let teams: Vec<&str> = plan
        .units
        .iter()
        .filter(|u| u.code.contains('-'))
        .map(|u| u.code.as_str())
        .collect();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (no, name, unit, mgr, job) = if rows == plan.people.len() {
            let p = &plan.people[i];
            (
                p.employee_no.clone(),
                p.name.clone(),
                p.unit_code.clone(),
                p.manager.clone().unwrap_or_default(),
                p.job_family.to_string(),
            )
        } else {
            let mgr = if i % 12 == 0 {
                String::new()
            } else {
                format!("B{:06}", i - i % 12)
            };
            (
                format!("B{i:06}"),
                format!("员工{i}"),
                teams[i / 12 % teams.len()].to_string(),
                mgr,
                "销售代表".to_string(),
            )
        };
        out.push(vec![
            Cell::Text(no),
            Cell::Text(name),
            Cell::Text(unit),
            if mgr.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(mgr)
            },
            Cell::Text(job),
            Cell::Text("P3".into()),
            Cell::Date(
                chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date")
                    + chrono::Duration::days((i % 2000) as i64),
            ),
        ]);
    }
    XlsxTable {
        sheet_name: "人员".into(),
        headers: [
            "工号",
            "姓名",
            "部门",
            "上级工号",
            "岗位族",
            "职级",
            "入职日期",
        ]
        .map(String::from)
        .to_vec(),
        rows: out,
        widths: vec![],
    }
    .to_bytes()
    .expect("xlsx")
}

fn read_only(bytes: &[u8]) -> usize {
    let (t, _) = ImportKind::People
        .columns()
        .locate(pulse_sheets::read(bytes).expect("read"))
        .expect("locate");
    t.rows.len()
}

async fn org_only_db(dir: &std::path::Path, plan: &pulse_demo::DemoOrg) -> Db {
    let db = sqlite(dir).await;
    let mut tx = db.begin().await.expect("tx");
    let units: Vec<_> = plan.units.iter().map(|u| u.new_unit()).collect();
    pulse_store::org::upsert_units(&mut tx, &Actor::system("bench"), &units)
        .await
        .expect("units");
    tx.commit().await.expect("commit");
    db
}

/// Child mode: dry-run one file and report this process's own peak memory,
/// so the figure is the import's and not the sheet generator's.
async fn child_dry_run(path: &str) {
    let plan = pulse_demo::plan(pulse_demo::DEFAULT_SEED);
    let bytes = std::fs::read(path).expect("sheet");
    let dir = tempfile::tempdir().expect("tmp");
    let db = org_only_db(dir.path(), &plan).await;
    let before = peak_rss_mb();
    let r = imports::run(
        &db,
        &Actor::system("bench"),
        ImportKind::People,
        "big.xlsx",
        &bytes,
        true,
    )
    .await
    .expect("dry run");
    assert!(r.ok());
    println!("{before:.0} {:.0}", peak_rss_mb());
}

#[tokio::main]
async fn main() {
    if let Ok(path) = std::env::var("PULSE_BENCH_CHILD") {
        return child_dry_run(&path).await;
    }
    let quick = std::env::var("PULSE_BENCH_QUICK").is_ok();
    let plan = pulse_demo::plan(pulse_demo::DEFAULT_SEED);
    println!(
        "# Pulse foundation benchmarks ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // 1. The 2,100-person sheet (the whole demo roster, 2,342 rows).
    let sheet = people_sheet(plan.people.len(), &plan);
    let t = Instant::now();
    let n = read_only(&sheet);
    let base = t.elapsed();
    let dir = tempfile::tempdir().expect("tmp");
    let db = org_only_db(dir.path(), &plan).await;
    let t = Instant::now();
    let r = imports::run(
        &db,
        &Actor::system("bench"),
        ImportKind::People,
        "roster.xlsx",
        &sheet,
        false,
    )
    .await
    .expect("import");
    let took = t.elapsed();
    assert!(r.committed, "{:?}", r.errors.first());
    println!(
        "import roster: {n} rows committed in {:.0} ms (read-only baseline {:.0} ms, ratio {:.1}x)",
        took.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        took.as_secs_f64() / base.as_secs_f64()
    );
    db.close().await;

    // 2. A 100,000-row dry run.
    let rows = if quick { 20_000 } else { 100_000 };
    let big = people_sheet(rows, &plan);
    let rss0 = peak_rss_mb();
    let t = Instant::now();
    read_only(&big);
    let base = t.elapsed();
    let dir = tempfile::tempdir().expect("tmp");
    let db = org_only_db(dir.path(), &plan).await;
    let t = Instant::now();
    let r = imports::run(
        &db,
        &Actor::system("bench"),
        ImportKind::People,
        "big.xlsx",
        &big,
        true,
    )
    .await
    .expect("dry run");
    let took = t.elapsed();
    assert!(r.ok(), "{:?}", r.errors.first());
    let _ = rss0;
    let file = dir.path().join("big.xlsx");
    std::fs::write(&file, &big).expect("write sheet");
    let child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env("PULSE_BENCH_CHILD", &file)
        .output()
        .expect("child");
    let mem = String::from_utf8_lossy(&child.stdout).trim().to_string();
    println!(
        "dry run {rows} rows ({:.1} MB xlsx): {:.2} s (read-only baseline {:.2} s, ratio {:.1}x); child process peak RSS before/after the dry run: {mem} MB",
        big.len() as f64 / 1e6,
        took.as_secs_f64(),
        base.as_secs_f64(),
        took.as_secs_f64() / base.as_secs_f64(),
    );
    db.close().await;

    // 3. Demo build on a fresh data dir.
    let dir = tempfile::tempdir().expect("tmp");
    let db = sqlite(dir.path()).await;
    let t = Instant::now();
    pulse_demo::build(&db, pulse_demo::DEFAULT_SEED, &pulse_demo::NoProgress)
        .await
        .expect("demo");
    println!("demo build: {:.2} s", t.elapsed().as_secs_f64());

    // 4. HTTP under load: full stack vs a bare axum + SQLite handler.
    let state =
        pulse_web::AppState::new(db.clone(), pulse_web::WebConfig::default()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    let pool = match db.pool() {
        pulse_store::Pool::Sqlite(p) => p.clone(),
        pulse_store::Pool::Postgres(_) => unreachable!("bench runs on SQLite"),
    };
    let bare = axum::Router::new().route(
        "/bare",
        axum::routing::get(move || {
            let pool = pool.clone();
            async move {
                let row: (String, String) =
                    sqlx::query_as("SELECT employee_no, name FROM people WHERE id = $1")
                        .bind(100_i64)
                        .fetch_one(&pool)
                        .await
                        .expect("row");
                axum::Json(serde_json::json!({"employee_no": row.0, "name": row.1}))
            }
        }),
    );
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let bare_addr = bare_listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(bare_listener, bare).await });

    let clients = 64;
    let per = if quick { 20 } else { 100 };
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(128)
        .build()
        .expect("client");
    let h = http.clone();
    let (base_rps, base_p50, base_p99) = load(clients, per, move |_, _| {
        let h = h.clone();
        async move {
            h.get(format!("http://{bare_addr}/bare"))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
    })
    .await;

    // Sign in the clients first (each its own session, as 64 managers would).
    let logins: Vec<String> = plan
        .people
        .iter()
        .filter(|p| p.job_family == "一线主管" && p.login.is_none())
        .take(clients)
        .map(|p| p.employee_no.clone())
        .collect();
    let t = Instant::now();
    let mut cookies = Vec::new();
    for login in &logins {
        cookies.push(common::login_cookie(&http, addr, login, "demo").await);
    }
    let login_each = t.elapsed() / logins.len() as u32;
    let cookies = Arc::new(cookies);
    let c3 = cookies.clone();
    let h = http.clone();
    let c2 = cookies.clone();
    let (me_rps, _, me_p99) = load(clients, per, move |c, _| {
        let h = h.clone();
        let cookie = c2[c % c2.len()].clone();
        async move {
            h.get(format!("http://{addr}/api/v1/me"))
                .header("cookie", cookie)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
    })
    .await;
    let h = http.clone();
    let (hz_rps, _, hz_p99) = load(clients, per, move |_, _| {
        let h = h.clone();
        async move {
            h.get(format!("http://{addr}/healthz"))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
    })
    .await;
    println!(
        "GET /healthz (all middleware, no database): {hz_rps:.0} req/s, p99 {:.1} ms",
        hz_p99.as_secs_f64() * 1e3
    );
    println!(
        "GET /api/v1/me (session check + org tree): {me_rps:.0} req/s, p99 {:.1} ms",
        me_p99.as_secs_f64() * 1e3
    );
    let h = http.clone();
    let (rps, p50, p99) = load(clients, per, move |c, i| {
        let h = h.clone();
        let cookie = cookies[c % cookies.len()].clone();
        async move {
            h.get(format!(
                "http://{addr}/api/v1/people?page={}&per_page=20",
                1 + i % 3
            ))
            .header("cookie", cookie)
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        }
    })
    .await;
    println!(
        "sign-in (argon2id verify + session): {:.0} ms each, sequential",
        login_each.as_secs_f64() * 1e3
    );
    println!(
        "bare axum + SQLite row: {base_rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms ({clients} clients)",
        base_p50.as_secs_f64() * 1e3,
        base_p99.as_secs_f64() * 1e3
    );
    println!(
        "GET /api/v1/people (session, scope CTE, page of 20): {rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms — {:.0}% of the bare rate",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        100.0 * rps / base_rps
    );

    // 5. Goals (issue 4): the manager's goal board under load, and the
    // evaluation of every weight rule for every region and person.
    let h = http.clone();
    let (board_rps, board_p50, board_p99) = load(clients, per, move |c, _| {
        let h = h.clone();
        let cookie = c3[c % c3.len()].clone();
        async move {
            h.get(format!("http://{addr}/goals/team"))
                .header("cookie", cookie)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        }
    })
    .await;
    println!(
        "GET /goals/team (manager's team board page): {board_rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        board_p50.as_secs_f64() * 1e3,
        board_p99.as_secs_f64() * 1e3
    );
    rules_bench(&db).await;
    println!("peak RSS of this process: {:.0} MB", peak_rss_mb());
}

/// Rule evaluation against the same run's baseline of reading its inputs
/// (17 regions' metrics and every person's weighted goals).
async fn rules_bench(db: &Db) {
    let today = db.today();
    let period = pulse_store::goals::period_at(db, today)
        .await
        .expect("q")
        .expect("demo period");
    let units = pulse_store::org::list(db).await.expect("units");
    let regions: Vec<i64> = units
        .iter()
        .filter(|u| u.kind == "region")
        .map(|u| u.id)
        .collect();
    let people: Vec<i64> = match db.pool() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query_as::<_, (i64,)>("SELECT id FROM people WHERE status = 'active'")
                .fetch_all(p)
                .await
                .expect("people")
                .into_iter()
                .map(|r| r.0)
                .collect()
        }
        pulse_store::Pool::Postgres(_) => unreachable!("bench runs on SQLite"),
    };
    let t = Instant::now();
    let mut tx = db.begin().await.expect("tx");
    for r in &regions {
        pulse_store::weight_rules::region_inputs(&mut tx, *r, period.id)
            .await
            .expect("inputs");
    }
    tx.rollback().await.expect("rollback");
    let mut goals = 0;
    for p in &people {
        goals += pulse_store::goals::person_goals(db, *p, period.id)
            .await
            .expect("goals")
            .len();
    }
    let read = t.elapsed();
    let actor = pulse_store::Actor::system("bench");
    let t = Instant::now();
    let steady = pulse_store::weight_rules::evaluate(db, period.id, None, &actor)
        .await
        .expect("evaluate");
    let evaluate = t.elapsed();
    assert_eq!(
        steady.people_changed, 0,
        "nothing changed since the demo's evaluation"
    );
    // A flip: 华东 drops below 15 % and comes back — weights change and return.
    let hd = units.iter().find(|u| u.code == "HD").expect("HD").id;
    let set = |rate: f64| async move {
        let mut tx = db.begin().await.expect("tx");
        pulse_store::weight_rules::set_region_metrics(
            &mut tx,
            hd,
            period.id,
            &[("a_class_new_sign_rate".into(), rate)],
        )
        .await
        .expect("set");
        tx.commit().await.expect("commit");
    };
    set(0.10).await;
    let t = Instant::now();
    let flip = pulse_store::weight_rules::evaluate(db, period.id, None, &actor)
        .await
        .expect("evaluate");
    let flip_time = t.elapsed();
    set(0.182).await;
    pulse_store::weight_rules::evaluate(db, period.id, None, &actor)
        .await
        .expect("evaluate");
    println!(
        "reading rule inputs (17 regions) and {} people's {goals} goals: {:.0} ms (baseline)",
        people.len(),
        read.as_secs_f64() * 1e3
    );
    println!(
        "evaluate all rules, 17 regions, nothing changes: {:.0} ms = {:.2}× baseline",
        evaluate.as_secs_f64() * 1e3,
        evaluate.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "evaluate all rules, 华东 flips ({} people re-weighted): {:.0} ms = {:.2}× baseline",
        flip.people_changed,
        flip_time.as_secs_f64() * 1e3,
        flip_time.as_secs_f64() / read.as_secs_f64()
    );
}
