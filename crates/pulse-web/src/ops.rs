//! Operational endpoints (O3).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;
use crate::error::AppError;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "database not reachable");
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "数据库不可用",
            "database unreachable",
        )
    })?;
    Ok("ready")
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match pulse_store::outbox::counts(&state.db).await {
        Ok(counts) => state.metrics.set_outbox(&counts),
        Err(e) => tracing::warn!(error = %e, "cannot count the outbox for /metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
