//! Events (P5), feedback cards (F1, F4), points and rewards (F2), the
//! leaderboard (F3).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pulse_domain::feedback::TagRating;
use pulse_store::feedback::{self, Card, CardOutcome, Tag};
use pulse_store::points::{self, LedgerRow, RedeemOutcome, Redemption, Reward};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::features::feedback::service::{self, EventInput};
use crate::{AppState, idempotency};

/// Record a business event: `{"type": "visit", "customer_id": 12,
/// "occurred_at": "2026-11-28T10:30:00+08:00", "payload": {...}}`. Types:
/// visit, snapshot (stage, next_step), work_order (reported_at, arrived_at,
/// resolved_at, parts_planned, parts_used), service_ticket, evaluation
/// (score 1–5), delivery (due_at, delivered_at). With an `Idempotency-Key`
/// header a retry returns the first answer and creates nothing.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key, 1–200 visible ASCII characters", pattern = r"^[\x21-\x7e]{1,200}$")),
    request_body = EventBody,
    responses((status = 201, body = serde_json::Value), (status = 400, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_event(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let key = idempotency::from_headers(&headers, &caller, "events", &body)?;
    if let Some(earlier) = idempotency::earlier(&state, key.as_ref()).await? {
        return Ok(earlier);
    }
    let input = EventInput::from_json(&body)?;
    match service::record_event(&state, &caller, &input, key.as_ref()).await {
        Ok((status, json)) => Ok((status, Json(json)).into_response()),
        Err(e) if idempotency::is_race(&e) => {
            idempotency::after_race(&state, key.as_ref().expect("a race needs a key")).await
        }
        Err(e) => Err(e),
    }
}

/// The documented shape of an event. The handler reads the body as JSON
/// and folds any other top-level field into `payload` (a CRM's own fields
/// travel with the event as evidence), so unknown fields are allowed here.
/// Which payload fields a type needs, and their order in time, is checked
/// per type and answered with 422 and a specific code.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct EventBody {
    #[schema(value_type = crate::api::vocab::EventKind)]
    r#type: String,
    /// Whose event (HR and system tokens only); default the caller.
    #[schema(max_length = 32)]
    employee_no: Option<String>,
    #[schema(value_type = Option<crate::api::vocab::CustomerRef>)]
    customer_id: Option<String>,
    /// Default now; never later than now.
    #[schema(value_type = Option<crate::api::vocab::Instant>)]
    occurred_at: Option<String>,
    /// visit: `note`; snapshot: `stage`, `next_step` (1–100 characters);
    /// work_order: `reported_at`, `arrived_at`, `resolved_at`, `parts_planned`,
    /// `parts_used`; service_ticket; evaluation: `score` 1–5; delivery:
    /// `due_at`, `delivered_at`. `note` is at most 500 characters.
    #[schema(value_type = Option<Object>)]
    payload: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Someone in your scope; default yourself.
    pub employee_no: Option<String>,
    /// At most this many, newest first (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
}

/// A person's latest events.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams), responses((status = 200, body = EventList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiQuery(p): ApiQuery<EventParams>,
) -> AppResult<Json<EventList>> {
    let person_id = match p.employee_no.as_deref().filter(|s| !s.is_empty()) {
        None => caller.person_id,
        Some(no) => {
            pulse_store::people::get_visible(&state.db, &caller.viewer(), no)
                .await?
                .ok_or_else(|| AppError::not_found("员工", "person"))?
                .id
        }
    };
    let items = pulse_store::events::for_person(
        &state.db,
        person_id,
        crate::api::limit(p.limit, 50, 500)?,
    )
    .await?
    .into_iter()
    .map(|e| {
        serde_json::json!({
            "id": e.id, "type": e.kind, "employee_no": e.employee_no, "customer_id": e.customer_id,
            "customer_name": e.customer_name, "occurred_at": e.occurred_at, "payload": e.payload(),
            "source": e.source, "card_id": e.card_id,
        })
    })
    .collect();
    Ok(Json(EventList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Tag>,
}

/// The feedback tag library (active tags, in the HRBP's order).
#[utoipa::path(get, path = "/api/v1/feedback-tags", tag = "feedback", responses((status = 200, body = TagList)))]
pub async fn tags(State(state): State<AppState>, _me: Me) -> AppResult<Json<TagList>> {
    Ok(Json(TagList {
        items: feedback::tags(&state.db, true).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    /// At most 100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub description: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// The job family whose cards show the tag first; empty for every
    /// family; absent keeps the stored one.
    #[schema(max_length = 32, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub job_family: Option<String>,
}

fn yes() -> bool {
    true
}

/// Add or change a tag by name; `active: false` retires it (HR).
#[utoipa::path(put, path = "/api/v1/feedback-tags/{name}", tag = "feedback", request_body = TagBody,
    params(("name" = String, Path, description = "The tag, 1–16 characters", max_length = 16, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_tag(
    State(state): State<AppState>,
    _me: Me,
    Path(name): Path<String>,
    ApiJson(b): ApiJson<TagBody>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    feedback::save_tag(
        &mut tx,
        &name,
        &b.description,
        b.active,
        b.job_family.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagRatingBody {
    /// A tag of the library.
    #[schema(min_length = 1, max_length = 16)]
    pub tag: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardBody {
    /// The caller's visit or work order the card is about.
    pub event_id: i64,
    /// Exactly three different tags, each rated 1–5.
    #[schema(min_items = 3, max_items = 3)]
    pub tags: Vec<TagRatingBody>,
    /// One key observation, 1–20 characters as people count them (graphemes), one line.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub observation: String,
}

/// Write the 15-minute feedback card for your own visit: exactly 3 tags
/// rated 1–5 and a key observation of 1–20 characters. A card inside the
/// window earns 1 point.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = CardBody,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_card(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(raw): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let key = idempotency::from_headers(&headers, &caller, "feedback", &raw)?;
    if let Some(earlier) = idempotency::earlier(&state, key.as_ref()).await? {
        return Ok(earlier);
    }
    let b: CardBody = serde_json::from_value(raw).map_err(|e| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("字段或类型不正确：{e}"),
            format!("wrong or unknown fields: {e}"),
        )
    })?;
    let ratings: Vec<TagRating> = b
        .tags
        .into_iter()
        .map(|t| TagRating {
            tag: t.tag,
            rating: t.rating,
        })
        .collect();
    let idem = key.as_ref().map(idempotency::Key::as_store);
    match feedback::submit(
        &state.db,
        caller.person_id,
        b.event_id,
        &ratings,
        &b.observation,
        idem,
    )
    .await
    {
        Ok(outcome) => Ok((StatusCode::CREATED, Json::<CardOutcome>(outcome)).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            match &key {
                Some(k) if idempotency::is_race(&e) => idempotency::after_race(&state, k).await,
                _ => Err(e),
            }
        }
    }
}

/// One card with its ratings and replies (the author, their managers, HR).
#[utoipa::path(get, path = "/api/v1/feedback/{id}", tag = "feedback", responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub async fn card(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<Card>> {
    Ok(Json(service::visible_card(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// 1–500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// A manager replies to a card; the author gets a to-do to acknowledge.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/replies", tag = "feedback", request_body = ReplyBody,
    responses((status = 201, body = Created), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReplyBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = service::reply(&state, &caller, id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    #[schema(value_type = crate::api::vocab::AckKind)]
    pub ack: String,
}

/// The author answers the replies on their card.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/ack", tag = "feedback", request_body = AckBody,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn ack(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AckBody>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    feedback::acknowledge(&mut tx, caller.person_id, id, &b.ack).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveBody {
    #[schema(min_length = 1, max_length = 32)]
    pub employee_no: String,
    /// 1–500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub body: String,
}

/// A manager's own feedback to someone in their scope.
#[utoipa::path(post, path = "/api/v1/feedback-messages", tag = "feedback", request_body = GiveBody,
    responses((status = 201, body = Created), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn give(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<GiveBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = service::give_feedback(&state, &caller, &b.employee_no, &b.body).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyPoints {
    pub balance: i64,
    #[schema(value_type = Vec<Object>)]
    pub ledger: Vec<LedgerRow>,
    #[schema(value_type = Vec<Object>)]
    pub redemptions: Vec<Redemption>,
}

/// Your points balance, the latest ledger rows and your vouchers.
#[utoipa::path(get, path = "/api/v1/me/points", tag = "feedback", responses((status = 200, body = MyPoints)))]
pub async fn my_points(State(state): State<AppState>, Me(caller): Me) -> AppResult<Json<MyPoints>> {
    Ok(Json(MyPoints {
        balance: points::balance(&state.db, caller.person_id).await?,
        ledger: points::ledger(&state.db, caller.person_id, 50).await?,
        redemptions: points::redemptions(&state.db, caller.person_id).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Reward>,
}

/// The reward catalog.
#[utoipa::path(get, path = "/api/v1/rewards", tag = "feedback", responses((status = 200, body = RewardList)))]
pub async fn rewards(State(state): State<AppState>, _me: Me) -> AppResult<Json<RewardList>> {
    Ok(Json(RewardList {
        items: points::rewards(&state.db, true).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// `training`, `leave`, …
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "ten")]
    #[schema(minimum = 1, maximum = 10000)]
    pub cost: i64,
    /// Unlimited when absent.
    #[schema(minimum = 0)]
    pub stock: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn ten() -> i64 {
    10
}

/// Add or change a catalog entry by name (HR).
#[utoipa::path(put, path = "/api/v1/rewards", tag = "feedback", request_body = RewardBody,
    responses((status = 200, body = Created), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_reward(
    State(state): State<AppState>,
    _me: Me,
    ApiJson(b): ApiJson<RewardBody>,
) -> AppResult<Json<Created>> {
    let mut tx = state.db.begin().await?;
    let id = points::save_reward(
        &mut tx,
        &points::RewardInput {
            name: b.name,
            kind: b.kind,
            description: b.description,
            cost: b.cost,
            stock: b.stock,
            active: b.active,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Created { id }))
}

/// Redeem a reward for yourself: 201 with the voucher, 409
/// `insufficient_points` or `out_of_stock`. Retry-safe with `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/rewards/{id}/redeem", tag = "feedback",
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key, 1–200 visible ASCII characters", pattern = r"^[\x21-\x7e]{1,200}$")),
    responses((status = 201, body = Object), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn redeem(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let key = idempotency::from_headers(
        &headers,
        &caller,
        "redeem",
        &serde_json::json!({"reward": id}),
    )?;
    if let Some(earlier) = idempotency::earlier(&state, key.as_ref()).await? {
        return Ok(earlier);
    }
    let idem = key.as_ref().map(idempotency::Key::as_store);
    match points::redeem(&state.db, caller.person_id, id, idem).await {
        Ok(outcome) => Ok((StatusCode::CREATED, Json::<RedeemOutcome>(outcome)).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            match &key {
                Some(k) if idempotency::is_race(&e) => idempotency::after_race(&state, k).await,
                _ => Err(e),
            }
        }
    }
}

/// HR marks a voucher fulfilled.
#[utoipa::path(post, path = "/api/v1/redemptions/{id}/fulfil", tag = "feedback",
    responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn fulfil(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    points::fulfil(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// Org unit code; default your own unit.
    pub unit: Option<String>,
}

/// Points earned this period in a unit and the units below it (F3).
#[utoipa::path(get, path = "/api/v1/leaderboard", tag = "feedback", params(BoardParams), responses((status = 200, body = service::Leaderboard), (status = 404, body = crate::api::ErrorBody)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiQuery(p): ApiQuery<BoardParams>,
) -> AppResult<Json<service::Leaderboard>> {
    Ok(Json(
        service::leaderboard(&state, &caller, p.unit.as_deref()).await?,
    ))
}

/// Attach a photo to your work order: the body is the JPEG or PNG itself
/// (type judged by content, at most 10 MB); the EXIF capture time is kept.
#[utoipa::path(post, path = "/api/v1/events/{id}/photos", tag = "events",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 413, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn upload_photo(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    body: axum::body::Body,
) -> AppResult<(StatusCode, Json<pulse_store::events::Photo>)> {
    let bytes = service::read_photo(body).await?;
    let photo = service::add_photo(&state, &caller, id, bytes).await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<pulse_store::events::Photo>,
}

/// A work order's photos (metadata; the image is at `/photos/{id}`).
#[utoipa::path(get, path = "/api/v1/events/{id}/photos", tag = "events", responses((status = 200, body = PhotoList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_photos(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<PhotoList>> {
    service::visible_event(&state, &caller, id).await?;
    Ok(Json(PhotoList {
        items: pulse_store::events::photos(&state.db, id).await?,
    }))
}

/// The image itself, for people who may see the work order.
pub async fn photo(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let p = pulse_store::events::photo(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("照片", "photo"))?;
    service::visible_event(&state, &caller, p.event_id).await?;
    let bytes = state.files.get(&p.object_key).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, p.content_type),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=86400".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
