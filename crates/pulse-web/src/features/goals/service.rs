//! Goal boards, adjustment requests and weight rules (G1–G7), shared by the
//! JSON API and the pages. Visibility follows the people scope: a person's
//! goals are visible to whoever may see the person.

use pulse_domain::roles::Role;
use pulse_store::goals::{self, Goal, Period};
use pulse_store::weight_rules;
use pulse_store::{adjustments, people};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
// The rules' part of the service lives beside it; callers keep one path.
pub use super::rules_service::{
    PreviewRegion, RegionState, RuleDto, check_condition, preview, rules, save_rule,
};
use crate::error::{AppError, AppResult};
use pulse_domain::goals::{GoalKind, is_weighted};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainLink {
    pub id: i64,
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalDto {
    pub id: i64,
    pub title: String,
    /// `company`, `objective`, `key_result` or `kpi`.
    pub kind: String,
    /// Effective weight in basis points (10000 = 100 %).
    pub weight_bp: i64,
    /// The weight without rule overrides.
    pub base_weight_bp: i64,
    /// Exact decimal text, e.g. "0.35".
    pub target: Option<String>,
    pub actual: Option<String>,
    pub progress_bp: i64,
    pub parent_id: Option<i64>,
    pub metric_code: Option<String>,
    pub unit: Option<String>,
    /// `higher` or `lower` is better.
    pub direction: Option<String>,
    /// The goals above, nearest first: team key result → region objective → company TOP goal.
    pub chain: Vec<ChainLink>,
}

impl GoalDto {
    fn new(g: Goal, chain: Vec<Goal>) -> GoalDto {
        GoalDto {
            id: g.id,
            title: g.title,
            kind: g.kind,
            weight_bp: g.weight_bp,
            base_weight_bp: g.base_weight_bp,
            target: g.target,
            actual: g.actual,
            progress_bp: g.progress_bp,
            parent_id: g.parent_id,
            metric_code: g.metric_code,
            unit: g.unit,
            direction: g.direction,
            chain: chain
                .into_iter()
                .map(|c| ChainLink {
                    id: c.id,
                    kind: c.kind,
                    title: c.title,
                })
                .collect(),
        }
    }

    pub fn weight_changed_by_rule(&self) -> bool {
        self.weight_bp != self.base_weight_bp
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodDto {
    pub code: String,
    pub name: String,
    /// `open` or `closed`.
    pub state: String,
}

impl From<&Period> for PeriodDto {
    fn from(p: &Period) -> Self {
        PeriodDto {
            code: p.code.clone(),
            name: p.name.clone(),
            state: p.state.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Board {
    pub employee_no: String,
    pub name: String,
    pub period: Option<PeriodDto>,
    pub items: Vec<GoalDto>,
    /// Sum of the weights of KPIs and key results (10000 once set up).
    pub weight_total_bp: i64,
    /// Σ weight × progress, in basis points.
    pub score_bp: i64,
}

/// The period a request means: `code` when given, else the one running today.
pub async fn period(state: &AppState, code: Option<&str>) -> AppResult<Option<Period>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Ok(Some(
            goals::period_by_code(&state.db, c)
                .await?
                .ok_or_else(|| AppError::not_found("周期", "period"))?,
        )),
        None => Ok(goals::period_at(&state.db, state.db.today()).await?),
    }
}

/// A visible person's board for a period.
pub async fn board(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    employee_no: &str,
    period_code: Option<&str>,
) -> AppResult<Board> {
    let person = people::get_visible(&state.db, &caller.viewer(), employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let period = period(state, period_code).await?;
    let mut items = Vec::new();
    let mut raw = Vec::new();
    if let Some(p) = &period {
        raw = goals::person_goals(&state.db, person.id, p.id).await?;
        for g in raw.clone() {
            let chain = goals::chain(&state.db, g.id).await?;
            items.push(GoalDto::new(g, chain));
        }
    }
    Ok(Board {
        employee_no: person.employee_no,
        name: person.name,
        period: period.as_ref().map(PeriodDto::from),
        weight_total_bp: raw
            .iter()
            .filter(|g| is_weighted(&g.kind))
            .map(|g| g.weight_bp)
            .sum(),
        score_bp: goals::weighted_score_bp(&raw),
        items,
    })
}

pub async fn request_adjustment(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    goal_id: i64,
    new_target: &str,
    reason: &str,
) -> AppResult<adjustments::Adjustment> {
    Ok(adjustments::request(
        &state.db,
        &state.actor(caller),
        caller.person_id,
        goal_id,
        new_target,
        reason,
        &state.config.public_url,
    )
    .await?)
}

pub async fn decide_adjustment(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    approve: bool,
    comment: &str,
) -> AppResult<adjustments::Adjustment> {
    Ok(adjustments::decide(
        &state.db,
        &state.actor(caller),
        caller.person_id,
        id,
        approve,
        comment,
        &state.config.public_url,
    )
    .await?)
}

/// A request the caller may see: theirs, or one they decide.
pub async fn adjustment_for(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: i64,
) -> AppResult<adjustments::Adjustment> {
    adjustments::get(&state.db, id)
        .await?
        .filter(|a| a.requester_id == caller.person_id || a.approver_id == caller.person_id)
        .ok_or_else(|| AppError::not_found("微调申请", "adjustment request"))
}

/// A check-in (G7) on one of the caller's own goals; HR may check in for anyone.
pub async fn check_in(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    goal_id: i64,
    actual: &str,
    note: &str,
) -> AppResult<GoalDto> {
    let goal = goals::goal(&state.db, goal_id)
        .await?
        .filter(|g| g.state == "active")
        .ok_or_else(|| AppError::not_found("目标", "goal"))?;
    let hr = caller.has_role(pulse_domain::roles::Role::Hrbp)
        || caller.has_role(pulse_domain::roles::Role::Admin);
    if goal.person_id != Some(caller.person_id) && !hr {
        return Err(AppError::not_found("目标", "goal"));
    }
    if note.chars().count() > 500 {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "note_too_long",
            "备注最多 500 字",
            "the note is limited to 500 characters",
        )));
    }
    let mut tx = state.db.begin().await?;
    goals::check_in(&mut tx, &state.actor(caller), &goal, actual, note).await?;
    tx.commit().await?;
    let goal = goals::goal(&state.db, goal_id)
        .await?
        .ok_or_else(|| AppError::not_found("目标", "goal"))?;
    let chain = goals::chain(&state.db, goal_id).await?;
    Ok(GoalDto::new(goal, chain))
}

/// Closes a period (HR): its goals, weights and targets are frozen from now on.
pub async fn close_period(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    code: &str,
) -> AppResult<PeriodDto> {
    let p = goals::period_by_code(&state.db, code.trim())
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let mut tx = state.db.begin().await?;
    goals::close_period(&mut tx, &state.actor(caller), p.id).await?;
    tx.commit().await?;
    Ok(PeriodDto {
        state: "closed".into(),
        ..PeriodDto::from(&p)
    })
}

/// Parses template lines typed on the page: `指标编码 权重 [目标]` per line,
/// e.g. `FOC 25% 35`.
pub fn parse_template_lines(
    text: &str,
) -> Result<Vec<(String, i64, Option<String>)>, pulse_domain::Problem> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        if parts.len() < 2 || parts.len() > 3 {
            return Err(pulse_domain::Problem::new(
                "invalid_template_line",
                format!(
                    "第 {} 行格式应为“指标编码 权重 [目标值]”，例如 FOC 25% 35",
                    i + 1
                ),
                format!(
                    "line {} must read 'metric weight [target]', e.g. FOC 25% 35",
                    i + 1
                ),
            ));
        }
        let weight = pulse_domain::weights::parse_percent(parts[1])?;
        out.push((
            parts[0].to_string(),
            weight,
            parts.get(2).map(|t| t.to_string()),
        ));
    }
    Ok(out)
}

pub async fn save_template(
    state: &AppState,
    job_family: &str,
    lines: &[(String, i64, Option<String>)],
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    goals::save_template(&mut tx, job_family, lines).await?;
    tx.commit().await?;
    Ok(())
}

/// Applies a job family's template to the running period; then the rules
/// run so the new goals get their overrides at once.
pub async fn apply_template(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    job_family: &str,
) -> AppResult<usize> {
    let period = period(state, None)
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let mut tx = state.db.begin().await?;
    let n = goals::apply_template(&mut tx, &state.actor(caller), period.id, job_family).await?;
    tx.commit().await?;
    weight_rules::evaluate(&state.db, period.id, None, &state.actor(caller)).await?;
    Ok(n)
}

pub async fn save_metric(state: &AppState, m: &goals::MetricInput) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    goals::upsert_metric(&mut tx, m).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a unit-level goal in the running period (G1/G2): a company TOP
/// goal, an objective or a key result, linked to its parent.
pub async fn create_unit_goal(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    kind: &str,
    title: &str,
    unit_code: &str,
    parent_id: Option<i64>,
) -> AppResult<i64> {
    let Some(goal_kind) = GoalKind::parse(kind).filter(|k| k.is_unit_goal()) else {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_goal_kind",
            "部门目标的类型必须是 company、objective 或 key_result（个人指标用岗位模板或导入）",
            "a unit goal is company, objective or key_result (personal KPIs come from templates or imports)",
        )));
    };
    let unit = pulse_store::org::by_code(&state.db, unit_code.trim())
        .await?
        .ok_or_else(|| AppError::not_found("部门", "org unit"))?;
    ensure_unit_in_scope(state, caller, unit.id).await?;
    if goal_kind == GoalKind::Company && !is_hr(caller) {
        return Err(AppError::forbidden());
    }
    let period = period(state, None)
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    if let Some(pid) = parent_id {
        let parent = goals::goal(&state.db, pid)
            .await?
            .ok_or_else(|| AppError::not_found("上级目标", "parent goal"))?;
        let allowed = GoalKind::parse(&parent.kind).is_some_and(|p| goal_kind.may_hang_under(p));
        if !allowed {
            return Err(AppError::invalid(pulse_domain::Problem::new(
                "invalid_parent",
                "上级目标的层级不对：目标挂在公司目标下，关键结果挂在目标下",
                "wrong parent level: objectives go under company goals, key results under objectives",
            )));
        }
    }
    let mut tx = state.db.begin().await?;
    let id = goals::create_goal(
        &mut tx,
        &goals::NewGoal {
            period_id: period.id,
            kind: kind.into(),
            title: title.into(),
            org_unit_id: Some(unit.id),
            person_id: None,
            parent_id,
            metric_id: None,
            target: None,
            base_weight_bp: 0,
            sort_order: 0,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn is_hr(caller: &pulse_store::accounts::Caller) -> bool {
    caller.has_role(Role::Hrbp) || caller.has_role(Role::Admin)
}

/// HR edits the whole tree; a manager or director edits the goals of their
/// own unit and the units below it (a team lead adds the team's key results).
pub async fn ensure_unit_in_scope(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    unit_id: i64,
) -> AppResult<()> {
    if is_hr(caller) {
        return Ok(());
    }
    if (caller.has_role(Role::Manager) || caller.has_role(Role::Director))
        && let Some(me) = pulse_store::people::by_id(&state.db, caller.person_id).await?
    {
        let tree = pulse_store::org::Tree::new(pulse_store::org::list(&state.db).await?);
        if tree.path(unit_id).iter().any(|u| u.id == me.org_unit_id) {
            return Ok(());
        }
    }
    Err(AppError::forbidden())
}

/// Renames a unit goal or sets a key result's target, within the caller's
/// scope; company goals are HR's.
pub async fn edit_unit_goal(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    title: Option<&str>,
    target: Option<&str>,
) -> AppResult<()> {
    let g = goals::goal(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("目标", "goal"))?;
    match g.org_unit_id {
        Some(unit) => ensure_unit_in_scope(state, caller, unit).await?,
        None if is_hr(caller) => {}
        None => return Err(AppError::forbidden()),
    }
    if GoalKind::parse(&g.kind) == Some(GoalKind::Company) && !is_hr(caller) {
        return Err(AppError::forbidden());
    }
    let mut tx = state.db.begin().await?;
    goals::edit_unit_goal(&mut tx, &state.actor(caller), id, title, target).await?;
    tx.commit().await?;
    Ok(())
}
