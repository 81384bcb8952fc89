//! The review story in a browser (issue 14): the team lead opens a due
//! review on a phone inside WeChat Work, ticks two records, gets a draft,
//! changes a few words and submits; HR releases; the rep reads and
//! acknowledges on their phone. Each page fits 390 px and reads well, in
//! Chinese and once in English; a refused draft keeps what was ticked.
//! Screenshots go to `test-artifacts/reviews/`.

#[path = "api/support/mod.rs"]
mod support;

#[path = "browser_kit/mod.rs"]
mod kit;
use kit::*;

use thirtyfour::prelude::*;

async fn shot(d: &WebDriver, name: &str) {
    d.screenshot(&artifacts().join("reviews").join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

async fn check(d: &WebDriver, name: &str, phone: bool) {
    if phone {
        assert_fits_phone(d, name).await;
    }
    assert_reads_well(d, name).await;
    let text: String = d
        .execute("return document.body.innerText", vec![])
        .await
        .expect("js")
        .convert()
        .expect("text");
    for code in [
        "in_calibration",
        "feedback_card",
        "goal_result",
        "work_order",
        "acknowledged",
        "submitted",
    ] {
        assert!(!text.contains(code), "{name}: shows {code}");
    }
    shot(d, name).await;
}

/// Waits until the page shows one of two texts; returns the body text.
async fn wait_for_either(d: &WebDriver, a: &str, b: &str) -> String {
    for _ in 0..200 {
        if let Ok(t) = d
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .and_then(|r| r.convert::<String>())
            && (t.contains(a) || t.contains(b))
        {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never saw {a:?} or {b:?}");
}

async fn click(d: &WebDriver, css: &str) {
    let e = d
        .find(By::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.scroll_into_view().await.expect("scroll");
    e.click().await.expect("click");
}

#[tokio::test]
async fn a_review_is_written_on_a_phone_released_and_acknowledged() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty().await;
    support::build_demo(&app, 3).await;
    let (base, server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("reviews")).expect("dir");
    let rep = pulse_demo::plan(pulse_demo::DEFAULT_SEED)
        .by_login("employee")
        .expect("rep")
        .name
        .clone();

    // The team lead, on a phone.
    let profile = tempfile::tempdir().expect("profile");
    let lead = browser(&driver_url, true, profile.path()).await;
    sign_in_with(&lead, &base, "manager", pulse_demo::DEMO_PASSWORD).await;
    lead.goto(format!("{base}/reviews")).await.expect("reviews");
    wait_for_text(&lead, "待我撰写").await;
    check(&lead, "manager-due", true).await;
    let rows = lead.find_all(By::Css("#to-write li")).await.expect("rows");
    let mut opened = false;
    for r in rows {
        if r.text().await.expect("text").contains(&rep) {
            r.find(By::Css("a.button"))
                .await
                .expect("link")
                .click()
                .await
                .expect("open");
            opened = true;
            break;
        }
    }
    assert!(opened, "the rep's review is due");
    wait_for_text(&lead, "本期证据").await;
    check(&lead, "manager-evidence", true).await;

    // One tick is refused, and the tick is kept.
    click(&lead, "#evidence input[name=evidence]").await;
    click(&lead, "#evidence button[type=submit]").await;
    wait_for_text(&lead, "请恰好勾选 2 条").await;
    let kept = lead
        .find_all(By::Css("#evidence input[name=evidence]:checked"))
        .await
        .expect("ticks");
    assert_eq!(kept.len(), 1, "the refused form keeps the tick");
    check(&lead, "manager-draft-refused", true).await;

    // Two ticks make the draft.
    let boxes = lead
        .find_all(By::Css("#evidence input[name=evidence]"))
        .await
        .expect("boxes");
    boxes[1].scroll_into_view().await.expect("scroll");
    boxes[1].click().await.expect("tick");
    click(&lead, "#evidence button[type=submit]").await;
    wait_for_text(&lead, "草稿已生成").await;
    let area = lead
        .find(By::Css("#review-form textarea"))
        .await
        .expect("editor");
    let draft = area.prop("value").await.expect("value").unwrap_or_default();
    assert!(
        draft.contains("发展建议") && draft.chars().any(|c| c.is_ascii_digit()),
        "{draft}"
    );
    check(&lead, "manager-draft", true).await;

    // A few words changed, a rating, submit (past any gentle warning).
    area.scroll_into_view().await.expect("scroll");
    area.send_keys(" 继续保持。").await.expect("type");
    lead.find(By::Css(
        "#review-form select[name=rating] option[value='4']",
    ))
    .await
    .expect("4")
    .click()
    .await
    .expect("rate");
    click(&lead, "#review-form button[type=submit]").await;
    let after = wait_for_either(&lead, "评价已提交", "提交前请再看一眼").await;
    if after.contains("提交前请再看一眼") {
        check(&lead, "manager-warning", true).await;
        click(&lead, "#review-form button[name=confirm]").await;
    }
    wait_for_text(&lead, "评价已提交").await;
    wait_for_text(&lead, "修改处数").await;
    check(&lead, "manager-submitted", true).await;

    // Once in English.
    lead.goto(format!("{base}/lang/en")).await.expect("en");
    lead.goto(format!("{base}/reviews")).await.expect("reviews");
    wait_for_text(&lead, "Reviews to write").await;
    check(&lead, "manager-due-en", true).await;
    lead.quit().await.expect("quit");

    // HR releases the cycle's submitted reviews (desktop).
    let profile = tempfile::tempdir().expect("profile");
    let hr = browser(&driver_url, false, profile.path()).await;
    sign_in_with(&hr, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    hr.goto(format!("{base}/reviews/cycles"))
        .await
        .expect("cycles");
    wait_for_text(&hr, "发起评价周期").await;
    check(&hr, "hr-cycles", false).await;
    let open = hr
        .find(By::XPath("//tr[.//span[contains(@class,'state-open')]]//a"))
        .await
        .expect("open cycle");
    open.click().await.expect("open");
    wait_for_text(&hr, "撰写效率").await;
    check(&hr, "hr-progress", false).await;
    hr.execute("window.confirm = function () { return true; }", vec![])
        .await
        .expect("js");
    click(&hr, "form[action$='/release'] button").await;
    wait_for_text(&hr, "份评价").await;
    shot(&hr, "hr-released").await;
    hr.quit().await.expect("quit");

    // The rep reads and acknowledges on the phone.
    let profile = tempfile::tempdir().expect("profile");
    let me = browser(&driver_url, true, profile.path()).await;
    sign_in_with(&me, &base, "employee", pulse_demo::DEMO_PASSWORD).await;
    me.goto(format!("{base}/reviews")).await.expect("mine");
    wait_for_text(&me, "我的评价").await;
    check(&me, "employee-mine", true).await;
    click(&me, "#mine li a.button").await;
    wait_for_text(&me, "继续保持").await;
    check(&me, "employee-read", true).await;
    me.find(By::Css("textarea[name=comment]"))
        .await
        .expect("comment")
        .send_keys("收到，谢谢")
        .await
        .expect("type");
    click(&me, "form[action$='/acknowledge'] button").await;
    wait_for_text(&me, "已确认").await;
    check(&me, "employee-acknowledged", true).await;
    me.quit().await.expect("quit");
    server.abort();
}
