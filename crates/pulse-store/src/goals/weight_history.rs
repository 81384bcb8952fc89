//! A person's exact weights: history, base weights, rule overrides re-applied, previews (G4, G5).

use crate::{Actor, Db, StoreError, Tx};
use pulse_domain::Problem;
use pulse_domain::goals::is_weighted;
use pulse_domain::weights;
use serde::Serialize;

use super::*;

/// One row of a person's weight history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct WeightChange {
    pub id: i64,
    pub goal_id: i64,
    pub goal_title: String,
    pub before_bp: i64,
    pub after_bp: i64,
    pub cause: String,
    pub rule_id: Option<i64>,
    pub note: String,
    pub actor: String,
    pub at: i64,
}

pub async fn weight_history(
    db: &Db,
    person_id: i64,
    period_id: i64,
) -> Result<Vec<WeightChange>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, WeightChange>(
            "SELECT w.id, w.goal_id, g.title AS goal_title, w.before_bp, w.after_bp, w.cause, w.rule_id, w.note, w.actor, w.at \
             FROM weight_changes w JOIN goals g ON g.id = w.goal_id WHERE w.person_id = $1 AND w.period_id = $2 ORDER BY w.at DESC, w.id DESC",
        )
        .bind(person_id).bind(period_id).fetch_all(pool).await?
    }))
}

/// Why a weight changed, for the history.
#[derive(Debug, Clone)]
pub struct Cause<'a> {
    /// manual | rule | rule_ended | adjustment | template | import
    pub kind: &'a str,
    pub rule_id: Option<i64>,
    pub note: &'a str,
}

/// Writes effective weights for a person's goals (same order as `goals`)
/// and records each change. Refuses a set that does not sum to 100 %.
pub(super) async fn write_weights(
    tx: &mut Tx,
    actor: &Actor,
    person_id: i64,
    period_id: i64,
    goals: &[Goal],
    weights: &[i64],
    cause: &Cause<'_>,
) -> Result<usize, StoreError> {
    weights::check_sum(weights)?;
    let now = tx.now_ms();
    let mut changed = 0;
    for (g, &w) in goals.iter().zip(weights) {
        if g.weight_bp == w {
            continue;
        }
        changed += 1;
        on_tx!(tx, conn => {
            sqlx::query("UPDATE goals SET weight_bp = $1, updated_at = $2 WHERE id = $3").bind(w).bind(now).bind(g.id).execute(&mut *conn).await?;
            sqlx::query(
                "INSERT INTO weight_changes (goal_id, person_id, period_id, before_bp, after_bp, cause, rule_id, note, actor, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(g.id).bind(person_id).bind(period_id).bind(g.weight_bp).bind(w).bind(cause.kind).bind(cause.rule_id)
            .bind(cause.note).bind(&actor.label).bind(now)
            .execute(&mut *conn).await?;
        });
    }
    Ok(changed)
}

/// Weighted goals of a person: KPIs and personal key results.
pub(super) fn weighted(goals: Vec<Goal>) -> Vec<Goal> {
    goals.into_iter().filter(|g| is_weighted(&g.kind)).collect()
}

/// Sets a person's base weights as a whole (manual edit, template, import,
/// G4): every weighted goal of the period must be listed once and the sum
/// must be exactly 100 %. Rule overrides active for the person are applied
/// on top, so the effective weights stay exact too.
pub async fn set_base_weights(
    tx: &mut Tx,
    actor: &Actor,
    person_id: i64,
    period_id: i64,
    base: &[(i64, i64)],
    overrides: &[(i64, i64, i64)],
    cause: &Cause<'_>,
) -> Result<usize, StoreError> {
    ensure_open(tx, period_id).await?;
    let goals = weighted(person_goals_in(tx, person_id, period_id).await?);
    if goals.len() != base.len()
        || goals
            .iter()
            .any(|g| !base.iter().any(|(id, _)| *id == g.id))
    {
        return Err(StoreError::Invalid(Problem::new(
            "weights_incomplete",
            "必须一次给出此人本周期全部指标的权重",
            "give the weights of all of the person's goals of the period at once",
        )));
    }
    let base_w: Vec<i64> = goals
        .iter()
        .map(|g| {
            base.iter()
                .find(|(id, _)| *id == g.id)
                .map_or(0, |(_, w)| *w)
        })
        .collect();
    weights::check_sum(&base_w)?;
    let now = tx.now_ms();
    for (g, w) in goals.iter().zip(&base_w) {
        on_tx!(tx, conn => {
            sqlx::query("UPDATE goals SET base_weight_bp = $1, updated_at = $2 WHERE id = $3").bind(*w).bind(now).bind(g.id).execute(conn).await?;
        });
    }
    let effective = effective_weights(&goals, &base_w, overrides);
    write_weights(tx, actor, person_id, period_id, &goals, &effective, cause).await
}

/// Base weights with overrides `(metric_id, weight_bp, rule_id)` applied in
/// the given order (highest priority first).
pub(super) fn effective_weights(
    goals: &[Goal],
    base: &[i64],
    overrides: &[(i64, i64, i64)],
) -> Vec<i64> {
    let metrics: Vec<Option<i64>> = goals.iter().map(|g| g.metric_id).collect();
    let overrides: Vec<(i64, i64)> = overrides.iter().map(|(m, w, _)| (*m, *w)).collect();
    pulse_domain::goals::effective_weights(&metrics, base, &overrides)
}

/// Re-applies the overrides active for a person to their base weights and
/// records what changed (G5). Returns (goal title, before, after) of changes.
pub async fn reapply(
    tx: &mut Tx,
    actor: &Actor,
    person_id: i64,
    period_id: i64,
    overrides: &[(i64, i64, i64)],
    cause: &Cause<'_>,
) -> Result<Vec<(Goal, i64)>, StoreError> {
    let goals = weighted(person_goals_in(tx, person_id, period_id).await?);
    if goals.is_empty() {
        return Ok(Vec::new());
    }
    let base: Vec<i64> = goals.iter().map(|g| g.base_weight_bp).collect();
    if weights::check_sum(&base).is_err() {
        // Base weights not set yet (a person mid-setup): nothing to rescale.
        return Ok(Vec::new());
    }
    let effective = effective_weights(&goals, &base, overrides);
    let changes: Vec<(Goal, i64)> = goals
        .iter()
        .zip(&effective)
        .filter(|(g, w)| g.weight_bp != **w)
        .map(|(g, w)| (g.clone(), *w))
        .collect();
    if !changes.is_empty() {
        write_weights(tx, actor, person_id, period_id, &goals, &effective, cause).await?;
    }
    Ok(changes)
}

/// What an override "metric weighs `weight_bp`" would do in a region, without
/// writing: how many people's weights would change, and the KPI's weight
/// before → after for the first of them.
pub async fn preview_override(
    tx: &mut Tx,
    region_id: i64,
    period_id: i64,
    metric_id: i64,
    weight_bp: i64,
) -> Result<(i64, Option<i64>, Option<i64>), StoreError> {
    let rows: Vec<(i64, i64, Option<i64>, i64, i64)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM org_units WHERE id = $1 \
               UNION ALL SELECT o.id, sub.depth + 1 FROM org_units o JOIN sub ON o.parent_id = sub.id WHERE sub.depth < 64) \
             SELECT g.person_id, g.id, g.metric_id, g.base_weight_bp, g.weight_bp FROM goals g \
             JOIN people p ON p.id = g.person_id JOIN sub ON sub.id = p.org_unit_id \
             WHERE g.period_id = $2 AND g.state = 'active' AND g.kind IN ('kpi', 'key_result') AND p.status = 'active' \
             ORDER BY g.person_id, g.sort_order, g.id",
        )
        .bind(region_id).bind(period_id).fetch_all(conn).await?
    });
    let mut people = 0;
    let mut sample = (None, None);
    let mut i = 0;
    while i < rows.len() {
        let pid = rows[i].0;
        let mut j = i;
        while j < rows.len() && rows[j].0 == pid {
            j += 1;
        }
        let group = &rows[i..j];
        if let Some(k) = group.iter().position(|r| r.2 == Some(metric_id)) {
            let base: Vec<i64> = group.iter().map(|r| r.3).collect();
            if weights::check_sum(&base).is_ok() {
                let after = weights::apply_overrides(&base, &[(k, weight_bp)]);
                if group.iter().zip(&after).any(|(r, a)| r.4 != *a) {
                    people += 1;
                    if sample.0.is_none() {
                        sample = (Some(group[k].4), Some(after[k]));
                    }
                }
            }
        }
        i = j;
    }
    Ok((people, sample.0, sample.1))
}
