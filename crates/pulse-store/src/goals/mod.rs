//! Periods, KPI definitions and the goal tree (G1–G4, G7) with exact
//! weights: a person's active weighted goals of a period always sum to
//! 10,000 bp, and every change is kept in `weight_changes`.

use pulse_domain::Problem;
use pulse_domain::decimal::Dec;
use pulse_domain::goals::{RollupNode, TreeItem, is_weighted, progress_bp, rollup};
use pulse_domain::weights;
use serde::Serialize;

use crate::{Actor, Db, StoreError, Tx};

mod periods;
mod templates;
mod weight_history;

pub use periods::*;
pub use templates::*;
pub use weight_history::*;

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
    if pulse_domain::goals::GoalKind::parse(&g.kind).is_none() {
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

/// The active goals of a period of many people at once, by person, in board
/// order: an export or a team board costs a query per 500 people, not one
/// per person.
pub async fn goals_of_people(
    db: &Db,
    person_ids: &[i64],
    period_id: i64,
) -> Result<std::collections::HashMap<i64, Vec<Goal>>, StoreError> {
    let mut out: std::collections::HashMap<i64, Vec<Goal>> = std::collections::HashMap::new();
    for chunk in person_ids.chunks(500) {
        let slots: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "{GOAL_SELECT} WHERE g.period_id = $1 AND g.state = 'active' AND g.person_id IN ({}) \
             ORDER BY g.person_id, g.sort_order, g.id",
            slots.join(", ")
        );
        let rows: Vec<Goal> = on_db!(db, pool => {
            let mut q = sqlx::query_as::<_, Goal>(sqlx::AssertSqlSafe(sql.clone())).bind(period_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        for g in rows {
            if let Some(p) = g.person_id {
                out.entry(p).or_default().push(g);
            }
        }
    }
    Ok(out)
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

/// Changes a goal's target (approved adjustment, HR edit) and recomputes its
/// progress against the last actual at once (G6/G7): the board and the
/// weighted score must not show the old target until the next check-in.
pub async fn set_target(tx: &mut Tx, goal_id: i64, target: &Dec) -> Result<(), StoreError> {
    let row: Option<(Option<String>, Option<String>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT g.actual, m.direction FROM goals g LEFT JOIN metrics m ON m.id = g.metric_id WHERE g.id = $1")
            .bind(goal_id).fetch_optional(conn).await?
    });
    let Some((actual, direction)) = row else {
        return Err(StoreError::NotFound(format!("goal {goal_id}")));
    };
    let progress = actual
        .as_deref()
        .and_then(|a| Dec::parse(a).ok())
        .map(|a| progress_bp(&a, target, direction.as_deref() == Some("lower")))
        .unwrap_or(0);
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE goals SET target = $1, progress_bp = $2, updated_at = $3 WHERE id = $4")
            .bind(target.to_string()).bind(progress).bind(now).bind(goal_id).execute(conn).await?;
    });
    Ok(())
}

/// Progress of a goal rolled up from its active children (G7): a weighted
/// mean of the children's own roll-ups (by their weight, or equally when
/// they carry none); a goal without children reports its own progress.
/// Archived goals are left out.
pub async fn rollup_progress(db: &Db, goal_id: i64) -> Result<i64, StoreError> {
    // Level by level through the (parent_id, state) index. A recursive CTE
    // did the same walk, but SQLite cannot estimate its size and built an
    // automatic index or a Bloom filter over all goals on every call (3 ms
    // of the team board's 8 on the year of demo data).
    type Row = (i64, Option<i64>, i64, i64);
    let mut nodes: Vec<RollupNode> = Vec::new();
    let root: Vec<Row> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, parent_id, progress_bp, weight_bp FROM goals WHERE id = $1")
            .bind(goal_id).fetch_all(pool).await?
    });
    let mut level: Vec<i64> = root.iter().map(|r| r.0).collect();
    let mut rows = root;
    for _ in 0..=10 {
        nodes.extend(
            rows.into_iter()
                .map(|(id, parent_id, progress_bp, weight_bp)| RollupNode {
                    id,
                    parent_id,
                    progress_bp,
                    weight_bp,
                }),
        );
        if level.is_empty() {
            break;
        }
        let mut next: Vec<Row> = Vec::new();
        for chunk in level.chunks(500) {
            let slots: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, parent_id, progress_bp, weight_bp FROM goals \
                 WHERE parent_id IN ({}) AND state = 'active'",
                slots.join(", ")
            );
            let found: Vec<Row> = on_db!(db, pool => {
                let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            next.extend(found);
        }
        level = next.iter().map(|r| r.0).collect();
        rows = next;
    }
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
            // Two index-driven halves (goals_kind_period): an OR across the
            // join made SQLite scan every goal.
            "SELECT id, title FROM ( \
               SELECT g.id, g.title, 0 AS grp, g.sort_order FROM goals g JOIN periods p ON p.id = g.period_id \
                 JOIN periods cur ON cur.id = $1 \
                 WHERE g.kind = 'company' AND g.state = 'active' AND p.starts_on <= cur.ends_on AND p.ends_on >= cur.starts_on \
               UNION ALL \
               SELECT g.id, g.title, 1 AS grp, g.sort_order FROM goals g \
                 WHERE g.kind = 'objective' AND g.period_id = $1 AND g.state = 'active' \
             ) t ORDER BY grp, sort_order, id",
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
