//! H1: alignment rounds. HR draws a reproducible sample of active frontline
//! staff; each sampled person lists their three busiest tasks and the
//! company TOP goal each supports; an HRBP verifies each claim once; the
//! round's share is the people with ≥ 2 verified tasks, with its interval.

use pulse_domain::health::{self, Claim, Share, TASKS, Verdict, sample};
use pulse_domain::i18n::Both;
use serde::Serialize;

use super::{conflict, frontline, invalid, region_of};
use crate::inbox::{self, NewTodo, TodoState};
use crate::org::Tree;
use crate::{Actor, Db, StoreError, audit};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Round {
    pub id: i64,
    pub name: String,
    pub seed: i64,
    pub sample_size: i64,
    pub stratified: bool,
    pub population: i64,
    pub state: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub submitted: i64,
}

const ROUND_SQL: &str = "SELECT r.id, r.name, r.seed, r.sample_size, r.stratified <> 0 AS stratified, r.population, r.state, r.created_at, r.closed_at, \
     (SELECT COUNT(*) FROM alignment_members m WHERE m.round_id = r.id AND m.submitted_at IS NOT NULL) AS submitted \
     FROM alignment_rounds r";

pub struct NewRound {
    pub name: String,
    pub size: i64,
    /// None: taken from the clock, and recorded so the draw can be redone.
    pub seed: Option<u64>,
    pub stratified: bool,
}

/// Draws the sample and gives each sampled person a to-do, in one transaction.
pub async fn start(db: &Db, actor: &Actor, tree: &Tree, r: &NewRound) -> Result<i64, StoreError> {
    let name = pulse_domain::org::required_text(&r.name, 60, "轮次名称", "round name")
        .map_err(StoreError::Invalid)?;
    let people = frontline(db).await?;
    let strata: Vec<(i64, i64)> = people
        .iter()
        .map(|(id, unit)| (*id, region_of(tree, *unit)))
        .collect();
    // Seeds stay below 2^53 so they survive JSON and spreadsheets exactly.
    let seed = r.seed.unwrap_or(db.now_ms() as u64) & ((1 << 53) - 1);
    let drawn = sample::draw(&strata, r.size, seed, r.stratified).map_err(StoreError::Invalid)?;
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO alignment_rounds (name, seed, sample_size, stratified, population, created_by, created_at) \
                        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(&name).bind(seed as i64).bind(r.size).bind(i64::from(r.stratified)).bind(people.len() as i64)
            .bind(actor.person_id).bind(now).fetch_one(conn).await?
    });
    for pid in &drawn {
        let unit = people.iter().find(|p| p.0 == *pid).map_or(0, |p| p.1);
        on_tx!(tx, conn => {
            sqlx::query("INSERT INTO alignment_members (round_id, person_id, org_unit_id) VALUES ($1, $2, $3)")
                .bind(id).bind(pid).bind(unit).execute(conn).await?;
        });
        inbox::create(
            &mut tx,
            &NewTodo {
                person_id: *pid,
                kind: "alignment_tasks".into(),
                subject: Both::new(
                    format!("目标对齐抽样：请填写本月最忙的 3 项工作（{name}）"),
                    format!("Alignment sample: list your 3 busiest tasks this month ({name})"),
                ),
                link: format!("/health/alignment/{id}"),
                source_key: format!("alignment:{id}"),
                due_at: None,
            },
        )
        .await?;
    }
    let after = serde_json::json!({"name": name, "seed": seed, "size": r.size, "stratified": r.stratified, "population": people.len()});
    audit::record(
        &mut tx,
        actor,
        "alignment.start",
        "alignment_round",
        &id.to_string(),
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rounds(db: &Db) -> Result<Vec<Round>, StoreError> {
    const SQL: &str = concat!(
        "SELECT r.id, r.name, r.seed, r.sample_size, r.stratified <> 0 AS stratified, r.population, r.state, r.created_at, r.closed_at, ",
        "(SELECT COUNT(*) FROM alignment_members m WHERE m.round_id = r.id AND m.submitted_at IS NOT NULL) AS submitted ",
        "FROM alignment_rounds r ORDER BY r.created_at DESC, r.id DESC"
    );
    Ok(on_db!(db, pool => sqlx::query_as::<_, Round>(SQL).fetch_all(pool).await?))
}

pub async fn round(db: &Db, id: i64) -> Result<Option<Round>, StoreError> {
    let sql = format!("{ROUND_SQL} WHERE r.id = $1");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Round>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?),
    )
}

/// The company TOP goals a task may name: those of the latest period that has any.
pub async fn top_goals(db: &Db) -> Result<Vec<(i64, String)>, StoreError> {
    const SQL: &str = "SELECT id, title FROM goals WHERE kind = 'company' AND state = 'active' \
         AND period_id = (SELECT MAX(period_id) FROM goals WHERE kind = 'company' AND state = 'active') \
         ORDER BY sort_order, id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub round_id: i64,
    pub person_id: i64,
    pub position: i64,
    pub task: String,
    pub goal_id: Option<i64>,
    pub goal_title: Option<String>,
    pub verdict: Option<String>,
    pub verified_by_name: Option<String>,
    pub verified_at: Option<i64>,
}

const TASK_SQL: &str = "SELECT t.id, t.round_id, t.person_id, t.position, t.task, t.goal_id, g.title AS goal_title, t.verdict, v.name AS verified_by_name, t.verified_at \
     FROM alignment_tasks t LEFT JOIN goals g ON g.id = t.goal_id LEFT JOIN people v ON v.id = t.verified_by";

/// A sampled person's place in a round: None when they were not drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub submitted_at: Option<i64>,
    pub tasks: Vec<Task>,
}

pub async fn membership(
    db: &Db,
    round_id: i64,
    person_id: i64,
) -> Result<Option<Membership>, StoreError> {
    let m: Option<(Option<i64>,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT submitted_at FROM alignment_members WHERE round_id = $1 AND person_id = $2")
            .bind(round_id).bind(person_id).fetch_optional(pool).await?
    });
    let Some((submitted_at,)) = m else {
        return Ok(None);
    };
    let sql = format!("{TASK_SQL} WHERE t.round_id = $1 AND t.person_id = $2 ORDER BY t.position");
    let tasks = on_db!(db, pool => sqlx::query_as::<_, Task>(sqlx::AssertSqlSafe(sql.clone())).bind(round_id).bind(person_id).fetch_all(pool).await?);
    Ok(Some(Membership {
        submitted_at,
        tasks,
    }))
}

/// The rounds a person was drawn for that still wait for their tasks.
pub async fn waiting_for(db: &Db, person_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    const SQL: &str = "SELECT r.id, r.name FROM alignment_rounds r JOIN alignment_members m ON m.round_id = r.id \
         WHERE m.person_id = $1 AND m.submitted_at IS NULL AND r.state = 'open' ORDER BY r.id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(person_id).fetch_all(pool).await?))
}

/// A person's three tasks, each with the TOP goal it supports (None = none).
pub async fn submit(
    db: &Db,
    actor: &Actor,
    round_id: i64,
    person_id: i64,
    tasks: &[(String, Option<i64>)],
) -> Result<(), StoreError> {
    if tasks.len() != TASKS {
        return Err(invalid(
            "invalid_tasks",
            "请填写 3 项工作",
            "list exactly 3 tasks",
        ));
    }
    let mut checked = Vec::with_capacity(TASKS);
    for (text, goal) in tasks {
        checked.push((health::task_text(text).map_err(StoreError::Invalid)?, *goal));
    }
    let titles = top_goals(db).await?;
    let top: Vec<i64> = titles.iter().map(|g| g.0).collect();
    if checked
        .iter()
        .any(|(_, g)| g.is_some_and(|g| !top.contains(&g)))
    {
        return Err(invalid(
            "not_a_top_goal",
            "所选目标不是公司当期的 TOP 目标",
            "the goal chosen is not one of the company's current TOP goals",
        ));
    }
    let r = round(db, round_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("alignment round".into()))?;
    if r.state != "open" {
        return Err(conflict(
            "round_closed",
            "本轮抽样已结束，不能再提交",
            "this round is closed",
        ));
    }
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let done = on_tx!(tx, conn => {
        sqlx::query("UPDATE alignment_members SET submitted_at = $1 WHERE round_id = $2 AND person_id = $3 AND submitted_at IS NULL")
            .bind(now).bind(round_id).bind(person_id).execute(conn).await?.rows_affected()
    });
    if done == 0 {
        let member: Option<(i64,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT person_id FROM alignment_members WHERE round_id = $1 AND person_id = $2")
                .bind(round_id).bind(person_id).fetch_optional(conn).await?
        });
        tx.rollback().await?;
        return Err(match member {
            Some(_) => conflict(
                "already_submitted",
                "你已经提交过本轮的工作清单",
                "you have already sent your tasks for this round",
            ),
            None => invalid(
                "not_sampled",
                "你不在本轮抽样名单中",
                "you were not drawn for this round",
            ),
        });
    }
    for (i, (text, goal)) in checked.iter().enumerate() {
        on_tx!(tx, conn => {
            sqlx::query("INSERT INTO alignment_tasks (round_id, person_id, position, task, goal_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(round_id).bind(person_id).bind(i as i64 + 1).bind(text).bind(goal).execute(conn).await?;
        });
    }
    inbox::close_for_person(
        &mut tx,
        person_id,
        &format!("alignment:{round_id}"),
        TodoState::Done,
    )
    .await?;
    // In words, so the audit page shows what was claimed: "task → TOP goal".
    let said: Vec<String> = checked
        .iter()
        .map(
            |(t, g)| match g.and_then(|g| titles.iter().find(|x| x.0 == g)) {
                Some((_, title)) => format!("{t} → {title}"),
                None => t.clone(),
            },
        )
        .collect();
    let after = serde_json::json!({"tasks": said});
    audit::record(
        &mut tx,
        actor,
        "alignment.submit",
        "alignment_round",
        &round_id.to_string(),
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await
}

/// A claim waiting for an HRBP, with who made it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub round_id: i64,
    pub round_name: String,
    pub person_id: i64,
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub position: i64,
    pub task: String,
    pub goal_id: i64,
    pub goal_title: String,
}

/// Claims that name a TOP goal and wait for a verdict, oldest first.
pub async fn queue(db: &Db, round_id: Option<i64>, limit: i64) -> Result<Vec<Pending>, StoreError> {
    const SQL: &str = "SELECT t.id, t.round_id, r.name AS round_name, t.person_id, p.employee_no, p.name, u.name AS unit, t.position, t.task, \
         t.goal_id AS goal_id, g.title AS goal_title \
         FROM alignment_tasks t JOIN alignment_rounds r ON r.id = t.round_id JOIN people p ON p.id = t.person_id \
         JOIN org_units u ON u.id = p.org_unit_id JOIN goals g ON g.id = t.goal_id \
         WHERE t.verdict IS NULL AND ($1 IS NULL OR t.round_id = $1) ORDER BY t.round_id, t.person_id, t.position LIMIT $2";
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Pending>(SQL).bind(round_id).bind(limit).fetch_all(pool).await?),
    )
}

/// How many claims wait for a verdict.
pub async fn pending_count(db: &Db) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM alignment_tasks WHERE verdict IS NULL AND goal_id IS NOT NULL")
            .fetch_one(pool).await?
    });
    Ok(n)
}

/// An HRBP's verdict on one claim: given once, never changed.
pub async fn verify(
    db: &Db,
    actor: &Actor,
    task_id: i64,
    verdict: Verdict,
) -> Result<Task, StoreError> {
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let done = on_tx!(tx, conn => {
        sqlx::query("UPDATE alignment_tasks SET verdict = $1, verified_by = $2, verified_at = $3 \
                     WHERE id = $4 AND verdict IS NULL AND goal_id IS NOT NULL")
            .bind(verdict.as_str()).bind(actor.person_id).bind(now).bind(task_id).execute(conn).await?.rows_affected()
    });
    let sql = format!("{TASK_SQL} WHERE t.id = $1");
    let task = on_tx!(tx, conn => sqlx::query_as::<_, Task>(sqlx::AssertSqlSafe(sql.clone())).bind(task_id).fetch_optional(conn).await?);
    let Some(task) = task else {
        tx.rollback().await?;
        return Err(StoreError::NotFound("alignment task".into()));
    };
    if done == 0 {
        tx.rollback().await?;
        return Err(if task.goal_id.is_none() {
            invalid(
                "nothing_to_verify",
                "这项工作没有对应 TOP 目标，无需核实",
                "this task names no TOP goal, so there is nothing to verify",
            )
        } else {
            conflict(
                "already_verified",
                "这项工作已经核实过，结论不能更改",
                "this task has already been verified; a verdict is not changed",
            )
        });
    }
    audit::record(
        &mut tx,
        actor,
        "alignment.verify",
        "alignment_task",
        &task_id.to_string(),
        None::<&()>,
        Some(&serde_json::json!({"verdict": verdict.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(task)
}

/// Closes a round: no more answers; those who did not answer lose the to-do.
pub async fn close(db: &Db, actor: &Actor, round_id: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let done = on_tx!(tx, conn => {
        sqlx::query("UPDATE alignment_rounds SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'open'")
            .bind(now).bind(round_id).execute(conn).await?.rows_affected()
    });
    if done == 0 {
        tx.rollback().await?;
        return Err(match round(db, round_id).await? {
            Some(_) => conflict(
                "round_closed",
                "本轮已经结束",
                "this round is already closed",
            ),
            None => StoreError::NotFound("alignment round".into()),
        });
    }
    inbox::close_by_source(
        &mut tx,
        &format!("alignment:{round_id}"),
        TodoState::Dismissed,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "alignment.close",
        "alignment_round",
        &round_id.to_string(),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await
}

/// A round's figures: sampled, answered, fully verified, aligned, and the
/// share with its interval (over the fully verified).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub sampled: i64,
    pub submitted: i64,
    pub pending: i64,
    pub share: Option<Share>,
    /// Per region: (region unit id, aligned, decided).
    pub by_region: Vec<(i64, i64, i64)>,
}

/// Each member's decided state and unit, read in one query.
pub async fn outcome(db: &Db, tree: &Tree, round_id: i64) -> Result<Outcome, StoreError> {
    let members: Vec<(i64, i64, Option<i64>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT person_id, org_unit_id, submitted_at FROM alignment_members WHERE round_id = $1")
            .bind(round_id).fetch_all(pool).await?
    });
    let tasks: Vec<(i64, Option<i64>, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT person_id, goal_id, verdict FROM alignment_tasks WHERE round_id = $1")
            .bind(round_id).fetch_all(pool).await?
    });
    Ok(outcome_of(tree, &members, &tasks))
}

pub(super) fn outcome_of(
    tree: &Tree,
    members: &[(i64, i64, Option<i64>)],
    tasks: &[(i64, Option<i64>, Option<String>)],
) -> Outcome {
    let mut out = Outcome {
        sampled: members.len() as i64,
        submitted: 0,
        pending: 0,
        share: None,
        by_region: Vec::new(),
    };
    let (mut k, mut n) = (0, 0);
    for (pid, unit, submitted) in members {
        if submitted.is_none() {
            continue;
        }
        out.submitted += 1;
        let claims: Vec<Claim> = tasks
            .iter()
            .filter(|t| t.0 == *pid)
            .map(|t| Claim {
                names_goal: t.1.is_some(),
                verdict: t.2.as_deref().and_then(|v| Verdict::parse(v).ok()),
            })
            .collect();
        let Some(ok) = health::aligned(&claims) else {
            out.pending += 1;
            continue;
        };
        n += 1;
        k += i64::from(ok);
        let region = region_of(tree, *unit);
        match out.by_region.iter_mut().find(|r| r.0 == region) {
            Some(r) => {
                r.1 += i64::from(ok);
                r.2 += 1;
            }
            None => out.by_region.push((region, i64::from(ok), 1)),
        }
    }
    out.share = health::wilson(k, n);
    out
}

/// Who was drawn for a round, by person id.
pub async fn members(db: &Db, round_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT person_id FROM alignment_members WHERE round_id = $1 ORDER BY person_id")
            .bind(round_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}
