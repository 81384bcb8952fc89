//! SCIM 2.0 provisioning (X5) as Microsoft Entra ID and Okta speak it: a
//! directory creates, updates, deactivates and regroups people; refusals
//! come in SCIM's error shape and change nothing.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::*;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn scim_token(app: &TestApp, login: &str, scope: &str) -> String {
    let admin = app.login("admin").await;
    let res = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"name": format!("directory {scope}"), "login": login, "scopes": [scope]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["token"].as_str().unwrap().to_string()
}

async fn call(c: &Client, method: Method, path: &str, body: Option<Value>) -> Res {
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    c.send(method, path, Some("application/scim+json"), bytes, false)
        .await
}

fn scim_error(res: &Res, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(
        res.headers[header::CONTENT_TYPE],
        "application/scim+json",
        "{}",
        res.text()
    );
    let v = res.json();
    assert_eq!(
        v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{v}"
    );
    assert_eq!(v["status"], status.as_u16().to_string(), "{v}");
    assert_eq!(v["scimType"].as_str(), scim_type, "{v}");
}

async fn user_id(c: &Client, user_name: &str) -> String {
    let res = call(
        c,
        Method::GET,
        &format!(
            "/scim/v2/Users?filter={}",
            enc(&format!("userName eq \"{user_name}\""))
        ),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["totalResults"], 1, "{v}");
    v["Resources"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_directory_creates_updates_and_deactivates_people() {
    let app = TestApp::new().await;
    let dir = app.with_token(&scim_token(&app, "admin", "scim").await);

    let spc = call(&dir, Method::GET, "/scim/v2/ServiceProviderConfig", None).await;
    assert_eq!(spc.status, StatusCode::OK);
    assert_eq!(spc.headers[header::CONTENT_TYPE], "application/scim+json");
    assert_eq!(spc.json()["patch"]["supported"], true);
    let types = call(&dir, Method::GET, "/scim/v2/ResourceTypes", None)
        .await
        .json();
    assert_eq!(types["totalResults"], 2);
    let schemas = call(&dir, Method::GET, "/scim/v2/Schemas", None)
        .await
        .json();
    assert!(
        schemas["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == ENT)
    );
    let one = call(&dir, Method::GET, &format!("/scim/v2/Schemas/{ENT}"), None).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text());

    let manager = user_id(&dir, "manager").await;
    // What Entra sends on first provisioning, phone numbers and all.
    let created = call(
        &dir,
        Method::POST,
        "/scim/v2/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
            "externalId": "0a21f0f2-8d2a", "userName": "zhang.wei@corp.cn", "active": "True",
            "displayName": "张伟", "name": {"familyName": "张", "givenName": "伟"},
            "emails": [{"primary": true, "type": "work", "value": "zhang.wei@corp.cn"}],
            "phoneNumbers": [{"type": "mobile", "value": "13800000000"}],
            "title": "P4",
            ENT: {"employeeNumber": "E10023", "department": "上海销售一组", "manager": {"value": manager}}
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let u = created.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert!(
        created.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    assert_eq!(u["userName"], "zhang.wei@corp.cn");
    assert_eq!(u["active"], true);
    assert_eq!(u[ENT]["employeeNumber"], "E10023");
    assert_eq!(u[ENT]["manager"]["value"], manager);
    assert_eq!(u["groups"][0]["display"], "上海销售一组");
    // The person is in Pulse, in the unit under the manager, and signs in
    // through SSO only: no password works.
    let person = app.login("hrbp").await.get("/api/v1/people/E10023").await;
    assert_eq!(person.status, StatusCode::OK, "{}", person.text());
    assert_eq!(person.json()["name"], "张伟");
    let pw = app
        .anon()
        .post_json(
            "/api/v1/session",
            &json!({"login": "zhang.wei@corp.cn", "password": "!no-password"}),
        )
        .await;
    assert_eq!(pw.status, StatusCode::UNAUTHORIZED, "{}", pw.text());
    assert_eq!(
        user_id(&dir, "ZHANG.WEI@corp.cn").await,
        id,
        "userName is case-insensitive"
    );

    // Entra's path-less PATCH with dotted keys and a capitalised op.
    let patched = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Replace", "value": {"displayName": "张伟明", "title": "P5",
             format!("{ENT}:department"): "杭州服务一组"}}
        ]})),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    let p = patched.json();
    assert_eq!(p["displayName"], "张伟明");
    assert_eq!(p["title"], "P5");
    assert_eq!(p[ENT]["department"], "杭州服务一组");

    // A person already in Pulse, signed in on a phone with an API token too.
    let employee_id = user_id(&dir, "employee").await;
    let phone = app.login("employee").await;
    assert_eq!(phone.get("/api/v1/me").await.status, StatusCode::OK);
    let admin = app.login("admin").await;
    let tok = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "个人", "login": "employee", "scopes": ["goals:read"]}),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let token_client = app.with_token(&tok);
    assert_eq!(
        token_client.get("/api/v1/people/E1/goals").await.status,
        StatusCode::OK
    );
    // Entra deactivates with the string "False".
    let off = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Users/{employee_id}"),
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(off.json()["active"], false);
    assert_eq!(
        phone.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the session ends at once"
    );
    assert_eq!(
        token_client.get("/api/v1/people/E1/goals").await.status,
        StatusCode::UNAUTHORIZED,
        "the token ends at once"
    );
    let relogin = app
        .anon()
        .post_json(
            "/api/v1/session",
            &json!({"login": "employee", "password": PASSWORD}),
        )
        .await;
    assert_ne!(relogin.status, StatusCode::OK);
    let status = text(&app, "SELECT status FROM people WHERE employee_no = 'E1'").await;
    assert_eq!(status, "left");
    // DELETE of an already inactive user is idempotent; the history stays.
    let del = call(
        &dir,
        Method::DELETE,
        &format!("/scim/v2/Users/{employee_id}"),
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let again = call(
        &dir,
        Method::GET,
        &format!("/scim/v2/Users/{employee_id}"),
        None,
    )
    .await;
    assert_eq!(again.json()["active"], false);
    // Reactivation through Okta's boolean.
    let on = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Users/{employee_id}"),
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": true}}]})),
    )
    .await;
    assert_eq!(on.json()["active"], true, "{}", on.text());
    assert_eq!(
        text(&app, "SELECT status FROM people WHERE employee_no = 'E1'").await,
        "active"
    );

    // Every write is in the audit trail under the directory's account.
    let audited = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'person' AND actor_label LIKE '%admin%'",
    )
    .await;
    assert!(audited >= 4, "{audited}");
    assert!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'end_sessions'"
        )
        .await
            >= 1
    );
}

#[tokio::test]
async fn groups_regroup_people_and_the_org_tree_follows() {
    let app = TestApp::new().await;
    let dir = app.with_token(&scim_token(&app, "hrbp", "scim").await);
    let e2 = user_id(&dir, "E2").await;
    let e3 = user_id(&dir, "engineer").await;

    let created = call(
        &dir,
        Method::POST,
        "/scim/v2/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "新零售项目组", "externalId": "grp-77", "members": [{"value": e2}]}),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let g = created.json();
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["members"][0]["value"], e2);
    let hr = app.login("hrbp").await;
    let unit_of = |no: &'static str| {
        let app = &app;
        async move {
            text(
                app,
                &format!("SELECT u.name FROM people p JOIN org_units u ON u.id = p.org_unit_id WHERE p.employee_no = '{no}'"),
            )
            .await
        }
    };
    assert_eq!(unit_of("E2").await, "新零售项目组");
    let tree = hr.get("/api/v1/org-units").await.text();
    assert!(
        tree.contains("新零售项目组"),
        "the org tree shows the new unit"
    );

    // Okta adds a member with a path; Entra removes one by filter.
    let add = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": e3}]}]})),
    )
    .await;
    assert_eq!(add.status, StatusCode::OK, "{}", add.text());
    assert_eq!(add.json()["members"].as_array().unwrap().len(), 2);
    assert_eq!(unit_of("E3").await, "新零售项目组");
    let remove = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Remove", "path": format!("members[value eq \"{e2}\"]")},
            {"op": "Replace", "path": "displayName", "value": "新零售一组"}
        ]})),
    )
    .await;
    assert_eq!(remove.status, StatusCode::OK, "{}", remove.text());
    assert_eq!(remove.json()["displayName"], "新零售一组");
    assert_eq!(
        unit_of("E2").await,
        "测试集团",
        "a removed member moves up to the parent unit"
    );
    let listed = call(
        &dir,
        Method::GET,
        "/scim/v2/Groups?excludedAttributes=members&filter=displayName%20eq%20%22%E6%96%B0%E9%9B%B6%E5%94%AE%E4%B8%80%E7%BB%84%22",
        None,
    )
    .await
    .json();
    assert_eq!(listed["totalResults"], 1, "{listed}");
    assert!(listed["Resources"][0].get("members").is_none());

    // A group that still holds people cannot go; an emptied one can.
    let busy = call(
        &dir,
        Method::DELETE,
        &format!("/scim/v2/Groups/{gid}"),
        None,
    )
    .await;
    scim_error(&busy, StatusCode::CONFLICT, Some("mutability"));
    let emptied = call(
        &dir,
        Method::PUT,
        &format!("/scim/v2/Groups/{gid}"),
        Some(json!({"displayName": "新零售一组", "members": []})),
    )
    .await;
    assert_eq!(emptied.status, StatusCode::OK, "{}", emptied.text());
    assert_eq!(unit_of("E3").await, "测试集团");
    let gone = call(
        &dir,
        Method::DELETE,
        &format!("/scim/v2/Groups/{gid}"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text());
    let missing = call(&dir, Method::GET, &format!("/scim/v2/Groups/{gid}"), None).await;
    scim_error(&missing, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn okta_pages_through_every_user() {
    let app = TestApp::new().await;
    let dir = app.with_token(&scim_token(&app, "admin", "scim").await);
    let total = count(&app, "people").await;
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = call(
            &dir,
            Method::GET,
            &format!("/scim/v2/Users?startIndex={start}&count=3"),
            None,
        )
        .await
        .json();
        assert_eq!(page["totalResults"], total);
        assert_eq!(page["startIndex"], start);
        let items = page["Resources"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= 3);
        assert_eq!(page["itemsPerPage"], items.len());
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        start += 3;
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len() as i64, total, "every user once: {seen:?}");
}

#[tokio::test]
async fn refusals_come_in_scims_shape_and_change_nothing() {
    let app = TestApp::new().await;
    let dir = app.with_token(&scim_token(&app, "admin", "scim").await);
    let people = count(&app, "people").await;
    let audit = scalar(&app, "SELECT COALESCE(MAX(id), 0) FROM audit_log").await;
    let id = user_id(&dir, "manager").await;

    let bad_filter = call(
        &dir,
        Method::GET,
        "/scim/v2/Users?filter=userName%20co%20%22ma%22",
        None,
    )
    .await;
    scim_error(&bad_filter, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    let bad_attr = call(
        &dir,
        Method::GET,
        "/scim/v2/Users?filter=title%20eq%20%22P3%22",
        None,
    )
    .await;
    scim_error(&bad_attr, StatusCode::BAD_REQUEST, Some("invalidFilter"));

    let read_only = call(
        &dir,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "displayName", "value": "改名了"},
            {"op": "replace", "path": "id", "value": "999"}
        ]})),
    )
    .await;
    scim_error(&read_only, StatusCode::BAD_REQUEST, Some("mutability"));
    let renumber = call(
        &dir,
        Method::PUT,
        &format!("/scim/v2/Users/{id}"),
        Some(json!({"userName": "manager", ENT: {"employeeNumber": "M9"}})),
    )
    .await;
    scim_error(&renumber, StatusCode::BAD_REQUEST, Some("mutability"));

    let dup = call(
        &dir,
        Method::POST,
        "/scim/v2/Users",
        Some(json!({"userName": "Manager", "displayName": "重名"})),
    )
    .await;
    scim_error(&dup, StatusCode::CONFLICT, Some("uniqueness"));
    let dup_no = call(
        &dir,
        Method::POST,
        "/scim/v2/Users",
        Some(json!({"userName": "new.person", ENT: {"employeeNumber": "E1"}})),
    )
    .await;
    scim_error(&dup_no, StatusCode::CONFLICT, Some("uniqueness"));
    let no_name = call(
        &dir,
        Method::POST,
        "/scim/v2/Users",
        Some(json!({"displayName": "无名"})),
    )
    .await;
    scim_error(&no_name, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let not_json = dir
        .send(
            Method::POST,
            "/scim/v2/Users",
            Some("application/scim+json"),
            b"{".to_vec(),
            false,
        )
        .await;
    scim_error(&not_json, StatusCode::BAD_REQUEST, Some("invalidSyntax"));

    let big = json!({"userName": "big", "displayName": "x".repeat(2 * 1024 * 1024)});
    let too_big = call(&dir, Method::POST, "/scim/v2/Users", Some(big)).await;
    scim_error(&too_big, StatusCode::PAYLOAD_TOO_LARGE, None);

    // A token for the normal API, a browser session, no credentials at all.
    let normal = app.with_token(&scim_token(&app, "admin", "people:read").await);
    scim_error(
        &call(&normal, Method::GET, "/scim/v2/Users", None).await,
        StatusCode::FORBIDDEN,
        None,
    );
    let not_hr = app.with_token(&scim_token(&app, "manager", "scim").await);
    scim_error(
        &call(
            &not_hr,
            Method::POST,
            "/scim/v2/Users",
            Some(json!({"userName": "x"})),
        )
        .await,
        StatusCode::FORBIDDEN,
        None,
    );
    let browser = app.login("admin").await;
    scim_error(
        &call(&browser, Method::GET, "/scim/v2/Users", None).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let anon = call(&app.anon(), Method::GET, "/scim/v2/Users", None).await;
    scim_error(&anon, StatusCode::UNAUTHORIZED, None);
    assert!(anon.headers.contains_key(header::WWW_AUTHENTICATE));
    let forged = app.with_token("pulse_forged");
    scim_error(
        &call(&forged, Method::GET, "/scim/v2/Groups", None).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    scim_error(
        &call(&dir, Method::GET, "/scim/v2/Users/abc", None).await,
        StatusCode::NOT_FOUND,
        None,
    );
    scim_error(
        &call(&dir, Method::GET, "/scim/v2/Bulk", None).await,
        StatusCode::NOT_FOUND,
        None,
    );

    assert_eq!(count(&app, "people").await, people, "nothing was created");
    assert_eq!(
        text(&app, "SELECT name FROM people WHERE employee_no = 'M1'").await,
        "马主管",
        "the refused PATCH wrote none of its operations"
    );
    // Issuing the test's tokens is audited; no person or account changed.
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM audit_log WHERE entity <> 'api_token' AND id > {audit}")
        )
        .await,
        0
    );
}
