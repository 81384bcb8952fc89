//! The demo organisation as external checks see it (issue 2 §10).

use axum::http::StatusCode;

use crate::support::{TestApp, build_demo, demo_login};

#[tokio::test]
async fn demo_accounts_and_scopes() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    assert!(pulse_demo::exists(&app.db).await.unwrap());

    let hr = demo_login(&app, "hrbp").await;
    let all = hr.get("/api/v1/people?per_page=1").await.json();
    assert_eq!(all["total"], 2342);
    let units = hr.get("/api/v1/org-units").await.json();
    let regions: Vec<&serde_json::Value> = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"] == "region")
        .collect();
    assert_eq!(regions.len(), 17);
    // Count the job families through the export, which carries every column.
    let wb = hr.get("/export/people.xlsx").await;
    let grid = pulse_sheets::read(&wb.body).unwrap();
    let count = |job: &str| {
        grid.rows
            .iter()
            .filter(|r| r.get(5).map(|c| c.as_text()) == Some(job.to_string()))
            .count()
    };
    assert_eq!(
        (count("销售代表"), count("服务工程师"), count("客服专员")),
        (1400, 500, 200)
    );

    let director = demo_login(&app, "director").await;
    let me = director.get("/api/v1/me").await.json();
    assert_eq!(me["org_unit"]["name"], "华东大区");
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "director")
    );
    let region = director.get("/api/v1/people?per_page=1").await.json();
    let hd = regions.iter().find(|u| u["name"] == "华东大区").unwrap();
    assert_eq!(region["total"], hd["total_headcount"]);

    let manager = demo_login(&app, "manager").await;
    let m = manager.get("/api/v1/me").await.json();
    assert!(m["org_unit"]["code"].as_str().unwrap().starts_with("HD-"));
    let team = manager.get("/api/v1/people").await.json();
    let n = team["total"].as_i64().unwrap();
    assert!((9..=16).contains(&n), "a team of 8–15 plus its lead: {n}");

    let employee = demo_login(&app, "employee").await;
    let e = employee.get("/api/v1/me").await.json();
    let mine = employee
        .get(&format!(
            "/api/v1/people/{}",
            e["employee_no"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(mine["job_family"], "销售代表");
    assert_eq!(mine["manager"]["employee_no"], m["employee_no"]);

    let engineer = demo_login(&app, "engineer").await;
    let g = engineer.get("/api/v1/me").await.json();
    let eng = engineer
        .get(&format!(
            "/api/v1/people/{}",
            g["employee_no"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(eng["job_family"], "服务工程师");
    assert!(eng["org_path"].as_str().unwrap().contains("华东大区"));

    // The inbox contract: manager and director have open to-dos.
    for c in [&manager, &director] {
        let inbox = c.get("/api/v1/inbox?state=open").await.json();
        assert!(inbox["total"].as_i64().unwrap() >= 2, "{inbox}");
        assert!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["overdue"] == true),
            "one is overdue"
        );
    }
    // The reminder job ran at build: the director sees the escalation of the
    // region manager's approval that is five days late.
    let escalations: Vec<_> = director.get("/api/v1/inbox?state=open").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "escalation")
        .cloned()
        .collect();
    assert_eq!(escalations.len(), 1, "{escalations:?}");
    assert!(
        escalations[0]["subject"]
            .as_str()
            .unwrap()
            .contains("的待办已逾期5天：审批：上海销售一组的人员调岗申请")
    );
    let prefs = manager
        .get("/api/v1/me/notification-preferences")
        .await
        .json();
    assert_eq!(prefs["quiet_hours"]["start"], "22:00");
    assert!(
        employee.get("/api/v1/inbox").await.json()["total"]
            .as_i64()
            .unwrap()
            >= 1
    );

    let admin = demo_login(&app, "admin").await;
    let channels = admin.get("/api/v1/notify-channels").await.json();
    assert_eq!(
        channels["total"], 19,
        "a robot per region, the WeChat Work app and email"
    );
    assert!(
        channels["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["enabled"] == false),
        "none switched on in the demo"
    );

    for login in ["admin", "committee"] {
        demo_login(&app, login).await;
    }
    let anyone = demo_login(&app, "10500").await;
    assert_eq!(
        anyone.get("/api/v1/me").await.json()["employee_no"],
        "10500",
        "everyone signs in with their 工号"
    );
}

/// Issue 4's contract and stories on the demo: exact weights, the chain to
/// the TOP goals, the seed's rule firing in some regions only, and a
/// target adjustment routed to the director.
#[tokio::test]
async fn demo_goals_rules_and_adjustments() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let employee = demo_login(&app, "employee").await;
    let me = employee.get("/api/v1/me").await.json();
    let no = me["employee_no"].as_str().unwrap().to_string();
    let board = employee
        .get(&format!("/api/v1/people/{no}/goals"))
        .await
        .json();
    let items = board["items"].as_array().unwrap();
    let kpis: Vec<_> = items.iter().filter(|g| g["kind"] == "kpi").collect();
    assert_eq!(kpis.len(), 4, "{board}");
    assert_eq!(
        kpis.iter()
            .map(|g| g["weight_bp"].as_i64().unwrap())
            .sum::<i64>(),
        10_000
    );
    for g in &kpis {
        for key in ["id", "title", "kind", "weight_bp", "target", "parent_id"] {
            assert!(g.get(key).is_some(), "{key} in {g}");
        }
        assert_eq!(
            g["chain"].as_array().unwrap().len(),
            3,
            "KR → objective → TOP: {g}"
        );
    }
    let foc = kpis
        .iter()
        .find(|g| g["title"] == "新客户首单转化率")
        .unwrap();
    assert_eq!(
        foc["weight_bp"], 3500,
        "华东's A-class signings are above 15 %"
    );
    assert_eq!(foc["base_weight_bp"], 2500);
    assert!(
        foc["chain"][2]["title"]
            .as_str()
            .unwrap()
            .starts_with("TOP2")
    );

    let rules = employee.get("/api/v1/weight-rules").await.json();
    let seed_rule = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric_code"] == "FOC" && r["weight_bp"] == 3500)
        .unwrap();
    let state = |name: &str| {
        seed_rule["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state("华东大区"), "active");
    // The rate comes from the CRM list: 8 A-class signings this quarter on 44 before.
    let hd_a = employee
        .get("/api/v1/customers?tier=A&region=HD")
        .await
        .json();
    assert_eq!(hd_a["total"], 52);
    assert_eq!(
        state("华南大区"),
        "inactive",
        "exactly 15 % is not more than 15 %"
    );
    assert!(seed_rule["active_regions"].as_i64().unwrap() >= 2);
    // The older, lower-priority rule on the same KPI also holds in 华东: the page shows the conflict.
    let old_rule = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric_code"] == "FOC" && r["weight_bp"] == 3000)
        .unwrap();
    let hd_old = old_rule["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "华东大区")
        .unwrap();
    assert_eq!(hd_old["state"], "overridden");

    // G6: 10.01 % and an empty reason are refused; the demo already has a
    // pending FOC request from this employee, so use SALES (target 100).
    let sales = kpis.iter().find(|g| g["title"] == "销售额达成率").unwrap();
    let too_far = employee
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": sales["id"], "new_target": "110.01", "reason": "政策变化"}),
        )
        .await;
    assert_eq!(too_far.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_far.error_code(), "adjustment_too_large");
    let no_reason = employee
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": sales["id"], "new_target": 110, "reason": ""}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = employee
        .post_json(
            "/api/v1/goal-adjustments",
            &serde_json::json!({"goal_id": sales["id"], "new_target": 110, "reason": "区域新增两家三甲医院"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let id = ok.json()["id"].as_i64().unwrap();

    let director = demo_login(&app, "director").await;
    let inbox = director.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["link"] == format!("/goals/adjustments/{id}")),
        "{inbox}"
    );
    let approved = director
        .post_json(
            &format!("/api/v1/goal-adjustments/{id}/approve"),
            &serde_json::json!({"comment": "同意"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let after = employee
        .get(&format!("/api/v1/people/{no}/goals"))
        .await
        .json();
    let sales_after = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == sales["id"])
        .unwrap()
        .clone();
    assert_eq!(sales_after["target"], "110");
    let times = director
        .get("/api/v1/goal-adjustments/response-times")
        .await
        .json();
    assert!(!times["items"].as_array().unwrap().is_empty());

    // Pages: the employee's board and the director's team and rule views render.
    let page = employee.get("/goals").await.text();
    assert!(
        page.contains("新客户首单转化率") && page.contains("TOP2"),
        "board shows the chain"
    );
    assert!(
        page.contains("权重规则调整"),
        "the rule's adjustment is explained"
    );
    let hr = demo_login(&app, "hrbp").await;
    assert!(hr.get("/goals/rules").await.text().contains("A类签约增长"));
    // HR's goals export covers everyone (read 500 people per query): one row
    // per active weighted goal of the current period, and the employee's
    // four KPIs among them.
    let export = hr.get("/export/goals.xlsx").await;
    assert_eq!(export.status, StatusCode::OK);
    let grid = pulse_sheets::read(&export.body).unwrap();
    let sql = "SELECT COUNT(*) FROM goals g JOIN people p ON p.id = g.person_id \
               WHERE g.state = 'active' AND g.kind IN ('kpi', 'key_result') AND p.status = 'active' \
               AND g.period_id = (SELECT period_id FROM goals WHERE id = $1)";
    let (expected,): (i64,) = match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as(sql)
            .bind(foc["id"].as_i64().unwrap())
            .fetch_one(p)
            .await
            .unwrap(),
        pulse_store::Pool::Postgres(p) => sqlx::query_as(sql)
            .bind(foc["id"].as_i64().unwrap())
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert!(expected > 1000, "{expected}");
    assert_eq!(
        grid.rows.len() as i64 - 1,
        expected,
        "header + one row per goal"
    );
    let mine = grid
        .rows
        .iter()
        .filter(|r| r.first().map(|c| c.as_text()) == Some(no.clone()))
        .count();
    assert_eq!(mine, 4);
    assert_eq!(director.get("/goals/team").await.status, StatusCode::OK);
}

#[tokio::test]
async fn demo_feedback_story() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let emp = demo_login(&app, "employee").await;
    let tags = emp.get("/api/v1/feedback-tags").await.json();
    assert!(tags["items"].as_array().unwrap().len() >= 6);
    assert!(
        emp.get("/api/v1/rewards").await.json()["items"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
    // This morning's visit waits for its card; writing it earns the point.
    let events = emp.get("/api/v1/events?limit=5").await.json();
    let waiting = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "visit" && e["card_id"].is_null())
        .expect("a visit waiting for its card");
    let before = emp.get("/api/v1/me/points").await.json()["balance"]
        .as_i64()
        .unwrap();
    let card = emp
        .post_json(
            "/api/v1/feedback",
            &serde_json::json!({"event_id": waiting["id"], "observation": "科主任认可方案思路",
                "tags": [{"tag": "沟通质量", "rating": 4}, {"tag": "需求洞察深度", "rating": 4}, {"tag": "方案匹配度", "rating": 5}]}),
        )
        .await;
    assert_eq!(card.status, StatusCode::CREATED, "{}", card.text());
    assert_eq!(card.json()["points_awarded"], 1);
    assert_eq!(
        emp.get("/api/v1/me/points").await.json()["balance"]
            .as_i64()
            .unwrap(),
        before + 1
    );
    // Yesterday's card has the manager's reply waiting for an answer.
    let inbox = emp.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "feedback_reply")
    );
    let mgr = demo_login(&app, "manager").await;
    let inbox = mgr.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "snapshot_review")
    );
    let hr = demo_login(&app, "hrbp").await;
    let inbox = hr.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "reward_fulfilment")
    );

    // The planted story: 价格异议 rises in 华东 in the last two weeks only.
    let cut = pulse_demo::price_story_from(app.db.today());
    let share = |region: &str, recent: bool| {
        let db = app.db.clone();
        let region = region.to_string();
        async move {
            let sql = "SELECT COUNT(*), COUNT(*) FILTER (WHERE f.observation LIKE '%价格异议%') FROM feedback_cards f \
                       JOIN people p ON p.id = f.author_id JOIN org_units u ON u.id = p.org_unit_id \
                       WHERE u.code LIKE $1 AND ((f.created_at >= $2) = $3)";
            let (n, price): (i64, i64) = match db.pool() {
                pulse_store::Pool::Sqlite(p) => sqlx::query_as(sql)
                    .bind(format!("{region}-%"))
                    .bind(cut)
                    .bind(recent)
                    .fetch_one(p)
                    .await
                    .unwrap(),
                pulse_store::Pool::Postgres(p) => sqlx::query_as(sql)
                    .bind(format!("{region}-%"))
                    .bind(cut)
                    .bind(recent)
                    .fetch_one(p)
                    .await
                    .unwrap(),
            };
            price as f64 / n.max(1) as f64
        }
    };
    let (hd_recent, hd_before, hn_recent) = (
        share("HD", true).await,
        share("HD", false).await,
        share("HN", true).await,
    );
    // 华东 always hears it (a real base), more so lately; 华南 rarely.
    assert!(
        (0.15..0.35).contains(&hd_before) && hd_recent > hd_before * 1.15,
        "华东 before {hd_before}, recent {hd_recent}"
    );
    assert!(hn_recent < 0.1, "华南 {hn_recent}");
}

/// Issue 6's story: 价格异议 is flagged in the digests of the managers whose
/// line includes 华东 and in no other; radars differ between strong and
/// weak performers.
#[tokio::test]
async fn demo_digest_and_radar_story() {
    let app = TestApp::empty().await;
    build_demo(&app, 4).await;
    let manager = demo_login(&app, "manager").await;
    let d = manager.get("/api/v1/digests/latest").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let d = d.json();
    let price = d["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "价格异议")
        .expect("价格异议 in the 华东 team's digest");
    assert_eq!(price["flagged"], true, "{price}");
    // A calm, true digest (issue 13 §6): the rise is against a real base
    // ("上升45%", not 1 → 121), and it is the only flag.
    let change = price["change_pct"].as_i64().unwrap_or(-1);
    assert!(
        price["previous"].as_i64().unwrap() >= 3 && (30..=90).contains(&change),
        "{price}"
    );
    let flags: Vec<&str> = d["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["term"].as_str())
        .collect();
    assert_eq!(flags, ["价格异议"], "{}", d["flags"]);
    for t in d["terms"].as_array().unwrap() {
        let term = t["term"].as_str().unwrap();
        assert_ne!(term, "需再", "broken tokens stay out");
        if ["科室", "耗材", "延长", "协调"].contains(&term) {
            assert_eq!(t["flagged"], false, "{t}");
        }
        if let Some(pct) = t["change_pct"].as_i64() {
            assert!(pct <= 400, "no term swings by thousands: {t}");
        }
    }
    // Earlier weeks are one tap away.
    let page = manager.get("/digests").await.text();
    assert!(page.matches("href=\"/digests/").count() >= 2, "history");
    assert!(
        d["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["term"] == "价格异议"),
        "{}",
        d["flags"]
    );
    // The digest is in the manager's inbox, as Monday's job would leave it.
    let inbox = manager.get("/api/v1/inbox?state=open").await.json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "weekly_digest")
    );
    // Every stored digest: flagged exactly when the line reaches into 华东.
    let rows: Vec<(i64, String)> = match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as("SELECT manager_id, body_json FROM digests")
            .fetch_all(p)
            .await
            .unwrap(),
        pulse_store::Pool::Postgres(p) => {
            sqlx::query_as("SELECT manager_id, body_json FROM digests")
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    let units: Vec<(i64, String)> = match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as(
            "SELECT p.id, u.code FROM people p JOIN org_units u ON u.id = p.org_unit_id",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        pulse_store::Pool::Postgres(p) => sqlx::query_as(
            "SELECT p.id, u.code FROM people p JOIN org_units u ON u.id = p.org_unit_id",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    let unit: std::collections::HashMap<i64, String> = units.into_iter().collect();
    let lines = pulse_jobs::digests::reporting_lines(
        &pulse_store::digests::reporting_lines(&app.db)
            .await
            .unwrap(),
    );
    assert!(rows.len() > 100, "one digest per manager: {}", rows.len());
    let mut flagged_east = 0;
    for (m, body) in &rows {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let flagged = v["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["term"] == "价格异议");
        let east = lines[m].iter().any(|p| {
            unit.get(p)
                .is_some_and(|c| c == "HD" || c.starts_with("HD-"))
        });
        if flagged {
            assert!(east, "价格异议 flagged outside 华东 for manager {m}");
            flagged_east += 1;
        }
    }
    assert!(
        flagged_east >= 3,
        "华东 team lead(s), region manager, director"
    );
    // Radars: strong and weak sales reps of one peer group differ visibly.
    let hr = demo_login(&app, "hrbp").await;
    let employee = demo_login(&app, "employee").await;
    let mine = employee.get("/api/v1/me").await.json();
    let no = mine["employee_no"].as_str().unwrap().to_string();
    let r = employee
        .get(&format!("/api/v1/people/{no}/radar"))
        .await
        .json();
    let names: Vec<&str> = r["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "沟通质量",
            "需求洞察深度",
            "重点客户渗透",
            "医疗政策解读",
            "客户关系韧性",
            "绩效评价"
        ]
    );
    // R1: the review score is a radar source: the rep's last released rating.
    let reviews = employee.get("/api/v1/reviews").await.json();
    let released = reviews["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "released")
        .expect("the completed quarter's review is released");
    let axis = r["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "绩效评价")
        .unwrap();
    assert_eq!(axis["raw"], released["rating"], "{axis}");
    assert_eq!(
        axis["value"].as_f64().unwrap(),
        released["rating"].as_f64().unwrap() * 20.0
    );
    let sql = "SELECT employee_no FROM people WHERE job_family = '销售代表' AND level = 'P4' ORDER BY id LIMIT 40";
    let peers: Vec<(String,)> = match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        pulse_store::Pool::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    let mut averages = Vec::new();
    for (no,) in &peers {
        let r = hr.get(&format!("/api/v1/people/{no}/radar")).await.json();
        let vals: Vec<f64> = r["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["value"].as_f64())
            .collect();
        if vals.len() >= 3 {
            averages.push(vals.iter().sum::<f64>() / vals.len() as f64);
        }
    }
    averages.sort_by(f64::total_cmp);
    assert!(averages.len() >= 10, "{averages:?}");
    let spread = averages[averages.len() - 1] - averages[0];
    assert!(spread > 30.0, "strong and weak radars differ: {averages:?}");
}
