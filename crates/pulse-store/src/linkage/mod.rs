//! Performance → development → incentive (L1–L4, T1): the metrics rules may
//! name, each closed period's values of them ([`snapshot`]), the rules and
//! what their actions may name ([`rules`]), evaluation into outcomes
//! ([`evaluate`]), the outcomes themselves ([`outcomes`]) and development
//! paths ([`paths`]).

pub mod evaluate;
pub mod outcomes;
pub mod paths;
pub mod rules;
pub mod snapshot;

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

fn extra(key: &str, zh: &str, en: &str, unit: &str) -> MetricInfo {
    MetricInfo {
        key: key.into(),
        aliases: Vec::new(),
        zh: zh.into(),
        en: en.into(),
        unit: unit.into(),
        higher_is_better: true,
    }
}

/// Keys of the metrics only a period has (not radar sources).
pub const GOAL_SCORE: &str = "goal_score";
pub const CALIBRATED_RATING: &str = "calibrated_rating";
pub const CARDS_RECEIVED: &str = "cards_received";
/// `kpi:<metric code>`: the progress of the person's goal on that KPI, in %.
pub const KPI_PREFIX: &str = "kpi:";

/// Every metric a rule may name: the fixed ones, each competency model's
/// dimensions under their own names (a dimension's name is an alias of its
/// metric, so `consecutive("技术方案创新", …)` reads the tag's rating), the
/// period's goal score, ratings and feedback count, and each KPI's progress.
pub async fn catalog(db: &Db) -> Result<Catalog, StoreError> {
    let mut metrics: Vec<MetricInfo> = Metric::fixed_codes()
        .filter_map(|(code, _, _)| Metric::parse(code).ok())
        .map(|m| info(&m))
        .collect();
    for m in metrics.iter_mut().filter(|m| m.key == "review_rating") {
        // In a period it is that period's review (calibrated where it was).
        m.zh = "绩效评分".into();
        m.en = "review rating".into();
        m.aliases.push("绩效评价".into());
    }
    metrics.push(extra(GOAL_SCORE, "目标达成得分", "goal score", "%"));
    metrics.push(extra(
        CALIBRATED_RATING,
        "校准后评分",
        "calibrated rating",
        "分",
    ));
    metrics.push(extra(
        CARDS_RECEIVED,
        "收到反馈卡数",
        "feedback cards",
        "张",
    ));
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
    for k in crate::goals::metrics(db).await? {
        let mut m = extra(
            &format!("{KPI_PREFIX}{}", k.code),
            &format!("{}达成率", k.name),
            &format!("{} attainment", k.code),
            "%",
        );
        // A KPI's own name only where no dimension already answers to it.
        let catalog = Catalog { metrics };
        if catalog.find(&k.name).is_none() {
            m.aliases.push(k.name.clone());
        }
        metrics = catalog.metrics;
        metrics.push(m);
    }
    Ok(Catalog { metrics })
}
