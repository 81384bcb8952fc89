//! The article's linkage story end to end (L1–L4, T1), on the demo at a set
//! clock: the planted engineer and agent see their outcomes and why, the
//! near misses see nothing, a second evaluation changes nothing, HR's bad
//! input changes nothing, a reversal is told and stays reversed, and the
//! rep's development path names 医疗政策解读 and KA客户健康顾问.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Client, TestApp, build_demo, demo_login, scalar};

async fn outcomes(c: &Client, no: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/people/{no}/outcomes")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

async fn no_of(c: &Client) -> String {
    c.get("/api/v1/me").await.json()["employee_no"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        scalar(app, "SELECT COUNT(*) FROM linkage_outcomes").await,
        scalar(app, "SELECT COUNT(*) FROM linkage_rules").await,
        scalar(app, "SELECT COUNT(*) FROM todos").await,
        scalar(app, "SELECT COUNT(*) FROM outbox").await,
    )
}

fn rule(name: &str, condition: &str, actions: Value) -> Value {
    json!({"name": name, "condition": condition, "job_family": "客服专员", "actions": actions})
}

#[tokio::test]
async fn the_article_s_rules_their_chains_and_the_development_path() {
    // Q4 2026; 28 weeks of history cover 2026Q2 and 2026Q3.
    let app = TestApp::empty_at("2026-10-19 10:00").await;
    build_demo(&app, 28).await;
    let hr = demo_login(&app, "hrbp").await;

    // The engineer: both quarters' values, the threshold, both outcomes.
    let engineer = demo_login(&app, "engineer").await;
    let eno = no_of(&engineer).await;
    let mine = outcomes(&engineer, &eno).await;
    let kinds: Vec<&str> = mine
        .iter()
        .filter_map(|o| o["action"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["join_pool", "recommend_course"], "{mine:?}");
    let o = &mine[0];
    assert_eq!(o["period"], "2026Q3");
    assert_eq!(o["action"]["name"], "高潜人才池");
    assert_eq!(mine[1]["action"]["name"], "医疗AI认证课程");
    let chain = o["chain"].as_array().expect("chain");
    let read: Vec<(String, f64, f64)> = chain
        .iter()
        .map(|s| {
            (
                s["period"].as_str().unwrap_or_default().to_string(),
                s["value"].as_f64().unwrap_or_default(),
                s["threshold"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("2026Q2".to_string(), 4.6, 4.5),
            ("2026Q3".to_string(), 4.7, 4.5)
        ]
    );
    assert_eq!(chain[0]["metric"], "技术方案创新分");
    assert_eq!(
        o["sentence"],
        "2026Q2 技术方案创新分 4.6 > 4.5；2026Q3 4.7 > 4.5；连续两个季度 → 加入高潜人才池，推荐 医疗AI认证课程"
    );

    // The agent: +0.15 and the eligibility, from the top of the peer group.
    let agent = demo_login(&app, "agent").await;
    let ano = no_of(&agent).await;
    let got = outcomes(&agent, &ano).await;
    let bonus = got
        .iter()
        .find(|o| o["action"]["kind"] == "adjust_bonus")
        .expect("bonus");
    assert_eq!(bonus["action"]["adjustment"], "+0.15");
    assert_eq!(bonus["chain"][0]["op"], "top");
    assert_eq!(bonus["chain"][0]["threshold"], 5.0);
    assert!(got.iter().any(|o| o["action"]["name"] == "培训师轮岗优先"));
    // Told in the inbox, in both languages.
    let n = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM todos t JOIN people p ON p.id = t.person_id WHERE p.employee_no = '{ano}' \
             AND t.kind = 'linkage_outcome' AND t.subject_en <> ''"
        ),
    )
    .await;
    assert_eq!(n, 1);

    // The near misses see nothing; nobody sees another's outcomes out of scope.
    for login in ["engineer2", "agent2"] {
        let c = demo_login(&app, login).await;
        let no = no_of(&c).await;
        assert!(outcomes(&c, &no).await.is_empty(), "{login}");
    }
    let r = engineer
        .get(&format!("/api/v1/people/{ano}/outcomes"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A second evaluation creates nothing and tells nobody.
    let before = counts(&app).await;
    let r = hr
        .post_json(
            "/api/v1/linkage-rules/evaluate",
            &json!({"period": "2026Q3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 0);
    assert!(r.json()["unchanged"].as_u64().unwrap_or(0) >= 4);
    assert_eq!(r.json()["notified"], 0);
    assert_eq!(counts(&app).await, before);

    // Bad input: each a clear error, nothing kept.
    let bad = [
        (
            json!({"period": "2026Q4"}),
            StatusCode::CONFLICT,
            "period_open",
        ),
        (
            json!({"period": "1999Q1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_period",
        ),
    ];
    for (body, status, code) in bad {
        let r = hr.post_json("/api/v1/linkage-rules/evaluate", &body).await;
        assert_eq!(
            (r.status, r.json()["error"]["code"].clone()),
            (status, json!(code)),
            "{body}"
        );
    }
    let pool = json!([{"kind": "join_pool", "name": "高潜人才池"}]);
    let refused = [
        (
            rule("a", "consecutive(\"技术方案创新\", 2, \">\"", pool.clone()),
            "rule_syntax",
        ),
        (
            rule("b", "current(\"不存在的指标\") > 1.0", pool.clone()),
            "rule_unknown_metric",
        ),
        (
            rule("c", "frobnicate(\"技术方案创新\")", pool.clone()),
            "rule_unknown_helper",
        ),
        (
            rule("d", "current(\"技术方案创新\") > \"高\"", pool.clone()),
            "rule_type_mismatch",
        ),
        (
            rule(
                "e",
                "top_pct(\"客户情绪安抚成功率\", 5)",
                json!([{"kind": "join_pool", "name": "不存在的池"}]),
            ),
            "unknown_pool",
        ),
        (
            rule(
                "f",
                "top_pct(\"客户情绪安抚成功率\", 5)",
                json!([{"kind": "recommend_course", "name": "不存在的课"}]),
            ),
            "unknown_course",
        ),
        (
            rule(
                "g",
                "top_pct(\"客户情绪安抚成功率\", 5)",
                json!([{"kind": "adjust_bonus", "adjustment": "-1.20"}]),
            ),
            "bonus_below_zero",
        ),
    ];
    for (body, code) in refused {
        let r = hr.post_json("/api/v1/linkage-rules", &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["code"], code, "{body}");
    }
    assert_eq!(counts(&app).await, before);

    // Preview before saving: who would match and why; nothing written.
    let r = hr
        .post_json(
            "/api/v1/linkage-rules/preview",
            &json!({"period": "2026Q3", "rule": rule("p", "top_pct(\"客户情绪安抚成功率\", 5)", json!([{"kind": "adjust_bonus", "adjustment": "+0.15"}]))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert!(p["matched"].as_u64().unwrap_or(0) >= 1);
    assert!(p["evaluated"].as_u64().unwrap_or(0) > p["matched"].as_u64().unwrap_or(0));
    assert!(
        p["sample"]
            .as_array()
            .expect("sample")
            .iter()
            .any(|m| m["employee_no"] == ano.as_str())
    );
    assert_eq!(counts(&app).await, before);

    // Two cuts of -0.60 on top of +0.15: the second would go below zero and
    // is refused at evaluation; the first is kept.
    for name in ["cut1", "cut2"] {
        let r = hr
            .post_json(
                "/api/v1/linkage-rules",
                &rule(
                    name,
                    "top_pct(\"客户情绪安抚成功率\", 5)",
                    json!([{"kind": "adjust_bonus", "adjustment": "-0.60"}]),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = hr
        .post_json(
            "/api/v1/linkage-rules/evaluate",
            &json!({"period": "2026Q3"}),
        )
        .await;
    let e = r.json();
    let refused: Vec<&Value> = e["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|s| s["employee_no"] == ano.as_str())
        .collect();
    assert_eq!(refused.len(), 1, "{e}");
    assert_eq!(refused[0]["code"], "bonus_below_zero");
    let cuts: Vec<Value> = outcomes(&agent, &ano)
        .await
        .into_iter()
        .filter(|o| o["action"]["adjustment"] == "−0.60")
        .collect();
    assert_eq!(cuts.len(), 1);

    // HR reverses the +0.15 with a reason: told, audited, and it stays reversed.
    let id = bonus["id"].as_i64().expect("id");
    let r = hr
        .post_json(
            &format!("/api/v1/linkage-outcomes/{id}/reverse"),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = hr
        .post_json(
            &format!("/api/v1/linkage-outcomes/{id}/reverse"),
            &json!({"reason": "工单数据重复录入，更正后不在前5%"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "reversed");
    let r = hr
        .post_json(
            &format!("/api/v1/linkage-outcomes/{id}/reverse"),
            &json!({"reason": "再撤销一次"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("already_reversed"))
    );
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'linkage_outcome.reverse' AND entity_id = '{id}'")).await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM todos WHERE kind = 'linkage_reversed'"
        )
        .await,
        1
    );
    let r = hr
        .post_json(
            "/api/v1/linkage-rules/evaluate",
            &json!({"period": "2026Q3"}),
        )
        .await;
    assert_eq!(r.json()["created"], 0);
    let again = outcomes(&agent, &ano).await;
    assert_eq!(
        again.iter().find(|o| o["id"] == id).expect("kept")["state"],
        "reversed"
    );

    // The rep's path: weak in 医疗政策解读, KA客户健康顾问 next, a course for it.
    let rep = demo_login(&app, "employee").await;
    let rno = no_of(&rep).await;
    let manager = demo_login(&app, "manager").await;
    let r = manager
        .get(&format!("/api/v1/people/{rno}/development-path"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let path = r.json();
    assert_eq!(path["weak_dimension"], "医疗政策解读");
    assert_eq!(path["strength"], "客户关系韧性");
    assert_eq!(path["next_role"]["name"], "KA客户健康顾问");
    let sim = path["next_role"]["similarity"].as_f64().unwrap_or(0.0);
    let parts: f64 = path["next_role"]["contributions"]
        .as_array()
        .expect("contributions")
        .iter()
        .filter_map(|c| c["points"].as_f64())
        .sum();
    assert!(sim > 50.0 && (sim - parts).abs() < 0.3, "{sim} vs {parts}");
    assert!(
        path["learning"]
            .as_array()
            .expect("learning")
            .iter()
            .any(|c| c["name"] == "医保政策与集采实务")
    );
    let r = rep
        .post_json(
            &format!("/api/v1/people/{rno}/development-path/clicks"),
            &json!({"target": "医保政策与集采实务"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM development_activity WHERE action = 'click' AND target = '医保政策与集采实务'"
        )
        .await,
        1
    );

    // The schedule: nothing due after the demo's evaluations; closing the
    // current quarter makes it due once, and the next tick finds nothing.
    let jobs = vec![pulse_jobs::linkage::job(String::new(), 60_000)];
    let now = app.db.now_ms();
    let ran = pulse_jobs::scheduler::tick(&app.db, &jobs, "test", now)
        .await
        .expect("tick");
    assert_eq!(ran[0].1, "没有需要评估的周期");
    let r = hr
        .post_json("/api/v1/periods/2026Q4/close", &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ran = pulse_jobs::scheduler::tick(&app.db, &jobs, "test", now + 60_000)
        .await
        .expect("tick");
    assert!(ran[0].1.starts_with("2026Q4："), "{:?}", ran);
    let ran = pulse_jobs::scheduler::tick(&app.db, &jobs, "test", now + 120_000)
        .await
        .expect("tick");
    assert_eq!(ran[0].1, "没有需要评估的周期");
}
