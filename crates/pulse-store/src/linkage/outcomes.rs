//! Outcomes of the linkage rules (L3, L4): what each person got, the chain
//! it was decided on, reversal by HR with a reason, and the lists payroll
//! and talent reviews take away (bonus coefficients, pool members).

use pulse_domain::Problem;
use pulse_domain::i18n::Both;
use pulse_domain::linkage::{Action, BASE_COEFFICIENT, Step};
use serde::Serialize;

use super::evaluate::Decided;
use crate::inbox::{self, NewTodo};
use crate::{Actor, Db, StoreError, notify};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub id: i64,
    pub rule_id: i64,
    pub rule: String,
    pub person_id: i64,
    pub employee_no: String,
    pub person_name: String,
    pub period_id: i64,
    pub period: String,
    pub period_name: String,
    pub action: Action,
    /// What the helpers read when it was decided.
    pub steps: Vec<Step>,
    /// Every action of the rule when it was decided (the sentence names them all).
    pub rule_actions: Vec<Action>,
    /// active | reversed
    pub state: String,
    pub reversed_reason: Option<String>,
    pub reversed_by: Option<String>,
    pub reversed_at: Option<i64>,
    pub created_at: i64,
}

type Row = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

const SELECT: &str = "SELECT o.id, o.rule_id, o.rule_name, o.person_id, p.employee_no, p.name, o.period_id, pe.code, pe.name, \
     o.action_json, o.chain_json, o.state, o.reversed_reason, o.reversed_by, o.reversed_at, o.created_at \
     FROM linkage_outcomes o JOIN people p ON p.id = o.person_id JOIN periods pe ON pe.id = o.period_id";

fn to_outcome(r: Row) -> Option<Outcome> {
    let decided: Decided = serde_json::from_str(&r.10).ok()?;
    Some(Outcome {
        id: r.0,
        rule_id: r.1,
        rule: r.2,
        person_id: r.3,
        employee_no: r.4,
        person_name: r.5,
        period_id: r.6,
        period: r.7,
        period_name: r.8,
        action: serde_json::from_str(&r.9).ok()?,
        steps: decided.steps,
        rule_actions: decided.actions,
        state: r.11,
        reversed_reason: r.12,
        reversed_by: r.13,
        reversed_at: r.14,
        created_at: r.15,
    })
}

/// Which outcomes to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these people; None = everyone.
    pub people: Option<Vec<i64>>,
    /// Only people of these org units (a manager's scope); None = all units.
    pub units: Option<Vec<i64>>,
    pub period_id: Option<i64>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub limit: i64,
}

/// Outcomes, newest period first, then by person and rule.
pub async fn list(db: &Db, f: &Filter) -> Result<Vec<Outcome>, StoreError> {
    if f.people.as_ref().is_some_and(Vec::is_empty) || f.units.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "{SELECT} WHERE (o.period_id = $1 OR $1 IS NULL) AND (o.kind = $2 OR $2 IS NULL) AND (o.state = $3 OR $3 IS NULL)"
    );
    if let Some(ids) = &f.people {
        // Integers from the caller's scope, not from input text.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sql.push_str(&format!(" AND o.person_id IN ({list})"));
    }
    if let Some(ids) = &f.units {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sql.push_str(&format!(" AND p.org_unit_id IN ({list})"));
    }
    sql.push_str(" ORDER BY pe.starts_on DESC, o.person_id, o.rule_id, o.action_idx LIMIT $4");
    let limit = if f.limit > 0 { f.limit } else { 500 };
    let rows: Vec<Row> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(f.period_id).bind(f.kind.as_deref()).bind(f.state.as_deref()).bind(limit)
            .fetch_all(pool).await?
    });
    Ok(rows.into_iter().filter_map(to_outcome).collect())
}

pub async fn of_person(db: &Db, person_id: i64) -> Result<Vec<Outcome>, StoreError> {
    list(
        db,
        &Filter {
            people: Some(vec![person_id]),
            limit: 500,
            ..Default::default()
        },
    )
    .await
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Outcome>, StoreError> {
    let sql = format!("{SELECT} WHERE o.id = $1");
    let row: Option<Row> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    });
    Ok(row.and_then(to_outcome))
}

/// HR reverses an outcome with a reason (L4): audited, and the person is
/// told. A reversed outcome stays (with who, when and why); evaluating the
/// period again does not bring it back.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    id: i64,
    reason: &str,
    public_url: &str,
) -> Result<Outcome, StoreError> {
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(StoreError::Invalid(Problem::new(
            "reason_required",
            "请写明撤销原因（2 到 200 个字）",
            "give the reason for the reversal (2 to 200 characters)",
        )));
    }
    let Some(o) = get(db, id).await? else {
        return Err(StoreError::NotFound(format!("outcome {id}")));
    };
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let n = on_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE linkage_outcomes SET state = 'reversed', reversed_reason = $1, reversed_by = $2, reversed_at = $3 \
             WHERE id = $4 AND state = 'active'",
        )
        .bind(reason).bind(&actor.label).bind(now).bind(id).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        tx.rollback().await?;
        let o = get(db, id).await?.unwrap_or(o);
        return Err(StoreError::Conflict(Problem::new(
            "already_reversed",
            format!(
                "这条结果已于之前撤销（{}）",
                o.reversed_reason.as_deref().unwrap_or("")
            ),
            format!(
                "this outcome was already reversed ({})",
                o.reversed_reason.as_deref().unwrap_or("")
            ),
        )));
    }
    let what_zh = o.action.describe(true);
    let what_en = o.action.describe(false);
    let period_zh =
        pulse_domain::goals::period_label(&o.period, &o.period_name, pulse_domain::Lang::Zh);
    let period_en =
        pulse_domain::goals::period_label(&o.period, &o.period_name, pulse_domain::Lang::En);
    inbox::create(
        &mut tx,
        &NewTodo {
            person_id: o.person_id,
            kind: "linkage_reversed".into(),
            subject: Both::new(
                format!("{period_zh}“{what_zh}”已撤销：{reason}")
                    .chars()
                    .take(190)
                    .collect::<String>(),
                format!("{period_en}: '{what_en}' was reversed: {reason}")
                    .chars()
                    .take(190)
                    .collect::<String>(),
            ),
            link: "/me/outcomes".into(),
            source_key: format!("linkage:reversed:{id}"),
            due_at: None,
        },
    )
    .await?;
    let base = public_url.trim_end_matches('/');
    notify::to_person(
        &mut tx,
        o.person_id,
        &format!("linkage:reversed:{id}"),
        "你的一项发展/激励结果已撤销",
        &format!("**{period_zh}“{what_zh}”已撤销**\n原因：{reason}\n[查看]({base}/me/outcomes)"),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "linkage_outcome.reverse",
        "linkage_outcome",
        &id.to_string(),
        Some(&serde_json::json!({"state": "active"})),
        Some(&serde_json::json!({"state": "reversed", "reason": reason, "person": o.employee_no})),
    )
    .await?;
    tx.commit().await?;
    get(db, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("outcome {id}")))
}

/// One line of the payroll export: a person's coefficient for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub job_family: String,
    pub period: String,
    /// In hundredths: 100 = 1.00.
    pub base: i64,
    pub adjustments: Vec<(String, i64)>,
    pub coefficient: i64,
}

/// Everyone with an active bonus adjustment in the period, with the
/// resulting coefficient (1.00 plus the adjustments, never below zero).
pub async fn coefficients(db: &Db, period_id: i64) -> Result<Vec<Coefficient>, StoreError> {
    let rows: Vec<(String, String, String, String, String, String, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT p.employee_no, p.name, u.name, p.job_family, pe.code, o.rule_name, o.action_json \
             FROM linkage_outcomes o JOIN people p ON p.id = o.person_id JOIN org_units u ON u.id = p.org_unit_id \
             JOIN periods pe ON pe.id = o.period_id \
             WHERE o.period_id = $1 AND o.kind = 'adjust_bonus' AND o.state = 'active' ORDER BY p.employee_no, o.id",
        )
        .bind(period_id).fetch_all(pool).await?
    });
    let mut out: Vec<Coefficient> = Vec::new();
    for (no, name, unit, family, period, rule, json) in rows {
        let Ok(Action::AdjustBonus { hundredths }) = serde_json::from_str::<Action>(&json) else {
            continue;
        };
        if out.last().is_none_or(|c| c.employee_no != no) {
            out.push(Coefficient {
                employee_no: no,
                name,
                unit,
                job_family: family,
                period,
                base: BASE_COEFFICIENT,
                adjustments: Vec::new(),
                coefficient: BASE_COEFFICIENT,
            });
        }
        if let Some(c) = out.last_mut() {
            c.adjustments.push((rule, hundredths));
            c.coefficient = (c.coefficient + hundredths).max(0);
        }
    }
    Ok(out)
}

/// One member of a talent pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub outcome_id: i64,
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub job_family: String,
    pub level: String,
    pub period: String,
    pub rule: String,
    pub since: i64,
}

/// How many active outcomes name each pool, course and eligibility, by
/// (item kind, name), in one read (the catalogue page shows them all).
pub async fn counts_by_item(
    db: &Db,
) -> Result<std::collections::HashMap<(String, String), usize>, StoreError> {
    let rows: Vec<(String,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT action_json FROM linkage_outcomes WHERE state = 'active' \
             AND kind IN ('join_pool', 'recommend_course', 'grant_eligibility')",
        )
        .fetch_all(pool).await?
    });
    let mut out = std::collections::HashMap::new();
    for (json,) in rows {
        let key = match serde_json::from_str::<Action>(&json) {
            Ok(Action::JoinPool { pool }) => ("pool", pool),
            Ok(Action::RecommendCourse { course }) => ("course", course),
            Ok(Action::GrantEligibility { eligibility }) => ("eligibility", eligibility),
            _ => continue,
        };
        *out.entry((key.0.to_string(), key.1)).or_insert(0) += 1;
    }
    Ok(out)
}

type MemberRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
);

/// The active members of a pool (or holders of an eligibility), newest first.
pub async fn members(db: &Db, kind: &str, name: &str) -> Result<Vec<Member>, StoreError> {
    let key = match kind {
        "join_pool" => "pool",
        "grant_eligibility" => "eligibility",
        "recommend_course" => "course",
        _ => return Ok(Vec::new()),
    };
    let rows: Vec<MemberRow> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT o.id, p.employee_no, p.name, u.name, p.job_family, p.level, pe.code, o.rule_name, o.created_at, o.action_json \
             FROM linkage_outcomes o JOIN people p ON p.id = o.person_id JOIN org_units u ON u.id = p.org_unit_id \
             JOIN periods pe ON pe.id = o.period_id WHERE o.kind = $1 AND o.state = 'active' \
             ORDER BY pe.starts_on DESC, p.employee_no",
        )
        .bind(kind).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .filter(|r| {
            serde_json::from_str::<serde_json::Value>(&r.9)
                .ok()
                .and_then(|v| v.get(key).and_then(|n| n.as_str()).map(|n| n == name))
                .unwrap_or(false)
        })
        .map(|r| Member {
            outcome_id: r.0,
            employee_no: r.1,
            name: r.2,
            unit: r.3,
            job_family: r.4,
            level: r.5,
            period: r.6,
            rule: r.7,
            since: r.8,
        })
        .collect())
}
