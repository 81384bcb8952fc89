//! 目标微调申请 (G6): an employee asks to move one of their targets by at
//! most 10 % with a business reason; the approver (the unit's configured
//! approver up the tree, else the region's director) gets a to-do; the
//! decision takes effect at once, closes the to-do and tells the requester.

use pulse_domain::Problem;
use pulse_domain::decimal::{Dec, check_adjustment};
use serde::Serialize;

use crate::inbox::{self, NewTodo, TodoState};
use crate::{Actor, Db, StoreError, Tx, goals, notify};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Adjustment {
    pub id: i64,
    pub goal_id: i64,
    pub goal_title: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub approver_id: i64,
    pub approver_name: String,
    pub old_target: String,
    pub new_target: String,
    /// The goal's metric unit ("%", "万元"), empty when it has none.
    pub unit: String,
    pub reason: String,
    pub state: String,
    pub comment: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const SELECT: &str = "SELECT a.id, a.goal_id, g.title AS goal_title, a.requester_id, r.name AS requester_name, a.approver_id, \
     p.name AS approver_name, a.old_target, a.new_target, COALESCE(m.unit, '') AS unit, a.reason, a.state, a.comment, a.created_at, a.decided_at \
     FROM goal_adjustments a JOIN goals g ON g.id = a.goal_id JOIN people r ON r.id = a.requester_id JOIN people p ON p.id = a.approver_id \
     LEFT JOIN metrics m ON m.id = g.metric_id";

pub async fn get(db: &Db, id: i64) -> Result<Option<Adjustment>, StoreError> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Adjustment>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

async fn get_in(tx: &mut Tx, id: i64) -> Result<Option<Adjustment>, StoreError> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Adjustment>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?
    }))
}

/// Requests a person made or must decide, newest first.
pub async fn for_person(
    db: &Db,
    person_id: i64,
    limit: i64,
) -> Result<Vec<Adjustment>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE a.requester_id = $1 OR a.approver_id = $1 ORDER BY CASE WHEN a.state = 'pending' THEN 0 ELSE 1 END, a.created_at DESC, a.id DESC LIMIT $2"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Adjustment>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).bind(limit).fetch_all(pool).await?
    }))
}

/// Who approves for a person: the nearest configured unit approver up the
/// tree, else a director whose grant is anchored on a unit above them, else
/// their manager's manager, else their manager.
pub async fn approver_for(tx: &mut Tx, person_id: i64) -> Result<Option<i64>, StoreError> {
    let configured: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT o.id, o.parent_id, 0 FROM org_units o JOIN people p ON p.org_unit_id = o.id WHERE p.id = $1 \
               UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64 ) \
             SELECT ua.person_id FROM up JOIN unit_approvers ua ON ua.org_unit_id = up.id WHERE ua.person_id <> $1 ORDER BY up.depth LIMIT 1",
        )
        .bind(person_id).fetch_optional(conn).await?
    });
    if let Some((id,)) = configured {
        return Ok(Some(id));
    }
    let director: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT o.id, o.parent_id, 0 FROM org_units o JOIN people p ON p.org_unit_id = o.id WHERE p.id = $1 \
               UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64 ) \
             SELECT a.person_id FROM up JOIN role_grants g ON g.anchor_unit = up.id AND g.role = 'director' \
             JOIN accounts a ON a.id = g.account_id WHERE a.disabled_at IS NULL AND a.person_id <> $1 ORDER BY up.depth, a.person_id LIMIT 1",
        )
        .bind(person_id).fetch_optional(conn).await?
    });
    if let Some((id,)) = director {
        return Ok(Some(id));
    }
    let line: Option<(Option<i64>, Option<i64>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT m.id, m.manager_id FROM people p LEFT JOIN people m ON m.id = p.manager_id WHERE p.id = $1")
            .bind(person_id).fetch_optional(conn).await?
    });
    Ok(line.and_then(|(m, mm)| mm.or(m)))
}

/// Sets (or clears) the approver for a unit's people.
pub async fn set_unit_approver(
    tx: &mut Tx,
    unit_id: i64,
    person_id: Option<i64>,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM unit_approvers WHERE org_unit_id = $1").bind(unit_id).execute(&mut *conn).await?;
        if let Some(p) = person_id {
            sqlx::query("INSERT INTO unit_approvers (org_unit_id, person_id) VALUES ($1, $2)").bind(unit_id).bind(p).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Files a request for the requester's own goal. Refused (and nothing
/// written) when the goal is not theirs, the period is closed, the reason is
/// empty or the change exceeds 10 %. A pending request for the same goal is
/// withdrawn in favour of the new one.
pub async fn request(
    db: &Db,
    actor: &Actor,
    requester_id: i64,
    goal_id: i64,
    new_target: &str,
    reason: &str,
    public_url: &str,
) -> Result<Adjustment, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Invalid(Problem::new(
            "reason_required",
            "请填写业务原因（例如：医院招标政策变化）",
            "a business reason is required (e.g. a hospital changed its tender policy)",
        )));
    }
    pulse_domain::org::required_text(reason, 500, "原因", "reason")?;
    let new = Dec::parse(new_target)?;
    let mut tx = db.begin().await?;
    let goal = goals::goal_in(&mut tx, goal_id)
        .await?
        .filter(|g| g.person_id == Some(requester_id) && g.state == "active")
        .ok_or_else(|| StoreError::NotFound(format!("goal {goal_id}")))?;
    goals::ensure_open(&mut tx, goal.period_id).await?;
    let Some(old_text) = goal.target.clone() else {
        return Err(StoreError::Invalid(Problem::new(
            "no_target",
            "这个目标还没有目标值，无法微调",
            "this goal has no target to adjust",
        )));
    };
    let old = Dec::parse(&old_text)?;
    check_adjustment(&old, &new)?;
    let approver = approver_for(&mut tx, requester_id).await?.ok_or_else(|| {
        StoreError::Invalid(Problem::new(
            "no_approver",
            "找不到审批人：请 HRBP 为你的部门设置审批人",
            "no approver found: ask your HRBP to set one for your unit",
        ))
    })?;
    let pending: Option<(i64,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT id FROM goal_adjustments WHERE goal_id = $1 AND state = 'pending'").bind(goal_id).fetch_optional(conn).await?
    });
    let now = db.now_ms();
    // A new request for the same goal replaces the pending one (the employee
    // revised it): the old one is withdrawn and its approval to-do dismissed,
    // so the approver only ever sees the latest.
    if let Some((old,)) = pending {
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE goal_adjustments SET state = 'withdrawn', decided_at = $1, comment = '已被新的申请替代' WHERE id = $2")
                .bind(now).bind(old).execute(conn).await?;
        });
        inbox::close_by_source(&mut tx, &format!("adjustment:{old}"), TodoState::Dismissed).await?;
    }
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO goal_adjustments (goal_id, requester_id, approver_id, old_target, new_target, reason, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id",
        )
        .bind(goal_id).bind(requester_id).bind(approver).bind(old.to_string()).bind(new.to_string()).bind(reason).bind(now)
        .fetch_one(conn).await?
    });
    let a = get_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("adjustment {id}")))?;
    inbox::create(
        &mut tx,
        &NewTodo {
            person_id: approver,
            kind: "goal_adjustment_approval".into(),
            subject: pulse_domain::i18n::Both::new(
                format!(
                    "审批：{}的目标微调申请（{}）",
                    a.requester_name,
                    short(&a.goal_title)
                ),
                format!(
                    "Approve: {}'s target change request ({})",
                    a.requester_name,
                    short(&a.goal_title)
                ),
            ),
            link: format!("/goals/adjustments/{id}"),
            source_key: format!("adjustment:{id}"),
            due_at: Some(now + 24 * 3_600_000),
        },
    )
    .await?;
    let body = format!(
        "**目标微调申请**\n{}申请把“{}”的目标从 {} 调整为 {}。\n原因：{}\n[去审批]({}/goals/adjustments/{id})",
        a.requester_name,
        a.goal_title,
        a.old_target,
        a.new_target,
        a.reason,
        public_url.trim_end_matches('/')
    );
    notify::to_person(
        &mut tx,
        approver,
        &format!("adjustment:{id}:requested"),
        "目标微调申请待审批",
        &body,
    )
    .await?;
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "adjustment.request",
        "goal_adjustment",
        &id.to_string(),
        None,
        Some(&a),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

fn short(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        s.chars().take(39).chain(['…']).collect()
    }
}

/// The approver approves or rejects. Approval changes the target at once;
/// either way the approval to-do closes and the requester is told.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    approver_id: i64,
    id: i64,
    approve: bool,
    comment: &str,
    public_url: &str,
) -> Result<Adjustment, StoreError> {
    if !approve && comment.trim().is_empty() {
        return Err(StoreError::Invalid(Problem::new(
            "comment_required",
            "驳回时请写明原因",
            "say why when rejecting",
        )));
    }
    if comment.chars().count() > 500 {
        return Err(StoreError::Invalid(Problem::new(
            "comment_too_long",
            "审批意见最多 500 字",
            "the comment is limited to 500 characters",
        )));
    }
    let mut tx = db.begin().await?;
    let a = get_in(&mut tx, id)
        .await?
        .filter(|a| a.approver_id == approver_id)
        .ok_or_else(|| StoreError::NotFound(format!("adjustment {id}")))?;
    if a.state != "pending" {
        return Err(StoreError::Conflict(Problem::new(
            "already_decided",
            "这条申请已经审批过了",
            "this request has already been decided",
        )));
    }
    let goal = goals::goal_in(&mut tx, a.goal_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("goal {}", a.goal_id)))?;
    goals::ensure_open(&mut tx, goal.period_id).await?;
    let state = if approve { "approved" } else { "rejected" };
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE goal_adjustments SET state = $1, comment = $2, decided_at = $3, decided_by = $4 WHERE id = $5")
            .bind(state).bind(comment.trim()).bind(now).bind(approver_id).bind(id).execute(conn).await?;
    });
    if approve {
        goals::set_target(&mut tx, a.goal_id, &Dec::parse(&a.new_target)?).await?;
    }
    inbox::close_by_source(&mut tx, &format!("adjustment:{id}"), TodoState::Done).await?;
    let verdict = if approve { "已批准" } else { "被驳回" };
    let verdict_en = if approve { "approved" } else { "rejected" };
    let body = format!(
        "**目标微调申请{verdict}**\n“{}”：{} → {}{}\n[查看我的目标]({}/goals)",
        a.goal_title,
        a.old_target,
        a.new_target,
        if comment.trim().is_empty() {
            String::new()
        } else {
            format!("\n审批意见：{}", comment.trim())
        },
        public_url.trim_end_matches('/')
    );
    notify::to_person(
        &mut tx,
        a.requester_id,
        &format!("adjustment:{id}:{state}"),
        &format!("目标微调申请{verdict}"),
        &body,
    )
    .await?;
    // The requester also finds the answer in their inbox, beside the channel
    // message: the notice is theirs to read and close (G6).
    inbox::create(
        &mut tx,
        &NewTodo {
            person_id: a.requester_id,
            kind: "adjustment_decided".into(),
            subject: pulse_domain::i18n::Both::new(
                format!(
                    "目标微调申请{verdict}：“{}” {} → {}",
                    a.goal_title, a.old_target, a.new_target
                ),
                format!(
                    "Target change {verdict_en}: \"{}\" {} → {}",
                    a.goal_title, a.old_target, a.new_target
                ),
            ),
            link: format!("/goals/adjustments/{id}"),
            source_key: format!("adjustment:{id}:decided"),
            due_at: None,
        },
    )
    .await?;
    let after = get_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("adjustment {id}")))?;
    crate::audit::record(
        &mut tx,
        actor,
        &format!("adjustment.{state}"),
        "goal_adjustment",
        &id.to_string(),
        Some(&a),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Average response time (request → decision) in hours per region, with the
/// count of decided requests: the seed reports 2.3 h.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseTime {
    pub region_code: String,
    pub region_name: String,
    pub decided: i64,
    pub avg_hours: f64,
}

pub async fn response_times(db: &Db) -> Result<Vec<ResponseTime>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT p.org_unit_id, a.created_at, a.decided_at FROM goal_adjustments a JOIN people p ON p.id = a.requester_id \
             WHERE a.decided_at IS NOT NULL AND a.state IN ('approved', 'rejected')",
        )
        .fetch_all(pool).await?
    });
    let tree = crate::org::Tree::new(crate::org::list(db).await?);
    let mut by_region: std::collections::BTreeMap<(i64, String, String), (i64, i64)> =
        Default::default();
    for (unit, created, decided) in rows {
        let Some(region) = tree.path(unit).into_iter().find(|u| u.kind == "region") else {
            continue;
        };
        let e = by_region
            .entry((region.sort_order, region.code.clone(), region.name.clone()))
            .or_default();
        e.0 += 1;
        e.1 += decided - created;
    }
    Ok(by_region
        .into_iter()
        .map(|((_, code, name), (n, total))| ResponseTime {
            region_code: code,
            region_name: name,
            decided: n,
            avg_hours: ((total as f64 / n as f64) / 3_600_000.0 * 10.0).round() / 10.0,
        })
        .collect())
}

/// Moves a decided request's timestamps (demo history and data migration
/// from an older system), keeping created ≤ decided.
pub async fn backdate(
    db: &Db,
    id: i64,
    created_at: i64,
    decided_at: i64,
) -> Result<(), StoreError> {
    if decided_at < created_at {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_times",
            "审批时间早于申请时间",
            "decided before it was requested",
        )));
    }
    on_db!(db, pool => {
        sqlx::query("UPDATE goal_adjustments SET created_at = $1, decided_at = CASE WHEN decided_at IS NULL THEN NULL ELSE $2 END WHERE id = $3")
            .bind(created_at).bind(decided_at).bind(id).execute(pool).await?;
    });
    Ok(())
}
