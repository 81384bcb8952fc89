//! Calibration sessions (C1–C6): a session's cases are the submitted reviews
//! of a cycle's population; the committee scores them blind, the facilitator
//! records final ratings, and finalizing writes them back to the reviews.
//! [`setup`] creates sessions, [`scoring`] holds the live moves, [`stream`]
//! the event log clients replay and the push across instances.

pub mod keywords;
pub mod scoring;
pub mod screens;
pub mod setup;
pub mod stream;

pub use scoring::{Decision, ScoreOutcome, decide, move_to, place, put_on, rescore, score};
pub use setup::{SessionInput, create};

use pulse_domain::calibration::{Guidance, Level, NineBox, SessionState};
use serde::Serialize;

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Session {
    pub id: i64,
    pub name: String,
    pub cycle_id: i64,
    pub cycle_name: String,
    pub period_code: String,
    pub region_unit_id: Option<i64>,
    pub region_name: Option<String>,
    pub job_family: String,
    pub facilitator_id: i64,
    pub facilitator_name: String,
    pub scheduled_at: i64,
    pub state: String,
    pub sigma_threshold: f64,
    pub guidance: String,
    pub current_case_id: Option<i64>,
    pub pre_scoring_at: Option<i64>,
    pub live_at: Option<i64>,
    pub revealed_at: Option<i64>,
    pub finalized_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub created_at: i64,
    pub cases: i64,
    pub flagged: i64,
    pub decided: i64,
}

impl Session {
    pub fn state(&self) -> SessionState {
        SessionState::from_code(&self.state).unwrap_or(SessionState::Prepared)
    }

    pub fn blind(&self) -> bool {
        self.state().blind()
    }

    pub fn guidance(&self) -> Guidance {
        Guidance::parse(&self.guidance).unwrap_or_default()
    }
}

const SESSION_SELECT: &str = "SELECT s.id, s.name, s.cycle_id, c.name AS cycle_name, pe.code AS period_code, s.region_unit_id, \
     u.name AS region_name, s.job_family, s.facilitator_id, f.name AS facilitator_name, s.scheduled_at, s.state, s.sigma_threshold, \
     s.guidance, s.current_case_id, s.pre_scoring_at, s.live_at, s.revealed_at, s.finalized_at, s.duration_ms, s.created_at, \
     (SELECT COUNT(*) FROM calibration_cases k WHERE k.session_id = s.id) AS cases, \
     (SELECT COUNT(*) FROM calibration_cases k WHERE k.session_id = s.id AND k.flagged = 1) AS flagged, \
     (SELECT COUNT(*) FROM calibration_cases k WHERE k.session_id = s.id AND k.final_rating IS NOT NULL) AS decided \
     FROM calibration_sessions s JOIN review_cycles c ON c.id = s.cycle_id JOIN periods pe ON pe.id = c.period_id \
     JOIN people f ON f.id = s.facilitator_id LEFT JOIN org_units u ON u.id = s.region_unit_id";

/// Every session (HR), newest first.
pub async fn sessions(db: &Db) -> Result<Vec<Session>, StoreError> {
    let sql = format!("{SESSION_SELECT} ORDER BY s.scheduled_at DESC, s.id DESC");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

/// The sessions a person sits on or facilitates.
pub async fn sessions_of(db: &Db, person_id: i64) -> Result<Vec<Session>, StoreError> {
    let sql = format!(
        "{SESSION_SELECT} WHERE s.facilitator_id = $1 OR EXISTS (SELECT 1 FROM calibration_members m WHERE m.session_id = s.id AND m.person_id = $1) \
         ORDER BY s.scheduled_at DESC, s.id DESC"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).fetch_all(pool).await?
    }))
}

pub async fn session(db: &Db, id: i64) -> Result<Option<Session>, StoreError> {
    let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

/// The session inside a writing transaction. On PostgreSQL it locks the
/// session's row first, so a session's writes run one at a time: two members
/// scoring at once would otherwise each compute σ without the other's score,
/// and event ids could commit out of order (a stream reading "after my last
/// id" would skip one). SQLite already has one writer at a time.
pub(crate) async fn session_in(tx: &mut Tx, id: i64) -> Result<Session, StoreError> {
    if let crate::TxConn::Postgres(t) = tx.conn_mut() {
        sqlx::query("SELECT id FROM calibration_sessions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(&mut **t)
            .await?;
    }
    let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
    let s: Option<Session> = on_tx!(tx, conn => {
        sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?
    });
    s.ok_or_else(|| StoreError::NotFound(format!("calibration session {id}")))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Member {
    pub person_id: i64,
    pub name: String,
    pub employee_no: String,
}

pub async fn members(db: &Db, session_id: i64) -> Result<Vec<Member>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Member>(
            "SELECT p.id AS person_id, p.name, p.employee_no FROM calibration_members m JOIN people p ON p.id = m.person_id \
             WHERE m.session_id = $1 ORDER BY p.id",
        )
        .bind(session_id).fetch_all(pool).await?
    }))
}

/// How a person stands to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    pub member: bool,
    pub facilitator: bool,
}

pub async fn seat(db: &Db, session: &Session, person_id: Option<i64>) -> Result<Seat, StoreError> {
    let Some(pid) = person_id else {
        return Ok(Seat {
            member: false,
            facilitator: false,
        });
    };
    let member: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT person_id FROM calibration_members WHERE session_id = $1 AND person_id = $2")
            .bind(session.id).bind(pid).fetch_optional(pool).await?
    });
    Ok(Seat {
        member: member.is_some(),
        facilitator: session.facilitator_id == pid,
    })
}

/// A case with the identity behind it. What leaves the server while scoring
/// is blind is decided by the web layer's views, never by this row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Case {
    pub id: i64,
    pub session_id: i64,
    pub review_id: i64,
    pub seq: i64,
    pub manager_rating: Option<f64>,
    pub round: i64,
    pub flagged: i64,
    pub final_rating: Option<f64>,
    pub rationale: String,
    pub potential: Option<String>,
    pub performance: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub person_id: i64,
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    pub level: String,
    pub org_unit_id: i64,
    pub unit_name: String,
    pub manager_name: String,
    pub review_state: String,
    pub review_rating: Option<f64>,
}

impl Case {
    /// The manager's rating: taken when the session locked the review, else
    /// the review's own.
    pub fn manager_rating(&self) -> Option<f64> {
        self.manager_rating.or(self.review_rating)
    }

    /// The rating the 9-box and guidance count: final, else the manager's.
    pub fn rating(&self) -> Option<f64> {
        self.final_rating.or(self.manager_rating())
    }

    pub fn potential(&self) -> Level {
        self.potential
            .as_deref()
            .and_then(Level::from_code)
            .unwrap_or(Level::Medium)
    }

    pub fn nine_box(&self) -> NineBox {
        let performance = self
            .performance
            .as_deref()
            .and_then(Level::from_code)
            .unwrap_or_else(|| Level::of_rating(self.rating().unwrap_or(3.0)));
        NineBox {
            performance,
            potential: self.potential(),
        }
    }
}

pub(crate) const CASE_SELECT: &str = "SELECT k.id, k.session_id, k.review_id, k.seq, k.manager_rating, k.round, k.flagged, k.final_rating, \
     k.rationale, k.potential, k.performance, k.decided_by, k.decided_at, p.id AS person_id, p.employee_no, p.name, p.job_family, \
     p.level, p.org_unit_id, u.name AS unit_name, m.name AS manager_name, r.state AS review_state, r.rating AS review_rating \
     FROM calibration_cases k JOIN reviews r ON r.id = k.review_id JOIN people p ON p.id = r.person_id \
     JOIN org_units u ON u.id = p.org_unit_id JOIN people m ON m.id = r.reviewer_id";

/// A session's cases in pseudonym order.
pub async fn cases(db: &Db, session_id: i64) -> Result<Vec<Case>, StoreError> {
    let sql = format!("{CASE_SELECT} WHERE k.session_id = $1 ORDER BY k.seq");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())).bind(session_id).fetch_all(pool).await?
    }))
}

pub async fn case(db: &Db, session_id: i64, case_id: i64) -> Result<Option<Case>, StoreError> {
    let sql = format!("{CASE_SELECT} WHERE k.session_id = $1 AND k.id = $2");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())).bind(session_id).bind(case_id).fetch_optional(pool).await?
    }))
}

pub(crate) async fn case_in(
    tx: &mut Tx,
    session_id: i64,
    case_id: i64,
) -> Result<Case, StoreError> {
    let sql = format!("{CASE_SELECT} WHERE k.session_id = $1 AND k.id = $2");
    let c: Option<Case> = on_tx!(tx, conn => {
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())).bind(session_id).bind(case_id).fetch_optional(conn).await?
    });
    c.ok_or_else(|| StoreError::NotFound(format!("calibration case {case_id}")))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Score {
    pub case_id: i64,
    pub round: i64,
    pub member_id: i64,
    pub score: f64,
    pub scored_at: i64,
}

/// Every score of a session, every round, oldest first.
pub async fn scores(db: &Db, session_id: i64) -> Result<Vec<Score>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Score>(
            "SELECT s.case_id, s.round, s.member_id, s.score, s.scored_at FROM calibration_scores s \
             JOIN calibration_cases k ON k.id = s.case_id WHERE k.session_id = $1 ORDER BY s.case_id, s.round, s.scored_at, s.member_id",
        )
        .bind(session_id).fetch_all(pool).await?
    }))
}

/// The session a review is held by, if any session that has not finalized
/// holds it.
pub async fn holding_session(db: &Db, review_id: i64) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT s.id FROM calibration_cases k JOIN calibration_sessions s ON s.id = k.session_id \
             WHERE k.review_id = $1 AND s.state <> 'finalized' ORDER BY s.id DESC LIMIT 1",
        )
        .bind(review_id).fetch_optional(pool).await?
    });
    Ok(row.map(|r| r.0))
}

/// The finalized session and case a review was calibrated in, the latest
/// if more than one: where the person's growth letter lives (C6).
pub async fn finalized_case(db: &Db, review_id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    let row: Option<(i64, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT s.id, k.id FROM calibration_cases k JOIN calibration_sessions s ON s.id = k.session_id \
             WHERE k.review_id = $1 AND s.state = 'finalized' ORDER BY s.id DESC LIMIT 1",
        )
        .bind(review_id).fetch_optional(pool).await?
    });
    Ok(row)
}

pub(crate) fn invalid(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> StoreError {
    StoreError::Invalid(pulse_domain::Problem::new(code, zh, en))
}

pub(crate) fn conflict(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> StoreError {
    StoreError::Conflict(pulse_domain::Problem::new(code, zh, en))
}
