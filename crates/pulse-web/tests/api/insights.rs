//! Weekly digest, text dictionary, competency models and the radar through
//! the API (D1, D2, R1, R2), on SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Client, TestApp, count, seed_feedback};

async fn app() -> TestApp {
    let app = TestApp::new().await;
    seed_feedback(&app.db).await;
    app
}

/// A visit with its card; returns the card id.
async fn card(c: &Client, observation: &str, ratings: [i64; 3]) -> i64 {
    let v = c
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-001"}),
        )
        .await;
    assert_eq!(v.status, StatusCode::CREATED, "{}", v.text());
    let r = c
        .post_json(
            "/api/v1/feedback",
            &json!({"event_id": v.json()["id"], "observation": observation, "tags": [
                {"tag": "沟通质量", "rating": ratings[0]}, {"tag": "需求洞察深度", "rating": ratings[1]},
                {"tag": "方案匹配度", "rating": ratings[2]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

/// The test clock's day (every test app starts on it).
fn today() -> String {
    pulse_store::testing::test_clock().today().to_string()
}

#[tokio::test]
async fn a_manager_digest_counts_tags_and_terms_and_links_the_cards() {
    let app = app().await;
    let e1 = app.login("employee").await;
    let mut price_cards = Vec::new();
    for _ in 0..5 {
        price_cards.push(card(&e1, "客户有价格异议", [4, 3, 5]).await);
    }
    card(&e1, "交付周期太长", [2, 3, 3]).await;
    let m = app.login("manager").await;
    let r = m
        .post_json("/api/v1/digests", &json!({"week_start": today()}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let d = r.json();
    assert_eq!(d["cards"], 6);
    assert_eq!(d["previous_cards"], 0);
    assert_eq!(d["people"], 2, "M1 leads E1 and E2");
    assert_eq!(d["manager"]["employee_no"], "M1");
    assert!(d["week"].as_str().unwrap().contains("-W"));
    let tag = d["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "沟通质量")
        .unwrap();
    assert_eq!(tag["count"], 6);
    assert_eq!(tag["avg_rating"], 3.7, "(5 × 4 + 2) / 6");
    let terms = d["terms"].as_array().unwrap();
    let price = terms
        .iter()
        .find(|t| t["term"] == "价格异议")
        .expect("one term, not 价格 + 异议");
    assert_eq!(price["count"], 5);
    assert_eq!(price["previous"], 0);
    assert!(price["change_pct"].is_null());
    assert_eq!(price["flagged"], true, "new this week at the minimum of 5");
    let mut linked: Vec<i64> = price["card_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    linked.sort();
    assert_eq!(linked, price_cards);
    let delivery = terms.iter().find(|t| t["term"] == "交付周期").unwrap();
    assert_eq!(delivery["flagged"], false, "1 mention is under the minimum");
    assert!(terms.iter().all(|t| t["term"] != "价格"));
    // The same digest is the latest one, and its page links the term's cards.
    let latest = m.get("/api/v1/digests/latest").await;
    assert_eq!(latest.status, StatusCode::OK);
    assert_eq!(latest.json()["id"], d["id"]);
    let page = m.get(&format!("/digests/{}", d["id"])).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("本周新出现‘价格异议’，提及5次"), "{html}");
    assert!(html.contains("<svg"));
    let cards = m
        .get(&format!(
            "/digests/{}/cards?term=%E4%BB%B7%E6%A0%BC%E5%BC%82%E8%AE%AE",
            d["id"]
        ))
        .await
        .text();
    assert_eq!(cards.matches("客户有价格异议").count(), 5);
    assert!(
        cards.contains("近 8 周每周提及次数"),
        "the term's trend line"
    );
    assert!(cards.contains("<path d=\"M"));
    // HR sees which managers' digests carry alerts.
    let hr = app.login("hrbp").await;
    let setup = hr.get("/digests/setup").await.text();
    assert!(
        setup.contains("最新一周有预警的团队周报") && setup.contains("马主管"),
        "{setup}"
    );
    // A stricter minimum: regenerated, not flagged any more.
    let r = hr
        .put_json(
            "/api/v1/digest-settings",
            &json!({"min_count": 6, "rise_pct": 40, "weekday": 1, "hour": 8}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let again = m
        .post_json("/api/v1/digests", &json!({"week_start": today()}))
        .await
        .json();
    assert_eq!(again["id"], d["id"], "one digest per manager and week");
    assert!(again["flags"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_domain_dictionary_keeps_an_hr_term_whole() {
    let app = app().await;
    let e1 = app.login("employee").await;
    for _ in 0..5 {
        card(&e1, "院方关注带量采购", [3, 3, 3]).await;
    }
    let m = app.login("manager").await;
    let week = json!({"week_start": today()});
    let before = m.post_json("/api/v1/digests", &week).await.json();
    let has = |d: &serde_json::Value, term: &str| {
        d["terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["term"] == term)
    };
    assert!(!has(&before, "带量采购"));
    let hr = app.login("hrbp").await;
    let r = hr
        .put_json("/api/v1/text-terms/domain/带量采购", &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let after = m.post_json("/api/v1/digests", &week).await.json();
    assert!(has(&after, "带量采购"), "{after}");
    // A stop word leaves the counts.
    hr.put_json("/api/v1/text-terms/stop/院方", &json!({}))
        .await;
    let stopped = m.post_json("/api/v1/digests", &week).await.json();
    assert!(!has(&stopped, "院方"));
    let dict = hr.get("/api/v1/text-terms").await.json();
    assert_eq!(dict["custom_domain"], json!(["带量采购"]));
    let r = hr.delete("/api/v1/text-terms/stop/院方").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(has(
        &m.post_json("/api/v1/digests", &week).await.json(),
        "院方"
    ));
}

#[tokio::test]
async fn bad_digest_and_model_input_is_refused_and_changes_nothing() {
    let app = app().await;
    let hr = app.login("hrbp").await;
    for (body, code) in [
        (
            json!({"min_count": 0, "rise_pct": 40, "weekday": 1, "hour": 8}),
            "invalid_digest_settings",
        ),
        (
            json!({"min_count": 5, "rise_pct": 40, "weekday": 8, "hour": 8}),
            "invalid_digest_settings",
        ),
        (
            json!({"min_count": 5, "rise_pct": 40, "weekday": 1, "hour": 24}),
            "invalid_digest_settings",
        ),
    ] {
        let r = hr.put_json("/api/v1/digest-settings", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.error_code(), code);
    }
    let s = hr.get("/api/v1/digest-settings").await.json();
    assert_eq!(
        s,
        json!({"min_count": 5, "rise_pct": 40, "weekday": 1, "hour": 8})
    );
    let r = hr.put_json("/api/v1/text-terms/other/词", &json!({})).await;
    assert_eq!(r.error_code(), "invalid_term_kind");
    let r = hr
        .put_json(
            "/api/v1/text-terms/domain/一个非常非常非常长的领域词条",
            &json!({}),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_term");
    let dim =
        |m: &str, n: &str, t: Option<f64>| json!({"metric": m, "normalisation": n, "target": t});
    for (body, code) in [
        (dim("salary", "percentile", None), "unknown_metric"),
        (
            dim("feedback_tag:不存在的标签", "percentile", None),
            "unknown_tag",
        ),
        (dim("response_minutes", "target", None), "target_required"),
        (
            dim("response_minutes", "zscore", None),
            "unknown_normalisation",
        ),
    ] {
        let r = hr
            .put_json(
                "/api/v1/competency-models/销售代表/dimensions/测试维度",
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.error_code(), code, "{body}");
    }
    let models = hr.get("/api/v1/competency-models").await.json();
    assert!(models["items"].as_array().unwrap().is_empty());
    // Someone without reports has no digest; a bad week is refused.
    let e1 = app.login("employee").await;
    let r = e1.get("/api/v1/digests/latest").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "no_digest");
    let m = app.login("manager").await;
    let r = m
        .post_json("/api/v1/digests", &json!({"week_start": "2026-13-01"}))
        .await;
    assert_eq!(r.error_code(), "invalid_date");
    let r = m
        .post_json("/api/v1/digests", &json!({"week_start": "2099-01-05"}))
        .await;
    assert_eq!(r.error_code(), "week_in_future");
    // Another manager's digest is not found for M1.
    let d = m.get("/api/v1/digests/latest").await.json();
    let director = app.login("director").await;
    let r = director.get(&format!("/api/v1/digests/{}", d["id"])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_radar_ranks_peers_and_logs_each_view() {
    let app = app().await;
    let hr = app.login("hrbp").await;
    for (name, metric, norm, target) in [
        ("沟通质量", "feedback_tag:沟通质量", "percentile", None),
        ("拜访频次", "visits_per_week", "target", Some(10.0)),
    ] {
        let r = hr
            .put_json(
                &format!("/api/v1/competency-models/销售代表/dimensions/{name}"),
                &json!({"metric": metric, "normalisation": norm, "target": target}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    // E1 rates communication 5, E2 (same family and level) 2; E4 has no cards.
    let e1 = app.login("employee").await;
    card(&e1, "沟通顺畅", [5, 4, 4]).await;
    card(&e1, "沟通顺畅", [5, 4, 4]).await;
    let r = hr
        .post_json(
            "/api/v1/events",
            &json!({"type": "visit", "customer": "CRM-001", "employee_no": "E2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let radar = e1.get("/api/v1/people/E1/radar").await;
    assert_eq!(radar.status, StatusCode::OK, "{}", radar.text());
    let r = radar.json();
    assert_eq!(r["peer_count"], 3, "E1, E2, E4: 销售代表 P3");
    let dims = r["dimensions"].as_array().unwrap();
    assert_eq!(dims.len(), 2);
    let comm = &dims[0];
    assert_eq!(comm["name"], "沟通质量");
    assert_eq!(comm["raw"], 5.0);
    assert_eq!(
        comm["value"], 50.0,
        "the only peer with cards sits at the middle"
    );
    assert_eq!(comm["peer_median"], 50.0);
    let visits = &dims[1];
    // Two visits in 90 days against 10 a week.
    assert!(visits["value"].as_f64().unwrap() < 5.0);
    assert_eq!(
        visits["peers_with_data"], 3,
        "a peer without visits counts as 0"
    );
    // E2 made one visit, E4 none: E1 ranks highest, E4 lowest.
    let e4 = hr.get("/api/v1/people/E4/radar").await.json();
    assert!(e4["dimensions"][0]["value"].is_null(), "no cards, no value");
    // The employee's own view and HR's are logged; a stranger sees nothing.
    let views = count(&app, "radar_views").await;
    assert_eq!(views, 2);
    let r = e1.get("/api/v1/people/E2/radar").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Warming computes the one group with a model (销售代表 P3; 服务工程师
    // has none here), and the radar reads the same figures afterwards.
    let warmed = pulse_store::competency::warm_peer_figures(&app.db, app.db.today())
        .await
        .unwrap();
    assert_eq!(warmed, 1);
    let again = e1.get("/api/v1/people/E1/radar").await.json();
    assert_eq!(again["dimensions"].as_array().unwrap(), dims);
    // The person page draws it.
    let page = e1.get("/people/E1").await.text();
    assert!(page.contains("能力雷达图"));
    assert!(page.contains("class=\"mine\""));
    // The manager's digest page shows the team on every dimension.
    let m = app.login("manager").await;
    let page = m.get("/digests").await.text();
    assert!(page.contains("团队能力热力图"), "{page}");
    assert!(page.contains("易销售") && page.contains("尔销售"));
    let views_after = count(&app, "radar_views").await;
    assert_eq!(
        views_after, 4,
        "the heatmap is not logged as radar views (E1's API and page views are)"
    );
}

#[tokio::test]
async fn the_monday_job_sends_each_digest_once_with_flags_in_the_warning_colour() {
    use chrono::Datelike;
    let app = app().await;
    let e1 = app.login("employee").await;
    for _ in 0..5 {
        card(&e1, "客户有价格异议", [4, 4, 4]).await;
    }
    // M1 reads messages in WeChat Work.
    let admin = app.login("admin").await;
    let r = admin
        .put_json(
            "/api/v1/notify-channels/企业应用",
            &json!({"kind": "wecom_app", "webhook_url": "http://127.0.0.1:9", "secret": "s", "corpid": "ww1", "agentid": 1000002, "enabled": true}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let sql = "UPDATE people SET wecom_userid = 'mazhuguan' WHERE employee_no = 'M1'";
    match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        pulse_store::Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
    // Next Monday, China time: this week is then the last complete one.
    let today = app.db.today();
    let next_monday =
        today + chrono::Days::new(7 - u64::from(today.weekday().num_days_from_monday()));
    let at = |h: u32| pulse_store::day_start_ms(next_monday) + i64::from(h) * 3_600_000;
    let job = pulse_jobs::digests::job(std::sync::Arc::default(), Default::default(), 15 * 60_000);
    let ran = pulse_jobs::scheduler::tick(&app.db, std::slice::from_ref(&job), "t", at(7))
        .await
        .unwrap();
    assert!(ran[0].1.contains("等待"), "{ran:?}");
    let m = app.login("manager").await;
    let inbox = |c: Client| async move {
        c.get("/api/v1/inbox?state=open").await.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "weekly_digest")
            .count()
    };
    assert_eq!(inbox(m.clone()).await, 0, "nothing before 08:00");
    let ran = pulse_jobs::scheduler::tick(&app.db, std::slice::from_ref(&job), "t", at(9))
        .await
        .unwrap();
    assert!(ran[0].1.contains("份有预警"), "{ran:?}");
    assert_eq!(inbox(m.clone()).await, 1);
    let queued = pulse_store::outbox::list(&app.db, "pending", 50)
        .await
        .unwrap();
    let msg = queued
        .iter()
        .find(|q| q.recipient == "mazhuguan")
        .expect("the digest queued for M1's WeChat Work");
    assert_eq!(msg.channel, "wecom_app");
    assert!(
        msg.body
            .contains("<font color=\"warning\">本周新出现‘价格异议’，提及5次</font>"),
        "{}",
        msg.body
    );
    assert!(msg.body.contains("/digests/"));
    // Later ticks the same week send nothing again.
    pulse_jobs::scheduler::tick(&app.db, std::slice::from_ref(&job), "t", at(11))
        .await
        .unwrap();
    assert_eq!(inbox(m).await, 1);
    let again = pulse_store::outbox::list(&app.db, "pending", 50)
        .await
        .unwrap();
    assert_eq!(again.len(), queued.len());
    // A team with a group robot gets its digest there instead.
    let r = admin
        .put_json(
            "/api/v1/notify-channels/上海销售一组群",
            &json!({"kind": "wecom_robot", "webhook_url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k", "enabled": true}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = admin
        .put_json(
            "/api/v1/org-units/T1/channel",
            &json!({"channel": "上海销售一组群"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let m1 = pulse_store::people::by_employee_no(&app.db, "M1")
        .await
        .unwrap()
        .unwrap();
    pulse_jobs::digests::generate(
        &app.db,
        &pulse_jobs::digests::TextEngine::default(),
        pulse_jobs::digests::monday_of(today),
        Some(m1.id),
        pulse_jobs::digests::Delivery::Send,
        &Default::default(),
    )
    .await
    .unwrap();
    let robot = pulse_store::outbox::list(&app.db, "pending", 50)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.channel == "wecom_robot")
        .expect("the digest in the team's group");
    assert_eq!(robot.target, "上海销售一组群");
    assert!(robot.body.contains("团队周报"));
}
