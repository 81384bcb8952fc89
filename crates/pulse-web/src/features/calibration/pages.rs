//! Calibration pages: the session list with HR's setup form. A session's
//! console and scoring page are in `session_pages`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pulse_store::accounts::Caller;
use pulse_store::calibration::{self, Session, SessionInput};

use super::api::{parse_when, person_id};
use super::service::{self, Standing};
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

pub struct SessionRow {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub state_label: String,
    pub when: String,
    pub population: String,
    pub cases: i64,
    pub flagged: i64,
    pub seat: String,
}

fn population(tr: &Tr, s: &Session) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &s.region_name {
        parts.push(r.clone());
    }
    if !s.job_family.is_empty() {
        parts.push(s.job_family.clone());
    }
    if parts.is_empty() {
        tr.t("calibration.everyone").to_string()
    } else {
        parts.join(" · ")
    }
}

pub fn session_row(tr: &Tr, s: &Session, st: Standing) -> SessionRow {
    let lang = tr.0;
    SessionRow {
        id: s.id,
        name: s.name.clone(),
        state: s.state.clone(),
        state_label: s.state().label(lang).to_string(),
        when: pulse_domain::china_time::format_ms(s.scheduled_at, "%Y-%m-%d %H:%M"),
        population: population(tr, s),
        cases: s.cases,
        flagged: s.flagged,
        seat: tr.t(&format!("calibration.seat.{}", st.code())).to_string(),
    }
}

/// What the setup form had in it.
#[derive(Default)]
pub struct SetupForm {
    pub name: String,
    pub cycle: String,
    pub region: String,
    pub family: String,
    pub facilitator: String,
    pub members: String,
    pub when: String,
    pub threshold: String,
    pub guidance: String,
}

impl SetupForm {
    fn from(f: &FormFields) -> SetupForm {
        SetupForm {
            name: f.text("name"),
            cycle: f.text("cycle_id"),
            region: f.text("region"),
            family: f.text("job_family"),
            facilitator: f.text("facilitator"),
            members: f.text("members"),
            when: f.text("scheduled_at"),
            threshold: f.text("sigma_threshold"),
            guidance: f.text("guidance"),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/sessions.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    sessions: Vec<SessionRow>,
    is_hr: bool,
    cycles: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    families: Vec<String>,
    form: SetupForm,
    error: Option<String>,
}

async fn render_list(
    state: &AppState,
    ctx: PageCtx,
    caller: &Caller,
    form: Option<SetupForm>,
    error: Option<String>,
) -> AppResult<Response> {
    let list = service::sessions_for(state, caller).await?;
    let is_hr = crate::features::reviews::service::is_hr(caller);
    let (mut cycles, mut regions, mut families) = (Vec::new(), Vec::new(), Vec::new());
    if is_hr {
        cycles = pulse_store::reviews::cycles(&state.db)
            .await?
            .into_iter()
            .filter(|c| !c.frozen())
            .map(|c| (c.id.to_string(), c.name))
            .collect();
        regions = state
            .org_tree()
            .await?
            .units
            .iter()
            .filter(|u| u.kind == "region")
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect();
        families = pulse_store::people::job_families(&state.db).await?;
    }
    let form = form.unwrap_or_else(|| SetupForm {
        cycle: cycles.first().map(|c| c.0.clone()).unwrap_or_default(),
        when: pulse_domain::china_time::format_ms(state.db.now_ms() + 86_400_000, "%Y-%m-%dT14:00"),
        threshold: "1.2".into(),
        guidance: "20-70-10".into(),
        ..SetupForm::default()
    });
    let tr = ctx.tr;
    Ok(ListPage {
        sessions: list
            .iter()
            .map(|(s, st)| session_row(&tr, s, *st))
            .collect(),
        tr,
        nav: ctx.nav,
        is_hr,
        cycles,
        regions,
        families,
        form,
        error,
    }
    .into_response())
}

pub async fn list(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    render_list(&state, page.at("calibration"), &caller, None, None).await
}

pub async fn create(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = SetupForm::from(&form);
    let result = async {
        let facilitator_id = person_id(&state, &typed.facilitator, "主持人", "facilitator").await?;
        let mut member_ids = Vec::new();
        for no in typed
            .members
            .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            member_ids.push(person_id(&state, no, "委员", "committee member").await?);
        }
        let input = SessionInput {
            name: typed.name.clone(),
            cycle_id: typed.cycle.parse().unwrap_or(0),
            region_code: Some(typed.region.clone()),
            job_family: Some(typed.family.clone()),
            facilitator_id,
            member_ids,
            scheduled_at: parse_when(&typed.when)?,
            sigma_threshold: typed.threshold.parse().map_err(|_| {
                AppError::invalid(pulse_domain::Problem::new(
                    "invalid_threshold",
                    "分歧阈值 σ 须为数字（如 1.2）",
                    "the divergence threshold σ is a number (such as 1.2)",
                ))
            })?,
            guidance: typed.guidance.clone(),
        };
        Ok(calibration::create(&state.db, &state.actor(&caller), &input).await?)
    }
    .await;
    rerender_or_redirect(
        result,
        |s| format!("/calibration/{}", s.id),
        |e| async move {
            let ctx = page.at("calibration");
            let msg = e.message(ctx.lang()).to_string();
            render_list(&state, ctx, &caller, Some(typed), Some(msg)).await
        },
    )
    .await
}
