//! Recording a business event from the phone, and a work order's photos (P1–P3).

use super::pages::*;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::feedback::service::{self, EventInput};
use crate::forms::FormWithFile;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms, human_size};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::accounts::Caller;
use pulse_store::customers;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_event.html")]
pub(super) struct EventForm {
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

pub(super) fn form_kind(k: Option<&str>) -> String {
    match k {
        Some("snapshot") => "snapshot",
        Some("work_order") => "work_order",
        _ => "visit",
    }
    .to_string()
}

pub(super) async fn render_event_form(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    kind: String,
    error: Option<String>,
    mut values: Vec<(String, String)>,
) -> AppResult<Response> {
    // The rep's own customers first (A-class first), for the picker.
    let customers = customers::owned_by(&state.db, &caller.employee_no).await?;
    // A work order is logged on site: its times start at now (China time),
    // adjusted with a tap; a refused form keeps what was typed.
    if kind == "work_order" && error.is_none() {
        let now = pulse_domain::china_time::format_ms(state.db.now_ms(), "%Y-%m-%dT%H:%M");
        for k in ["reported_at", "arrived_at", "resolved_at"] {
            if !values.iter().any(|(n, _)| n == k) {
                values.push((k.to_string(), now.clone()));
            }
        }
    }
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
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("feedback");
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
pub(super) async fn resolve_customer(state: &AppState, text: &str) -> AppResult<Option<Value>> {
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

pub(super) fn time_value(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| Value::from(s.replace('T', " ")))
}

/// Records the form's event; a visit goes straight on to its card.
pub async fn create_event(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    FormWithFile { fields: form, file }: FormWithFile,
) -> AppResult<Response> {
    let kind = form_kind(Some(form.text("kind").as_str()));
    let mut payload = Map::new();
    for k in ["purpose", "stage", "next_step", "note"] {
        let v = form.text(k);
        if !v.is_empty() {
            payload.insert(k.into(), Value::from(v));
        }
    }
    for k in ["reported_at", "arrived_at", "resolved_at"] {
        if let Some(v) = time_value(&form.text(k)) {
            payload.insert(k.into(), v);
        }
    }
    for k in ["parts_planned", "parts_used"] {
        let v = form.text(k);
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
        customer: resolve_customer(&state, &form.text("customer")).await?,
        occurred_at: (kind == "work_order")
            .then(|| payload.get("arrived_at").cloned())
            .flatten(),
        payload,
    };
    // The photo taken in the same form is checked before anything is
    // recorded, so a refused photo leaves no work order behind.
    let photo_ok = match &file {
        Some(_) if kind != "work_order" => Err(AppError::invalid(pulse_domain::Problem::new(
            "photos_on_work_orders",
            "照片只能附在服务工单上",
            "photos belong to service work orders",
        ))),
        Some(bytes) => pulse_domain::photos::sniff(bytes)
            .map(|_| ())
            .map_err(AppError::invalid),
        None => Ok(()),
    };
    let recorded = match photo_ok {
        Ok(()) => service::record_event(&state, &caller, &input, None).await,
        Err(e) => Err(e),
    };
    match recorded {
        Ok((_, json)) => {
            let id = json["id"].as_i64().unwrap_or(0);
            if let Some(bytes) = file {
                service::add_photo(&state, &caller, id, bytes).await?;
            }
            Ok(if pulse_domain::events::takes_feedback(&kind) {
                Redirect::to(&format!("/feedback/events/{id}/card"))
            } else {
                Redirect::to("/feedback?ok=event")
            }
            .into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let ctx = page.at("feedback");
            let msg = e.message(ctx.lang()).to_string();
            render_event_form(&state, &caller, ctx, kind, Some(msg), form.pairs().to_vec()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_photos.html")]
pub(super) struct PhotosPage {
    tr: Tr,
    nav: Nav,
    event: EventRow,
    mine: bool,
    photos: Vec<(i64, String, String)>,
    error: Option<String>,
    message: Option<String>,
}

pub(super) async fn render_photos(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    id: i64,
    error: Option<String>,
    uploaded: Option<i64>,
) -> AppResult<Response> {
    let event = service::visible_event(state, caller, id).await?;
    let photos = pulse_store::events::photos(&state.db, id)
        .await?
        .into_iter()
        .map(|p| {
            let taken = p.taken_at.map(fmt_ms).unwrap_or_default();
            (p.id, taken, human_size(p.bytes))
        })
        .collect::<Vec<(i64, String, String)>>();
    let message = uploaded
        .and_then(|u| photos.iter().find(|p| p.0 == u))
        .map(|p| {
            format!(
                "{}{}{}{}",
                ctx.tr.t("feedback.uploaded"),
                ctx.tr.open(),
                p.2,
                ctx.tr.close()
            )
        });
    let failed = error.is_some();
    let mut res = PhotosPage {
        mine: event.person_id == caller.person_id,
        event: event_row(&event, ctx.tr),
        photos,
        error,
        message,
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
    page: Page,
    Query(q): Query<PhotosQuery>,
) -> AppResult<Response> {
    let ctx = page.at("feedback");
    render_photos(&state, &caller, ctx, id, None, q.uploaded).await
}

#[derive(Debug, serde::Deserialize)]
pub struct PhotosQuery {
    /// The photo just uploaded, to confirm it with its size.
    uploaded: Option<i64>,
}

/// The upload form posts multipart with `_csrf` in the query.
pub async fn photos_upload(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
    req: axum::extract::Request,
) -> AppResult<Response> {
    use axum::extract::FromRequest;
    let ctx = page.at("feedback");
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
        Some(b) => service::add_photo(&state, &caller, id, b)
            .await
            .map(|p| p.id),
        None => Err(AppError::bad_request("请选择照片", "choose a photo")),
    };
    match result {
        Ok(photo) => Ok(
            Redirect::to(&format!("/feedback/events/{id}/photos?uploaded={photo}")).into_response(),
        ),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::NOT_FOUND => {
            let msg = e.message(ctx.lang()).to_string();
            render_photos(&state, &caller, ctx, id, Some(msg), None).await
        }
        Err(e) => Err(e),
    }
}
