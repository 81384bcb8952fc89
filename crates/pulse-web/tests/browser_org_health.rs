//! Organisational health in a browser (issue 17): HR leadership reads the
//! dashboard on a phone inside WeChat Work — three metrics' before → after,
//! trends, operational figures, how each was computed — and on a desk, with
//! the print layout; the director sees their region with the small team
//! hidden; a rep answers the anonymous survey under its PIPL notice and
//! fills in their three tasks (a refused form keeps what was typed); HR
//! launches a survey and an HRBP verifies a claim. Chinese, and once
//! English. Screenshots go to `test-artifacts/org_health/`.

#[path = "api/support/mod.rs"]
mod support;

#[path = "browser_kit/mod.rs"]
mod kit;
use kit::*;

use thirtyfour::prelude::*;

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
        "too_few",
        "sibling",
        "per_week",
        "percent",
        "very_clear",
        "agree",
        "null",
        "NaN",
    ] {
        assert!(!text.contains(code), "{name}: shows {code}");
    }
    d.screenshot(&artifacts().join("org_health").join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

async fn click(d: &WebDriver, css: &str) {
    let e = d
        .find(By::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.scroll_into_view().await.expect("scroll");
    e.click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn as_who(
    driver_url: &str,
    base: &str,
    login: &str,
    phone: bool,
) -> (WebDriver, tempfile::TempDir) {
    let profile = tempfile::tempdir().expect("profile");
    let d = browser(driver_url, phone, profile.path()).await;
    sign_in_with(&d, base, login, pulse_demo::DEMO_PASSWORD).await;
    (d, profile)
}

async fn value_of(d: &WebDriver, css: &str) -> String {
    d.find(By::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .value()
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test]
async fn leadership_reads_the_pulse_and_staff_answer_on_phones() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty_at("2026-12-04 10:00").await;
    support::build_demo(&app, 3).await;
    let (base, _server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("org_health")).expect("dir");

    // HR leadership on a phone: before → after, trends, how computed.
    let (hr, _p) = as_who(&driver_url, &base, "hrbp", true).await;
    hr.goto(format!("{base}/health")).await.expect("dashboard");
    let text = wait_for_text(&hr, "目标对齐度").await;
    assert!(text.contains("31.3%") && text.contains("79.2%"), "{text}");
    assert!(text.contains("42.0%") && text.contains("86.0%"), "{text}");
    assert!(
        text.contains("运营指标") && text.contains("评语撰写时间"),
        "{text}"
    );
    check(&hr, "dashboard-phone", true).await;
    click(&hr, "#metric-alignment details summary").await;
    let text = wait_for_text(&hr, "经 HRBP 核实").await;
    assert!(text.contains("48 人中，38 人"), "{text}");
    check(&hr, "dashboard-how", true).await;
    // The settings form: a refused value keeps what was typed.
    let field = hr
        .find(By::Css("#settings input[name=min_group]"))
        .await
        .expect("min");
    field.scroll_into_view().await.expect("scroll");
    field.clear().await.expect("clear");
    field.send_keys("2").await.expect("type");
    let pts = hr
        .find(By::Css("#settings input[name=target_points]"))
        .await
        .expect("pts");
    pts.clear().await.expect("clear");
    pts.send_keys("40").await.expect("type");
    click(&hr, "#settings button[type=submit]").await;
    wait_for_text(&hr, "3 到 50").await;
    assert_eq!(value_of(&hr, "#settings input[name=min_group]").await, "2");
    assert_eq!(
        value_of(&hr, "#settings input[name=target_points]").await,
        "40"
    );
    check(&hr, "settings-refused", true).await;
    // English once.
    hr.goto(format!("{base}/lang/en")).await.expect("en");
    hr.goto(format!("{base}/health")).await.expect("dashboard");
    wait_for_text(&hr, "Feedback trust").await;
    check(&hr, "dashboard-phone-en", true).await;
    hr.goto(format!("{base}/lang/zh-CN")).await.expect("zh");
    // The verification queue: a claim beside the person's goal chains.
    hr.goto(format!("{base}/health/alignment"))
        .await
        .expect("rounds");
    wait_for_text(&hr, "待核实").await;
    check(&hr, "alignment-queue", true).await;
    let before = support::scalar(
        &app,
        "SELECT COUNT(*) FROM alignment_tasks WHERE verdict IS NOT NULL",
    )
    .await;
    click(&hr, "#queue li form button[value=agree]").await;
    wait_for_path(&hr, "/health/alignment").await;
    for _ in 0..50 {
        if support::scalar(
            &app,
            "SELECT COUNT(*) FROM alignment_tasks WHERE verdict IS NOT NULL",
        )
        .await
            > before
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        support::scalar(
            &app,
            "SELECT COUNT(*) FROM alignment_tasks WHERE verdict IS NOT NULL"
        )
        .await,
        before + 1
    );
    // Launching a survey: a refused launch keeps the title.
    hr.goto(format!("{base}/health/surveys"))
        .await
        .expect("surveys");
    wait_for_text(&hr, "发起调查").await;
    hr.find(By::Css("#launch input[name=title]"))
        .await
        .expect("title")
        .send_keys("十二月 华东")
        .await
        .expect("type");
    let min = hr
        .find(By::Css("#launch input[name=min_group]"))
        .await
        .expect("min");
    min.clear().await.expect("clear");
    min.send_keys("2").await.expect("type");
    click(&hr, "#launch button[type=submit]").await;
    wait_for_text(&hr, "3 到 50").await;
    assert_eq!(
        value_of(&hr, "#launch input[name=title]").await,
        "十二月 华东"
    );
    check(&hr, "survey-launch-refused", true).await;
    hr.quit().await.expect("quit");

    // On a desk, with the print layout.
    let (desk, _p) = as_who(&driver_url, &base, "hrbp", false).await;
    desk.goto(format!("{base}/health"))
        .await
        .expect("dashboard");
    wait_for_text(&desk, "区域热力图").await;
    check(&desk, "dashboard-desk", false).await;
    desk.execute(
        "const s = document.createElement('style'); s.textContent = (Array.from(document.styleSheets).flatMap(x => Array.from(x.cssRules)).filter(r => r.media && r.media.mediaText.includes('print')).map(r => Array.from(r.cssRules).map(c => c.cssText).join('\\n')).join('\\n')); document.head.appendChild(s);",
        vec![],
    )
    .await
    .expect("print css");
    let shown: bool = desk
        .execute(
            "return getComputedStyle(document.querySelector('header.top')).display !== 'none'",
            vec![],
        )
        .await
        .expect("js")
        .convert()
        .expect("bool");
    assert!(!shown, "the print layout hides the menu");
    desk.screenshot(&artifacts().join("org_health").join("dashboard-print.png"))
        .await
        .expect("shot");
    desk.quit().await.expect("quit");

    // The director: their region, the small team hidden with its sibling.
    let (dir, _p) = as_who(&driver_url, &base, "director", true).await;
    dir.goto(format!("{base}/health")).await.expect("dashboard");
    let text = wait_for_text(&dir, "华东大区").await;
    assert!(text.contains("人数不足，不显示"), "{text}");
    check(&dir, "director-region", true).await;
    dir.quit().await.expect("quit");

    // A rep: the survey with its notice, then the three tasks.
    let (rep, _p) = as_who(&driver_url, &base, "employee", true).await;
    let survey = support::scalar(&app, "SELECT MAX(id) FROM surveys").await;
    rep.goto(format!("{base}/health/surveys/{survey}"))
        .await
        .expect("survey");
    wait_for_text(&rep, "个人信息说明").await;
    check(&rep, "survey-closed-notice", true).await;
    // HR's launch on the API, then the rep answers on the phone.
    let hrc = support::demo_login(&app, "hrbp").await;
    let r = hrc
        .post_json(
            "/api/v1/surveys",
            &serde_json::json!({"title": "十二月 反馈信任度", "unit": "HD"}),
        )
        .await;
    let open = r.json()["id"].as_i64().expect("survey id");
    rep.goto(format!("{base}/health/surveys/{open}"))
        .await
        .expect("survey");
    let text = wait_for_text(&rep, "无法知道你选了什么").await;
    assert!(text.contains("你最近一次收到的绩效反馈"), "{text}");
    check(&rep, "survey-answer", true).await;
    click(&rep, "label.choice:nth-of-type(2)").await;
    click(&rep, "main form button[type=submit]").await;
    wait_for_text(&rep, "已匿名计入").await;
    check(&rep, "survey-thanks", true).await;
    let round = support::scalar(&app, "SELECT MAX(id) FROM alignment_rounds").await;
    rep.goto(format!("{base}/health/alignment/{round}"))
        .await
        .expect("tasks");
    wait_for_text(&rep, "本月最忙的 3 项工作").await;
    check(&rep, "tasks-form", true).await;
    for (i, t) in ["拜访重点医院客户", "x", "整理报价"].iter().enumerate() {
        rep.find(By::Css(format!("input[name=task{}]", i + 1)))
            .await
            .expect("task")
            .send_keys(*t)
            .await
            .expect("type");
    }
    for i in 1..=3 {
        let sel = rep
            .find(By::Css(format!("select[name=goal{i}]")))
            .await
            .expect("goal");
        sel.scroll_into_view().await.expect("scroll");
        thirtyfour::components::SelectElement::new(&sel)
            .await
            .expect("select")
            .select_by_index(if i == 3 { 1 } else { 2 })
            .await
            .expect("choose");
    }
    // The browser's own check would stop "x"; the server's must keep the rest.
    rep.execute(
        "document.querySelectorAll('input').forEach(i => i.removeAttribute('minlength'))",
        vec![],
    )
    .await
    .expect("js");
    click(&rep, "main form button[type=submit]").await;
    wait_for_text(&rep, "2–60").await;
    assert_eq!(
        value_of(&rep, "input[name=task1]").await,
        "拜访重点医院客户"
    );
    check(&rep, "tasks-refused", true).await;
    let t2 = rep.find(By::Css("input[name=task2]")).await.expect("task2");
    t2.clear().await.expect("clear");
    t2.send_keys("推进招标项目").await.expect("type");
    click(&rep, "main form button[type=submit]").await;
    wait_for_text(&rep, "HRBP 会逐项核实").await;
    check(&rep, "tasks-sent", true).await;
    rep.quit().await.expect("quit");
}
