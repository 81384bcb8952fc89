//! Goals over HTTP (G2, G4–G6) on the test org: scope, the rule editor's
//! checks, region metrics that fire a rule and tell the director, requests
//! through the pages, and a closed period.

use axum::http::StatusCode;

use crate::support::{TestApp, seed_goals};

async fn app() -> (TestApp, i64) {
    let app = TestApp::new().await;
    let period = seed_goals(&app.db).await;
    (app, period)
}

#[tokio::test]
async fn boards_follow_the_people_scope() {
    let (app, _) = app().await;
    let e1 = app.login("employee").await;
    let mine = e1.get("/api/v1/people/E1/goals").await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.json();
    assert_eq!(mine["period"]["code"], "TQ");
    assert_eq!(mine["weight_total_bp"], 10_000);
    assert_eq!(mine["items"][0]["chain"].as_array().unwrap().len(), 3);
    assert_eq!(
        e1.get("/api/v1/people/E2/goals").await.status,
        StatusCode::NOT_FOUND
    );
    let manager = app.login("manager").await;
    assert_eq!(
        manager.get("/api/v1/people/E2/goals").await.status,
        StatusCode::OK
    );
    assert_eq!(
        manager.get("/api/v1/people/E4/goals").await.status,
        StatusCode::NOT_FOUND,
        "华南 is outside 上海销售一组"
    );
    let unknown = e1.get("/api/v1/people/E1/goals?period=NOPE").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let team = manager.get("/goals/team").await.text();
    assert!(
        team.contains("易销售") && team.contains("尔销售"),
        "direct reports on the team board"
    );
}

#[tokio::test]
async fn the_rule_editor_checks_as_you_type_and_refuses_bad_rules() {
    let (app, _) = app().await;
    let hr = app.login("hrbp").await;
    let ok = hr
        .post_json(
            "/api/v1/weight-rules/check",
            &serde_json::json!({"condition": "a_class_new_sign_rate > 0.15"}),
        )
        .await
        .json();
    assert_eq!(ok["ok"], true);
    let bad = hr
        .post_json(
            "/api/v1/weight-rules/check",
            &serde_json::json!({"condition": "a_class_new_sign_rat > 0.15"}),
        )
        .await
        .json();
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["error"]["code"], "rule_unknown_variable");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第 1 行第 1 列")
    );
    let before = hr.get("/api/v1/weight-rules").await.json()["total"].clone();
    for (condition, code) in [
        ("a_class_new_sign_rate >", "rule_syntax"),
        (
            "int(a_class_new_signings) / int(a_class_customers) > 0",
            "rule_ok_but_inputs",
        ),
        ("region + 1", "rule_type_mismatch"),
    ] {
        let r = hr
            .post_json(
                "/api/v1/weight-rules",
                &serde_json::json!({"name": format!("坏{code}"), "condition": condition, "metric_code": "FOC", "weight_bp": 3500}),
            )
            .await;
        if code == "rule_ok_but_inputs" {
            // Valid on sample inputs; a region without the inputs shows an error state, not a crash.
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            let rule = r.json();
            assert!(
                rule["regions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["state"] == "error"),
                "{rule}"
            );
            continue;
        }
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{condition}");
        assert_eq!(r.error_code(), code);
    }
    let over = hr
        .post_json(
            "/api/v1/weight-rules",
            &serde_json::json!({"name": "超过100%", "condition": "true", "metric_code": "FOC", "weight_bp": 10001}),
        )
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        hr.get("/api/v1/weight-rules").await.json()["total"]
            .as_i64()
            .unwrap(),
        before.as_i64().unwrap() + 1,
        "only the valid rule was saved"
    );
    let employee = app.login("employee").await;
    let denied = employee
        .post_json("/api/v1/weight-rules", &serde_json::json!({"name": "x", "condition": "true", "metric_code": "FOC", "weight_bp": 1}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn region_metrics_fire_the_rule_after_a_preview() {
    let (app, period) = app().await;
    let hr = app.login("hrbp").await;
    // The page's "preview" before anything is stored: 华东 has no inputs yet.
    let preview = hr
        .post_json(
            "/api/v1/weight-rules/preview",
            &serde_json::json!({"name": "p", "condition": "a_class_new_sign_rate > 0.15", "metric_code": "FOC", "weight_bp": 3500}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    assert_eq!(preview.json()["people"], 0);

    let push = hr
        .put_json("/api/v1/region-metrics/R1", &serde_json::json!({"values": {"a_class_new_sign_rate": 0.18, "a_class_customers": 40}}))
        .await;
    assert_eq!(push.status, StatusCode::OK, "{}", push.text());
    let e1 = app.login("employee").await;
    let board = e1.get("/api/v1/people/E1/goals").await.json();
    let weights: Vec<i64> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["weight_bp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        weights,
        vec![3500, 3900, 2600],
        "6500 rescaled 4500:3000 exactly"
    );
    let page = e1.get("/goals").await.text();
    assert!(
        page.contains("权重规则调整") && page.contains("25% → 35%"),
        "the board explains the change"
    );
    let messages = pulse_store::outbox::list(&app.db, "pending", 50)
        .await
        .unwrap();
    assert!(
        messages.is_empty(),
        "no channel configured: nothing queued, nothing fails"
    );

    // The same numbers again: nothing changes, no new history.
    let history = |db: pulse_store::Db| async move {
        pulse_store::goals::weight_history(
            &db,
            pulse_store::people::by_employee_no(&db, "E1")
                .await
                .unwrap()
                .unwrap()
                .id,
            period,
        )
        .await
        .unwrap()
        .len()
    };
    let n = history(app.db.clone()).await;
    hr.put_json(
        "/api/v1/region-metrics/R1",
        &serde_json::json!({"values": {"a_class_new_sign_rate": 0.18}}),
    )
    .await;
    assert_eq!(history(app.db.clone()).await, n);

    let bad = hr
        .put_json(
            "/api/v1/region-metrics/R1",
            &serde_json::json!({"values": {"headcount": 3}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        hr.put_json(
            "/api/v1/region-metrics/T1",
            &serde_json::json!({"values": {}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "a team is not a region"
    );
    let preview = hr
        .post_json(
            "/api/v1/weight-rules/preview",
            &serde_json::json!({"name": "p", "condition": "a_class_new_sign_rate > 0.15", "metric_code": "KAP", "weight_bp": 5000}),
        )
        .await
        .json();
    let r1 = preview["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "R1")
        .unwrap()
        .clone();
    assert_eq!(
        (r1["fires"].clone(), r1["people"].clone()),
        (serde_json::json!(true), serde_json::json!(3))
    );
    assert_eq!(
        (r1["before_bp"].clone(), r1["after_bp"].clone()),
        (serde_json::json!(3900), serde_json::json!(5000))
    );
}

#[tokio::test]
async fn a_request_through_the_pages_and_a_closed_period() {
    let (app, period) = app().await;
    let e1 = app.login("employee").await;
    let board = e1.get("/api/v1/people/E1/goals").await.json();
    let sales = board["items"][2]["id"].as_i64().unwrap();
    let r = e1
        .post_json(
            &format!("/api/v1/goals/{sales}/check-ins"),
            &serde_json::json!({"actual": "55", "note": "半程"}),
        )
        .await;
    assert_eq!(r.json()["progress_bp"], 5500, "55 of 100");
    let too_far = e1
        .post_form(
            "/goals/adjustments",
            &[
                ("goal_id", &sales.to_string()),
                ("new_target", "110.01"),
                ("reason", "政策"),
            ],
            true,
        )
        .await;
    assert_eq!(too_far.status, StatusCode::OK);
    let text = too_far.text();
    assert!(text.contains("超过单次申请上限 10%"), "the page says why");
    assert!(
        text.contains("value=\"110.01\"") && text.contains(">政策</textarea>"),
        "the refused request keeps what was typed"
    );
    assert!(
        text.contains("<details open>\n      <summary>申请微调"),
        "the refused form stays open on its card"
    );
    let sent = e1
        .post_form(
            "/goals/adjustments",
            &[
                ("goal_id", &sales.to_string()),
                ("new_target", "110"),
                ("reason", "新增两家三甲医院"),
            ],
            true,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    // Revised: the second request replaces the first, which is shown folded.
    let sent = e1
        .post_form(
            "/goals/adjustments",
            &[
                ("goal_id", &sales.to_string()),
                ("new_target", "110"),
                ("reason", "新增两家三甲医院"),
            ],
            true,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let board = e1.get("/goals").await.text();
    assert!(
        board.contains("已被新申请替代（1）"),
        "withdrawn requests are folded"
    );
    let list = e1.get("/api/v1/goal-adjustments").await.json();
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(list["items"][0]["approver_name"], "邓总监");
    let director = app.login("director").await;
    let page = director
        .get(&format!("/goals/adjustments/{id}"))
        .await
        .text();
    assert!(
        page.contains("100% → 110%") && page.contains("批准"),
        "values carry their unit"
    );
    let manager = app.login("manager").await;
    assert_eq!(
        manager
            .get(&format!("/goals/adjustments/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "neither requester nor approver"
    );
    let rejected = director
        .post_form(
            &format!("/goals/adjustments/{id}/decide"),
            &[("decision", "reject"), ("comment", "")],
            true,
        )
        .await;
    assert!(rejected.text().contains("驳回时请写明原因"));
    let approved = director
        .post_form(
            &format!("/goals/adjustments/{id}/decide"),
            &[("decision", "approve"), ("comment", "同意")],
            true,
        )
        .await;
    // POST-redirect-GET: a refresh of the result does not decide again.
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let to = approved.headers["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/goals/adjustments/{id}?decided=1"));
    assert!(director.get(&to).await.text().contains("已批准"));
    let inbox = e1.get("/api/v1/inbox").await.json();
    let told = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "adjustment_decided")
        .expect("the requester is told in their inbox")
        .clone();
    assert!(
        told["subject"].as_str().unwrap().contains("已批准"),
        "{told}"
    );
    assert_eq!(told["link"], format!("/goals/adjustments/{id}"));
    assert_eq!(
        e1.get(&format!("/goals/adjustments/{id}")).await.status,
        StatusCode::OK
    );
    let after = e1.get("/api/v1/people/E1/goals").await.json();
    assert_eq!(after["items"][2]["target"], "110");
    assert_eq!(
        after["items"][2]["progress_bp"], 5000,
        "progress follows the approved target at once: 55 of 110"
    );

    let mut tx = app.db.begin().await.unwrap();
    pulse_store::goals::close_period(&mut tx, &pulse_store::Actor::system("hrbp"), period)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let closed = e1
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": sales, "new_target": 105, "reason": "再调"}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert_eq!(closed.error_code(), "period_closed");
    let malformed = e1
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": sales, "new_target": [1], "reason": "x"}),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn check_ins_update_progress_and_the_schedule_applies_rules() {
    let (app, period) = app().await;
    let e1 = app.login("employee").await;
    let board = e1.get("/api/v1/people/E1/goals").await.json();
    let foc = board["items"][0]["id"].as_i64().unwrap();
    let r = e1
        .post_json(
            &format!("/api/v1/goals/{foc}/check-ins"),
            &serde_json::json!({"actual": "28", "note": "两家医院首单"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["progress_bp"], 8000, "28 of 35");
    let bad = e1
        .post_json(
            &format!("/api/v1/goals/{foc}/check-ins"),
            &serde_json::json!({"actual": "二十八"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e2_goal = app
        .login("manager")
        .await
        .get("/api/v1/people/E2/goals")
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let others = e1
        .post_json(
            &format!("/api/v1/goals/{e2_goal}/check-ins"),
            &serde_json::json!({"actual": 1}),
        )
        .await;
    assert_eq!(others.status, StatusCode::NOT_FOUND, "only one's own goals");
    let score = e1.get("/api/v1/people/E1/goals").await.json()["score_bp"].clone();
    assert_eq!(score, 2000, "25 % weight × 80 % progress");

    // Inputs changed by another path (an import): the scheduled job applies the rule.
    let r1 = pulse_store::org::by_code(&app.db, "R1")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut tx = app.db.begin().await.unwrap();
    pulse_store::weight_rules::set_region_metrics(
        &mut tx,
        r1,
        period,
        &[("a_class_new_sign_rate".into(), 0.2)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let jobs = vec![pulse_jobs::weight_rules::job(3_600_000)];
    pulse_jobs::scheduler::tick(&app.db, &jobs, "test", app.db.now_ms())
        .await
        .unwrap();
    let after = e1.get("/api/v1/people/E1/goals").await.json();
    assert_eq!(after["items"][0]["weight_bp"], 3500);

    // HR closes the period: check-ins are refused from then on.
    let hr = app.login("hrbp").await;
    assert_eq!(
        hr.get("/api/v1/periods").await.json()["items"][0]["state"],
        "open"
    );
    let closed = hr
        .post_json("/api/v1/periods/TQ/close", &serde_json::json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text());
    let again = hr
        .post_json("/api/v1/periods/TQ/close", &serde_json::json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let frozen = e1
        .post_json(
            &format!("/api/v1/goals/{foc}/check-ins"),
            &serde_json::json!({"actual": 30}),
        )
        .await;
    assert_eq!(frozen.status, StatusCode::CONFLICT);
    assert_eq!(frozen.error_code(), "period_closed");
}

#[tokio::test]
async fn targets_and_weights_import_all_or_nothing_and_round_trip() {
    let (app, _) = app().await;
    let hr = app.login("hrbp").await;
    let weights = |no: &'static str| {
        let db = app.db.clone();
        async move {
            let id = pulse_store::people::by_employee_no(&db, no)
                .await
                .unwrap()
                .unwrap()
                .id;
            let p = pulse_store::goals::period_by_code(&db, "TQ")
                .await
                .unwrap()
                .unwrap();
            pulse_store::goals::person_goals(&db, id, p.id)
                .await
                .unwrap()
                .iter()
                .map(|g| (g.base_weight_bp, g.target.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
        }
    };
    let before = weights("E1").await;
    let bad = crate::support::xlsx(&[
        &["工号", "姓名", "指标编码", "目标值", "权重"],
        &["E1", "易销售", "FOC", "36", "30%"],
        &["E1", "易销售", "KAP", "60", "40%"],
        &["E1", "易销售", "SALES", "100", "29.99%"],
        &["E2", "尔销售", "FOC", "35", "50%"],
        &["E2", "尔销售", "KAP", "60", "50%"],
        &["E9", "无此人", "FOC", "35", "100%"],
        &["D1", "邓总监", "NOPE", "1", "100%"],
    ]);
    let r = hr.upload("/api/v1/imports/goals?dry_run=false", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = r.json()["report"].clone();
    let errors = report["errors"].as_array().unwrap();
    let rows_with = |needle: &str| -> Vec<i64> {
        errors
            .iter()
            .filter(|e| e["message"].as_str().unwrap().contains(needle))
            .map(|e| e["row"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(rows_with("权重合计为 99.99%"), vec![2, 3, 4], "{report}");
    assert_eq!(rows_with("缺少：销售额达成率"), vec![5, 6], "{report}");
    assert_eq!(rows_with("不存在").len(), 2, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(weights("E1").await, before, "nothing applied");

    let good = crate::support::xlsx(&[
        &["工号", "姓名", "指标编码", "目标值", "权重"],
        &["E1", "易销售", "FOC", "36", "30%"],
        &["E1", "易销售", "重点客户渗透率", "60", "40%"],
        &["E1", "易销售", "SALES", "100", "30%"],
        &["D1", "邓总监", "SALES", "120", "100%"],
    ]);
    let dry = hr
        .upload("/api/v1/imports/goals", good.clone())
        .await
        .json()["report"]
        .clone();
    assert!(dry["errors"].as_array().unwrap().is_empty(), "{dry}");
    assert_eq!(weights("E1").await, before, "a dry run writes nothing");
    let done = hr.upload("/api/v1/imports/goals?dry_run=false", good).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    let done = done.json()["report"].clone();
    assert_eq!(
        (
            done["counts"]["created"].clone(),
            done["counts"]["updated"].clone()
        ),
        (serde_json::json!(1), serde_json::json!(1))
    );
    assert_eq!(
        weights("E1").await,
        vec![
            (3000, "36".to_string()),
            (4000, "60".to_string()),
            (3000, "100".to_string())
        ]
    );
    assert_eq!(weights("D1").await, vec![(10_000, "120".to_string())]);

    // Export → import unchanged: everything counts as unchanged.
    let export = hr.get("/export/goals.xlsx").await;
    assert_eq!(export.status, StatusCode::OK);
    let again = hr
        .upload("/api/v1/imports/goals?dry_run=false", export.body.to_vec())
        .await
        .json()["report"]
        .clone();
    assert!(again["errors"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(again["counts"]["updated"], 0, "{again}");
    assert_eq!(
        again["counts"]["unchanged"].as_i64().unwrap(),
        5,
        "E1, E2, E4, M1, D1"
    );
}

#[tokio::test]
async fn templates_give_a_job_family_its_kpis_and_approvers_are_configurable() {
    let (app, _) = app().await;
    let hr = app.login("hrbp").await;
    let bad = hr
        .put_json(
            "/api/v1/goal-templates/服务工程师",
            &serde_json::json!({"lines": [{"metric_code": "FOC", "weight_bp": 6000}, {"metric_code": "KAP", "weight_bp": 3000}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_code(), "weights_not_100");
    let metric = hr
        .put_json("/api/v1/metrics/SVC", &serde_json::json!({"name": "服务时效达成率", "unit": "%", "direction": "higher", "source": "events"}))
        .await;
    assert_eq!(metric.status, StatusCode::NO_CONTENT);
    assert_eq!(
        hr.put_json(
            "/api/v1/metrics/X",
            &serde_json::json!({"name": "x", "direction": "sideways", "source": "manual"})
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The page form: lines as typed, then "save and apply".
    let page = hr
        .post_form(
            "/goals/setup/templates",
            &[
                ("job_family", "服务工程师"),
                ("lines", "SVC 60% 92\nKAP 40%"),
                ("action", "apply"),
            ],
            true,
        )
        .await;
    assert!(
        page.text().contains("模板已保存并下发给 1 人"),
        "{}",
        page.text()
    );
    let engineer = app.login("engineer").await;
    let board = engineer.get("/api/v1/people/E3/goals").await.json();
    let weights: Vec<i64> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["weight_bp"].as_i64().unwrap())
        .collect();
    assert_eq!(weights, vec![6000, 4000]);
    let again = hr
        .post_json(
            "/api/v1/goal-templates/服务工程师/apply",
            &serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(again["people"], 0, "people with goals are left alone");
    let typo = hr
        .post_form(
            "/goals/setup/templates",
            &[("job_family", "x"), ("lines", "SVC sixty")],
            true,
        )
        .await;
    assert!(typo.text().contains("不是有效的权重"));

    // A configured approver for 上海销售一组 takes over from the director.
    let set = hr
        .put_json(
            "/api/v1/org-units/T1/approver",
            &serde_json::json!({"approver": "M1"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT);
    let e1 = app.login("employee").await;
    let goal = e1.get("/api/v1/people/E1/goals").await.json()["items"][2]["id"]
        .as_i64()
        .unwrap();
    let a = e1
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": goal, "new_target": 105, "reason": "新医院"}),
        )
        .await
        .json();
    assert_eq!(a["approver_name"], "马主管");
    assert_eq!(
        hr.put_json(
            "/api/v1/org-units/T1/approver",
            &serde_json::json!({"approver": "NOBODY"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert!(hr.get("/goals/setup").await.text().contains("服务工程师"));
}

#[tokio::test]
async fn archiving_gives_the_weight_back_and_progress_rolls_up() {
    let (app, _) = app().await;
    let e1 = app.login("employee").await;
    let items = e1.get("/api/v1/people/E1/goals").await.json()["items"].clone();
    let (foc, kap) = (
        items[0]["id"].as_i64().unwrap(),
        items[1]["id"].as_i64().unwrap(),
    );
    e1.post_json(
        &format!("/api/v1/goals/{foc}/check-ins"),
        &serde_json::json!({"actual": 35}),
    )
    .await;
    e1.post_json(
        &format!("/api/v1/goals/{kap}/check-ins"),
        &serde_json::json!({"actual": 30}),
    )
    .await;
    let manager = app.login("manager").await;
    let team = manager.get("/goals/team").await.text();
    assert!(
        team.contains("上海销售一组：首单转化提升"),
        "the team's KR is listed"
    );

    let kr = items[0]["parent_id"].as_i64().unwrap();
    let rolled = pulse_store::goals::rollup_progress(&app.db, kr)
        .await
        .unwrap();
    // Under the KR: E1, E2, E4 and M1's three KPIs each (the test org links
    // them all there); only E1's FOC (100 %, w 2500) and KAP (50 %, w 4500) have progress.
    let expected = (2500 * 10_000 + 4500 * 5_000) / ((2500 + 4500 + 3000) * 4);
    assert_eq!(rolled, expected);

    let hr = app.login("hrbp").await;
    assert_eq!(
        e1.post_json(
            &format!("/api/v1/goals/{kap}/archive"),
            &serde_json::json!({})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = hr
        .post_json(
            &format!("/api/v1/goals/{kap}/archive"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let after = e1.get("/api/v1/people/E1/goals").await.json();
    let weights: Vec<i64> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["weight_bp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        weights,
        vec![4545, 5455],
        "2500:3000 of 10000, largest remainder"
    );
    assert_eq!(after["weight_total_bp"], 10_000);
    assert_eq!(
        hr.post_json(
            &format!("/api/v1/goals/{kap}/archive"),
            &serde_json::json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        pulse_store::goals::rollup_progress(&app.db, kr)
            .await
            .unwrap(),
        4545 * 10_000 / 40_000,
        "the archived KPI no longer counts; FOC now weighs 45.45 %"
    );
}

#[tokio::test]
async fn hr_grows_the_goal_tree_with_the_right_levels() {
    let (app, _) = app().await;
    let hr = app.login("hrbp").await;
    let e1 = app.login("employee").await;
    let chain = e1.get("/api/v1/people/E1/goals").await.json()["items"][0]["chain"].clone();
    let (kr, top) = (
        chain[0]["id"].as_i64().unwrap(),
        chain[2]["id"].as_i64().unwrap(),
    );
    let objective = hr
        .post_json("/api/v1/goals", &serde_json::json!({"kind": "objective", "title": "华南大区：新客户开拓", "unit": "R2", "parent_id": top}))
        .await;
    assert_eq!(
        objective.status,
        StatusCode::CREATED,
        "{}",
        objective.text()
    );
    let objective = objective.json()["id"].as_i64().unwrap();
    let wrong = hr
        .post_json("/api/v1/goals", &serde_json::json!({"kind": "key_result", "title": "挂错层级", "unit": "T3", "parent_id": kr}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.error_code(), "invalid_parent");
    assert_eq!(
        hr.post_json(
            "/api/v1/goals",
            &serde_json::json!({"kind": "kpi", "title": "x", "unit": "T3"})
        )
        .await
        .error_code(),
        "invalid_goal_kind"
    );
    assert_eq!(
        hr.post_json(
            "/api/v1/goals",
            &serde_json::json!({"kind": "objective", "title": "x", "unit": "NOPE"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let page = hr
        .post_form(
            "/goals/setup/goals",
            &[
                ("kind", "key_result"),
                ("unit", "T3"),
                ("title", "广州销售一组：首单转化提升"),
                ("parent_id", &objective.to_string()),
            ],
            true,
        )
        .await
        .text();
    assert!(page.contains("已加入目标树"), "{page}");
    assert!(
        page.contains("华南大区：新客户开拓"),
        "the new objective is offered as a parent"
    );
}

#[tokio::test]
async fn team_leads_add_and_rename_their_own_key_results() {
    let (app, _) = app().await;
    let m1 = app.login("manager").await;
    let e1 = app.login("employee").await;
    let hr = app.login("hrbp").await;
    let chain = e1.get("/api/v1/people/E1/goals").await.json()["items"][0]["chain"].clone();
    let (kr, objective, top) = (
        chain[0]["id"].as_i64().unwrap(),
        chain[1]["id"].as_i64().unwrap(),
        chain[2]["id"].as_i64().unwrap(),
    );
    let body = |unit: &str, kind: &str| serde_json::json!({"kind": kind, "title": "A类客户季度拜访全覆盖", "unit": unit, "parent_id": objective});
    let added = m1
        .post_json("/api/v1/goals", &body("T1", "key_result"))
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let added = added.json()["id"].as_i64().unwrap();
    // Another team, a region above, a company goal: outside a team lead's reach.
    for (unit, kind) in [("T2", "key_result"), ("R1", "objective"), ("T1", "company")] {
        let r = m1.post_json("/api/v1/goals", &body(unit, kind)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{unit} {kind}");
    }
    assert_eq!(
        e1.post_json("/api/v1/goals", &body("T1", "key_result"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The director reaches every team of the region.
    let d1 = app.login("director").await;
    assert_eq!(
        d1.post_json("/api/v1/goals", &body("T2", "key_result"))
            .await
            .status,
        StatusCode::CREATED
    );

    let renamed = m1
        .patch_json(
            &format!("/api/v1/goals/{added}"),
            &serde_json::json!({"title": "A类客户拜访覆盖率 100%", "target": "100"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::NO_CONTENT, "{}", renamed.text());
    let g = pulse_store::goals::goal(&app.db, added)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (g.title.as_str(), g.target.as_deref()),
        ("A类客户拜访覆盖率 100%", Some("100"))
    );
    let bad = m1
        .patch_json(
            &format!("/api/v1/goals/{added}"),
            &serde_json::json!({"title": "  ", "target": "abc"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let g2 = pulse_store::goals::goal(&app.db, added)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g2.title, g.title, "a refused edit changes nothing");
    assert_eq!(
        m1.patch_json(
            &format!("/api/v1/goals/{top}"),
            &serde_json::json!({"title": "改公司目标"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "company goals are HR's"
    );
    // A personal KPI's target changes only through an adjustment request.
    let kpi = e1.get("/api/v1/people/E1/goals").await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = hr
        .patch_json(
            &format!("/api/v1/goals/{kpi}"),
            &serde_json::json!({"target": "1"}),
        )
        .await;
    assert_eq!(r.error_code(), "personal_goal");
    // The team board form does the same, and the setup page shows the tree.
    let page = m1
        .post_form(
            "/goals/team/goals",
            &[
                ("unit", "T1"),
                ("title", "老客户复购提升"),
                ("parent_id", &objective.to_string()),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let board = m1.get("/goals/team?ok=added").await.text();
    assert!(board.contains("老客户复购提升") && board.contains("关键结果已加入"));
    let setup = hr.get("/goals/setup").await.text();
    let (at_top, at_kr) = (
        setup.find(&chain[2]["title"].as_str().unwrap().to_string()),
        setup.find("老客户复购提升"),
    );
    assert!(at_top.is_some() && at_kr.is_some() && at_top < at_kr);
    assert!(setup.contains(&format!("/goals/setup/goals/{kr}")));
    // Closed periods are frozen for edits too.
    hr.post_json("/api/v1/periods/TQ/close", &serde_json::json!({}))
        .await;
    let r = m1
        .patch_json(
            &format!("/api/v1/goals/{added}"),
            &serde_json::json!({"title": "关账后改名"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

/// The board's 打卡 form is POST-redirect-GET: success lands on the board
/// with its message (a refresh does not check in twice); a refusal stays on
/// the page with the reason.
#[tokio::test]
async fn the_check_in_form_redirects_after_success_and_explains_a_refusal() {
    let (app, _period) = app().await;
    let e1 = app.login("employee").await;
    let board = e1.get("/api/v1/people/E1/goals").await.json();
    let foc = board["items"][0]["id"].as_i64().unwrap();
    let sent = e1
        .post_form(
            &format!("/goals/{foc}/check-in"),
            &[("actual", "28"), ("note", "")],
            true,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let to = sent.headers["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/goals?checked_in={foc}"));
    assert!(e1.get(&to).await.text().contains("打卡已记录"));
    let after = e1.get("/api/v1/people/E1/goals").await.json();
    assert_eq!(after["items"][0]["progress_bp"], 8000);
    let refused = e1
        .post_form(
            &format!("/goals/{foc}/check-in"),
            &[("actual", "二十八")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.text().contains("不是有效的数字"),
        "{}",
        refused.text()
    );
    let unchanged = e1.get("/api/v1/people/E1/goals").await.json();
    assert_eq!(unchanged["items"][0]["progress_bp"], 8000);
}
