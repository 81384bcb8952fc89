//! Reviews written before Pulse, or by the demo builder: loaded in one
//! transaction onto a launched cycle's reviews, with the states and times
//! they had, so a past cycle reads exactly like one written here.

use serde::Serialize;

use super::launch::todo_key;
use super::{Cycle, cycle_in};
use crate::inbox::{self, TodoState};
use crate::{Actor, Db, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub person_id: i64,
    pub body: String,
    pub draft_text: String,
    pub draft_evidence: Vec<i64>,
    pub rating: f64,
    pub edit_count: i64,
    pub writing_seconds: i64,
    pub submitted_at: i64,
    pub released_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub ack_comment: String,
}

/// Applies the written reviews to the cycle (each must be a draft of it),
/// computing the goal score from the period's goals as submit does, and
/// closes the reviewers' to-dos that have nothing left to write. With
/// `complete`, the cycle is frozen afterwards (every review released).
pub async fn load(
    db: &Db,
    actor: &Actor,
    cycle_id: i64,
    written: &[Written],
    complete: bool,
) -> Result<Cycle, StoreError> {
    let mut tx = db.begin().await?;
    let c = cycle_in(&mut tx, cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {cycle_id}")))?;
    let scale = c.scale();
    let ids: Vec<i64> = written.iter().map(|w| w.person_id).collect();
    let goals = crate::goals::goals_of_people(db, &ids, c.period_id).await?;
    for w in written {
        let rating = scale.check(w.rating)?;
        let score = goals
            .get(&w.person_id)
            .filter(|g| !g.is_empty())
            .map(|g| crate::goals::weighted_score_bp(g));
        let state = match (w.released_at, w.acknowledged_at) {
            (_, Some(_)) => "acknowledged",
            (Some(_), None) => "released",
            _ => "submitted",
        };
        let evidence = serde_json::to_string(&w.draft_evidence).unwrap_or_else(|_| "[]".into());
        let done = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE reviews SET state = $1, body = $2, draft_text = $3, draft_evidence = $4, draft_source = 'offline', rating = $5, \
                 goal_score_bp = $6, edit_count = $7, writing_seconds = $8, active_ms = $8 * 1000, opened_at = $9 - $8 * 1000, \
                 last_active_at = $9, submitted_at = $9, released_at = $10, acknowledged_at = $11, ack_comment = $12, updated_at = $9 \
                 WHERE cycle_id = $13 AND person_id = $14 AND state = 'draft'",
            )
            .bind(state).bind(&w.body).bind(&w.draft_text).bind(evidence).bind(rating).bind(score).bind(w.edit_count)
            .bind(w.writing_seconds).bind(w.submitted_at).bind(w.released_at).bind(w.acknowledged_at).bind(&w.ack_comment)
            .bind(cycle_id).bind(w.person_id)
            .execute(conn).await?.rows_affected()
        });
        if done != 1 {
            return Err(StoreError::Conflict(pulse_domain::Problem::new(
                "not_a_draft",
                "这份评价不在该周期的待撰写列表中",
                "this review is not a draft of the cycle",
            )));
        }
    }
    let reviewers: Vec<(i64, i64)> = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "SELECT reviewer_id, SUM(CASE WHEN state = 'draft' THEN 1 ELSE 0 END) FROM reviews WHERE cycle_id = $1 GROUP BY reviewer_id",
        )
        .bind(cycle_id).fetch_all(conn).await?
    });
    for (reviewer, open) in reviewers {
        if open == 0 {
            inbox::close_by_source(&mut tx, &todo_key(cycle_id, reviewer), TodoState::Done).await?;
        }
    }
    if complete {
        let now = tx.now_ms();
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE review_cycles SET state = 'completed', completed_at = $1 WHERE id = $2 AND NOT EXISTS \
                         (SELECT 1 FROM reviews WHERE cycle_id = $2 AND state NOT IN ('released', 'acknowledged'))")
                .bind(now).bind(cycle_id).execute(conn).await?;
        });
    }
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "review_cycle.load_history",
        "review_cycle",
        &cycle_id.to_string(),
        None,
        Some(&serde_json::json!({"reviews": written.len()})),
    )
    .await?;
    let after = cycle_in(&mut tx, cycle_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {cycle_id}")))?;
    tx.commit().await?;
    Ok(after)
}

/// Moves a cycle's launch back in time (history, demo).
pub async fn backdate_cycle(
    db: &Db,
    cycle_id: i64,
    created_at: i64,
    completed_at: Option<i64>,
) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("UPDATE review_cycles SET created_at = $1, completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE $2 END WHERE id = $3")
            .bind(created_at).bind(completed_at).bind(cycle_id).execute(pool).await?;
        sqlx::query("UPDATE reviews SET created_at = $1 WHERE cycle_id = $2").bind(created_at).bind(cycle_id).execute(pool).await?;
    });
    Ok(())
}
