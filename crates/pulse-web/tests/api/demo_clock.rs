//! Every planted demo story exists whatever the instant the demo is built at
//! (issue 12): the demo takes "now" from the database's clock, and here that
//! clock stands still at chosen China wall-clock times — each weekday, a
//! month end, New Year's Eve and a Monday just after midnight.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, build_demo, demo_login};

fn open_kinds(inbox: &Value) -> Vec<String> {
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn stories_hold_at(china_time: &str) {
    let app = TestApp::empty_at(china_time).await;
    build_demo(&app, 3).await;
    let at = |what: &str| format!("{what} at {china_time}");

    // The rep: this morning's visit waits for its card and earns its point.
    let emp = demo_login(&app, "employee").await;
    let events = emp.get("/api/v1/events?limit=5").await.json();
    let waiting = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "visit" && e["card_id"].is_null())
        .unwrap_or_else(|| panic!("{}: {events}", at("a visit waiting for its card")))
        .clone();
    let card = emp
        .post_json(
            "/api/v1/feedback",
            &json!({"event_id": waiting["id"], "observation": "科主任认可方案思路",
                "tags": [{"tag": "沟通质量", "rating": 4}, {"tag": "需求洞察深度", "rating": 4}, {"tag": "方案匹配度", "rating": 5}]}),
        )
        .await;
    assert_eq!(
        card.status,
        StatusCode::CREATED,
        "{}: {}",
        at("card"),
        card.text()
    );
    assert_eq!(card.json()["points_awarded"], 1, "{}", at("point"));
    // Yesterday's card has the manager's reply waiting for an answer.
    let kinds = open_kinds(&emp.get("/api/v1/inbox?state=open").await.json());
    assert!(
        kinds.iter().any(|k| k == "feedback_reply"),
        "{}: {kinds:?}",
        at("reply")
    );

    // The rule fired in 华东: 新客户首单转化率 weighs 35 %.
    let no = emp.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap()
        .to_string();
    let board = emp.get(&format!("/api/v1/people/{no}/goals")).await.json();
    let foc = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["title"] == "新客户首单转化率")
        .unwrap_or_else(|| panic!("{}: {board}", at("FOC")))
        .clone();
    assert_eq!(foc["weight_bp"], 3500, "{}", at("the seed's rule"));

    // The manager: a fresh snapshot to review, the digest with 价格异议 flagged.
    let mgr = demo_login(&app, "manager").await;
    let kinds = open_kinds(&mgr.get("/api/v1/inbox?state=open").await.json());
    for kind in ["snapshot_review", "weekly_digest"] {
        assert!(kinds.iter().any(|k| k == kind), "{}: {kinds:?}", at(kind));
    }
    let digest = mgr.get("/api/v1/digests/latest").await;
    assert_eq!(digest.status, StatusCode::OK, "{}", at("digest"));
    let digest = digest.json();
    assert!(
        digest["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["term"] == "价格异议"),
        "{}: {}",
        at("价格异议 flagged"),
        digest["flags"]
    );

    // The director has the employee's adjustment request to decide.
    let director = demo_login(&app, "director").await;
    let kinds = open_kinds(&director.get("/api/v1/inbox?state=open").await.json());
    assert!(
        kinds.iter().any(|k| k == "goal_adjustment_approval"),
        "{}: {kinds:?}",
        at("pending adjustment")
    );

    // The director has the notice of 华东's weight change: the rule, the
    // value that fired it and before → after (G5).
    let inbox = director.get("/api/v1/inbox?state=open").await.json();
    let notice = inbox["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["kind"] == "weight_rule_notice")
        .map(|t| t["subject"].as_str().unwrap_or("").to_string());
    let notice = notice.unwrap_or_else(|| panic!("{}: {inbox}", at("weight notice")));
    assert!(
        notice.contains("华东")
            && notice.contains("A类客户新增签约率")
            && notice.contains("25% → 35%"),
        "{}: {notice}",
        at("weight notice")
    );

    // HR has a voucher to fulfil.
    let hr = demo_login(&app, "hrbp").await;
    let kinds = open_kinds(&hr.get("/api/v1/inbox?state=open").await.json());
    assert!(
        kinds.iter().any(|k| k == "reward_fulfilment"),
        "{}: {kinds:?}",
        at("voucher")
    );
    let pending = hr.get("/rewards/fulfil").await;
    assert_eq!(pending.status, StatusCode::OK, "{}", at("fulfil page"));
}

#[tokio::test]
async fn stories_on_a_monday_morning() {
    stories_hold_at("2027-03-01 09:00").await;
}

#[tokio::test]
async fn stories_on_a_tuesday_noon() {
    stories_hold_at("2027-03-02 12:00").await;
}

#[tokio::test]
async fn stories_on_a_wednesday_afternoon() {
    stories_hold_at("2027-03-03 15:00").await;
}

#[tokio::test]
async fn stories_on_a_thursday_evening() {
    stories_hold_at("2027-03-04 18:00").await;
}

#[tokio::test]
async fn stories_on_a_friday_night() {
    stories_hold_at("2027-03-05 21:00").await;
}

#[tokio::test]
async fn stories_on_a_saturday_morning() {
    stories_hold_at("2027-03-06 08:00").await;
}

#[tokio::test]
async fn stories_on_a_sunday_before_midnight() {
    stories_hold_at("2027-03-07 23:50").await;
}

#[tokio::test]
async fn stories_on_a_month_end() {
    stories_hold_at("2027-04-30 23:30").await;
}

#[tokio::test]
async fn stories_on_new_years_eve() {
    stories_hold_at("2026-12-31 23:30").await;
}

/// Just after midnight on a Monday, China time (Sunday 16:30 UTC), in the
/// first days of a quarter and a year.
#[tokio::test]
async fn stories_on_a_monday_at_half_past_midnight() {
    stories_hold_at("2027-01-04 00:30").await;
}
