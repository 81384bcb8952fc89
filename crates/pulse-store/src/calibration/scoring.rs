//! The live moves of a session: state moves (locking the reviews, and
//! finalizing, which writes the calibrated ratings back), the case on the
//! screens, committee scores and re-scoring rounds, final ratings and 9-box
//! placements. Each returns the id of the last event it appended, for the
//! caller to signal after commit.

use pulse_domain::calibration::{
    Level, NineBox, SessionState, check_rationale, check_score, spread,
};
use pulse_domain::reviews::ReviewState;
use serde::Serialize;

use super::{Case, Session, case_in, conflict, invalid, session_in, stream};
use crate::{Actor, Db, StoreError, Tx};

async fn guarded_state(tx: &mut Tx, session: &Session, to: SessionState) -> Result<(), StoreError> {
    let now = tx.now_ms();
    let from = session.state();
    let stamp = match to {
        SessionState::PreScoring => "pre_scoring_at",
        SessionState::Live => "live_at",
        SessionState::Revealed => "revealed_at",
        SessionState::Finalized => "finalized_at",
        SessionState::Prepared => "updated_at",
    };
    let sql = format!(
        "UPDATE calibration_sessions SET state = $1, {stamp} = COALESCE({stamp}, $2), updated_at = $2 WHERE id = $3 AND state = $4"
    );
    let done = on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(to.as_str()).bind(now).bind(session.id).bind(from.as_str())
            .execute(conn).await?.rows_affected()
    });
    if done == 0 {
        return Err(conflict(
            "session_moved",
            "会议状态刚被他人改变，请刷新后再试",
            "someone else just moved the session: reload and try again",
        ));
    }
    Ok(())
}

async fn cases_in(tx: &mut Tx, session_id: i64) -> Result<Vec<Case>, StoreError> {
    let sql = format!(
        "{} WHERE k.session_id = $1 ORDER BY k.seq",
        super::CASE_SELECT
    );
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())).bind(session_id).fetch_all(conn).await?
    }))
}

/// Moves the session. Leaving `prepared` locks every case's review and takes
/// the manager's rating; `finalized` writes the final ratings back (a case
/// without one keeps the manager's) and records the session's duration.
pub async fn move_to(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    to: SessionState,
) -> Result<(Session, i64), StoreError> {
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    let from = session.state();
    if from == SessionState::Finalized {
        return Err(conflict(
            "session_finalized",
            "这场校准会已定稿，不能再改",
            "this session is finalized: nothing can change",
        ));
    }
    if !from.can_move_to(to) {
        return Err(conflict(
            "invalid_session_move",
            from.refuse(to).zh,
            from.refuse(to).en,
        ));
    }
    guarded_state(&mut tx, &session, to).await?;
    let now = tx.now_ms();
    if from == SessionState::Prepared {
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE calibration_cases SET manager_rating = (SELECT r.rating FROM reviews r WHERE r.id = calibration_cases.review_id) \
                 WHERE session_id = $1",
            )
            .bind(session_id).execute(&mut *conn).await?;
            sqlx::query(
                "UPDATE reviews SET state = 'in_calibration', updated_at = $2 \
                 WHERE id IN (SELECT review_id FROM calibration_cases WHERE session_id = $1) AND state = 'submitted'",
            )
            .bind(session_id).bind(now).execute(&mut *conn).await?;
        });
    }
    if to == SessionState::Live && session.current_case_id.is_none() {
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE calibration_sessions SET current_case_id = (SELECT id FROM calibration_cases WHERE session_id = $1 ORDER BY flagged DESC, seq LIMIT 1) WHERE id = $1",
            )
            .bind(session_id).execute(conn).await?;
        });
    }
    if to == SessionState::Finalized {
        write_back(&mut tx, actor, session_id).await?;
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE calibration_sessions SET duration_ms = finalized_at - live_at WHERE id = $1 AND live_at IS NOT NULL")
                .bind(session_id).execute(conn).await?;
        });
    }
    let after = session_in(&mut tx, session_id).await?;
    let event = stream::append(
        &mut tx,
        session_id,
        "state",
        &serde_json::json!({ "state": to.as_str(), "current_case_id": after.current_case_id }),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.move",
        "calibration_session",
        &session_id.to_string(),
        Some(&serde_json::json!({ "state": from.as_str() })),
        Some(&serde_json::json!({ "state": to.as_str(), "duration_ms": after.duration_ms })),
    )
    .await?;
    tx.commit().await?;
    Ok((after, event))
}

async fn write_back(tx: &mut Tx, actor: &Actor, session_id: i64) -> Result<(), StoreError> {
    let now = tx.now_ms();
    for c in cases_in(tx, session_id).await? {
        let Some(rating) = c.final_rating.or(c.manager_rating()) else {
            continue;
        };
        if c.final_rating.is_none() {
            on_tx!(tx, conn => {
                sqlx::query("UPDATE calibration_cases SET final_rating = $1, decided_by = $2, decided_at = $3 WHERE id = $4")
                    .bind(rating).bind(&actor.label).bind(now).bind(c.id).execute(conn).await?;
            });
        }
        crate::reviews::set_calibration(tx, c.review_id, ReviewState::Calibrated, Some(rating))
            .await?;
        crate::audit::record(
            tx,
            actor,
            "review.calibrate",
            "review",
            &c.review_id.to_string(),
            Some(&serde_json::json!({ "state": c.review_state, "rating": c.manager_rating() })),
            Some(&serde_json::json!({ "state": "calibrated", "calibrated_rating": rating, "rationale": c.rationale })),
        )
        .await?;
    }
    Ok(())
}

fn must_be(session: &Session, ok: &[SessionState], zh: &str, en: &str) -> Result<(), StoreError> {
    if ok.contains(&session.state()) {
        return Ok(());
    }
    if session.state() == SessionState::Finalized {
        return Err(conflict(
            "session_finalized",
            "这场校准会已定稿，不能再改",
            "this session is finalized: nothing can change",
        ));
    }
    Err(conflict(
        "wrong_session_state",
        zh.to_string(),
        en.to_string(),
    ))
}

/// Puts a case on every screen.
pub async fn put_on(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    case_id: i64,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    must_be(
        &session,
        &[
            SessionState::PreScoring,
            SessionState::Live,
            SessionState::Revealed,
        ],
        "会议开始后才能切换案例",
        "cases can be put on once the session has started",
    )?;
    let case = case_in(&mut tx, session_id, case_id).await?;
    let now = tx.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE calibration_sessions SET current_case_id = $1, updated_at = $2 WHERE id = $3")
            .bind(case.id).bind(now).bind(session_id).execute(conn).await?;
    });
    let event = stream::append(
        &mut tx,
        session_id,
        "case",
        &serde_json::json!({ "case_id": case.id, "seq": case.seq }),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.put_on",
        "calibration_session",
        &session_id.to_string(),
        Some(&serde_json::json!({ "case": session.current_case_id })),
        Some(&serde_json::json!({ "case": case.id })),
    )
    .await?;
    tx.commit().await?;
    Ok(event)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreOutcome {
    pub case_id: i64,
    pub seq: i64,
    pub round: i64,
    pub n: usize,
    pub mean: Option<f64>,
    pub sigma: Option<f64>,
    pub flagged: bool,
    /// This score tipped the case over the threshold.
    pub newly_flagged: bool,
    pub last_event: i64,
}

/// A member's score for the case's current round (a second score in the
/// same round replaces the first). Flags the case when σ exceeds the
/// session's threshold.
pub async fn score(
    db: &Db,
    session_id: i64,
    case_id: i64,
    member_id: i64,
    value: f64,
) -> Result<ScoreOutcome, StoreError> {
    let value = check_score(value)?;
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    must_be(
        &session,
        &[SessionState::PreScoring, SessionState::Live],
        "评分未开放：会前盲评或会议进行中才能评分",
        "scoring is closed: members score during pre-scoring or the live session",
    )?;
    let member: Option<(i64,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT person_id FROM calibration_members WHERE session_id = $1 AND person_id = $2")
            .bind(session_id).bind(member_id).fetch_optional(conn).await?
    });
    if member.is_none() {
        return Err(StoreError::NotFound(
            "not a member of this committee".into(),
        ));
    }
    let case = case_in(&mut tx, session_id, case_id).await?;
    let now = tx.now_ms();
    let scores: Vec<(f64,)> = on_tx!(&mut tx, conn => {
        sqlx::query(
            "INSERT INTO calibration_scores (case_id, round, member_id, score, scored_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_id, round, member_id) DO UPDATE SET score = excluded.score, scored_at = excluded.scored_at",
        )
        .bind(case.id).bind(case.round).bind(member_id).bind(value).bind(now).execute(&mut *conn).await?;
        sqlx::query_as("SELECT score FROM calibration_scores WHERE case_id = $1 AND round = $2 ORDER BY member_id")
            .bind(case.id).bind(case.round).fetch_all(&mut *conn).await?
    });
    let values: Vec<f64> = scores.into_iter().map(|s| s.0).collect();
    let sp = spread(&values);
    let flagged = sp.flagged(session.sigma_threshold);
    let newly = flagged && case.flagged == 0;
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE calibration_cases SET flagged = $1 WHERE id = $2")
            .bind(i64::from(flagged)).bind(case.id).execute(conn).await?;
    });
    let round2 = |x: Option<f64>| x.map(pulse_domain::calibration::stats::round2);
    let body = serde_json::json!({
        "case_id": case.id, "seq": case.seq, "round": case.round, "n": sp.n,
        "mean": round2(sp.mean), "sigma": round2(sp.sigma), "flagged": flagged,
    });
    let mut last = stream::append(&mut tx, session_id, "score", &body).await?;
    if newly {
        last = stream::append(&mut tx, session_id, "flag", &body).await?;
    }
    tx.commit().await?;
    Ok(ScoreOutcome {
        case_id: case.id,
        seq: case.seq,
        round: case.round,
        n: sp.n,
        mean: round2(sp.mean),
        sigma: round2(sp.sigma),
        flagged,
        newly_flagged: newly,
        last_event: last,
    })
}

/// Opens a new scoring round for a case; the last round's scores stay.
pub async fn rescore(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    case_id: i64,
) -> Result<(i64, i64), StoreError> {
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    must_be(
        &session,
        &[SessionState::Live],
        "会议进行中才能重新评分",
        "a new scoring round opens during the live session only",
    )?;
    let case = case_in(&mut tx, session_id, case_id).await?;
    let round = case.round + 1;
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE calibration_cases SET round = $1, flagged = 0 WHERE id = $2").bind(round).bind(case.id).execute(conn).await?;
    });
    let event = stream::append(
        &mut tx,
        session_id,
        "round",
        &serde_json::json!({ "case_id": case.id, "seq": case.seq, "round": round }),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.rescore",
        "calibration_case",
        &case.id.to_string(),
        Some(&serde_json::json!({ "round": case.round })),
        Some(&serde_json::json!({ "round": round })),
    )
    .await?;
    tx.commit().await?;
    Ok((round, event))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub final_rating: f64,
    pub rationale: String,
    pub potential: Option<Level>,
}

/// The facilitator records the committee's final rating for a case (after
/// reveal). A rating that differs from the manager's needs a rationale.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    case_id: i64,
    d: &Decision,
) -> Result<(Case, i64), StoreError> {
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    must_be(
        &session,
        &[SessionState::Revealed],
        "揭晓后才能记录最终评分",
        "final ratings are recorded after the reveal",
    )?;
    let case = case_in(&mut tx, session_id, case_id).await?;
    let review = crate::reviews::get_in(&mut tx, case.review_id).await?;
    let rating = review.scale().check(d.final_rating)?;
    check_rationale(rating, case.manager_rating(), &d.rationale)?;
    let now = tx.now_ms();
    let potential = d
        .potential
        .map(Level::as_str)
        .or(case.potential.as_deref())
        .map(str::to_string);
    on_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE calibration_cases SET final_rating = $1, rationale = $2, potential = $3, performance = NULL, decided_by = $4, decided_at = $5 WHERE id = $6",
        )
        .bind(rating).bind(d.rationale.trim()).bind(&potential).bind(&actor.label).bind(now).bind(case.id)
        .execute(conn).await?;
    });
    let after = case_in(&mut tx, session_id, case_id).await?;
    let event = stream::append(
        &mut tx,
        session_id,
        "final",
        &serde_json::json!({ "case_id": case.id, "seq": case.seq }),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.decide",
        "calibration_case",
        &case.id.to_string(),
        Some(&serde_json::json!({ "final_rating": case.final_rating, "manager_rating": case.manager_rating(), "potential": case.potential })),
        Some(&serde_json::json!({ "final_rating": rating, "rationale": after.rationale, "potential": after.potential })),
    )
    .await?;
    tx.commit().await?;
    Ok((after, event))
}

/// A 9-box move (drag on a desktop, tap on a tablet), logged.
pub async fn place(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    case_id: i64,
    to: u8,
) -> Result<(Case, i64), StoreError> {
    let Some(cell) = NineBox::from_number(to) else {
        return Err(invalid(
            "invalid_box",
            "九宫格位置须为 1 到 9",
            "a 9-box cell is 1 to 9",
        ));
    };
    let mut tx = db.begin().await?;
    let session = session_in(&mut tx, session_id).await?;
    must_be(
        &session,
        &[SessionState::Revealed],
        "揭晓后、定稿前才能调整九宫格",
        "the 9-box can be changed after the reveal and before finalizing",
    )?;
    let case = case_in(&mut tx, session_id, case_id).await?;
    let from = case.nine_box().number();
    let now = tx.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE calibration_cases SET potential = $1, performance = $2 WHERE id = $3")
            .bind(cell.potential.as_str()).bind(cell.performance.as_str()).bind(case.id).execute(&mut *conn).await?;
        sqlx::query("INSERT INTO calibration_moves (case_id, from_box, to_box, moved_by, moved_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(case.id).bind(i64::from(from)).bind(i64::from(to)).bind(&actor.label).bind(now).execute(&mut *conn).await?;
    });
    let after = case_in(&mut tx, session_id, case_id).await?;
    let event = stream::append(
        &mut tx,
        session_id,
        "box",
        &serde_json::json!({ "case_id": case.id, "seq": case.seq, "from": from, "to": to }),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.place",
        "calibration_case",
        &case.id.to_string(),
        Some(&serde_json::json!({ "box": from })),
        Some(&serde_json::json!({ "box": to })),
    )
    .await?;
    tx.commit().await?;
    Ok((after, event))
}
