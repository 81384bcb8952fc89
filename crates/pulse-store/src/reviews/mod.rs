//! Review cycles and reviews (W1–W3): HR launches a cycle for a period and a
//! population, each person's manager writes their review (with the writer's
//! draft), HR releases, the employee acknowledges. A completed cycle is
//! frozen. The evidence a review can cite is in [`evidence`]; HR's progress
//! figures in [`progress`].

pub mod evidence;
pub mod history;
mod launch;
mod lifecycle;
pub mod progress;

pub use launch::{CycleInput, launch};
pub use lifecycle::{
    MAX_TEXT, acknowledge, complete, ping, reassign, release, save_draft, save_self,
    set_calibration, submit,
};

use chrono::NaiveDate;
use pulse_domain::Problem;
use pulse_domain::reviews::{CycleState, RatingScale, ReviewState};
use serde::Serialize;

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Cycle {
    pub id: i64,
    pub name: String,
    pub period_id: i64,
    pub period_code: String,
    pub period_name: String,
    pub population_kind: String,
    pub population_value: String,
    pub scale_max: i64,
    pub allow_halves: i64,
    pub self_assessment: i64,
    pub due_on: NaiveDate,
    pub state: String,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub reviews: i64,
    pub submitted: i64,
    pub released: i64,
}

impl Cycle {
    pub fn scale(&self) -> RatingScale {
        RatingScale::new(self.scale_max, self.allow_halves != 0).unwrap_or_default()
    }

    pub fn frozen(&self) -> bool {
        self.state == CycleState::Completed.as_str()
    }

    /// The end of the due day in China time: the to-dos' deadline.
    pub fn due_at(&self) -> i64 {
        pulse_domain::china_time::day_start_ms(self.due_on + chrono::Days::new(1)) - 1
    }
}

const CYCLE_SELECT: &str = "SELECT c.id, c.name, c.period_id, p.code AS period_code, p.name AS period_name, c.population_kind, \
     c.population_value, c.scale_max, c.allow_halves, c.self_assessment, c.due_on, c.state, c.created_at, c.completed_at, \
     (SELECT COUNT(*) FROM reviews r WHERE r.cycle_id = c.id) AS reviews, \
     (SELECT COUNT(*) FROM reviews r WHERE r.cycle_id = c.id AND r.state <> 'draft') AS submitted, \
     (SELECT COUNT(*) FROM reviews r WHERE r.cycle_id = c.id AND r.state IN ('released', 'acknowledged')) AS released \
     FROM review_cycles c JOIN periods p ON p.id = c.period_id";

pub async fn cycles(db: &Db) -> Result<Vec<Cycle>, StoreError> {
    let sql = format!("{CYCLE_SELECT} ORDER BY p.starts_on DESC, c.id DESC");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Cycle>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

pub async fn cycle(db: &Db, id: i64) -> Result<Option<Cycle>, StoreError> {
    let sql = format!("{CYCLE_SELECT} WHERE c.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Cycle>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

pub(crate) async fn cycle_in(tx: &mut Tx, id: i64) -> Result<Option<Cycle>, StoreError> {
    let sql = format!("{CYCLE_SELECT} WHERE c.id = $1");
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Cycle>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?
    }))
}

pub(crate) fn invalid(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

pub(crate) fn conflict(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> StoreError {
    StoreError::Conflict(Problem::new(code, zh, en))
}

/// A review as pages and the API show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Review {
    pub id: i64,
    pub cycle_id: i64,
    pub cycle_name: String,
    pub cycle_state: String,
    pub period_id: i64,
    pub period_code: String,
    pub period_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub due_on: NaiveDate,
    pub scale_max: i64,
    pub allow_halves: i64,
    pub self_assessment: i64,
    pub person_id: i64,
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    pub org_unit_id: i64,
    pub org_unit_name: String,
    pub reviewer_id: i64,
    pub reviewer_name: String,
    pub state: String,
    pub rating: Option<f64>,
    pub calibrated_rating: Option<f64>,
    pub goal_score_bp: Option<i64>,
    pub body: String,
    pub self_text: String,
    pub draft_text: String,
    pub draft_evidence: String,
    pub draft_source: String,
    pub opened_at: Option<i64>,
    pub last_active_at: Option<i64>,
    pub active_ms: i64,
    pub edit_count: Option<i64>,
    pub writing_seconds: Option<i64>,
    pub submitted_at: Option<i64>,
    pub released_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub ack_comment: String,
}

impl Review {
    pub fn state(&self) -> ReviewState {
        ReviewState::from_code(&self.state).unwrap_or(ReviewState::Draft)
    }

    pub fn scale(&self) -> RatingScale {
        RatingScale::new(self.scale_max, self.allow_halves != 0).unwrap_or_default()
    }

    /// The rating that counts: the calibrated one once there is one.
    pub fn final_rating(&self) -> Option<f64> {
        self.calibrated_rating.or(self.rating)
    }

    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state() == ReviewState::Draft && today > self.due_on
    }

    /// The window of the review's period in epoch ms (China days).
    pub fn window(&self) -> (i64, i64) {
        use pulse_domain::china_time::day_start_ms;
        (
            day_start_ms(self.starts_on),
            day_start_ms(self.ends_on + chrono::Days::new(1)),
        )
    }
}

pub(crate) const REVIEW_SELECT: &str = "SELECT r.id, r.cycle_id, c.name AS cycle_name, c.state AS cycle_state, r.period_id, \
     pe.code AS period_code, pe.name AS period_name, pe.starts_on, pe.ends_on, c.due_on, c.scale_max, c.allow_halves, c.self_assessment, \
     r.person_id, p.employee_no, p.name, p.job_family, p.org_unit_id, u.name AS org_unit_name, r.reviewer_id, m.name AS reviewer_name, \
     r.state, r.rating, r.calibrated_rating, r.goal_score_bp, r.body, r.self_text, r.draft_text, r.draft_evidence, r.draft_source, \
     r.opened_at, r.last_active_at, r.active_ms, r.edit_count, r.writing_seconds, r.submitted_at, r.released_at, r.acknowledged_at, r.ack_comment \
     FROM reviews r JOIN review_cycles c ON c.id = r.cycle_id JOIN periods pe ON pe.id = r.period_id \
     JOIN people p ON p.id = r.person_id JOIN org_units u ON u.id = p.org_unit_id JOIN people m ON m.id = r.reviewer_id";

pub async fn get(db: &Db, id: i64) -> Result<Option<Review>, StoreError> {
    let sql = format!("{REVIEW_SELECT} WHERE r.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Review>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

pub(crate) async fn get_in(tx: &mut Tx, id: i64) -> Result<Review, StoreError> {
    let sql = format!("{REVIEW_SELECT} WHERE r.id = $1");
    let r: Option<Review> = on_tx!(tx, conn => {
        sqlx::query_as::<_, Review>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?
    });
    r.ok_or_else(|| StoreError::NotFound(format!("review {id}")))
}

/// Who asks for a list of reviews.
#[derive(Debug, Clone, Copy)]
pub enum Whose {
    /// The reviews a manager writes.
    Reviewer(i64),
    /// A person's own reviews.
    Person(i64),
    /// Everyone in a cycle (HR; the caller filters by scope).
    All,
}

pub async fn list(db: &Db, whose: Whose, cycle_id: Option<i64>) -> Result<Vec<Review>, StoreError> {
    let (filter, who) = match whose {
        Whose::Reviewer(id) => ("r.reviewer_id = $1", id),
        Whose::Person(id) => ("r.person_id = $1", id),
        Whose::All => ("$1 = $1", 0),
    };
    let sql = format!(
        "{REVIEW_SELECT} WHERE {filter} AND ($2 = 0 OR r.cycle_id = $2) \
         ORDER BY pe.starts_on DESC, CASE r.state WHEN 'draft' THEN 0 WHEN 'submitted' THEN 1 ELSE 2 END, p.name, r.id"
    );
    let cycle = cycle_id.unwrap_or(0);
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Review>(sqlx::AssertSqlSafe(sql.clone())).bind(who).bind(cycle).fetch_all(pool).await?
    }))
}

pub fn ensure_writable(r: &Review) -> Result<(), StoreError> {
    if r.cycle_state == CycleState::Completed.as_str() {
        return Err(conflict(
            "cycle_frozen",
            "这个评价周期已完成并冻结",
            "this review cycle is completed and frozen",
        ));
    }
    if !r.state().writable() {
        return Err(conflict(
            "review_locked",
            format!(
                "评价{}，不能再修改",
                r.state().label(pulse_domain::Lang::Zh)
            ),
            format!(
                "the review is {}, it can no longer be changed",
                r.state().label(pulse_domain::Lang::En).to_lowercase()
            ),
        ));
    }
    Ok(())
}

/// The reviews of the given people for a period (the team workbook).
pub async fn of_people(
    db: &Db,
    person_ids: &[i64],
    period_id: i64,
) -> Result<Vec<Review>, StoreError> {
    let mut out = Vec::new();
    for chunk in person_ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "{REVIEW_SELECT} WHERE r.period_id = $1 AND r.person_id IN ({list}) ORDER BY r.person_id"
        );
        let mut rows: Vec<Review> = on_db!(db, pool => {
            sqlx::query_as::<_, Review>(sqlx::AssertSqlSafe(sql.clone())).bind(period_id).fetch_all(pool).await?
        });
        out.append(&mut rows);
    }
    Ok(out)
}

/// A cycle's reviews whose person's 工号 or name contains `q` (HR finds one
/// to read or reassign), at most `limit`.
pub async fn search(
    db: &Db,
    cycle_id: i64,
    q: &str,
    limit: i64,
) -> Result<Vec<Review>, StoreError> {
    let like = format!("%{}%", q.trim().replace(['%', '_'], ""));
    let sql = format!(
        "{REVIEW_SELECT} WHERE r.cycle_id = $1 AND (p.employee_no LIKE $2 OR p.name LIKE $2) ORDER BY p.employee_no LIMIT $3"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Review>(sqlx::AssertSqlSafe(sql.clone())).bind(cycle_id).bind(like).bind(limit).fetch_all(pool).await?
    }))
}
