use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::inbox::{self, TodoState};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::features::notify::inbox_api::{TodoDto, state_filter};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, fmt_ms};

pub struct TodoView {
    id: i64,
    subject: String,
    link: String,
    due: String,
    overdue: bool,
    open: bool,
    state_label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/inbox.html")]
struct InboxPage {
    tr: Tr,
    nav: Nav,
    filter: String,
    todos: Vec<TodoView>,
    total: i64,
}

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    state: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<InboxQuery>,
) -> AppResult<Response> {
    let ctx = page.at("inbox");
    let filter = state_filter(q.state.as_deref())?;
    let (items, total) = inbox::list(&state.db, caller.person_id, filter, 200, 0).await?;
    let tr = ctx.tr;
    let todos = items
        .into_iter()
        .map(|t| TodoDto::at(t, state.db.now_ms(), tr.0))
        .map(|t| TodoView {
            state_label: match t.state.as_str() {
                "done" => tr.t("inbox.state.done"),
                "dismissed" => tr.t("inbox.state.dismissed"),
                _ => tr.t("inbox.state.open"),
            },
            id: t.id,
            subject: t.subject,
            link: t.link,
            due: t.due_at.map(fmt_ms).unwrap_or_default(),
            overdue: t.overdue,
            open: t.state == "open",
        })
        .collect();
    let filter = filter.map(|f| f.as_str()).unwrap_or("all").to_string();
    Ok(InboxPage {
        tr: ctx.tr,
        nav: ctx.nav,
        filter,
        todos,
        total,
    }
    .into_response())
}

/// The done / dismiss buttons; back to the inbox.
pub async fn close(
    State(state): State<AppState>,
    Me(caller): Me,
    Path((id, action)): Path<(i64, String)>,
) -> AppResult<Response> {
    let to = if action == "dismiss" {
        TodoState::Dismissed
    } else {
        TodoState::Done
    };
    inbox::close_own(&state.db, caller.person_id, id, to).await?;
    Ok(Redirect::to("/inbox").into_response())
}
