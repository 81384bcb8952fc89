//! The competency models of the demo's three frontline job families (R1),
//! as an HRBP would set them up, and the first weekly digests (D1, D2).

use pulse_domain::competency::{Metric, Normalisation};
use pulse_store::{Db, StoreError};

use crate::org::{AGENT, ENGINEER, SALES};

/// (job family, dimension, metric code, normalisation, target)
const MODELS: &[(&str, &str, &str, &str, Option<f64>)] = &[
    (
        SALES,
        "沟通质量",
        "feedback_tag:沟通质量",
        "percentile",
        None,
    ),
    (
        SALES,
        "需求洞察深度",
        "feedback_tag:需求洞察深度",
        "percentile",
        None,
    ),
    (
        SALES,
        "重点客户渗透",
        "key_account_penetration",
        "target",
        Some(60.0),
    ),
    (
        SALES,
        "医疗政策解读",
        "feedback_tag:医疗政策解读",
        "percentile",
        None,
    ),
    (
        SALES,
        "客户关系韧性",
        "feedback_tag:客户关系韧性",
        "percentile",
        None,
    ),
    (ENGINEER, "服务时效", "response_minutes", "percentile", None),
    (ENGINEER, "备件使用率", "parts_usage", "target", Some(90.0)),
    (
        ENGINEER,
        "客户满意度",
        "evaluation_score",
        "percentile",
        None,
    ),
    (
        ENGINEER,
        "技术方案创新",
        "feedback_tag:技术方案创新",
        "percentile",
        None,
    ),
    (AGENT, "工单量", "tickets_per_week", "percentile", None),
    (
        AGENT,
        "一次解决率",
        "ticket_resolved_rate",
        "target",
        Some(95.0),
    ),
    (AGENT, "处理时长", "ticket_minutes", "percentile", None),
    // R1: the latest released review rating, against the scale's top.
    (SALES, "绩效评价", "review_rating", "target", Some(5.0)),
];

pub async fn seed_models(db: &Db) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for (family, name, metric, normalisation, target) in MODELS {
        pulse_store::competency::save_dimension(
            &mut tx,
            family,
            name,
            &Metric::parse(metric)?,
            &Normalisation::parse(normalisation, *target)?,
        )
        .await?;
    }
    tx.commit().await
}

/// Last complete week's digests for every manager, delivered to their
/// inboxes as the Monday job would (the job then waits for next week), and
/// up to three earlier weeks stored, so last week is one tap away. A week is
/// digested only when the week before it is in the history too (the latest
/// always is).
pub async fn first_digests(
    db: &Db,
    today: chrono::NaiveDate,
    first_day: chrono::NaiveDate,
) -> Result<usize, StoreError> {
    use pulse_jobs::digests;
    let last = digests::last_complete_week(today);
    let engine = digests::TextEngine::default();
    let mut made = 0;
    for back in (0..4u64).rev() {
        let week = last - chrono::Days::new(7 * back);
        if back > 0 && week - chrono::Days::new(7) < first_day {
            continue;
        }
        let delivery = if back == 0 {
            digests::Delivery::Send
        } else {
            digests::Delivery::Store
        };
        made += digests::generate(db, &engine, week, None, delivery, &Default::default())
            .await?
            .len();
    }
    Ok(made)
}
