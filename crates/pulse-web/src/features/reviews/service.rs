//! What the review API and pages share: who may open a review, its
//! evidence, the writer's draft, the advisory check and the writes.

use pulse_domain::Lang;
use pulse_domain::reviews::evidence::{self as ev, Fact};
use pulse_domain::reviews::writer::{self, Draft, DraftInput};
use pulse_domain::reviews::{Population, RatingScale, ReviewState};
use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;
use pulse_store::people;
use pulse_store::reviews::{self, Review, Whose, evidence};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{AppError, AppResult};

/// How the caller stands to a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The manager who writes it.
    Reviewer,
    /// The person reviewed.
    Subject,
    /// HR with the person in scope.
    Hr,
}

pub fn is_hr(c: &Caller) -> bool {
    c.has_role(Role::Hrbp) || c.has_role(Role::Admin)
}

fn not_found() -> AppError {
    AppError::not_found("评价", "review")
}

/// The review if the caller may open it; 404 otherwise (nobody learns that
/// a review they may not see exists).
pub async fn open(state: &AppState, caller: &Caller, id: i64) -> AppResult<(Review, Standing)> {
    let r = reviews::get(&state.db, id).await?.ok_or_else(not_found)?;
    if r.reviewer_id == caller.person_id {
        return Ok((r, Standing::Reviewer));
    }
    if r.person_id == caller.person_id {
        return Ok((r, Standing::Subject));
    }
    if is_hr(caller)
        && people::get_visible(&state.db, &caller.viewer(), &r.employee_no)
            .await?
            .is_some()
    {
        return Ok((r, Standing::Hr));
    }
    Err(not_found())
}

/// The review if the caller stands to it as `want`; 404 otherwise.
pub async fn open_as(
    state: &AppState,
    caller: &Caller,
    id: i64,
    want: Standing,
) -> AppResult<Review> {
    match open(state, caller, id).await? {
        (r, s) if s == want => Ok(r),
        _ => Err(not_found()),
    }
}

/// Opened for writing: only the reviewer.
pub async fn open_for_writing(state: &AppState, caller: &Caller, id: i64) -> AppResult<Review> {
    open_as(state, caller, id, Standing::Reviewer).await
}

/// For HR's actions (reassign): HR with the person in scope, whatever else
/// the caller is to the review.
pub async fn open_for_hr(state: &AppState, caller: &Caller, id: i64) -> AppResult<Review> {
    let r = reviews::get(&state.db, id).await?.ok_or_else(not_found)?;
    if is_hr(caller)
        && people::get_visible(&state.db, &caller.viewer(), &r.employee_no)
            .await?
            .is_some()
    {
        return Ok(r);
    }
    Err(not_found())
}

pub fn unknown_reviewer() -> AppError {
    AppError::invalid(pulse_domain::Problem::new(
        "unknown_reviewer",
        "找不到这位在职的评价人",
        "no such active reviewer",
    ))
}

/// One evidence item as the picker and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceItem {
    /// The record and its source in one number; post it back to the draft.
    pub id: i64,
    /// `visit`, `snapshot`, `work_order`, `service_ticket`, `evaluation`,
    /// `delivery`, `feedback_card`, `goal_check_in` or `goal_result`.
    pub kind: String,
    pub kind_label: String,
    /// Epoch milliseconds.
    pub occurred_at: i64,
    pub day: String,
    pub summary: String,
    /// 0–100: how notable the record is; the list is sorted by it.
    pub notability: i64,
    /// Where the record is shown in Pulse.
    pub link: String,
}

pub fn item(f: &Fact, r: &Review, lang: Lang) -> EvidenceItem {
    let kind = f.kind.expect("facts carry their kind");
    EvidenceItem {
        id: f.id(),
        kind: kind.code().to_string(),
        kind_label: kind.label(lang).to_string(),
        occurred_at: f.occurred_at,
        day: ev::day_label(f.occurred_at, lang),
        summary: ev::summary(f, lang),
        notability: ev::notability(f),
        link: evidence::link(f, r),
    }
}

/// How many items the picker offers (the most notable).
pub const PICKER_ITEMS: usize = 40;

pub async fn evidence_of(state: &AppState, r: &Review) -> AppResult<Vec<Fact>> {
    Ok(evidence::facts(&state.db, r).await?)
}

/// "2026年第三季度" from the period's name, as the prose names it.
fn period_phrase(r: &Review) -> String {
    r.period_name.clone()
}

/// The writer's draft for exactly two of the person's evidence items.
pub async fn draft(state: &AppState, r: &Review, ids: &[i64]) -> AppResult<(Draft, Vec<Fact>)> {
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if ids.len() != 2 || distinct.len() != 2 {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "pick_two",
            "请恰好勾选 2 条行为事例",
            "tick exactly 2 behaviour instances",
        )));
    }
    let facts = evidence_of(state, r).await?;
    let picked: Vec<&Fact> = ids
        .iter()
        .filter_map(|id| facts.iter().find(|f| f.id() == *id))
        .collect();
    if picked.len() != 2 {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "unknown_evidence",
            "勾选的事例不属于这位员工本期的记录",
            "the ticked items are not this person's records of the period",
        )));
    }
    let person = people::by_id(&state.db, r.person_id)
        .await?
        .ok_or_else(not_found)?;
    let weakest = crate::features::insights::service::weakest_dimension(state, person).await?;
    let period = period_phrase(r);
    let d = writer::draft(&DraftInput {
        name: &r.name,
        period: &period,
        facts: [picked[0], picked[1]],
        weakest,
        seed: r.id as u64,
    });
    let cited = picked.into_iter().cloned().collect();
    Ok((d, cited))
}

/// A gentle warning before submitting (advisory only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Warning {
    /// `lukewarm_for_top`, `warm_for_low` or `no_evidence`.
    pub code: String,
    pub message: String,
}

/// Rating and prose that disagree, or a text citing nothing.
pub async fn check(
    state: &AppState,
    r: &Review,
    text: &str,
    rating: Option<f64>,
    cited: &[String],
    lang: Lang,
) -> AppResult<Vec<Warning>> {
    let mut out = Vec::new();
    if let Some(rating) = rating {
        let analyzer = state.text.analyzer(&state.db).await?;
        let tone = pulse_text::tone::tone(&analyzer, text);
        let position = r.scale().position(rating);
        match pulse_text::tone::mismatch(position, &tone) {
            Some(pulse_text::tone::Mismatch::LukewarmForTop) => out.push(Warning {
                code: "lukewarm_for_top".into(),
                message: lang
                    .pick(
                        "评分很高，但评语读起来比较平淡：可以写出是哪些表现撑得起这个分数。",
                        "The rating is high but the text reads lukewarm: say which results earn it.",
                    )
                    .into(),
            }),
            Some(pulse_text::tone::Mismatch::WarmForLow) => out.push(Warning {
                code: "warm_for_low".into(),
                message: lang
                    .pick(
                        "评分偏低，但评语几乎都是肯定：员工会看不懂差距在哪里，请写明需要改进的具体方面。",
                        "The rating is low but the text is all praise: name what needs to improve.",
                    )
                    .into(),
            }),
            None => {}
        }
    }
    let cites_figure = text
        .chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    let cites_name = cited
        .iter()
        .any(|n| !n.is_empty() && text.contains(n.as_str()));
    if !cites_figure && !cites_name {
        out.push(Warning {
            code: "no_evidence".into(),
            message: lang
                .pick(
                    "评语里没有引用任何具体事实（日期、数字、客户）：可以从左侧证据中勾选两条生成草稿。",
                    "The text cites no facts (dates, figures, customers): tick two evidence items to draft from them.",
                )
                .into(),
        });
    }
    Ok(out)
}

/// Names a text may cite: the customers of the person's evidence.
pub fn citable_names(facts: &[Fact]) -> Vec<String> {
    let mut names: Vec<String> = facts.iter().filter_map(|f| f.customer.clone()).collect();
    names.sort();
    names.dedup();
    names
}

pub async fn reviews_of(
    state: &AppState,
    caller: &Caller,
    cycle: Option<i64>,
) -> AppResult<(Vec<Review>, Vec<Review>)> {
    let to_write = reviews::list(&state.db, Whose::Reviewer(caller.person_id), cycle).await?;
    let mine = reviews::list(&state.db, Whose::Person(caller.person_id), cycle).await?;
    Ok((to_write, mine))
}

pub struct LaunchInput {
    pub name: String,
    pub period_id: i64,
    pub population_kind: String,
    pub population_value: String,
    pub scale_max: i64,
    pub halves: bool,
    pub self_assessment: bool,
    pub due_on: String,
}

pub async fn launch(
    state: &AppState,
    caller: &Caller,
    i: &LaunchInput,
) -> AppResult<reviews::Cycle> {
    let population =
        Population::parse(&i.population_kind, &i.population_value).map_err(AppError::invalid)?;
    let scale = RatingScale::new(i.scale_max, i.halves).map_err(AppError::invalid)?;
    let due_on = chrono::NaiveDate::parse_from_str(i.due_on.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(pulse_domain::Problem::new(
            "invalid_due_on",
            "截止日期格式应为 2026-12-31",
            "the due date must look like 2026-12-31",
        ))
    })?;
    Ok(reviews::launch(
        &state.db,
        &state.actor(caller),
        &reviews::CycleInput {
            name: i.name.clone(),
            period_id: i.period_id,
            population,
            scale,
            self_assessment: i.self_assessment,
            due_on,
        },
    )
    .await?)
}

/// The cycle if HR may manage it.
pub async fn cycle_for_hr(state: &AppState, id: i64) -> AppResult<reviews::Cycle> {
    reviews::cycle(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("评价周期", "review cycle"))
}

/// The state a page shows for a review.
pub fn state_label(r: &Review, lang: Lang, today: chrono::NaiveDate) -> String {
    if r.overdue(today) {
        return lang.pick("已逾期", "Overdue").to_string();
    }
    r.state().label(lang).to_string()
}

/// The employee sees rating and text only after release.
pub fn visible_to_subject(r: &Review) -> bool {
    r.state().visible_to_employee()
}

pub fn writable(r: &Review) -> bool {
    r.state().writable() && r.cycle_state != "completed"
}

pub fn rating_label(r: &Review, lang: Lang) -> Option<String> {
    r.final_rating().map(|x| r.scale().label(x, lang))
}

pub fn is_released(r: &Review) -> bool {
    matches!(r.state(), ReviewState::Released | ReviewState::Acknowledged)
}
