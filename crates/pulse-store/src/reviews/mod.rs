//! Review cycles and reviews (W1–W3): HR launches a cycle for a period and a
//! population, each person's manager writes their review (with the writer's
//! draft), HR releases, the employee acknowledges. A completed cycle is
//! frozen. The evidence a review can cite is in [`evidence`]; HR's progress
//! figures in [`progress`].

pub mod evidence;
pub mod history;
pub mod progress;

use chrono::NaiveDate;
use pulse_domain::Problem;
use pulse_domain::i18n::Both;
use pulse_domain::reviews::edits::{WritingClock, edit_count};
use pulse_domain::reviews::{CycleState, Population, RatingScale, ReviewState};
use serde::Serialize;

use crate::inbox::{self, NewTodo, TodoState};
use crate::{Actor, Db, StoreError, Tx, goals, notify};

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

#[derive(Debug, Clone)]
pub struct CycleInput {
    pub name: String,
    pub period_id: i64,
    pub population: Population,
    pub scale: RatingScale,
    pub self_assessment: bool,
    pub due_on: NaiveDate,
}

/// Everyone a population covers who has a manager to write their review,
/// with that manager: (person, manager).
async fn population(tx: &mut Tx, p: &Population) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows: Vec<(i64, i64)> = match p {
        Population::Company => on_tx!(tx, conn => {
            sqlx::query_as("SELECT id, manager_id FROM people WHERE status = 'active' AND manager_id IS NOT NULL ORDER BY id")
                .fetch_all(conn).await?
        }),
        Population::JobFamily(f) => on_tx!(tx, conn => {
            sqlx::query_as("SELECT id, manager_id FROM people WHERE status = 'active' AND manager_id IS NOT NULL AND job_family = $1 ORDER BY id")
                .bind(f).fetch_all(conn).await?
        }),
        Population::Unit(code) => on_tx!(tx, conn => {
            sqlx::query_as(
                "WITH RECURSIVE down(id, depth) AS ( \
                   SELECT id, 0 FROM org_units WHERE code = $1 \
                   UNION ALL SELECT o.id, down.depth + 1 FROM org_units o JOIN down ON o.parent_id = down.id WHERE down.depth < 64 ) \
                 SELECT p.id, p.manager_id FROM people p JOIN down ON down.id = p.org_unit_id \
                 WHERE p.status = 'active' AND p.manager_id IS NOT NULL ORDER BY p.id",
            )
            .bind(code).fetch_all(conn).await?
        }),
    };
    Ok(rows)
}

fn invalid(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Conflict(Problem::new(code, zh, en))
}

/// Launches a cycle: one review per person of the population, each manager
/// a to-do for their reviews. Refused, with nothing written, when a person
/// already has a review for the period (a cycle launched twice).
pub async fn launch(db: &Db, actor: &Actor, input: &CycleInput) -> Result<Cycle, StoreError> {
    let name = input.name.trim();
    pulse_domain::org::required_text(name, 100, "周期名称", "cycle name")?;
    if let Population::Unit(code) = &input.population
        && crate::org::list(db).await?.iter().all(|u| &u.code != code)
    {
        return Err(invalid(
            "unknown_unit",
            format!("找不到部门：{code}"),
            format!("no such unit: {code}"),
        ));
    }
    let mut tx = db.begin().await?;
    let period: Option<(NaiveDate,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT ends_on FROM periods WHERE id = $1").bind(input.period_id).fetch_optional(conn).await?
    });
    let Some((period_end,)) = period else {
        return Err(invalid(
            "unknown_period",
            "找不到这个考核周期",
            "no such period",
        ));
    };
    if input.due_on < period_end - chrono::Days::new(92) {
        return Err(invalid(
            "due_too_early",
            "截止日期不能早于考核期",
            "the due date cannot be before the period",
        ));
    }
    let people = population(&mut tx, &input.population).await?;
    if people.is_empty() {
        return Err(invalid(
            "empty_population",
            "这个范围里没有需要评价的在职员工",
            "nobody active with a manager in this population",
        ));
    }
    let taken: Vec<(String,)> = {
        let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
        let mut names = Vec::new();
        for chunk in ids.chunks(500) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT p.name FROM reviews r JOIN people p ON p.id = r.person_id WHERE r.period_id = $1 AND r.person_id IN ({list}) ORDER BY p.id"
            );
            let mut rows: Vec<(String,)> = on_tx!(&mut tx, conn => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(input.period_id).fetch_all(conn).await?
            });
            names.append(&mut rows);
        }
        names
    };
    if !taken.is_empty() {
        let first: Vec<&str> = taken.iter().take(3).map(|t| t.0.as_str()).collect();
        return Err(conflict(
            "already_in_cycle",
            format!(
                "{} 人在本考核期已有评价（如 {}），同一人同一期只能有一份",
                taken.len(),
                first.join("、")
            ),
            format!(
                "{} people already have a review for this period (e.g. {}): one per person and period",
                taken.len(),
                first.join(", ")
            ),
        ));
    }
    let now = db.now_ms();
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO review_cycles (name, period_id, population_kind, population_value, scale_max, allow_halves, self_assessment, due_on, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id",
        )
        .bind(name).bind(input.period_id).bind(input.population.kind()).bind(input.population.value())
        .bind(i64::from(input.scale.max)).bind(i64::from(input.scale.halves)).bind(i64::from(input.self_assessment))
        .bind(input.due_on).bind(&actor.label).bind(now)
        .fetch_one(conn).await?
    });
    for chunk in people.chunks(400) {
        let values = chunk
            .iter()
            .map(|(p, m)| {
                format!(
                    "({id}, {}, {p}, {m}, 'draft', {now}, {now})",
                    input.period_id
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO reviews (cycle_id, period_id, person_id, reviewer_id, state, created_at, updated_at) VALUES {values}"
        );
        on_tx!(&mut tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(conn).await?;
        });
    }
    let c = cycle_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {id}")))?;
    let mut reviewers: std::collections::BTreeMap<i64, usize> = Default::default();
    for (_, m) in &people {
        *reviewers.entry(*m).or_default() += 1;
    }
    for (reviewer, n) in reviewers {
        remind_reviewer(&mut tx, &c, reviewer, n).await?;
    }
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "review_cycle.launch",
        "review_cycle",
        &id.to_string(),
        None,
        Some(&c),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

pub(crate) fn todo_key(cycle_id: i64, reviewer: i64) -> String {
    format!("review_cycle:{cycle_id}:reviewer:{reviewer}")
}

/// The reviewer's to-do for a cycle (N1): due with the cycle, so the
/// reminder job nudges and escalates it like any overdue to-do (N4).
async fn remind_reviewer(
    tx: &mut Tx,
    c: &Cycle,
    reviewer: i64,
    n: usize,
) -> Result<(), StoreError> {
    inbox::create(
        tx,
        &NewTodo {
            person_id: reviewer,
            kind: "review_due".into(),
            subject: Both::new(
                format!("撰写绩效评语：{}（{n} 人）", c.name),
                format!("Write reviews: {} ({n})", c.name),
            ),
            link: format!("/reviews?cycle={}", c.id),
            source_key: todo_key(c.id, reviewer),
            due_at: Some(c.due_at()),
        },
    )
    .await?;
    Ok(())
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

async fn get_in(tx: &mut Tx, id: i64) -> Result<Review, StoreError> {
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
    if text.chars().count() > MAX_TEXT {
        return Err(invalid(
            "text_too_long",
            format!("评语最多 {MAX_TEXT} 字"),
            format!("the review is limited to {MAX_TEXT} characters"),
        ));
    }
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
    let after = get_in(&mut tx, id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        "review.submit",
        "review",
        &id.to_string(),
        Some(&audit_view(&before)),
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
    if text.chars().count() > MAX_TEXT {
        return Err(invalid(
            "text_too_long",
            format!("自评最多 {MAX_TEXT} 字"),
            format!("the self-assessment is limited to {MAX_TEXT} characters"),
        ));
    }
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
    let after = get_in(&mut tx, id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        "review.reassign",
        "review",
        &id.to_string(),
        Some(&audit_view(&before)),
        Some(&audit_view(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
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
    let after = get_in(&mut tx, id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        "review.acknowledge",
        "review",
        &id.to_string(),
        Some(&audit_view(&before)),
        Some(&audit_view(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
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
