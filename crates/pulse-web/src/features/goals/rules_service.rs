//! The weight rules (G5) for the API and the editor page: the rules with
//! their state per region, a condition check, the preview in words, saving.

use pulse_domain::rules::Condition;
use pulse_store::goals;
use pulse_store::weight_rules::{self, RuleInput};
use serde::Serialize;
use utoipa::ToSchema;

use super::service::period;
use crate::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionState {
    pub code: String,
    pub name: String,
    /// `active`, `inactive`, `overridden` (a higher-priority rule wins) or `error`.
    pub state: String,
    /// The inputs of the last evaluation, e.g. `{"a_class_new_sign_rate": 0.182}`.
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    pub error: Option<String>,
    pub changed_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: i64,
    pub name: String,
    pub condition: String,
    pub metric_code: String,
    pub metric_name: String,
    pub weight_bp: i64,
    pub priority: i64,
    pub enabled: bool,
    pub description: String,
    /// The org unit the rule is limited to (its code), or null for every region.
    pub scope: Option<String>,
    /// Regions where the rule fires now.
    pub active_regions: i64,
    pub regions: Vec<RegionState>,
}

pub async fn rules(state: &AppState) -> AppResult<Vec<RuleDto>> {
    let states = weight_rules::states(&state.db).await?;
    let tree = state.org_tree().await?;
    Ok(weight_rules::rules(&state.db)
        .await?
        .into_iter()
        .map(|r| {
            let regions: Vec<RegionState> = states
                .iter()
                .filter(|s| s.rule_id == r.id)
                .map(|s| RegionState {
                    code: s.unit_code.clone(),
                    name: s.unit_name.clone(),
                    state: s.state.clone(),
                    inputs: serde_json::from_str(&s.inputs_json).unwrap_or_default(),
                    error: s.error.clone(),
                    changed_at: s.changed_at,
                })
                .collect();
            RuleDto {
                active_regions: regions.iter().filter(|s| s.state == "active").count() as i64,
                id: r.id,
                name: r.name,
                condition: r.condition,
                metric_code: r.metric_code,
                metric_name: r.metric_name,
                weight_bp: r.weight_bp,
                priority: r.priority,
                enabled: r.enabled != 0,
                description: r.description,
                scope: r
                    .scope_unit_id
                    .and_then(|id| tree.units.iter().find(|u| u.id == id))
                    .map(|u| u.code.clone()),
                regions,
            }
        })
        .collect())
}

/// Checks a condition as the HRBP types: `Ok` or the Chinese/English error with position.
pub fn check_condition(source: &str) -> Result<(), pulse_domain::Problem> {
    Condition::compile(source).map(|_| ())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewRegion {
    pub code: String,
    pub name: String,
    pub fires: bool,
    pub error: Option<String>,
    /// What would happen here, as a sentence in the request's language.
    pub summary: String,
    /// People whose weights would change.
    pub people: i64,
    /// The KPI's weight before → after for a typical person (basis points).
    pub before_bp: Option<i64>,
    pub after_bp: Option<i64>,
}

/// Who would change and how, without saving: evaluates the condition per
/// region on the current inputs and rescales a sample person's weights.
pub async fn preview(
    state: &AppState,
    rule: &RuleInput,
    lang: pulse_domain::Lang,
) -> AppResult<Vec<PreviewRegion>> {
    let cond = Condition::compile(&rule.condition).map_err(AppError::invalid)?;
    let Some(period) = period(state, None).await? else {
        return Ok(Vec::new());
    };
    let metric = goals::metrics(&state.db)
        .await?
        .into_iter()
        .find(|m| m.code == rule.metric_code.trim())
        .ok_or_else(|| {
            AppError::invalid(pulse_domain::Problem::new(
                "unknown_metric",
                format!("指标“{}”不存在", rule.metric_code),
                format!("no metric with code '{}'", rule.metric_code),
            ))
        })?;
    let tree = state.org_tree().await?;
    let mut out = Vec::new();
    let mut tx = state.db.begin().await?;
    for region in tree.units.iter().filter(|u| u.kind == "region") {
        if let Some(code) = rule.scope_unit_code.as_deref().filter(|c| !c.is_empty())
            && !tree.path(region.id).iter().any(|u| u.code == code)
        {
            continue;
        }
        let inputs = weight_rules::region_inputs(&mut tx, region.id, period.id).await?;
        let (fires, error) = match cond.eval(&inputs) {
            Ok(b) => (b, None),
            Err(p) => (false, Some(p.message(lang).to_string())),
        };
        let (people, before, after) = if fires {
            goals::preview_override(&mut tx, region.id, period.id, metric.id, rule.weight_bp)
                .await?
        } else {
            (0, None, None)
        };
        let summary = pulse_domain::rules::preview_sentence(
            &pulse_domain::rules::PreviewFacts {
                region: &region.name,
                metric: &metric.name,
                fires,
                error: error.as_deref(),
                people,
                before_bp: before,
                after_bp: after,
            },
            lang,
        );
        out.push(PreviewRegion {
            summary,
            code: region.code.clone(),
            name: region.name.clone(),
            fires,
            error,
            people,
            before_bp: before,
            after_bp: after,
        });
    }
    tx.rollback().await?;
    Ok(out)
}

/// Saves a checked rule and applies it at once to the running period.
pub async fn save_rule(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: Option<i64>,
    rule: &RuleInput,
) -> AppResult<i64> {
    let actor = state.actor(caller);
    let mut tx = state.db.begin().await?;
    let id = weight_rules::save_rule(&mut tx, &actor, id, rule).await?;
    tx.commit().await?;
    if let Some(p) = period(state, None).await? {
        weight_rules::evaluate(&state.db, p.id, None, &actor).await?;
    }
    Ok(id)
}
