use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use pulse_domain::org::{EmployeeNo, PersonStatus, person_name, required_text};
use pulse_store::people::{self, PeopleQuery, Person, PersonInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::features::auth::api::OrgRef;

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub employee_no: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    pub level: String,
    pub org_unit: OrgRef,
    /// Full path from the group down, e.g. `华东医疗集团 / 华东大区 / 上海一组`.
    pub org_path: String,
    pub manager: Option<PersonRef>,
    pub hire_date: Option<NaiveDate>,
    /// `active` or `left`.
    pub status: String,
    pub email: Option<String>,
    /// 企业微信账号, what WeChat Work sign-in and messages use.
    pub wecom_userid: Option<String>,
}

impl PersonDto {
    pub fn from_person(p: Person, tree: &pulse_store::org::Tree) -> Self {
        PersonDto {
            org_path: tree.path_names(p.org_unit_id),
            employee_no: p.employee_no,
            name: p.name,
            job_family: p.job_family,
            level: p.level,
            org_unit: OrgRef {
                code: p.org_unit_code,
                name: p.org_unit_name,
            },
            manager: match (p.manager_employee_no, p.manager_name) {
                (Some(employee_no), Some(name)) => Some(PersonRef { employee_no, name }),
                _ => None,
            },
            hire_date: p.hire_date,
            status: p.status,
            email: p.email,
            wecom_userid: p.wecom_userid,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeoplePage {
    pub items: Vec<PersonDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeopleParams {
    /// Part of a name, its pinyin (full or initials, e.g. `zw` for 张伟) or an employee number.
    #[param(max_length = 64)]
    pub q: Option<String>,
    /// Org unit code; includes everyone below it.
    pub org_unit: Option<String>,
    /// Default `active`.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// Default 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    /// Default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Active,
    Left,
    All,
}

impl PeopleParams {
    pub fn to_query(&self) -> AppResult<PeopleQuery> {
        let status = match self.status.unwrap_or(StatusFilter::Active) {
            StatusFilter::Active => Some("active".to_string()),
            StatusFilter::Left => Some("left".to_string()),
            StatusFilter::All => None,
        };
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(20);
        if !(1..=10_000).contains(&page) || !(1..=people::MAX_PER_PAGE).contains(&per_page) {
            return Err(AppError::bad_request(
                format!(
                    "page 需在 1 到 10000 之间，per_page 需在 1 到 {} 之间",
                    people::MAX_PER_PAGE
                ),
                format!(
                    "page must be between 1 and 10000 and per_page between 1 and {}",
                    people::MAX_PER_PAGE
                ),
            ));
        }
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 64) {
            return Err(AppError::bad_request("搜索词过长", "search term too long"));
        }
        Ok(PeopleQuery {
            q: self.q.clone(),
            org_unit: self.org_unit.clone().filter(|s| !s.trim().is_empty()),
            status,
            page,
            per_page,
        })
    }
}

/// People the caller may see (their data scope), searchable and paged.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PeopleParams),
    responses((status = 200, body = PeoplePage)))]
pub async fn list(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiQuery(params): ApiQuery<PeopleParams>,
) -> AppResult<Json<PeoplePage>> {
    let query = params.to_query()?;
    let (items, total) = people::list(&state.db, &caller.viewer(), &query).await?;
    let tree = state.org_tree().await?;
    Ok(Json(PeoplePage {
        items: items
            .into_iter()
            .map(|p| PersonDto::from_person(p, &tree))
            .collect(),
        total,
        page: query.page,
        per_page: query.per_page,
    }))
}

/// One person by 工号; 404 when outside the caller's data scope.
#[utoipa::path(get, path = "/api/v1/people/{employee_no}", tag = "people",
    responses((status = 200, body = PersonDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
) -> AppResult<Json<PersonDto>> {
    let person = people::get_visible(&state.db, &caller.viewer(), &employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let tree = state.org_tree().await?;
    Ok(Json(PersonDto::from_person(person, &tree)))
}

/// Fields HR may change; absent fields stay as they are. `manager` is a 工号
/// or `null` to clear it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub job_family: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub level: Option<String>,
    /// Org unit code.
    pub org_unit: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    /// The manager's 工号; null or empty for none.
    #[schema(value_type = Option<String>, max_length = 32)]
    pub manager: Option<Option<String>>,
    pub hire_date: Option<NaiveDate>,
    #[schema(value_type = Option<crate::api::vocab::PersonStatus>)]
    pub status: Option<String>,
    pub email: Option<String>,
    /// The WeChat Work user id (企业微信账号) sign-in finds the person by;
    /// null or empty for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64, pattern = r"^[A-Za-z0-9_@.\-]*$")]
    pub wecom_userid: Option<Option<String>>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Change a person (HRBP, admin). A manager cycle is refused with 422.
#[utoipa::path(patch, path = "/api/v1/people/{employee_no}", tag = "people", request_body = PersonPatch,
    responses((status = 200, body = PersonDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
    ApiJson(patch): ApiJson<PersonPatch>,
) -> AppResult<Json<PersonDto>> {
    let person = apply_patch(&state, &caller, &employee_no, patch).await?;
    Ok(Json(PersonDto::from_person(
        person,
        &*state.org_tree().await?,
    )))
}

/// A WeChat Work user id as WeChat Work allows it (1–64 letters, digits and
/// `_-@.`), held by nobody else; empty clears it.
async fn wecom_userid(
    state: &AppState,
    person: i64,
    raw: Option<&str>,
) -> AppResult<Option<String>> {
    let v = raw.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > 64
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-@.".contains(c))
    {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_wecom_userid",
            "企业微信账号只能包含字母、数字和 _-@.，最长 64 个字符",
            "a WeChat Work id has up to 64 letters, digits and _-@.",
        )));
    }
    if let Some(no) = people::wecom_userid_holder(&state.db, v, person).await? {
        return Err(AppError::new(
            axum::http::StatusCode::CONFLICT,
            "wecom_userid_taken",
            format!("企业微信账号“{v}”已属于工号 {no}"),
            format!("WeChat Work id '{v}' already belongs to {no}"),
        ));
    }
    Ok(Some(v.to_string()))
}

/// Applies a patch to a person the caller may see, with the same checks as
/// an import row (cycle, unknown manager or unit), audited; returns the result.
pub(crate) async fn apply_patch(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    employee_no: &str,
    patch: PersonPatch,
) -> AppResult<Person> {
    let viewer = caller.viewer();
    let current = people::get_visible(&state.db, &viewer, employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let tree = state.org_tree().await?;
    let org_unit_id = match &patch.org_unit {
        None => current.org_unit_id,
        Some(code) => tree
            .units
            .iter()
            .find(|u| &u.code == code)
            .map(|u| u.id)
            .ok_or_else(|| {
                AppError::invalid(pulse_domain::Problem::new(
                    "unknown_org_unit",
                    format!("部门编码“{code}”不存在"),
                    format!("org unit '{code}' does not exist"),
                ))
            })?,
    };
    let manager_employee_no = match patch.manager {
        None => current.manager_employee_no.clone(),
        Some(None) => None,
        Some(Some(m)) if m.trim().is_empty() => None,
        Some(m) => m,
    };
    let manager_employee_no = manager_employee_no
        .as_deref()
        .map(EmployeeNo::parse)
        .transpose()?;
    let input = PersonInput {
        employee_no: EmployeeNo::parse(&current.employee_no)?,
        name: match &patch.name {
            Some(n) => person_name(n)?,
            None => current.name.clone(),
        },
        job_family: match &patch.job_family {
            Some(v) => required_text(v, 32, "岗位族", "job family")?,
            None => current.job_family.clone(),
        },
        level: match &patch.level {
            Some(v) => required_text(v, 16, "职级", "level")?,
            None => current.level.clone(),
        },
        org_unit_id,
        manager_employee_no,
        hire_date: patch.hire_date.or(current.hire_date),
        status: PersonStatus::parse(patch.status.as_deref().unwrap_or(&current.status))?,
        email: patch.email.clone().or(current.email.clone()),
        wecom_userid: match patch.wecom_userid {
            None => current.wecom_userid.clone(),
            Some(v) => wecom_userid(state, current.id, v.as_deref()).await?,
        },
    };
    let mut tx = state.db.begin().await?;
    people::upsert(&mut tx, &state.actor(caller), &[input], true).await?;
    tx.commit().await?;
    let person = people::get_visible(&state.db, &viewer, employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    Ok(person)
}
