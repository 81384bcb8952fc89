//! HTTP layer of Pulse: the route table with its access rules, the error
//! envelope, the JSON API and the server-rendered pages.

pub mod access;
pub mod api;
pub mod charts;
pub mod error;
pub mod features;
pub mod forms;
pub mod i18n;
mod idempotency;
pub mod menu;
mod metrics;
mod openapi;
mod ops;
pub mod pages;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pulse_store::accounts::Caller;
use pulse_store::{Actor, Db};
use tower_http::set_header::SetResponseHeaderLayer;

pub use metrics::Metrics;

#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// Show the demo accounts on the login page.
    pub demo: bool,
    /// Where people open Pulse; links in messages start with it ("" = relative).
    pub public_url: String,
    /// Where uploaded photos live (`<data dir>/files` for `pulse serve`);
    /// `None` keeps them in memory (tests). A folder that cannot be opened
    /// stops the start: photos must never land in memory and vanish.
    pub files_dir: Option<std::path::PathBuf>,
}

/// An org tree and the org version it was read at.
type CachedTree = (i64, Arc<pulse_store::org::Tree>);

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub files: pulse_store::files::Files,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
    /// Chinese segmentation for digests, shared with the digest job.
    pub text: Arc<pulse_jobs::digests::TextEngine>,
    /// Calibration's live push: this instance's open streams (C4).
    pub calibration: pulse_store::calibration::stream::Broker,
    /// Gap maps (C6) as last computed: they read every case's radar and
    /// texts, which move slowly, so an instance keeps each for minutes.
    pub gap_maps: features::calibration::reports::GapCache,
    /// Identity provider and WeChat Work clients with their caches (X5).
    pub identity: Arc<pulse_jobs::identity::Clients>,
    /// The org tree as last read, with the org version it was read at.
    org_cache: Arc<std::sync::RwLock<Option<CachedTree>>>,
}

impl AppState {
    pub fn new(db: Db, config: WebConfig) -> Result<AppState, pulse_store::StoreError> {
        let files = match config.files_dir.as_deref() {
            Some(dir) => pulse_store::files::Files::local(dir)?,
            None => {
                pulse_store::files::Files::with(Arc::new(object_store::memory::InMemory::new()))
            }
        };
        Ok(AppState {
            calibration: pulse_store::calibration::stream::Broker::new(&db),
            gap_maps: Default::default(),
            db,
            files,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            text: Arc::default(),
            org_cache: Arc::default(),
            identity: Arc::default(),
        })
    }

    /// The org tree (without headcounts). Reading 200+ units on every request
    /// dominated request time, so each instance keeps the tree and checks the
    /// org version (one row, bumped in every org change's transaction) instead:
    /// a change made through any instance is seen by all of them on the next request.
    pub async fn org_tree(&self) -> Result<Arc<pulse_store::org::Tree>, error::AppError> {
        let version = pulse_store::org::version(&self.db).await?;
        if let Ok(guard) = self.org_cache.read()
            && let Some((v, tree)) = guard.as_ref()
            && *v == version
        {
            return Ok(tree.clone());
        }
        let tree = Arc::new(pulse_store::org::Tree::new(
            pulse_store::org::list(&self.db).await?,
        ));
        if let Ok(mut guard) = self.org_cache.write() {
            *guard = Some((version, tree.clone()));
        }
        Ok(tree)
    }

    /// The org tree with active headcounts (org page, org-units API).
    pub async fn org_tree_with_headcount(&self) -> Result<pulse_store::org::Tree, error::AppError> {
        Ok(pulse_store::org::Tree::new(
            pulse_store::org::list_with_headcount(&self.db).await?,
        ))
    }

    pub fn actor(&self, caller: &Caller) -> Actor {
        Actor {
            account_id: Some(caller.account_id),
            person_id: Some(caller.person_id),
            label: format!("{}（{}）", caller.name, caller.login),
        }
    }
}

/// The whole application: routes with their access rules, error rendering,
/// metrics, security headers, body limit and timeout.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for r in routes::table() {
        let access_layer =
            axum::middleware::from_fn_with_state((state.clone(), r.access), access::authorize);
        router = router.route(r.path, r.handler.route_layer(access_layer));
    }
    router
        .fallback(|| async { error::AppError::not_found("页面", "page") })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // One structured log line per request (method, path, status, latency);
        // `--log-format json` makes them machine-readable.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        ))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `Content-Disposition` for a download named in Chinese (RFC 6266/5987),
/// with an ASCII fallback for old clients.
pub(crate) fn attachment_disposition(file_name: &str) -> String {
    // The plain `filename` is an ASCII stand-in with the real extension for
    // clients that ignore `filename*`.
    let ext = file_name.rsplit_once('.').map_or("bin", |(_, e)| e);
    format!(
        "attachment; filename=\"export.{ext}\"; filename*=UTF-8''{}",
        access::urlencode(file_name)
    )
}

pub(crate) fn xlsx_response(file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = attachment_disposition(file_name);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}
