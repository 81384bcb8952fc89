//! The weight-rule editor edits (issue 13 §5, G5): a chosen rule fills the
//! form, the preview says in words what would change, a refused form keeps
//! what was typed, closing a period asks first and says what freezes.

use axum::http::StatusCode;

use crate::support::{TestApp, build_demo, demo_login};

fn foc_rule(rules: &serde_json::Value) -> serde_json::Value {
    rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric_code"] == "FOC" && r["weight_bp"] == 3500)
        .expect("the demo's A类签约 rule")
        .clone()
}

/// One region's line of a preview answer.
fn region(preview: &serde_json::Value, code: &str) -> serde_json::Value {
    preview["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {preview}"))
        .clone()
}

#[tokio::test]
async fn the_editor_loads_previews_in_words_and_keeps_a_refused_form() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let hr = demo_login(&app, "hrbp").await;
    let rule = foc_rule(&hr.get("/api/v1/weight-rules").await.json());
    let id = rule["id"].as_i64().unwrap();

    // Choosing the rule (the link on its card, or the select) fills the form.
    let page = hr.get(&format!("/goals/rules?edit={id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let name = rule["name"].as_str().unwrap();
    assert!(
        html.contains(&format!("value=\"{name}\"")),
        "name not loaded"
    );
    let at = html.find("id=\"rule-condition\"").unwrap();
    assert!(
        html[at..].contains("a_class_new_sign_rate &#62; 0.15</textarea>"),
        "{}",
        &html[at..at + 300]
    );
    assert!(html.contains("value=\"35%\""), "weight not loaded");
    assert!(html.contains(&format!("<option value=\"{id}\" selected>")));
    assert!(html.contains(&format!("href=\"/goals/rules?edit={id}#rule-form\"")));

    // Previewing the rule as it stands: 华东 is already on it, nothing moves.
    let body = serde_json::json!({
        "name": name, "condition": rule["condition"], "metric_code": "FOC", "weight_bp": 3500
    });
    let preview = hr.post_json("/api/v1/weight-rules/preview", &body).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let regions = preview.json()["regions"].as_array().unwrap().clone();
    let east = regions.iter().find(|r| r["code"] == "HD").expect("华东");
    assert_eq!(east["summary"], "华东大区：已生效，无变化");
    let quiet = regions
        .iter()
        .find(|r| r["fires"] == false)
        .expect("a quiet region");
    assert!(
        quiet["summary"]
            .as_str()
            .unwrap()
            .ends_with("条件不满足，权重不变")
    );
    // A heavier weight would move people, said with who and how much.
    let heavier = serde_json::json!({
        "name": name, "condition": rule["condition"], "metric_code": "FOC", "weight_bp": 4000
    });
    let preview = hr
        .post_json("/api/v1/weight-rules/preview", &heavier)
        .await
        .json();
    let east = region(&preview, "HD");
    let summary = east["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("华东大区：将生效，") && summary.contains("35% → 40%"),
        "{summary}"
    );
    let mut en = hr.clone();
    en.cookie = Some(format!("{}; pulse_lang=en", hr.cookie.as_deref().unwrap()));
    let preview = en
        .post_json("/api/v1/weight-rules/preview", &body)
        .await
        .json();
    let east = region(&preview, "HD");
    assert_eq!(
        east["summary"],
        "华东大区: already in force, nothing changes"
    );

    // A refused save says why and keeps every field as typed.
    let typed = [
        ("id", ""),
        ("name", "华南回款冲刺"),
        ("condition", "sales_attainment = 0.7"),
        ("metric_code", "CASH"),
        ("weight", "30%"),
        ("priority", "4"),
        ("scope", ""),
        ("description", "华南回款偏慢"),
        ("enabled", "on"),
    ];
    let before = hr.get("/api/v1/weight-rules").await.json()["total"].clone();
    let r = hr.post_form("/goals/rules", &typed, true).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("请写 =="), "the slip is explained");
    assert!(
        html.contains("value=\"华南回款冲刺\"")
            && html.contains("sales_attainment = 0.7</textarea>")
    );
    assert!(
        html.contains("value=\"30%\"")
            && html.contains("value=\"4\"")
            && html.contains("value=\"华南回款偏慢\"")
    );
    assert!(html.contains("<option value=\"CASH\" selected>"));
    assert_eq!(hr.get("/api/v1/weight-rules").await.json()["total"], before);
    let r = hr
        .post_form(
            "/goals/rules",
            &[
                ("name", "x"),
                ("condition", "headcount > 1.0"),
                ("metric_code", "CASH"),
                ("weight", "30%"),
                ("priority", "high"),
            ],
            true,
        )
        .await;
    assert!(
        r.text().contains("优先级需为整数"),
        "a bad priority is not taken as 0"
    );

    // Closing a period asks once and says what freezes.
    let html = hr.get("/goals/rules").await.text();
    assert!(html.contains("data-confirm=\"关闭后，该周期的目标、权重、目标值和打卡全部冻结"));
}
