//! The OpenAPI 3 document, derived from the handlers (X4), and an offline docs page.

use axum::Json;
use axum::response::Html;
use utoipa::OpenApi;

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pulse API", description = "绩效脉搏 JSON API. Sign in with `POST /api/v1/session` (cookie) or send `Authorization: Bearer <token>` with a scoped API token. Errors: `{\"error\": {\"code\", \"message\"}}`."),
    paths(
        api::session::login, api::session::logout, api::session::me, api::session::change_password,
        api::people::list, api::people::get, api::people::patch,
        api::org::list,
        api::inbox::list, api::inbox::done, api::inbox::dismiss,
        api::notify::list_channels, api::notify::save_channel, api::notify::test_channel, api::notify::list_outbox, api::notify::retry, api::notify::set_unit_channel, api::notify::my_preferences, api::notify::save_my_preferences, api::notify::list_jobs,
        api::goals::person_goals, api::goals::list_adjustments, api::goals::create_adjustment, api::goals::response_times,
        api::goals::approve, api::goals::reject, api::goals::list_rules, api::goals::create_rule, api::goals::update_rule,
        api::goals::check, api::goals::preview, api::goals::put_region_metrics, api::goals::check_in, api::goals::periods, api::goals::close_period,
        api::goals::metrics, api::goals::save_metric, api::goals::save_template, api::goals::apply_template, api::goals::set_approver, api::goals::archive, api::goals::create_unit_goal, api::goals::edit_unit_goal,
        api::insights::latest, api::insights::list, api::insights::generate, api::insights::one, api::insights::settings, api::insights::save_settings, api::insights::terms, api::insights::add_term, api::insights::remove_term, api::insights::radar, api::insights::models, api::insights::save_dimension, api::insights::delete_dimension,
        api::feedback::create_event, api::feedback::list_events, api::feedback::upload_photo, api::feedback::list_photos, api::feedback::tags, api::feedback::save_tag, api::feedback::create_card, api::feedback::card, api::feedback::reply, api::feedback::ack, api::feedback::give, api::feedback::my_points, api::feedback::rewards, api::feedback::save_reward, api::feedback::redeem, api::feedback::fulfil, api::feedback::leaderboard,
        api::customers::list, api::customers::push, api::customers::sources, api::customers::save_source, api::customers::pull,
        api::imports::create, api::imports::get, api::imports::errors_xlsx,
        api::admin::list_accounts, api::admin::set_roles, api::admin::create_account, api::admin::reset_password, api::admin::set_disabled,
        api::admin::create_token, api::admin::list_tokens, api::admin::revoke_token,
        api::admin::list_audit,
    ),
    tags(
        (name = "session", description = "Sign-in and the current caller"),
        (name = "people", description = "People, scoped by the caller's roles"),
        (name = "org", description = "Org units"),
        (name = "inbox", description = "The caller's to-dos"),
        (name = "notifications", description = "Channels, the outbox and its dead letters"),
        (name = "goals", description = "Goal boards, weights, weight rules and adjustment requests"),
        (name = "customers", description = "CRM customers: list, push, pull from a CRM"),
        (name = "imports", description = "Spreadsheet imports with dry run"),
        (name = "admin", description = "Accounts, roles, API tokens, audit trail"),
    )
)]
pub struct ApiDoc;

pub async fn json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A docs page that needs nothing from the internet: the operations listed
/// from the document itself, rendered by a few lines of script.
pub async fn docs() -> Html<&'static str> {
    Html(include_str!("../static/api-docs.html"))
}
