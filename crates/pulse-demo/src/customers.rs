//! The demo's CRM customers per region: A-class hospitals signed before the
//! quarter and a share signed in it, which drives the seed's weight rule (G5,
//! X3); B- and C-class ones around them.

use chrono::NaiveDate;
use pulse_store::{StoreError, Tx};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::DemoOrg;
use crate::org::SALES;

/// A-class new-signing rates per region: the seed's rule (> 15 %) fires in
/// 华东, 西南 and 浙江 and not elsewhere.
fn a_class_rate(region: &str, rng: &mut ChaCha8Rng) -> f64 {
    match region {
        "HD" => 0.182,
        "XN" => 0.214,
        "ZJ" => 0.163,
        "HN" => 0.15, // exactly 15 %: "more than" does not hold
        _ => f64::from(rng.random_range(40..140u32)) / 1000.0,
    }
}

const HOSPITALS: &[&str] = &[
    "第一人民医院",
    "第二人民医院",
    "中心医院",
    "中医院",
    "妇幼保健院",
    "肿瘤医院",
    "儿童医院",
    "口腔医院",
    "眼科医院",
    "第三人民医院",
    "人民医院东院",
    "康复医院",
];

/// Customers per region: `before` A-class signed before the quarter and
/// `round(before × rate)` signed in it, owned by the region's sales reps.
pub(crate) async fn seed_customers(
    tx: &mut Tx,
    org: &DemoOrg,
    rng: &mut ChaCha8Rng,
    quarter_start: NaiveDate,
    today: NaiveDate,
) -> Result<(), StoreError> {
    // New signings fall between the quarter's start and today, never in the future.
    let elapsed = (today - quarter_start).num_days().max(0) as u64 + 1;
    let refs = pulse_store::customers::refs(tx).await?;
    let mut all = Vec::new();
    for r in org
        .units
        .iter()
        .filter(|u| u.kind == pulse_domain::org::UnitKind::Region)
    {
        let rate = a_class_rate(&r.code, rng);
        let before: usize = match r.code.as_str() {
            "HD" => 44,
            "XN" => 42,
            "ZJ" => 43,
            "HN" => 40,
            _ => rng.random_range(30..60),
        };
        let new = (before as f64 * rate).round() as usize;
        let cities: Vec<String> = org
            .units
            .iter()
            .filter(|u| u.parent.as_deref() == Some(r.code.as_str()) && u.name.contains("销售"))
            .filter_map(|u| u.name.split("销售").next().map(str::to_string))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let reps: Vec<&str> = org
            .people
            .iter()
            .filter(|p| p.job_family == SALES && p.unit_code.starts_with(&format!("{}-", r.code)))
            .map(|p| p.employee_no.as_str())
            .collect();
        let b_and_c = before * 3;
        for i in 0..(before + new + b_and_c) {
            let city = &cities[i % cities.len().max(1)];
            let hospital = HOSPITALS[(i / cities.len().max(1)) % HOSPITALS.len()];
            let round = i / (cities.len().max(1) * HOSPITALS.len());
            let name = if round == 0 {
                format!("{city}市{hospital}")
            } else {
                format!("{city}市{hospital}（{}院区）", round + 1)
            };
            let (tier, signed) = if i < before {
                (
                    "A",
                    quarter_start - chrono::Days::new(rng.random_range(30..900)),
                )
            } else if i < before + new {
                (
                    "A",
                    quarter_start + chrono::Days::new(rng.random_range(0..elapsed)),
                )
            } else if i < before + new + before {
                (
                    "B",
                    quarter_start - chrono::Days::new(rng.random_range(0..900)),
                )
            } else {
                (
                    "C",
                    quarter_start - chrono::Days::new(rng.random_range(0..900)),
                )
            };
            let input = pulse_store::customers::CustomerInput {
                external_id: format!("CRM-{}-{:04}", r.code, i + 1),
                name,
                tier: tier.into(),
                region: r.code.clone(),
                owner: reps.get(i % reps.len().max(1)).map(|s| s.to_string()),
                signed_on: Some(signed),
            };
            match pulse_store::customers::check(&refs, &input) {
                Ok(c) => all.push(c),
                Err(p) => {
                    return Err(StoreError::Invalid(
                        p.into_iter().next().map(|x| x.1).unwrap_or_else(|| {
                            pulse_domain::Problem::new(
                                "demo",
                                "演示客户无效",
                                "invalid demo customer",
                            )
                        }),
                    ));
                }
            }
        }
    }
    pulse_store::customers::upsert(tx, &all, "演示 CRM").await?;
    Ok(())
}
