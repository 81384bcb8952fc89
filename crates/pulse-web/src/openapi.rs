//! The OpenAPI 3 document, derived from the handlers (X4), and an offline docs page.

use axum::Json;
use axum::response::Html;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pulse API", description = "绩效脉搏 JSON API. Sign in with `POST /api/v1/session` (cookie) or send `Authorization: Bearer <token>` with a scoped API token. Errors: `{\"error\": {\"code\", \"message\"}}`."),
    paths(
        crate::features::auth::api::login, crate::features::auth::api::logout, crate::features::auth::api::me, crate::features::auth::api::change_password,
        crate::features::people::api::list, crate::features::people::api::get, crate::features::people::api::patch,
        crate::features::people::org_api::list,
        crate::features::notify::inbox_api::list, crate::features::notify::inbox_api::done, crate::features::notify::inbox_api::dismiss,
        crate::features::notify::api::list_channels, crate::features::notify::api::save_channel, crate::features::notify::api::test_channel, crate::features::notify::api::list_outbox, crate::features::notify::api::retry, crate::features::notify::api::set_unit_channel, crate::features::notify::api::my_preferences, crate::features::notify::api::save_my_preferences, crate::features::notify::api::list_jobs,
        crate::features::goals::api::person_goals, crate::features::goals::api::list_adjustments, crate::features::goals::api::create_adjustment, crate::features::goals::api::response_times,
        crate::features::goals::api::approve, crate::features::goals::api::reject, crate::features::goals::rules_api::list_rules, crate::features::goals::rules_api::create_rule, crate::features::goals::rules_api::update_rule,
        crate::features::goals::rules_api::check, crate::features::goals::rules_api::preview, crate::features::goals::rules_api::put_region_metrics, crate::features::goals::api::check_in, crate::features::goals::api::periods, crate::features::goals::api::close_period,
        crate::features::goals::api::metrics, crate::features::goals::api::save_metric, crate::features::goals::api::save_template, crate::features::goals::api::apply_template, crate::features::goals::api::set_approver, crate::features::goals::api::archive, crate::features::goals::api::create_unit_goal, crate::features::goals::api::edit_unit_goal,
        crate::features::insights::api::latest, crate::features::insights::api::list, crate::features::insights::api::generate, crate::features::insights::api::one, crate::features::insights::api::settings, crate::features::insights::api::save_settings, crate::features::insights::api::terms, crate::features::insights::api::add_term, crate::features::insights::api::remove_term, crate::features::insights::api::radar, crate::features::insights::api::models, crate::features::insights::api::save_dimension, crate::features::insights::api::delete_dimension,
        crate::features::feedback::api::create_event, crate::features::feedback::api::list_events, crate::features::feedback::api::upload_photo, crate::features::feedback::api::list_photos, crate::features::feedback::api::tags, crate::features::feedback::api::save_tag, crate::features::feedback::api::create_card, crate::features::feedback::api::card, crate::features::feedback::api::reply, crate::features::feedback::api::ack, crate::features::feedback::api::give, crate::features::feedback::api::my_points, crate::features::feedback::api::rewards, crate::features::feedback::api::save_reward, crate::features::feedback::api::redeem, crate::features::feedback::api::fulfil, crate::features::feedback::api::leaderboard,
        crate::features::customers::api::list, crate::features::customers::api::push, crate::features::customers::api::sources, crate::features::customers::api::save_source, crate::features::customers::api::pull,
        crate::features::people::import_api::create, crate::features::people::import_api::get, crate::features::people::import_api::errors_xlsx,
        crate::features::accounts::api::list_accounts, crate::features::accounts::api::set_roles, crate::features::accounts::api::create_account, crate::features::accounts::api::reset_password, crate::features::accounts::api::set_disabled,
        crate::features::accounts::api::create_token, crate::features::accounts::api::list_tokens, crate::features::accounts::api::revoke_token,
        crate::features::accounts::api::list_audit,
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
