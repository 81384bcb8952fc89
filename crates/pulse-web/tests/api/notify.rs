//! Channel administration (N2/N3): settings are checked, secrets never come
//! back, the test button reports the channel's own answer, dead letters retry.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use crate::support::TestApp;

/// A robot endpoint that answers with the given errcode and counts messages.
async fn robot(errcode: i64) -> (Arc<Mutex<Vec<serde_json::Value>>>, String) {
    let seen: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/cgi-bin/webhook/send",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(body);
                axum::Json(serde_json::json!({"errcode": errcode, "errmsg": if errcode == 0 { "ok" } else { "invalid webhook url" }}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/cgi-bin/webhook/send?key=SECRET-KEY-123",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (seen, url)
}

#[tokio::test]
async fn channels_are_checked_secret_and_testable() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let bad = admin.put_json("/api/v1/notify-channels/华东群", &serde_json::json!({"kind": "wecom_robot", "webhook_url": "not a url", "enabled": true})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhook")
    );
    let kind = admin
        .put_json(
            "/api/v1/notify-channels/x",
            &serde_json::json!({"kind": "pager", "webhook_url": "http://a/b", "enabled": true}),
        )
        .await;
    assert_eq!(kind.status, StatusCode::UNPROCESSABLE_ENTITY);

    let (seen, url) = robot(0).await;
    let ok = admin
        .put_json(
            "/api/v1/notify-channels/华东群",
            &serde_json::json!({"kind": "wecom_robot", "webhook_url": url, "enabled": true}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text());
    let listed = admin.get("/api/v1/notify-channels").await;
    assert!(
        !listed.text().contains("SECRET-KEY-123"),
        "secrets never come back: {}",
        listed.text()
    );
    assert_eq!(listed.json()["items"][0]["enabled"], true);
    let page = admin.get("/admin/notifications").await.text();
    assert!(page.contains("华东群") && !page.contains("SECRET-KEY-123"));

    assert_eq!(
        admin
            .post_json(
                "/api/v1/notify-channels/华东群/test",
                &serde_json::json!({})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["msgtype"], "markdown");
    assert!(
        got[0]["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("测试消息")
    );

    // Disable it keeping the stored URL (empty URL = keep).
    let off = admin
        .put_json(
            "/api/v1/notify-channels/华东群",
            &serde_json::json!({"kind": "wecom_robot", "enabled": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin.get("/api/v1/notify-channels").await.json()["items"][0]["enabled"],
        false
    );

    let (_, bad_key_url) = robot(93000).await;
    admin.put_json("/api/v1/notify-channels/坏群", &serde_json::json!({"kind": "wecom_robot", "webhook_url": bad_key_url, "enabled": true})).await;
    let failed = admin
        .post_json("/api/v1/notify-channels/坏群/test", &serde_json::json!({}))
        .await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    assert!(
        failed.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("93000")
    );
    let page = admin
        .post_form("/admin/notifications/channels/坏群/test", &[], true)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("93000"),
        "the page shows the channel's answer"
    );
}

#[tokio::test]
async fn dead_letters_are_listed_and_retried() {
    let app = TestApp::new().await;
    let mut tx = app.db.begin().await.unwrap();
    pulse_store::outbox::enqueue(
        &mut tx,
        &pulse_store::outbox::NewMessage {
            idempotency_key: "t1".into(),
            channel: "wecom_robot".into(),
            target: "没有的群".into(),
            subject: "权重变更".into(),
            body: "内容".into(),
            recipient: String::new(),
            not_before: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let round = pulse_jobs::delivery::deliver_once(
        &app.db,
        &Default::default(),
        &Default::default(),
        app.db.now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(round.dead, 1);
    let admin = app.login("admin").await;
    let dead = admin.get("/api/v1/outbox").await.json();
    assert_eq!(dead["total"], 1);
    assert!(
        dead["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("没有的群")
    );
    assert_eq!(dead["counts"]["dead"], 1);
    let id = dead["items"][0]["id"].as_i64().unwrap();
    assert!(
        admin
            .get("/admin/notifications")
            .await
            .text()
            .contains("没有的群")
    );
    let metrics = app.anon().get("/metrics").await.text();
    assert!(
        metrics.contains("pulse_outbox_messages{state=\"dead\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        admin
            .post_json(
                &format!("/api/v1/outbox/{id}/retry"),
                &serde_json::json!({})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin.get("/api/v1/outbox?state=pending").await.json()["total"],
        1
    );
    assert_eq!(
        admin
            .post_json(
                &format!("/api/v1/outbox/{id}/retry"),
                &serde_json::json!({})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn one_call_notifies_a_unit_through_its_nearest_robot() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let (seen, url) = robot(0).await;
    admin
        .put_json(
            "/api/v1/notify-channels/华东大区群",
            &serde_json::json!({"kind": "wecom_robot", "webhook_url": url, "enabled": true}),
        )
        .await;
    assert_eq!(
        admin
            .put_json(
                "/api/v1/org-units/R1/channel",
                &serde_json::json!({"channel": "没有"})
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        admin
            .put_json(
                "/api/v1/org-units/ZZ/channel",
                &serde_json::json!({"channel": "华东大区群"})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .put_json(
                "/api/v1/org-units/R1/channel",
                &serde_json::json!({"channel": "华东大区群"})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let unit = |code: &'static str| {
        let db = app.db.clone();
        async move {
            pulse_store::org::by_code(&db, code)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (t1, t3) = (unit("T1").await, unit("T3").await);
    let mut tx = app.db.begin().await.unwrap();
    assert!(
        pulse_store::notify::to_unit(
            &mut tx,
            t1,
            "rule:1:T1",
            "权重变更",
            "新客户首单转化率 25% → 35%"
        )
        .await
        .unwrap(),
        "T1 uses R1's robot"
    );
    assert!(
        !pulse_store::notify::to_unit(&mut tx, t3, "rule:1:T3", "权重变更", "x")
            .await
            .unwrap(),
        "R2 has none: nothing to send"
    );
    tx.commit().await.unwrap();

    let configs = pulse_store::outbox::channels(&app.db).await.unwrap();
    let registry = pulse_jobs::channels::Registry::from_configs(
        &configs,
        &pulse_jobs::channels::http_client(),
    );
    let round = pulse_jobs::delivery::deliver_once(
        &app.db,
        &registry,
        &Default::default(),
        app.db.now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(round.sent, 1);
    assert!(
        seen.lock().unwrap()[0]["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("25% → 35%")
    );
}

#[tokio::test]
async fn personal_messages_go_to_the_wecom_user_id_or_say_why_not() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    // A WeChat Work API stand-in: token and send, recording who got what.
    let sent: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let s = sent.clone();
    let api = axum::Router::new()
        .route("/cgi-bin/gettoken", axum::routing::get(|| async { axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok", "access_token": "TOK", "expires_in": 7200})) }))
        .route(
            "/cgi-bin/message/send",
            axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
                let s = s.clone();
                async move {
                    s.lock().unwrap().push(body);
                    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok", "invaliduser": ""}))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await });

    let queued =
        pulse_store::notify::to_person(&mut app.db.begin().await.unwrap(), 1, "k0", "s", "b")
            .await
            .unwrap();
    assert_eq!(queued, 0, "no app channel yet");
    let bad = admin.put_json("/api/v1/notify-channels/企业应用", &serde_json::json!({"kind": "wecom_app", "webhook_url": base, "secret": "s", "corpid": "", "agentid": 1, "enabled": true})).await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "corpid required"
    );
    let ok = admin.put_json("/api/v1/notify-channels/企业应用", &serde_json::json!({"kind": "wecom_app", "webhook_url": base, "secret": "s", "corpid": "ww1", "agentid": 1000002, "enabled": true})).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text());
    assert!(
        !admin
            .get("/api/v1/notify-channels")
            .await
            .text()
            .contains("\"s\""),
        "no secret back"
    );

    // E1 gets a WeChat Work id; E2 has none.
    let hr = app.login("hrbp").await;
    let file = crate::support::xlsx(&[
        &["工号", "姓名", "部门", "岗位族", "职级", "企业微信ID"],
        &["E1", "易销售", "T1", "销售代表", "P3", "YiXiaoShou"],
    ]);
    assert_eq!(
        hr.upload("/api/v1/imports/people?dry_run=false", file)
            .await
            .status,
        StatusCode::CREATED
    );
    let id = |no: &'static str| {
        let db = app.db.clone();
        async move {
            pulse_store::people::by_employee_no(&db, no)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (e1, e2) = (id("E1").await, id("E2").await);
    let mut tx = app.db.begin().await.unwrap();
    assert!(
        pulse_store::notify::to_person(
            &mut tx,
            e1,
            "adj:1",
            "目标微调申请已批准",
            "从 100 调整为 110"
        )
        .await
        .unwrap()
            == 1
    );
    assert!(
        pulse_store::notify::to_person(
            &mut tx,
            e2,
            "adj:2",
            "目标微调申请已批准",
            "从 100 调整为 105"
        )
        .await
        .unwrap()
            == 1
    );
    tx.commit().await.unwrap();

    let configs = pulse_store::outbox::channels(&app.db).await.unwrap();
    let registry = pulse_jobs::channels::Registry::from_configs(
        &configs,
        &pulse_jobs::channels::http_client(),
    );
    let round = pulse_jobs::delivery::deliver_once(
        &app.db,
        &registry,
        &Default::default(),
        app.db.now_ms(),
    )
    .await
    .unwrap();
    assert_eq!((round.sent, round.dead), (1, 1));
    assert_eq!(sent.lock().unwrap()[0]["touser"], "YiXiaoShou");
    let dead = admin.get("/api/v1/outbox").await.json();
    assert!(
        dead["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("没有企业微信账号"),
        "{dead}"
    );
}

#[tokio::test]
async fn people_choose_channels_and_quiet_hours_and_bad_input_changes_nothing() {
    let app = TestApp::new().await;
    let me = app.login("employee").await;
    let path = "/api/v1/me/notification-preferences";
    let first = me.get(path).await.json();
    assert_eq!(first["is_default"], true);
    assert_eq!(first["quiet_hours"], serde_json::Value::Null);
    assert_eq!(
        first["available"],
        serde_json::json!([]),
        "nothing configured yet"
    );

    for (body, code) in [
        (serde_json::json!({"channels": ["sms"]}), "invalid_channel"),
        (
            serde_json::json!({"channels": ["email", "email"]}),
            "duplicate_channel",
        ),
        (
            serde_json::json!({"channels": ["email"], "quiet_hours": {"start": "25:00", "end": "07:00"}}),
            "invalid_time",
        ),
    ] {
        let res = me.put_json(path, &body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(res.error_code(), code);
    }
    assert_eq!(
        me.get(path).await.json(),
        first,
        "refused input changed nothing"
    );

    let saved = me
        .put_json(
            path,
            &serde_json::json!({"channels": ["email"], "quiet_hours": {"start": "22:00", "end": "07:30"}}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let saved = saved.json();
    assert_eq!(saved["channels"], serde_json::json!(["email"]));
    assert_eq!(saved["is_default"], false);
    assert_eq!(
        saved["quiet_hours"],
        serde_json::json!({"start": "22:00", "end": "07:30"})
    );

    // The page form: both channels ticked, quiet hours cleared.
    let page = me
        .post_form(
            "/me/notifications",
            &[
                ("channel", "wecom_app"),
                ("channel", "email"),
                ("quiet_start", ""),
                ("quiet_end", ""),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("通知设置已保存"));
    let now = me.get(path).await.json();
    assert_eq!(now["channels"], serde_json::json!(["wecom_app", "email"]));
    assert_eq!(now["quiet_hours"], serde_json::Value::Null);
    let bad = me
        .post_form(
            "/me/notifications",
            &[("quiet_start", "22:00"), ("quiet_end", "")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.text().contains("不是有效时间"),
        "one end missing is explained"
    );
    assert_eq!(me.get(path).await.json(), now);
    let profile = me.get("/me").await.text();
    assert!(profile.contains("免打扰时段"));
    assert!(
        !profile.contains("<title>我的资料<section"),
        "title holds text only"
    );
}

#[tokio::test]
async fn admins_see_scheduled_jobs_and_can_run_one_now() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let jobs = vec![pulse_jobs::reminders::job(
        Default::default(),
        Default::default(),
        3_600_000,
    )];
    let t0 = app.db.now_ms();
    let ran = pulse_jobs::scheduler::tick(&app.db, &jobs, "test", t0)
        .await
        .unwrap();
    assert_eq!(ran.len(), 1);
    let list = admin.get("/api/v1/jobs").await.json();
    assert_eq!(list["items"][0]["job"], "reminders");
    assert_eq!(list["items"][0]["runs"], 1);
    assert!(
        list["items"][0]["last_result"]
            .as_str()
            .unwrap()
            .starts_with("催办 ")
    );
    assert!(
        admin
            .get("/admin/notifications")
            .await
            .text()
            .contains("催办与逾期升级")
    );
    assert!(
        pulse_jobs::scheduler::tick(&app.db, &jobs, "test", t0 + 1)
            .await
            .unwrap()
            .is_empty(),
        "not due again yet"
    );
    let page = admin
        .post_form("/admin/notifications/jobs/reminders/run", &[], true)
        .await;
    assert!(page.text().contains("将在一分钟内运行"));
    assert_eq!(
        pulse_jobs::scheduler::tick(&app.db, &jobs, "test", t0 + 2)
            .await
            .unwrap()
            .len(),
        1,
        "run now makes it due"
    );
    let unknown = admin
        .post_form("/admin/notifications/jobs/nope/run", &[], true)
        .await;
    assert!(unknown.text().contains("role=\"alert\""));
}
