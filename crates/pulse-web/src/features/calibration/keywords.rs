//! The HRBP's competency keyword dictionary (C2): which words make a
//! sentence speak of a competency on the middle screen and in the reports.
//! A page for HR and the JSON API integrators script.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::calibration::keywords::{self, Keyword};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordList {
    pub items: Vec<Keyword>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordBody {
    /// The competency, e.g. 复杂谈判策略 (1–30 characters).
    #[schema(min_length = 1, max_length = 30)]
    pub competency: String,
    /// A word that marks a sentence as speaking of it, e.g. 价格异议 (1–20 characters).
    #[schema(min_length = 1, max_length = 20)]
    pub keyword: String,
}

#[utoipa::path(get, path = "/api/v1/competency-keywords", tag = "calibration",
    responses((status = 200, body = KeywordList), (status = 403, body = crate::api::ErrorBody)))]
/// The competency keyword dictionary, in the order it was written.
pub async fn list(State(state): State<AppState>) -> AppResult<Json<KeywordList>> {
    Ok(Json(KeywordList {
        items: keywords::keywords(&state.db).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/competency-keywords", tag = "calibration", request_body = KeywordBody,
    responses((status = 201, body = Keyword), (status = 403, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
/// Adds a keyword to a competency (a new competency starts with its first keyword).
pub async fn add(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<KeywordBody>,
) -> AppResult<(StatusCode, Json<Keyword>)> {
    let k = keywords::save(&state.db, &state.actor(&caller), &b.competency, &b.keyword).await?;
    Ok((StatusCode::CREATED, Json(k)))
}

#[utoipa::path(delete, path = "/api/v1/competency-keywords/{id}", tag = "calibration",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    if keywords::remove(&state.db, &state.actor(&caller), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

fn not_found() -> AppError {
    AppError::not_found("关键词", "keyword")
}

pub struct Group {
    pub competency: String,
    pub words: Vec<Keyword>,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/keywords.html")]
struct KeywordsPage {
    tr: Tr,
    nav: Nav,
    groups: Vec<Group>,
    error: Option<String>,
    typed_competency: String,
    typed_keyword: String,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    error: Option<String>,
    typed: (String, String),
) -> AppResult<Response> {
    let mut groups: Vec<Group> = Vec::new();
    for k in keywords::keywords(&state.db).await? {
        match groups.iter_mut().find(|g| g.competency == k.competency) {
            Some(g) => g.words.push(k),
            None => groups.push(Group {
                competency: k.competency.clone(),
                words: vec![k],
            }),
        }
    }
    Ok(KeywordsPage {
        tr: ctx.tr,
        nav: ctx.nav,
        groups,
        error,
        typed_competency: typed.0,
        typed_keyword: typed.1,
    }
    .into_response())
}

pub async fn page(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    render(&state, page.at("calibration"), None, Default::default()).await
}

pub async fn add_form(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (form.text("competency"), form.text("keyword"));
    let result = keywords::save(&state.db, &state.actor(&caller), &typed.0, &typed.1)
        .await
        .map_err(AppError::from);
    rerender_or_redirect(
        result,
        |_| "/calibration/keywords".to_string(),
        |e| async move {
            let ctx = page.at("calibration");
            let msg = e.message(ctx.lang()).to_string();
            render(&state, ctx, Some(msg), typed).await
        },
    )
    .await
}

pub async fn delete_form(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    // A keyword someone else removed a moment ago is gone either way.
    keywords::remove(&state.db, &state.actor(&caller), id).await?;
    Ok(Redirect::to("/calibration/keywords").into_response())
}
