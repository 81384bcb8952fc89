//! `GET /api/v1/calibration-sessions/{id}/stream` (C4): server-sent events,
//! one per score, flag, case change and state move. A reconnecting client
//! sends `Last-Event-ID` and gets what it missed from the session's event
//! table; then each signal (NOTIFY on PostgreSQL, in process on SQLite)
//! makes the stream take the rows after the last it sent from the
//! instance's shared tail of the session (one read per score, not one per
//! client). No compression
//! (none is layered), `X-Accel-Buffering: no` for nginx-like proxies, and a
//! comment every 15 s keeps idle proxies from closing the connection.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use pulse_store::calibration::stream;
use serde::Deserialize;
use utoipa::IntoParams;

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::ApiQuery;
use crate::error::{AppError, AppResult};

/// At most this many missed events are replayed; beyond, the client gets a
/// `reset` and reloads.
const REPLAY: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// For clients that cannot set headers: the same as `Last-Event-ID`.
    #[param(minimum = 0)]
    pub last_event_id: Option<i64>,
}

fn last_event_id(headers: &HeaderMap, q: &StreamQuery) -> AppResult<Option<i64>> {
    match headers.get("last-event-id") {
        Some(v) => {
            let t = v.to_str().unwrap_or("").trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| {
                    AppError::bad_request(
                        format!("Last-Event-ID 应为事件编号（非负整数），收到：{t}"),
                        format!(
                            "Last-Event-ID must be an event id (a non-negative integer), got: {t}"
                        ),
                    )
                })
        }
        None => Ok(q.last_event_id),
    }
}

fn sse_event(e: &stream::Event) -> Event {
    Event::default()
        .id(e.id.to_string())
        .event(e.kind.clone())
        .data(e.body.clone())
}

/// The live stream of a session's scores, flags, case changes and moves.
#[utoipa::path(get, path = "/api/v1/calibration-sessions/{id}/stream", tag = "calibration",
    params(("id" = i64, Path), ("Last-Event-ID" = Option<String>, Header, description = "the last event id the client received"), StreamQuery),
    responses((status = 200, description = "`text/event-stream`: events `hello`, `score`, `flag`, `case`, `round`, `state`, `final`, `box`, `reset`", content_type = "text/event-stream", body = String),
        (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> AppResult<Response> {
    let (session, _) = service::open(&state, &caller, id).await?;
    let asked = last_event_id(&headers, &q)?;
    // Subscribe before reading, so nothing committed in between is missed.
    let mut signals = state.calibration.subscribe();
    let latest = stream::latest(&state.db, id).await?;
    if let Some(n) = asked
        && n > latest
    {
        return Err(AppError::new(
            axum::http::StatusCode::CONFLICT,
            "event_id_ahead",
            format!(
                "Last-Event-ID {n} 超前于本场会议的事件流（最新为 {latest}），请不带它重新连接"
            ),
            format!(
                "Last-Event-ID {n} is ahead of this session's stream (latest {latest}): reconnect without it"
            ),
        ));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(64);
    let db = state.db.clone();
    let broker = state.calibration.clone();
    tokio::spawn(async move {
        let hello = serde_json::json!({
            "state": session.state, "current_case_id": session.current_case_id, "latest": latest, "blind": session.blind(),
        });
        if tx
            .send(Ok(Event::default().event("hello").data(hello.to_string())))
            .await
            .is_err()
        {
            return;
        }
        let mut sent = match asked {
            None => latest,
            Some(n) if latest - n > REPLAY => {
                let reset = Event::default()
                    .id(latest.to_string())
                    .event("reset")
                    .data("{}");
                if tx.send(Ok(reset)).await.is_err() {
                    return;
                }
                latest
            }
            Some(n) => n,
        };
        // The id the last signal announced; 0 reads regardless.
        let mut want = 0;
        loop {
            let events = match broker.after(&db, id, sent, want, REPLAY).await {
                Ok(e) => e,
                Err(_) => return,
            };
            for e in &events {
                if tx.send(Ok(sse_event(e))).await.is_err() {
                    return;
                }
                sent = e.id;
            }
            if events.len() as i64 == REPLAY {
                want = 0;
                continue;
            }
            // Wait for a signal about this session (or a wake-up for all).
            want = loop {
                tokio::select! {
                    _ = tx.closed() => return,
                    got = signals.recv() => match got {
                        Ok(s) if s.session_id == id && s.event_id <= sent => continue,
                        Ok(s) if s.session_id == id => break s.event_id,
                        Ok(s) if s.session_id == 0 => break 0,
                        Ok(_) => continue,
                        // Lagged: we may have missed ours — read again.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break 0,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                    // A safety net for a lost signal: look again now and then.
                    _ = tokio::time::sleep(Duration::from_secs(20)) => break 0,
                }
            };
        }
    });
    let sse = Sse::new(tokio_stream::wrappers::ReceiverStream::new(rx)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    );
    let mut res = sse.into_response();
    let h = res.headers_mut();
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    Ok(res)
}
