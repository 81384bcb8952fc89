//! A manager's team feedback: cards and events of the team, and their own feedback (F4).

use super::pages::*;
use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::features::feedback::service::{self};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pulse_store::accounts::Caller;
use pulse_store::feedback::{self};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_team.html")]
pub(super) struct TeamPage {
    tr: Tr,
    nav: Nav,
    cards: Vec<CardRow>,
    events: Vec<EventRow>,
    board: service::Leaderboard,
    reports: Vec<(String, String)>,
    message: Option<String>,
    error: Option<String>,
    /// The own-feedback form as typed, when it was refused: (to, body).
    draft: (String, String),
}

#[derive(Deserialize)]
pub struct TeamQuery {
    ok: Option<String>,
}

/// The manager's view: the team's latest cards (reply from here) and events.
pub async fn team(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<TeamQuery>,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("feedback");
    let message = q.ok.map(|_| ctx.tr.t("feedback.saved").to_string());
    render_team(&state, &caller, ctx, message, None, Default::default()).await
}

pub(super) async fn render_team(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
    draft: (String, String),
) -> AppResult<Response> {
    let tr = ctx.tr;
    let reports = pulse_store::people::reports(&state.db, caller.person_id)
        .await?
        .into_iter()
        .map(|p| (p.employee_no, p.name))
        .collect();
    let board = service::leaderboard(state, caller, None).await?;
    Ok(TeamPage {
        reports,
        message,
        error,
        draft,
        cards: feedback::team_cards(&state.db, caller.person_id, 30)
            .await?
            .iter()
            .map(card_row)
            .collect(),
        events: pulse_store::events::for_team(&state.db, caller.person_id, 40)
            .await?
            .iter()
            .map(|e| event_row(e, tr))
            .collect(),
        board,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// A manager's own feedback to one of their people (F4).
pub async fn give(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let to = form.text("employee_no");
    let result = service::give_feedback(&state, &caller, &to, &form.text("body")).await;
    rerender_or_redirect(
        result,
        |_| "/feedback/team?ok=1".into(),
        |e| async move {
            let ctx = page.at("feedback");
            let msg = e.message(ctx.lang()).to_string();
            let draft = (form.text("employee_no"), form.text("body"));
            render_team(&state, &caller, ctx, None, Some(msg), draft).await
        },
    )
    .await
}
