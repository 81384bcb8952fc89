//! The download: read the scope, write the sheets, then stream the zip.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::goals::service as goals;

#[derive(Debug, Deserialize)]
pub struct WorkbookQuery {
    /// Period code; the current period when absent.
    pub period: Option<String>,
}

/// `GET /export/team.xlsx`: the caller's scope for one period, one sheet per subject.
pub async fn download(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<WorkbookQuery>,
) -> AppResult<Response> {
    let period = goals::period(&state, q.period.as_deref())
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let data = service::gather(&state, &caller, period).await?;
    let name = service::file_name(&data.period);
    let book = tokio::task::spawn_blocking(move || service::build(&data))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkSender {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let saved = book
            .save_to(&mut out)
            .map_err(std::io::Error::other)
            .and_then(|()| out.flush());
        if let Err(e) = saved {
            // The status line is gone already: end the body with an error so
            // the client sees a broken download, never a truncated "file".
            tracing::error!(error = %e, "team workbook failed while streaming");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&crate::attachment_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

const CHUNK: usize = 256 * 1024;

/// Hands the zip to the response in 256 KB pieces as it is written.
struct ChunkSender {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChunkSender {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
