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
use axum::extract::{Query, State};
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
    /// The editor's fields: a chosen rule's, or what was typed into a refused form.
    form: Vec<(&'static str, String)>,
}

impl RulesPage {
    fn v(&self, field: &str) -> &str {
        self.form
            .iter()
            .find(|(k, _)| *k == field)
            .map_or("", |(_, v)| v.as_str())
    }
}

const FIELDS: [&str; 9] = [
    "id",
    "name",
    "condition",
    "metric_code",
    "weight",
    "priority",
    "scope",
    "description",
    "enabled",
];

/// A new rule's editor: enabled, priority 0.
fn blank() -> Vec<(&'static str, String)> {
    vec![("priority", "0".into()), ("enabled", "on".into())]
}

fn filled(r: &RuleDto) -> Vec<(&'static str, String)> {
    vec![
        ("id", r.id.to_string()),
        ("name", r.name.clone()),
        ("condition", r.condition.clone()),
        ("metric_code", r.metric_code.clone()),
        ("weight", pulse_domain::weights::percent(r.weight_bp)),
        ("priority", r.priority.to_string()),
        ("scope", r.scope.clone().unwrap_or_default()),
        ("description", r.description.clone()),
        ("enabled", if r.enabled { "on" } else { "" }.into()),
    ]
}

pub(super) async fn render_rules(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
    form: Option<Vec<(&'static str, String)>>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let rules = service::rules(state).await?;
    Ok(RulesPage {
        form: form.unwrap_or_else(blank),
        rules,
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

#[derive(Debug, serde::Deserialize)]
pub struct RulesQuery {
    /// A rule to load into the editor.
    edit: Option<String>,
}

pub async fn rules(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Query(q): Query<RulesQuery>,
) -> AppResult<Response> {
    let ctx = page.at("rules");
    let chosen = match q.edit.as_deref().map(str::parse::<i64>) {
        Some(Ok(id)) => service::rules(&state)
            .await?
            .iter()
            .find(|r| r.id == id)
            .map(filled),
        _ => None,
    };
    render_rules(&state, ctx, None, None, chosen).await
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
    let priority = match get("priority").as_str() {
        "" => Ok(0),
        p => p.parse::<i64>().map_err(|_| {
            pulse_domain::Problem::new(
                "invalid_priority",
                "优先级需为整数，如 0、5、10",
                "the priority must be a whole number, e.g. 0, 5 or 10",
            )
        }),
    };
    let result = match weight.and_then(|w| priority.map(|p| (w, p))) {
        Err(p) => Err(AppError::invalid(p)),
        Ok((weight_bp, priority)) => {
            let input = pulse_store::weight_rules::RuleInput {
                name: get("name"),
                condition: get("condition"),
                metric_code: get("metric_code"),
                weight_bp,
                scope_unit_code: Some(get("scope")).filter(|s| !s.is_empty()),
                priority,
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
            render_rules(&state, ctx, Some(ok), None, None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            let typed = FIELDS.iter().map(|k| (*k, form.text(k))).collect();
            render_rules(&state, ctx, None, Some(msg), Some(typed)).await
        }
        Err(e) => Err(e),
    }
}
