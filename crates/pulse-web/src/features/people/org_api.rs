use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnitDto {
    pub code: String,
    pub name: String,
    /// `group`, `region`, `department` or `team`.
    pub kind: String,
    pub parent: Option<String>,
    /// Full path from the root, e.g. `华东医疗集团 / 华东大区`.
    pub path: String,
    /// Active people directly in this unit.
    pub headcount: i64,
    /// Active people in this unit and all units below it.
    pub total_headcount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnitList {
    pub items: Vec<OrgUnitDto>,
    pub total: i64,
}

/// The whole org tree, parents before children. Org structure is visible to
/// every signed-in person; people inside it are scoped.
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org", responses((status = 200, body = OrgUnitList), (status = 401, body = crate::api::ErrorBody)))]
pub async fn list(State(state): State<AppState>, _me: Me) -> AppResult<Json<OrgUnitList>> {
    let tree = state.org_tree_with_headcount().await?;
    let mut items = Vec::with_capacity(tree.units.len());
    fn walk(tree: &pulse_store::org::Tree, parent: Option<i64>, out: &mut Vec<OrgUnitDto>) {
        for u in tree.children(parent) {
            out.push(OrgUnitDto {
                code: u.code.clone(),
                name: u.name.clone(),
                kind: u.kind.clone(),
                parent: u
                    .parent_id
                    .and_then(|p| tree.get(p))
                    .map(|p| p.code.clone()),
                path: tree.path_names(u.id),
                headcount: u.headcount,
                total_headcount: tree.total_headcount(u.id),
            });
            walk(tree, Some(u.id), out);
        }
    }
    walk(&tree, None, &mut items);
    let total = items.len() as i64;
    Ok(Json(OrgUnitList { items, total }))
}
