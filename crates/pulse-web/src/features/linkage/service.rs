//! What the linkage API and pages share: who may see whose outcomes and
//! path, turning a request's action into a checked [`Action`].

use pulse_domain::Problem;
use pulse_domain::linkage::{Action, parse_adjustment};
use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;
use pulse_store::people::{self, Person};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// The person by 工号 if the caller may see them (themself, their scope, HR); else 404.
pub async fn visible(state: &AppState, caller: &Caller, employee_no: &str) -> AppResult<Person> {
    people::get_visible(&state.db, &caller.viewer(), employee_no.trim())
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))
}

pub fn is_hr(caller: &Caller) -> bool {
    caller.has_role(Role::Hrbp) || caller.has_role(Role::Admin)
}

/// The org units whose people the caller's team views cover; None = everyone.
pub async fn scope_units(state: &AppState, caller: &Caller) -> AppResult<Option<Vec<i64>>> {
    let scope = people::scope(&state.db, &caller.viewer()).await?;
    if scope.is_org() {
        return Ok(None);
    }
    Ok(Some(scope.units()))
}

/// An action as a request or a form gives it: a kind, the name of what it
/// names, or the adjustment text ("+0.15") for a bonus.
pub fn action(kind: &str, name: &str, adjustment: &str) -> Result<Action, Problem> {
    let name = name.trim().to_string();
    let need_name = |what_zh: &str, what_en: &str| {
        Problem::new(
            "invalid_action",
            format!("请填写{what_zh}的名称"),
            format!("give the {what_en}'s name"),
        )
    };
    match kind.trim() {
        "join_pool" if name.is_empty() => Err(need_name("人才池", "talent pool")),
        "join_pool" => Ok(Action::JoinPool { pool: name }),
        "recommend_course" if name.is_empty() => Err(need_name("课程", "course")),
        "recommend_course" => Ok(Action::RecommendCourse { course: name }),
        "grant_eligibility" if name.is_empty() => Err(need_name("资格", "eligibility")),
        "grant_eligibility" => Ok(Action::GrantEligibility { eligibility: name }),
        "adjust_bonus" => Ok(Action::AdjustBonus {
            hundredths: parse_adjustment(adjustment)?,
        }),
        other => Err(Problem::new(
            "invalid_action",
            format!("未知的结果类型：{other}"),
            format!("unknown action kind: {other}"),
        )),
    }
}
