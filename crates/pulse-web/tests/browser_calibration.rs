//! The calibration story in browsers (issue 15): the facilitator's console
//! on a desktop, a member on a tablet, another on a phone inside WeChat
//! Work and a wall screen at 1920 px all open the demo session; the third
//! score on 案例 07 flags it on every one of them without a reload. No page
//! names the person while blind. HR's refused setup form keeps what was
//! typed. Screenshots go to `test-artifacts/calibration/`.

#[path = "api/support/mod.rs"]
mod support;

#[path = "browser_kit/mod.rs"]
mod kit;
use kit::*;

use thirtyfour::prelude::*;

async fn shot(d: &WebDriver, name: &str) {
    d.screenshot(&artifacts().join("calibration").join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

async fn body(d: &WebDriver) -> String {
    d.execute("return document.body.innerText", vec![])
        .await
        .expect("js")
        .convert()
        .expect("text")
}

async fn check(d: &WebDriver, name: &str, phone: bool, hidden: &[&str]) {
    if phone {
        assert_fits_phone(d, name).await;
    }
    assert_reads_well(d, name).await;
    let text = body(d).await;
    for code in [
        "pre_scoring",
        "in_calibration",
        "sigma_kind",
        "finalized",
        "undefined",
    ] {
        assert!(!text.contains(code), "{name}: shows {code}");
    }
    let html: String = d
        .execute("return document.documentElement.outerHTML", vec![])
        .await
        .expect("js")
        .convert()
        .expect("html");
    for h in hidden {
        assert!(!html.contains(h), "{name}: names {h} while blind");
    }
    shot(d, name).await;
}

async fn sized(driver_url: &str, w: u32, h: u32) -> (WebDriver, tempfile::TempDir) {
    let profile = tempfile::tempdir().expect("profile");
    let d = browser(driver_url, false, profile.path()).await;
    d.set_window_rect(0, 0, w, h).await.expect("size");
    (d, profile)
}

/// Waits until `js` (an expression) is true on the page.
async fn wait_js(d: &WebDriver, js: &str, what: &str) {
    for _ in 0..200 {
        if let Ok(v) = d.execute(&format!("return !!({js})"), vec![]).await
            && v.convert::<bool>().unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: never became true: {js}");
}

#[tokio::test]
async fn the_third_score_flags_the_case_on_every_screen_without_a_reload() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty().await;
    support::build_demo(&app, 3).await;
    let case_id = support::scalar(&app, "SELECT id FROM calibration_cases WHERE seq = 7").await;
    let person = support::scalar(
        &app,
        &format!("SELECT r.person_id FROM calibration_cases k JOIN reviews r ON r.id = k.review_id WHERE k.id = {case_id}"),
    )
    .await;
    let (base, _server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("calibration")).expect("dir");
    let mut who = Vec::new();
    for col in ["p.name", "p.employee_no", "u.name"] {
        who.push(
            support::text(
                &app,
                &format!("SELECT {col} FROM people p JOIN org_units u ON u.id = p.org_unit_id WHERE p.id = {person}"),
            )
            .await,
        );
    }
    let hidden: Vec<&str> = who.iter().map(String::as_str).collect();

    // The facilitator's console on a desktop.
    let (console, _p1) = sized(&driver_url, 1366, 900).await;
    sign_in_with(&console, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    console
        .goto(format!("{base}/calibration"))
        .await
        .expect("list");
    wait_for_text(&console, "新建校准会").await;
    check(&console, "hr-sessions", false, &[]).await;
    console
        .goto(format!("{base}/calibration/1"))
        .await
        .expect("console");
    wait_for_text(&console, "案例队列").await;
    check(&console, "console", false, &hidden).await;

    // A member on a tablet, another on a phone, a wall screen at 1920.
    let (tablet, _p2) = sized(&driver_url, 820, 1180).await;
    sign_in_with(&tablet, &base, "director", pulse_demo::DEMO_PASSWORD).await;
    tablet
        .goto(format!("{base}/calibration/1"))
        .await
        .expect("score");
    wait_for_text(&tablet, "案例 07").await;
    check(&tablet, "member-tablet", false, &hidden).await;
    let (wall, _p3) = sized(&driver_url, 1920, 1080).await;
    sign_in_with(&wall, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    for side in ["middle", "right", "left"] {
        wall.goto(format!("{base}/calibration/1/screen/{side}"))
            .await
            .expect("screen");
        wait_for_text(&wall, "案例 07").await;
        check(&wall, &format!("wall-{side}"), false, &hidden).await;
    }
    let profile = tempfile::tempdir().expect("profile");
    let phone = browser(&driver_url, true, profile.path()).await;
    sign_in_with(&phone, &base, "committee", pulse_demo::DEMO_PASSWORD).await;
    phone
        .goto(format!("{base}/calibration/1"))
        .await
        .expect("score");
    wait_for_text(&phone, "案例 07").await;
    check(&phone, "member-phone", true, &hidden).await;

    // Nobody reloads: a marker on each page must survive the flag.
    for d in [&console, &tablet, &wall] {
        d.execute("window.__stayed = true", vec![])
            .await
            .expect("mark");
        wait_js(d, "document.querySelector('[data-stream]')", "stream").await;
    }
    // The streams are connected before the score lands.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let two = phone
        .find(By::Css(".cal-current .score-steps input[value='2'] + span"))
        .await
        .expect("the 2 button");
    two.scroll_into_view().await.expect("scroll");
    two.click().await.expect("pick 2");
    phone
        .find(By::Css(".cal-current button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit");
    wait_for_text(&phone, "委员评分分歧较大").await;
    check(&phone, "member-phone-flagged", true, &hidden).await;

    wait_js(
        &tablet,
        "document.querySelector('.cal-current .alert') && window.__stayed",
        "tablet flag",
    )
    .await;
    wait_js(
        &tablet,
        "document.querySelector('details[data-pack][open]')",
        "tablet pack",
    )
    .await;
    check(&tablet, "member-tablet-flagged", false, &hidden).await;
    wait_js(
        &console,
        "document.querySelector('.cal-current .badge.warn') && window.__stayed",
        "console flag",
    )
    .await;
    check(&console, "console-flagged", false, &hidden).await;
    wait_js(
        &wall,
        "document.querySelector('.alert') && window.__stayed",
        "wall flag",
    )
    .await;
    check(&wall, "wall-left-flagged", false, &hidden).await;

    // Once in English, on the phone.
    phone.goto(format!("{base}/lang/en")).await.expect("en");
    phone
        .goto(format!("{base}/calibration/1"))
        .await
        .expect("score");
    wait_for_text(&phone, "Case 07").await;
    check(&phone, "member-phone-en", true, &hidden).await;

    // HR's refused setup keeps what was typed.
    console
        .goto(format!("{base}/calibration"))
        .await
        .expect("list");
    wait_for_text(&console, "新建校准会").await;
    let name = console
        .find(By::Css("form[action='/calibration'] input[name=name]"))
        .await
        .expect("name");
    name.send_keys("华南服务年终校准").await.expect("type");
    console
        .find(By::Css(
            "form[action='/calibration'] input[name=facilitator]",
        ))
        .await
        .expect("facilitator")
        .send_keys("NOBODY")
        .await
        .expect("type");
    console
        .find(By::Css(
            "form[action='/calibration'] textarea[name=members]",
        ))
        .await
        .expect("members")
        .send_keys("X1, X2")
        .await
        .expect("type");
    let submit = console
        .find(By::Css("form[action='/calibration'] button[type=submit]"))
        .await
        .expect("submit");
    submit.scroll_into_view().await.expect("scroll");
    submit.click().await.expect("submit");
    wait_for_text(&console, "找不到主持人").await;
    let kept = console
        .find(By::Css("form[action='/calibration'] input[name=name]"))
        .await
        .expect("name")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(kept, "华南服务年终校准");
    check(&console, "hr-setup-refused", false, &[]).await;
    for d in [console, tablet, wall, phone] {
        d.quit().await.expect("quit");
    }
}

/// C6: the gap map on a desktop and a phone while the committee scores,
/// then — after the reveal — a letter on a phone (Chinese, once English).
#[tokio::test]
async fn the_reports_read_on_a_desk_and_a_phone() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty().await;
    support::build_demo(&app, 3).await;
    let (base, _server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("calibration")).expect("dir");

    let (desk, _p1) = sized(&driver_url, 1366, 900).await;
    sign_in_with(&desk, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    desk.goto(format!("{base}/calibration/1"))
        .await
        .expect("console");
    wait_for_text(&desk, "组织能力短板地图").await;
    desk.find(By::LinkText("组织能力短板地图"))
        .await
        .expect("gap link")
        .click()
        .await
        .expect("open");
    wait_for_text(&desk, "共性短板").await;
    assert!(body(&desk).await.contains("复杂谈判策略"));
    check(&desk, "gaps-desktop", false, &[]).await;

    let profile = tempfile::tempdir().expect("profile");
    let phone = browser(&driver_url, true, profile.path()).await;
    sign_in_with(&phone, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    phone
        .goto(format!("{base}/calibration/1/gaps"))
        .await
        .expect("gaps");
    wait_for_text(&phone, "共性短板").await;
    check(&phone, "gaps-phone", true, &[]).await;

    // Reveal from the console, then read a letter.
    for label in ["开始会议", "揭晓"] {
        desk.goto(format!("{base}/calibration/1"))
            .await
            .expect("console");
        let button = desk
            .find(By::XPath(format!("//button[contains(., '{label}')]")))
            .await
            .unwrap_or_else(|_| panic!("no “{label}” button"));
        button.scroll_into_view().await.expect("scroll");
        desk.execute("window.confirm = () => true", vec![])
            .await
            .expect("confirm");
        button.click().await.expect("move");
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    desk.goto(format!("{base}/calibration/1"))
        .await
        .expect("console");
    wait_for_text(&desk, "成长建议书").await;
    desk.find(By::LinkText("成长建议书"))
        .await
        .expect("letters link")
        .click()
        .await
        .expect("open");
    wait_for_text(&desk, "查看建议书").await;
    check(&desk, "letters-desktop", false, &[]).await;

    let case_id = support::scalar(&app, "SELECT id FROM calibration_cases WHERE seq = 3").await;
    phone
        .goto(format!("{base}/calibration/1/letters/{case_id}"))
        .await
        .expect("letter");
    wait_for_text(&phone, "需要提升的行为").await;
    check(&phone, "letter-phone", true, &[]).await;
    phone.goto(format!("{base}/lang/en")).await.expect("en");
    phone
        .goto(format!("{base}/calibration/1/letters/{case_id}"))
        .await
        .expect("letter");
    wait_for_text(&phone, "Behaviours to improve").await;
    check(&phone, "letter-phone-en", true, &[]).await;
    for d in [desk, phone] {
        d.quit().await.expect("quit");
    }
}
