//! A person's pages: their outcomes with the causal chain (L3) — HR can
//! reverse one here — and their development path (T1) with its clicks logged.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::linkage::{outcomes, paths};
use pulse_store::people::Person;
use serde::Deserialize;

use super::dto::{self, OutcomeDto};
use super::path_api::{self, DevelopmentPath};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

#[derive(Template, WebTemplate)]
#[template(path = "linkage/person.html")]
struct OutcomesPage {
    tr: Tr,
    nav: Nav,
    person: Person,
    own: bool,
    items: Vec<OutcomeDto>,
    can_reverse: bool,
    error: Option<(i64, String)>,
    typed_reason: String,
}

async fn render_outcomes(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    person: Person,
    error: Option<(i64, String)>,
    typed_reason: String,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let items = outcomes::of_person(&state.db, person.id)
        .await?
        .iter()
        .map(|o| dto::outcome_dto(o, lang))
        .collect();
    Ok(OutcomesPage {
        own: person.id == caller.person_id,
        can_reverse: service::is_hr(caller),
        person,
        items,
        error,
        typed_reason,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /me/outcomes`: what I got and why.
pub async fn mine(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &caller.employee_no).await?;
    render_outcomes(
        &state,
        page.at("outcomes"),
        &caller,
        person,
        None,
        String::new(),
    )
    .await
}

/// `GET /people/{employee_no}/outcomes`: the same for a manager's or HR's scope.
pub async fn of_person(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(employee_no): Path<String>,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    render_outcomes(
        &state,
        page.at("linkage"),
        &caller,
        person,
        None,
        String::new(),
    )
    .await
}

/// `POST /linkage/outcomes/{id}/reverse` (HR): a refusal keeps the reason typed.
pub async fn reverse(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let reason = form.text("reason");
    let o = outcomes::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("结果", "outcome"))?;
    let result = outcomes::reverse(
        &state.db,
        &state.actor(&caller),
        id,
        &reason,
        &state.config.public_url,
    )
    .await
    .map_err(AppError::from);
    let no = o.employee_no.clone();
    rerender_or_redirect(
        result,
        |_| {
            format!(
                "/people/{}/outcomes#outcome-{id}",
                crate::access::urlencode(&no)
            )
        },
        |e| async move {
            let ctx = page.at("linkage");
            let msg = e.message(ctx.lang()).to_string();
            let person = service::visible(&state, &caller, &o.employee_no).await?;
            render_outcomes(&state, ctx, &caller, person, Some((id, msg)), reason).await
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "linkage/path.html")]
struct PathPage {
    tr: Tr,
    nav: Nav,
    own: bool,
    p: DevelopmentPath,
    opened: String,
    click_action: String,
}

impl PathPage {
    fn score(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.0}"))
            .unwrap_or_else(|| self.tr.t("linkage.no_data").to_string())
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct PathQuery {
    opened: Option<String>,
}

async fn render_path(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    person: &Person,
    opened: String,
) -> AppResult<Response> {
    let p = path_api::path_dto(state, person, ctx.lang()).await?;
    paths::log(&state.db, person.id, caller.person_id, "view", "").await?;
    Ok(PathPage {
        own: person.id == caller.person_id,
        click_action: format!(
            "/people/{}/development/click",
            crate::access::urlencode(&person.employee_no)
        ),
        p,
        opened,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /me/development`.
pub async fn my_path(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<PathQuery>,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &caller.employee_no).await?;
    render_path(
        &state,
        page.at("outcomes"),
        &caller,
        &person,
        q.opened.unwrap_or_default(),
    )
    .await
}

/// `GET /people/{employee_no}/development`: the manager-as-coach's view.
pub async fn path_of(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(employee_no): Path<String>,
    Query(q): Query<PathQuery>,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    render_path(
        &state,
        page.at("linkage"),
        &caller,
        &person,
        q.opened.unwrap_or_default(),
    )
    .await
}

/// `POST /people/{employee_no}/development/click`: logs interest in a
/// suggestion (H3) and shows it noted.
pub async fn click(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    let target: String = form.text("target").chars().take(80).collect();
    if target.is_empty() {
        return Err(AppError::bad_request(
            "请选择一项建议",
            "choose a suggestion",
        ));
    }
    paths::log(&state.db, person.id, caller.person_id, "click", &target).await?;
    let base = if person.id == caller.person_id {
        "/me/development".to_string()
    } else {
        format!(
            "/people/{}/development",
            crate::access::urlencode(&person.employee_no)
        )
    };
    Ok(Redirect::to(&format!(
        "{base}?opened={}#learning",
        crate::access::urlencode(&target)
    ))
    .into_response())
}
