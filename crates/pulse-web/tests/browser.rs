//! Browser tests (issue 2 §11): headless Chromium, driven over WebDriver by
//! Debian's chromedriver, signs in at phone size and desktop size and finds a
//! person through the org tree and through search. Screenshots are kept in
//! `test-artifacts/` at the workspace root.
//!
//! Without chromium/chromedriver the test fails under CI (which installs
//! them) and is reported as not run elsewhere, so `cargo test` on a fresh
//! machine still passes.

#[path = "api/support/mod.rs"]
mod support;

use thirtyfour::prelude::*;

#[path = "browser_kit/mod.rs"]
mod kit;
use kit::*;

#[tokio::test]
async fn sign_in_and_find_people_on_phone_and_desktop() {
    if !browser_available() {
        return;
    }
    let app = support::TestApp::new().await;
    let (base, server) = serve(app.db.clone()).await;
    let started = std::time::Instant::now();
    let (_driver, driver_url) = start_driver().await;
    let out = artifacts();

    // Phone (390×844): sign in, search by name, open the person.
    let profile = tempfile::tempdir().expect("profile");
    let phone = browser(&driver_url, true, profile.path()).await;
    eprintln!("browser up after {:?}", started.elapsed());
    sign_in(&phone, &base, "manager").await;
    eprintln!("signed in after {:?}", started.elapsed());
    // Signing in lands on the home page (工作台), then the profile.
    let home = wait_for_text(&phone, "工作台").await;
    assert!(home.contains("今日待办"), "{home}");
    assert_fits_phone(&phone, "home").await;
    phone
        .screenshot(&out.join("phone-home.png"))
        .await
        .expect("screenshot");
    phone.goto(format!("{base}/me")).await.expect("open /me");
    wait_for_path(&phone, "/me").await;
    let body = phone
        .find(By::Tag("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(body.contains("马主管"), "profile shows the name: {body}");
    phone
        .screenshot(&out.join("phone-me.png"))
        .await
        .expect("screenshot");
    assert_fits_phone(&phone, "profile page").await;

    // Notification settings on the phone: choose email as well, set quiet hours, save.
    phone
        .find(By::Css("input[name=channel][value=email]"))
        .await
        .expect("email box")
        .click()
        .await
        .expect("tick");
    phone
        .execute(
            "document.querySelector('input[name=quiet_start]').value='22:00';\
             document.querySelector('input[name=quiet_end]').value='07:30';",
            vec![],
        )
        .await
        .expect("times");
    phone
        .find(By::Css(
            "form[action='/me/notifications'] button[type=submit]",
        ))
        .await
        .expect("save button")
        .click()
        .await
        .expect("save");
    // The page navigates after the save: read it with the helper that survives that.
    let saved = wait_for_text(&phone, "通知设置已保存").await;
    assert!(saved.contains("通知设置已保存"), "{saved}");
    let start: String = phone
        .execute(
            "return document.querySelector('input[name=quiet_start]').value",
            vec![],
        )
        .await
        .expect("js")
        .convert()
        .expect("string");
    assert_eq!(start, "22:00");
    assert_fits_phone(&phone, "profile with notification settings").await;

    // The inbox on the phone: an overdue to-do and the badge.
    let m1 = pulse_store::people::by_employee_no(&app.db, "M1")
        .await
        .expect("q")
        .expect("M1")
        .id;
    let mut tx = app.db.begin().await.expect("tx");
    pulse_store::inbox::create(
        &mut tx,
        &pulse_store::inbox::NewTodo {
            person_id: m1,
            kind: "onboarding_1on1".into(),
            subject: pulse_domain::i18n::Both::new(
                "与新同事 尔销售 完成入职一对一沟通",
                "Onboarding one-to-one with 尔销售",
            ),
            link: "/people/E2".into(),
            source_key: "browser:1".into(),
            due_at: Some(app.db.now_ms() - 86_400_000),
        },
    )
    .await
    .expect("todo");
    tx.commit().await.expect("commit");
    phone.goto(format!("{base}/inbox")).await.expect("inbox");
    let text = phone
        .find(By::Css("ul.todos"))
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(text.contains("尔销售") && text.contains("已逾期"), "{text}");
    assert_fits_phone(&phone, "inbox").await;
    phone
        .screenshot(&out.join("phone-inbox.png"))
        .await
        .expect("screenshot");

    // The goal board on the phone (G2, G5, G6): a rule-adjusted weight, the
    // chain to the TOP goal, and a target adjustment request.
    let period = support::seed_goals(&app.db).await;
    let r1 = pulse_store::org::by_code(&app.db, "R1")
        .await
        .expect("q")
        .expect("R1")
        .id;
    let mut tx = app.db.begin().await.expect("tx");
    pulse_store::weight_rules::set_region_metrics(
        &mut tx,
        r1,
        period,
        &[("a_class_new_sign_rate".into(), 0.18)],
    )
    .await
    .expect("metrics");
    tx.commit().await.expect("commit");
    pulse_store::weight_rules::evaluate(&app.db, period, None, &pulse_store::Actor::system("rule"))
        .await
        .expect("evaluate");
    phone.goto(format!("{base}/goals")).await.expect("goals");
    let board = wait_for_text(&phone, "新客户首单转化率").await;
    assert!(board.contains("35%") && board.contains("TOP2"), "{board}");
    assert_fits_phone(&phone, "goal board").await;
    phone
        .screenshot(&out.join("phone-goals.png"))
        .await
        .expect("screenshot");
    let card = phone
        .find(By::Css("li.goal:nth-of-type(3)"))
        .await
        .expect("third card");
    card.find(By::Css("details:last-of-type > summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open");
    card.find(By::Css("input[name=new_target]"))
        .await
        .expect("target")
        .send_keys("110.01")
        .await
        .expect("type");
    card.find(By::Css("textarea[name=reason]"))
        .await
        .expect("reason")
        .send_keys("新增两家三甲医院")
        .await
        .expect("type");
    card.find(By::Css("details:last-of-type button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_for_text(&phone, "超过单次申请上限 10%").await;
    // The refused form comes back open on its card with what was typed.
    let card = phone
        .find(By::Css("li.goal:nth-of-type(3)"))
        .await
        .expect("third card");
    let target = card
        .find(By::Css("input[name=new_target]"))
        .await
        .expect("target");
    assert_eq!(
        target.value().await.expect("value").as_deref(),
        Some("110.01"),
        "the refused request keeps what was typed"
    );
    target.clear().await.expect("clear");
    target.send_keys("110").await.expect("type");
    card.find(By::Css("details:last-of-type button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_for_text(&phone, "微调申请已提交").await;
    assert_fits_phone(&phone, "goal board after a request").await;
    phone
        .goto(format!("{base}/goals/team"))
        .await
        .expect("team");
    wait_for_text(&phone, "易销售").await;
    assert_fits_phone(&phone, "team board").await;
    phone
        .screenshot(&out.join("phone-team-goals.png"))
        .await
        .expect("screenshot");

    phone.goto(format!("{base}/org")).await.expect("org");
    let search = phone
        .find(By::Css("input[name=q]"))
        .await
        .expect("search box");
    search.send_keys("尔销售").await.expect("type");
    phone
        .find(By::Css("form.search button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("search");
    wait_for_query(&phone).await;
    let link = phone
        .query(By::LinkText("尔销售"))
        .first()
        .await
        .expect("result link");
    assert_fits_phone(&phone, "org search").await;
    phone
        .screenshot(&out.join("phone-search.png"))
        .await
        .expect("screenshot");
    link.click().await.expect("open person");
    wait_for_path(&phone, "/people/E2").await;
    let body = phone
        .find(By::Tag("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(
        body.contains("E2") && body.contains("马主管"),
        "person page shows 工号 and manager: {body}"
    );
    phone
        .screenshot(&out.join("phone-person.png"))
        .await
        .expect("screenshot");

    // Feedback on the phone (P2, F1, F2): the rep logs a visit, writes the
    // 15-minute card and earns the point; the manager sees the card.
    support::seed_feedback(&app.db).await;
    phone.delete_all_cookies().await.expect("sign out");
    sign_in(&phone, &base, "employee").await;
    phone
        .goto(format!("{base}/feedback/new?kind=visit"))
        .await
        .expect("visit form");
    phone
        .find(By::Css("input[name=customer]"))
        .await
        .expect("customer")
        .send_keys("瑞华医院")
        .await
        .expect("type");
    assert_fits_phone(&phone, "visit form").await;
    phone
        .find(By::Css("form.event-form button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save visit");
    wait_for_text(&phone, "选 3 个标签").await;
    let submit = phone
        .find(By::Css("form.feedback-card button[type=submit]"))
        .await
        .expect("submit");
    assert!(
        !submit.is_enabled().await.expect("state"),
        "the card cannot be sent before 3 tags and an observation"
    );
    let why = wait_for_text(&phone, "还需选 3 个标签并打分").await;
    assert!(why.contains("0 / 3"), "the disabled button says why: {why}");
    // Three taps a tag: the chip picks it, a number rates it.
    let rows = phone
        .find_all(By::Css("[data-tag-row]"))
        .await
        .expect("tags");
    for (row, rating) in rows.iter().take(3).zip([4usize, 3, 5]) {
        row.find(By::Css("label.chip"))
            .await
            .expect("chip")
            .click()
            .await
            .expect("pick");
        row.find(By::Css(format!(".stars label:nth-child({rating}) span")))
            .await
            .expect("rating")
            .click()
            .await
            .expect("rate");
    }
    let fourth = rows[3]
        .find(By::Css("input.pick"))
        .await
        .expect("fourth chip");
    assert!(
        !fourth.is_enabled().await.expect("state"),
        "a fourth tag rests until one is unpicked"
    );
    wait_for_text(&phone, "写一句观察").await;
    phone
        .find(By::Css("input[name=observation]"))
        .await
        .expect("observation")
        .send_keys("客户关注交付周期")
        .await
        .expect("type");
    // ChromeDriver types only characters of the Basic Multilingual Plane:
    // the emoji (one user-perceived character) is appended by script, with
    // the input event the counter listens to.
    phone
        .execute(
            "const o = document.querySelector('input[name=observation]');\
             o.value += '👍'; o.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("emoji");
    let counter = wait_for_text(&phone, "9 / 20").await;
    assert!(counter.contains("3 / 3"), "{counter}");
    assert_fits_phone(&phone, "feedback card").await;
    phone
        .screenshot(&out.join("phone-feedback-card.png"))
        .await
        .expect("screenshot");
    phone
        .find(By::Css("form.feedback-card button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send card");
    let home = wait_for_text(&phone, "积分 +1").await;
    assert!(
        home.contains("客户关注交付周期👍") && home.contains("易销售"),
        "{home}"
    );
    assert_fits_phone(&phone, "feedback home").await;
    phone
        .screenshot(&out.join("phone-feedback.png"))
        .await
        .expect("screenshot");
    phone.delete_all_cookies().await.expect("sign out");
    sign_in(&phone, &base, "manager").await;
    phone
        .goto(format!("{base}/feedback/team"))
        .await
        .expect("team feedback");
    wait_for_text(&phone, "客户关注交付周期👍").await;
    assert_fits_phone(&phone, "team feedback").await;
    phone
        .screenshot(&out.join("phone-team-feedback.png"))
        .await
        .expect("screenshot");

    // The weekly digest on the phone (D1, D2): five cards this week mention
    // 价格异议; the manager opens the digest and sees it flagged in red.
    let rep = app.login("employee").await;
    for _ in 0..5 {
        let v = rep
            .post_json(
                "/api/v1/events",
                &serde_json::json!({"type": "visit", "customer": "CRM-001"}),
            )
            .await;
        let r = rep
            .post_json(
                "/api/v1/feedback",
                &serde_json::json!({"event_id": v.json()["id"], "observation": "客户有价格异议",
                    "tags": [{"tag": "沟通质量", "rating": 3}, {"tag": "需求洞察深度", "rating": 3}, {"tag": "方案匹配度", "rating": 4}]}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    }
    let lead = app.login("manager").await;
    let r = lead
        .post_json(
            "/api/v1/digests",
            &serde_json::json!({"week_start": app.db.today().to_string()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    phone.goto(format!("{base}/digests")).await.expect("digest");
    let digest = wait_for_text(&phone, "价格异议").await;
    assert!(digest.contains("本周新出现‘价格异议’，提及5次"), "{digest}");
    let flag = phone.find(By::Css(".flag-red")).await.expect("red flag");
    let colour = flag.css_value("color").await.expect("colour");
    assert!(colour.contains("207, 34, 46"), "flag colour {colour}");
    phone
        .find(By::Css(".chart-box svg[role=img]"))
        .await
        .expect("word cloud");
    assert_fits_phone(&phone, "weekly digest").await;
    phone
        .screenshot(&out.join("phone-digest.png"))
        .await
        .expect("screenshot");
    phone.quit().await.expect("quit");

    // Desktop (1366×900): sign in as HRBP, walk the org tree down to a team.
    let profile = tempfile::tempdir().expect("profile");
    let desk = browser(&driver_url, false, profile.path()).await;
    sign_in(&desk, &base, "hrbp").await;
    desk.goto(format!("{base}/org")).await.expect("org");
    desk.query(By::LinkText("华东大区"))
        .first()
        .await
        .expect("region in tree")
        .click()
        .await
        .expect("click");
    wait_for_unit(&desk, "R1").await;
    desk.query(By::LinkText("上海销售一组"))
        .first()
        .await
        .expect("team in tree")
        .click()
        .await
        .expect("click");
    wait_for_unit(&desk, "T1").await;
    let rows = desk
        .find_all(By::Css("table.people tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3, "the team's three people");
    let text = desk
        .find(By::Css("table.people"))
        .await
        .expect("table")
        .text()
        .await
        .expect("text");
    assert!(text.contains("易销售") && text.contains("尔销售"));
    desk.screenshot(&out.join("desktop-org.png"))
        .await
        .expect("screenshot");

    // The HRBP's rule editor checks the condition while typing (G5).
    desk.goto(format!("{base}/goals/rules"))
        .await
        .expect("rules");
    wait_for_text(&desk, "A类签约增长").await;
    desk.find(By::Id("rule-condition"))
        .await
        .expect("condition box")
        .send_keys("a_class_new_sign_rat > 0.15")
        .await
        .expect("type");
    let check = wait_for_text(&desk, "未知变量").await;
    assert!(check.contains("a_class_new_sign_rat"), "{check}");
    desk.screenshot(&out.join("desktop-rules.png"))
        .await
        .expect("screenshot");

    // The HRBP checks a sheet with a mistake: the page lists the row error.
    let sheet = out.join("people-with-error.xlsx");
    std::fs::write(
        &sheet,
        support::xlsx(&[
            &["工号", "姓名", "部门", "上级工号", "岗位族", "职级"],
            &["Z1", "新人", "T1", "NOBODY", "销售代表", "P2"],
        ]),
    )
    .expect("write sheet");
    desk.goto(format!("{base}/import"))
        .await
        .expect("import page");
    desk.find(By::Css("input[type=file]"))
        .await
        .expect("file input")
        .send_keys(sheet.to_string_lossy())
        .await
        .expect("choose file");
    desk.find(By::Css("form.stack button[type=submit]"))
        .await
        .expect("check")
        .click()
        .await
        .expect("click");
    let result = desk
        .query(By::Css("table.errors"))
        .first()
        .await
        .expect("error table")
        .text()
        .await
        .expect("text");
    assert!(
        result.contains("上级工号") && result.contains("NOBODY"),
        "{result}"
    );
    desk.screenshot(&out.join("desktop-import-errors.png"))
        .await
        .expect("screenshot");
    desk.quit().await.expect("quit");

    // The admin's users page at phone width.
    let profile = tempfile::tempdir().expect("profile");
    let admin = browser(&driver_url, true, profile.path()).await;
    sign_in(&admin, &base, "admin").await;
    admin
        .goto(format!("{base}/admin/users"))
        .await
        .expect("users page");
    assert_fits_phone(&admin, "users page").await;
    admin
        .goto(format!("{base}/admin/notifications"))
        .await
        .expect("notifications page");
    assert_fits_phone(&admin, "notifications page").await;
    admin
        .screenshot(&out.join("phone-admin-users.png"))
        .await
        .expect("screenshot");
    admin.quit().await.expect("quit");
    server.abort();
}
