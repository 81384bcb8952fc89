//! The inbox (N1): contract shape, own to-dos only, closing, idempotent
//! creation, closing by source, and transactional creation.

use axum::http::StatusCode;
use pulse_store::inbox::{self, NewTodo, TodoState};

use crate::support::TestApp;

async fn person_id(app: &TestApp, no: &str) -> i64 {
    pulse_store::people::by_employee_no(&app.db, no)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn todo(person_id: i64, source: &str, due_in_ms: Option<i64>) -> NewTodo {
    NewTodo {
        person_id,
        kind: "roster_check".into(),
        subject: pulse_domain::i18n::Both::new(
            format!("核对花名册 {source}"),
            format!("Check the roster {source}"),
        ),
        link: "/org?unit=T1".into(),
        source_key: source.into(),
        due_at: due_in_ms.map(|d| pulse_store::testing::test_clock().now_ms() + d),
    }
}

#[tokio::test]
async fn inbox_contract_and_closing() {
    let app = TestApp::new().await;
    let e1 = person_id(&app, "E1").await;
    let m1 = person_id(&app, "M1").await;
    let mut tx = app.db.begin().await.unwrap();
    let a = inbox::create(&mut tx, &todo(e1, "roster:1", Some(-3_600_000)))
        .await
        .unwrap();
    let again = inbox::create(&mut tx, &todo(e1, "roster:1", Some(-3_600_000)))
        .await
        .unwrap();
    assert_eq!(a, again, "one open to-do per person and thing");
    inbox::create(&mut tx, &todo(e1, "roster:2", Some(86_400_000)))
        .await
        .unwrap();
    let other = inbox::create(&mut tx, &todo(m1, "roster:1", None))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let e = app.login("employee").await;
    let r = e.get("/api/v1/inbox?state=open").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["total"], 2);
    let first = &v["items"][0];
    for key in ["id", "kind", "subject", "link", "due_at", "state"] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    assert_eq!(first["id"], a, "soonest due first");
    assert_eq!(first["overdue"], true);
    assert_eq!(first["state"], "open");

    assert_eq!(
        e.post_json(
            &format!("/api/v1/inbox/{other}/done"),
            &serde_json::json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "someone else's to-do"
    );
    let done = e
        .post_json(&format!("/api/v1/inbox/{a}/done"), &serde_json::json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.json()["state"], "done");
    assert_eq!(
        e.post_json(
            &format!("/api/v1/inbox/{a}/dismiss"),
            &serde_json::json!({})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(e.get("/api/v1/inbox").await.json()["total"], 1);
    assert_eq!(e.get("/api/v1/inbox?state=done").await.json()["total"], 1);
    assert_eq!(e.get("/api/v1/inbox?state=all").await.json()["total"], 2);
    assert_eq!(
        e.get("/api/v1/inbox?state=later").await.status,
        StatusCode::BAD_REQUEST
    );

    // The feature that handles the thing closes every open to-do about it.
    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(
        inbox::close_by_source(&mut tx, "roster:1", TodoState::Done)
            .await
            .unwrap(),
        1,
        "E1's was closed already; M1's closes"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        app.login("manager").await.get("/api/v1/inbox").await.json()["total"],
        0
    );
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_todo() {
    let app = TestApp::new().await;
    let e1 = person_id(&app, "E1").await;
    let mut tx = app.db.begin().await.unwrap();
    inbox::create(&mut tx, &todo(e1, "roster:9", None))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(inbox::open_count(&app.db, e1).await.unwrap(), 0);

    let mut tx = app.db.begin().await.unwrap();
    let bad = NewTodo {
        link: "https://evil.example".into(),
        ..todo(e1, "x", None)
    };
    assert!(
        inbox::create(&mut tx, &bad).await.is_err(),
        "links stay inside Pulse"
    );
}

#[tokio::test]
async fn badge_and_page() {
    let app = TestApp::new().await;
    let e1 = person_id(&app, "E1").await;
    let mut tx = app.db.begin().await.unwrap();
    let id = inbox::create(&mut tx, &todo(e1, "roster:3", Some(-1000)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let e = app.login("employee").await;
    let me = e.get("/me").await.text();
    assert!(me.contains("class=\"count\""), "badge on every page");
    let page = e.get("/inbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("核对花名册 roster:3") && page.text().contains("已逾期"));
    // An English reader gets the English subject, on the page and in the API.
    let mut en = e.clone();
    en.cookie = Some(format!(
        "{}; pulse_lang=en",
        e.cookie.as_deref().unwrap_or("")
    ));
    let page = en.get("/inbox").await.text();
    assert!(page.contains("Check the roster roster:3") && !page.contains("核对花名册"));
    let api = en.get("/api/v1/inbox").await.json();
    assert_eq!(api["items"][0]["subject"], "Check the roster roster:3");
    let r = e.post_form(&format!("/inbox/{id}/done"), &[], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !e.get("/me").await.text().contains("class=\"count\""),
        "no badge when nothing is open"
    );
}
