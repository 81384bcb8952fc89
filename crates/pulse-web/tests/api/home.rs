//! 工作台 (issue 13 §1): each demo persona lands on a home with their own
//! work, their team's when they lead one, HR's attention list; every link
//! on it opens for them.

use axum::http::StatusCode;

use crate::links::hrefs;
use crate::support::{Client, TestApp, build_demo, demo_login};

async fn home(c: &Client) -> String {
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/home", "signed in, / goes home");
    let r = c.get("/home").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.text()
}

/// Every same-site link of the page answers 200 (downloads included).
async fn links_open(c: &Client, who: &str, html: &str) {
    let main = &html[html.find("<main").unwrap_or(0)..];
    for link in hrefs(main) {
        if !link.starts_with('/') || link.starts_with("/lang/") {
            continue;
        }
        let path = link.split('#').next().unwrap_or(&link);
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {link}");
    }
}

#[tokio::test]
async fn each_persona_lands_on_a_home_with_their_work() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;

    let rep = demo_login(&app, "employee").await;
    let page = home(&rep).await;
    for part in ["今日待办", "待写反馈卡", "我的目标", "加权得分", "我的积分"]
    {
        assert!(page.contains(part), "rep's home has {part}");
    }
    assert!(
        page.contains("/feedback/events/") && page.contains("/card\""),
        "this morning's visit is waiting for its card, with the link to write it"
    );
    assert!(
        page.contains("href=\"/me#notifications\""),
        "the profile to-do links to where it can be done"
    );
    assert!(!page.contains("需要处理") && !page.contains("我的团队"));
    links_open(&rep, "employee", &page).await;

    let manager = demo_login(&app, "manager").await;
    let page = home(&manager).await;
    for part in [
        "我的团队",
        "团队平均加权得分",
        "团队看板",
        "本周团队反馈摘要",
        "/export/team.xlsx",
    ] {
        assert!(page.contains(part), "manager's home has {part}");
    }
    links_open(&manager, "manager", &page).await;

    let hr = demo_login(&app, "hrbp").await;
    let page = home(&hr).await;
    assert!(page.contains("需要处理"), "HR sees what needs attention");
    assert!(
        page.contains("个积分兑换等待兑现") && page.contains("href=\"/rewards/fulfil\""),
        "the demo's pending vouchers"
    );
    links_open(&hr, "hrbp", &page).await;

    for persona in ["director", "engineer", "committee", "admin"] {
        let c = demo_login(&app, persona).await;
        let page = home(&c).await;
        links_open(&c, persona, &page).await;
    }

    let mut en = demo_login(&app, "employee").await;
    en.cookie = Some(format!("{}; pulse_lang=en", en.cookie.clone().unwrap()));
    let page = en.get("/home").await.text();
    assert!(page.contains("To do") && page.contains("My goals"));
}
