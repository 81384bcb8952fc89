//! Org units: a tree of any depth (集团 → 大区 → 团队).

use std::collections::HashMap;

use pulse_domain::Problem;
use pulse_domain::org::{UnitKind, find_cycle, required_text};
use serde::Serialize;

use crate::{Actor, Db, StoreError, Tx, audit};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct OrgUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub sort_order: i64,
    /// Active people directly in this unit (0 unless loaded with [`list_with_headcount`]).
    pub headcount: i64,
}

/// All units, parents and children in display order, without headcounts
/// (the cheap form every request that needs paths or scopes uses).
pub async fn list(db: &Db) -> Result<Vec<OrgUnit>, StoreError> {
    const SQL: &str = "SELECT id, code, name, kind, parent_id, sort_order, CAST(0 AS BIGINT) AS headcount FROM org_units ORDER BY sort_order, id";
    Ok(on_db!(db, pool => sqlx::query_as::<_, OrgUnit>(SQL).fetch_all(pool).await?))
}

/// All units with their active headcount, counted in one grouped scan.
pub async fn list_with_headcount(db: &Db) -> Result<Vec<OrgUnit>, StoreError> {
    const SQL: &str = "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.sort_order, COALESCE(c.n, 0) AS headcount \
         FROM org_units u LEFT JOIN (SELECT org_unit_id, COUNT(*) AS n FROM people WHERE status = 'active' GROUP BY org_unit_id) c \
         ON c.org_unit_id = u.id ORDER BY u.sort_order, u.id";
    Ok(on_db!(db, pool => sqlx::query_as::<_, OrgUnit>(SQL).fetch_all(pool).await?))
}

/// The org-structure version; it changes whenever a unit does.
pub async fn version(db: &Db) -> Result<i64, StoreError> {
    let (v,): (i64,) = on_db!(db, pool => sqlx::query_as("SELECT version FROM org_version WHERE id = 1").fetch_one(pool).await?);
    Ok(v)
}

pub async fn by_code(db: &Db, code: &str) -> Result<Option<OrgUnit>, StoreError> {
    const SQL: &str = "SELECT id, code, name, kind, parent_id, sort_order, CAST(0 AS BIGINT) AS headcount FROM org_units WHERE code = $1";
    Ok(on_db!(db, pool => sqlx::query_as::<_, OrgUnit>(SQL).bind(code).fetch_optional(pool).await?))
}

/// The units as a tree in memory: enough for paths, subtrees and rendering.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub units: Vec<OrgUnit>,
    index: HashMap<i64, usize>,
    children: HashMap<Option<i64>, Vec<usize>>,
}

impl Tree {
    pub fn new(units: Vec<OrgUnit>) -> Tree {
        let index = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let mut children: HashMap<Option<i64>, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            children.entry(u.parent_id).or_default().push(i);
        }
        Tree {
            units,
            index,
            children,
        }
    }

    pub fn get(&self, id: i64) -> Option<&OrgUnit> {
        self.index.get(&id).map(|i| &self.units[*i])
    }

    pub fn children(&self, id: Option<i64>) -> impl Iterator<Item = &OrgUnit> {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .map(|i| &self.units[*i])
    }

    /// Root first, the unit itself last.
    pub fn path(&self, id: i64) -> Vec<&OrgUnit> {
        let mut out = Vec::new();
        let mut cur = self.get(id);
        while let Some(u) = cur {
            if out.len() > self.units.len() {
                break;
            }
            out.push(u);
            cur = u.parent_id.and_then(|p| self.get(p));
        }
        out.reverse();
        out
    }

    pub fn path_names(&self, id: i64) -> String {
        self.path(id)
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Active headcount of the unit and everything below it.
    pub fn total_headcount(&self, id: i64) -> i64 {
        let own = self.get(id).map(|u| u.headcount).unwrap_or(0);
        own + self
            .children(Some(id))
            .map(|c| self.total_headcount(c.id))
            .sum::<i64>()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
    pub sort_order: i64,
}

impl NewUnit {
    pub fn validate(&self) -> Result<(), Problem> {
        required_text(&self.code, 32, "部门编码", "unit code")?;
        required_text(&self.name, 64, "部门名称", "unit name")?;
        Ok(())
    }
}

/// Inserts or updates units by code inside `tx`, then checks the parent chain
/// has no cycle. Parents may come later in the list than their children.
pub async fn upsert_units(
    tx: &mut Tx,
    actor: &Actor,
    units: &[NewUnit],
) -> Result<usize, StoreError> {
    let now = tx.now_ms();
    for u in units {
        u.validate()?;
        let existing: Option<(i64, String, String)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT id, name, kind FROM org_units WHERE code = $1")
                .bind(&u.code)
                .fetch_optional(conn)
                .await?
        });
        match existing {
            Some((id, name, kind)) => {
                on_tx!(tx, conn => {
                    sqlx::query("UPDATE org_units SET name = $1, kind = $2, sort_order = $3, updated_at = $4 WHERE id = $5")
                        .bind(&u.name).bind(u.kind.as_str()).bind(u.sort_order).bind(now).bind(id)
                        .execute(conn).await?;
                });
                if name != u.name || kind != u.kind.as_str() {
                    audit::record(
                        tx,
                        actor,
                        "update",
                        "org_unit",
                        &u.code,
                        Some(&serde_json::json!({"name": name, "kind": kind})),
                        Some(u),
                    )
                    .await?;
                }
            }
            None => {
                on_tx!(tx, conn => {
                    sqlx::query("INSERT INTO org_units (code, name, kind, sort_order, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
                        .bind(&u.code).bind(&u.name).bind(u.kind.as_str()).bind(u.sort_order).bind(now)
                        .execute(conn).await?;
                });
                audit::record::<(), _>(tx, actor, "create", "org_unit", &u.code, None, Some(u))
                    .await?;
            }
        }
    }
    for u in units {
        let parent_id: Option<i64> = match &u.parent_code {
            None => None,
            Some(pc) => {
                let found: Option<(i64,)> = on_tx!(tx, conn => {
                    sqlx::query_as("SELECT id FROM org_units WHERE code = $1").bind(pc).fetch_optional(conn).await?
                });
                match found {
                    Some((id,)) => Some(id),
                    None => {
                        return Err(StoreError::Invalid(Problem::new(
                            "unknown_parent_unit",
                            format!("上级部门编码“{pc}”不存在"),
                            format!("parent unit code '{pc}' does not exist"),
                        )));
                    }
                }
            }
        };
        on_tx!(tx, conn => {
            sqlx::query("UPDATE org_units SET parent_id = $1 WHERE code = $2")
                .bind(parent_id).bind(&u.code).execute(conn).await?;
        });
    }
    check_unit_cycles(tx).await?;
    on_tx!(tx, conn => {
        sqlx::query("UPDATE org_version SET version = version + 1 WHERE id = 1").execute(conn).await?;
    });
    Ok(units.len())
}

async fn check_unit_cycles(tx: &mut Tx) -> Result<(), StoreError> {
    let edges: Vec<(String, String)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT c.code, p.code FROM org_units c JOIN org_units p ON c.parent_id = p.id",
        )
        .fetch_all(conn)
        .await?
    });
    let map: HashMap<String, String> = edges.into_iter().collect();
    if let Some(cycle) = find_cycle(&map) {
        let mut chain = cycle.clone();
        chain.push(cycle[0].clone());
        return Err(StoreError::Invalid(Problem::new(
            "unit_cycle",
            format!("上级部门关系出现循环：{}", chain.join(" → ")),
            format!("parent units form a cycle: {}", chain.join(" → ")),
        )));
    }
    Ok(())
}

/// Unit ids by code, read inside a transaction (for bulk writers).
pub async fn ids_by_code(tx: &mut Tx) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT code, id FROM org_units").fetch_all(conn).await?
    });
    Ok(rows.into_iter().collect())
}
