//! The org tree, people, profiles and spreadsheet imports: its slice of the route table.

use axum::routing::{get, patch, post};

use super::{api, import_api, import_pages, org_api, pages};
use crate::access::Access;
use crate::routes::{EXPORTERS, HR, Route, r, upload_limit};

pub fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/api/v1/people",
            Access::ANYONE.with_token("people:read"),
            get(api::list),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}",
            Access::ANYONE.with_token("people:read"),
            get(api::get),
        ),
        r(
            "PATCH",
            "/api/v1/people/{employee_no}",
            Access::roles(HR).with_token("people:write"),
            patch(api::patch),
        ),
        r(
            "GET",
            "/api/v1/org-units",
            Access::ANYONE.with_token("org:read"),
            get(org_api::list),
        ),
        r(
            "POST",
            "/api/v1/imports/{kind}",
            Access::roles(HR).with_token("people:write"),
            post(import_api::create).layer(upload_limit()),
        ),
        r(
            "GET",
            "/api/v1/imports/batches/{id}",
            Access::roles(HR),
            get(import_api::get),
        ),
        r(
            "GET",
            "/api/v1/imports/batches/{id}/errors.xlsx",
            Access::roles(HR),
            get(import_api::errors_xlsx),
        ),
        r("GET", "/me", Access::ANYONE, get(pages::me)),
        r("GET", "/org", Access::ANYONE, get(pages::org)),
        r(
            "GET",
            "/people/{employee_no}",
            Access::ANYONE,
            get(pages::person),
        ),
        r(
            "POST",
            "/people/{employee_no}",
            Access::roles(HR),
            post(pages::update),
        ),
        r(
            "GET",
            "/export/people.xlsx",
            Access::roles(EXPORTERS),
            get(super::export::export_people),
        ),
        r("GET", "/import", Access::roles(HR), get(import_pages::form)),
        r(
            "POST",
            "/import",
            Access::roles(HR),
            post(import_pages::upload).layer(upload_limit()),
        ),
        r(
            "GET",
            "/import/batches/{id}",
            Access::roles(HR),
            get(import_pages::batch),
        ),
        r(
            "POST",
            "/import/batches/{id}/commit",
            Access::roles(HR),
            post(import_pages::commit),
        ),
        r(
            "GET",
            "/import/template/{kind}",
            Access::roles(HR),
            get(import_pages::template),
        ),
        r(
            "POST",
            "/me/password",
            Access::ANYONE,
            post(pages::change_password),
        ),
        r(
            "POST",
            "/me/notifications",
            Access::ANYONE,
            post(pages::save_notifications),
        ),
    ]
}
