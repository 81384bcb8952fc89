//! Performance → development → incentive (L1–L4): what the linkage rules
//! read and write. So far the metric catalogue rules may name.

use pulse_domain::competency::Metric;
use pulse_domain::linkage::{Catalog, MetricInfo};

use crate::{Db, StoreError};

fn info(metric: &Metric) -> MetricInfo {
    let (zh, en) = match metric {
        // A tag's average rating reads as a score: "技术方案创新分".
        Metric::FeedbackTag(t) => (format!("{t}分"), format!("{t} score")),
        m => (m.label(true), m.label(false)),
    };
    MetricInfo {
        key: metric.code(),
        aliases: Vec::new(),
        zh,
        en,
        unit: metric.unit().to_string(),
        higher_is_better: metric.higher_is_better(),
    }
}

/// Every metric a rule may name: the fixed ones, and each competency
/// model's dimensions under their own names (a dimension's name is an alias
/// of its metric, so `consecutive("技术方案创新", …)` reads the tag's rating).
pub async fn catalog(db: &Db) -> Result<Catalog, StoreError> {
    let mut metrics: Vec<MetricInfo> = Metric::fixed_codes()
        .filter_map(|(code, _, _)| Metric::parse(code).ok())
        .map(|m| info(&m))
        .collect();
    for d in crate::competency::dimensions(db, None).await? {
        let key = d.metric.code();
        let i = match metrics.iter().position(|m| m.key == key) {
            Some(i) => i,
            None => {
                metrics.push(info(&d.metric));
                metrics.len() - 1
            }
        };
        let m = &mut metrics[i];
        if m.zh != d.name && !m.aliases.contains(&d.name) {
            m.aliases.push(d.name.clone());
        }
    }
    Ok(Catalog { metrics })
}
