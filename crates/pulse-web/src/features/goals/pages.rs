//! Goal pages (G1–G6): my goal board on the phone, the request and decision
//! of a target adjustment, the manager's team board, the HRBP rules page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::Lang;
use pulse_domain::weights::percent;
use pulse_store::{adjustments, goals, people};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self, GoalDto};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};

pub struct GoalCard {
    id: i64,
    title: String,
    kind: String,
    weight: String,
    base_weight: String,
    rule_adjusted: bool,
    target: String,
    actual: String,
    progress: String,
    /// 0–100, the bar's width.
    bar: i64,
    chain: Vec<String>,
    weighted: bool,
}

/// A value with its unit: 66%, 120 万元.
fn with_unit(v: &str, unit: &str) -> String {
    match unit {
        "" => v.to_string(),
        "%" => format!("{v}%"),
        u => format!("{v} {u}"),
    }
}

pub(super) fn card(g: GoalDto) -> GoalCard {
    let unit = g.unit.clone().unwrap_or_default();
    let show = |v: &Option<String>| {
        v.as_ref()
            .map(|t| with_unit(t, &unit))
            .unwrap_or_else(|| "—".into())
    };
    GoalCard {
        rule_adjusted: g.weight_changed_by_rule(),
        weight: percent(g.weight_bp),
        base_weight: percent(g.base_weight_bp),
        target: show(&g.target),
        actual: show(&g.actual),
        progress: percent(g.progress_bp),
        bar: (g.progress_bp / 100).clamp(0, 100),
        chain: g.chain.iter().map(|c| c.title.clone()).collect(),
        weighted: pulse_domain::goals::is_weighted(&g.kind),
        id: g.id,
        title: g.title,
        kind: g.kind,
    }
}

pub struct AdjView {
    id: i64,
    goal_title: String,
    change: String,
    reason: String,
    state: String,
    requester: String,
    approver: String,
    created: String,
    decided: String,
    comment: String,
}

pub(super) fn adj_view(a: adjustments::Adjustment) -> AdjView {
    AdjView {
        id: a.id,
        change: format!(
            "{} → {}",
            with_unit(&a.old_target, &a.unit),
            with_unit(&a.new_target, &a.unit)
        ),
        goal_title: a.goal_title,
        reason: a.reason,
        state: a.state,
        requester: a.requester_name,
        approver: a.approver_name,
        created: fmt_ms(a.created_at),
        decided: a.decided_at.map(fmt_ms).unwrap_or_default(),
        comment: a.comment,
    }
}

pub struct HistView {
    at: String,
    goal_title: String,
    change: String,
    cause: String,
    note: String,
    actor: String,
}

pub(super) fn cause_label(cause: &str, lang: Lang) -> String {
    match cause {
        "rule" => lang.pick("规则调整", "rule"),
        "rule_ended" => lang.pick("规则结束", "rule ended"),
        "manual" => lang.pick("手工调整", "manual"),
        "template" => lang.pick("岗位模板", "template"),
        "import" => lang.pick("导入", "import"),
        "adjustment" => lang.pick("微调审批", "adjustment"),
        other => other,
    }
    .to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "goals/goals.html")]
pub(super) struct GoalsPage {
    tr: Tr,
    nav: Nav,
    own: bool,
    employee_no: String,
    name: String,
    period: String,
    period_open: bool,
    total: String,
    score: String,
    cards: Vec<GoalCard>,
    requests: Vec<AdjView>,
    /// Requests replaced by a newer one, shown folded.
    withdrawn: Vec<AdjView>,
    history: Vec<HistView>,
    message: Option<String>,
    error: Option<String>,
    /// What a refused goal form had typed, to show it again in place.
    draft: Option<Draft>,
}

/// A refused form on one goal card: which form, and what was typed.
pub(super) struct Draft {
    pub goal_id: i64,
    /// "check_in" or "request".
    pub form: &'static str,
    pub fields: Vec<(&'static str, String)>,
}

impl GoalsPage {
    fn draft_open(&self, goal_id: &i64, form: &str) -> bool {
        self.draft
            .as_ref()
            .is_some_and(|d| d.goal_id == *goal_id && d.form == form)
    }

    fn draft_value(&self, goal_id: &i64, form: &str, field: &str) -> &str {
        match &self.draft {
            Some(d) if d.goal_id == *goal_id && d.form == form => d
                .fields
                .iter()
                .find(|(k, _)| *k == field)
                .map_or("", |(_, v)| v.as_str()),
            _ => "",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    person: Option<String>,
    period: Option<String>,
    requested: Option<String>,
    /// Set by the redirect after a check-in (POST-redirect-GET).
    checked_in: Option<String>,
}

#[allow(clippy::too_many_arguments)] // the board's query, its messages and a refused form's draft
pub(super) async fn render_board(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    employee_no: Option<&str>,
    period: Option<&str>,
    message: Option<String>,
    error: Option<String>,
    draft: Option<Draft>,
) -> AppResult<Response> {
    let me = people::by_id(&state.db, caller.person_id)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let no = employee_no.unwrap_or(&me.employee_no);
    let board = service::board(state, caller, no, period).await?;
    let own = board.employee_no == me.employee_no;
    let lang = ctx.lang();
    let (requests, history) = match service::period(state, period).await? {
        Some(p) => {
            let person = people::by_employee_no(&state.db, &board.employee_no).await?;
            let history = match &person {
                Some(p2) => goals::weight_history(&state.db, p2.id, p.id)
                    .await?
                    .into_iter()
                    .take(30)
                    .map(|h| HistView {
                        at: fmt_ms(h.at),
                        goal_title: h.goal_title,
                        change: format!("{} → {}", percent(h.before_bp), percent(h.after_bp)),
                        cause: cause_label(&h.cause, lang),
                        note: h.note,
                        actor: pulse_domain::i18n::actor_label(&h.actor, lang).to_string(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            let requests = if own {
                adjustments::for_person(&state.db, caller.person_id, 50)
                    .await?
                    .into_iter()
                    .map(adj_view)
                    .collect()
            } else {
                Vec::new()
            };
            (requests, history)
        }
        None => (Vec::new(), Vec::new()),
    };
    let (withdrawn, requests): (Vec<AdjView>, Vec<AdjView>) = requests
        .into_iter()
        .partition(|a: &AdjView| a.state == "withdrawn");
    Ok(GoalsPage {
        withdrawn,
        draft,
        own,
        employee_no: board.employee_no,
        name: board.name,
        period: board
            .period
            .as_ref()
            .map(|p| pulse_domain::goals::period_label(&p.code, &p.name, ctx.tr.0))
            .unwrap_or_default(),
        period_open: board.period.as_ref().is_some_and(|p| p.state == "open"),
        total: percent(board.weight_total_bp),
        score: percent(board.score_bp),
        cards: board.items.into_iter().map(card).collect(),
        requests,
        history,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn board(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<BoardQuery>,
) -> AppResult<Response> {
    let ctx = page.at("goals");
    let lang = ctx.lang();
    let message = if q.requested.is_some() {
        Some(lang.pick("微调申请已提交，等待审批", "Request sent for approval"))
    } else if q.checked_in.is_some() {
        Some(lang.pick(
            "打卡已记录，进度和加权得分已更新",
            "Check-in recorded: progress and weighted score updated",
        ))
    } else {
        None
    }
    .map(str::to_string);
    render_board(
        &state,
        ctx,
        &caller,
        q.person.as_deref(),
        q.period.as_deref(),
        message,
        None,
        None,
    )
    .await
}

/// The caller's board again after a goal form was refused: the reason and
/// what was typed stay on the card the form belongs to.
async fn refused(
    state: AppState,
    page: Page,
    caller: pulse_store::accounts::Caller,
    e: AppError,
    draft: Draft,
) -> AppResult<Response> {
    let ctx = page.at("goals");
    let msg = e.message(ctx.lang()).to_string();
    render_board(
        &state,
        ctx,
        &caller,
        None,
        None,
        None,
        Some(msg),
        Some(draft),
    )
    .await
}

/// The "申请微调" form on a goal card.
pub async fn request(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let get = |k: &str| form.text(k);
    let goal_id: i64 = get("goal_id").trim().parse().unwrap_or(0);
    let result =
        service::request_adjustment(&state, &caller, goal_id, &get("new_target"), &get("reason"))
            .await;
    let draft = Draft {
        goal_id,
        form: "request",
        fields: vec![("new_target", get("new_target")), ("reason", get("reason"))],
    };
    rerender_or_redirect(
        result,
        |_| "/goals?requested=1".into(),
        |e| refused(state, page, caller, e, draft),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "goals/goal_adjustment.html")]
pub(super) struct AdjustmentPage {
    tr: Tr,
    nav: Nav,
    a: AdjView,
    can_decide: bool,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn render_adjustment(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let a = service::adjustment_for(state, caller, id).await?;
    Ok(AdjustmentPage {
        can_decide: a.state == "pending" && a.approver_id == caller.person_id,
        a: adj_view(a),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct AdjustmentQuery {
    /// Set by the redirect after a decision (POST-redirect-GET).
    decided: Option<String>,
}

pub async fn adjustment(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<AdjustmentQuery>,
) -> AppResult<Response> {
    let ctx = page.at("goals");
    let message = match q.decided {
        Some(_) => {
            let a = service::adjustment_for(&state, &caller, id).await?;
            let lang = ctx.lang();
            match a.state.as_str() {
                "approved" => Some(lang.pick(
                    "已批准，新目标即时生效",
                    "Approved: the new target applies now",
                )),
                "rejected" => Some(lang.pick("已驳回", "Rejected")),
                _ => None,
            }
            .map(str::to_string)
        }
        None => None,
    };
    render_adjustment(&state, ctx, &caller, id, message, None).await
}

pub async fn decide(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let get = |k: &str| form.text(k);
    let approve = get("decision") == "approve";
    let result = service::decide_adjustment(&state, &caller, id, approve, &get("comment")).await;
    rerender_or_redirect(
        result,
        |_| format!("/goals/adjustments/{id}?decided=1"),
        |e| async move {
            let ctx = page.at("goals");
            let msg = e.message(ctx.lang()).to_string();
            render_adjustment(&state, ctx, &caller, id, None, Some(msg)).await
        },
    )
    .await
}

/// The "打卡" form on a goal card (G7).
pub async fn check_in(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let get = |k: &str| form.text(k);
    let result = service::check_in(&state, &caller, id, &get("actual"), &get("note")).await;
    let draft = Draft {
        goal_id: id,
        form: "check_in",
        fields: vec![("actual", get("actual")), ("note", get("note"))],
    };
    rerender_or_redirect(
        result,
        |g| format!("/goals?checked_in={}", g.id),
        |e| refused(state, page, caller, e, draft),
    )
    .await
}
