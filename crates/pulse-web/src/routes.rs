//! Every route of Pulse with its access rule: the single place where
//! authorization is declared. [`crate::app`] builds the router from this
//! table and the route × role test walks the same table.

use axum::routing::{MethodRouter, delete, get, patch, post, put};
use pulse_domain::roles::Role;

use crate::access::Access;
use crate::{AppState, api, openapi, ops, pages};

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

const HR: &[Role] = &[Role::Hrbp, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];
const AUDITORS: &[Role] = &[Role::Admin, Role::Hrbp];
/// Who sees goal statistics across people (response times, team boards).
const GOAL_VIEWERS: &[Role] = &[
    Role::Manager,
    Role::Director,
    Role::Hrbp,
    Role::Admin,
    Role::Committee,
];
const EXPORTERS: &[Role] = &[Role::Manager, Role::Director, Role::Hrbp, Role::Admin];

fn r(
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
    vec![
        // Operations and documentation
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
        // JSON API
        r(
            "POST",
            "/api/v1/session",
            Access::OPEN,
            post(api::session::login),
        ),
        r(
            "DELETE",
            "/api/v1/session",
            Access::ANYONE,
            delete(api::session::logout),
        ),
        r("GET", "/api/v1/me", Access::ANYONE, get(api::session::me)),
        r(
            "GET",
            "/api/v1/people/{employee_no}/goals",
            Access::ANYONE.with_token("goals:read"),
            get(api::goals::person_goals),
        ),
        r(
            "GET",
            "/api/v1/goal-adjustments",
            Access::ANYONE,
            get(api::goals::list_adjustments),
        ),
        r(
            "POST",
            "/api/v1/goal-adjustments",
            Access::ANYONE,
            post(api::goals::create_adjustment),
        ),
        r(
            "GET",
            "/api/v1/goal-adjustments/response-times",
            Access::roles(GOAL_VIEWERS),
            get(api::goals::response_times),
        ),
        r(
            "POST",
            "/api/v1/goal-adjustments/{id}/approve",
            Access::ANYONE,
            post(api::goals::approve),
        ),
        r(
            "POST",
            "/api/v1/goal-adjustments/{id}/reject",
            Access::ANYONE,
            post(api::goals::reject),
        ),
        r(
            "GET",
            "/api/v1/weight-rules",
            Access::ANYONE.with_token("goals:read"),
            get(api::goals::list_rules),
        ),
        r(
            "POST",
            "/api/v1/weight-rules",
            Access::roles(HR),
            post(api::goals::create_rule),
        ),
        r(
            "PUT",
            "/api/v1/weight-rules/{id}",
            Access::roles(HR),
            put(api::goals::update_rule),
        ),
        r(
            "POST",
            "/api/v1/weight-rules/check",
            Access::roles(HR),
            post(api::goals::check),
        ),
        r(
            "POST",
            "/api/v1/weight-rules/preview",
            Access::roles(HR),
            post(api::goals::preview),
        ),
        r(
            "PUT",
            "/api/v1/region-metrics/{code}",
            Access::roles(HR).with_token("metrics:write"),
            put(api::goals::put_region_metrics),
        ),
        r(
            "GET",
            "/api/v1/me/notification-preferences",
            Access::ANYONE,
            get(api::notify::my_preferences),
        ),
        r(
            "PUT",
            "/api/v1/me/notification-preferences",
            Access::ANYONE,
            put(api::notify::save_my_preferences),
        ),
        r(
            "GET",
            "/api/v1/people",
            Access::ANYONE.with_token("people:read"),
            get(api::people::list),
        ),
        r(
            "GET",
            "/api/v1/people/{employee_no}",
            Access::ANYONE.with_token("people:read"),
            get(api::people::get),
        ),
        r(
            "PATCH",
            "/api/v1/people/{employee_no}",
            Access::roles(HR).with_token("people:write"),
            patch(api::people::patch),
        ),
        r(
            "GET",
            "/api/v1/inbox",
            Access::ANYONE,
            get(api::inbox::list),
        ),
        r(
            "POST",
            "/api/v1/inbox/{id}/done",
            Access::ANYONE,
            post(api::inbox::done),
        ),
        r(
            "POST",
            "/api/v1/inbox/{id}/dismiss",
            Access::ANYONE,
            post(api::inbox::dismiss),
        ),
        r("GET", "/inbox", Access::ANYONE, get(pages::inbox::page)),
        r(
            "POST",
            "/inbox/{id}/{action}",
            Access::ANYONE,
            post(pages::inbox::close),
        ),
        r(
            "GET",
            "/api/v1/org-units",
            Access::ANYONE.with_token("org:read"),
            get(api::org::list),
        ),
        r(
            "POST",
            "/api/v1/imports/{kind}",
            Access::roles(HR).with_token("people:write"),
            post(api::imports::create).layer(upload_limit()),
        ),
        r(
            "GET",
            "/api/v1/imports/batches/{id}",
            Access::roles(HR),
            get(api::imports::get),
        ),
        r(
            "GET",
            "/api/v1/imports/batches/{id}/errors.xlsx",
            Access::roles(HR),
            get(api::imports::errors_xlsx),
        ),
        r(
            "POST",
            "/api/v1/accounts",
            Access::roles(ADMIN),
            post(api::admin::create_account),
        ),
        r(
            "PUT",
            "/api/v1/accounts/{login}/password",
            Access::roles(ADMIN),
            put(api::admin::reset_password),
        ),
        r(
            "PUT",
            "/api/v1/accounts/{login}/disabled",
            Access::roles(ADMIN),
            put(api::admin::set_disabled),
        ),
        r(
            "PUT",
            "/api/v1/me/password",
            Access::ANYONE,
            put(api::session::change_password),
        ),
        r(
            "GET",
            "/api/v1/accounts",
            Access::roles(ADMIN),
            get(api::admin::list_accounts),
        ),
        r(
            "PUT",
            "/api/v1/accounts/{login}/roles",
            Access::roles(ADMIN),
            put(api::admin::set_roles),
        ),
        r(
            "GET",
            "/api/v1/tokens",
            Access::roles(ADMIN),
            get(api::admin::list_tokens),
        ),
        r(
            "POST",
            "/api/v1/tokens",
            Access::roles(ADMIN),
            post(api::admin::create_token),
        ),
        r(
            "DELETE",
            "/api/v1/tokens/{id}",
            Access::roles(ADMIN),
            delete(api::admin::revoke_token),
        ),
        r(
            "GET",
            "/api/v1/audit",
            Access::roles(AUDITORS),
            get(api::admin::list_audit),
        ),
        // Pages
        r("GET", "/", Access::PUBLIC, get(pages::auth::home)),
        r(
            "GET",
            "/login",
            Access::PUBLIC,
            get(pages::auth::login_page),
        ),
        r(
            "POST",
            "/login",
            Access::PUBLIC,
            post(pages::auth::login_submit),
        ),
        r("POST", "/logout", Access::ANYONE, post(pages::auth::logout)),
        r(
            "GET",
            "/lang/{code}",
            Access::OPEN,
            get(pages::auth::set_lang),
        ),
        r("GET", "/me", Access::ANYONE, get(pages::people::me)),
        r("GET", "/org", Access::ANYONE, get(pages::people::org)),
        r(
            "GET",
            "/people/{employee_no}",
            Access::ANYONE,
            get(pages::people::person),
        ),
        r(
            "POST",
            "/people/{employee_no}",
            Access::roles(HR),
            post(pages::people::update),
        ),
        r(
            "GET",
            "/export/people.xlsx",
            Access::roles(EXPORTERS),
            get(pages::people::export_people),
        ),
        r(
            "GET",
            "/import",
            Access::roles(HR),
            get(pages::import::form),
        ),
        r(
            "POST",
            "/import",
            Access::roles(HR),
            post(pages::import::upload).layer(upload_limit()),
        ),
        r(
            "GET",
            "/import/batches/{id}",
            Access::roles(HR),
            get(pages::import::batch),
        ),
        r(
            "POST",
            "/import/batches/{id}/commit",
            Access::roles(HR),
            post(pages::import::commit),
        ),
        r(
            "GET",
            "/import/template/{kind}",
            Access::roles(HR),
            get(pages::import::template),
        ),
        r(
            "GET",
            "/admin/users",
            Access::roles(ADMIN),
            get(pages::admin::users),
        ),
        r(
            "POST",
            "/admin/users/{login}/roles",
            Access::roles(ADMIN),
            post(pages::admin::set_roles),
        ),
        r(
            "POST",
            "/admin/accounts",
            Access::roles(ADMIN),
            post(pages::admin::create_account),
        ),
        r(
            "POST",
            "/admin/users/{login}/password",
            Access::roles(ADMIN),
            post(pages::admin::reset_password),
        ),
        r(
            "POST",
            "/admin/users/{login}/disabled",
            Access::roles(ADMIN),
            post(pages::admin::set_disabled),
        ),
        r(
            "POST",
            "/me/password",
            Access::ANYONE,
            post(pages::people::change_password),
        ),
        r(
            "POST",
            "/me/notifications",
            Access::ANYONE,
            post(pages::people::save_notifications),
        ),
        r(
            "POST",
            "/admin/tokens",
            Access::roles(ADMIN),
            post(pages::admin::create_token),
        ),
        r(
            "POST",
            "/admin/tokens/{id}/revoke",
            Access::roles(ADMIN),
            post(pages::admin::revoke_token),
        ),
        r(
            "GET",
            "/api/v1/notify-channels",
            Access::roles(ADMIN),
            get(api::notify::list_channels),
        ),
        r(
            "PUT",
            "/api/v1/notify-channels/{name}",
            Access::roles(ADMIN),
            put(api::notify::save_channel),
        ),
        r(
            "POST",
            "/api/v1/notify-channels/{name}/test",
            Access::roles(ADMIN),
            post(api::notify::test_channel),
        ),
        r(
            "GET",
            "/api/v1/outbox",
            Access::roles(ADMIN),
            get(api::notify::list_outbox),
        ),
        r(
            "POST",
            "/api/v1/outbox/{id}/retry",
            Access::roles(ADMIN),
            post(api::notify::retry),
        ),
        r(
            "GET",
            "/admin/notifications",
            Access::roles(ADMIN),
            get(pages::notify::page),
        ),
        r(
            "PUT",
            "/api/v1/org-units/{code}/channel",
            Access::roles(ADMIN),
            put(api::notify::set_unit_channel),
        ),
        r(
            "POST",
            "/admin/notifications/units",
            Access::roles(ADMIN),
            post(pages::notify::set_unit),
        ),
        r(
            "POST",
            "/admin/notifications/channels",
            Access::roles(ADMIN),
            post(pages::notify::save),
        ),
        r(
            "POST",
            "/admin/notifications/channels/{name}/test",
            Access::roles(ADMIN),
            post(pages::notify::test),
        ),
        r(
            "POST",
            "/admin/notifications/dead/{id}/retry",
            Access::roles(ADMIN),
            post(pages::notify::retry),
        ),
        r(
            "POST",
            "/admin/notifications/jobs/{name}/run",
            Access::roles(ADMIN),
            post(pages::notify::run_job),
        ),
        r(
            "GET",
            "/api/v1/jobs",
            Access::roles(ADMIN),
            get(api::notify::list_jobs),
        ),
        r(
            "GET",
            "/admin/audit",
            Access::roles(AUDITORS),
            get(pages::admin::audit),
        ),
    ]
}

fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(pulse_sheets::MAX_FILE_BYTES + 64 * 1024)
}
