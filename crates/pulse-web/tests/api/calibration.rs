//! Calibration (issue 15, C1–C5) on the demo: the committee scores blind
//! (no response a member receives while scoring carries the person's name,
//! employee number or unit — pages, JSON and the stream), the third score on
//! the planted case flags it on every open stream, a reconnect replays from
//! Last-Event-ID, finalizing writes the ratings back once. Bad input changes
//! nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Client, TestApp, build_demo, count, demo_login, scalar, text};

/// The demo session's id and its planted divergent case (案例 07).
async fn session(c: &Client) -> (i64, Value) {
    let list = c.get("/api/v1/calibration-sessions").await.json();
    let s = &list["items"][0];
    assert!(
        s["id"].is_i64() && s["name"].is_string() && s["state"].is_string(),
        "{s}"
    );
    let id = s["id"].as_i64().unwrap();
    let cases = c
        .get(&format!("/api/v1/calibration-sessions/{id}/cases"))
        .await
        .json();
    let case = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["pseudonym"] == "案例 07")
        .expect("案例 07")
        .clone();
    (id, case)
}

/// Who case `seq` is: name, employee number, unit name.
async fn identity(app: &TestApp, case_id: i64) -> [String; 3] {
    let q = |col: &str| {
        format!(
            "SELECT {col} FROM calibration_cases k JOIN reviews r ON r.id = k.review_id JOIN people p ON p.id = r.person_id \
             JOIN org_units u ON u.id = p.org_unit_id WHERE k.id = {case_id}"
        )
    };
    [
        text(app, &q("p.name")).await,
        text(app, &q("p.employee_no")).await,
        text(app, &q("u.name")).await,
    ]
}

fn carries(body: &str, who: &[String; 3]) -> Option<String> {
    who.iter().find(|w| body.contains(w.as_str())).cloned()
}

#[tokio::test]
async fn the_committee_scores_blind_and_the_third_score_flags_on_every_client() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let committee = demo_login(&app, "committee").await;
    let director = demo_login(&app, "director").await;
    let hrbp = demo_login(&app, "hrbp").await;
    let (id, case) = session(&committee).await;
    let case_id = case["case_id"].as_i64().unwrap();
    assert_eq!(case["scores"], json!([4.0, 5.0]), "{case}");
    assert_eq!(case["flagged"], false);
    assert_eq!(case["sigma_kind"], "population");
    let who = identity(&app, case_id).await;

    // Every case a member receives while blind lacks the identity fields.
    let cases = committee
        .get(&format!("/api/v1/calibration-sessions/{id}/cases"))
        .await;
    for c in cases.json()["items"].as_array().unwrap() {
        for field in ["name", "employee_no", "unit", "manager"] {
            assert!(c.get(field).is_none(), "{field} while blind: {c}");
        }
    }

    // Ten clients on the stream: members, the facilitator.
    let mut streams = Vec::new();
    for c in [&committee, &director, &hrbp].iter().cycle().take(10) {
        let mut s = c
            .open_stream(&format!("/api/v1/calibration-sessions/{id}/stream"), &[])
            .await;
        assert_eq!(s.status, StatusCode::OK);
        assert_eq!(s.headers["content-type"], "text/event-stream");
        assert_eq!(s.headers["x-accel-buffering"], "no");
        assert!(
            s.until(5, |t| t.contains("event: hello")).await,
            "{}",
            s.text
        );
        streams.push(s);
    }

    let scores_before = count(&app, "calibration_scores").await;
    let path = format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/score");
    for bad in [
        json!({"score": 0}),
        json!({"score": 6}),
        json!({"score": 3.3}),
        json!({"score": "x"}),
        json!({}),
    ] {
        let r = committee.put_json(&path, &bad).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{bad}: {}",
            r.status
        );
        assert!(
            !r.json()["error"]["message"]
                .as_str()
                .unwrap_or("")
                .is_empty()
        );
    }
    assert_eq!(count(&app, "calibration_scores").await, scores_before);
    // Not on the committee: the facilitator (HR) may not score, an employee cannot see it.
    assert_eq!(
        hrbp.put_json(&path, &json!({"score": 3})).await.status,
        StatusCode::FORBIDDEN
    );
    let employee = demo_login(&app, "employee").await;
    assert_eq!(
        employee.put_json(&path, &json!({"score": 3})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        employee
            .get(&format!("/api/v1/calibration-sessions/{id}/cases"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(count(&app, "calibration_scores").await, scores_before);

    // The third score lands: 4, 5, 2 → σ 1.25 > 1.2.
    let r = committee.put_json(&path, &json!({"score": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(a["mean"], 3.67);
    assert_eq!(a["sigma"], 1.25);
    assert_eq!(a["flagged"], true);
    let flag = format!("\"case_id\":{case_id}");
    for s in &mut streams {
        assert!(
            s.until(5, |t| t.contains("event: flag") && t.contains(&flag))
                .await,
            "no flag on a client: {}",
            s.text
        );
    }

    // Everything a member received while blind: pages, JSON, the stream.
    let mut bodies = vec![cases.text()];
    for path in [
        format!("/api/v1/calibration-sessions/{id}/cases"),
        format!("/api/v1/calibration-sessions/{id}"),
        "/api/v1/calibration-sessions".to_string(),
        format!("/calibration/{id}"),
        format!("/calibration/{id}/screen/left"),
        format!("/calibration/{id}/screen/middle"),
        format!("/calibration/{id}/screen/right"),
        format!("/calibration/{id}/screen/left?case={case_id}"),
        "/calibration".to_string(),
    ] {
        let r = committee.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        bodies.push(r.text());
    }
    bodies.push(streams[0].text.clone());
    for (i, b) in bodies.iter().enumerate() {
        assert_eq!(carries(b, &who), None, "response {i} names the person");
    }
    // The flagged case's process data opens on the member's page.
    assert!(
        bodies[4].contains("data-pack"),
        "the pack is open on the scoring page"
    );

    // Reconnect: Last-Event-ID replays what came after it.
    let score_id: String = streams[0]
        .text
        .split("\n\n")
        .find(|e| e.contains("event: score") && e.contains(&flag))
        .and_then(|e| e.lines().find_map(|l| l.strip_prefix("id: ")))
        .expect("the score event's id")
        .to_string();
    let mut again = committee
        .open_stream(
            &format!("/api/v1/calibration-sessions/{id}/stream"),
            &[("last-event-id", score_id.as_str())],
        )
        .await;
    assert!(
        again.until(5, |t| t.contains("event: flag")).await,
        "{}",
        again.text
    );
    assert!(
        !again.text.contains("event: score\ndata")
            || !again.text.contains(&format!("id: {score_id}\n"))
    );
    let future = (score_id.parse::<i64>().unwrap() + 1000).to_string();
    let r = committee
        .open_stream(
            &format!("/api/v1/calibration-sessions/{id}/stream"),
            &[("last-event-id", future.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = committee
        .open_stream(
            &format!("/api/v1/calibration-sessions/{id}/stream"),
            &[("last-event-id", "abc")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn finalizing_writes_the_ratings_back_once_and_freezes_the_session() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let committee = demo_login(&app, "committee").await;
    let hrbp = demo_login(&app, "hrbp").await;
    let admin = demo_login(&app, "admin").await;
    let (id, case) = session(&committee).await;
    let case_id = case["case_id"].as_i64().unwrap();
    let review_id = scalar(
        &app,
        &format!("SELECT review_id FROM calibration_cases WHERE id = {case_id}"),
    )
    .await;
    let state = |s: &str| json!({ "state": s });
    let moves = format!("/api/v1/calibration-sessions/{id}/state");

    // The reviews are locked while the session runs.
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM reviews WHERE id = {review_id}")
        )
        .await,
        "in_calibration"
    );
    let reviewer_no = text(
        &app,
        &format!("SELECT m.employee_no FROM reviews r JOIN people m ON m.id = r.reviewer_id WHERE r.id = {review_id}"),
    )
    .await;
    let reviewer = demo_login(&app, &reviewer_no).await;
    let r = reviewer
        .post_json(
            &format!("/api/v1/reviews/{review_id}/submit"),
            &json!({"text": "改写", "rating": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    // A member cannot run the room; skipping a state is refused.
    assert_eq!(
        committee.post_json(&moves, &state("live")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hrbp.post_json(&moves, &state("finalized")).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        hrbp.post_json(&moves, &state("live")).await.status,
        StatusCode::OK
    );
    let r = hrbp.post_json(&moves, &state("revealed")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["blind"], false);

    // Revealed: names are back; scoring is closed.
    let cases = committee
        .get(&format!("/api/v1/calibration-sessions/{id}/cases"))
        .await
        .json();
    let seven = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_id"] == case_id)
        .unwrap()
        .clone();
    let who = identity(&app, case_id).await;
    assert_eq!(seven["name"], who[0].as_str());
    let score = format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/score");
    assert_eq!(
        committee
            .put_json(&score, &json!({"score": 3}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // A final rating unlike the manager's needs a rationale.
    let decision = format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/decision");
    let manager = seven["manager_rating"].as_f64().unwrap();
    let final_rating = if manager >= 4.0 { 3.0 } else { 4.0 };
    let r = hrbp
        .put_json(&decision, &json!({"final_rating": final_rating}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.error_code(), "rationale_required");
    let r = hrbp
        .put_json(&decision, &json!({"final_rating": final_rating, "rationale": "客户评价下滑，委员会意见分歧后取中", "potential": "high"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["final_rating"], final_rating);
    let r = hrbp
        .put_json(
            &format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/box"),
            &json!({"box": 9}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["nine_box"], 9);
    assert_eq!(count(&app, "calibration_moves").await, 1);

    // Two facilitators finalize at once: one wins.
    let fin = state("finalized");
    let (a, b) = tokio::join!(hrbp.post_json(&moves, &fin), admin.post_json(&moves, &fin));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.text(),
        b.text()
    );
    let cases_n = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM calibration_cases WHERE session_id = {id}"),
    )
    .await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'review.calibrate'"
        )
        .await,
        cases_n,
        "one write-back per case, once"
    );
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) FROM reviews WHERE id = {review_id} AND state = 'calibrated' AND calibrated_rating = {final_rating}")).await,
        1
    );
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) FROM reviews r JOIN calibration_cases k ON k.review_id = r.id WHERE k.session_id = {id} AND r.state <> 'calibrated'")).await,
        0
    );
    let s = hrbp
        .get(&format!("/api/v1/calibration-sessions/{id}"))
        .await
        .json();
    assert_eq!(s["state"], "finalized");
    assert!(s["duration_minutes"].is_i64(), "{s}");
    // H4: the dashboard's calibration figure is this session's live → final time.
    let ms = scalar(
        &app,
        &format!("SELECT duration_ms FROM calibration_sessions WHERE id = {id}"),
    )
    .await;
    let d = hrbp.get("/api/v1/org-health").await.json();
    let shown = d["operations"]["calibration_minutes_median"]
        .as_f64()
        .expect("a figure");
    assert!(
        (shown - ms as f64 / 60_000.0).abs() < 0.06,
        "{shown} vs {ms} ms"
    );
    // Frozen.
    assert_eq!(
        committee
            .put_json(&score, &json!({"score": 3}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        hrbp.put_json(&decision, &json!({"final_rating": 5}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        hrbp.post_json(&moves, &state("live")).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_session_needs_a_population_a_committee_and_a_time() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let hrbp = demo_login(&app, "hrbp").await;
    let cycle = hrbp.get("/api/v1/review-cycles").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "open")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let members: Vec<String> = ["director", "committee"]
        .iter()
        .map(|l| l.to_string())
        .collect();
    let mut nos = Vec::new();
    for l in &members {
        let c = demo_login(&app, l).await;
        nos.push(
            c.get("/api/v1/me").await.json()["employee_no"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let me = hrbp.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap()
        .to_string();
    let body = |patch: Value| {
        let mut b = json!({
            "name": "华南服务校准会", "cycle_id": cycle, "region": "HN", "job_family": "服务工程师",
            "facilitator": me, "members": nos, "scheduled_at": "2026-12-20 14:00",
        });
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let before = count(&app, "calibration_sessions").await;
    for (patch, code) in [
        (json!({"job_family": "无此岗位"}), "empty_population"),
        (
            json!({"region": null, "job_family": null}),
            "population_required",
        ),
        (json!({"members": [nos[0]]}), ""),
        (json!({"facilitator": "X-NOBODY"}), "unknown_person"),
        (json!({"scheduled_at": "下周二"}), ""),
        (json!({"guidance": "50-60"}), "invalid_guidance"),
        (json!({"region": "NOPE"}), "unknown_unit"),
    ] {
        let r = hrbp
            .post_json("/api/v1/calibration-sessions", &body(patch.clone()))
            .await;
        assert!(r.status.is_client_error(), "{patch}: {}", r.status);
        if !code.is_empty() {
            assert_eq!(r.error_code(), code, "{patch}: {}", r.text());
        }
    }
    assert_eq!(count(&app, "calibration_sessions").await, before);
    let r = hrbp
        .post_json("/api/v1/calibration-sessions", &body(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let s = r.json();
    assert_eq!(s["state"], "prepared");
    assert!(s["cases"].as_i64().unwrap() > 0);
    // The same reviews cannot be in two sessions at once.
    let r = hrbp
        .post_json("/api/v1/calibration-sessions", &body(json!({})))
        .await;
    assert_eq!(r.error_code(), "empty_population", "{}", r.text());
    // A member sees it in their list; an employee does not.
    let director = demo_login(&app, "director").await;
    let listed = director.get("/api/v1/calibration-sessions").await.json();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == s["id"])
    );
    let employee = demo_login(&app, "employee").await;
    assert_eq!(
        employee.get("/api/v1/calibration-sessions").await.json()["items"],
        json!([])
    );
}

/// Two instances on one PostgreSQL database (C4): a score entered through
/// one reaches a stream opened on the other, through LISTEN/NOTIFY; a
/// stream that reconnects to the other instance replays from Last-Event-ID.
#[tokio::test]
async fn a_score_on_one_instance_reaches_the_streams_of_another() {
    let a = TestApp::empty().await;
    let Some(second) = pulse_store::testing::second_instance(&a.db).await else {
        return; // SQLite is one process: the in-process push is tested above.
    };
    build_demo(&a, 2).await;
    let b = TestApp::with_db(second, None);
    let committee = demo_login(&a, "committee").await;
    let director = demo_login(&b, "director").await;
    let (id, case) = session(&director).await;
    let case_id = case["case_id"].as_i64().unwrap();
    let mut on_b = director
        .open_stream(&format!("/api/v1/calibration-sessions/{id}/stream"), &[])
        .await;
    assert!(on_b.until(5, |t| t.contains("event: hello")).await);
    // The listener connects with the first stream: give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let r = committee
        .put_json(
            &format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/score"),
            &json!({"score": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let flag = format!("\"case_id\":{case_id}");
    assert!(
        on_b.until(5, |t| t.contains("event: flag") && t.contains(&flag))
            .await,
        "the other instance's client never saw the flag: {}",
        on_b.text
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Reconnecting to instance A from the hello's latest replays the score and the flag.
    let latest = on_b
        .text
        .lines()
        .find_map(|l| {
            l.strip_prefix("data: ")
                .filter(|d| d.contains("\"latest\""))
        })
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|v| v["latest"].as_i64())
        .expect("hello's latest");
    let director_a = demo_login(&a, "director").await;
    let mut on_a = director_a
        .open_stream(
            &format!("/api/v1/calibration-sessions/{id}/stream"),
            &[("last-event-id", &latest.to_string())],
        )
        .await;
    assert!(
        on_a.until(5, |t| t.contains("event: score")
            && t.contains("event: flag"))
            .await,
        "{}",
        on_a.text
    );
}
