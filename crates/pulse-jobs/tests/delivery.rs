//! Outbox delivery against a local server that speaks the WeChat Work group
//! robot protocol and can be told to fail. Runs on SQLite, or PostgreSQL with
//! PULSE_TEST_DATABASE_URL.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pulse_jobs::channels::{Registry, WecomRobot};
use pulse_jobs::delivery::{Policy, deliver_once};
use pulse_store::outbox::{self, NewMessage};
use pulse_store::testing::fresh_db;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Ok,
    Http500,
    Busy,
    Html,
    BadKey,
}

#[derive(Default)]
struct Robot {
    mode: Option<Mode>,
    /// Every request body, accepted or not.
    seen: Vec<serde_json::Value>,
    /// Contents of the messages accepted (errcode 0).
    accepted: Vec<String>,
}

type Shared = Arc<Mutex<Robot>>;

async fn webhook(State(robot): State<Shared>, Json(body): Json<serde_json::Value>) -> Response {
    let mut r = robot.lock().unwrap();
    r.seen.push(body.clone());
    // The documented request shape, exactly.
    let content = body["markdown"]["content"].as_str().map(str::to_string);
    if body["msgtype"] != "markdown"
        || content.is_none()
        || body.as_object().map(|o| o.len()) != Some(2)
    {
        return (
            StatusCode::OK,
            Json(serde_json::json!({"errcode": 40008, "errmsg": "invalid message type"})),
        )
            .into_response();
    }
    let content = content.unwrap_or_default();
    if content.len() > 4096 {
        return (StatusCode::OK, Json(serde_json::json!({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}))).into_response();
    }
    match r.mode.unwrap_or(Mode::Ok) {
        Mode::Ok => {
            r.accepted.push(content);
            Json(serde_json::json!({"errcode": 0, "errmsg": "ok"})).into_response()
        }
        Mode::Http500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Busy => {
            Json(serde_json::json!({"errcode": 45009, "errmsg": "api freq out of limit"}))
                .into_response()
        }
        Mode::Html => (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        Mode::BadKey => {
            Json(serde_json::json!({"errcode": 93000, "errmsg": "invalid webhook url"}))
                .into_response()
        }
    }
}

async fn robot_server() -> (Shared, String) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/cgi-bin/webhook/send", axum::routing::post(webhook))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/cgi-bin/webhook/send?key=test-key",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (shared, url)
}

fn registry(url: &str) -> Registry {
    let mut r = Registry::default();
    r.insert(
        "华东大区群",
        Arc::new(WecomRobot::new(pulse_jobs::channels::http_client(), url).unwrap()),
    );
    r
}

fn msg(key: &str, body: &str) -> NewMessage {
    NewMessage {
        idempotency_key: key.into(),
        channel: "wecom_robot".into(),
        target: "华东大区群".into(),
        subject: "权重变更".into(),
        body: body.into(),
        recipient: String::new(),
        not_before: None,
    }
}

const MINUTE: i64 = 60_000;

#[tokio::test]
async fn committed_messages_are_sent_once_in_order_and_rolled_back_ones_never() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let mut tx = db.begin().await.unwrap();
    for i in 1..=3 {
        assert!(
            outbox::enqueue(&mut tx, &msg(&format!("k{i}"), &format!("第{i}条")))
                .await
                .unwrap()
        );
    }
    assert!(
        !outbox::enqueue(&mut tx, &msg("k1", "again")).await.unwrap(),
        "same key, no second message"
    );
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("rolled-back", "不应发送"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let round = deliver_once(&db, &registry(&url), &Policy::default(), db.now_ms())
        .await
        .unwrap();
    assert_eq!(round.sent, 3);
    let accepted = robot.lock().unwrap().accepted.clone();
    assert_eq!(
        accepted,
        vec![
            "**权重变更**\n第1条",
            "**权重变更**\n第2条",
            "**权重变更**\n第3条"
        ]
    );
    let again = deliver_once(
        &db,
        &registry(&url),
        &Policy::default(),
        db.now_ms() + 10 * MINUTE,
    )
    .await
    .unwrap();
    assert_eq!(again.sent, 0, "nothing is sent twice");
    assert_eq!(outbox::list(&db, "sent", 10).await.unwrap().len(), 3);
}

#[tokio::test]
async fn failures_retry_with_backoff_and_deliver_after_recovery() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let channels = registry(&url);
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("r1", "重试")).await.unwrap();
    tx.commit().await.unwrap();
    let policy = Policy {
        base_delay_ms: MINUTE,
        ..Policy::default()
    };
    let t0 = db.now_ms();

    for (i, mode) in [Mode::Http500, Mode::Busy, Mode::Html]
        .into_iter()
        .enumerate()
    {
        robot.lock().unwrap().mode = Some(mode);
        let now = t0 + i as i64 * 10 * 60 * MINUTE;
        let round = deliver_once(&db, &channels, &policy, now).await.unwrap();
        assert_eq!(round.retried, 1, "{mode:?}");
        let pending = outbox::list(&db, "pending", 1).await.unwrap();
        assert!(pending[0].next_attempt_at > now, "backs off");
        let error = pending[0].last_error.clone().unwrap();
        match mode {
            Mode::Http500 => assert!(error.contains("500"), "{error}"),
            Mode::Busy => assert!(error.contains("45009"), "{error}"),
            _ => assert!(error.contains("不是 JSON"), "{error}"),
        }
        let early = deliver_once(&db, &channels, &policy, now + 1)
            .await
            .unwrap();
        assert_eq!(early, Default::default(), "not due yet");
    }
    robot.lock().unwrap().mode = Some(Mode::Ok);
    let round = deliver_once(&db, &channels, &policy, t0 + 100 * 60 * MINUTE)
        .await
        .unwrap();
    assert_eq!(round.sent, 1);
    let r = robot.lock().unwrap();
    assert_eq!(r.accepted.len(), 1, "delivered exactly once");
    assert_eq!(r.seen.len(), 4, "three failed attempts and one success");
}

#[tokio::test]
async fn dead_letter_after_the_limit_and_retry_by_admin() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let channels = registry(&url);
    robot.lock().unwrap().mode = Some(Mode::Http500);
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("d1", "死信")).await.unwrap();
    tx.commit().await.unwrap();
    let policy = Policy {
        max_attempts: 3,
        base_delay_ms: 1,
        max_delay_ms: 10,
        ..Policy::default()
    };
    let mut now = db.now_ms();
    let mut dead = 0;
    for _ in 0..5 {
        now += MINUTE;
        dead += deliver_once(&db, &channels, &policy, now)
            .await
            .unwrap()
            .dead;
    }
    assert_eq!(dead, 1);
    assert_eq!(
        robot.lock().unwrap().seen.len(),
        3,
        "exactly max_attempts tries"
    );
    let letters = outbox::list(&db, "dead", 10).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert!(letters[0].last_error.as_deref().unwrap().contains("500"));

    outbox::retry_dead(&db, letters[0].id).await.unwrap();
    robot.lock().unwrap().mode = Some(Mode::Ok);
    assert_eq!(
        deliver_once(&db, &channels, &policy, now + MINUTE)
            .await
            .unwrap()
            .sent,
        1
    );
    assert!(
        outbox::retry_dead(&db, letters[0].id).await.is_err(),
        "only dead letters can be retried"
    );
}

#[tokio::test]
async fn configuration_errors_dead_letter_at_once_with_a_clear_reason() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    robot.lock().unwrap().mode = Some(Mode::BadKey);
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("p1", "坏密钥"))
        .await
        .unwrap();
    outbox::enqueue(
        &mut tx,
        &NewMessage {
            target: "不存在的群".into(),
            ..msg("p2", "没有这个渠道")
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let round = deliver_once(&db, &registry(&url), &Policy::default(), db.now_ms())
        .await
        .unwrap();
    assert_eq!(round.dead, 2);
    let errors: Vec<String> = outbox::list(&db, "dead", 10)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.last_error)
        .collect();
    assert!(errors.iter().any(|e| e.contains("93000")), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("不存在的群") && e.contains("未配置")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn oversized_messages_are_cut_to_the_documented_limit() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(
        &mut tx,
        &msg("big", &"本周‘价格异议’提及频次上升40%。".repeat(500)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        deliver_once(&db, &registry(&url), &Policy::default(), db.now_ms())
            .await
            .unwrap()
            .sent,
        1
    );
    let accepted = robot.lock().unwrap().accepted.clone();
    assert!(accepted[0].len() <= 4096 && accepted[0].ends_with('…'));
}

/// A worker that dies after the channel accepted a message but before it
/// recorded that: the lease runs out and the message is sent again. Delivery
/// is at least once; the chat group sees the message twice, never zero times.
#[tokio::test]
async fn a_crash_between_send_and_ack_resends_after_the_lease() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let channels = registry(&url);
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("c1", "崩溃")).await.unwrap();
    tx.commit().await.unwrap();
    let policy = Policy::default();
    let t0 = db.now_ms();
    // The dying worker: claims and sends, never acknowledges.
    let claimed = outbox::claim(&db, t0, policy.lease_ms, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let m = &claimed[0];
    channels
        .get(&m.target)
        .unwrap()
        .send(&pulse_jobs::channels::Outgoing {
            subject: &m.subject,
            body: &m.body,
            link: None,
            recipient: "",
        })
        .await
        .unwrap();

    let during = deliver_once(&db, &channels, &policy, t0 + 1000)
        .await
        .unwrap();
    assert_eq!(
        during,
        Default::default(),
        "another worker leaves a held message alone"
    );
    let after = deliver_once(&db, &channels, &policy, t0 + policy.lease_ms + 1)
        .await
        .unwrap();
    assert_eq!(after.sent, 1);
    assert_eq!(
        robot.lock().unwrap().accepted.len(),
        2,
        "sent again once the lease ran out"
    );
    assert_eq!(outbox::list(&db, "sent", 10).await.unwrap()[0].attempts, 2);
}

#[tokio::test]
async fn two_workers_never_send_the_same_message() {
    let (db, _dir) = fresh_db().await;
    let (robot, url) = robot_server().await;
    let channels = registry(&url);
    let mut tx = db.begin().await.unwrap();
    for i in 0..40 {
        outbox::enqueue(&mut tx, &msg(&format!("w{i}"), &format!("消息{i}")))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let policy = Policy {
        batch: 7,
        ..Policy::default()
    };
    let now = db.now_ms();
    let work = |db: pulse_store::Db, channels: Registry| async move {
        let mut total = 0;
        loop {
            let r = deliver_once(&db, &channels, &policy, now).await.unwrap();
            if r.sent == 0 {
                return total;
            }
            total += r.sent;
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(work(db.clone(), channels.clone())),
        tokio::spawn(work(db.clone(), channels.clone()))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 40);
    let mut accepted = robot.lock().unwrap().accepted.clone();
    accepted.sort();
    accepted.dedup();
    assert_eq!(accepted.len(), 40, "no duplicates");
}
