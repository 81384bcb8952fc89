//! The HRBP's live weight rules page: list, edit, check, preview (G5).

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self, RuleDto};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pulse_store::goals;

#[derive(Template, WebTemplate)]
#[template(path = "goals/weight_rules.html")]
pub(super) struct RulesPage {
    tr: Tr,
    nav: Nav,
    rules: Vec<RuleDto>,
    periods: Vec<goals::Period>,
    metrics: Vec<(String, String)>,
    variables: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn render_rules(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    Ok(RulesPage {
        rules: service::rules(state).await?,
        periods: goals::periods(&state.db).await?,
        metrics: goals::metrics(&state.db)
            .await?
            .into_iter()
            .map(|m| (m.code, m.name))
            .collect(),
        variables: pulse_domain::rules::VARIABLES
            .iter()
            .map(|v| (v.name, lang.pick(v.zh, v.en)))
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn rules(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("rules");
    render_rules(&state, ctx, None, None).await
}

/// The rule editor form: checked, saved, evaluated; errors keep the page.
pub async fn save_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let get = |k: &str| form.text(k);
    let ctx = page.at("rules");
    let lang = ctx.lang();
    let weight = pulse_domain::weights::parse_percent(&get("weight"));
    let result = match weight {
        Err(p) => Err(AppError::invalid(p)),
        Ok(weight_bp) => {
            let input = pulse_store::weight_rules::RuleInput {
                name: get("name"),
                condition: get("condition"),
                metric_code: get("metric_code"),
                weight_bp,
                scope_unit_code: Some(get("scope")).filter(|s| !s.is_empty()),
                priority: get("priority").parse().unwrap_or(0),
                enabled: get("enabled") == "on",
                description: get("description"),
            };
            let id = get("id").parse::<i64>().ok();
            service::save_rule(&state, &caller, id, &input)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => {
            let ok = format!(
                "{} {}",
                get("name"),
                lang.pick("已保存并生效", "saved and applied")
            );
            render_rules(&state, ctx, Some(ok), None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_rules(&state, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}
