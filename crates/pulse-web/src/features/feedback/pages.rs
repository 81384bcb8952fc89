//! Phone-first pages for events and feedback (P1–P3, F1–F4): log a visit,
//! a snapshot or a work order; write the 15-minute card; read replies and
//! answer them; the manager's team view; HR's tag library and settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pulse_store::events::Event;
use pulse_store::feedback::{self, Card};
use pulse_store::points;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::features::feedback::service::{self};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, fmt_ms};

pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub who: String,
    pub customer: String,
    pub at: String,
    pub summary: String,
    pub card_id: Option<i64>,
    pub takes_card: bool,
}

pub(super) fn summary(e: &Event, tr: Tr) -> String {
    use pulse_domain::events::EventKind;
    let p = e.payload();
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match EventKind::from_code(&e.kind) {
        Some(EventKind::Snapshot) => format!("{} → {}", s("stage"), s("next_step")),
        Some(EventKind::Visit) => s("purpose"),
        Some(EventKind::WorkOrder) => {
            let mut parts = Vec::new();
            if let Some(m) = pulse_domain::events::response_minutes(&p) {
                parts.push(format!(
                    "{} {m} {}",
                    tr.t("event.response"),
                    tr.t("unit.minutes")
                ));
            }
            if let Some((pl, us)) = pulse_domain::events::parts(&p) {
                parts.push(format!("{} {us}/{pl}", tr.t("event.parts")));
            }
            parts.join(" · ")
        }
        Some(EventKind::Evaluation) => format!(
            "{} {}",
            tr.t("event.score"),
            p.get("score").and_then(Value::as_i64).unwrap_or(0)
        ),
        Some(EventKind::ServiceTicket) => s("topic"),
        Some(EventKind::Delivery) | None => String::new(),
    }
}

pub(super) fn event_row(e: &Event, tr: Tr) -> EventRow {
    EventRow {
        id: e.id,
        kind_label: pulse_domain::events::kind_label(&e.kind, tr.0).to_string(),
        takes_card: pulse_domain::events::takes_feedback(&e.kind),
        kind: e.kind.clone(),
        who: e.person_name.clone(),
        customer: e.customer_name.clone().unwrap_or_default(),
        at: fmt_ms(e.occurred_at),
        summary: summary(e, tr),
        card_id: e.card_id,
    }
}

pub struct CardRow {
    pub id: i64,
    pub author: String,
    pub customer: String,
    pub observation: String,
    pub at: String,
    pub ratings: Vec<(String, i64)>,
    pub replies: usize,
    pub ack: String,
    pub points: i64,
}

pub(super) fn card_row(c: &Card) -> CardRow {
    CardRow {
        id: c.id,
        author: c.author_name.clone(),
        customer: c.customer_name.clone().unwrap_or_default(),
        observation: c.observation.clone(),
        at: fmt_ms(c.created_at),
        ratings: c.ratings.clone(),
        replies: c.replies.len(),
        ack: c.ack.clone().unwrap_or_default(),
        points: c.points_awarded,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback.html")]
pub(super) struct HomePage {
    tr: Tr,
    nav: Nav,
    message: Option<String>,
    balance: i64,
    to_write: Vec<EventRow>,
    events: Vec<EventRow>,
    cards: Vec<CardRow>,
    board: service::Leaderboard,
    /// The manager's own feedback to me (F4): (from, when, text).
    notes: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    ok: Option<String>,
    points: Option<i64>,
}

/// My evidence: what to write a card for, what I logged, my cards, points.
pub async fn home(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<HomeQuery>,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("feedback");
    let tr = ctx.tr;
    let message = q.ok.as_deref().map(|k| match k {
        "card" => match q.points {
            Some(n) if n > 0 => tr.t("feedback.ok_card_point").to_string(),
            _ => tr.t("feedback.ok_card").to_string(),
        },
        _ => tr.t("feedback.ok_event").to_string(),
    });
    let events = pulse_store::events::for_person(&state.db, caller.person_id, 30).await?;
    let window = feedback::window_hours(&state.db).await?;
    let now = state.db.now_ms();
    let to_write = events
        .iter()
        .filter(|e| {
            pulse_domain::events::takes_feedback(&e.kind)
                && e.card_id.is_none()
                && pulse_domain::feedback::in_window(e.occurred_at, now, window)
        })
        .map(|e| event_row(e, tr))
        .collect();
    // The leaderboard of my region (or my unit when I am not in one).
    let tree = state.org_tree().await?;
    let unit_code = tree
        .path(caller.org_unit_id)
        .iter()
        .find(|u| u.kind == "region")
        .map_or(caller.org_unit_code.clone(), |u| u.code.clone());
    let board = service::leaderboard(&state, &caller, Some(&unit_code)).await?;
    let notes = feedback::messages_to(&state.db, caller.person_id, 5)
        .await?
        .into_iter()
        .map(|m| (m.from_name, fmt_ms(m.created_at), m.body))
        .collect();
    Ok(HomePage {
        notes,
        message,
        balance: points::balance(&state.db, caller.person_id).await?,
        to_write,
        events: events.iter().take(15).map(|e| event_row(e, tr)).collect(),
        cards: feedback::cards_of(&state.db, caller.person_id, 10)
            .await?
            .iter()
            .map(card_row)
            .collect(),
        board,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}
