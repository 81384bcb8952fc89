//! Organisational health (H1–H4): alignment rounds, the anonymous survey,
//! engagement from the activity log, and the dashboard that reads them all.

pub mod alignment;
pub mod dashboard;
pub mod months;
pub mod surveys;

use std::collections::HashSet;

use pulse_domain::Problem;
use serde::Serialize;

use crate::org::Tree;
use crate::{Actor, Db, StoreError, audit};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// The target is the baseline plus this many percentage points.
    pub target_points: i64,
    /// Engagement's target, actions per person per week.
    pub engagement_target: f64,
    /// A new survey's minimum group size.
    pub min_group: i64,
}

pub async fn settings(db: &Db) -> Result<Settings, StoreError> {
    let (target_points, engagement_target, min_group): (i64, f64, i64) = on_db!(db, pool => {
        sqlx::query_as("SELECT target_points, engagement_target, min_group FROM health_settings WHERE id = 1")
            .fetch_one(pool).await?
    });
    Ok(Settings {
        target_points,
        engagement_target,
        min_group,
    })
}

pub async fn save_settings(db: &Db, actor: &Actor, s: &Settings) -> Result<(), StoreError> {
    if !(1..=100).contains(&s.target_points) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_target",
            "目标提升应在 1 到 100 个百分点之间",
            "the target rise is 1 to 100 points",
        )));
    }
    if !(s.engagement_target > 0.0 && s.engagement_target <= 50.0) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_target",
            "发展获得感目标应大于 0、不超过每周 50 次",
            "the engagement target is above 0 and at most 50 a week",
        )));
    }
    pulse_domain::health::min_group(s.min_group).map_err(StoreError::Invalid)?;
    let before = settings(db).await?;
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE health_settings SET target_points = $1, engagement_target = $2, min_group = $3, updated_at = $4 WHERE id = 1")
            .bind(s.target_points).bind(s.engagement_target).bind(s.min_group).bind(now)
            .execute(conn).await?;
    });
    audit::record(
        &mut tx,
        actor,
        "health.settings",
        "health_settings",
        "1",
        Some(&before),
        Some(s),
    )
    .await?;
    tx.commit().await
}

/// Active frontline staff, with their unit: active people nobody reports
/// to, in a job family HR has a competency model for (the families whose
/// work the radar measures — not HR, the committee or the administrator).
pub async fn frontline(db: &Db) -> Result<Vec<(i64, i64)>, StoreError> {
    const SQL: &str = "SELECT p.id, p.org_unit_id FROM people p WHERE p.status = 'active' \
         AND p.job_family IN (SELECT DISTINCT job_family FROM competency_dimensions) \
         AND NOT EXISTS (SELECT 1 FROM people r WHERE r.manager_id = p.id AND r.status = 'active') \
         ORDER BY p.id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
}

/// The region a unit belongs to (the nearest unit of kind `region` at or
/// above it); a unit outside any region stands for itself.
pub fn region_of(tree: &Tree, unit: i64) -> i64 {
    tree.path(unit)
        .iter()
        .rev()
        .find(|u| u.kind == "region")
        .map_or(unit, |u| u.id)
}

/// The unit and every unit below it.
pub fn subtree(tree: &Tree, root: i64) -> HashSet<i64> {
    let mut out = HashSet::new();
    let mut stack = vec![root];
    while let Some(u) = stack.pop() {
        if out.insert(u) {
            stack.extend(tree.children(Some(u)).map(|c| c.id));
        }
    }
    out
}

fn conflict(code: &'static str, zh: &str, en: &str) -> StoreError {
    StoreError::Conflict(Problem::new(code, zh, en))
}

fn invalid(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

/// Each active person's job family (for demo and import helpers).
pub async fn job_families(db: &Db) -> Result<Vec<(i64, String)>, StoreError> {
    const SQL: &str = "SELECT id, job_family FROM people WHERE status = 'active' ORDER BY id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
}
