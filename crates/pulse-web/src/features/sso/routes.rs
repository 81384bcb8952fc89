//! Single sign-on's slice of the route table.

use axum::routing::{delete, get, post};

use super::{api, pages};
use crate::access::Access;
use crate::routes::{ADMIN, Route, r};

pub fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/auth/oidc/login",
            Access::OPEN,
            get(pages::oidc_login),
        ),
        r(
            "GET",
            "/auth/oidc/callback",
            Access::OPEN,
            get(pages::oidc_callback),
        ),
        r(
            "GET",
            "/auth/wecom/login",
            Access::OPEN,
            get(pages::wecom_login),
        ),
        r(
            "GET",
            "/auth/wecom/callback",
            Access::OPEN,
            get(pages::wecom_callback),
        ),
        r(
            "GET",
            "/admin/identity",
            Access::roles(ADMIN),
            get(pages::settings_page),
        ),
        r(
            "POST",
            "/admin/identity",
            Access::roles(ADMIN),
            post(pages::settings_submit),
        ),
        r(
            "GET",
            "/api/v1/identity/settings",
            Access::roles(ADMIN),
            get(api::get_settings),
        ),
        r(
            "PUT",
            "/api/v1/identity/settings",
            Access::roles(ADMIN),
            axum::routing::put(api::put_settings),
        ),
        r(
            "DELETE",
            "/api/v1/accounts/{login}/sessions",
            Access::roles(ADMIN),
            delete(api::end_sessions),
        ),
        r(
            "POST",
            "/admin/users/{login}/sessions/end",
            Access::roles(ADMIN),
            post(api::end_sessions_form),
        ),
    ]
}
