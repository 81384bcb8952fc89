//! What the OpenAPI document promises about inputs is what the server does
//! (issue 12 §4): bounds are refused rather than silently clamped, a whole
//! float is an integer, closed vocabularies are enums, and the few rules the
//! fuzzer found missing.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn list_limits_outside_the_documented_range_are_refused_not_clamped() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    for path in [
        "/api/v1/events?limit=501",
        "/api/v1/events?limit=0",
        "/api/v1/customers?limit=2001",
        "/api/v1/audit?limit=1001",
        "/api/v1/inbox?page=10001",
        "/api/v1/inbox?per_page=201",
        "/api/v1/people?page=9223372036854775807",
        "/api/v1/people?per_page=101",
    ] {
        let r = hr.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        assert_eq!(r.error_code(), "bad_request", "{path}");
    }
    for path in [
        "/api/v1/events?limit=500",
        "/api/v1/customers?limit=2000",
        "/api/v1/audit?limit=1000",
        "/api/v1/inbox?page=10000&per_page=200",
        "/api/v1/people?per_page=100",
    ] {
        assert_eq!(hr.get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn query_vocabularies_are_enums() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    for path in [
        "/api/v1/inbox?state=closed",
        "/api/v1/people?status=gone",
        "/api/v1/customers?tier=D",
    ] {
        let r = hr.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unknown variant"),
            "{path}"
        );
    }
    let all = hr.get("/api/v1/people?status=all").await.json();
    let active = hr.get("/api/v1/people").await.json();
    assert!(all["total"].as_i64() >= active["total"].as_i64());
    assert_eq!(
        hr.get("/api/v1/customers?tier=A").await.status,
        StatusCode::OK
    );
    assert_eq!(
        hr.get("/api/v1/inbox?state=all").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_whole_float_is_an_integer_and_a_fraction_is_not() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let r = hr
        .put_json(
            "/api/v1/digest-settings",
            &json!({"min_count": 6.0, "rise_pct": 50, "weekday": 2.0, "hour": 9.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        hr.get("/api/v1/digest-settings").await.json(),
        json!({"min_count": 6, "rise_pct": 50, "weekday": 2, "hour": 9})
    );
    let r = hr
        .put_json(
            "/api/v1/digest-settings",
            &json!({"min_count": 6.5, "rise_pct": 50, "weekday": 2, "hour": 9}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_body");
    assert!(
        r.text().contains("min_count"),
        "names the field: {}",
        r.text()
    );
    assert_eq!(
        hr.get("/api/v1/digest-settings").await.json()["min_count"],
        6
    );
}

#[tokio::test]
async fn an_event_field_of_the_wrong_type_is_refused() {
    let app = TestApp::new().await;
    let e = app.login("employee").await;
    let before = count(&app, "events").await;
    for body in [
        json!({"type": "visit", "employee_no": {}}),
        json!({"type": ["visit"]}),
        json!({"type": 3}),
    ] {
        let r = e.post_json("/api/v1/events", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(count(&app, "events").await, before);
}

#[tokio::test]
async fn hr_cannot_mark_themselves_as_having_left() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let me = hr.get("/api/v1/me").await.json();
    let no = me["employee_no"].as_str().unwrap().to_string();
    let r = hr
        .patch_json(&format!("/api/v1/people/{no}"), &json!({"status": "left"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.error_code(), "own_departure");
    // Whatever the spelling the status parser takes.
    let r = hr
        .patch_json(&format!("/api/v1/people/{no}"), &json!({"status": "离职"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(
        hr.get("/api/v1/me").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let person = hr.get(&format!("/api/v1/people/{no}")).await.json();
    assert_eq!(person["status"], "active");
    // Someone else can still be recorded as leaving.
    let r = hr
        .patch_json("/api/v1/people/E4", &json!({"status": "left"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn a_new_password_has_at_most_64_characters() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let long = "密".repeat(65);
    let r = admin
        .put_json(
            "/api/v1/accounts/employee/password",
            &json!({"password": long}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.error_code(), "password_too_long");
    let ok = "密".repeat(64);
    let r = admin
        .put_json(
            "/api/v1/accounts/employee/password",
            &json!({"password": ok}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}

#[tokio::test]
async fn a_crm_mapping_pointer_is_bounded() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let long = format!("/{}", "a".repeat(200));
    let r = hr
        .put_json(
            "/api/v1/crm-sources/demo",
            &json!({"url": "http://127.0.0.1:9/list", "enabled": false,
                    "mapping": {"external_id": long, "name": "/n", "tier": "/t", "region": "/r"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.error_code(), "invalid_mapping");
}
