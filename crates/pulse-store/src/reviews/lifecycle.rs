//! A review's life after launch: the writing clock, drafts, submission,
//! self-assessment, reassignment, release, acknowledgement, completion and
//! the calibration lock.

use pulse_domain::i18n::Both;
use pulse_domain::reviews::edits::{WritingClock, edit_count};
use pulse_domain::reviews::{CycleState, ReviewState};

use super::launch::{remind_reviewer, todo_key};
use super::{Cycle, Review, conflict, cycle_in, ensure_writable, get_in, invalid};
use crate::inbox::{self, NewTodo, TodoState};
use crate::{Actor, Db, StoreError, Tx, goals, notify};

/// The manager is at the draft (opened it, typed, asked for a draft): the
/// writing clock moves on (W2).
pub async fn ping(db: &Db, id: i64) -> Result<Review, StoreError> {
    let mut tx = db.begin().await?;
    let r = get_in(&mut tx, id).await?;
    if r.state().writable() && r.cycle_state != CycleState::Completed.as_str() {
        let now = db.now_ms();
        let clock = WritingClock {
            active_ms: r.active_ms,
            last_at: r.last_active_at,
        }
        .ping(now);
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE reviews SET opened_at = COALESCE(opened_at, $1), last_active_at = $2, active_ms = $3 WHERE id = $4")
                .bind(now).bind(clock.last_at).bind(clock.active_ms).bind(id).execute(conn).await?;
        });
    }
    let r = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// Keeps the draft Pulse produced, so the edits can be counted against it.
pub async fn save_draft(
    db: &Db,
    id: i64,
    text: &str,
    evidence_ids: &[i64],
    source: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let r = get_in(&mut tx, id).await?;
    ensure_writable(&r)?;
    let ids = serde_json::to_string(evidence_ids).unwrap_or_else(|_| "[]".into());
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE reviews SET draft_text = $1, draft_evidence = $2, draft_source = $3, updated_at = $4 WHERE id = $5")
            .bind(text).bind(ids).bind(source).bind(now).bind(id).execute(conn).await?;
    });
    tx.commit().await?;
    Ok(())
}

pub const MAX_TEXT: usize = 5000;

/// Submits (or resubmits, until calibration locks it) the manager's review:
/// the rating on the cycle's scale, the text, the goal score computed from
/// the period's goals (G7), the edits against the draft and the writing time.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    id: i64,
    text: &str,
    rating: f64,
) -> Result<Review, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(
            "text_required",
            "请填写评语",
            "the review text is required",
        ));
    }
    check_length(text, "评语", "review")?;
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, id).await?;
    ensure_writable(&before)?;
    let rating = before.scale().check(rating)?;
    let goals = goals::person_goals_in(&mut tx, before.person_id, before.period_id).await?;
    let score = (!goals.is_empty()).then(|| goals::weighted_score_bp(&goals));
    let now = db.now_ms();
    let clock = WritingClock {
        active_ms: before.active_ms,
        last_at: before.last_active_at,
    }
    .ping(now);
    let edits = i64::from(edit_count(&before.draft_text, text));
    on_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE reviews SET state = 'submitted', body = $1, rating = $2, goal_score_bp = $3, edit_count = $4, writing_seconds = $5, \
             active_ms = $6, last_active_at = $7, submitted_at = $8, updated_at = $8 WHERE id = $9",
        )
        .bind(text).bind(rating).bind(score).bind(edits).bind(clock.seconds()).bind(clock.active_ms).bind(clock.last_at)
        .bind(now).bind(id).execute(conn).await?;
    });
    let left: (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT COUNT(*) FROM reviews WHERE cycle_id = $1 AND reviewer_id = $2 AND state = 'draft'")
            .bind(before.cycle_id).bind(before.reviewer_id).fetch_one(conn).await?
    });
    if left.0 == 0 {
        inbox::close_by_source(
            &mut tx,
            &todo_key(before.cycle_id, before.reviewer_id),
            TodoState::Done,
        )
        .await?;
    }
    finish(tx, actor, "review.submit", &before).await
}

/// A review or self-assessment fits in [`MAX_TEXT`] characters.
fn check_length(text: &str, zh: &str, en: &str) -> Result<(), StoreError> {
    if text.chars().count() > MAX_TEXT {
        return Err(invalid(
            "text_too_long",
            format!("{zh}最多 {MAX_TEXT} 字"),
            format!("the {en} is limited to {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

/// Reads the review as it now is, records the change and commits.
async fn finish(
    mut tx: Tx,
    actor: &Actor,
    action: &str,
    before: &Review,
) -> Result<Review, StoreError> {
    let after = get_in(&mut tx, before.id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        action,
        "review",
        &before.id.to_string(),
        Some(&audit_view(before)),
        Some(&audit_view(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// What the audit trail keeps of a review: the decision, not the draft.
fn audit_view(r: &Review) -> serde_json::Value {
    serde_json::json!({
        "state": r.state, "rating": r.rating, "calibrated_rating": r.calibrated_rating,
        "reviewer_id": r.reviewer_id, "edit_count": r.edit_count, "writing_seconds": r.writing_seconds,
        "body_chars": r.body.chars().count(),
    })
}

/// The employee's self-assessment, while the manager has not submitted.
pub async fn save_self(db: &Db, actor: &Actor, id: i64, text: &str) -> Result<Review, StoreError> {
    let text = text.trim();
    check_length(text, "自评", "self-assessment")?;
    let mut tx = db.begin().await?;
    let r = get_in(&mut tx, id).await?;
    ensure_writable(&r)?;
    if r.self_assessment == 0 {
        return Err(conflict(
            "no_self_assessment",
            "这个周期不需要自评",
            "this cycle has no self-assessment",
        ));
    }
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE reviews SET self_text = $1, updated_at = $2 WHERE id = $3").bind(text).bind(db.now_ms()).bind(id).execute(conn).await?;
    });
    crate::audit::record::<(), ()>(
        &mut tx,
        actor,
        "review.self_assessment",
        "review",
        &id.to_string(),
        None,
        None,
    )
    .await?;
    let r = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// HR gives a review to another reviewer (the manager left, a reorganisation).
pub async fn reassign(
    db: &Db,
    actor: &Actor,
    id: i64,
    reviewer_id: i64,
) -> Result<Review, StoreError> {
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, id).await?;
    ensure_writable(&before)?;
    if reviewer_id == before.person_id {
        return Err(invalid(
            "self_reviewer",
            "不能让员工评价自己",
            "a person cannot review themselves",
        ));
    }
    let active: Option<(String,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT status FROM people WHERE id = $1").bind(reviewer_id).fetch_optional(conn).await?
    });
    if active.as_ref().is_none_or(|s| s.0 != "active") {
        return Err(invalid(
            "unknown_reviewer",
            "找不到这位在职的评价人",
            "no such active reviewer",
        ));
    }
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE reviews SET reviewer_id = $1, updated_at = $2 WHERE id = $3").bind(reviewer_id).bind(db.now_ms()).bind(id).execute(conn).await?;
    });
    let c = cycle_in(&mut tx, before.cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {}", before.cycle_id)))?;
    for who in [before.reviewer_id, reviewer_id] {
        let (n,): (i64,) = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT COUNT(*) FROM reviews WHERE cycle_id = $1 AND reviewer_id = $2 AND state = 'draft'")
                .bind(c.id).bind(who).fetch_one(conn).await?
        });
        inbox::close_by_source(&mut tx, &todo_key(c.id, who), TodoState::Dismissed).await?;
        if n > 0 {
            remind_reviewer(&mut tx, &c, who, n as usize).await?;
        }
    }
    finish(tx, actor, "review.reassign", &before).await
}

/// HR releases every submitted or calibrated review of a cycle to the
/// employees; each gets a to-do to read and acknowledge it. Returns how many.
pub async fn release(
    db: &Db,
    actor: &Actor,
    cycle_id: i64,
    public_url: &str,
) -> Result<usize, StoreError> {
    let mut tx = db.begin().await?;
    let c = cycle_in(&mut tx, cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {cycle_id}")))?;
    if c.frozen() {
        return Err(conflict(
            "cycle_frozen",
            "这个评价周期已完成并冻结",
            "this review cycle is completed and frozen",
        ));
    }
    let rows: Vec<(i64, i64)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT id, person_id FROM reviews WHERE cycle_id = $1 AND state IN ('submitted', 'calibrated') ORDER BY id")
            .bind(cycle_id).fetch_all(conn).await?
    });
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE reviews SET state = 'released', released_at = $1, updated_at = $1 WHERE cycle_id = $2 AND state IN ('submitted', 'calibrated')")
            .bind(now).bind(cycle_id).execute(conn).await?;
    });
    let base = public_url.trim_end_matches('/');
    for (id, person) in &rows {
        inbox::create(
            &mut tx,
            &NewTodo {
                person_id: *person,
                kind: "review_released".into(),
                subject: Both::new(
                    format!("查看并确认你的绩效评价：{}", c.name),
                    format!("Read and acknowledge your review: {}", c.name),
                ),
                link: format!("/reviews/{id}"),
                source_key: format!("review:{id}:released"),
                due_at: None,
            },
        )
        .await?;
        notify::to_person(
            &mut tx,
            *person,
            &format!("review:{id}:released"),
            "你的绩效评价已发布",
            &format!(
                "**你的绩效评价已发布**\n{}\n[查看评价]({base}/reviews/{id})",
                c.name
            ),
        )
        .await?;
    }
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "review_cycle.release",
        "review_cycle",
        &cycle_id.to_string(),
        None,
        Some(&serde_json::json!({"released": rows.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// The employee has read their released review (with an optional comment).
pub async fn acknowledge(
    db: &Db,
    actor: &Actor,
    id: i64,
    comment: &str,
) -> Result<Review, StoreError> {
    let comment = comment.trim();
    if comment.chars().count() > 500 {
        return Err(invalid(
            "comment_too_long",
            "留言最多 500 字",
            "the comment is limited to 500 characters",
        ));
    }
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, id).await?;
    if before.state() != ReviewState::Released {
        return Err(conflict(
            "not_released",
            if before.state() == ReviewState::Acknowledged {
                "你已经确认过这份评价"
            } else {
                "评价还没有发布"
            },
            if before.state() == ReviewState::Acknowledged {
                "you have already acknowledged this review"
            } else {
                "the review has not been released yet"
            },
        ));
    }
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE reviews SET state = 'acknowledged', acknowledged_at = $1, ack_comment = $2, updated_at = $1 WHERE id = $3")
            .bind(now).bind(comment).bind(id).execute(conn).await?;
    });
    inbox::close_by_source(&mut tx, &format!("review:{id}:released"), TodoState::Done).await?;
    finish(tx, actor, "review.acknowledge", &before).await
}

/// Completes (freezes) a cycle once every review is released.
pub async fn complete(db: &Db, actor: &Actor, cycle_id: i64) -> Result<Cycle, StoreError> {
    let mut tx = db.begin().await?;
    let c = cycle_in(&mut tx, cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {cycle_id}")))?;
    if c.frozen() {
        return Err(conflict(
            "cycle_frozen",
            "这个评价周期已完成并冻结",
            "this review cycle is completed and frozen",
        ));
    }
    let open = c.reviews - c.released;
    if open > 0 {
        return Err(conflict(
            "reviews_unreleased",
            format!("还有 {open} 份评价未发布，发布后才能完成周期"),
            format!(
                "{open} reviews are not released yet: release them before completing the cycle"
            ),
        ));
    }
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE review_cycles SET state = 'completed', completed_at = $1 WHERE id = $2").bind(now).bind(cycle_id).execute(conn).await?;
    });
    let after = cycle_in(&mut tx, cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {cycle_id}")))?;
    crate::audit::record(
        &mut tx,
        actor,
        "review_cycle.complete",
        "review_cycle",
        &cycle_id.to_string(),
        Some(&c),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Locks (or unlocks) reviews for a calibration session (C1): submitted
/// reviews move to in-calibration; unlocking with a calibrated rating marks
/// them calibrated.
pub async fn set_calibration(
    tx: &mut Tx,
    review_id: i64,
    state: ReviewState,
    calibrated_rating: Option<f64>,
) -> Result<(), StoreError> {
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE reviews SET state = $1, calibrated_rating = COALESCE($2, calibrated_rating), updated_at = $3 WHERE id = $4")
            .bind(state.as_str()).bind(calibrated_rating).bind(now).bind(review_id).execute(conn).await?;
    });
    Ok(())
}
