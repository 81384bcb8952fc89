//! The minimum API contract used by external checks (issue 2 §8).

use axum::http::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn session_me_logout() {
    let app = TestApp::new().await;
    let c = app.login("manager").await;
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["employee_no"], "M1");
    assert_eq!(me["name"], "马主管");
    assert_eq!(me["org_unit"]["code"], "T1");
    let roles: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["employee", "manager"]);

    let out = c.delete("/api/v1/session").await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = c.get("/api/v1/me").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.error_code(), "unauthenticated");
}

#[tokio::test]
async fn bad_credentials_are_401_with_envelope() {
    let app = TestApp::new().await;
    let c = app.anon();
    for body in [
        serde_json::json!({"login": "manager", "password": "wrong"}),
        serde_json::json!({"login": "nobody", "password": "demo-pass"}),
    ] {
        let r = c.post_json("/api/v1/session", &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error_code(), "bad_credentials");
        assert!(r.headers.get("set-cookie").is_none());
    }
}

#[tokio::test]
async fn cookie_is_httponly_and_samesite() {
    let app = TestApp::new().await;
    let r = app
        .anon()
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": "employee", "password": crate::support::PASSWORD}),
        )
        .await;
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("pulse_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
}

#[tokio::test]
async fn people_search_paging_and_scope() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let all = hr.get("/api/v1/people").await.json();
    assert_eq!(all["total"], 10);
    assert_eq!(all["items"].as_array().unwrap().len(), 10);

    let page = hr.get("/api/v1/people?per_page=3&page=2").await.json();
    assert_eq!(page["total"], 10);
    let nos: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["employee_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos.len(), 3);

    let q = hr
        .get(&format!("/api/v1/people?q={}", crate::support::enc("销售")))
        .await
        .json();
    assert_eq!(q["total"], 3, "{q}");
    let initials = hr.get("/api/v1/people?q=yxs").await.json();
    assert_eq!(
        initials["items"][0]["name"], "易销售",
        "pinyin initials find 易销售"
    );
    let full = hr.get("/api/v1/people?q=MAZHU").await.json();
    assert_eq!(
        full["items"][0]["employee_no"], "M1",
        "full pinyin, any case"
    );
    let by_no = hr.get("/api/v1/people?q=e1").await.json();
    assert_eq!(by_no["items"][0]["employee_no"], "E1");
    let region = hr.get("/api/v1/people?org_unit=R1").await.json();
    assert_eq!(
        region["total"], 6,
        "director, two managers, three frontline"
    );

    let e = app
        .login("employee")
        .await
        .get("/api/v1/people")
        .await
        .json();
    assert_eq!(e["total"], 1, "an employee sees only themself");
    assert_eq!(e["items"][0]["employee_no"], "E1");

    let m = app
        .login("manager")
        .await
        .get("/api/v1/people")
        .await
        .json();
    let nos: Vec<&str> = m["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["employee_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos, vec!["E1", "E2", "M1"]);

    let d = app
        .login("director")
        .await
        .get("/api/v1/people")
        .await
        .json();
    assert_eq!(d["total"], 6);

    let hidden = app.login("manager").await.get("/api/v1/people/E4").await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "outside scope looks like not found"
    );
    let visible = app
        .login("manager")
        .await
        .get("/api/v1/people/E2")
        .await
        .json();
    assert_eq!(visible["manager"]["employee_no"], "M1");
    assert_eq!(visible["org_path"], "测试集团 / 华东大区 / 上海销售一组");
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let app = TestApp::new().await;
    let c = app.login("hrbp").await;
    for q in [
        "page=0",
        "per_page=1000",
        "page=abc",
        "status=gone",
        "unknown=1",
    ] {
        let r = c.get(&format!("/api/v1/people?{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    let sqlish = c
        .get(&format!(
            "/api/v1/people?q={}",
            crate::support::enc("' OR 1=1 --")
        ))
        .await;
    assert_eq!(sqlish.status, StatusCode::OK);
    assert_eq!(sqlish.json()["total"], 0);
    let pct = c.get("/api/v1/people?q=%25").await;
    assert_eq!(pct.json()["total"], 0, "% is matched literally");
}

#[tokio::test]
async fn org_units_tree() {
    let app = TestApp::new().await;
    let r = app.login("employee").await.get("/api/v1/org-units").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["total"], 7);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "HQ");
    let r1 = items.iter().find(|u| u["code"] == "R1").unwrap();
    assert_eq!(r1["parent"], "HQ");
    assert_eq!(r1["total_headcount"], 6);
    assert_eq!(r1["kind"], "region");
}

#[tokio::test]
async fn json_body_errors() {
    let app = TestApp::new().await;
    let c = app.anon();
    let cases: Vec<(Option<&str>, &[u8], StatusCode, &str)> = vec![
        (
            Some("application/json"),
            b"{\"login\":",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Some("application/json"),
            b"{\"login\": 5, \"password\": \"x\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Some("application/json"),
            b"{\"login\": \"a\", \"password\": \"b\", \"admin\": true}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Some("text/plain"),
            b"login=a",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            b"",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (ct, body, status, code) in cases {
        let r = c
            .send(
                axum::http::Method::POST,
                "/api/v1/session",
                ct,
                body.to_vec(),
                false,
            )
            .await;
        assert_eq!(r.status, status, "{}", r.text());
        assert_eq!(r.error_code(), code);
    }
    let huge = vec![b'a'; 2 * 1024 * 1024];
    let r = c
        .send(
            axum::http::Method::POST,
            "/api/v1/session",
            Some("application/json"),
            huge,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "payload_too_large");
}

#[tokio::test]
async fn english_messages_on_request() {
    let app = TestApp::new().await;
    let r = app
        .anon()
        .send(
            axum::http::Method::GET,
            "/api/v1/me",
            None,
            Vec::new(),
            false,
        )
        .await;
    assert_eq!(r.json()["error"]["message"], "请先登录");
    let mut c = app.anon();
    c.cookie = Some("pulse_lang=en".into());
    let r = c.get("/api/v1/me").await;
    assert_eq!(r.json()["error"]["message"], "please sign in");
}

#[tokio::test]
async fn patch_person_and_manager_cycle() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let ok = hr
        .patch_json(
            "/api/v1/people/E2",
            &serde_json::json!({"level": "P4", "name": "<script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["level"], "P4");
    assert_eq!(
        ok.json()["name"],
        "<script>alert(1)</script>",
        "stored verbatim"
    );

    // D1 -> M1 -> E1; making D1 report to E1 closes a loop.
    let cycle = hr
        .patch_json("/api/v1/people/D1", &serde_json::json!({"manager": "E1"}))
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cycle.error_code(), "manager_cycle");
    let d1 = hr.get("/api/v1/people/D1").await.json();
    assert!(d1["manager"].is_null(), "nothing changed");

    let unknown = hr
        .patch_json("/api/v1/people/E2", &serde_json::json!({"manager": "NOPE"}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.error_code(), "unknown_manager");

    // The audit trail has the change, with before and after.
    let audit = hr
        .get("/api/v1/audit?entity=person&entity_id=E2")
        .await
        .json();
    let first = &audit["items"][0];
    assert_eq!(first["action"], "update");
    assert!(first["before_json"].as_str().unwrap().contains("\"P3\""));
    assert!(first["after_json"].as_str().unwrap().contains("\"P4\""));
    assert!(first["actor_label"].as_str().unwrap().contains("hrbp"));

    // And the page renders the name escaped.
    let page = hr.get("/people/E2").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"),
        "escaped"
    );
    assert!(!html.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn openapi_document_lists_the_contract() {
    let app = TestApp::new().await;
    let doc = app.anon().get("/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/people",
        "/api/v1/org-units",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/api/v1/session"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/session"]["delete"].is_object());
    let docs = app.anon().get("/api/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text().contains("/api/openapi.json"));
    assert!(
        !docs.text().contains("https://"),
        "the docs page loads nothing from the internet"
    );
}

#[tokio::test]
async fn health_ready_metrics() {
    let app = TestApp::new().await;
    let c = app.anon();
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(c.get("/readyz").await.text(), "ready");
    c.get("/api/v1/me").await;
    let m = c.get("/metrics").await.text();
    assert!(m.contains("pulse_http_requests_total"), "{m}");
    assert!(m.contains("route=\"/api/v1/me\""));
    app.db.close().await;
    let down = c.get("/readyz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
}

/// The OpenAPI document and the server agree (issue 12 §4): every JSON
/// route of the route table is documented with its method, and the document
/// lists nothing the server does not serve.
#[tokio::test]
async fn the_openapi_document_lists_exactly_the_served_api() {
    let app = TestApp::new().await;
    let doc = app.anon().get("/api/openapi.json").await.json();
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: std::collections::BTreeSet<(String, String)> = pulse_web::routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") || r.path.starts_with("/scim/v2/"))
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert!(served.len() > 80, "{} JSON routes", served.len());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not documented: {undocumented:#?}\ndocumented but not served: {unserved:#?}"
    );
}

/// The whole document, locked: a change to any body, parameter or status an
/// integrator generates a client from shows up as a reviewed snapshot diff
/// (`INSTA_UPDATE=always cargo test -p pulse-web --test api openapi` after
/// a deliberate change).
#[tokio::test]
async fn the_openapi_document_is_snapshotted() {
    let app = TestApp::new().await;
    let doc = app.anon().get("/api/openapi.json").await.json();
    insta::assert_json_snapshot!("openapi", doc);
}

/// Every `$ref` in the document names a schema it defines (a generated
/// client, or the fuzzer, cannot resolve one that is missing), and every
/// operation a signed-in caller reaches declares the statuses the shared
/// layers answer with.
#[tokio::test]
async fn the_openapi_document_resolves_and_declares_the_shared_statuses() {
    let app = TestApp::new().await;
    let doc = app.anon().get("/api/openapi.json").await.json();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "{} refs", refs.len());
    for r in &refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(schemas.contains_key(name), "unresolvable {r}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if path != "/api/v1/session" {
                for s in ["401", "403"] {
                    assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            // SCIM declares its own statuses (RFC 7644: an unknown id is 404, no 415/422).
            let scim = path.starts_with("/scim/");
            if path.contains('{') && !scim {
                for s in ["400", "404"] {
                    assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            if op.get("requestBody").is_some() && !scim {
                for s in ["413", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                assert_ne!(
                    (
                        p["in"].as_str(),
                        path.contains(&format!("{{{}}}", p["name"].as_str().unwrap()))
                    ),
                    (Some("path"), false),
                    "{method} {path}: `{}` is declared in the path but is not in it",
                    p["name"]
                );
            }
        }
    }
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.push(v.as_str().unwrap_or_default().to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Every page form route takes a browser form: a page route wired to a JSON
/// handler answers 415 to the phone's form (the 打卡 form did, after the
/// web-layer move). Posted empty with the CSRF token, as HR and as the
/// administrator, none may answer 415 or 5xx.
#[tokio::test]
async fn every_page_form_route_takes_a_form() {
    let app = TestApp::new().await;
    let callers = [app.login("hrbp").await, app.login("admin").await];
    let routes: Vec<String> = pulse_web::routes::table()
        .into_iter()
        .filter(|r| r.method == "POST" && !r.path.starts_with("/api/"))
        .filter(|r| !["/login", "/logout"].contains(&r.path))
        .map(|r| {
            r.path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "1" } else { seg })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    assert!(routes.len() > 30, "{} page forms", routes.len());
    for path in &routes {
        for c in &callers {
            let r = c.post_form(path, &[], true).await;
            assert_ne!(
                r.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path}: {}",
                r.text()
            );
            assert!(!r.status.is_server_error(), "{path}: {}", r.status);
        }
    }
}
