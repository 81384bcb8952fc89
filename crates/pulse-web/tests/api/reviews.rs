//! Review cycles and the review writer (issue 14, W1–W3) on the demo: the
//! manager picks two records, gets a draft citing them, edits and submits;
//! edits and writing time are recorded; HR releases; the employee reads and
//! acknowledges. Bad input changes nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, build_demo, count, demo_login, scalar};

/// The open cycle (the current quarter) and the completed one.
async fn cycles(c: &crate::support::Client) -> (i64, i64) {
    let list = c.get("/api/v1/review-cycles").await.json();
    let items = list["items"].as_array().expect("items").clone();
    let open = items
        .iter()
        .find(|c| c["state"] == "open")
        .expect("an open cycle");
    let done = items
        .iter()
        .find(|c| c["state"] == "completed")
        .expect("a completed cycle");
    for c in &items {
        assert!(c["id"].is_i64() && c["name"].is_string() && c["period"].is_string());
    }
    (open["id"].as_i64().unwrap(), done["id"].as_i64().unwrap())
}

async fn employee_no(c: &crate::support::Client) -> String {
    c.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_manager_drafts_from_two_records_edits_submits_and_the_employee_reads_it() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let manager = demo_login(&app, "manager").await;
    let employee = demo_login(&app, "employee").await;
    let hr = demo_login(&app, "hrbp").await;
    let (open, done) = cycles(&manager).await;
    let rep = employee_no(&employee).await;

    let mine = manager
        .get(&format!("/api/v1/reviews?cycle={open}"))
        .await
        .json();
    let items = mine["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|r| r["role"] == "reviewer" || r["role"] == "self")
    );
    let review = items
        .iter()
        .find(|r| r["employee_no"] == rep.as_str())
        .expect("the rep's review is due");
    assert_eq!(review["state"], "draft");
    let id = review["id"].as_i64().unwrap();
    let other = items
        .iter()
        .find(|r| r["role"] == "reviewer" && r["employee_no"] != rep.as_str())
        .expect("another report");

    // The evidence: most notable first, each with a summary and a link.
    let ev = manager
        .get(&format!("/api/v1/reviews/{id}/evidence"))
        .await
        .json();
    let list = ev["items"].as_array().unwrap();
    assert!(list.len() >= 3, "{ev}");
    for e in list {
        assert!(
            e["id"].is_i64()
                && e["kind"].is_string()
                && e["occurred_at"].is_i64()
                && !e["summary"].as_str().unwrap().is_empty()
        );
    }
    let notability: Vec<i64> = list
        .iter()
        .map(|e| e["notability"].as_i64().unwrap())
        .collect();
    assert!(
        notability.windows(2).all(|w| w[0] >= w[1]),
        "{notability:?}"
    );
    let (a, b) = (
        list[0]["id"].as_i64().unwrap(),
        list[1]["id"].as_i64().unwrap(),
    );
    let theirs = manager
        .get(&format!("/api/v1/reviews/{}/evidence", other["id"]))
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();

    // Not exactly two of the person's own records: 422, nothing kept.
    for ids in [
        json!([a]),
        json!([a, b, list[2]["id"]]),
        json!([a, a]),
        json!([a, theirs]),
        json!([a, 999_999_991]),
    ] {
        let r = manager
            .post_json(
                &format!("/api/v1/reviews/{id}/draft"),
                &json!({"evidence_ids": ids}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ids}: {}",
            r.text()
        );
        assert!(r.json()["error"]["message"].is_string());
    }
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM reviews WHERE id = {id} AND draft_text <> ''")
        )
        .await,
        0
    );
    // Someone else's review: as if it did not exist.
    let stranger = demo_login(&app, "engineer").await;
    assert_eq!(
        stranger
            .get(&format!("/api/v1/reviews/{id}/evidence"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger
            .post_json(
                &format!("/api/v1/reviews/{id}/submit"),
                &json!({"text": "x", "rating": 3})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The draft: one section per record, each citing it, deterministic.
    let d = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/draft"),
            &json!({"evidence_ids": [a, b]}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let d = d.json();
    let text = d["text"].as_str().unwrap().to_string();
    let sections = d["sections"].as_array().unwrap();
    assert_eq!(
        sections
            .iter()
            .map(|s| s["evidence_id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![a, b]
    );
    for s in sections {
        for part in ["situation", "behaviour", "impact"] {
            let p = s[part].as_str().unwrap();
            assert!(!p.is_empty() && text.contains(p), "{part} of {s}");
        }
        assert_eq!(s["source"]["id"], s["evidence_id"]);
    }
    assert!(
        d["suggestion"].as_str().unwrap().starts_with("发展建议"),
        "{d}"
    );
    assert!(
        text.chars().any(|c| c.is_ascii_digit()),
        "cites figures: {text}"
    );
    assert_eq!(d["source"], "offline");
    let again = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/draft"),
            &json!({"evidence_ids": [a, b]}),
        )
        .await
        .json();
    assert_eq!(again["text"], d["text"], "same evidence, same draft");

    // Bad submissions change nothing.
    for (body, code) in [
        (json!({"text": text, "rating": 6}), "invalid_rating"),
        (json!({"text": text, "rating": 3.5}), "invalid_rating"),
        (json!({"text": "   ", "rating": 4}), "text_required"),
    ] {
        let r = manager
            .post_json(&format!("/api/v1/reviews/{id}/submit"), &body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.error_code(), code);
    }
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM reviews WHERE id = {id} AND state = 'draft'")
        )
        .await,
        1
    );

    // Three minutes at the draft, a coffee (20 min, not counted), two more.
    app.db.clock().advance(3 * 60_000);
    manager
        .post_json(&format!("/api/v1/reviews/{id}/ping"), &json!({}))
        .await;
    app.db.clock().advance(20 * 60_000);
    manager
        .post_json(&format!("/api/v1/reviews/{id}/ping"), &json!({}))
        .await;
    app.db.clock().advance(2 * 60_000);
    let first_break = text.find("\n\n").unwrap();
    let edited = format!("{}表现突出。{}", &text[..first_break], &text[first_break..]).replacen(
        "发展建议",
        "下一步发展建议",
        1,
    );
    let s = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/submit"),
            &json!({"text": edited, "rating": 4}),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    let s = s.json();
    assert_eq!(s["state"], "submitted");
    assert_eq!(s["edit_count"], 2, "two changed places");
    assert_eq!(s["writing_seconds"], 300, "active minutes only");
    assert!(
        s["goal_score"].is_number(),
        "computed from the quarter's goals: {s}"
    );

    // Before release the employee sees the state, not the rating or text.
    let hidden = employee.get(&format!("/api/v1/reviews/{id}")).await.json();
    assert_eq!(hidden["role"], "self");
    assert!(
        hidden["rating"].is_null() && hidden["text"].is_null(),
        "{hidden}"
    );
    assert_eq!(
        employee
            .get(&format!("/api/v1/reviews/{id}/evidence"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // HR releases; the employee reads and acknowledges; then it is locked.
    let released = hr
        .post_json(&format!("/api/v1/review-cycles/{open}/release"), &json!({}))
        .await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.text());
    assert!(released.json()["released"].as_i64().unwrap() >= 1);
    let read = employee.get(&format!("/api/v1/reviews/{id}")).await.json();
    assert_eq!(read["state"], "released");
    assert_eq!(read["rating"], 4.0);
    assert_eq!(read["text"], edited.trim());
    assert!(
        read["edit_count"].is_null(),
        "the writer's figures are not the employee's"
    );
    let locked = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/submit"),
            &json!({"text": "改一下", "rating": 5}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::CONFLICT);
    assert_eq!(
        manager
            .post_json(
                &format!("/api/v1/reviews/{id}/draft"),
                &json!({"evidence_ids": [a, b]})
            )
            .await
            .status,
        StatusCode::CONFLICT
    );
    let ack = employee
        .post_json(
            &format!("/api/v1/reviews/{id}/acknowledge"),
            &json!({"comment": "收到，下季度加油"}),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    assert_eq!(ack.json()["state"], "acknowledged");
    assert_eq!(
        employee
            .post_json(&format!("/api/v1/reviews/{id}/acknowledge"), &json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Launching the same period again is refused whole.
    let before = count(&app, "reviews").await;
    let twice = hr
        .post_json(
            "/api/v1/review-cycles",
            &json!({"name": "重复发起", "period": "2026Q4", "due_on": "2026-12-20"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text());
    assert_eq!(count(&app, "reviews").await, before);
    assert_eq!(count(&app, "review_cycles").await, 2);

    // The completed quarter is frozen, and its reviews cite real records.
    let old = employee
        .get(&format!("/api/v1/reviews?cycle={done}"))
        .await
        .json();
    let old = &old["items"][0];
    assert_eq!(
        old["state"], "released",
        "the demo rep still has to acknowledge"
    );
    assert!(old["text"].as_str().unwrap().contains('%'), "{old}");
    let frozen = hr
        .post_json(&format!("/api/v1/review-cycles/{done}/release"), &json!({}))
        .await;
    assert_eq!(frozen.status, StatusCode::CONFLICT);
    assert_eq!(frozen.error_code(), "cycle_frozen");
    let progress = hr
        .get(&format!("/api/v1/review-cycles/{open}/progress"))
        .await
        .json();
    assert!(
        progress["units"].as_array().unwrap().len() > 10,
        "{}",
        progress["cycle"]
    );
}

#[tokio::test]
async fn the_check_warns_when_rating_and_prose_disagree_or_nothing_is_cited() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let manager = demo_login(&app, "manager").await;
    let (open, _) = cycles(&manager).await;
    let items = manager
        .get(&format!("/api/v1/reviews?cycle={open}"))
        .await
        .json();
    let id = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "reviewer")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let check = |text: &'static str, rating: f64| {
        let m = manager.clone();
        async move {
            let r = m
                .post_json(
                    &format!("/api/v1/reviews/{id}/check"),
                    &json!({"text": text, "rating": rating}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["code"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        check("本季度工作表现一般，存在一些问题，完成了 3 个项目。", 5.0).await,
        ["lukewarm_for_top"]
    );
    assert_eq!(
        check(
            "表现出色，客户好评，业绩突出，专业扎实，完成了 12 个项目。",
            1.0
        )
        .await,
        ["warm_for_low"]
    );
    assert_eq!(
        check("表现出色，客户好评，业绩突出。", 4.0).await,
        ["no_evidence"]
    );
    assert!(
        check("11月20日客户评价 5 分，表现出色，业绩突出。", 5.0)
            .await
            .is_empty()
    );
    // Advisory only: the state did not move.
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM reviews WHERE id = {id} AND state = 'draft'")
        )
        .await,
        1
    );

    // The employee's self-assessment reaches the reviewer; HR reassigns the
    // review, and the to-do moves with it.
    let employee = demo_login(&app, "employee").await;
    let own = employee
        .get(&format!("/api/v1/reviews?cycle={open}"))
        .await
        .json();
    let own = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "self")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let saved = employee
        .post_form(
            &format!("/reviews/{own}/self"),
            &[("self_text", "本季度拿下了第一人民医院的订单")],
            true,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let read = manager.get(&format!("/api/v1/reviews/{own}")).await.json();
    assert_eq!(read["self_text"], "本季度拿下了第一人民医院的订单");
    let hr = demo_login(&app, "hrbp").await;
    let director = demo_login(&app, "director").await;
    let director_no = director.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = hr
        .put_json(
            &format!("/api/v1/reviews/{own}/reviewer"),
            &json!({"employee_no": "NOBODY"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let moved = hr
        .put_json(
            &format!("/api/v1/reviews/{own}/reviewer"),
            &json!({"employee_no": director_no}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(
        manager
            .get(&format!("/api/v1/reviews/{own}/evidence"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "no longer the lead's"
    );
    assert_eq!(
        director
            .get(&format!("/api/v1/reviews/{own}/evidence"))
            .await
            .status,
        StatusCode::OK
    );
    let todos = director.get("/api/v1/inbox").await.text();
    assert!(
        todos.contains("撰写绩效评语"),
        "the new reviewer has a to-do: {todos}"
    );
    assert_eq!(
        manager
            .put_json(
                &format!("/api/v1/reviews/{own}/reviewer"),
                &json!({"employee_no": director_no})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A local stand-in for an OpenAI-compatible endpoint: answers by the
/// scenario in the test's state and keeps every request body it received.
async fn llm_server(
    mode: std::sync::Arc<std::sync::Mutex<&'static str>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
) -> String {
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
            let mode = mode.clone();
            let seen = seen.clone();
            async move {
                assert_eq!(headers["authorization"], "Bearer sk-test", "the key goes as a bearer token");
                seen.lock().unwrap().push(body.clone());
                let m = *mode.lock().unwrap();
                let content = body["messages"][1]["content"].as_str().unwrap_or("").to_string();
                match m {
                    "ok" => axum::Json(json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("（润色）{content}")}, "finish_reason": "stop"}]})).into_response(),
                    "openai_500" => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"error": {"message": "The server had an error", "type": "server_error", "code": null}}))).into_response(),
                    "vllm_400" => (StatusCode::BAD_REQUEST, axum::Json(json!({"object": "error", "message": "model `x` does not exist", "type": "NotFoundError", "param": null, "code": 404}))).into_response(),
                    "not_json" => (StatusCode::OK, "<html>gateway</html>").into_response(),
                    "drops" => axum::Json(json!({"choices": [{"message": {"role": "assistant", "content": "这位员工本季度表现很好。"}}]})).into_response(),
                    _ => {
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        axum::Json(json!({})).into_response()
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_polish_sees_placeholders_only_and_any_failure_keeps_the_offline_draft() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let admin = demo_login(&app, "admin").await;
    let manager = demo_login(&app, "manager").await;
    let mode = std::sync::Arc::new(std::sync::Mutex::new("ok"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let base = llm_server(mode.clone(), seen.clone()).await;
    let saved = admin
        .put_json("/api/v1/review-writer/llm", &json!({"enabled": true, "base_url": base, "model": "qwen2.5-7b-instruct", "api_key": "sk-test", "timeout_ms": 800}))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert!(!saved.text().contains("sk-test"), "the key is never shown");
    assert_eq!(
        manager
            .put_json(
                "/api/v1/review-writer/llm",
                &json!({"enabled": true, "base_url": base, "model": "m"})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let (open, _) = cycles(&manager).await;
    let items = manager
        .get(&format!("/api/v1/reviews?cycle={open}"))
        .await
        .json();
    let review = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "reviewer")
        .unwrap()
        .clone();
    let id = review["id"].as_i64().unwrap();
    let name = review["name"].as_str().unwrap().to_string();
    let no = review["employee_no"].as_str().unwrap().to_string();
    let ev = manager
        .get(&format!("/api/v1/reviews/{id}/evidence"))
        .await
        .json();
    let ids = json!([ev["items"][0]["id"], ev["items"][1]["id"]]);
    let offline = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/draft"),
            &json!({"evidence_ids": ids}),
        )
        .await
        .json();
    assert!(offline["text"].as_str().unwrap().contains(&name));

    let polished = manager
        .post_json(
            &format!("/api/v1/reviews/{id}/draft"),
            &json!({"evidence_ids": ids, "polish": true}),
        )
        .await
        .json();
    assert_eq!(polished["source"], "polished", "{polished}");
    assert_eq!(
        polished["text"],
        format!("（润色）{}", offline["text"].as_str().unwrap()),
        "names restored"
    );
    {
        let seen = seen.lock().unwrap();
        let body = &seen[0];
        assert_eq!(body["model"], "qwen2.5-7b-instruct");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        let sent = body.to_string();
        assert!(
            !sent.contains(&name) && !sent.contains(&no),
            "no real name or 工号 leaves Pulse: {sent}"
        );
        assert!(sent.contains("[P1]"), "{sent}");
        assert!(!sent.contains("rating"), "the model never sees the rating");
    }
    for (m, says) in [
        ("openai_500", "500"),
        ("vllm_400", "does not exist"),
        ("not_json", ""),
        ("drops", "[P1]"),
        ("hang", ""),
    ] {
        *mode.lock().unwrap() = m;
        let d = manager
            .post_json(
                &format!("/api/v1/reviews/{id}/draft"),
                &json!({"evidence_ids": ids, "polish": true}),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{m}: {}", d.text());
        let d = d.json();
        assert_eq!(d["source"], "offline", "{m}");
        assert_eq!(d["text"], offline["text"], "{m}: the offline draft");
        let note = d["polish_note"].as_str().unwrap_or("");
        assert!(!note.is_empty() && note.contains(says), "{m}: {note}");
    }
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM reviews WHERE id = {id} AND draft_source = 'offline'")
        )
        .await,
        1
    );
}
