use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use pulse_domain::Lang;
use pulse_store::inbox::{self, Todo, TodoState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::ApiQuery;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoDto {
    pub id: i64,
    /// Stable kind of work, e.g. `roster_check`.
    pub kind: String,
    /// In the request's language (the language cookie, else `Accept-Language`).
    pub subject: String,
    /// Path inside Pulse where the work is done.
    pub link: String,
    /// Due instant, milliseconds since the epoch (UTC), or null.
    pub due_at: Option<i64>,
    /// `open`, `done` or `dismissed`.
    pub state: String,
    pub overdue: bool,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl TodoDto {
    /// The to-do as shown at `now` (overdue is relative to it) to a reader of `lang`.
    pub fn at(t: Todo, now: i64, lang: Lang) -> Self {
        TodoDto {
            subject: t.subject_in(lang).to_string(),
            overdue: t.state == "open" && t.due_at.is_some_and(|d| d < now),
            id: t.id,
            kind: t.kind,
            link: t.link,
            due_at: t.due_at,
            state: t.state,
            created_at: t.created_at,
            closed_at: t.closed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoList {
    pub items: Vec<TodoDto>,
    pub total: i64,
    /// Open to-dos, whatever the filter: the badge count.
    pub open: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    /// Default `open`.
    #[param(inline)]
    pub state: Option<StateFilter>,
    /// Default 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    /// Default 50.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateFilter {
    Open,
    Done,
    Dismissed,
    All,
}

impl StateFilter {
    fn todo_state(self) -> Option<TodoState> {
        match self {
            StateFilter::Open => Some(TodoState::Open),
            StateFilter::Done => Some(TodoState::Done),
            StateFilter::Dismissed => Some(TodoState::Dismissed),
            StateFilter::All => None,
        }
    }
}

pub(crate) fn state_filter(s: Option<&str>) -> AppResult<Option<TodoState>> {
    match s.map(str::trim) {
        None | Some("") | Some("open") => Ok(Some(TodoState::Open)),
        Some("all") => Ok(None),
        Some(other) => TodoState::parse(other)
            .map(Some)
            .map_err(|p| AppError::bad_request(p.zh, p.en)),
    }
}

/// The caller's to-dos, soonest due first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(InboxParams),
    responses((status = 200, body = TodoList)))]
pub async fn list(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> AppResult<Json<TodoList>> {
    let filter = p.state.unwrap_or(StateFilter::Open).todo_state();
    let per_page = p.per_page.unwrap_or(50);
    let page = p.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) || !(1..=200).contains(&per_page) {
        return Err(AppError::bad_request(
            "page 需在 1 到 10000 之间，per_page 需在 1 到 200 之间",
            "page must be between 1 and 10000 and per_page between 1 and 200",
        ));
    }
    let (items, total) = inbox::list(
        &state.db,
        caller.person_id,
        filter,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let open = inbox::open_count(&state.db, caller.person_id).await?;
    Ok(Json(TodoList {
        items: items
            .into_iter()
            .map(|t| TodoDto::at(t, state.db.now_ms(), crate::i18n::api_lang(&headers)))
            .collect(),
        total,
        open,
    }))
}

async fn close(
    state: &AppState,
    person_id: i64,
    id: i64,
    to: TodoState,
    lang: Lang,
) -> AppResult<Json<TodoDto>> {
    let todo = inbox::close_own(&state.db, person_id, id, to).await?;
    Ok(Json(TodoDto::at(todo, state.db.now_ms(), lang)))
}

/// Mark one of your open to-dos done.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/done", tag = "inbox",
    responses((status = 200, body = TodoDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn done(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<TodoDto>> {
    let lang = crate::i18n::api_lang(&headers);
    close(&state, caller.person_id, id, TodoState::Done, lang).await
}

/// Dismiss one of your open to-dos.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/dismiss", tag = "inbox",
    responses((status = 200, body = TodoDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<TodoDto>> {
    let lang = crate::i18n::api_lang(&headers);
    close(&state, caller.person_id, id, TodoState::Dismissed, lang).await
}
