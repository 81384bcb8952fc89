//! Events, feedback cards, points and rewards through the API (P5, F1–F4),
//! on SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Client, TestApp, count, seed_feedback};

async fn app() -> TestApp {
    let app = TestApp::new().await;
    seed_feedback(&app.db).await;
    app
}

async fn visit(c: &Client) -> i64 {
    let r = c
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-001", "payload": {"note": "送样"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

fn card(event_id: i64) -> serde_json::Value {
    json!({"event_id": event_id, "tags": [
        {"tag": "沟通质量", "rating": 4}, {"tag": "需求洞察深度", "rating": 3}, {"tag": "方案匹配度", "rating": 5}],
        "observation": "客户关注交付周期"})
}

#[tokio::test]
async fn an_event_is_recorded_once_per_idempotency_key() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let body = json!({"type": "visit", "customer_id": "CRM-001", "occurred_at": "2026-11-28T10:30:00+08:00"});
    let key = [("Idempotency-Key", "visit-7f3a")];
    let first = e1.post_json_with("/api/v1/events", &body, &key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = e1.post_json_with("/api/v1/events", &body, &key).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.json(),
        first.json(),
        "the retry gets the first answer"
    );
    assert_eq!(count(&app, "events").await, 1, "and creates nothing");
    let other = e1
        .post_json_with(
            "/api/v1/events",
            &json!({"type": "visit", "customer_id": "CRM-002"}),
            &key,
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.error_code(), "idempotency_key_reused");
    // Keys belong to their caller: another person's same key is a new request.
    let e3 = app.login("engineer").await;
    let r = e3.post_json_with("/api/v1/events", &body, &key).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(count(&app, "events").await, 2);
}

#[tokio::test]
async fn bad_events_are_refused_and_nothing_is_stored() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let cases = [
        (json!({"customer": "CRM-001"}), "type_required"),
        (json!({"type": "meeting"}), "invalid_event_type"),
        (
            json!({"type": "snapshot", "stage": "需求确认", "next_step": "约科主任"}),
            "customer_required",
        ),
        (
            json!({"type": "visit", "customer": "不存在的医院"}),
            "unknown_customer",
        ),
        (
            json!({"type": "visit", "customer": "CRM-001", "occurred_at": "2099-01-01T00:00:00+08:00"}),
            "event_in_future",
        ),
        (
            json!({"type": "visit", "customer": "CRM-001", "employee_no": "E2"}),
            "not_your_event",
        ),
        (
            json!({"type": "snapshot", "customer": "CRM-001", "stage": "随便"}),
            "invalid_stage",
        ),
        (
            json!({"type": "work_order", "reported_at": "2026-11-28T09:00:00+08:00", "resolved_at": "2026-11-28T08:00:00+08:00"}),
            "resolved_before_reported",
        ),
        (
            json!({"type": "evaluation", "customer": "CRM-001", "score": 9}),
            "invalid_score",
        ),
    ];
    for (body, code) in cases {
        let r = e1.post_json("/api/v1/events", &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{body}");
    }
    assert_eq!(count(&app, "events").await, 0);
    // A prospect the CRM does not know yet, spelled the way a system might.
    let r = e1
        .post_json(
            "/api/v1/events",
            &json!({"type": "customer_visit", "note": "新客户首次拜访"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["type"], "visit");
}

#[tokio::test]
async fn a_system_token_records_for_anyone_and_a_snapshot_asks_the_manager() {
    let app = app().await;
    let admin = app.login("admin").await;
    let token = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "ticketing", "login": "admin", "scopes": ["events:write"]}),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let system = app.with_token(&token);
    let r = system
        .post_json(
            "/api/v1/events",
            &json!({"type": "work_order", "employee_no": "E3", "reported_at": "2026-11-28T09:00:00+08:00",
                    "arrived_at": "2026-11-28T10:30:00+08:00", "parts_planned": 4, "parts_used": 3, "ticket": "T-991"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ev = r.json();
    assert_eq!(
        ev["payload"]["ticket"], "T-991",
        "unknown fields travel as evidence"
    );
    assert_eq!(ev["source"], "api:admin");
    let missing = system
        .post_json("/api/v1/events", &json!({"type": "service_ticket"}))
        .await;
    assert_eq!(missing.error_code(), "employee_no_required");
    let e3 = pulse_store::people::by_employee_no(&app.db, "E3")
        .await
        .unwrap()
        .unwrap();
    let figures = pulse_store::events::service_figures(&app.db, e3.id, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(
        (figures.avg_response_minutes, figures.parts_usage_bp),
        (Some(90), Some(7500))
    );

    let e1 = app.login("employee").await;
    let snap = e1
        .post_json(
            "/api/v1/events",
            &json!({"type": "snapshot", "customer": "瑞华医院", "stage": "方案报价", "next_step": "周五送报价单"}),
        )
        .await;
    assert_eq!(snap.status, StatusCode::CREATED, "{}", snap.text());
    let m1 = app.login("manager").await;
    let inbox = m1.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "snapshot_review"
                && t["subject"].as_str().unwrap().contains("方案报价")),
        "{inbox}"
    );
}

#[tokio::test]
async fn a_card_earns_one_point_once_and_bad_cards_change_nothing() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let tags = e1.get("/api/v1/feedback-tags").await.json();
    assert_eq!(tags["items"].as_array().unwrap().len(), 5);
    assert_eq!(tags["items"][0]["name"], "沟通质量");
    let event = visit(&e1).await;

    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut b = card(event);
        f(&mut b);
        b
    };
    let bad = [
        (
            with(&|b| b["tags"].as_array_mut().unwrap().truncate(2)),
            "tags_count",
        ),
        (
            with(&|b| {
                b["tags"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"tag": "跟进及时性", "rating": 3}))
            }),
            "tags_count",
        ),
        (
            with(&|b| b["tags"][1]["tag"] = json!("不存在")),
            "tag_unknown",
        ),
        (
            with(&|b| b["tags"][0]["rating"] = json!(0)),
            "rating_out_of_range",
        ),
        (
            with(&|b| b["tags"][0]["rating"] = json!(6)),
            "rating_out_of_range",
        ),
        (
            with(&|b| b["observation"] = json!("一二三四五六七八九十一二三四五六七八九十一")),
            "observation_too_long",
        ),
        (
            with(&|b| b["observation"] = json!("   ")),
            "observation_required",
        ),
    ];
    for (body, code) in bad {
        let r = e1.post_json("/api/v1/feedback", &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code);
    }
    assert_eq!(count(&app, "feedback_cards").await, 0);
    assert_eq!(e1.get("/api/v1/me/points").await.json()["balance"], 0);

    // Twenty characters, one of them an emoji, is exactly the limit.
    let mut ok = card(event);
    ok["observation"] = json!("客户对价格有异议认可方案质量，下周复访👍");
    let r = e1.post_json("/api/v1/feedback", &ok).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["points_awarded"], 1);
    assert!(r.json()["id"].as_i64().is_some());
    assert_eq!(e1.get("/api/v1/me/points").await.json()["balance"], 1);

    let again = e1.post_json("/api/v1/feedback", &card(event)).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.error_code(), "card_exists");
    let e3 = app.login("engineer").await;
    let theirs = e3.post_json("/api/v1/feedback", &card(event)).await;
    assert_eq!(theirs.error_code(), "not_your_event");
    assert_eq!(count(&app, "feedback_cards").await, 1);
    assert_eq!(count(&app, "points_ledger").await, 1);

    // A card long after the visit is kept but earns nothing.
    let old = e1
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-002", "occurred_at": app.db.now_ms() - 5 * 86_400_000}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let late = e1.post_json("/api/v1/feedback", &card(old)).await;
    assert_eq!(late.status, StatusCode::CREATED);
    assert_eq!(late.json()["points_awarded"], 0);
    assert_eq!(e1.get("/api/v1/me/points").await.json()["balance"], 1);

    let board = e1.get("/api/v1/leaderboard?unit=R1").await.json();
    assert_eq!(board["items"][0]["employee_no"], "E1");
    assert_eq!(board["items"][0]["points"], 1);
    assert_eq!(board["items"][0]["cards"], 2);
    assert_eq!(
        (board["me"]["rank"].clone(), board["me"]["of"].clone()),
        (json!(1), json!(1)),
        "the caller's own place"
    );
    let other = app.login("manager").await;
    let theirs = other.get("/api/v1/leaderboard?unit=R1").await.json();
    assert!(theirs["me"].is_null(), "no cards, no rank: {theirs}");
    let page = e1.get("/feedback").await.text();
    assert!(
        page.contains("我的排名 <strong>1</strong> / 1"),
        "the page shows it too"
    );
}

#[tokio::test]
async fn managers_reply_and_the_author_acknowledges() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let event = visit(&e1).await;
    let id = e1.post_json("/api/v1/feedback", &card(event)).await.json()["id"]
        .as_i64()
        .unwrap();
    let m1 = app.login("manager").await;
    let r = m1
        .post_json(
            &format!("/api/v1/feedback/{id}/replies"),
            &json!({"body": "价格异议先用竞品对比表回应，周三一起过一遍"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A card of another team is out of the manager's reach.
    let e3 = app.login("engineer").await;
    let theirs = e3
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-002"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let their_card = e3.post_json("/api/v1/feedback", &card(theirs)).await.json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        m1.post_json(
            &format!("/api/v1/feedback/{their_card}/replies"),
            &json!({"body": "x"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let todo = e1.get("/api/v1/inbox?state=open").await.json();
    assert!(
        todo["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "feedback_reply")
    );
    assert_eq!(
        e1.post_json(
            &format!("/api/v1/feedback/{id}/ack"),
            &json!({"ack": "maybe"})
        )
        .await
        .error_code(),
        "invalid_ack"
    );
    let ack = e1
        .post_json(
            &format!("/api/v1/feedback/{id}/ack"),
            &json!({"ack": "clear"}),
        )
        .await;
    assert_eq!(ack.status, StatusCode::NO_CONTENT);
    let c = e1.get(&format!("/api/v1/feedback/{id}")).await.json();
    assert_eq!(c["ack"], "clear");
    assert_eq!(c["replies"][0]["from_name"], "马主管");
    let todo = e1.get("/api/v1/inbox?state=open").await.json();
    assert!(
        !todo["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "feedback_reply")
    );
    assert_eq!(
        m1.post_json(
            &format!("/api/v1/feedback/{id}/ack"),
            &json!({"ack": "clear"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "only the author answers"
    );
    let given = m1
        .post_json(
            "/api/v1/feedback-messages",
            &json!({"employee_no": "E1", "body": "本周拜访节奏很好"}),
        )
        .await;
    assert_eq!(given.status, StatusCode::CREATED);
}

async fn give_points(app: &TestApp, employee_no: &str, n: i64) {
    let p = pulse_store::people::by_employee_no(&app.db, employee_no)
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    pulse_store::points::change(&mut tx, p.id, n, "test", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Concurrent cards are written in shared transactions (group commit);
/// each request must still get its own answer, racing second cards for one
/// visit their refusal, and the ledger one row per point in balance order.
#[tokio::test]
async fn concurrent_cards_each_get_their_own_answer() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let mut visits = Vec::new();
    for _ in 0..16 {
        visits.push(visit(&e1).await);
    }
    let mut handles = Vec::new();
    for (i, &v) in visits.iter().enumerate() {
        // Every fourth visit gets two racing cards, one retried with a key.
        let copies = if i % 4 == 0 { 2 } else { 1 };
        for k in 0..copies {
            let c = e1.clone();
            let body = card(v);
            handles.push(tokio::spawn(async move {
                let key = format!("card-{v}-{k}");
                let r = c
                    .post_json_with("/api/v1/feedback", &body, &[("Idempotency-Key", &key)])
                    .await;
                (v, r)
            }));
        }
    }
    let mut created: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    let mut refused = 0;
    let mut balances = Vec::new();
    for h in handles {
        let (v, r) = h.await.unwrap();
        match r.status {
            StatusCode::CREATED => {
                let j = r.json();
                assert_eq!(j["points_awarded"], 1);
                balances.push(j["balance"].as_i64().unwrap());
                created
                    .entry(v)
                    .or_default()
                    .push(j["id"].as_i64().unwrap());
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(r.error_code(), "card_exists", "{}", r.text());
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(created.len(), 16, "every visit has its card");
    assert!(created.values().all(|ids| ids.len() == 1));
    assert_eq!(refused, 4, "each racing second card is refused");
    balances.sort();
    assert_eq!(
        balances,
        (1..=16).collect::<Vec<i64>>(),
        "each answer shows its own balance"
    );
    for (v, ids) in &created {
        let card = e1.get(&format!("/api/v1/feedback/{}", ids[0])).await.json();
        assert_eq!(
            card["event_id"], *v,
            "the id answered is the card of that visit"
        );
        assert_eq!(card["ratings"].as_array().unwrap().len(), 3);
    }
    let me = e1.get("/api/v1/me/points").await.json();
    assert_eq!(me["balance"], 16);
    let mut after: Vec<i64> = me["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["balance_after"].as_i64().unwrap())
        .collect();
    after.sort();
    assert_eq!(after, (1..=16).collect::<Vec<i64>>());
    assert_eq!(count(&app, "feedback_ratings").await, 48);
    // A retried request with its key gets the first answer.
    let (v, ids) = created.iter().next().unwrap();
    let k0 = format!("card-{v}-0");
    let k1 = format!("card-{v}-1");
    let a = e1
        .post_json_with("/api/v1/feedback", &card(*v), &[("Idempotency-Key", &k0)])
        .await;
    let b = e1
        .post_json_with("/api/v1/feedback", &card(*v), &[("Idempotency-Key", &k1)])
        .await;
    assert!(
        [&a, &b]
            .iter()
            .any(|r| r.status == StatusCode::CREATED && r.json()["id"] == ids[0]),
        "{} / {}",
        a.text(),
        b.text()
    );
    assert_eq!(count(&app, "feedback_cards").await, 16);
}

#[tokio::test]
async fn fifty_concurrent_redemptions_never_overdraw() {
    let app = app().await;
    give_points(&app, "E1", 30).await;
    let e1 = app.login("employee").await;
    let rewards = e1.get("/api/v1/rewards").await.json();
    let course = rewards["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "training")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut handles = Vec::new();
    for _ in 0..50 {
        let c = e1.clone();
        handles.push(tokio::spawn(async move {
            c.post_json(&format!("/api/v1/rewards/{course}/redeem"), &json!({}))
                .await
        }));
    }
    let mut created = 0;
    let mut short = 0;
    for h in handles {
        let r = h.await.unwrap();
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(r.error_code(), "insufficient_points");
                short += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!((created, short), (3, 47));
    let me = e1.get("/api/v1/me/points").await.json();
    assert_eq!(me["balance"], 0);
    assert_eq!(me["redemptions"].as_array().unwrap().len(), 3);
    let ledger = me["ledger"].as_array().unwrap();
    assert!(
        ledger
            .iter()
            .all(|l| l["balance_after"].as_i64().unwrap() >= 0)
    );
    assert_eq!(
        ledger
            .iter()
            .map(|l| l["delta"].as_i64().unwrap())
            .sum::<i64>(),
        0
    );
    // HR got one fulfilment to-do per voucher.
    let hr = app.login("hrbp").await;
    let todos = hr.get("/api/v1/inbox?state=open").await.json();
    let n = todos["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "reward_fulfilment")
        .count();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn retried_redemptions_spend_once_and_stock_runs_out_cleanly() {
    let app = app().await;
    give_points(&app, "E1", 40).await;
    let e1 = app.login("employee").await;
    let rewards = e1.get("/api/v1/rewards").await.json();
    let leave = rewards["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "leave")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/rewards/{leave}/redeem");
    let key = [("Idempotency-Key", "redeem-1")];
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (c, p) = (e1.clone(), path.clone());
        handles.push(tokio::spawn(async move {
            c.post_json_with(&p, &json!({}), &[("Idempotency-Key", "redeem-1")])
                .await
        }));
    }
    let mut vouchers = std::collections::HashSet::new();
    for h in handles {
        let r = h.await.unwrap();
        assert!(
            r.status == StatusCode::CREATED || r.error_code() == "idempotency_in_progress",
            "{} {}",
            r.status,
            r.text()
        );
        if r.status == StatusCode::CREATED {
            vouchers.insert(r.json()["voucher_code"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(vouchers.len(), 1, "one voucher for one key: {vouchers:?}");
    let again = e1.post_json_with(&path, &json!({}), &key).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(e1.get("/api/v1/me/points").await.json()["balance"], 30);
    // Stock 2: the second succeeds, the third is refused and costs nothing.
    assert_eq!(
        e1.post_json(&path, &json!({})).await.status,
        StatusCode::CREATED
    );
    let out = e1.post_json(&path, &json!({})).await;
    assert_eq!(out.status, StatusCode::CONFLICT);
    assert_eq!(out.error_code(), "out_of_stock");
    assert_eq!(e1.get("/api/v1/me/points").await.json()["balance"], 20);
    // The page says so instead of offering a button that would be refused,
    // and the training (20 points in hand, 10 needed) asks once before spending.
    let page = e1.get("/rewards").await.text();
    assert!(page.contains("已兑完") && page.contains("HR 补货后可再兑换"));
    assert!(!page.contains(&format!("action=\"/rewards/{leave}/redeem\"")));
    assert!(page.contains("data-confirm=\"确认兑换？积分扣除后不退回"));
    // HR fulfils one voucher and its to-do closes.
    let hr = app.login("hrbp").await;
    let id = e1.get("/api/v1/me/points").await.json()["redemptions"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        hr.post_json(&format!("/api/v1/redemptions/{id}/fulfil"), &json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        hr.post_json(&format!("/api/v1/redemptions/{id}/fulfil"), &json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_phone_pages_walk_a_visit_to_a_card_and_a_reply() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let form = e1.get("/feedback/new?kind=visit").await.text();
    assert!(
        form.contains("瑞华医院"),
        "the rep's own customers are offered"
    );
    let r = e1
        .post_form(
            "/feedback/events",
            &[
                ("kind", "visit"),
                ("customer", "瑞华医院"),
                ("purpose", "方案汇报"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to_card = r.headers["location"].to_str().unwrap().to_string();
    assert!(to_card.ends_with("/card"), "{to_card}");
    let page = e1.get(&to_card).await.text();
    assert!(page.contains("需求洞察深度") && page.contains("data-feedback-card"));
    let tags = pulse_store::feedback::tags(&app.db, true).await.unwrap();
    let field = |i: usize| format!("rating_{}", tags[i].id);
    let (f0, f1, f2) = (field(0), field(1), field(2));
    // Two tags: refused, the form comes back with the choices kept.
    let bad = e1
        .post_form(
            &to_card,
            &[(&f0, "4"), (&f1, "3"), ("observation", "客户关注交付周期")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(
        text.contains("恰好选择 3 个标签") && text.contains("客户关注交付周期"),
        "{text}"
    );
    // The phone's chips: a picked tag left unrated is named, the picks kept.
    let (p0, p1, p2) = (
        format!("pick_{}", tags[0].id),
        format!("pick_{}", tags[1].id),
        format!("pick_{}", tags[2].id),
    );
    let unrated = e1
        .post_form(
            &to_card,
            &[
                (&p0, "1"),
                (&f0, "4"),
                (&p1, "1"),
                (&f1, "3"),
                (&p2, "1"),
                ("observation", "客户关注交付周期"),
            ],
            true,
        )
        .await;
    assert_eq!(unrated.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = unrated.text();
    assert!(
        text.contains(&format!("请给“{}”打 1–5 分", tags[2].name)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "id=\"pick-{}\" name=\"{p2}\" value=\"1\" checked",
            tags[2].id
        )),
        "the picked chip stays picked"
    );
    let ok = e1
        .post_form(
            &to_card,
            &[
                (&f0, "4"),
                (&f1, "3"),
                (&f2, "5"),
                ("observation", "客户关注交付周期"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers["location"], "/feedback?ok=card&points=1");
    let home = e1.get("/feedback?ok=card&points=1").await.text();
    assert!(
        home.contains("积分 +1") && home.contains("“客户关注交付周期”"),
        "{home}"
    );
    // A bad work order comes back with its message.
    let wo = e1
        .post_form(
            "/feedback/events",
            &[
                ("kind", "work_order"),
                ("reported_at", "2026-11-28T09:00"),
                ("arrived_at", "2026-11-28T08:00"),
            ],
            true,
        )
        .await;
    assert_eq!(wo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wo.text().contains("到场时间早于报修时间"));

    // The manager sees the card on the team page, replies; the rep answers.
    let m1 = app.login("manager").await;
    let team = m1.get("/feedback/team").await.text();
    assert!(team.contains("客户关注交付周期"), "{team}");
    let e1_id = pulse_store::people::by_employee_no(&app.db, "E1")
        .await
        .unwrap()
        .unwrap()
        .id;
    let card_id = pulse_store::feedback::cards_of(&app.db, e1_id, 1)
        .await
        .unwrap()[0]
        .id;
    let r = m1
        .post_form(
            &format!("/feedback/cards/{card_id}/reply"),
            &[("body", "交付周期的顾虑，下周带工程师一起回应")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let view = e1.get(&format!("/feedback/cards/{card_id}")).await.text();
    assert!(view.contains("带工程师一起回应") && view.contains("我清楚下一步"));
    let r = e1
        .post_form(
            &format!("/feedback/cards/{card_id}/ack"),
            &[("ack", "clear")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let c = pulse_store::feedback::card(&app.db, card_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.ack.as_deref(), Some("clear"));

    // Rewards: one point is not enough for a 10-point reward.
    let rewards = e1.get("/rewards").await.text();
    assert!(rewards.contains("销售谈判训练营"));
    let reward = pulse_store::points::rewards(&app.db, true).await.unwrap()[0].id;
    let short = e1
        .post_form(&format!("/rewards/{reward}/redeem"), &[], true)
        .await
        .text();
    assert!(short.contains("积分不足"), "{short}");
    assert!(
        rewards.contains("积分还差 9 分"),
        "the disabled button says how many points are missing"
    );

    // HR tunes the library and the window; the department page shows the board.
    let hr = app.login("hrbp").await;
    let saved = hr
        .post_form(
            "/feedback/setup/tag",
            &[
                ("name", "招投标把握"),
                ("description", "标书节点不遗漏"),
                ("active", "1"),
            ],
            true,
        )
        .await
        .text();
    assert!(saved.contains("招投标把握") && saved.contains("已保存"));
    let bad = hr
        .post_form("/feedback/setup/window", &[("hours", "0")], true)
        .await
        .text();
    assert!(bad.contains("1–720"));
    let org = e1.get("/org?unit=R1").await.text();
    assert!(
        org.contains("反馈积分榜") && org.contains("易销售"),
        "{org}"
    );
}

#[tokio::test]
async fn a_visit_to_an_a_class_customer_moves_the_penetration_kpi() {
    let app = app().await;
    let period = crate::support::seed_goals(&app.db).await;
    let e1 = app.login("employee").await;
    let e1_id = pulse_store::people::by_employee_no(&app.db, "E1")
        .await
        .unwrap()
        .unwrap()
        .id;
    let kap = || async {
        pulse_store::goals::person_goals(&app.db, e1_id, period)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.metric_code.as_deref() == Some("KAP"))
            .unwrap()
    };
    assert_eq!(kap().await.actual, None);
    // A B-class visit does not count; the only A-class customer makes 100 %.
    let r = e1
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-002"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        kap().await.actual.as_deref(),
        Some("0"),
        "0 of 1 A-class customers"
    );
    let r = e1
        .post_json(
            "/api/v1/events",
            &json!({"type": "snapshot", "customer": "CRM-001", "stage": "需求确认", "next_step": "约科主任"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let g = kap().await;
    assert_eq!(g.actual.as_deref(), Some("100"));
    assert_eq!(
        g.progress_bp, 15_000,
        "100 % against a 60 % target, capped at 150 %"
    );
}

#[tokio::test]
async fn work_order_photos_are_checked_by_content_and_keep_their_capture_time() {
    let app = app().await;
    let e3 = app.login("engineer").await;
    let wo = e3
        .post_json(
            "/api/v1/events",
            &json!({"type": "work_order", "reported_at": "2026-11-28T08:00:00+08:00", "arrived_at": "2026-11-28T09:30:00+08:00", "parts_planned": 2, "parts_used": 2}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let upload = |c: &crate::support::Client, event: i64, bytes: Vec<u8>| {
        let c = c.clone();
        async move {
            c.send(
                axum::http::Method::POST,
                &format!("/api/v1/events/{event}/photos"),
                Some("image/jpeg"),
                bytes,
                true,
            )
            .await
        }
    };
    let jpeg = pulse_domain::photos::jpeg_with_capture_time("2026:11:28 09:41:07");
    let r = upload(&e3, wo, jpeg.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let photo = r.json();
    let expected = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:41:07+08:00").unwrap();
    assert_eq!(photo["taken_at"], expected.timestamp_millis());
    assert_eq!(photo["content_type"], "image/jpeg");
    let id = photo["id"].as_i64().unwrap();
    let img = e3.get(&format!("/photos/{id}")).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers["content-type"], "image/jpeg");
    assert_eq!(img.body, jpeg, "the stored bytes come back unchanged");

    // A PDF named photo.jpg, 50 MB, someone else's order, a visit: refused, nothing stored.
    let pdf = upload(&e3, wo, b"%PDF-1.7 this is a contract".to_vec()).await;
    assert_eq!(pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pdf.error_code(), "photo_type");
    let mut huge = jpeg.clone();
    huge.resize(50 * 1024 * 1024, 0);
    let big = upload(&e3, wo, huge).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.error_code(), "photo_too_large");
    let e1 = app.login("employee").await;
    assert_eq!(
        upload(&e1, wo, jpeg.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let visit = visit(&e1).await;
    assert_eq!(
        upload(&e1, visit, jpeg.clone()).await.error_code(),
        "photos_on_work_orders"
    );
    assert_eq!(count(&app, "event_photos").await, 1);

    // The director of the region sees it; a rep of another team does not.
    let d1 = app.login("director").await;
    let list = d1.get(&format!("/api/v1/events/{wo}/photos")).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        e1.get(&format!("/photos/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = e3
        .get(&format!("/feedback/events/{wo}/photos"))
        .await
        .text();
    assert!(
        page.contains("拍摄于 2026-11-28 09:41") && page.contains("capture=\"environment\""),
        "{page}"
    );
}

#[tokio::test]
async fn evaluations_and_deliveries_import_from_a_sheet_all_or_nothing() {
    let app = app().await;
    let hr = app.login("hrbp").await;
    let header: &[&str] = &[
        "类型",
        "工号",
        "客户编码",
        "日期",
        "评分",
        "承诺交付日期",
        "实际交付日期",
        "备注",
    ];
    let bad = crate::support::xlsx(&[
        header,
        &[
            "客户评价",
            "E1",
            "CRM-001",
            "2026-11-20",
            "5",
            "",
            "",
            "装机培训细致",
        ],
        &["客户评价", "E9", "CRM-001", "2026-11-20", "4", "", "", ""],
        &["客户评价", "E1", "CRM-001", "2026-11-20", "9", "", "", ""],
        &["项目交付", "E1", "CRM-002", "", "", "2026-11-01", "", ""],
        &["会议", "E1", "", "", "", "", "", ""],
    ]);
    let r = hr.upload("/api/v1/imports/events?dry_run=false", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rows: Vec<i64> = r.json()["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, vec![3, 4, 5, 6], "{rows:?}");
    assert_eq!(count(&app, "events").await, 0, "nothing half-imported");
    let good = crate::support::xlsx(&[
        header,
        &[
            "客户评价",
            "E1",
            "CRM-001",
            "2026-11-20",
            "5",
            "",
            "",
            "装机培训细致",
        ],
        &[
            "项目交付",
            "E1",
            "CRM-002",
            "",
            "",
            "2026-11-01",
            "2026-11-03",
            "晚两天",
        ],
    ]);
    let r = hr
        .upload("/api/v1/imports/events?dry_run=false", good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(count(&app, "events").await, 2);
    let e1 = app.login("employee").await;
    let mine = e1.get("/api/v1/events").await.json();
    let delivery = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "delivery")
        .unwrap()
        .clone();
    assert_eq!(delivery["source"], "import");
    assert_eq!(
        delivery["payload"]["delivered_at"].as_i64().unwrap()
            - delivery["payload"]["due_at"].as_i64().unwrap(),
        2 * 86_400_000
    );
}

#[tokio::test]
async fn a_manager_gives_their_own_feedback_from_the_team_page() {
    let app = app().await;
    let m1 = app.login("manager").await;
    let team = m1.get("/feedback/team").await.text();
    assert!(
        team.contains("易销售（E1）"),
        "the manager's people are offered"
    );
    let r = m1
        .post_form(
            "/feedback/give",
            &[
                ("employee_no", "E1"),
                ("body", "本周拜访节奏很好，继续保持"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let empty = m1
        .post_form(
            "/feedback/give",
            &[("employee_no", "E1"), ("body", " ")],
            true,
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text().contains("1–500"));
    let e1 = app.login("employee").await;
    let home = e1.get("/feedback").await.text();
    assert!(
        home.contains("主管给我的反馈") && home.contains("本周拜访节奏很好"),
        "{home}"
    );
    // Someone outside the manager's scope cannot be reached.
    let r = m1
        .post_form(
            "/feedback/give",
            &[("employee_no", "E4"), ("body", "x")],
            true,
        )
        .await;
    assert!(r.text().contains("role=\"alert\""), "{}", r.text());
    assert_eq!(count(&app, "feedback_messages").await, 1);
}

/// Redeeming on the rewards page is POST-redirect-GET: a reload of the
/// result shows the voucher again instead of spending the points twice, and
/// only the owner sees whose voucher it was.
#[tokio::test]
async fn redeeming_on_the_page_spends_once_however_often_the_result_is_reloaded() {
    let app = app().await;
    give_points(&app, "E1", 1000).await;
    let e1 = app.login("employee").await;
    let reward = pulse_store::points::rewards(&app.db, true).await.unwrap()[0].clone();
    let sent = e1
        .post_form(&format!("/rewards/{}/redeem", reward.id), &[], true)
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let to = sent.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/rewards?redeemed="), "{to}");
    for _ in 0..2 {
        let page = e1.get(&to).await.text();
        assert!(page.contains(&reward.name), "{page}");
    }
    let balance = e1.get("/api/v1/me/points").await.json();
    assert_eq!(balance["balance"], 1000 - reward.cost, "{balance}");
    let other = app.login("manager").await;
    let theirs = other.get(&to).await.text();
    assert!(
        !theirs.contains("PV-"),
        "another person sees no voucher code"
    );
}

#[tokio::test]
async fn the_card_shows_the_authors_family_tags_first() {
    let app = app().await;
    let hr = app.login("hrbp").await;
    for (tag, family) in [("故障诊断", "服务工程师"), ("方案匹配度", "销售代表")]
    {
        let r = hr
            .put_json(
                &format!("/api/v1/feedback-tags/{}", crate::support::enc(tag)),
                &serde_json::json!({"description": "", "job_family": family}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    // Leaving job_family out keeps it.
    let r = hr
        .put_json(
            &format!("/api/v1/feedback-tags/{}", crate::support::enc("故障诊断")),
            &serde_json::json!({"description": "快速定位根因"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let tags = hr.get("/api/v1/feedback-tags").await.json();
    let fault = tags["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "故障诊断")
        .unwrap()
        .clone();
    assert_eq!(fault["job_family"], "服务工程师");

    let e1 = app.login("employee").await;
    let r = e1
        .post_form(
            "/feedback/events",
            &[
                ("kind", "visit"),
                ("customer", "瑞华医院"),
                ("purpose", "方案汇报"),
            ],
            true,
        )
        .await;
    let page = e1.get(r.headers["location"].to_str().unwrap()).await.text();
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(
        at("方案匹配度") < at("沟通质量"),
        "the sales rep's own family's tag comes before the general ones"
    );
    let folded = at("其他岗位的标签");
    assert!(
        at("故障诊断") > folded && at("沟通质量") < folded,
        "a service engineer's tag is folded under 其他岗位的标签"
    );
    let setup = hr.get("/feedback/setup").await.text();
    assert!(setup.contains("适用岗位族") && setup.contains("服务工程师"));
}
