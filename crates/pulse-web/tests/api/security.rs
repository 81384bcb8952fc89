//! CSRF, login throttling, tokens, roles administration and the audit trail.

use axum::http::StatusCode;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn form_posts_need_the_csrf_token() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let no_token = admin
        .post_form(
            "/admin/tokens",
            &[("name", "x"), ("login", "hrbp"), ("scope", "org:read")],
            false,
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let listed = admin.get("/api/v1/tokens").await.json();
    assert_eq!(listed["total"], 0, "a refused form changes nothing");

    let ok = admin
        .post_form(
            "/admin/tokens",
            &[("name", "x"), ("login", "hrbp"), ("scope", "org:read")],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert!(ok.text().contains("pulse_"), "the new secret is shown once");
    assert_eq!(admin.get("/api/v1/tokens").await.json()["total"], 1);

    // A cross-site form can post urlencoded to the API too: it needs the header.
    let api_form = admin
        .send(
            axum::http::Method::POST,
            "/api/v1/tokens",
            Some("application/x-www-form-urlencoded"),
            b"name=y".to_vec(),
            false,
        )
        .await;
    assert_eq!(api_form.status, StatusCode::FORBIDDEN);
    assert_eq!(api_form.error_code(), "csrf");
}

#[tokio::test]
async fn login_form_uses_double_submit_token() {
    let app = TestApp::new().await;
    let page = app.anon().get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let set = page
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let token = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("pulse_csrf=")
        .to_string();
    assert!(page.text().contains(&token));

    let mut c = app.anon();
    let bad = c
        .post_form(
            "/login",
            &[
                ("login", "employee"),
                ("password", PASSWORD),
                ("_csrf", "forged"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.headers
            .get_all("set-cookie")
            .iter()
            .all(|v| !v.to_str().unwrap().starts_with("pulse_session="))
    );

    c.cookie = Some(format!("pulse_csrf={token}"));
    let good = c
        .post_form(
            "/login",
            &[
                ("login", "employee"),
                ("password", PASSWORD),
                ("_csrf", &token),
                ("next", "/org"),
            ],
            false,
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert_eq!(good.headers.get("location").unwrap(), "/org");
    assert!(
        good.headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("pulse_session="))
    );
}

#[tokio::test]
async fn login_is_throttled_per_account() {
    let app = TestApp::new().await;
    let c = app.anon();
    for _ in 0..5 {
        let r = c
            .post_json(
                "/api/v1/session",
                &serde_json::json!({"login": "employee", "password": "nope"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": "employee", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(r.error_code(), "too_many_attempts");
    let other = c
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": "manager", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn api_tokens_are_scoped_and_revocable() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let created = admin.post_json("/api/v1/tokens", &serde_json::json!({"name": "CRM 同步", "login": "director", "scopes": ["people:read"]})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let v = created.json();
    let token = v["token"].as_str().unwrap().to_string();
    let id = v["id"].as_i64().unwrap();

    let t = app.with_token(&token);
    let people = t.get("/api/v1/people").await;
    assert_eq!(people.status, StatusCode::OK);
    assert_eq!(
        people.json()["total"],
        6,
        "the token sees what its account sees"
    );
    assert_eq!(
        t.get("/api/v1/org-units").await.status,
        StatusCode::FORBIDDEN,
        "scope org:read not granted"
    );
    assert_eq!(
        t.get("/me").await.status,
        StatusCode::FORBIDDEN,
        "no pages for tokens"
    );

    let bad = app.with_token("pulse_not-a-token");
    let r = bad.get("/api/v1/people").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "invalid_token");

    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.get("/api/v1/people").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let invalid = admin
        .post_json(
            "/api/v1/tokens",
            &serde_json::json!({"name": "x", "login": "hrbp", "scopes": ["root"]}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.error_code(), "invalid_scope");
}

#[tokio::test]
async fn admin_changes_roles_with_audit() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let r = admin
        .put_json("/api/v1/accounts/engineer/roles", &serde_json::json!({"grants": [{"role": "employee"}, {"role": "manager", "scope_unit": "T2"}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let engineer = app.login("engineer").await;
    let seen = engineer.get("/api/v1/people").await.json();
    assert_eq!(seen["total"], 2, "M2 and E3 in T2");

    let bad = admin
        .put_json(
            "/api/v1/accounts/engineer/roles",
            &serde_json::json!({"grants": [{"role": "king"}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_unit = admin
        .put_json(
            "/api/v1/accounts/engineer/roles",
            &serde_json::json!({"grants": [{"role": "manager", "scope_unit": "ZZ"}]}),
        )
        .await;
    assert_eq!(bad_unit.error_code(), "unknown_org_unit");
    assert_eq!(
        engineer.get("/api/v1/people").await.json()["total"],
        2,
        "rejected changes change nothing"
    );

    let audit = admin
        .get("/api/v1/audit?entity=account&entity_id=engineer")
        .await
        .json();
    assert_eq!(audit["items"][0]["action"], "set_roles");
}

#[tokio::test]
async fn audit_log_is_append_only() {
    let app = TestApp::new().await;
    let err = match app.db.pool().clone() {
        pulse_store::Pool::Sqlite(p) => sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(&p)
            .await
            .err(),
        pulse_store::Pool::Postgres(p) => sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(&p)
            .await
            .err(),
    };
    assert!(
        err.expect("update must fail")
            .to_string()
            .contains("append-only")
    );
    let err = match app.db.pool().clone() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query("DELETE FROM audit_log").execute(&p).await.err()
        }
        pulse_store::Pool::Postgres(p) => {
            sqlx::query("DELETE FROM audit_log").execute(&p).await.err()
        }
    };
    assert!(err.is_some());
}

#[tokio::test]
async fn pages_render_for_each_persona_and_language() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    for path in [
        "/me",
        "/org",
        "/org?unit=R1",
        "/org?q=%E9%94%80%E5%94%AE",
        "/people/E1",
        "/import",
        "/admin/audit",
    ] {
        let r = hr.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.text().contains("<html lang=\"zh-CN\">"), "{path}");
    }
    let org = hr.get("/org?q=%E9%94%80%E5%94%AE").await.text();
    assert!(org.contains("易销售") && org.contains("思销售"));
    let mut en = hr.clone();
    en.cookie = Some(format!("{}; pulse_lang=en", hr.cookie.clone().unwrap()));
    let r = en.get("/org").await.text();
    assert!(r.contains("<html lang=\"en\">") && r.contains("Organisation"));
    let e = app.login("employee").await;
    let page = e.get("/org").await.text();
    assert!(
        page.contains("易销售") && !page.contains("尔销售"),
        "scope applies on pages too"
    );
    assert_eq!(e.get("/people/E2").await.status, StatusCode::NOT_FOUND);
    let switch = app
        .anon()
        .send(axum::http::Method::GET, "/lang/en", None, Vec::new(), false)
        .await;
    assert!(
        switch
            .headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pulse_lang=en")
    );
}

#[tokio::test]
async fn anonymous_pages_redirect_to_login() {
    let app = TestApp::new().await;
    let r = app.anon().get("/org?q=1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers.get("location").unwrap(),
        "/login?next=/org%3Fq%3D1"
    );
}

#[tokio::test]
async fn accounts_are_created_reset_disabled_and_passwords_changed() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let created = admin
        .post_json(
            "/api/v1/accounts",
            &serde_json::json!({"employee_no": "E4", "password": "start-1"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["login"], "E4");
    let dup = admin
        .post_json(
            "/api/v1/accounts",
            &serde_json::json!({"employee_no": "E4", "login": "other", "password": "start-1"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "one login per person");
    let short = admin
        .post_json(
            "/api/v1/accounts",
            &serde_json::json!({"employee_no": "E2", "password": "x"}),
        )
        .await;
    assert_eq!(short.error_code(), "password_too_short");

    let e4 = app
        .anon()
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": "E4", "password": "start-1"}),
        )
        .await;
    assert_eq!(e4.status, StatusCode::OK);
    let mut e4c = app.anon();
    e4c.cookie = Some(
        e4.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
    );
    let wrong = e4c
        .put_json(
            "/api/v1/me/password",
            &serde_json::json!({"current_password": "nope", "new_password": "better-2"}),
        )
        .await;
    assert_eq!(wrong.error_code(), "wrong_password");
    let changed = e4c
        .put_json(
            "/api/v1/me/password",
            &serde_json::json!({"current_password": "start-1", "new_password": "better-2"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        e4c.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "old sessions end"
    );
    let anon = app.anon();
    let login = |pw: &'static str| {
        let anon = anon.clone();
        async move {
            anon.post_json(
                "/api/v1/session",
                &serde_json::json!({"login": "E4", "password": pw}),
            )
            .await
        }
    };
    assert_eq!(login("better-2").await.status, StatusCode::OK);

    assert_eq!(
        admin
            .put_json(
                "/api/v1/accounts/E4/disabled",
                &serde_json::json!({"disabled": true})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(login("better-2").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin
            .put_json(
                "/api/v1/accounts/E4/disabled",
                &serde_json::json!({"disabled": false})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin
            .put_json(
                "/api/v1/accounts/E4/password",
                &serde_json::json!({"password": "reset-3"})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(login("reset-3").await.status, StatusCode::OK);
    assert_eq!(
        admin
            .put_json(
                "/api/v1/accounts/admin/disabled",
                &serde_json::json!({"disabled": true})
            )
            .await
            .error_code(),
        "self_disable"
    );

    let trail = admin
        .get("/api/v1/audit?entity=account&entity_id=E4")
        .await
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"set_password")
            && actions.contains(&"disable")
            && actions.contains(&"create"),
        "{actions:?}"
    );
    assert!(
        !trail.to_string().contains("argon2"),
        "no hash in the trail"
    );
}

#[tokio::test]
async fn hr_edits_a_person_on_the_page() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let ok = hr
        .post_form(
            "/people/E2",
            &[
                ("name", "尔销售"),
                ("org_unit", "T2"),
                ("manager", "M2"),
                ("job_family", "服务工程师"),
                ("level", "P4"),
                ("hire_date", "2024-05-06"),
                ("status", "left"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let e2 = hr.get("/api/v1/people/E2?").await.json();
    assert_eq!(
        (
            e2["org_unit"]["code"].as_str(),
            e2["manager"]["employee_no"].as_str(),
            e2["status"].as_str()
        ),
        (Some("T2"), Some("M2"), Some("left"))
    );
    let cycle = hr
        .post_form(
            "/people/D1",
            &[
                ("name", "邓总监"),
                ("org_unit", "R1"),
                ("manager", "M1"),
                ("job_family", "大区总监"),
                ("level", "P3"),
                ("status", "active"),
            ],
            true,
        )
        .await;
    assert_eq!(cycle.status, StatusCode::OK);
    assert!(
        cycle.text().contains("汇报关系出现循环"),
        "the page explains the refusal"
    );
    assert!(hr.get("/api/v1/people/D1").await.json()["manager"].is_null());
    let m = app.login("manager").await;
    assert_eq!(
        m.post_form("/people/E1", &[("level", "P9")], true)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A files folder that cannot be opened stops the start instead of keeping
/// photos in memory, where they would vanish on restart.
#[tokio::test]
async fn an_unopenable_files_folder_refuses_to_start() {
    let (db, _dir) = crate::support::fresh_db().await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let config = pulse_web::WebConfig {
        files_dir: Some(file.path().join("files")),
        ..Default::default()
    };
    assert!(pulse_web::AppState::new(db, config).is_err());
}

/// A handler that panics answers 500 with the error envelope, and the
/// server keeps answering.
#[tokio::test]
async fn a_panicking_handler_answers_the_500_envelope() {
    use axum::routing::get;
    use tower::ServiceExt;
    let app = axum::Router::new()
        .route(
            "/api/boom",
            get(|| async {
                if true {
                    panic!("a bug in a handler");
                }
                "unreachable"
            }),
        )
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            pulse_web::error::panic_response,
        ));
    for _ in 0..2 {
        let res = app
            .clone()
            .oneshot(
                axum::http::Request::get("/api/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
    }
}

#[tokio::test]
async fn the_audit_page_filters_by_who_what_and_when_in_words() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let r = hr
        .patch_json("/api/v1/people/E4", &serde_json::json!({"level": "P4"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = hr.get("/admin/audit?action=update").await.text();
    assert!(
        page.contains("<td data-label=\"操作\">修改</td>") && page.contains("人员 E4"),
        "actions and objects in words"
    );
    assert!(page.contains("<b>职级</b>") && page.contains("<ins>P4</ins>"));
    assert!(
        !page.contains("<td data-label=\"操作\">set_roles</td>"),
        "the action filter narrows the list"
    );
    let none = hr
        .get("/admin/audit?actor=%E6%97%A0%E6%AD%A4%E4%BA%BA")
        .await
        .text();
    assert!(none.contains("没有符合条件的记录"));
    let future = hr.get("/admin/audit?from=2999-01-01").await.text();
    assert!(future.contains("没有符合条件的记录"));
    let bad = hr.get("/admin/audit?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text().contains("日期格式应为 2026-12-01"));
    let all = hr.get("/admin/audit").await.text();
    let epoch = regex_like_epoch(&all);
    assert!(
        epoch.is_none(),
        "no epoch milliseconds on the page: {epoch:?}"
    );
}

/// A 13-digit number on a page (an epoch millisecond slipping through).
fn regex_like_epoch(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
        } else {
            if run == 13 {
                return Some(html[i - 13..i].to_string());
            }
            run = 0;
        }
    }
    None
}
