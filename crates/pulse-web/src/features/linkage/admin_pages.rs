//! The team's and HR's pages: outcomes in scope with the payroll and pool
//! exports (L3, incentive export), the rules with syntax check, preview and
//! evaluation (L1, L4), the catalogue and role profiles (T1).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::linkage::HELPERS;
use pulse_store::linkage::{evaluate, outcomes, paths, rules};

use super::api::{self as linkage_api, EvaluationDto, OutcomeParams, PreviewDto};
use super::dto::{self, LinkageRuleDto, OutcomeDto};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

#[derive(Template, WebTemplate)]
#[template(path = "linkage/outcomes.html")]
struct OutcomesPage {
    tr: Tr,
    nav: Nav,
    items: Vec<OutcomeDto>,
    periods: Vec<(String, String)>,
    period: String,
    kind: String,
    state: String,
    is_hr: bool,
    /// A lead's people, for their development paths (HR finds people via search).
    team: Vec<(String, String, String)>,
}

/// `GET /linkage`: outcomes in the caller's scope, with filters.
pub async fn outcomes_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<OutcomeParams>,
) -> AppResult<Response> {
    let ctx = page.at("linkage");
    let lang = ctx.lang();
    let filter = linkage_api::filter(&state, &caller, &q).await?;
    let items = outcomes::list(&state.db, &filter)
        .await?
        .iter()
        .map(|o| dto::outcome_dto(o, lang))
        .collect();
    let is_hr = service::is_hr(&caller);
    let team = if is_hr {
        Vec::new()
    } else {
        let q = pulse_store::people::PeopleQuery {
            status: Some("active".into()),
            ..Default::default()
        };
        pulse_store::people::list_all(&state.db, &caller.viewer(), &q)
            .await?
            .into_iter()
            .filter(|p| p.id != caller.person_id)
            .take(60)
            .map(|p| (p.employee_no, p.name, p.job_family))
            .collect()
    };
    Ok(OutcomesPage {
        items,
        team,
        periods: closed_periods(&state, lang).await?,
        period: q.period.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        state: q.state.clone().unwrap_or_default(),
        is_hr,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// Closed periods as (code, label), newest first.
async fn closed_periods(
    state: &AppState,
    lang: pulse_domain::Lang,
) -> AppResult<Vec<(String, String)>> {
    Ok(pulse_store::goals::periods(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.state != "open")
        .map(|p| (p.code.clone(), p.label(lang)))
        .collect())
}

/// What an HRBP typed into the rule form.
#[derive(Default, Clone)]
pub struct Typed {
    pub id: Option<i64>,
    pub name: String,
    pub condition: String,
    pub job_family: String,
    pub enabled: bool,
    /// (kind, name, adjustment) per action row.
    pub actions: Vec<(String, String, String)>,
    pub period: String,
}

impl Typed {
    fn from_form(f: &FormFields) -> Typed {
        Typed {
            id: f.text("id").parse().ok(),
            name: f.text("name"),
            condition: f.text("condition"),
            job_family: f.text("job_family"),
            enabled: f.get("enabled").is_some(),
            actions: (0..3)
                .map(|i| {
                    (
                        f.text(&format!("kind{i}")),
                        f.text(&format!("name{i}")),
                        f.text(&format!("adjustment{i}")),
                    )
                })
                .collect(),
            period: f.text("period"),
        }
    }

    fn from_rule(r: &rules::Rule) -> Typed {
        let mut actions: Vec<(String, String, String)> = r
            .actions
            .iter()
            .map(|a| {
                let d = dto::action_dto(a, pulse_domain::Lang::Zh);
                // The form takes the plain "0.15" / "-0.05" that parse_adjustment reads.
                let adjustment = match a {
                    pulse_domain::linkage::Action::AdjustBonus { hundredths } => {
                        pulse_domain::linkage::coefficient(*hundredths)
                    }
                    _ => String::new(),
                };
                (d.kind, d.name, adjustment)
            })
            .collect();
        actions.resize(3, Default::default());
        Typed {
            id: Some(r.id),
            name: r.name.clone(),
            condition: r.condition.clone(),
            job_family: r.job_family.clone(),
            enabled: r.enabled,
            actions,
            period: String::new(),
        }
    }

    fn input(&self) -> AppResult<rules::RuleInput> {
        let actions = self
            .actions
            .iter()
            .filter(|(k, _, _)| !k.is_empty())
            .map(|(k, n, a)| service::action(k, n, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rules::RuleInput {
            name: self.name.clone(),
            condition: self.condition.clone(),
            actions,
            job_family: self.job_family.clone(),
            enabled: self.enabled,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "linkage/rules.html")]
struct RulesPage {
    tr: Tr,
    nav: Nav,
    rules: Vec<LinkageRuleDto>,
    typed: Typed,
    families: Vec<String>,
    periods: Vec<(String, String)>,
    names: Vec<String>,
    helpers: Vec<(String, &'static str)>,
    error: Option<String>,
    preview: Option<PreviewDto>,
    evaluation: Option<EvaluationDto>,
    eval_error: Option<String>,
}

const KINDS: [&str; 4] = [
    "join_pool",
    "recommend_course",
    "adjust_bonus",
    "grant_eligibility",
];

impl RulesPage {
    fn kinds(&self) -> &'static [&'static str] {
        &KINDS
    }
}

#[derive(Default)]
struct Shown {
    error: Option<String>,
    preview: Option<PreviewDto>,
    evaluation: Option<EvaluationDto>,
    eval_error: Option<String>,
}

async fn render_rules(
    state: &AppState,
    ctx: PageCtx,
    typed: Typed,
    shown: Shown,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let rules = rules::rules(&state.db)
        .await?
        .iter()
        .map(|r| dto::rule_dto(r, lang))
        .collect();
    let names = rules::items(&state.db, None)
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect();
    let mut typed = typed;
    typed.actions.resize(3, Default::default());
    Ok(RulesPage {
        rules,
        typed,
        families: pulse_store::people::job_families(&state.db).await?,
        periods: closed_periods(state, lang).await?,
        names,
        helpers: HELPERS
            .iter()
            .map(|h| match lang {
                pulse_domain::Lang::Zh => (h.0.to_string(), h.1),
                pulse_domain::Lang::En => (
                    h.0.replace("指标", "metric").replace("阈值", "threshold"),
                    h.2,
                ),
            })
            .collect(),
        error: shown.error,
        preview: shown.preview,
        evaluation: shown.evaluation,
        eval_error: shown.eval_error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct RulesQuery {
    edit: Option<i64>,
}

/// `GET /linkage/rules`: the rules, the editor (new, or `?edit=id`), evaluation.
pub async fn rules_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<RulesQuery>,
) -> AppResult<Response> {
    let typed = match q.edit {
        Some(id) => Typed::from_rule(
            &rules::rule(&state.db, id)
                .await?
                .ok_or_else(|| AppError::not_found("规则", "rule"))?,
        ),
        None => Typed {
            enabled: true,
            ..Default::default()
        },
    };
    render_rules(&state, page.at("linkage"), typed, Shown::default()).await
}

/// `POST /linkage/rules`: `preview` shows who would match; `save` keeps it.
/// A refusal re-renders the form with everything typed.
pub async fn rules_form(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = Typed::from_form(&form);
    let ctx = page.at("linkage");
    let lang = ctx.lang();
    if form.text("do") == "preview" {
        let shown = match typed.input() {
            Ok(input) => {
                match linkage_api::preview_dto(&state, &input, &typed.period, lang, 10).await {
                    Ok(p) => Shown {
                        preview: Some(p),
                        ..Default::default()
                    },
                    Err(e) if e.status.is_client_error() => Shown {
                        error: Some(e.message(lang).to_string()),
                        ..Default::default()
                    },
                    Err(e) => return Err(e),
                }
            }
            Err(e) => Shown {
                error: Some(e.message(lang).to_string()),
                ..Default::default()
            },
        };
        return render_rules(&state, ctx, typed, shown).await;
    }
    let result = match typed.input() {
        Ok(input) => rules::save(&state.db, &state.actor(&caller), typed.id, &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    rerender_or_redirect(
        result,
        |r| format!("/linkage/rules#rule-{}", r.id),
        |e| async move {
            let msg = e.message(lang).to_string();
            render_rules(
                &state,
                ctx,
                typed,
                Shown {
                    error: Some(msg),
                    ..Default::default()
                },
            )
            .await
        },
    )
    .await
}

/// `POST /linkage/evaluate`: evaluates a closed period and shows the counts.
pub async fn evaluate_form(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("linkage");
    let lang = ctx.lang();
    let period = form.text("period");
    let shown = match evaluate::evaluate(
        &state.db,
        &state.actor(&caller),
        &period,
        &state.config.public_url,
    )
    .await
    {
        Ok(e) => Shown {
            evaluation: Some(linkage_api::evaluation_dto(&state, &e, lang).await?),
            ..Default::default()
        },
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            Shown {
                eval_error: Some(e.message(lang).to_string()),
                ..Default::default()
            }
        }
    };
    let typed = Typed {
        enabled: true,
        period,
        ..Default::default()
    };
    render_rules(&state, ctx, typed, shown).await
}

#[derive(Template, WebTemplate)]
#[template(path = "linkage/catalog.html")]
struct CatalogPage {
    tr: Tr,
    nav: Nav,
    items: Vec<(rules::Item, usize)>,
    profiles: Vec<paths::Profile>,
    families: Vec<String>,
    error: Option<String>,
    role_error: Option<String>,
    typed: (String, String, String, String),
    typed_role: (String, String, String, String),
}

impl CatalogPage {
    fn of_kind(&self, kind: &str) -> Vec<&(rules::Item, usize)> {
        self.items.iter().filter(|(i, _)| i.kind == kind).collect()
    }
}

async fn render_catalog(
    state: &AppState,
    ctx: PageCtx,
    error: (Option<String>, Option<String>),
    typed: (String, String, String, String),
    typed_role: (String, String, String, String),
) -> AppResult<Response> {
    let counts = outcomes::counts_by_item(&state.db).await?;
    let items = rules::items(&state.db, None)
        .await?
        .into_iter()
        .map(|i| {
            let n = counts
                .get(&(i.kind.clone(), i.name.clone()))
                .copied()
                .unwrap_or(0);
            (i, n)
        })
        .collect();
    Ok(CatalogPage {
        items,
        profiles: paths::profiles(&state.db, None).await?,
        families: pulse_store::people::job_families(&state.db).await?,
        error: error.0,
        role_error: error.1,
        typed,
        typed_role,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /linkage/catalog`.
pub async fn catalog_page(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    let typed = (
        "pool".to_string(),
        String::new(),
        String::new(),
        String::new(),
    );
    render_catalog(
        &state,
        page.at("linkage"),
        (None, None),
        typed,
        Default::default(),
    )
    .await
}

/// `POST /linkage/catalog/items`: adds a pool, course or eligibility.
pub async fn item_form(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (
        form.text("kind"),
        form.text("name"),
        form.text("description"),
        form.text("dimension"),
    );
    let result = async {
        let kind = rules::ItemKind::parse(&typed.0)
            .ok_or_else(|| AppError::bad_request("请选择类型", "choose a kind"))?;
        let mut tx = state.db.begin().await?;
        let input = rules::ItemInput {
            kind,
            name: typed.1.clone(),
            description: typed.2.clone(),
            dimension: typed.3.clone(),
            hours: None,
        };
        rules::save_item(&mut tx, &state.actor(&caller), &input).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    rerender_or_redirect(
        result,
        |_| "/linkage/catalog".to_string(),
        |e| async move {
            let ctx = page.at("linkage");
            let msg = e.message(ctx.lang()).to_string();
            render_catalog(&state, ctx, (Some(msg), None), typed, Default::default()).await
        },
    )
    .await
}

/// "客户关系韧性 90" per line → (dimension, required).
fn requirements(text: &str) -> Result<Vec<(String, i64)>, pulse_domain::Problem> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cut = line.rfind(|c: char| c.is_whitespace() || c == ':' || c == '：');
        let parsed = cut.and_then(|i| {
            let (d, r) = line.split_at(i);
            let r = r.trim_start_matches([':', '：']).trim();
            Some((d.trim().to_string(), r.parse::<i64>().ok()?))
        });
        match parsed {
            Some((d, r)) if !d.is_empty() => out.push((d, r)),
            _ => {
                return Err(pulse_domain::Problem::new(
                    "invalid_requirement",
                    format!("这一行应为“维度 要求”，如“客户关系韧性 90”：{line}"),
                    format!("each line is 'dimension required', e.g. '客户关系韧性 90': {line}"),
                ));
            }
        }
    }
    Ok(out)
}

/// `POST /linkage/catalog/roles`: adds or replaces a role profile.
pub async fn role_form(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (
        form.text("name"),
        form.text("job_family"),
        form.text("description"),
        form.text("requirements"),
    );
    let result = async {
        let reqs = requirements(&typed.3)?;
        paths::save_profile(
            &state.db,
            &state.actor(&caller),
            &paths::ProfileInput {
                name: typed.0.clone(),
                job_family: typed.1.clone(),
                description: typed.2.clone(),
                requirements: reqs,
            },
        )
        .await?;
        Ok::<_, AppError>(())
    }
    .await;
    rerender_or_redirect(
        result,
        |_| "/linkage/catalog#roles".to_string(),
        |e| async move {
            let ctx = page.at("linkage");
            let msg = e.message(ctx.lang()).to_string();
            let blank = (
                "pool".to_string(),
                String::new(),
                String::new(),
                String::new(),
            );
            render_catalog(&state, ctx, (None, Some(msg)), blank, typed).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn requirement_lines_read_with_spaces_or_colons() {
        let r = super::requirements("客户关系韧性 90\n沟通质量：65\n\n 重点客户渗透:70 ").unwrap();
        assert_eq!(
            r,
            [
                ("客户关系韧性".to_string(), 90),
                ("沟通质量".into(), 65),
                ("重点客户渗透".into(), 70)
            ]
        );
        assert!(super::requirements("客户关系韧性").is_err());
        assert!(super::requirements("客户关系韧性 很高").is_err());
    }
}
