//! Outbox benchmark (issue 3): 10,000 queued notifications delivered to a
//! local robot endpoint — messages/s and time to drain — and what enqueueing
//! adds to the write that causes it, against the same write alone, in one run.
//!
//! Run: `cargo bench -p pulse-jobs` (SQLite in a temp dir).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use pulse_jobs::channels::{Registry, WecomRobot};
use pulse_jobs::delivery::{Policy, deliver_once};
use pulse_store::outbox::{self, NewMessage};
use pulse_store::{Actor, Db};

const MESSAGES: usize = 10_000;
const WRITES: usize = 2_000;

fn msg(i: usize) -> NewMessage {
    NewMessage {
        idempotency_key: format!("bench:{i}"),
        channel: "wecom_robot".into(),
        target: "bench".into(),
        subject: "权重变更".into(),
        body: format!("华东大区：新客户首单转化率 25% → 35%（第 {i} 条）"),
        recipient: String::new(),
        not_before: None,
    }
}

/// The write a feature makes: one audited change in its own transaction.
async fn write(db: &Db, i: usize, with_outbox: bool) {
    let mut tx = db.begin().await.expect("tx");
    pulse_store::audit::record::<(), _>(
        &mut tx,
        &Actor::system("bench"),
        "update",
        "bench",
        &i.to_string(),
        None,
        Some(&i),
    )
    .await
    .expect("audit");
    if with_outbox {
        outbox::enqueue(&mut tx, &msg(MESSAGES + i))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = Db::connect(None, dir.path()).await.expect("sqlite");
    db.migrate().await.expect("migrate");

    // What the outbox adds to a write.
    let t = Instant::now();
    for i in 0..WRITES {
        write(&db, i, false).await;
    }
    let plain = t.elapsed() / WRITES as u32;
    let t = Instant::now();
    for i in 0..WRITES {
        write(&db, WRITES + i, true).await;
    }
    let with = t.elapsed() / WRITES as u32;
    println!(
        "write + audit: {:.0} µs; with an outbox message in the same transaction: {:.0} µs (+{:.0} %)",
        plain.as_secs_f64() * 1e6,
        with.as_secs_f64() * 1e6,
        100.0 * (with.as_secs_f64() / plain.as_secs_f64() - 1.0)
    );
    // Those messages are not part of the drain measurement.
    let mut tx = db.begin().await.expect("tx");
    for i in 0..MESSAGES {
        outbox::enqueue(&mut tx, &msg(i)).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");

    // A local robot that accepts everything and counts.
    let received = Arc::new(AtomicUsize::new(0));
    let r = received.clone();
    let app = axum::Router::new().route(
        "/cgi-bin/webhook/send",
        axum::routing::post(move || {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::Relaxed);
                axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/cgi-bin/webhook/send?key=bench",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut registry = Registry::default();
    registry.insert(
        "bench",
        Arc::new(WecomRobot::new(pulse_jobs::channels::http_client(), &url).expect("robot")),
    );

    let policy = Policy {
        batch: 200,
        ..Policy::default()
    };
    let t = Instant::now();
    loop {
        let round = deliver_once(&db, &registry, &policy, db.now_ms())
            .await
            .expect("deliver");
        if round.sent + round.retried + round.dead == 0 {
            break;
        }
    }
    let took = t.elapsed();
    let n = received.load(Ordering::Relaxed);
    println!(
        "drained {n} messages (10,000 queued + {WRITES} from the write test) in {:.2} s: {:.0} messages/s, one worker, sequential sends",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    assert_eq!(n, MESSAGES + WRITES, "every message delivered exactly once");
}
