//! Organisational health (H1–H4, S3) on the demo at a set clock: the
//! dashboard's before → after computed from the planted rows, scopes per
//! role, the survey contract with its bad input, the anonymity of answers in
//! the database itself, suppression against differencing, and alignment
//! rounds from draw to verdict.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Client, TestApp, build_demo, demo_login, scalar};

const NOW: &str = "2026-12-04 10:00";

fn metric<'a>(d: &'a Value, key: &str) -> &'a Value {
    d["metrics"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["key"] == key))
        .unwrap_or_else(|| panic!("no metric {key}: {d}"))
}

/// Rows of three whole numbers, on either engine.
async fn rows3(app: &TestApp, sql: &str) -> Vec<(i64, i64, i64)> {
    let sql = sql.to_string();
    match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(p)
            .await
            .unwrap(),
        pulse_store::Pool::Postgres(p) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(p)
            .await
            .unwrap(),
    }
}

async fn as_person(app: &TestApp, employee_no: &str) -> Client {
    demo_login(app, employee_no).await
}

#[tokio::test]
async fn the_dashboard_reads_before_and_after_from_raw_rows() {
    let app = TestApp::empty_at(NOW).await;
    build_demo(&app, 3).await;
    let hr = demo_login(&app, "hrbp").await;
    let r = hr.get("/api/v1/org-health").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    assert!(d["unit"].is_null());
    let a = metric(&d, "alignment");
    assert_eq!(a["baseline"], 31.3, "{a}");
    assert_eq!(a["now"], 79.2);
    assert_eq!(a["target"], 76.3);
    assert_eq!(a["n"], 48);
    assert!(a["ci_low"].as_f64().unwrap() < 70.0 && a["ci_high"].as_f64().unwrap() > 85.0);
    assert!(
        a["now_reading"]["computed"]
            .as_str()
            .unwrap()
            .contains("48 人中，38 人")
    );
    // The trust share is the raw counts' share: clear answers of all answers.
    let t = metric(&d, "trust");
    let last = scalar(&app, "SELECT MAX(id) FROM surveys WHERE state = 'closed'").await;
    let all = scalar(
        &app,
        &format!("SELECT CAST(SUM(n) AS BIGINT) FROM survey_counts WHERE survey_id = {last}"),
    )
    .await;
    let clear = scalar(&app, &format!("SELECT CAST(SUM(n) AS BIGINT) FROM survey_counts WHERE survey_id = {last} AND option <= 2")).await;
    assert_eq!(t["n"], all);
    assert_eq!(t["now_reading"]["count"], clear);
    assert_eq!(
        t["now"],
        ((clear as f64 / all as f64) * 1000.0).round() / 10.0
    );
    assert_eq!(t["baseline"], 42.0);
    assert_eq!(t["now"], 86.0);
    // Engagement: own views and clicks of last month ÷ people ÷ weeks.
    let e = metric(&d, "engagement");
    let people = d["people"].as_i64().unwrap();
    let reading = &e["now_reading"];
    assert_eq!(reading["of"], people);
    let per_week = reading["count"].as_f64().unwrap() / people as f64 / (30.0 / 7.0);
    assert!((e["now"].as_f64().unwrap() - per_week).abs() < 0.01, "{e}");
    assert!((e["now"].as_f64().unwrap() - 2.8).abs() < 0.1);
    assert_eq!(
        d["operations"]["review_minutes_median"]
            .as_f64()
            .map(|v| v > 0.0),
        Some(true)
    );
    assert!(d["operations"].get("calibration_minutes_median").is_some());
    assert!(
        d["operations"]
            .get("feedback_per_person_week")
            .unwrap()
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(d["heatmap"].as_array().unwrap().len(), 17);

    // A director sees their region only; another region is not there for them.
    let director = demo_login(&app, "director").await;
    let r = director.get("/api/v1/org-health").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let dd = r.json();
    assert_eq!(dd["unit"]["code"], "HD");
    assert!(dd["people"].as_i64().unwrap() < people);
    assert_eq!(
        director.get("/api/v1/org-health?unit=HN").await.status,
        StatusCode::NOT_FOUND
    );
    // Its heatmap is the region's teams; the small team is hidden, and so is
    // the smallest team beside it.
    let cells: Vec<&Value> = dd["heatmap"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["cells"][1])
        .collect();
    assert_eq!(
        cells.iter().filter(|c| c["suppressed"] == true).count(),
        2,
        "{dd}"
    );
    assert_eq!(
        demo_login(&app, "employee")
            .await
            .get("/api/v1/org-health")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The pages: the dashboard, its workbook, print button, as HR and in English.
    let page = hr.get("/health").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for needle in [
        "目标对齐度",
        "反馈信任度",
        "发展获得感",
        "怎么算的",
        "data-print",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(
        director
            .get("/health")
            .await
            .text()
            .contains("人数不足，不显示")
    );
    let x = hr.get("/health/export.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    let grid = pulse_sheets::read(&x.body).expect("workbook");
    assert!(grid.rows[0].iter().any(|c| c.as_text() == "现在怎么算的"));
    assert_eq!(grid.rows.len(), 4, "header + the three metrics");
    suppression_holds_against_differencing(&app, &hr).await;
}

#[tokio::test]
async fn the_survey_contract_and_its_bad_input() {
    let app = TestApp::empty_at(NOW).await;
    build_demo(&app, 2).await;
    let hr = demo_login(&app, "hrbp").await;
    let r = hr
        .post_json(
            "/api/v1/surveys",
            &json!({"title": "华东 12月", "unit": "HD"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["options"].as_array().unwrap().len(), 5);
    let employee = demo_login(&app, "employee").await;
    let sum_sql = format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM survey_counts WHERE survey_id = {id}"
    );
    // Bad answers change nothing.
    for bad in [
        json!({"answer": 6}),
        json!({"answer": 0}),
        json!({"answer": "maybe"}),
        json!({"answer": null}),
    ] {
        let r = employee
            .post_json(&format!("/api/v1/surveys/{id}/responses"), &bad)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
    }
    assert_eq!(scalar(&app, &sum_sql).await, 0);
    let r = employee
        .post_json(
            &format!("/api/v1/surveys/{id}/responses"),
            &json!({"answer": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["answered"], true);
    let again = employee
        .post_json(
            &format!("/api/v1/surveys/{id}/responses"),
            &json!({"answer": 1}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(scalar(&app, &sum_sql).await, 1);
    // Someone outside the population (HR is not frontline; 华南 is not 华东).
    let r = hr
        .post_json(
            &format!("/api/v1/surveys/{id}/responses"),
            &json!({"answer": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "not_invited");
    // A minimum below 3 is refused and launches nothing.
    let before = scalar(&app, "SELECT COUNT(*) FROM surveys").await;
    let r = hr
        .post_json("/api/v1/surveys", &json!({"title": "x", "min_group": 2}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM surveys").await, before);
    // One answer is under the minimum: no counts at all.
    let r = hr
        .get(&format!("/api/v1/surveys/{id}/results?unit=HD"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["suppressed"], true);
    assert!(r.json()["counts"].is_null());
    // Closed: no more answers.
    assert_eq!(
        hr.post_json(&format!("/api/v1/surveys/{id}/close"), &json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let agent = demo_login(&app, "agent").await;
    let r = agent
        .post_json(
            &format!("/api/v1/surveys/{id}/responses"),
            &json!({"answer": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "survey_closed");
    assert_eq!(scalar(&app, &sum_sql).await, 1);
    // The audit log says who answered, never what.
    let audited = scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'survey.answer' AND before_json IS NULL AND after_json IS NULL").await;
    let answered = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'survey.answer'",
    )
    .await;
    assert_eq!((audited, answered), (1, 1));
}

/// Two people of one team answer two identical surveys with their answers
/// swapped: everything the database holds about the two surveys is the
/// same, so nothing in it can tell who chose what.
#[tokio::test]
async fn no_answer_can_be_tied_to_a_person_from_the_database() {
    let app = TestApp::empty_at(NOW).await;
    build_demo(&app, 2).await;
    let hr = demo_login(&app, "hrbp").await;
    let team = pulse_store::people::by_employee_no(
        &app.db,
        &no_of(&demo_login(&app, "employee").await).await,
    )
    .await
    .unwrap()
    .unwrap()
    .org_unit_id;
    let unit_code = crate::support::text(
        &app,
        &format!("SELECT code FROM org_units WHERE id = {team}"),
    )
    .await;
    let mates = rows3(
        &app,
        &format!("SELECT p.id, p.id, p.id FROM people p WHERE p.org_unit_id = {team} AND p.status = 'active' \
                  AND NOT EXISTS (SELECT 1 FROM people r WHERE r.manager_id = p.id) ORDER BY p.id LIMIT 2"),
    )
    .await;
    let nos: Vec<String> = {
        let mut v = Vec::new();
        for m in &mates {
            v.push(
                crate::support::text(
                    &app,
                    &format!("SELECT login FROM accounts WHERE person_id = {}", m.0),
                )
                .await,
            );
        }
        v
    };
    let mut surveys = Vec::new();
    for title in ["甲", "乙"] {
        let r = hr
            .post_json(
                "/api/v1/surveys",
                &json!({"title": title, "unit": unit_code, "min_group": 3}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        surveys.push(r.json()["id"].as_i64().unwrap());
    }
    let a = as_person(&app, &nos[0]).await;
    let b = as_person(&app, &nos[1]).await;
    for (survey, (x, y)) in surveys.iter().zip([(1, 5), (5, 1)]) {
        for (c, v) in [(&a, x), (&b, y)] {
            let r = c
                .post_json(
                    &format!("/api/v1/surveys/{survey}/responses"),
                    &json!({"answer": v}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
    }
    let dump = |s: i64| {
        let app = &app;
        async move {
            (
                rows3(app, &format!("SELECT person_id, org_unit_id, answered FROM survey_invitees WHERE survey_id = {s} ORDER BY person_id")).await,
                rows3(app, &format!("SELECT org_unit_id, option, n FROM survey_counts WHERE survey_id = {s} ORDER BY org_unit_id, option")).await,
                rows3(app, &format!("SELECT COALESCE(actor_id, 0), CAST(CASE WHEN before_json IS NULL THEN 0 ELSE 1 END AS BIGINT), CAST(CASE WHEN after_json IS NULL THEN 0 ELSE 1 END AS BIGINT) \
                                     FROM audit_log WHERE entity = 'survey' AND entity_id = '{s}' AND action = 'survey.answer' ORDER BY id")).await,
            )
        }
    };
    let (one, two) = (dump(surveys[0]).await, dump(surveys[1]).await);
    assert_eq!(one, two, "the database tells the two surveys apart");
    assert_eq!(one.1.iter().map(|c| c.2).sum::<i64>(), 2);
    // No column of the answers names a person or a time.
    let columns = match app.db.engine() {
        pulse_store::Engine::Sqlite => {
            "SELECT COUNT(*) FROM pragma_table_info('survey_counts') WHERE name NOT IN ('survey_id', 'org_unit_id', 'option', 'n')"
        }
        pulse_store::Engine::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'survey_counts' AND column_name NOT IN ('survey_id', 'org_unit_id', 'option', 'n')"
        }
    };
    assert_eq!(scalar(&app, columns).await, 0);
    // On PostgreSQL an answer rewrites the unit's five cells in one
    // statement: their transaction id names the unit, never the option.
    if app.db.engine() == pulse_store::Engine::Postgres {
        let xmins = scalar(&app, &format!("SELECT COUNT(DISTINCT xmin::text) FROM survey_counts WHERE survey_id = {} AND org_unit_id = {team}", surveys[0])).await;
        assert_eq!(xmins, 1);
    }
}

async fn no_of(c: &Client) -> String {
    c.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The demo's closed survey: 华东's smallest team has 3 respondents. No
/// shown figure minus other shown figures isolates a hidden team.
async fn suppression_holds_against_differencing(app: &TestApp, hr: &Client) {
    let survey = scalar(app, "SELECT MAX(id) FROM surveys").await;
    let region = scalar(app, "SELECT id FROM org_units WHERE code = 'HD'").await;
    let teams = rows3(
        app,
        &format!("SELECT id, id, id FROM org_units WHERE parent_id = {region} ORDER BY id"),
    )
    .await;
    let get = |code: String| async move {
        let r = hr
            .get(&format!("/api/v1/surveys/{survey}/results?unit={code}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()
    };
    let whole = get("HD".into()).await;
    assert_eq!(whole["suppressed"], false);
    let mut shown = 0;
    let mut hidden_with_answers = 0;
    let mut reasons = Vec::new();
    for (team, _, _) in &teams {
        let code = crate::support::text(
            app,
            &format!("SELECT code FROM org_units WHERE id = {team}"),
        )
        .await;
        let r = get(code).await;
        let answered = scalar(app, &format!("SELECT COUNT(*) FROM survey_invitees WHERE survey_id = {survey} AND org_unit_id = {team} AND answered = 1")).await;
        if r["suppressed"] == true {
            assert!(r["counts"].is_null() && r["respondents"].is_null(), "{r}");
            reasons.push(r["reason"].as_str().unwrap().to_string());
            if answered > 0 {
                hidden_with_answers += 1;
            }
        } else {
            assert!(answered >= 5, "a shown team has {answered} respondents");
            shown += r["respondents"].as_i64().unwrap();
        }
    }
    assert!(
        reasons.contains(&"too_few".to_string()) && reasons.contains(&"sibling".to_string()),
        "{reasons:?}"
    );
    // The region minus the shown teams is the sum of at least two hidden ones.
    assert!(whole["respondents"].as_i64().unwrap() > shown);
    assert!(hidden_with_answers >= 2);
}

#[tokio::test]
async fn an_alignment_round_from_draw_to_verdict() {
    let app = TestApp::empty_at(NOW).await;
    build_demo(&app, 2).await;
    let hr = demo_login(&app, "hrbp").await;
    let rounds = scalar(&app, "SELECT COUNT(*) FROM alignment_rounds").await;
    let r = hr
        .post_json(
            "/api/v1/alignment-rounds",
            &json!({"name": "太多", "sample_size": 5000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "sample_too_large");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM alignment_rounds").await,
        rounds
    );
    // The same seed draws the same people.
    let mut drawn = Vec::new();
    for name in ["一", "二"] {
        let r = hr
            .post_json(
                "/api/v1/alignment-rounds",
                &json!({"name": name, "sample_size": 8, "seed": 7, "stratified": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        drawn.push(rows3(&app, &format!("SELECT person_id, org_unit_id, CAST(0 AS BIGINT) FROM alignment_members WHERE round_id = {id} ORDER BY person_id")).await);
    }
    assert_eq!(drawn[0], drawn[1]);
    assert_eq!(drawn[0].len(), 8);
    let id = scalar(&app, "SELECT MAX(id) FROM alignment_rounds").await;
    let no = crate::support::text(
        &app,
        &format!(
            "SELECT employee_no FROM people WHERE id = {}",
            drawn[0][0].0
        ),
    )
    .await;
    let member = as_person(&app, &no).await;
    let top = scalar(&app, "SELECT MIN(id) FROM goals WHERE kind = 'company'").await;
    let tasks = json!({"tasks": [
        {"task": "拜访重点医院", "goal_id": top},
        {"task": "推进招标", "goal_id": top},
        {"task": "报销", "goal_id": null}]});
    let bad = json!({"tasks": [{"task": "x", "goal_id": top}, {"task": "推进招标", "goal_id": top}, {"task": "报销", "goal_id": null}]});
    assert_eq!(
        member
            .post_json(&format!("/api/v1/alignment-rounds/{id}/tasks"), &bad)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM alignment_tasks WHERE round_id = {id}")
        )
        .await,
        0
    );
    let r = member
        .post_json(&format!("/api/v1/alignment-rounds/{id}/tasks"), &tasks)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        member
            .post_json(&format!("/api/v1/alignment-rounds/{id}/tasks"), &tasks)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let outsider = demo_login(&app, "committee").await;
    let r = outsider
        .post_json(&format!("/api/v1/alignment-rounds/{id}/tasks"), &tasks)
        .await;
    assert_eq!(r.error_code(), "not_sampled");
    let queue = hr
        .get(&format!("/api/v1/alignment-tasks?round={id}"))
        .await
        .json();
    let claims: Vec<i64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(claims.len(), 2, "only tasks naming a goal wait: {queue}");
    // Only an HRBP verifies; each claim once.
    let admin = demo_login(&app, "admin").await;
    let path = format!("/api/v1/alignment-tasks/{}/verification", claims[0]);
    assert_eq!(
        admin
            .post_json(&path, &json!({"verdict": "agree"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hr.post_json(&path, &json!({"verdict": "maybe"}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        hr.post_json(&path, &json!({"verdict": "agree"}))
            .await
            .status,
        StatusCode::OK
    );
    let again = hr.post_json(&path, &json!({"verdict": "disagree"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "already_verified");
    let r = hr
        .get(&format!("/api/v1/alignment-rounds/{id}"))
        .await
        .json();
    assert_eq!(r["result"]["pending"], 1, "{r}");
    let path = format!("/api/v1/alignment-tasks/{}/verification", claims[1]);
    assert_eq!(
        hr.post_json(&path, &json!({"verdict": "agree"}))
            .await
            .status,
        StatusCode::OK
    );
    let r = hr
        .get(&format!("/api/v1/alignment-rounds/{id}"))
        .await
        .json();
    assert_eq!(
        (
            r["result"]["aligned"].clone(),
            r["result"]["decided"].clone()
        ),
        (json!(1), json!(1)),
        "{r}"
    );
    // The demo's open round drew `employee`, whose to-do opens the form.
    let employee = demo_login(&app, "employee").await;
    let inbox = employee.get("/inbox").await.text();
    let link = inbox
        .split("href=\"/health/alignment/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("alignment to-do");
    let page = employee.get(&format!("/health/alignment/{link}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("name=\"task1\""));
}
