//! 工作台: one page per person with today's work (issue 13 §1).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::service::{self, Attention, CardToWrite, GoalLine, TeamLine, TodoLine};
use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::{Nav, Page};

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
struct HomePage {
    tr: Tr,
    nav: Nav,
    name: String,
    todos: Vec<TodoLine>,
    open_todos: i64,
    to_write: Vec<CardToWrite>,
    period: String,
    score: Option<String>,
    goals: Vec<GoalLine>,
    balance: i64,
    team: Vec<TeamLine>,
    team_average: String,
    flags: Vec<String>,
    attention: Vec<Attention>,
    /// Where the caller may go from here (route table permitting).
    can_team: bool,
    can_digests: bool,
    can_workbook: bool,
    can_people: bool,
}

pub async fn home(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("home");
    let h = service::load(&state, &caller, ctx.lang()).await?;
    let may = |p: &str| crate::menu::may(&caller, "GET", p);
    Ok(HomePage {
        can_team: !h.team.is_empty() && may("/goals/team"),
        can_digests: may("/digests"),
        can_workbook: !h.team.is_empty() && may("/export/team.xlsx"),
        can_people: may("/people/{employee_no}"),
        name: h.name,
        todos: h.todos,
        open_todos: h.open_todos,
        to_write: h.to_write,
        period: h.period,
        score: h.score,
        goals: h.goals,
        balance: h.balance,
        team: h.team,
        team_average: h.team_average,
        flags: h.flags,
        attention: h.attention,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}
