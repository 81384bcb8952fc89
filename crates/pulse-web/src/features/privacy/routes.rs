//! Data rights' slice of the route table.

use axum::routing::{get, post};

use super::{api, pages};
use crate::access::Access;
use crate::routes::{HR, Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r("GET", "/me/data", Access::ANYONE, get(pages::mine)),
        r(
            "GET",
            "/api/v1/me/export",
            Access::ANYONE,
            get(api::my_export),
        ),
        r("GET", "/privacy", Access::roles(HR), get(pages::hr)),
        r(
            "POST",
            "/privacy/anonymise",
            Access::roles(HR),
            post(pages::anonymise),
        ),
        r(
            "GET",
            "/people/{employee_no}/data",
            Access::roles(HR),
            get(pages::person),
        ),
        r(
            "POST",
            "/people/{employee_no}/data/notes",
            Access::roles(HR),
            post(pages::add_note),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}/export",
            Access::roles(HR),
            get(api::person_export),
        ),
        r(
            "GET",
            "/api/v1/privacy/views",
            Access::roles(HR),
            get(api::views),
        ),
        r(
            "POST",
            "/api/v1/privacy/anonymise",
            Access::roles(HR),
            post(api::anonymise),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}/annotations",
            Access::roles(HR),
            get(api::annotations),
        ),
        r(
            "POST",
            "/api/v1/people/{employee_no}/annotations",
            Access::roles(HR),
            post(api::annotate),
        ),
    ]
}
