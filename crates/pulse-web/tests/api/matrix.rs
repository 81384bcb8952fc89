//! Route × role matrix (S2): every route in the router's table has a row
//! here, and every persona gets exactly the access the row says. A new route
//! without a row fails `every_route_has_a_row`.

use axum::http::{Method, StatusCode};

use crate::support::{Client, TestApp};

/// Personas: E employee, M manager, D director, H hrbp, C committee, A admin,
/// T API token with scope people:read. `*` = public (anonymous allowed).
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "*"),
    ("GET", "/readyz", "*"),
    ("GET", "/metrics", "*"),
    ("GET", "/api/openapi.json", "*"),
    ("GET", "/api/docs", "*"),
    ("GET", "/static/{file}", "*"),
    ("POST", "/api/v1/session", "*"),
    ("GET", "/api/v1/me", "EMDHCA"),
    ("GET", "/api/v1/people/{employee_no}/goals", "EMDHCA"),
    ("GET", "/api/v1/goal-adjustments", "EMDHCA"),
    ("POST", "/api/v1/goal-adjustments", "EMDHCA"),
    ("GET", "/api/v1/goal-adjustments/response-times", "MDHCA"),
    ("POST", "/api/v1/goal-adjustments/{id}/approve", "EMDHCA"),
    ("POST", "/api/v1/goal-adjustments/{id}/reject", "EMDHCA"),
    ("GET", "/api/v1/weight-rules", "EMDHCA"),
    ("POST", "/api/v1/goals/{id}/check-ins", "EMDHCA"),
    ("GET", "/api/v1/periods", "EMDHCA"),
    ("GET", "/api/v1/metrics", "EMDHCA"),
    ("POST", "/api/v1/goals/{id}/archive", "HA"),
    ("PUT", "/api/v1/metrics/{code}", "HA"),
    ("PUT", "/api/v1/goal-templates/{job_family}", "HA"),
    ("POST", "/api/v1/goal-templates/{job_family}/apply", "HA"),
    ("PUT", "/api/v1/org-units/{code}/approver", "HA"),
    ("GET", "/goals/setup", "HA"),
    ("POST", "/goals/setup/metrics", "HA"),
    ("POST", "/goals/setup/goals", "HA"),
    ("POST", "/api/v1/goals", "MDHA"),
    ("PATCH", "/api/v1/goals/{id}", "MDHA"),
    ("POST", "/api/v1/events", "EMDHCA"),
    ("GET", "/api/v1/events", "EMDHCA"),
    ("POST", "/api/v1/events/{id}/photos", "EMDHCA"),
    ("GET", "/api/v1/events/{id}/photos", "EMDHCA"),
    ("GET", "/photos/{id}", "EMDHCA"),
    ("GET", "/feedback/events/{id}/photos", "EMDHCA"),
    ("POST", "/feedback/events/{id}/photos", "EMDHCA"),
    ("GET", "/api/v1/feedback-tags", "EMDHCA"),
    ("PUT", "/api/v1/feedback-tags/{name}", "HA"),
    ("POST", "/api/v1/feedback", "EMDHCA"),
    ("GET", "/api/v1/feedback/{id}", "EMDHCA"),
    ("POST", "/api/v1/feedback/{id}/replies", "MDHA"),
    ("POST", "/api/v1/feedback/{id}/ack", "EMDHCA"),
    ("POST", "/api/v1/feedback-messages", "MDHA"),
    ("GET", "/api/v1/me/points", "EMDHCA"),
    ("GET", "/api/v1/rewards", "EMDHCA"),
    ("PUT", "/api/v1/rewards", "HA"),
    ("POST", "/api/v1/rewards/{id}/redeem", "EMDHCA"),
    ("POST", "/api/v1/redemptions/{id}/fulfil", "HA"),
    ("GET", "/api/v1/leaderboard", "EMDHCA"),
    ("GET", "/api/v1/digests/latest", "EMDHCA"),
    ("GET", "/api/v1/digests", "EMDHCA"),
    ("POST", "/api/v1/digests", "EMDHCA"),
    ("GET", "/api/v1/digests/{id}", "EMDHCA"),
    ("GET", "/api/v1/digest-settings", "HA"),
    ("PUT", "/api/v1/digest-settings", "HA"),
    ("GET", "/api/v1/text-terms", "HA"),
    ("PUT", "/api/v1/text-terms/{kind}/{term}", "HA"),
    ("DELETE", "/api/v1/text-terms/{kind}/{term}", "HA"),
    ("GET", "/api/v1/people/{employee_no}/radar", "EMDHCA"),
    ("GET", "/api/v1/competency-models", "EMDHCA"),
    (
        "PUT",
        "/api/v1/competency-models/{job_family}/dimensions/{name}",
        "HA",
    ),
    ("DELETE", "/api/v1/competency-dimensions/{id}", "HA"),
    ("GET", "/digests", "EMDHCA"),
    ("GET", "/digests/setup", "HA"),
    ("POST", "/digests/setup", "HA"),
    ("GET", "/digests/{id}", "EMDHCA"),
    ("GET", "/digests/{id}/cards", "EMDHCA"),
    ("GET", "/competency", "HA"),
    ("POST", "/competency", "HA"),
    ("GET", "/feedback", "EMDHCA"),
    ("GET", "/feedback/new", "EMDHCA"),
    ("POST", "/feedback/events", "EMDHCA"),
    ("GET", "/feedback/events/{id}/card", "EMDHCA"),
    ("POST", "/feedback/events/{id}/card", "EMDHCA"),
    ("GET", "/feedback/cards/{id}", "EMDHCA"),
    ("POST", "/feedback/cards/{id}/reply", "MDHA"),
    ("POST", "/feedback/cards/{id}/ack", "EMDHCA"),
    ("GET", "/feedback/team", "MDHA"),
    ("POST", "/feedback/give", "MDHA"),
    ("GET", "/feedback/setup", "HA"),
    ("POST", "/feedback/setup/{name}", "HA"),
    ("GET", "/rewards", "EMDHCA"),
    ("POST", "/rewards/{id}/redeem", "EMDHCA"),
    ("GET", "/rewards/fulfil", "HA"),
    ("POST", "/rewards/fulfil/{id}", "HA"),
    ("POST", "/goals/team/goals", "MDHA"),
    ("POST", "/goals/setup/goals/{id}", "HA"),
    ("POST", "/goals/team/goals/{id}", "MDHA"),
    ("POST", "/goals/setup/templates", "HA"),
    ("POST", "/api/v1/periods/{code}/close", "HA"),
    ("POST", "/goals/{id}/check-in", "EMDHCA"),
    ("POST", "/goals/periods/{code}/close", "HA"),
    ("POST", "/api/v1/weight-rules", "HA"),
    ("PUT", "/api/v1/weight-rules/{id}", "HA"),
    ("POST", "/api/v1/weight-rules/check", "HA"),
    ("POST", "/api/v1/weight-rules/preview", "HA"),
    ("PUT", "/api/v1/region-metrics/{code}", "HA"),
    ("GET", "/api/v1/me/notification-preferences", "EMDHCA"),
    ("PUT", "/api/v1/me/notification-preferences", "EMDHCA"),
    ("GET", "/api/v1/people", "EMDHCAT"),
    ("GET", "/api/v1/people/{employee_no}", "EMDHCAT"),
    ("PATCH", "/api/v1/people/{employee_no}", "HA"),
    ("GET", "/api/v1/org-units", "EMDHCA"),
    ("GET", "/api/v1/inbox", "EMDHCA"),
    ("POST", "/api/v1/inbox/{id}/done", "EMDHCA"),
    ("POST", "/api/v1/inbox/{id}/dismiss", "EMDHCA"),
    ("GET", "/inbox", "EMDHCA"),
    ("POST", "/inbox/{id}/{action}", "EMDHCA"),
    ("POST", "/api/v1/imports/{kind}", "HA"),
    ("GET", "/api/v1/imports/batches/{id}", "HA"),
    ("GET", "/api/v1/imports/batches/{id}/errors.xlsx", "HA"),
    ("GET", "/api/v1/accounts", "A"),
    ("POST", "/api/v1/accounts", "A"),
    ("PUT", "/api/v1/accounts/{login}/password", "A"),
    ("PUT", "/api/v1/accounts/{login}/disabled", "A"),
    ("PUT", "/api/v1/me/password", "EMDHCA"),
    ("PUT", "/api/v1/accounts/{login}/roles", "A"),
    ("GET", "/api/v1/tokens", "A"),
    ("POST", "/api/v1/tokens", "A"),
    ("DELETE", "/api/v1/tokens/{id}", "A"),
    ("GET", "/api/v1/audit", "HA"),
    ("GET", "/", "*"),
    ("GET", "/login", "*"),
    ("POST", "/login", "*"),
    ("GET", "/lang/{code}", "*"),
    ("GET", "/me", "EMDHCA"),
    ("GET", "/home", "EMDHCA"),
    ("GET", "/org", "EMDHCA"),
    ("GET", "/people/{employee_no}", "EMDHCA"),
    ("POST", "/people/{employee_no}", "HA"),
    ("GET", "/export/people.xlsx", "MDHA"),
    ("GET", "/export/goals.xlsx", "MDHA"),
    ("GET", "/export/team.xlsx", "MDHA"),
    ("GET", "/import", "HA"),
    ("POST", "/import", "HA"),
    ("GET", "/import/batches/{id}", "HA"),
    ("POST", "/import/batches/{id}/commit", "HA"),
    ("GET", "/import/template/{kind}", "HA"),
    ("GET", "/admin/users", "A"),
    ("POST", "/admin/users/{login}/roles", "A"),
    ("POST", "/admin/accounts", "A"),
    ("POST", "/admin/users/{login}/password", "A"),
    ("POST", "/admin/users/{login}/disabled", "A"),
    ("POST", "/me/password", "EMDHCA"),
    ("GET", "/goals", "EMDHCA"),
    ("GET", "/customers", "EMDHCA"),
    ("POST", "/customers/sources/{name}/pull", "HA"),
    ("GET", "/api/v1/customers", "EMDHCA"),
    ("POST", "/api/v1/customers", "HA"),
    ("GET", "/api/v1/crm-sources", "HA"),
    ("PUT", "/api/v1/crm-sources/{name}", "HA"),
    ("POST", "/api/v1/crm-sources/{name}/pull", "HA"),
    ("POST", "/goals/adjustments", "EMDHCA"),
    ("GET", "/goals/adjustments/{id}", "EMDHCA"),
    ("POST", "/goals/adjustments/{id}/decide", "EMDHCA"),
    ("GET", "/goals/team", "MDHCA"),
    ("GET", "/goals/rules", "HA"),
    ("POST", "/goals/rules", "HA"),
    ("POST", "/me/notifications", "EMDHCA"),
    ("POST", "/admin/tokens", "A"),
    ("POST", "/admin/tokens/{id}/revoke", "A"),
    ("GET", "/admin/audit", "HA"),
    ("GET", "/api/v1/notify-channels", "A"),
    ("PUT", "/api/v1/notify-channels/{name}", "A"),
    ("POST", "/api/v1/notify-channels/{name}/test", "A"),
    ("GET", "/api/v1/outbox", "A"),
    ("POST", "/api/v1/outbox/{id}/retry", "A"),
    ("PUT", "/api/v1/org-units/{code}/channel", "A"),
    ("GET", "/admin/notifications", "A"),
    ("POST", "/admin/notifications/units", "A"),
    ("POST", "/admin/notifications/channels", "A"),
    ("POST", "/admin/notifications/channels/{name}/test", "A"),
    ("POST", "/admin/notifications/dead/{id}/retry", "A"),
    ("POST", "/admin/notifications/jobs/{name}/run", "A"),
    ("GET", "/api/v1/jobs", "A"),
    ("GET", "/reviews", "EMDHCA"),
    ("GET", "/reviews/{id}", "EMDHCA"),
    ("POST", "/reviews/{id}/draft", "EMDHCA"),
    ("POST", "/reviews/{id}/submit", "EMDHCA"),
    ("POST", "/reviews/{id}/acknowledge", "EMDHCA"),
    ("POST", "/reviews/{id}/self", "EMDHCA"),
    ("POST", "/reviews/{id}/reviewer", "HA"),
    ("GET", "/reviews/cycles", "HA"),
    ("POST", "/reviews/cycles", "HA"),
    ("GET", "/reviews/cycles/{id}", "HA"),
    ("POST", "/reviews/cycles/{id}/release", "HA"),
    ("POST", "/reviews/cycles/{id}/complete", "HA"),
    ("GET", "/calibration", "EMDHCA"),
    ("POST", "/calibration", "HA"),
    ("GET", "/calibration/{id}", "EMDHCA"),
    ("POST", "/calibration/{id}/state", "EMDHCA"),
    ("POST", "/calibration/{id}/current", "EMDHCA"),
    ("POST", "/calibration/{id}/cases/{case_id}/score", "EMDHCA"),
    (
        "POST",
        "/calibration/{id}/cases/{case_id}/rescore",
        "EMDHCA",
    ),
    (
        "POST",
        "/calibration/{id}/cases/{case_id}/decision",
        "EMDHCA",
    ),
    ("POST", "/calibration/{id}/cases/{case_id}/box", "EMDHCA"),
    ("GET", "/calibration/{id}/screen/{side}", "EMDHCA"),
    ("GET", "/calibration/{id}/letters", "EMDHCA"),
    ("GET", "/calibration/{id}/letters.xlsx", "EMDHCA"),
    ("GET", "/calibration/{id}/letters/{case_id}", "EMDHCA"),
    ("GET", "/calibration/{id}/gaps", "EMDHCA"),
    ("GET", "/calibration/{id}/gaps.xlsx", "EMDHCA"),
    ("GET", "/calibration/keywords", "HA"),
    ("POST", "/calibration/keywords", "HA"),
    ("POST", "/calibration/keywords/{id}/delete", "HA"),
    ("GET", "/api/v1/competency-keywords", "HA"),
    ("POST", "/api/v1/competency-keywords", "HA"),
    ("DELETE", "/api/v1/competency-keywords/{id}", "HA"),
    (
        "GET",
        "/api/v1/calibration-sessions/{id}/cases/{case_id}/letter",
        "EMDHCA",
    ),
    ("GET", "/api/v1/calibration-sessions/{id}/gaps", "EMDHCA"),
    ("GET", "/api/v1/calibration-sessions", "EMDHCA"),
    ("POST", "/api/v1/calibration-sessions", "HA"),
    ("GET", "/api/v1/calibration-sessions/{id}", "EMDHCA"),
    ("GET", "/api/v1/calibration-sessions/{id}/cases", "EMDHCA"),
    (
        "PUT",
        "/api/v1/calibration-sessions/{id}/cases/{case_id}/score",
        "EMDHCA",
    ),
    (
        "POST",
        "/api/v1/calibration-sessions/{id}/cases/{case_id}/rescore",
        "EMDHCA",
    ),
    (
        "PUT",
        "/api/v1/calibration-sessions/{id}/cases/{case_id}/decision",
        "EMDHCA",
    ),
    (
        "PUT",
        "/api/v1/calibration-sessions/{id}/cases/{case_id}/box",
        "EMDHCA",
    ),
    ("POST", "/api/v1/calibration-sessions/{id}/state", "EMDHCA"),
    ("PUT", "/api/v1/calibration-sessions/{id}/current", "EMDHCA"),
    ("GET", "/api/v1/calibration-sessions/{id}/stream", "EMDHCA"),
    ("GET", "/api/v1/review-cycles", "EMDHCA"),
    ("POST", "/api/v1/review-cycles", "HA"),
    ("GET", "/api/v1/review-cycles/{id}/progress", "HA"),
    ("POST", "/api/v1/review-cycles/{id}/release", "HA"),
    ("POST", "/api/v1/review-cycles/{id}/complete", "HA"),
    ("GET", "/api/v1/reviews", "EMDHCA"),
    ("GET", "/api/v1/reviews/{id}", "EMDHCA"),
    ("GET", "/api/v1/reviews/{id}/evidence", "EMDHCA"),
    ("POST", "/api/v1/reviews/{id}/draft", "EMDHCA"),
    ("POST", "/api/v1/reviews/{id}/check", "EMDHCA"),
    ("POST", "/api/v1/reviews/{id}/submit", "EMDHCA"),
    ("POST", "/api/v1/reviews/{id}/ping", "EMDHCA"),
    ("POST", "/api/v1/reviews/{id}/acknowledge", "EMDHCA"),
    ("PUT", "/api/v1/reviews/{id}/reviewer", "HA"),
    ("GET", "/api/v1/review-writer/llm", "A"),
    ("PUT", "/api/v1/review-writer/llm", "A"),
    ("GET", "/me/outcomes", "EMDHCA"),
    ("GET", "/me/development", "EMDHCA"),
    ("GET", "/people/{employee_no}/outcomes", "EMDHCA"),
    ("GET", "/people/{employee_no}/development", "EMDHCA"),
    ("POST", "/people/{employee_no}/development/click", "EMDHCA"),
    ("POST", "/linkage/outcomes/{id}/reverse", "HA"),
    ("GET", "/linkage", "MDHA"),
    ("GET", "/health", "MDHA"),
    ("GET", "/health/export.xlsx", "MDHA"),
    ("POST", "/health/settings", "HA"),
    ("GET", "/health/surveys", "HA"),
    ("POST", "/health/surveys", "HA"),
    ("GET", "/health/surveys/{id}", "EMDHCA"),
    ("POST", "/health/surveys/{id}/answer", "EMDHCA"),
    ("POST", "/health/surveys/{id}/close", "HA"),
    ("GET", "/health/alignment", "HA"),
    ("POST", "/health/alignment", "HA"),
    ("GET", "/health/alignment/{id}", "EMDHCA"),
    ("POST", "/health/alignment/{id}/tasks", "EMDHCA"),
    ("POST", "/health/alignment/{id}/close", "HA"),
    ("POST", "/health/alignment/tasks/{id}/verify", "H"),
    ("GET", "/api/v1/org-health", "MDHA"),
    ("GET", "/api/v1/org-health/settings", "HA"),
    ("PUT", "/api/v1/org-health/settings", "HA"),
    ("GET", "/api/v1/surveys", "HA"),
    ("POST", "/api/v1/surveys", "HA"),
    ("GET", "/api/v1/surveys/{id}", "EMDHCA"),
    ("POST", "/api/v1/surveys/{id}/responses", "EMDHCA"),
    ("POST", "/api/v1/surveys/{id}/close", "HA"),
    ("GET", "/api/v1/surveys/{id}/results", "MDHA"),
    ("GET", "/api/v1/alignment-rounds", "HA"),
    ("POST", "/api/v1/alignment-rounds", "HA"),
    ("GET", "/api/v1/alignment-rounds/{id}", "HA"),
    ("POST", "/api/v1/alignment-rounds/{id}/close", "HA"),
    ("POST", "/api/v1/alignment-rounds/{id}/tasks", "EMDHCA"),
    ("GET", "/api/v1/alignment-tasks", "HA"),
    ("POST", "/api/v1/alignment-tasks/{id}/verification", "H"),
    ("GET", "/linkage/rules", "HA"),
    ("POST", "/linkage/rules", "HA"),
    ("POST", "/linkage/evaluate", "HA"),
    ("GET", "/linkage/catalog", "HA"),
    ("POST", "/linkage/catalog/items", "HA"),
    ("POST", "/linkage/catalog/roles", "HA"),
    ("GET", "/linkage/coefficients.xlsx", "HA"),
    ("GET", "/linkage/pools.xlsx", "HA"),
    ("GET", "/api/v1/people/{employee_no}/outcomes", "EMDHCA"),
    (
        "GET",
        "/api/v1/people/{employee_no}/development-path",
        "EMDHCA",
    ),
    (
        "POST",
        "/api/v1/people/{employee_no}/development-path/clicks",
        "EMDHCA",
    ),
    ("GET", "/api/v1/linkage-outcomes", "MDHA"),
    ("POST", "/api/v1/linkage-outcomes/{id}/reverse", "HA"),
    ("GET", "/api/v1/linkage-rules", "HA"),
    ("POST", "/api/v1/linkage-rules", "HA"),
    ("PUT", "/api/v1/linkage-rules/{id}", "HA"),
    ("POST", "/api/v1/linkage-rules/preview", "HA"),
    ("POST", "/api/v1/linkage-rules/evaluate", "HA"),
    ("GET", "/api/v1/linkage-items", "HA"),
    ("POST", "/api/v1/linkage-items", "HA"),
    ("GET", "/api/v1/role-profiles", "EMDHCA"),
    ("PUT", "/api/v1/role-profiles", "HA"),
    ("GET", "/auth/oidc/login", "*"),
    ("GET", "/auth/oidc/callback", "*"),
    ("GET", "/auth/wecom/login", "*"),
    ("GET", "/auth/wecom/callback", "*"),
    ("GET", "/me/data", "EMDHCA"),
    ("GET", "/api/v1/me/export", "EMDHCA"),
    ("GET", "/privacy", "HA"),
    ("POST", "/privacy/anonymise", "HA"),
    ("GET", "/people/{employee_no}/data", "HA"),
    ("POST", "/people/{employee_no}/data/notes", "HA"),
    ("GET", "/api/v1/people/{employee_no}/export", "HA"),
    ("GET", "/api/v1/privacy/views", "HA"),
    ("POST", "/api/v1/privacy/anonymise", "HA"),
    ("GET", "/api/v1/people/{employee_no}/annotations", "HA"),
    ("POST", "/api/v1/people/{employee_no}/annotations", "HA"),
    ("GET", "/admin/identity", "A"),
    ("POST", "/admin/identity", "A"),
    ("GET", "/api/v1/identity/settings", "A"),
    ("PUT", "/api/v1/identity/settings", "A"),
    ("DELETE", "/api/v1/accounts/{login}/sessions", "A"),
    ("POST", "/admin/users/{login}/sessions/end", "A"),
    // SCIM admits only a token of scope `scim` (none of these personas): tests/api/scim.rs.
    ("GET", "/scim/v2/Users", ""),
    ("POST", "/scim/v2/Users", ""),
    ("GET", "/scim/v2/Users/{id}", ""),
    ("PUT", "/scim/v2/Users/{id}", ""),
    ("PATCH", "/scim/v2/Users/{id}", ""),
    ("DELETE", "/scim/v2/Users/{id}", ""),
    ("GET", "/scim/v2/Groups", ""),
    ("POST", "/scim/v2/Groups", ""),
    ("GET", "/scim/v2/Groups/{id}", ""),
    ("PUT", "/scim/v2/Groups/{id}", ""),
    ("PATCH", "/scim/v2/Groups/{id}", ""),
    ("DELETE", "/scim/v2/Groups/{id}", ""),
    ("GET", "/scim/v2/ServiceProviderConfig", ""),
    ("GET", "/scim/v2/ResourceTypes", ""),
    ("GET", "/scim/v2/ResourceTypes/{id}", ""),
    ("GET", "/scim/v2/Schemas", ""),
    ("GET", "/scim/v2/Schemas/{id}", ""),
    // Sign-out routes last: they end the persona's session.
    ("DELETE", "/api/v1/session", "EMDHCA"),
    ("POST", "/logout", "EMDHCA"),
];

#[test]
fn every_route_has_a_row() {
    let table = pulse_web::routes::table();
    for r in &table {
        assert!(
            MATRIX
                .iter()
                .any(|(m, p, _)| *m == r.method && *p == r.path),
            "route {} {} has no row in the access matrix",
            r.method,
            r.path
        );
    }
    for (m, p, _) in MATRIX {
        assert!(
            table.iter().any(|r| r.method == *m && r.path == *p),
            "matrix row {m} {p} has no route"
        );
    }
}

fn concrete(path: &str) -> String {
    path.replace("{employee_no}", "E1")
        .replace("{kind}", "people")
        .replace("{id}", "999999")
        .replace("{login}", "engineer")
        .replace("{code}", "en")
        .replace("{action}", "done")
        .replace("{name}", "nope")
        .replace("{file}", "app.css")
        .replace("{job_family}", "nope")
}

async fn call(c: &Client, method: &str, path: &str) -> crate::support::Res {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let body = if matches!(method, "POST" | "PUT" | "PATCH") && path.starts_with("/api/") {
        b"{}".to_vec()
    } else {
        Vec::new()
    };
    let ct = if body.is_empty() {
        None
    } else {
        Some("application/json")
    };
    c.send(m, &concrete(path), ct, body, true).await
}

#[tokio::test]
async fn route_role_matrix() {
    let app = TestApp::new().await;
    let admin = app.login("admin").await;
    let token = admin
        .post_json(
            "/api/v1/tokens",
            &serde_json::json!({"name": "crm", "login": "hrbp", "scopes": ["people:read"]}),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let logins = [
        ('E', "employee"),
        ('M', "manager"),
        ('D', "director"),
        ('H', "hrbp"),
        ('C', "committee"),
        ('A', "admin"),
    ];
    let mut personas: Vec<(char, Client)> = Vec::new();
    for (who, login) in logins {
        personas.push((who, app.login(login).await));
    }
    personas.push(('T', app.with_token(&token)));
    let mut failures = Vec::new();
    for (method, path, allowed) in MATRIX {
        let anon = call(&app.anon(), method, path).await;
        let anon_denied = anon.status == StatusCode::UNAUTHORIZED
            || (anon.status == StatusCode::SEE_OTHER
                && anon
                    .headers
                    .get("location")
                    .is_some_and(|l| l.to_str().unwrap().starts_with("/login")));
        let anon_ok = if *allowed == "*" {
            anon.status != StatusCode::UNAUTHORIZED && anon.status != StatusCode::FORBIDDEN
        } else {
            anon_denied
        };
        if !anon_ok {
            failures.push(format!("anon {method} {path}: {}", anon.status));
        }
        for (who, client) in &personas {
            // Each sign-out row gets a fresh session: the previous row ended it.
            let fresh = match logins.iter().find(|(w, _)| w == who) {
                Some((_, login)) if *path == "/logout" => Some(app.login(login).await),
                _ => None,
            };
            let r = call(fresh.as_ref().unwrap_or(client), method, path).await;
            let denied = r.status == StatusCode::FORBIDDEN || r.status == StatusCode::UNAUTHORIZED;
            let should_allow = *allowed == "*" && *who != 'T' || allowed.contains(*who);
            // Tokens are refused on public routes' private data only; public routes stay public.
            let should_allow = should_allow || (*allowed == "*" && *who == 'T');
            if should_allow == denied {
                failures.push(format!(
                    "{who} {method} {path}: {} {}",
                    r.status,
                    r.text().chars().take(120).collect::<String>()
                ));
            }
            if r.status.is_server_error() {
                failures.push(format!("{who} {method} {path}: server error {}", r.status));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix violations:\n{}",
        failures.join("\n")
    );
}
