//! Phone-first pages for events and feedback (P1–P3, F1–F4): log a visit,
//! a snapshot or a work order; write the 15-minute card; read replies and
//! answer them; the manager's team view; HR's tag library and settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::feedback::TagRating;
use pulse_store::accounts::Caller;
use pulse_store::events::Event;
use pulse_store::feedback::{self, Card, Tag};
use pulse_store::{customers, points};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::access::form_value as field;
use crate::access::{Me, form_pairs};
use crate::error::{AppError, AppResult};
use crate::feedback_flow::{self, EventInput};
use crate::i18n::Tr;
use crate::pages::{Nav, PageCtx, fmt_ms};

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

fn summary(e: &Event) -> String {
    let p = e.payload();
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match e.kind.as_str() {
        "snapshot" => format!("{} → {}", s("stage"), s("next_step")),
        "visit" => s("purpose"),
        "work_order" => {
            let mut parts = Vec::new();
            if let Some(m) = pulse_domain::events::response_minutes(&p) {
                parts.push(format!("响应 {m} 分钟"));
            }
            if let Some((pl, us)) = pulse_domain::events::parts(&p) {
                parts.push(format!("备件 {us}/{pl}"));
            }
            parts.join(" · ")
        }
        "evaluation" => format!(
            "评分 {}",
            p.get("score").and_then(Value::as_i64).unwrap_or(0)
        ),
        "service_ticket" => s("topic"),
        _ => String::new(),
    }
}

fn event_row(e: &Event, tr: Tr) -> EventRow {
    EventRow {
        id: e.id,
        kind_label: pulse_domain::events::kind_label(&e.kind, tr.0).to_string(),
        takes_card: pulse_domain::events::takes_feedback(&e.kind),
        kind: e.kind.clone(),
        who: e.person_name.clone(),
        customer: e.customer_name.clone().unwrap_or_default(),
        at: fmt_ms(e.occurred_at),
        summary: summary(e),
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

fn card_row(c: &Card) -> CardRow {
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
#[template(path = "feedback.html")]
struct HomePage {
    tr: Tr,
    nav: Nav,
    message: Option<String>,
    balance: i64,
    to_write: Vec<EventRow>,
    events: Vec<EventRow>,
    cards: Vec<CardRow>,
    board: feedback_flow::Leaderboard,
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
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
    let board = feedback_flow::leaderboard(&state, &caller, Some(&unit_code)).await?;
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

#[derive(Template, WebTemplate)]
#[template(path = "feedback_event.html")]
struct EventForm {
    tr: Tr,
    nav: Nav,
    kind: String,
    error: Option<String>,
    customers: Vec<(String, String)>,
    stages: &'static [&'static str],
    values: Vec<(String, String)>,
}

impl EventForm {
    fn is(&self, k: &str, v: &str) -> bool {
        self.values.iter().any(|(n, x)| n == k && x == v)
    }

    fn value(&self, k: &str) -> String {
        self.values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
}

fn form_kind(k: Option<&str>) -> String {
    match k {
        Some("snapshot") => "snapshot",
        Some("work_order") => "work_order",
        _ => "visit",
    }
    .to_string()
}

async fn render_event_form(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    kind: String,
    error: Option<String>,
    values: Vec<(String, String)>,
) -> AppResult<Response> {
    // The rep's own customers first (A-class first), for the picker.
    let customers = customers::owned_by(&state.db, &caller.employee_no).await?;
    let mut res = EventForm {
        tr: ctx.tr,
        nav: ctx.nav,
        kind,
        error: error.clone(),
        customers,
        stages: pulse_domain::events::STAGES,
        values,
    }
    .into_response();
    if error.is_some() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// The form for a visit, a snapshot or a work order.
pub async fn new_event(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<NewQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
    render_event_form(
        &state,
        &caller,
        ctx,
        form_kind(q.kind.as_deref()),
        None,
        Vec::new(),
    )
    .await
}

/// A person types a name or pinyin initials; exact matches win, then a
/// single search hit.
async fn resolve_customer(state: &AppState, text: &str) -> AppResult<Option<Value>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(id) = pulse_store::events::customer_ref(&state.db, text).await? {
        return Ok(Some(Value::from(id)));
    }
    let (hits, total) = customers::list(&state.db, None, None, Some(text), 2).await?;
    if total == 1 {
        return Ok(hits.first().map(|c| Value::from(c.id)));
    }
    Ok(Some(Value::from(text)))
}

fn time_value(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| Value::from(s.replace('T', " ")))
}

/// Records the form's event; a visit goes straight on to its card.
pub async fn create_event(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let kind = form_kind(Some(field(&pairs, "kind").as_str()));
    let mut payload = Map::new();
    for k in ["purpose", "stage", "next_step", "note"] {
        let v = field(&pairs, k);
        if !v.is_empty() {
            payload.insert(k.into(), Value::from(v));
        }
    }
    for k in ["reported_at", "arrived_at", "resolved_at"] {
        if let Some(v) = time_value(&field(&pairs, k)) {
            payload.insert(k.into(), v);
        }
    }
    for k in ["parts_planned", "parts_used"] {
        let v = field(&pairs, k);
        if !v.is_empty() {
            payload.insert(
                k.into(),
                v.parse::<i64>().map_or(Value::from(v), Value::from),
            );
        }
    }
    let input = EventInput {
        kind: kind.clone(),
        employee_no: None,
        customer: resolve_customer(&state, &field(&pairs, "customer")).await?,
        occurred_at: (kind == "work_order")
            .then(|| payload.get("arrived_at").cloned())
            .flatten(),
        payload,
    };
    match feedback_flow::record_event(&state, &caller, &input, None).await {
        Ok((_, json)) => {
            let id = json["id"].as_i64().unwrap_or(0);
            Ok(if pulse_domain::events::takes_feedback(&kind) {
                Redirect::to(&format!("/feedback/events/{id}/card"))
            } else {
                Redirect::to("/feedback?ok=event")
            }
            .into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
            let msg = e.message(ctx.lang()).to_string();
            render_event_form(&state, &caller, ctx, kind, Some(msg), pairs).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback_card.html")]
struct CardForm {
    tr: Tr,
    nav: Nav,
    event: EventRow,
    tags: Vec<Tag>,
    error: Option<String>,
    observation: String,
    chosen: Vec<(i64, i64)>,
}

impl CardForm {
    fn rating_of(&self, tag: &i64) -> i64 {
        self.chosen
            .iter()
            .find(|(t, _)| t == tag)
            .map_or(0, |(_, r)| *r)
    }
}

async fn own_event(state: &AppState, caller: &Caller, id: i64) -> AppResult<Event> {
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let event = own_event(&state, &caller, id).await?;
    if let Some(card) = event.card_id {
        return Ok(Redirect::to(&format!("/feedback/cards/{card}")).into_response());
    }
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
    Ok(CardForm {
        event: event_row(&event, ctx.tr),
        tags: feedback::tags(&state.db, true).await?,
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
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let event = own_event(&state, &caller, id).await?;
    let tags = feedback::tags(&state.db, true).await?;
    let chosen: Vec<(i64, i64)> = tags
        .iter()
        .filter_map(|t| {
            let v = field(&pairs, &format!("rating_{}", t.id));
            (!v.is_empty()).then(|| (t.id, v.parse().unwrap_or(0)))
        })
        .collect();
    let ratings: Vec<TagRating> = chosen
        .iter()
        .filter_map(|(id, r)| {
            tags.iter().find(|t| t.id == *id).map(|t| TagRating {
                tag: t.name.clone(),
                rating: *r,
            })
        })
        .collect();
    let observation = field(&pairs, "observation");
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
            let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
            let mut res = CardForm {
                event: event_row(&event, ctx.tr),
                tags,
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
#[template(path = "feedback_view.html")]
struct CardPage {
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let card = feedback_flow::visible_card(&state, &caller, id).await?;
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
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
    body: String,
) -> AppResult<Response> {
    let text = field(&form_pairs(&body), "body");
    feedback_flow::reply(&state, &caller, id, &text).await?;
    Ok(Redirect::to(&format!("/feedback/cards/{id}?ok=1")).into_response())
}

pub async fn ack(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let answer = field(&form_pairs(&body), "ack");
    let mut tx = state.db.begin().await?;
    feedback::acknowledge(&mut tx, caller.person_id, id, &answer).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/feedback/cards/{id}?ok=1")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback_team.html")]
struct TeamPage {
    tr: Tr,
    nav: Nav,
    cards: Vec<CardRow>,
    events: Vec<EventRow>,
    board: feedback_flow::Leaderboard,
    reports: Vec<(String, String)>,
    message: Option<String>,
    error: Option<String>,
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
    let message = q.ok.map(|_| ctx.tr.t("feedback.saved").to_string());
    render_team(&state, &caller, ctx, message, None).await
}

async fn render_team(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let tr = ctx.tr;
    let reports = pulse_store::people::reports(&state.db, caller.person_id)
        .await?
        .into_iter()
        .map(|p| (p.employee_no, p.name))
        .collect();
    let board = feedback_flow::leaderboard(state, caller, None).await?;
    Ok(TeamPage {
        reports,
        message,
        error,
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

#[derive(Template, WebTemplate)]
#[template(path = "feedback_setup.html")]
struct SetupPage {
    tr: Tr,
    nav: Nav,
    tags: Vec<Tag>,
    window: i64,
    rewards: Vec<points::Reward>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_setup(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    Ok(SetupPage {
        tags: feedback::tags(&state.db, false).await?,
        window: feedback::window_hours(&state.db).await?,
        rewards: points::rewards(&state.db, false).await?,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// HR: the tag library, the points window and the reward catalog.
pub async fn setup(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback_setup").await;
    render_setup(&state, ctx, None, None).await
}

pub async fn setup_save(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(what): Path<String>,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback_setup").await;
    let mut tx = state.db.begin().await?;
    let result: Result<(), pulse_store::StoreError> = match what.as_str() {
        "tag" => feedback::save_tag(
            &mut tx,
            &field(&pairs, "name"),
            &field(&pairs, "description"),
            field(&pairs, "active") != "0",
        )
        .await
        .map(|_| ()),
        "window" => match field(&pairs, "hours").parse::<i64>() {
            Ok(h) => feedback::set_window_hours(&mut tx, h).await,
            Err(_) => feedback::set_window_hours(&mut tx, 0).await,
        },
        "reward" => points::save_reward(
            &mut tx,
            &points::RewardInput {
                name: field(&pairs, "name"),
                kind: field(&pairs, "kind"),
                description: field(&pairs, "description"),
                cost: field(&pairs, "cost").parse().unwrap_or(0),
                stock: field(&pairs, "stock").parse().ok(),
                active: field(&pairs, "active") != "0",
            },
        )
        .await
        .map(|_| ()),
        _ => return Err(AppError::not_found("设置", "setting")),
    };
    match result {
        Ok(()) => {
            tx.commit().await?;
            let ok = ctx.tr.t("feedback.saved").to_string();
            render_setup(&state, ctx, Some(ok), None).await
        }
        Err(e) => {
            drop(tx);
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let msg = e.message(ctx.lang()).to_string();
            render_setup(&state, ctx, None, Some(msg)).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "rewards.html")]
struct RewardsPage {
    tr: Tr,
    nav: Nav,
    balance: i64,
    rewards: Vec<points::Reward>,
    vouchers: Vec<(String, String, String, String)>,
    ledger: Vec<(String, i64, i64, String)>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_rewards(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let tr = ctx.tr;
    Ok(RewardsPage {
        balance: points::balance(&state.db, caller.person_id).await?,
        rewards: points::rewards(&state.db, true).await?,
        vouchers: points::redemptions(&state.db, caller.person_id)
            .await?
            .into_iter()
            .map(|r| {
                let state = if r.state == "fulfilled" {
                    tr.t("rewards.fulfilled")
                } else {
                    tr.t("rewards.pending")
                };
                (
                    r.reward_name,
                    r.voucher_code,
                    fmt_ms(r.created_at),
                    state.to_string(),
                )
            })
            .collect(),
        ledger: points::ledger(&state.db, caller.person_id, 20)
            .await?
            .into_iter()
            .map(|l| {
                let why = match l.reason.as_str() {
                    "feedback_card" => tr.t("rewards.reason.card"),
                    "redeem" => tr.t("rewards.reason.redeem"),
                    _ => tr.t("rewards.reason.other"),
                };
                (
                    fmt_ms(l.created_at),
                    l.delta,
                    l.balance_after,
                    why.to_string(),
                )
            })
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// My points, the catalog and my vouchers.
pub async fn rewards(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rewards").await;
    render_rewards(&state, &caller, ctx, None, None).await
}

pub async fn redeem(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rewards").await;
    match points::redeem(&state.db, caller.person_id, id, None).await {
        Ok(o) => {
            let msg = format!(
                "{} {}（{}）",
                ctx.tr.t("rewards.redeemed"),
                o.redemption.reward_name,
                o.redemption.voucher_code
            );
            render_rewards(&state, &caller, ctx, Some(msg), None).await
        }
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let msg = e.message(ctx.lang()).to_string();
            render_rewards(&state, &caller, ctx, None, Some(msg)).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "rewards_fulfil.html")]
struct FulfilPage {
    tr: Tr,
    nav: Nav,
    pending: Vec<(i64, String, String, String, String)>,
}

/// HR: vouchers waiting to be honoured.
pub async fn fulfil_list(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rewards").await;
    Ok(FulfilPage {
        pending: points::pending_redemptions(&state.db)
            .await?
            .into_iter()
            .map(|(r, no, name)| {
                (
                    r.id,
                    format!("{name}（{no}）"),
                    r.reward_name,
                    r.voucher_code,
                    fmt_ms(r.created_at),
                )
            })
            .collect(),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn fulfil(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    points::fulfil(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/rewards/fulfil").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback_photos.html")]
struct PhotosPage {
    tr: Tr,
    nav: Nav,
    event: EventRow,
    mine: bool,
    photos: Vec<(i64, String, String)>,
    error: Option<String>,
}

async fn render_photos(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    id: i64,
    error: Option<String>,
) -> AppResult<Response> {
    let event = feedback_flow::visible_event(state, caller, id).await?;
    let photos = pulse_store::events::photos(&state.db, id)
        .await?
        .into_iter()
        .map(|p| {
            let taken = p.taken_at.map(fmt_ms).unwrap_or_default();
            (
                p.id,
                taken,
                format!("{:.1} MB", p.bytes as f64 / 1_048_576.0),
            )
        })
        .collect();
    let failed = error.is_some();
    let mut res = PhotosPage {
        mine: event.person_id == caller.person_id,
        event: event_row(&event, ctx.tr),
        photos,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response();
    if failed {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// A work order's photos with the camera upload (P3).
pub async fn photos_page(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
    render_photos(&state, &caller, ctx, id, None).await
}

/// The upload form posts multipart with `_csrf` in the query.
pub async fn photos_upload(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> AppResult<Response> {
    use axum::extract::FromRequest;
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
    let too_large = || {
        AppError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            "照片最大 10 MB",
            "photos are at most 10 MB",
        )
    };
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| {
            AppError::bad_request(format!("上传格式错误：{e}"), format!("bad upload: {e}"))
        })?;
    let mut bytes = None;
    while let Some(field) = mp.next_field().await.map_err(|_| too_large())? {
        if field.name() == Some("photo") {
            bytes = Some(field.bytes().await.map_err(|_| too_large())?.to_vec());
        }
    }
    let result = match bytes {
        Some(b) => feedback_flow::add_photo(&state, &caller, id, b)
            .await
            .map(|_| ()),
        None => Err(AppError::bad_request("请选择照片", "choose a photo")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/feedback/events/{id}/photos")).into_response()),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::NOT_FOUND => {
            let msg = e.message(ctx.lang()).to_string();
            render_photos(&state, &caller, ctx, id, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

/// A manager's own feedback to one of their people (F4).
pub async fn give(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let to = field(&pairs, "employee_no");
    match feedback_flow::give_feedback(&state, &caller, &to, &field(&pairs, "body")).await {
        Ok(_) => Ok(Redirect::to("/feedback/team?ok=1").into_response()),
        Err(e) if e.status.is_client_error() => {
            let ctx = PageCtx::load(&state, &headers, Some(&caller), "feedback").await;
            let msg = e.message(ctx.lang()).to_string();
            render_team(&state, &caller, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}
