//! The 15-minute card: the form, its submission, the card view with replies and the acknowledgement (F1, F2, F4).

use super::pages::*;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::feedback::service::{self};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, fmt_ms};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::feedback::TagRating;
use pulse_store::accounts::Caller;
use pulse_store::events::Event;
use pulse_store::feedback::{self, Card, Tag};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_card.html")]
pub(super) struct CardForm {
    tr: Tr,
    nav: Nav,
    event: EventRow,
    /// The author's family's tags first, then the ones for everyone.
    tags: Vec<Tag>,
    /// Other families' tags, folded away.
    other_tags: Vec<Tag>,
    error: Option<String>,
    observation: String,
    /// Picked tags and their rating (0 while unrated).
    chosen: Vec<(i64, i64)>,
}

impl CardForm {
    fn rating_of(&self, tag: &i64) -> i64 {
        self.chosen
            .iter()
            .find(|(t, _)| t == tag)
            .map_or(0, |(_, r)| *r)
    }

    fn is_picked(&self, tag: &i64) -> bool {
        self.chosen.iter().any(|(t, _)| t == tag)
    }
}

/// The library split for one author: their family's own tags, then the
/// general ones, and apart the other families' tags (a sales rep does not
/// start at 故障诊断).
pub(super) fn tags_for(tags: Vec<Tag>, family: &str) -> (Vec<Tag>, Vec<Tag>) {
    let (mut mine, others): (Vec<Tag>, Vec<Tag>) = tags
        .into_iter()
        .partition(|t| t.job_family.is_empty() || t.job_family == family);
    // Stable: the library's order within each group.
    mine.sort_by_key(|t| t.job_family.is_empty());
    (mine, others)
}

/// The author's job family (for the tag order).
async fn family_of(state: &AppState, caller: &Caller) -> AppResult<String> {
    Ok(pulse_store::people::by_id(&state.db, caller.person_id)
        .await?
        .map(|p| p.job_family)
        .unwrap_or_default())
}

/// The tags a card form picked and rated. With the chips (`pick_<id>`) a tag
/// counts when picked, rated or not (so the refusal can say which one to
/// rate); a form of plain ratings (`rating_<id>`) counts the rated ones.
pub(super) fn picked(form: &FormFields, tags: &[Tag]) -> Vec<(i64, i64)> {
    let chips = form.pairs().iter().any(|(k, _)| k.starts_with("pick_"));
    tags.iter()
        .filter_map(|t| {
            let rating = form.text(&format!("rating_{}", t.id));
            let on = if chips {
                !form.text(&format!("pick_{}", t.id)).is_empty()
            } else {
                !rating.is_empty()
            };
            on.then(|| (t.id, rating.parse().unwrap_or(0)))
        })
        .collect()
}

pub(super) async fn own_event(state: &AppState, caller: &Caller, id: i64) -> AppResult<Event> {
    pulse_store::events::by_id(&state.db, id)
        .await?
        .filter(|e| e.person_id == caller.person_id)
        .ok_or_else(|| AppError::not_found("拜访", "visit"))
}

/// The 15-minute card for one of my visits.
pub async fn card_form(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
) -> AppResult<Response> {
    let event = own_event(&state, &caller, id).await?;
    if let Some(card) = event.card_id {
        return Ok(Redirect::to(&format!("/feedback/cards/{card}")).into_response());
    }
    let ctx = page.at("feedback");
    let (tags, other_tags) = tags_for(
        feedback::tags(&state.db, true).await?,
        &family_of(&state, &caller).await?,
    );
    Ok(CardForm {
        event: event_row(&event, ctx.tr),
        tags,
        other_tags,
        error: None,
        observation: String::new(),
        chosen: Vec::new(),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// Submits the card: tags are the `rating_<tag id>` fields given a value.
pub async fn submit_card(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let event = own_event(&state, &caller, id).await?;
    let tags = feedback::tags(&state.db, true).await?;
    let chosen = picked(&form, &tags);
    let ratings: Vec<TagRating> = chosen
        .iter()
        .filter_map(|(id, r)| {
            tags.iter().find(|t| t.id == *id).map(|t| TagRating {
                tag: t.name.clone(),
                rating: *r,
            })
        })
        .collect();
    let observation = form.text("observation");
    match feedback::submit(
        &state.db,
        caller.person_id,
        id,
        &ratings,
        &observation,
        None,
    )
    .await
    {
        Ok(outcome) => Ok(Redirect::to(&format!(
            "/feedback?ok=card&points={}",
            outcome.points_awarded
        ))
        .into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let ctx = page.at("feedback");
            let (tags, other_tags) = tags_for(tags, &family_of(&state, &caller).await?);
            let mut res = CardForm {
                event: event_row(&event, ctx.tr),
                tags,
                other_tags,
                error: Some(e.message(ctx.lang()).to_string()),
                observation,
                chosen,
                tr: ctx.tr,
                nav: ctx.nav,
            }
            .into_response();
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_view.html")]
pub(super) struct CardPage {
    tr: Tr,
    nav: Nav,
    card: Card,
    at: String,
    mine: bool,
    replies: Vec<(String, String, String)>,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct CardQuery {
    ok: Option<String>,
}

/// A card with its ratings and replies; the author answers, a manager replies.
pub async fn view_card(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    Query(q): Query<CardQuery>,
    page: Page,
) -> AppResult<Response> {
    let card = service::visible_card(&state, &caller, id).await?;
    let ctx = page.at("feedback");
    let message = q.ok.map(|_| ctx.tr.t("feedback.saved").to_string());
    Ok(CardPage {
        at: fmt_ms(card.created_at),
        mine: card.author_id == caller.person_id,
        replies: card
            .replies
            .iter()
            .map(|m| (m.from_name.clone(), fmt_ms(m.created_at), m.body.clone()))
            .collect(),
        card,
        message,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn reply(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let text = form.text("body");
    service::reply(&state, &caller, id, &text).await?;
    Ok(Redirect::to(&format!("/feedback/cards/{id}?ok=1")).into_response())
}

pub async fn ack(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let answer = form.text("ack");
    let mut tx = state.db.begin().await?;
    feedback::acknowledge(&mut tx, caller.person_id, id, &answer).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/feedback/cards/{id}?ok=1")).into_response())
}
