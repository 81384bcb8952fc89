//! Menus come from the route table (issue 12): for every demo persona, each
//! menu link and each person link on the pages the menu leads to answers 200.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::support::{TestApp, build_demo, demo_login};

/// The `href`s of the `<a>` elements in `html` (entities decoded).
pub fn hrefs(html: &str) -> Vec<String> {
    html.split("<a ")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            let start = tag.find("href=\"")? + 6;
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].replace("&amp;", "&").replace("&#x2F;", "/"))
        })
        .collect()
}

/// The menu's links: the anchors inside `<nav id="main-nav">`.
fn menu_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("<nav id=\"main-nav\"") else {
        return Vec::new();
    };
    let end = html[start..]
        .find("</nav>")
        .map_or(html.len(), |e| start + e);
    hrefs(&html[start..end])
        .into_iter()
        .filter(|h| !h.starts_with("/lang/"))
        .collect()
}

fn is_person_link(href: &str) -> bool {
    href.starts_with("/people/") || href.starts_with("/goals?person=")
}

#[tokio::test]
async fn every_personas_menu_and_person_links_open() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let mut failures = Vec::new();
    for (persona, _) in pulse_demo::DEMO_ACCOUNTS {
        let c = demo_login(&app, persona).await;
        let me = c.get("/me").await;
        assert_eq!(me.status, StatusCode::OK, "{persona}: /me");
        let menu = menu_links(&me.text());
        assert!(menu.len() >= 5, "{persona}: menu {menu:?}");
        let mut people = BTreeSet::new();
        for link in &menu {
            let page = c.get(link).await;
            if page.status != StatusCode::OK {
                failures.push(format!("{persona}: menu {link} → {}", page.status));
                continue;
            }
            if page.headers["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/html"))
            {
                people.extend(
                    hrefs(&page.text())
                        .into_iter()
                        .filter(|h| is_person_link(h))
                        .take(25),
                );
            }
        }
        for link in &people {
            let page = c.get(link).await;
            if page.status != StatusCode::OK {
                failures.push(format!("{persona}: person link {link} → {}", page.status));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The menu a page draws is the one `menu::for_caller` derives: HR's setup
/// pages are not offered to a rep, the committee gets no team feedback.
#[tokio::test]
async fn menus_follow_the_route_table() {
    let app = TestApp::new().await;
    let rep = app.login("employee").await.get("/me").await.text();
    let links = menu_links(&rep);
    assert!(links.contains(&"/goals".to_string()), "{links:?}");
    for hr_only in [
        "/goals/setup",
        "/goals/rules",
        "/import",
        "/admin/users",
        "/digests",
    ] {
        assert!(!links.contains(&hr_only.to_string()), "rep sees {hr_only}");
    }
    let committee = app.login("committee").await.get("/me").await.text();
    let links = menu_links(&committee);
    assert!(!links.contains(&"/feedback/team".to_string()), "{links:?}");
    let hr = app.login("hrbp").await.get("/me").await.text();
    let links = menu_links(&hr);
    for page in ["/goals/setup", "/import", "/admin/audit", "/digests"] {
        assert!(
            links.contains(&page.to_string()),
            "HR misses {page}: {links:?}"
        );
    }
    assert!(
        !links.contains(&"/admin/users".to_string()),
        "users are the admin's"
    );
    // The API reference is for integrators: out of everyday menus.
    assert!(!links.contains(&"/api/docs".to_string()), "HR's menu");
    let admin = app.login("admin").await.get("/me").await.text();
    assert!(menu_links(&admin).contains(&"/api/docs".to_string()));
    // The manager's own feedback says what it does, and a refused one
    // comes back as typed.
    let m = app.login("manager").await;
    let page = m.get("/feedback/team").await.text();
    assert!(page.contains("发送反馈给 TA"));
    let r = m
        .post_form(
            "/feedback/give",
            &[("employee_no", "E1"), ("body", "   ")],
            true,
        )
        .await;
    assert!(
        r.text().contains("<option value=\"E1\" selected>"),
        "who kept"
    );
}

/// `people::scope` (one query, then tested per person) agrees with the SQL
/// visibility rule of `people::get_visible` for every role and every person.
#[tokio::test]
async fn the_scope_test_agrees_with_the_visibility_query() {
    let app = TestApp::new().await;
    let everyone = pulse_store::people::list_all(
        &app.db,
        &pulse_store::people::Viewer {
            account_id: 0,
            person_id: 0,
            visibility: pulse_domain::roles::Visibility::Org,
        },
        &Default::default(),
    )
    .await
    .unwrap();
    for login in [
        "employee",
        "manager",
        "director",
        "hrbp",
        "committee",
        "admin",
    ] {
        let (account, _) = pulse_store::accounts::credentials(&app.db, login)
            .await
            .unwrap()
            .unwrap();
        let secret = pulse_store::accounts::create_session(&app.db, account)
            .await
            .unwrap();
        let caller = pulse_store::accounts::caller_by_session(&app.db, &secret)
            .await
            .unwrap()
            .unwrap();
        let viewer = caller.viewer();
        let scope = pulse_store::people::scope(&app.db, &viewer).await.unwrap();
        let mut seen = 0;
        for p in &everyone {
            let by_sql = pulse_store::people::get_visible(&app.db, &viewer, &p.employee_no)
                .await
                .unwrap()
                .is_some();
            assert_eq!(scope.sees(p), by_sql, "{login} → {}", p.employee_no);
            seen += usize::from(by_sql);
        }
        assert!(seen >= 1, "{login} sees at least themselves");
    }
}
