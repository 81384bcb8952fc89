//! The demo organisation as external checks see it (issue 2 §10).

use axum::http::StatusCode;

use crate::support::TestApp;

async fn demo_login(app: &TestApp, login: &str) -> crate::support::Client {
    let mut c = app.anon();
    let r = c
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": login, "password": pulse_demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.text());
    c.cookie = Some(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
    );
    c
}

#[tokio::test]
async fn demo_accounts_and_scopes() {
    let app = TestApp::empty().await;
    pulse_demo::build(&app.db, pulse_demo::DEFAULT_SEED, &pulse_demo::NoProgress)
        .await
        .expect("demo");
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
