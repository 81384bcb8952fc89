//! CRM customers and their sources: its slice of the route table.

use axum::routing::{get, post, put};

use super::{api, pages};
use crate::access::Access;
use crate::routes::{HR, Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r("GET", "/customers", Access::ANYONE, get(pages::page)),
        r(
            "POST",
            "/customers/sources/{name}/pull",
            Access::roles(HR),
            post(pages::pull),
        ),
        r(
            "GET",
            "/api/v1/customers",
            Access::ANYONE.with_token("goals:read"),
            get(api::list),
        ),
        r(
            "POST",
            "/api/v1/customers",
            Access::roles(HR).with_token("crm:write"),
            post(api::push),
        ),
        r(
            "GET",
            "/api/v1/crm-sources",
            Access::roles(HR),
            get(api::sources),
        ),
        r(
            "PUT",
            "/api/v1/crm-sources/{name}",
            Access::roles(HR),
            put(api::save_source),
        ),
        r(
            "POST",
            "/api/v1/crm-sources/{name}/pull",
            Access::roles(HR),
            post(api::pull),
        ),
    ]
}
