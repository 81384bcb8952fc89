//! Performance → development → incentive (issue 16). So far: the metric the
//! article's agent rule reads, 客户情绪安抚成功率, from the service tickets.

use pulse_domain::competency::Metric;

use crate::support::{TestApp, build_demo, scalar, text};

#[tokio::test]
async fn the_soothing_rate_is_the_share_of_upset_customers_calmed() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let level = text(
        &app,
        "SELECT level FROM people WHERE job_family = '客服专员' AND status = 'active' ORDER BY id LIMIT 1",
    )
    .await;
    let from = app.db.now_ms() - 14 * 86_400_000;
    let to = app.db.now_ms();
    let figures = pulse_store::competency::peer_figures(
        &app.db,
        "客服专员",
        &level,
        &[Metric::SoothingRate],
        from,
        to,
    )
    .await
    .expect("figures");
    let mut checked = 0;
    for (person, m) in &figures {
        let Some(rate) = m.get("soothing_rate") else {
            continue;
        };
        // The same share counted from the tickets' own fields.
        let (mut upset, mut calmed) = (0u32, 0u32);
        let n = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM events WHERE person_id = {person} AND kind = 'service_ticket' \
                 AND occurred_at >= {from} AND occurred_at < {to}"
            ),
        )
        .await;
        for k in 0..n {
            let body = text(
                &app,
                &format!(
                    "SELECT payload_json FROM events WHERE person_id = {person} AND kind = 'service_ticket' \
                     AND occurred_at >= {from} AND occurred_at < {to} ORDER BY id LIMIT 1 OFFSET {k}"
                ),
            )
            .await;
            let v: serde_json::Value = serde_json::from_str(&body).expect("payload");
            if v["emotional"] == true {
                upset += 1;
                calmed += u32::from(v["soothed"] == true);
            }
        }
        assert!(upset > 0);
        let want = f64::from(calmed) * 100.0 / f64::from(upset);
        assert!((rate - want).abs() < 1e-9, "{person}: {rate} vs {want}");
        checked += 1;
        if checked == 5 {
            break;
        }
    }
    assert_eq!(
        checked, 5,
        "the demo's agents have upset customers: {figures:?}"
    );
}

/// The article's two conditions compile against the demo's catalogue, by
/// the names an HRBP reads on the radar; a name nobody measures does not.
#[tokio::test]
async fn the_articles_conditions_name_metrics_the_demo_measures() {
    use pulse_domain::linkage::LinkCondition;
    let app = TestApp::empty().await;
    build_demo(&app, 1).await;
    let catalog = pulse_store::linkage::catalog(&app.db)
        .await
        .expect("catalog");
    let innovation = catalog
        .find("技术方案创新")
        .expect("the engineers' dimension");
    assert_eq!(innovation.key, "feedback_tag:技术方案创新");
    assert_eq!(innovation.zh, "技术方案创新分");
    assert_eq!(
        catalog.find("客户情绪安抚成功率").expect("fixed").key,
        "soothing_rate"
    );
    for src in [
        "consecutive(\"技术方案创新\", 2, \">\", 4.5)",
        "top_pct(\"客户情绪安抚成功率\", 5)",
        "bottom_pct(\"医疗政策解读\", 25) && job_family == \"销售代表\"",
    ] {
        LinkCondition::compile(src, &catalog).unwrap_or_else(|e| panic!("{src}: {}", e.zh));
    }
    let e = LinkCondition::compile("top_pct(\"销售魔法\", 5)", &catalog).unwrap_err();
    assert_eq!(e.code, "rule_unknown_metric");
}
