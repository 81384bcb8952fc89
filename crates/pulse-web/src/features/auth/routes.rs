//! Sign-in, sign-out, the language switch and the current caller: its slice of the route table.

use axum::routing::{delete, get, post, put};

use super::{api, pages};
use crate::access::Access;
use crate::routes::{Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r("POST", "/api/v1/session", Access::OPEN, post(api::login)),
        r(
            "DELETE",
            "/api/v1/session",
            Access::ANYONE,
            delete(api::logout),
        ),
        r("GET", "/api/v1/me", Access::ANYONE, get(api::me)),
        r(
            "PUT",
            "/api/v1/me/password",
            Access::ANYONE,
            put(api::change_password),
        ),
        r("GET", "/", Access::PUBLIC, get(pages::home)),
        r("GET", "/login", Access::PUBLIC, get(pages::login_page)),
        r("POST", "/login", Access::PUBLIC, post(pages::login_submit)),
        r("POST", "/logout", Access::ANYONE, post(pages::logout)),
        r("GET", "/lang/{code}", Access::OPEN, get(pages::set_lang)),
    ]
}
