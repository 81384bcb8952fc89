//! The linkage story in a browser (issue 16): the planted engineer sees on a
//! phone inside WeChat Work that they joined 高潜人才池 and why, with both
//! quarters' values; the agent sees +0.15; a near miss sees nothing; the rep
//! opens their development path and asks for a course; the manager coaches
//! from the same page; HR edits rules (a refused rule keeps what was
//! typed), previews, evaluates again (nothing new) and reverses an outcome.
//! Chinese, and once English. Screenshots go to `test-artifacts/linkage/`.

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
        "join_pool",
        "adjust_bonus",
        "feedback_tag:",
        "soothing_rate",
        "reversed",
        "active",
    ] {
        assert!(!text.contains(code), "{name}: shows {code}");
    }
    d.screenshot(&artifacts().join("linkage").join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

async fn click(d: &WebDriver, css: &str) {
    let e = d
        .find(By::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.scroll_into_view().await.expect("scroll");
    e.click().await.expect("click");
}

async fn phone_as(driver_url: &str, base: &str, login: &str) -> (WebDriver, tempfile::TempDir) {
    let profile = tempfile::tempdir().expect("profile");
    let d = browser(driver_url, true, profile.path()).await;
    sign_in_with(&d, base, login, pulse_demo::DEMO_PASSWORD).await;
    (d, profile)
}

#[tokio::test]
async fn the_linkage_story_on_phones_and_hr_s_desk() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::empty_at("2026-10-19 10:00").await;
    support::build_demo(&app, 28).await;
    let (base, _server) = serve(app.db.clone()).await;
    let (_driver, driver_url) = start_driver().await;
    std::fs::create_dir_all(artifacts().join("linkage")).expect("dir");

    // The engineer: the pool, the course, and both quarters' values.
    let (eng, _p) = phone_as(&driver_url, &base, "engineer").await;
    eng.goto(format!("{base}/me/outcomes"))
        .await
        .expect("outcomes");
    let text = wait_for_text(&eng, "加入高潜人才池").await;
    assert!(text.contains("2026Q2 技术方案创新分 4.6 > 4.5"), "{text}");
    assert!(text.contains("2026Q3 4.7 > 4.5"), "{text}");
    assert!(text.contains("医疗AI认证课程"), "{text}");
    check(&eng, "engineer-outcomes", true).await;
    eng.goto(format!("{base}/lang/en")).await.expect("en");
    eng.goto(format!("{base}/me/outcomes"))
        .await
        .expect("outcomes");
    wait_for_text(&eng, "My growth and rewards").await;
    check(&eng, "engineer-outcomes-en", true).await;
    eng.quit().await.expect("quit");

    // The agent: +0.15 and the rotation priority.
    let (agent, _p) = phone_as(&driver_url, &base, "agent").await;
    agent
        .goto(format!("{base}/me/outcomes"))
        .await
        .expect("outcomes");
    let text = wait_for_text(&agent, "+0.15").await;
    assert!(text.contains("培训师轮岗优先"), "{text}");
    check(&agent, "agent-outcomes", true).await;
    agent.quit().await.expect("quit");

    // A near miss sees nothing.
    let (near, _p) = phone_as(&driver_url, &base, "agent2").await;
    near.goto(format!("{base}/me/outcomes"))
        .await
        .expect("outcomes");
    wait_for_text(&near, "还没有联动结果").await;
    check(&near, "agent2-nothing", true).await;
    near.quit().await.expect("quit");

    // The rep's path, and interest in the course for the weak spot.
    let (rep, _p) = phone_as(&driver_url, &base, "employee").await;
    rep.goto(format!("{base}/me/development"))
        .await
        .expect("path");
    let text = wait_for_text(&rep, "KA客户健康顾问").await;
    assert!(
        text.contains("医疗政策解读") && text.contains("客户关系韧性"),
        "{text}"
    );
    check(&rep, "rep-path", true).await;
    // The demo's history holds everyone's earlier clicks (H3): count this one.
    let clicks = "SELECT COUNT(*) FROM development_activity WHERE action = 'click'";
    let before = support::scalar(&app, clicks).await;
    click(&rep, "#learning form button").await;
    wait_for_text(&rep, "已记录你的兴趣").await;
    check(&rep, "rep-path-interest", true).await;
    rep.quit().await.expect("quit");
    assert_eq!(support::scalar(&app, clicks).await, before + 1);

    // The manager coaches from the rep's page and sees the team's results.
    let rep_no = pulse_demo::plan(pulse_demo::DEFAULT_SEED)
        .by_login("employee")
        .expect("rep")
        .employee_no
        .clone();
    let (lead, _p) = phone_as(&driver_url, &base, "manager").await;
    lead.goto(format!("{base}/people/{rep_no}/development"))
        .await
        .expect("path");
    wait_for_text(&lead, "匹配度").await;
    check(&lead, "manager-rep-path", true).await;
    lead.goto(format!("{base}/linkage")).await.expect("team");
    wait_for_text(&lead, "绩效联动结果").await;
    check(&lead, "manager-linkage", true).await;
    lead.quit().await.expect("quit");

    // HR at the desk: a refused rule keeps what was typed; preview; evaluate.
    let profile = tempfile::tempdir().expect("profile");
    let hr = browser(&driver_url, false, profile.path()).await;
    sign_in_with(&hr, &base, "hrbp", pulse_demo::DEMO_PASSWORD).await;
    hr.goto(format!("{base}/linkage/rules"))
        .await
        .expect("rules");
    wait_for_text(&hr, "服务工程师技术方案创新连续两季度领先").await;
    check(&hr, "hr-rules", false).await;
    let condition = "top_pct(\"客户情绪安抚成功率\", 10)";
    hr.find(By::Css("#editor input[name=name]"))
        .await
        .expect("name")
        .send_keys("客服安抚前10%")
        .await
        .expect("type");
    hr.find(By::Css("#editor textarea[name=condition]"))
        .await
        .expect("cond")
        .send_keys(condition)
        .await
        .expect("type");
    hr.find(By::Css(
        "#editor select[name=kind0] option[value=join_pool]",
    ))
    .await
    .expect("kind")
    .click()
    .await
    .expect("pick");
    hr.find(By::Css("#editor input[name=name0]"))
        .await
        .expect("pool")
        .send_keys("不存在的池")
        .await
        .expect("type");
    click(&hr, "#editor button[value=save]").await;
    wait_for_text(&hr, "没有名为“不存在的池”的人才池").await;
    let kept = hr
        .find(By::Css("#editor textarea[name=condition]"))
        .await
        .expect("cond")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some(condition));
    check(&hr, "hr-rule-refused", false).await;
    let pool = hr
        .find(By::Css("#editor input[name=name0]"))
        .await
        .expect("pool");
    pool.clear().await.expect("clear");
    pool.send_keys("高潜人才池").await.expect("type");
    click(&hr, "#editor button[value=preview]").await;
    wait_for_text(&hr, "人会匹配").await;
    check(&hr, "hr-rule-preview", false).await;
    click(&hr, "#evaluate button").await;
    let text = wait_for_text(&hr, "评估完成").await;
    assert!(text.contains("新增结果 0"), "{text}");
    check(&hr, "hr-evaluated", false).await;
    hr.goto(format!("{base}/linkage/catalog"))
        .await
        .expect("catalog");
    wait_for_text(&hr, "岗位画像").await;
    check(&hr, "hr-catalog", false).await;

    // HR reverses the agent's bonus with a reason.
    let agent_no = pulse_demo::plan(pulse_demo::DEFAULT_SEED)
        .by_login("agent")
        .expect("agent")
        .employee_no
        .clone();
    hr.goto(format!("{base}/people/{agent_no}/outcomes"))
        .await
        .expect("outcomes");
    wait_for_text(&hr, "+0.15").await;
    click(&hr, "section.outcome details summary").await;
    hr.find(By::Css("section.outcome details textarea"))
        .await
        .expect("reason")
        .send_keys("工单重复录入，更正后不在前5%")
        .await
        .expect("type");
    click(&hr, "section.outcome details button").await;
    wait_for_text(&hr, "撤销原因").await;
    check(&hr, "hr-reversed", false).await;
    hr.quit().await.expect("quit");
}
