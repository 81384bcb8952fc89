//! What the org-health API and pages share: which unit a caller's dashboard
//! covers (HR the company or any unit; a manager or director their own
//! part of the tree) and the dashboard read itself.

use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;
use pulse_store::health::{self, dashboard::Dashboard};
use pulse_store::org::Tree;
use pulse_store::people;

use crate::AppState;
use crate::error::{AppError, AppResult};

pub fn is_hr(caller: &Caller) -> bool {
    caller.has_role(Role::Hrbp) || caller.has_role(Role::Admin)
}

/// The unit a caller looks at: `code` if given and theirs to see, else the
/// whole company (None) for company-wide viewers, else the top of their scope.
pub async fn unit_for(
    state: &AppState,
    caller: &Caller,
    tree: &Tree,
    code: Option<&str>,
) -> AppResult<Option<i64>> {
    let scope = people::scope(&state.db, &caller.viewer()).await?;
    let wanted = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            tree.units
                .iter()
                .find(|u| u.code == c)
                .map(|u| u.id)
                .ok_or_else(|| AppError::not_found("组织单元", "org unit"))?,
        ),
        None => None,
    };
    if scope.is_org() {
        return Ok(wanted);
    }
    let units = scope.units();
    if let Some(w) = wanted {
        // Outside the caller's part of the tree reads as not there at all.
        return if units.contains(&w) {
            Ok(Some(w))
        } else {
            Err(AppError::not_found("组织单元", "org unit"))
        };
    }
    tree.units
        .iter()
        .find(|u| units.contains(&u.id) && u.parent_id.is_none_or(|p| !units.contains(&p)))
        // No team in scope: the caller's own unit.
        .or_else(|| tree.get(caller.org_unit_id))
        .map(|u| Some(u.id))
        .ok_or_else(AppError::forbidden)
}

/// The dashboard's figures for `unit`, read against the tree the caller holds.
pub async fn dashboard(state: &AppState, tree: &Tree, unit: Option<i64>) -> AppResult<Dashboard> {
    let settings = health::settings(&state.db).await?;
    Ok(health::dashboard::dashboard(&state.db, tree, &settings, unit, state.db.today()).await?)
}
