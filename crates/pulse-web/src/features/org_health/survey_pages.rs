//! The trust survey's pages: HR's list and launch form with each survey's
//! results per region under the anonymity rule; the respondent's phone page
//! with the PIPL notice (what is stored, and that the answer cannot be
//! traced to them).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::health::surveys::{self, NewSurvey, Standing, Survey};
use pulse_store::health::{self};

use super::api::{self, OptionDto, ResultsDto};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

pub struct SurveyRow {
    pub s: Survey,
    pub opened: String,
    /// The survey's whole population, then each region (or child unit).
    pub results: Vec<ResultsDto>,
}

#[derive(Template, WebTemplate)]
#[template(path = "org_health/surveys.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    rows: Vec<SurveyRow>,
    units: Vec<(String, String)>,
    error: Option<String>,
    typed: (String, String, String),
}

async fn render_list(
    state: &AppState,
    ctx: PageCtx,
    error: Option<String>,
    typed: Option<(String, String, String)>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let tree = state.org_tree().await?;
    let mut rows = Vec::new();
    for s in surveys::list(&state.db).await? {
        let r = surveys::results(&state.db, &tree, &s).await?;
        let mut units = vec![s.org_unit_id];
        let root_kind = tree.get(s.org_unit_id).map(|u| u.kind.clone());
        if root_kind.as_deref() == Some("region") {
            units.extend(tree.children(Some(s.org_unit_id)).map(|u| u.id));
        } else {
            let under = health::subtree(&tree, s.org_unit_id);
            units.extend(
                tree.units
                    .iter()
                    .filter(|u| u.kind == "region" && under.contains(&u.id))
                    .map(|u| u.id),
            );
        }
        let results = units
            .iter()
            .filter_map(|u| tree.get(*u))
            .map(|u| {
                api::results_dto(
                    &s,
                    super::dto::UnitRef {
                        code: u.code.clone(),
                        name: u.name.clone(),
                    },
                    &r.cell(&tree, u.id),
                    lang,
                )
            })
            .collect();
        rows.push(SurveyRow {
            opened: crate::pages::fmt_ms(s.opened_at),
            s,
            results,
        });
    }
    let units = tree
        .units
        .iter()
        .filter(|u| u.parent_id.is_none() || u.kind == "region")
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let min = health::settings(&state.db).await?.min_group;
    Ok(ListPage {
        rows,
        units,
        error,
        typed: typed.unwrap_or((String::new(), String::new(), min.to_string())),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /health/surveys` (HR).
pub async fn list(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    render_list(&state, page.at("health"), None, None).await
}

/// `POST /health/surveys` (HR): launches; a refusal keeps what was typed.
pub async fn launch(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (
        form.text("title"),
        form.text("unit"),
        form.text("min_group"),
    );
    let result = async {
        let tree = state.org_tree().await?;
        let unit_id = tree
            .units
            .iter()
            .find(|u| u.code == typed.1)
            .or_else(|| tree.children(None).next().filter(|_| typed.1.is_empty()))
            .map(|u| u.id)
            .ok_or_else(|| AppError::not_found("组织单元", "org unit"))?;
        let min_group = typed.2.parse::<i64>().map_err(|_| {
            AppError::bad_request(
                "最小展示人数请填写整数",
                "the minimum group size is a whole number",
            )
        })?;
        Ok::<i64, AppError>(
            surveys::launch(
                &state.db,
                &state.actor(&caller),
                &tree,
                &NewSurvey {
                    title: typed.0.clone(),
                    unit_id,
                    min_group,
                },
            )
            .await?,
        )
    }
    .await;
    rerender_or_redirect(
        result,
        |id| format!("/health/surveys#survey-{id}"),
        |e| async move {
            let ctx = page.at("health");
            let msg = e.message(ctx.lang()).to_string();
            render_list(&state, ctx, Some(msg), Some(typed)).await
        },
    )
    .await
}

/// `POST /health/surveys/{id}/close` (HR).
pub async fn close(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    api::survey_of(&state, id).await?;
    surveys::close(&state.db, &state.actor(&caller), id).await?;
    Ok(Redirect::to(&format!("/health/surveys#survey-{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "org_health/survey.html")]
struct AnswerPage {
    tr: Tr,
    nav: Nav,
    s: Survey,
    question: &'static str,
    options: Vec<OptionDto>,
    me: Standing,
    is_hr: bool,
    error: Option<String>,
    chosen: String,
}

impl AnswerPage {
    fn answered(&self) -> bool {
        self.me == Standing::Answered
    }
    fn invited(&self) -> bool {
        self.me == Standing::Invited
    }
}

async fn render_answer(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    error: Option<String>,
    chosen: String,
) -> AppResult<Response> {
    let s = api::survey_of(state, id).await?;
    let me = surveys::standing(&state.db, id, caller.person_id).await?;
    let is_hr = service::is_hr(caller);
    if me == Standing::Outside && !is_hr {
        return Err(AppError::not_found("调查", "survey"));
    }
    let lang = ctx.lang();
    Ok(AnswerPage {
        question: if lang == pulse_domain::Lang::Zh {
            pulse_domain::health::QUESTION.0
        } else {
            pulse_domain::health::QUESTION.1
        },
        options: api::options(lang),
        s,
        me,
        is_hr,
        error,
        chosen,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /health/surveys/{id}`: the question, the options and the notice.
pub async fn answer_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render_answer(&state, page.at("inbox"), &caller, id, None, String::new()).await
}

/// `POST /health/surveys/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let chosen = form.text("answer");
    let result = async {
        api::survey_of(&state, id).await?;
        let option = pulse_domain::health::parse_answer(&chosen).map_err(AppError::invalid)?;
        surveys::respond(
            &state.db,
            &state.actor(&caller),
            id,
            caller.person_id,
            option,
        )
        .await
        .map_err(AppError::from)
    }
    .await;
    rerender_or_redirect(
        result,
        |_| format!("/health/surveys/{id}"),
        |e| async move {
            let ctx = page.at("inbox");
            let msg = e.message(ctx.lang()).to_string();
            render_answer(&state, ctx, &caller, id, Some(msg), chosen).await
        },
    )
    .await
}
