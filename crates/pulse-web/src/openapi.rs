//! The OpenAPI 3 document, derived from the handlers (X4), and an offline docs page.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Ref, RefOr};

use crate::access::{Access, Who};

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
        crate::features::reviews::cycles_api::cycles, crate::features::reviews::cycles_api::launch, crate::features::reviews::cycles_api::progress, crate::features::reviews::cycles_api::release, crate::features::reviews::cycles_api::complete,
        crate::features::reviews::api::list, crate::features::reviews::api::get, crate::features::reviews::api::evidence, crate::features::reviews::api::draft, crate::features::reviews::api::check, crate::features::reviews::api::submit, crate::features::reviews::api::ping, crate::features::reviews::api::acknowledge, crate::features::reviews::api::reassign,
        crate::features::reviews::llm_api::llm_config, crate::features::reviews::llm_api::save_llm_config,
        crate::features::calibration::api::sessions, crate::features::calibration::api::create, crate::features::calibration::api::session, crate::features::calibration::api::cases, crate::features::calibration::api::score, crate::features::calibration::api::rescore, crate::features::calibration::api::decide, crate::features::calibration::api::place, crate::features::calibration::api::move_to, crate::features::calibration::api::put_on, crate::features::calibration::report_pages::letter_json, crate::features::calibration::report_pages::gaps_json, crate::features::calibration::keywords::list, crate::features::calibration::keywords::add, crate::features::calibration::keywords::delete,
        crate::features::calibration::stream::stream,
        crate::features::linkage::api::person_outcomes, crate::features::linkage::api::list_outcomes, crate::features::linkage::api::reverse, crate::features::linkage::api::list_rules, crate::features::linkage::api::create_rule, crate::features::linkage::api::update_rule, crate::features::linkage::api::preview, crate::features::linkage::api::evaluate,
        crate::features::linkage::path_api::development_path, crate::features::linkage::path_api::click, crate::features::linkage::path_api::profiles, crate::features::linkage::path_api::save_profile, crate::features::linkage::path_api::items, crate::features::linkage::path_api::save_item,
        crate::features::org_health::api::dashboard, crate::features::org_health::api::settings, crate::features::org_health::api::save_settings, crate::features::org_health::api::surveys, crate::features::org_health::api::survey, crate::features::org_health::api::launch, crate::features::org_health::api::respond, crate::features::org_health::api::close, crate::features::org_health::api::results,
        crate::features::privacy::api::my_export, crate::features::privacy::api::person_export, crate::features::privacy::api::views, crate::features::privacy::api::anonymise, crate::features::privacy::api::annotations, crate::features::privacy::api::annotate,
        crate::features::sso::api::get_settings, crate::features::sso::api::put_settings, crate::features::sso::api::end_sessions,
        crate::features::scim::users::list, crate::features::scim::users::create, crate::features::scim::users::get, crate::features::scim::users::replace, crate::features::scim::users::patch, crate::features::scim::users::delete,
        crate::features::scim::groups::list, crate::features::scim::groups::create, crate::features::scim::groups::get, crate::features::scim::groups::replace, crate::features::scim::groups::patch, crate::features::scim::groups::delete,
        crate::features::scim::discovery::config, crate::features::scim::discovery::types, crate::features::scim::discovery::type_one, crate::features::scim::discovery::schemas_list, crate::features::scim::discovery::schema_one,
        crate::features::org_health::alignment_api::rounds, crate::features::org_health::alignment_api::start, crate::features::org_health::alignment_api::round, crate::features::org_health::alignment_api::close, crate::features::org_health::alignment_api::submit, crate::features::org_health::alignment_api::queue, crate::features::org_health::alignment_api::verify,
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
        (name = "reviews", description = "Review cycles, reviews, their evidence and the review writer"),
        (name = "calibration", description = "Calibration sessions: blind committee scores, the divergence flag, the live stream, final ratings and the 9-box"),
        (name = "org-health", description = "Organisational health: alignment sampling, the anonymous trust survey, development engagement and the dashboard, each figure with its raw counts"),
        (name = "linkage", description = "Performance → development → incentive: rules, outcomes with their causal chain, reversal, development paths and role profiles"),
        (name = "imports", description = "Spreadsheet imports with dry run"),
        (name = "admin", description = "Accounts, roles, API tokens, audit trail"),
        (name = "privacy", description = "PIPL data rights: the person's archive, HR's notes, the view log, anonymisation of leavers"),
        (name = "identity", description = "Single sign-on (OIDC, WeChat Work) settings and ending sessions"),
        (name = "scim", description = "SCIM 2.0 provisioning (RFC 7643/7644) with a token of scope `scim`; answers and errors are `application/scim+json`"),
    )
)]
pub struct ApiDoc;

/// The served document: the handlers' own declarations, completed with the
/// statuses the shared layers answer for them (see [`complete`]).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let table = crate::routes::table();
    for (path, item) in doc.paths.paths.iter_mut() {
        // SCIM declares its own statuses in its own error shape.
        if path.starts_with("/scim/") {
            continue;
        }
        for (method, op) in operations_mut(item) {
            let access = table
                .iter()
                .find(|r| r.method == method && r.path == path)
                .map(|r| r.access);
            complete(op, access);
        }
    }
    doc
}

pub async fn json() -> Response {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    let body = DOC.get_or_init(|| serde_json::to_vec(&document()).unwrap_or_default());
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.as_slice(),
    )
        .into_response()
}

fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("POST", item.post.as_mut()),
        ("PUT", item.put.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// Statuses no handler writes itself but every request can meet on its way
/// there: the access layer (401 without a session or token, 403 for a role,
/// token scope or missing CSRF proof), the path, query and body extractors
/// (`api::ApiJson`, `api::ApiQuery`, axum's `Path`) and the body limit.
/// Derived from the route's `Access` and the operation's own parameters, so
/// a new handler gets them without anyone remembering to list them.
fn complete(op: &mut Operation, access: Option<Access>) {
    let signed_in = !matches!(access.map(|a| a.who), None | Some(Who::Open | Who::Public));
    let params: Vec<ParameterIn> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p.parameter_in.clone()),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has_path = params.iter().any(|p| matches!(p, ParameterIn::Path));
    let has_query = params.iter().any(|p| matches!(p, ParameterIn::Query));
    let body_types: Vec<String> = match &op.request_body {
        Some(RefOr::T(b)) => b.content.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(description)));
    };
    if signed_in {
        add(
            "401",
            "Not signed in, or the session or token has expired (`unauthenticated`).",
        );
        add(
            "403",
            "The caller's roles or token scope do not admit this operation, or a browser write lacks its CSRF proof (`forbidden`, `csrf`).",
        );
    }
    if has_path {
        add(
            "400",
            "A path value that does not fit its type, e.g. an id beyond 64 bits (`bad_request`).",
        );
        add(
            "404",
            "No such record, or it lies outside the caller's scope (`not_found`).",
        );
    }
    if has_query {
        add(
            "400",
            "A query parameter of the wrong type, out of range or unknown (`bad_request`).",
        );
    }
    if !body_types.is_empty() {
        add(
            "413",
            "The body is larger than this operation accepts (`payload_too_large`).",
        );
        add(
            "415",
            "The body is not of the declared content type (`unsupported_media_type`).",
        );
        add(
            "422",
            "The body is well-formed but a field is missing, unknown, of the wrong type or breaks a rule (`invalid_body` or a specific code).",
        );
        if body_types.iter().any(|t| t == "application/json") {
            add("400", "The body is not valid JSON (`malformed_json`).");
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                .build(),
        )
        .build()
}

/// A docs page that needs nothing from the internet: the operations listed
/// from the document itself, rendered by a few lines of script.
pub async fn docs() -> Html<&'static str> {
    Html(include_str!("../static/api-docs.html"))
}
