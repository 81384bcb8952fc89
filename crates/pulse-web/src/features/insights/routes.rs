//! Weekly digests, the text dictionary, competency models and the radar (D1, D2, R1, R2): its slice of the route table.

use axum::routing::{delete, get, post, put};

use super::{api, pages};
use crate::access::Access;
use crate::routes::{HR, Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/api/v1/digests/latest",
            Access::ANYONE,
            get(api::latest),
        ),
        r("GET", "/api/v1/digests", Access::ANYONE, get(api::list)),
        r(
            "POST",
            "/api/v1/digests",
            Access::ANYONE,
            post(api::generate),
        ),
        r("GET", "/api/v1/digests/{id}", Access::ANYONE, get(api::one)),
        r(
            "GET",
            "/api/v1/digest-settings",
            Access::roles(HR),
            get(api::settings),
        ),
        r(
            "PUT",
            "/api/v1/digest-settings",
            Access::roles(HR),
            put(api::save_settings),
        ),
        r(
            "GET",
            "/api/v1/text-terms",
            Access::roles(HR),
            get(api::terms),
        ),
        r(
            "PUT",
            "/api/v1/text-terms/{kind}/{term}",
            Access::roles(HR),
            put(api::add_term),
        ),
        r(
            "DELETE",
            "/api/v1/text-terms/{kind}/{term}",
            Access::roles(HR),
            delete(api::remove_term),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}/radar",
            Access::ANYONE,
            get(api::radar),
        ),
        r(
            "GET",
            "/api/v1/competency-models",
            Access::ANYONE,
            get(api::models),
        ),
        r(
            "PUT",
            "/api/v1/competency-models/{job_family}/dimensions/{name}",
            Access::roles(HR),
            put(api::save_dimension),
        ),
        r(
            "DELETE",
            "/api/v1/competency-dimensions/{id}",
            Access::roles(HR),
            delete(api::delete_dimension),
        ),
        r("GET", "/digests", Access::ANYONE, get(pages::latest_page)),
        r(
            "GET",
            "/digests/setup",
            Access::roles(HR),
            get(pages::setup_page),
        ),
        r(
            "POST",
            "/digests/setup",
            Access::roles(HR),
            post(pages::setup_save),
        ),
        r(
            "GET",
            "/digests/{id}",
            Access::ANYONE,
            get(pages::digest_page),
        ),
        r(
            "GET",
            "/digests/{id}/cards",
            Access::ANYONE,
            get(pages::term_cards_page),
        ),
        r(
            "GET",
            "/competency",
            Access::roles(HR),
            get(pages::models_page),
        ),
        r(
            "POST",
            "/competency",
            Access::roles(HR),
            post(pages::models_save),
        ),
    ]
}
