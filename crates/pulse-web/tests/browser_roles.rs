//! Every role of the demo, on a phone (issue 13): signs in, lands on its
//! home (工作台) and walks its main story at 390 × 844 with WeChat Work's
//! user agent, in Chinese and, for the team lead, once in English. Each page
//! must fit the phone, show no missing text ("?"), no raw code and no
//! button that looks live but does nothing. Screenshots go to
//! `test-artifacts/roles/`.

#[path = "api/support/mod.rs"]
mod support;

#[path = "browser_kit/mod.rs"]
mod kit;
use kit::*;

use thirtyfour::prelude::*;

/// (login, the pages of its main story after home, a text each must show).
const WALKS: &[(&str, &[(&str, &str)])] = &[
    (
        "employee",
        &[("/goals", "加权得分"), ("/feedback/new?kind=visit", "拜访")],
    ),
    (
        "engineer",
        &[
            ("/feedback/new?kind=work_order", "报修时间"),
            ("/feedback", "反馈"),
        ],
    ),
    (
        "manager",
        &[("/digests", "价格异议"), ("/goals/team", "团队")],
    ),
    (
        "director",
        &[("/inbox", "权重规则生效"), ("/goals/team", "团队")],
    ),
    (
        "hrbp",
        &[("/goals/rules", "权重规则"), ("/admin/audit", "审计")],
    ),
    ("committee", &[("/me", "校准")]),
    ("admin", &[("/admin/users", "用户"), ("/api/docs", "Pulse")]),
];

async fn visit(d: &WebDriver, base: &str, path: &str, needle: &str, shot: &str) {
    d.goto(format!("{base}{path}")).await.expect("open");
    wait_for_text(d, needle).await;
    assert_fits_phone(d, shot).await;
    // The API reference names codes on purpose: it is for integrators.
    if !path.starts_with("/api/") {
        assert_reads_well(d, shot).await;
    }
    d.screenshot(&artifacts().join("roles").join(format!("{shot}.png")))
        .await
        .expect("screenshot");
}

#[tokio::test]
async fn every_role_walks_its_home_and_story_on_a_phone() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty().await;
    support::build_demo(&app, 3).await;
    let (base, server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("roles")).expect("dir");
    for (login, story) in WALKS {
        let profile = tempfile::tempdir().expect("profile");
        let phone = browser(&driver_url, true, profile.path()).await;
        sign_in_with(&phone, &base, login, pulse_demo::DEMO_PASSWORD).await;
        wait_for_text(&phone, "工作台").await;
        assert_fits_phone(&phone, &format!("{login} home")).await;
        assert_reads_well(&phone, &format!("{login} home")).await;
        phone
            .screenshot(&artifacts().join("roles").join(format!("{login}-home.png")))
            .await
            .expect("screenshot");
        for (i, (path, needle)) in story.iter().enumerate() {
            visit(&phone, &base, path, needle, &format!("{login}-{}", i + 1)).await;
        }
        if *login == "manager" {
            // Once in English: the home and the digest, no Chinese UI text.
            phone.goto(format!("{base}/lang/en")).await.expect("en");
            visit(&phone, &base, "/home", "To do", "manager-home-en").await;
            visit(
                &phone,
                &base,
                "/digests",
                "Team weekly digest",
                "manager-digest-en",
            )
            .await;
        }
        phone.quit().await.expect("quit");
    }
    server.abort();
}
