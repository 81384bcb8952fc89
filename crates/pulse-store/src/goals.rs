//! Periods, KPI definitions and the goal tree (G1–G4, G7) with exact
//! weights: a person's active weighted goals of a period always sum to
//! 10,000 bp, and every change is kept in `weight_changes`.

use chrono::NaiveDate;
use pulse_domain::Problem;
use pulse_domain::decimal::Dec;
use pulse_domain::goals::{RollupNode, TreeItem, is_weighted, progress_bp, rollup};
use pulse_domain::weights;
use serde::Serialize;

use crate::{Actor, Db, StoreError, Tx};

pub const KINDS: &[&str] = &["company", "objective", "key_result", "kpi"];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Period {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub state: String,
}

const PERIOD_COLUMNS: &str = "id, code, name, starts_on, ends_on, state";

pub async fn upsert_period(
    tx: &mut Tx,
    code: &str,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<i64, StoreError> {
    if ends_on < starts_on {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_period",
            "周期的结束日期早于开始日期",
            "the period ends before it starts",
        )));
    }
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO periods (code, name, starts_on, ends_on) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(code).bind(name).bind(starts_on).bind(ends_on)
        .fetch_one(conn).await?
    });
    Ok(id)
}

/// The open period containing `day`, shortest first (a quarter before its year).
pub async fn period_at(db: &Db, day: NaiveDate) -> Result<Option<Period>, StoreError> {
    let sql = format!(
        "SELECT {PERIOD_COLUMNS} FROM periods WHERE starts_on <= $1 AND ends_on >= $1 \
         ORDER BY starts_on DESC, ends_on, id LIMIT 1"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).bind(day).fetch_optional(pool).await?
    }))
}

pub async fn period_by_code(db: &Db, code: &str) -> Result<Option<Period>, StoreError> {
    let sql = format!("SELECT {PERIOD_COLUMNS} FROM periods WHERE code = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).bind(code).fetch_optional(pool).await?
    }))
}

pub async fn periods(db: &Db) -> Result<Vec<Period>, StoreError> {
    let sql = format!("SELECT {PERIOD_COLUMNS} FROM periods ORDER BY starts_on DESC, id");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

/// Refuses changes to a closed period (G7) with a clear error.
pub async fn ensure_open(tx: &mut Tx, period_id: i64) -> Result<(), StoreError> {
    let row: Option<(String, String)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name, state FROM periods WHERE id = $1").bind(period_id).fetch_optional(conn).await?
    });
    match row {
        None => Err(StoreError::NotFound(format!("period {period_id}"))),
        Some((name, state)) if state != "open" => Err(StoreError::Conflict(Problem::new(
            "period_closed",
            format!("周期“{name}”已关闭，目标和权重不能再修改"),
            format!("period '{name}' is closed; goals and weights can no longer change"),
        ))),
        Some(_) => Ok(()),
    }
}

/// Closes a period: from now on its goals, weights and targets are frozen.
pub async fn close_period(tx: &mut Tx, actor: &Actor, period_id: i64) -> Result<(), StoreError> {
    ensure_open(tx, period_id).await?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE periods SET state = 'closed', closed_at = $1 WHERE id = $2").bind(now).bind(period_id).execute(conn).await?;
    });
    crate::audit::record::<(), _>(
        tx,
        actor,
        "period.close",
        "period",
        &period_id.to_string(),
        None,
        Some(&serde_json::json!({"state": "closed"})),
    )
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Metric {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub source: String,
    pub formula: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct MetricInput {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub source: String,
    pub formula: String,
    pub description: String,
}

pub async fn upsert_metric(tx: &mut Tx, m: &MetricInput) -> Result<i64, StoreError> {
    pulse_domain::org::required_text(&m.code, 64, "指标编码", "metric code")?;
    pulse_domain::org::required_text(&m.name, 100, "指标名称", "metric name")?;
    if !["higher", "lower"].contains(&m.direction.as_str()) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_direction",
            "指标方向必须是 higher（越高越好）或 lower（越低越好）",
            "direction must be higher or lower",
        )));
    }
    if !["manual", "events", "import", "crm"].contains(&m.source.as_str()) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_source",
            "数据来源必须是 manual、events、import 或 crm",
            "source must be manual, events, import or crm",
        )));
    }
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO metrics (code, name, unit, direction, source, formula, description) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit = excluded.unit, direction = excluded.direction, \
             source = excluded.source, formula = excluded.formula, description = excluded.description RETURNING id",
        )
        .bind(&m.code).bind(&m.name).bind(&m.unit).bind(&m.direction).bind(&m.source).bind(&m.formula).bind(&m.description)
        .fetch_one(conn).await?
    });
    Ok(id)
}

pub async fn metrics(db: &Db) -> Result<Vec<Metric>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Metric>("SELECT id, code, name, unit, direction, source, formula, description FROM metrics ORDER BY code")
            .fetch_all(pool).await?
    }))
}

/// A goal as lists and the API show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Goal {
    pub id: i64,
    pub period_id: i64,
    pub kind: String,
    pub title: String,
    pub org_unit_id: Option<i64>,
    pub person_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub metric_id: Option<i64>,
    pub metric_code: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<String>,
    pub target: Option<String>,
    pub actual: Option<String>,
    pub progress_bp: i64,
    pub base_weight_bp: i64,
    pub weight_bp: i64,
    pub state: String,
}

const GOAL_SELECT: &str = "SELECT g.id, g.period_id, g.kind, g.title, g.org_unit_id, g.person_id, g.parent_id, g.metric_id, \
     m.code AS metric_code, m.unit, m.direction, g.target, g.actual, g.progress_bp, g.base_weight_bp, g.weight_bp, g.state \
     FROM goals g LEFT JOIN metrics m ON m.id = g.metric_id";

#[derive(Debug, Clone)]
pub struct NewGoal {
    pub period_id: i64,
    pub kind: String,
    pub title: String,
    pub org_unit_id: Option<i64>,
    pub person_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub metric_id: Option<i64>,
    pub target: Option<String>,
    pub base_weight_bp: i64,
    pub sort_order: i64,
}

/// Creates a goal after checking it. Weights of a person's goals are set as
/// a whole with [`set_base_weights`], so the sum is never briefly wrong; a
/// new person goal starts at its given base weight only for template loads
/// that set the complete set in the same transaction.
pub async fn create_goal(tx: &mut Tx, g: &NewGoal) -> Result<i64, StoreError> {
    pulse_domain::org::required_text(&g.title, 200, "目标名称", "goal title")?;
    if !KINDS.contains(&g.kind.as_str()) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_goal_kind",
            "目标类型必须是 company、objective、key_result 或 kpi",
            "kind must be company, objective, key_result or kpi",
        )));
    }
    if g.org_unit_id.is_some() == g.person_id.is_some() && g.kind != "company" {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_goal_owner",
            "目标必须属于一个部门或一个人（二选一）",
            "a goal belongs to either an org unit or a person",
        )));
    }
    let target = g
        .target
        .as_deref()
        .map(|t| Dec::parse(t).map(|d| d.to_string()))
        .transpose()?;
    ensure_open(tx, g.period_id).await?;
    if let Some(parent) = g.parent_id {
        let p: Option<(i64,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT period_id FROM goals WHERE id = $1").bind(parent).fetch_optional(conn).await?
        });
        match p {
            None => return Err(StoreError::NotFound(format!("parent goal {parent}"))),
            Some((pp,)) if pp != g.period_id => {
                // Company goals are yearly: a quarter's goals may align to the year's.
                let yearly: Option<(i64,)> = on_tx!(tx, conn => {
                    sqlx::query_as("SELECT id FROM goals WHERE id = $1 AND kind = 'company'").bind(parent).fetch_optional(conn).await?
                });
                if yearly.is_none() {
                    return Err(StoreError::Invalid(Problem::new(
                        "parent_other_period",
                        "上级目标属于另一个周期",
                        "the parent goal belongs to another period",
                    )));
                }
            }
            Some(_) => {}
        }
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO goals (period_id, kind, title, org_unit_id, person_id, parent_id, metric_id, target, base_weight_bp, weight_bp, sort_order, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $11) RETURNING id",
        )
        .bind(g.period_id).bind(&g.kind).bind(g.title.trim()).bind(g.org_unit_id).bind(g.person_id).bind(g.parent_id)
        .bind(g.metric_id).bind(&target).bind(g.base_weight_bp).bind(g.sort_order).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

pub async fn goal(db: &Db, id: i64) -> Result<Option<Goal>, StoreError> {
    let sql = format!("{GOAL_SELECT} WHERE g.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

pub async fn goal_in(tx: &mut Tx, id: i64) -> Result<Option<Goal>, StoreError> {
    let sql = format!("{GOAL_SELECT} WHERE g.id = $1");
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?
    }))
}

/// A person's active goals of a period in board order.
pub async fn person_goals(
    db: &Db,
    person_id: i64,
    period_id: i64,
) -> Result<Vec<Goal>, StoreError> {
    let sql = format!(
        "{GOAL_SELECT} WHERE g.person_id = $1 AND g.period_id = $2 AND g.state = 'active' ORDER BY g.sort_order, g.id"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).bind(period_id).fetch_all(pool).await?
    }))
}

/// [`person_goals`] inside a transaction.
pub async fn person_goals_in(
    tx: &mut Tx,
    person_id: i64,
    period_id: i64,
) -> Result<Vec<Goal>, StoreError> {
    let sql = format!(
        "{GOAL_SELECT} WHERE g.person_id = $1 AND g.period_id = $2 AND g.state = 'active' ORDER BY g.sort_order, g.id"
    );
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).bind(period_id).fetch_all(conn).await?
    }))
}

/// A unit's active goals of a period.
pub async fn unit_goals(db: &Db, unit_id: i64, period_id: i64) -> Result<Vec<Goal>, StoreError> {
    let sql = format!(
        "{GOAL_SELECT} WHERE g.org_unit_id = $1 AND g.period_id = $2 AND g.state = 'active' ORDER BY g.sort_order, g.id"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(unit_id).bind(period_id).fetch_all(pool).await?
    }))
}

/// The goals above `id`, nearest first: *my KPI → team KR → region
/// objective → company TOP goal*. Stops after 10 steps.
pub async fn chain(db: &Db, id: i64) -> Result<Vec<Goal>, StoreError> {
    let mut out: Vec<Goal> = Vec::new();
    let mut next = goal(db, id).await?.and_then(|g| g.parent_id);
    while let Some(pid) = next {
        if out.len() >= 10 || out.iter().any(|g| g.id == pid) {
            break;
        }
        let Some(g) = goal(db, pid).await? else { break };
        next = g.parent_id;
        out.push(g);
    }
    Ok(out)
}

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
async fn write_weights(
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
fn weighted(goals: Vec<Goal>) -> Vec<Goal> {
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
fn effective_weights(goals: &[Goal], base: &[i64], overrides: &[(i64, i64, i64)]) -> Vec<i64> {
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

/// Records a check-in (G7): the actual value and the progress toward target.
pub async fn check_in(
    tx: &mut Tx,
    actor: &Actor,
    goal: &Goal,
    actual: &str,
    note: &str,
) -> Result<i64, StoreError> {
    ensure_open(tx, goal.period_id).await?;
    let actual = Dec::parse(actual)?;
    let progress = goal
        .target
        .as_deref()
        .and_then(|t| Dec::parse(t).ok())
        .map(|t| progress_bp(&actual, &t, goal.direction.as_deref() == Some("lower")))
        .unwrap_or(0);
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE goals SET actual = $1, progress_bp = $2, updated_at = $3 WHERE id = $4")
            .bind(actual.to_string()).bind(progress).bind(now).bind(goal.id).execute(conn).await?;
    });
    crate::audit::record(
        tx,
        actor,
        "goal.check_in",
        "goal",
        &goal.id.to_string(),
        Some(&serde_json::json!({"actual": goal.actual})),
        Some(&serde_json::json!({"actual": actual.to_string(), "note": note})),
    )
    .await?;
    Ok(progress)
}

/// The weighted score of a person for a period (G7): Σ weight × progress
/// over the weighted goals among `goals`.
pub fn weighted_score_bp(goals: &[Goal]) -> i64 {
    pulse_domain::goals::weighted_score_bp(
        goals
            .iter()
            .filter(|g| is_weighted(&g.kind))
            .map(|g| (g.weight_bp, g.progress_bp)),
    )
}

/// Changes a goal's target (approved adjustment, HR edit).
pub async fn set_target(tx: &mut Tx, goal_id: i64, target: &Dec) -> Result<(), StoreError> {
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE goals SET target = $1, updated_at = $2 WHERE id = $3").bind(target.to_string()).bind(now).bind(goal_id).execute(conn).await?;
    });
    Ok(())
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

/// One KPI of a set applied from a template or an import.
#[derive(Debug, Clone)]
pub struct NewKpi {
    pub title: String,
    pub metric_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub target: Option<String>,
    pub actual: Option<String>,
    pub lower_is_better: bool,
    pub weight_bp: i64,
}

/// Creates a person's complete weighted KPI set for a period in two
/// statements (goals, then their first history rows): the path for job-family
/// templates and imports, where thousands of people get their goals at once.
/// The weights must sum to exactly 100 %, and the person must have no active
/// weighted goals in the period yet (change those with [`set_base_weights`]).
pub async fn create_kpi_set(
    tx: &mut Tx,
    actor: &Actor,
    period_id: i64,
    person_id: i64,
    items: &[NewKpi],
    cause: &Cause<'_>,
) -> Result<Vec<i64>, StoreError> {
    let weights: Vec<i64> = items.iter().map(|k| k.weight_bp).collect();
    weights::check_sum(&weights)?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    ensure_open(tx, period_id).await?;
    let existing: (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT COUNT(*) FROM goals WHERE person_id = $1 AND period_id = $2 AND state = 'active' AND kind IN ('kpi', 'key_result')")
            .bind(person_id).bind(period_id).fetch_one(conn).await?
    });
    if existing.0 > 0 {
        return Err(StoreError::Conflict(Problem::new(
            "goals_exist",
            "此人本周期已有指标，请修改权重而不是重新套用模板",
            "the person already has goals this period; change their weights instead",
        )));
    }
    let mut rows = Vec::with_capacity(items.len());
    for k in items {
        pulse_domain::org::required_text(&k.title, 200, "目标名称", "goal title")?;
        let target = k.target.as_deref().map(Dec::parse).transpose()?;
        let actual = k.actual.as_deref().map(Dec::parse).transpose()?;
        let progress = match (&actual, &target) {
            (Some(a), Some(t)) => progress_bp(a, t, k.lower_is_better),
            _ => 0,
        };
        rows.push((
            target.map(|t| t.to_string()),
            actual.map(|a| a.to_string()),
            progress,
        ));
    }
    let now = tx.now_ms();
    // `($1, …, $n), (…)`: the numbered value slots of a multi-row INSERT.
    let value_slots = |rows: usize, cols: usize| -> String {
        (0..rows)
            .map(|r| {
                let p: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "INSERT INTO goals (period_id, kind, title, person_id, parent_id, metric_id, target, actual, progress_bp, \
         base_weight_bp, weight_bp, sort_order, created_at, updated_at) VALUES {} RETURNING id",
        value_slots(items.len(), 14)
    );
    let ids: Vec<(i64,)> = on_tx!(tx, conn => {
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.clone()));
        for (i, (k, (target, actual, progress))) in items.iter().zip(&rows).enumerate() {
            q = q.bind(period_id).bind("kpi").bind(k.title.trim()).bind(person_id).bind(k.parent_id).bind(k.metric_id)
                .bind(target.clone()).bind(actual.clone()).bind(*progress).bind(k.weight_bp).bind(k.weight_bp)
                .bind(i as i64).bind(now).bind(now);
        }
        q.fetch_all(conn).await?
    });
    let ids: Vec<i64> = ids.into_iter().map(|r| r.0).collect();
    let sql = format!(
        "INSERT INTO weight_changes (goal_id, person_id, period_id, before_bp, after_bp, cause, rule_id, note, actor, at) VALUES {}",
        value_slots(ids.len(), 10)
    );
    on_tx!(tx, conn => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (id, k) in ids.iter().zip(items) {
            q = q.bind(*id).bind(person_id).bind(period_id).bind(0_i64).bind(k.weight_bp).bind(cause.kind)
                .bind(cause.rule_id).bind(cause.note).bind(&actor.label).bind(now);
        }
        q.execute(conn).await?;
    });
    Ok(ids)
}

/// One line of a job family's KPI template (G1).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct TemplateLine {
    pub job_family: String,
    pub metric_id: i64,
    pub metric_code: String,
    pub metric_name: String,
    pub weight_bp: i64,
    pub target: Option<String>,
}

pub async fn templates(db: &Db) -> Result<Vec<TemplateLine>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, TemplateLine>(
            "SELECT t.job_family, t.metric_id, m.code AS metric_code, m.name AS metric_name, t.weight_bp, t.target \
             FROM goal_templates t JOIN metrics m ON m.id = t.metric_id ORDER BY t.job_family, t.sort_order, t.id",
        )
        .fetch_all(pool).await?
    }))
}

/// Replaces a job family's template: (metric code, weight bp, target).
/// The weights must sum to exactly 100 %.
pub async fn save_template(
    tx: &mut Tx,
    job_family: &str,
    lines: &[(String, i64, Option<String>)],
) -> Result<(), StoreError> {
    let family = pulse_domain::org::required_text(job_family, 32, "岗位族", "job family")?;
    let w: Vec<i64> = lines.iter().map(|l| l.1).collect();
    if lines.is_empty() {
        return Err(StoreError::Invalid(Problem::new(
            "template_empty",
            "模板至少要有一个指标",
            "a template needs at least one KPI",
        )));
    }
    weights::check_sum(&w)?;
    let mut resolved = Vec::new();
    for (code, weight, target) in lines {
        let m: Option<(i64,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT id FROM metrics WHERE code = $1").bind(code.trim()).fetch_optional(conn).await?
        });
        let Some((id,)) = m else {
            return Err(StoreError::Invalid(Problem::new(
                "unknown_metric",
                format!("指标“{code}”不存在"),
                format!("no metric with code '{code}'"),
            )));
        };
        if resolved.iter().any(|(r, _, _)| *r == id) {
            return Err(StoreError::Invalid(Problem::new(
                "duplicate_metric",
                format!("指标“{code}”重复"),
                format!("metric '{code}' is listed twice"),
            )));
        }
        let target = target
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Dec::parse(t).map(|d| d.to_string()))
            .transpose()?;
        resolved.push((id, *weight, target));
    }
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM goal_templates WHERE job_family = $1").bind(&family).execute(&mut *conn).await?;
        for (i, (id, w, t)) in resolved.iter().enumerate() {
            sqlx::query("INSERT INTO goal_templates (job_family, metric_id, weight_bp, target, sort_order) VALUES ($1, $2, $3, $4, $5)")
                .bind(&family).bind(*id).bind(*w).bind(t).bind(i as i64).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Gives every active person of the job family who has no KPIs in the
/// period the template's set, linked under their team's first key result
/// when there is one. Returns how many people got goals.
pub async fn apply_template(
    tx: &mut Tx,
    actor: &Actor,
    period_id: i64,
    job_family: &str,
) -> Result<usize, StoreError> {
    ensure_open(tx, period_id).await?;
    let lines: Vec<(i64, String, i64, Option<String>, String)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT t.metric_id, m.name, t.weight_bp, t.target, m.direction FROM goal_templates t JOIN metrics m ON m.id = t.metric_id \
             WHERE t.job_family = $1 ORDER BY t.sort_order, t.id",
        )
        .bind(job_family).fetch_all(conn).await?
    });
    if lines.is_empty() {
        return Err(StoreError::NotFound(format!("template {job_family}")));
    }
    let people: Vec<(i64, Option<i64>)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT p.id, (SELECT k.id FROM goals k WHERE k.org_unit_id = p.org_unit_id AND k.period_id = $2 AND k.kind = 'key_result' \
                           AND k.state = 'active' ORDER BY k.sort_order, k.id LIMIT 1) \
             FROM people p WHERE p.job_family = $1 AND p.status = 'active' AND NOT EXISTS ( \
               SELECT 1 FROM goals g WHERE g.person_id = p.id AND g.period_id = $2 AND g.state = 'active' AND g.kind IN ('kpi', 'key_result')) \
             ORDER BY p.id",
        )
        .bind(job_family).bind(period_id).fetch_all(conn).await?
    });
    let note = format!("{job_family}岗位模板");
    let cause = Cause {
        kind: "template",
        rule_id: None,
        note: &note,
    };
    for (person, kr) in &people {
        let items: Vec<NewKpi> = lines
            .iter()
            .map(|(metric, name, w, target, direction)| NewKpi {
                title: name.clone(),
                metric_id: Some(*metric),
                parent_id: *kr,
                target: target.clone(),
                actual: None,
                lower_is_better: direction == "lower",
                weight_bp: *w,
            })
            .collect();
        create_kpi_set(tx, actor, period_id, *person, &items, &cause).await?;
    }
    Ok(people.len())
}

/// Progress of a goal rolled up from its active children (G7): a weighted
/// mean of the children's own roll-ups (by their weight, or equally when
/// they carry none); a goal without children reports its own progress.
/// Archived goals are left out.
pub async fn rollup_progress(db: &Db, goal_id: i64) -> Result<i64, StoreError> {
    // All active descendants in one query, then computed bottom-up.
    let rows: Vec<(i64, Option<i64>, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM goals WHERE id = $1 \
               UNION ALL SELECT g.id, sub.depth + 1 FROM goals g JOIN sub ON g.parent_id = sub.id WHERE g.state = 'active' AND sub.depth < 10) \
             SELECT g.id, g.parent_id, g.progress_bp, g.weight_bp FROM goals g JOIN sub ON sub.id = g.id",
        )
        .bind(goal_id).fetch_all(pool).await?
    });
    let nodes: Vec<RollupNode> = rows
        .into_iter()
        .map(|(id, parent_id, progress_bp, weight_bp)| RollupNode {
            id,
            parent_id,
            progress_bp,
            weight_bp,
        })
        .collect();
    Ok(rollup(&nodes, goal_id))
}

/// Archives a goal. A person's weighted goal gives its weight back to the
/// others in proportion (largest remainder), so the sum stays exactly 100 %;
/// rule overrides in force are kept.
pub async fn archive(tx: &mut Tx, actor: &Actor, goal_id: i64) -> Result<(), StoreError> {
    let g = goal_in(tx, goal_id)
        .await?
        .filter(|g| g.state == "active")
        .ok_or_else(|| StoreError::NotFound(format!("goal {goal_id}")))?;
    ensure_open(tx, g.period_id).await?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE goals SET state = 'archived', updated_at = $1 WHERE id = $2").bind(now).bind(goal_id).execute(conn).await?;
    });
    crate::audit::record(
        tx,
        actor,
        "goal.archive",
        "goal",
        &goal_id.to_string(),
        Some(&serde_json::json!({"state": "active", "weight_bp": g.weight_bp})),
        Some(&serde_json::json!({"state": "archived"})),
    )
    .await?;
    let Some(person) = g.person_id else {
        return Ok(());
    };
    if !is_weighted(&g.kind) {
        return Ok(());
    }
    let rest = weighted(person_goals_in(tx, person, g.period_id).await?);
    if rest.is_empty() {
        return Ok(());
    }
    let shares: Vec<i64> = rest.iter().map(|r| r.base_weight_bp).collect();
    let base: Vec<(i64, i64)> = rest
        .iter()
        .map(|r| r.id)
        .zip(weights::largest_remainder(weights::FULL, &shares))
        .collect();
    let overrides = crate::weight_rules::active_overrides(tx, person).await?;
    let note = format!("目标“{}”归档，权重按比例分给其余指标", g.title);
    set_base_weights(
        tx,
        actor,
        person,
        g.period_id,
        &base,
        &overrides,
        &Cause {
            kind: "manual",
            rule_id: None,
            note: &note,
        },
    )
    .await?;
    Ok(())
}

/// Company goals (of the period's year too) and objectives a new objective or
/// key result can hang under: (id, "TOP1 … " / "objective title").
pub async fn tree_parents(db: &Db, period_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, (i64, String)>(
            "SELECT g.id, g.title FROM goals g JOIN periods p ON p.id = g.period_id JOIN periods cur ON cur.id = $1 \
             WHERE g.state = 'active' AND ((g.kind = 'company' AND p.starts_on <= cur.ends_on AND p.ends_on >= cur.starts_on) \
               OR (g.kind = 'objective' AND g.period_id = $1)) \
             ORDER BY CASE WHEN g.kind = 'company' THEN 0 ELSE 1 END, g.sort_order, g.id",
        )
        .bind(period_id).fetch_all(pool).await?
    }))
}

/// One node of the strategy tree as the setup page draws it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct TreeNode {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub parent_id: Option<i64>,
    pub org_unit_id: Option<i64>,
    pub unit_name: Option<String>,
}

/// Company goals overlapping the period plus the period's unit objectives
/// and key results (personal KPIs are left out: there are thousands).
pub async fn unit_tree(db: &Db, period_id: i64) -> Result<Vec<TreeNode>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, TreeNode>(
            "SELECT g.id, g.kind, g.title, g.parent_id, g.org_unit_id, u.name AS unit_name \
             FROM goals g JOIN periods p ON p.id = g.period_id JOIN periods cur ON cur.id = $1 \
             LEFT JOIN org_units u ON u.id = g.org_unit_id \
             WHERE g.state = 'active' AND g.person_id IS NULL \
               AND ((g.kind = 'company' AND p.starts_on <= cur.ends_on AND p.ends_on >= cur.starts_on) \
                 OR (g.kind IN ('objective', 'key_result') AND g.period_id = $1)) \
             ORDER BY g.sort_order, g.id",
        )
        .bind(period_id).fetch_all(pool).await?
    }))
}

impl TreeItem for TreeNode {
    fn id(&self) -> i64 {
        self.id
    }
    fn parent_id(&self) -> Option<i64> {
        self.parent_id
    }
}

/// Renames a unit goal (company goal, objective, key result) and, for a key
/// result, sets its target. Personal KPI targets change only through an
/// adjustment request or an import, so their history stays explained.
pub async fn edit_unit_goal(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    title: Option<&str>,
    target: Option<&str>,
) -> Result<(), StoreError> {
    // period, kind, title, target, person
    type Head = (i64, String, String, Option<String>, Option<i64>);
    let before: Option<Head> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT period_id, kind, title, target, person_id FROM goals WHERE id = $1 AND state = 'active'")
            .bind(id).fetch_optional(conn).await?
    });
    let Some((period_id, kind, old_title, old_target, person_id)) = before else {
        return Err(StoreError::NotFound(format!("goal {id}")));
    };
    if person_id.is_some() || kind == "kpi" {
        return Err(StoreError::Invalid(Problem::new(
            "personal_goal",
            "个人指标的目标值只能通过调整申请或导入修改",
            "a personal KPI's target changes through an adjustment request or an import",
        )));
    }
    ensure_open(tx, period_id).await?;
    let new_title = match title.map(str::trim) {
        Some(t) => {
            pulse_domain::org::required_text(t, 200, "目标名称", "goal title")?;
            t.to_string()
        }
        None => old_title.clone(),
    };
    let new_target = match target.map(str::trim) {
        Some("") => None,
        Some(t) => Some(Dec::parse(t)?.to_string()),
        None => old_target.clone(),
    };
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE goals SET title = $1, target = $2, updated_at = $3 WHERE id = $4")
            .bind(&new_title).bind(&new_target).bind(now).bind(id).execute(conn).await?;
    });
    crate::audit::record(
        tx,
        actor,
        "goal.edit",
        "goal",
        &id.to_string(),
        Some(&serde_json::json!({"title": old_title, "target": old_target})),
        Some(&serde_json::json!({"title": new_title, "target": new_target})),
    )
    .await
}
