//! KPI sets for many people at once: job-family templates and imports (G1, X1).

use crate::{Actor, Db, StoreError, Tx};
use pulse_domain::Problem;
use pulse_domain::decimal::Dec;
use pulse_domain::goals::progress_bp;
use pulse_domain::weights;
use serde::Serialize;

use super::*;

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

/// Active people of a job family that has a template but who hold no KPI
/// in `period_id`: HR's "give them their template" count on the home page.
pub async fn people_without_kpis(db: &Db, period_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM people p WHERE p.status = 'active' \
             AND p.job_family IN (SELECT job_family FROM goal_templates) \
             AND NOT EXISTS (SELECT 1 FROM goals g WHERE g.person_id = p.id AND g.period_id = $1 AND g.kind = 'kpi' AND g.state = 'active')",
        )
        .bind(period_id).fetch_one(pool).await?
    });
    Ok(n)
}
