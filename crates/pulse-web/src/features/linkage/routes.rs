//! Linkage: its slice of the route table.

use axum::routing::{get, post, put};

use super::{api, path_api};
use crate::access::Access;
use crate::routes::{EXPORTERS, HR, Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/api/v1/people/{employee_no}/outcomes",
            Access::ANYONE,
            get(api::person_outcomes),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}/development-path",
            Access::ANYONE,
            get(path_api::development_path),
        ),
        r(
            "POST",
            "/api/v1/people/{employee_no}/development-path/clicks",
            Access::ANYONE,
            post(path_api::click),
        ),
        r(
            "GET",
            "/api/v1/linkage-outcomes",
            Access::roles(EXPORTERS),
            get(api::list_outcomes),
        ),
        r(
            "POST",
            "/api/v1/linkage-outcomes/{id}/reverse",
            Access::roles(HR),
            post(api::reverse),
        ),
        r(
            "GET",
            "/api/v1/linkage-rules",
            Access::roles(HR),
            get(api::list_rules),
        ),
        r(
            "POST",
            "/api/v1/linkage-rules",
            Access::roles(HR),
            post(api::create_rule),
        ),
        r(
            "PUT",
            "/api/v1/linkage-rules/{id}",
            Access::roles(HR),
            put(api::update_rule),
        ),
        r(
            "POST",
            "/api/v1/linkage-rules/preview",
            Access::roles(HR),
            post(api::preview),
        ),
        r(
            "POST",
            "/api/v1/linkage-rules/evaluate",
            Access::roles(HR),
            post(api::evaluate),
        ),
        r(
            "GET",
            "/api/v1/linkage-items",
            Access::roles(HR),
            get(path_api::items),
        ),
        r(
            "POST",
            "/api/v1/linkage-items",
            Access::roles(HR),
            post(path_api::save_item),
        ),
        r(
            "GET",
            "/api/v1/role-profiles",
            Access::ANYONE,
            get(path_api::profiles),
        ),
        r(
            "PUT",
            "/api/v1/role-profiles",
            Access::roles(HR),
            put(path_api::save_profile),
        ),
    ]
}
