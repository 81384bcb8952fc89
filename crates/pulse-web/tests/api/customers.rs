//! CRM customers (X3): push, import, pull from a local CRM stand-in, and the
//! A-class list driving the weight rule's region inputs.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use crate::support::{TestApp, seed_goals};

fn customer(id: &str, name: &str, tier: &str, region: &str, signed: &str) -> serde_json::Value {
    serde_json::json!({"external_id": id, "name": name, "tier": tier, "region": region, "owner": "E1", "signed_on": signed})
}

#[tokio::test]
async fn pushed_a_class_signings_fire_the_rule_and_bad_batches_change_nothing() {
    let app = TestApp::new().await;
    seed_goals(&app.db).await;
    let hr = app.login("hrbp").await;
    let today = app.db.today();
    let long_ago = "2020-01-01".to_string();
    let recent = today.format("%Y-%m-%d").to_string();

    let bad = hr
        .post_json(
            "/api/v1/customers",
            &serde_json::json!({"items": [
                customer("H1", "瑞金医院", "A", "华东大区", &long_ago),
                customer("H2", "中山医院", "D", "华东大区", &long_ago),
                {"external_id": "H3", "name": "华山医院", "tier": "A", "region": "火星大区", "owner": "NOBODY"},
            ]}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    let fields: Vec<(i64, String)> = bad.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            (1, "tier".into()),
            (2, "region".into()),
            (2, "owner".into())
        ]
    );
    assert_eq!(
        hr.get("/api/v1/customers").await.json()["total"],
        0,
        "nothing stored"
    );

    // 10 A-class customers before the period, 2 signed in it: 20 % > 15 %.
    let mut items: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            customer(
                &format!("A{i}"),
                &format!("华东医院{i}"),
                "A类",
                "R1",
                &long_ago,
            )
        })
        .collect();
    items.push(customer("N1", "新华医院", "A", "华东大区", &recent));
    items.push(customer("N2", "仁济医院", "A", "R1", &recent));
    items.push(customer("B1", "普陀区中心医院", "B", "R1", &recent));
    let ok = hr
        .post_json("/api/v1/customers", &serde_json::json!({"items": items}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["created"], 13);
    let again = hr
        .post_json("/api/v1/customers", &serde_json::json!({"items": items}))
        .await
        .json();
    assert_eq!(
        again["unchanged"], 13,
        "pushing the same list twice changes nothing"
    );

    let e1 = app.login("employee").await;
    let a = e1.get("/api/v1/customers?tier=A&region=R1").await.json();
    assert_eq!(a["total"], 12);
    let search = e1.get("/api/v1/customers?q=xhyy").await.json();
    assert_eq!(
        search["items"][0]["name"], "新华医院",
        "pinyin initials find customers"
    );
    let rules = e1.get("/api/v1/weight-rules").await.json();
    let r1 = rules["items"][0]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "R1")
        .unwrap()
        .clone();
    assert_eq!(r1["state"], "active", "{r1}");
    assert_eq!(r1["inputs"]["a_class_new_sign_rate"], 0.2);
    let board = e1.get("/api/v1/people/E1/goals").await.json();
    assert_eq!(board["items"][0]["weight_bp"], 3500);
    let page = e1.get("/customers?tier=A").await.text();
    assert!(page.contains("新华医院"));
}

#[tokio::test]
async fn customers_import_from_a_sheet() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let bad = crate::support::xlsx(&[
        &[
            "客户编码",
            "客户名称",
            "客户等级",
            "大区",
            "负责人工号",
            "签约日期",
        ],
        &["C1", "瑞金医院", "A", "华东大区", "E1", "2026-10-15"],
        &["C1", "瑞金医院（重复）", "A", "华东大区", "E1", ""],
        &["C2", "", "E", "R9", "", "昨天"],
    ]);
    let r = hr
        .upload("/api/v1/imports/customers?dry_run=false", bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rows: Vec<i64> = r.json()["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_i64().unwrap())
        .collect();
    assert!(rows.contains(&3) && rows.contains(&4), "{rows:?}");
    let good = crate::support::xlsx(&[
        &[
            "客户编码",
            "客户名称",
            "客户等级",
            "大区",
            "负责人工号",
            "签约日期",
        ],
        &["C1", "瑞金医院", "A", "华东大区", "E1", "2026-10-15"],
        &["C2", "广州市第一人民医院", "B", "R2", "", ""],
    ]);
    let r = hr
        .upload("/api/v1/imports/customers?dry_run=false", good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(hr.get("/api/v1/customers").await.json()["total"], 2);
}

#[tokio::test]
async fn pulls_follow_the_mapping_and_failures_change_nothing() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    // A CRM stand-in: the answer is switched by the test.
    let answer: Arc<Mutex<(u16, String)>> = Arc::new(Mutex::new((200, String::new())));
    let a = answer.clone();
    let crm = axum::Router::new().route(
        "/api/customers",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let a = a.clone();
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok())
                    != Some("Bearer crm-token")
                {
                    return (axum::http::StatusCode::UNAUTHORIZED, String::from("{}"));
                }
                if a.lock().unwrap().0 == 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                }
                let (status, body) = a.lock().unwrap().clone();
                (
                    axum::http::StatusCode::from_u16(status.max(200)).unwrap(),
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, crm).await });

    let mapping = serde_json::json!({"items": "/data/list", "external_id": "/id", "name": "/hospital/name", "tier": "/level", "region": "/area", "owner": "/sales_no", "signed_on": "/contract/date"});
    let bad_mapping = hr
        .put_json("/api/v1/crm-sources/销售易", &serde_json::json!({"url": format!("{base}/api/customers"), "mapping": {"external_id": "id", "name": "/n", "tier": "/t", "region": "/r"}}))
        .await;
    assert_eq!(bad_mapping.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_url = hr
        .put_json(
            "/api/v1/crm-sources/销售易",
            &serde_json::json!({"url": "ftp://crm", "mapping": mapping}),
        )
        .await;
    assert_eq!(bad_url.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = hr
        .put_json(
            "/api/v1/crm-sources/销售易",
            &serde_json::json!({"url": format!("{base}/api/customers"), "token": "crm-token", "mapping": mapping, "enabled": true}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.text());
    let listed = hr.get("/api/v1/crm-sources").await.text();
    assert!(
        !listed.contains("crm-token") && listed.contains("\"has_token\":true"),
        "{listed}"
    );

    *answer.lock().unwrap() = (200, serde_json::json!({"data": {"list": [
        {"id": 9001, "hospital": {"name": "瑞金医院"}, "level": "A", "area": "华东大区", "sales_no": "E1", "contract": {"date": "2026-10-15T08:00:00Z"}},
        {"id": "9002", "hospital": {"name": "广州市第一人民医院"}, "level": "B", "area": "R2"},
    ]}}).to_string());
    let pulled = hr
        .post_json("/api/v1/crm-sources/销售易/pull", &serde_json::json!({}))
        .await;
    assert_eq!(pulled.status, StatusCode::OK, "{}", pulled.text());
    assert_eq!(pulled.json()["created"], 2);
    let list = hr.get("/api/v1/customers?tier=A").await.json();
    assert_eq!(list["items"][0]["external_id"], "9001");
    assert_eq!(list["items"][0]["signed_on"], "2026-10-15");

    for (status, body, needle) in [
        (200, "<html>维护中</html>".to_string(), "不是有效的 JSON"),
        (500, "{}".to_string(), "HTTP 500"),
        (200, serde_json::json!({"data": {}}).to_string(), "没有找到客户列表"),
        (200, serde_json::json!({"data": {"list": [{"id": 1, "hospital": {"name": "x"}, "level": "Z", "area": "华东大区"}]}}).to_string(), "客户等级"),
    ] {
        *answer.lock().unwrap() = (status, body);
        let r = hr.post_json("/api/v1/crm-sources/销售易/pull", &serde_json::json!({})).await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY);
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
        assert_eq!(hr.get("/api/v1/customers").await.json()["total"], 2, "nothing changed");
    }
    let last = hr.get("/api/v1/crm-sources").await.json();
    assert!(
        last["items"][0]["last_result"]
            .as_str()
            .unwrap()
            .starts_with("失败")
    );

    // A CRM that does not answer in time: the pull gives up with a clear reason.
    answer.lock().unwrap().0 = 0;
    let source = pulse_store::customers::sources(&app.db)
        .await
        .unwrap()
        .remove(0);
    let quick = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let outcome = pulse_jobs::crm::pull(&app.db, &quick, &source)
        .await
        .unwrap();
    assert_eq!(outcome.unwrap_err(), "CRM 接口超时");
}
