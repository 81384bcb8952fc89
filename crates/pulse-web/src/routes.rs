//! Every route of Pulse with its access rule: the single place where
//! authorization is declared. [`crate::app`] builds the router from this
//! table and the route × role test walks the same table.

use axum::routing::{MethodRouter, get};
use pulse_domain::roles::Role;

use crate::access::Access;
use crate::{AppState, features, openapi, ops, pages};

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

pub const HR: &[Role] = &[Role::Hrbp, Role::Admin];
pub const ADMIN: &[Role] = &[Role::Admin];
pub const AUDITORS: &[Role] = &[Role::Admin, Role::Hrbp];
/// Who sees goal statistics across people (response times, team boards).
pub const GOAL_VIEWERS: &[Role] = &[
    Role::Manager,
    Role::Director,
    Role::Hrbp,
    Role::Admin,
    Role::Committee,
];
pub const EXPORTERS: &[Role] = &[Role::Manager, Role::Director, Role::Hrbp, Role::Admin];

pub fn r(
    method: &'static str,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

pub fn table() -> Vec<Route> {
    let mut table = vec![
        r("GET", "/healthz", Access::OPEN, get(ops::healthz)),
        r("GET", "/readyz", Access::OPEN, get(ops::readyz)),
        r("GET", "/metrics", Access::OPEN, get(ops::metrics)),
        r("GET", "/api/openapi.json", Access::OPEN, get(openapi::json)),
        r("GET", "/api/docs", Access::OPEN, get(openapi::docs)),
        r(
            "GET",
            "/static/{file}",
            Access::OPEN,
            get(pages::assets::serve),
        ),
    ];
    table.extend(features::auth::routes::routes());
    table.extend(features::goals::routes::routes());
    table.extend(features::insights::routes::routes());
    table.extend(features::feedback::routes::routes());
    table.extend(features::notify::routes::routes());
    table.extend(features::people::routes::routes());
    table.extend(features::customers::routes::routes());
    table.extend(features::accounts::routes::routes());
    table.extend(features::workbook::routes::routes());
    table.extend(features::home::routes::routes());
    table.extend(features::reviews::routes::routes());
    table.extend(features::calibration::routes::routes());
    table.extend(features::linkage::routes::routes());
    table.extend(features::org_health::routes::routes());
    table.extend(features::sso::routes::routes());
    table.extend(features::scim::routes::routes());
    table.extend(features::privacy::routes::routes());
    table
}

/// A page form carrying a phone photo (10 MB at most, as the store takes).
pub fn photo_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(10 * 1024 * 1024 + 64 * 1024)
}

pub fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(pulse_sheets::MAX_FILE_BYTES + 64 * 1024)
}
