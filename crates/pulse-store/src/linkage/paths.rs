//! Role profiles and development paths (T1): HR keeps each role's required
//! competency vector; a person's path is read from their taken period
//! values, so it is the same whoever opens it and whenever. Views and clicks
//! on its suggestions are logged for development engagement (H3).

use pulse_domain::Problem;
use pulse_domain::competency::{Normalisation, against_target};
use pulse_domain::linkage::path::{DimensionHistory, Path, RoleProfile, development_path};
use serde::Serialize;

use super::rules::{Item, ItemKind, items};
use crate::{Actor, Db, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    /// The job family the role is a next step for ('' = any).
    pub job_family: String,
    pub description: String,
    pub requirements: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub name: String,
    pub job_family: String,
    pub description: String,
    pub requirements: Vec<(String, i64)>,
}

pub async fn profiles(db: &Db, job_family: Option<&str>) -> Result<Vec<Profile>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, name, job_family, description FROM role_profiles \
             WHERE $1 IS NULL OR job_family = $1 OR job_family = '' ORDER BY name",
        )
        .bind(job_family).fetch_all(pool).await?
    });
    let reqs: Vec<(i64, String, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT profile_id, dimension, required FROM role_requirements ORDER BY profile_id, required DESC, dimension")
            .fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, name, job_family, description)| Profile {
            id,
            name,
            job_family,
            description,
            requirements: reqs
                .iter()
                .filter(|r| r.0 == id)
                .map(|r| (r.1.clone(), r.2))
                .collect(),
        })
        .collect())
}

fn invalid(code: &'static str, zh: String, en: String) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

/// Adds a role profile or replaces one by name. Every required dimension
/// must be one of the job family's competency model (any family's for a
/// profile open to everyone), each between 1 and 100.
pub async fn save_profile(
    db: &Db,
    actor: &Actor,
    input: &ProfileInput,
) -> Result<Profile, StoreError> {
    let name = input.name.trim();
    pulse_domain::org::required_text(name, 40, "岗位名称", "role name")?;
    let family = input.job_family.trim();
    if input.description.chars().count() > 200 {
        return Err(invalid(
            "text_too_long",
            "说明不能超过 200 个字符".into(),
            "the description must be at most 200 characters".into(),
        ));
    }
    if input.requirements.is_empty() || input.requirements.len() > 12 {
        return Err(invalid(
            "invalid_requirements",
            "岗位画像需要 1 到 12 个能力维度".into(),
            "a role profile needs between 1 and 12 dimensions".into(),
        ));
    }
    let dims = crate::competency::dimensions(db, (!family.is_empty()).then_some(family)).await?;
    if !family.is_empty() && dims.is_empty() {
        return Err(invalid(
            "unknown_job_family",
            format!("岗位族“{family}”还没有能力模型"),
            format!("the job family '{family}' has no competency model"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (d, r) in &input.requirements {
        if !dims.iter().any(|x| &x.name == d) {
            return Err(invalid(
                "unknown_dimension",
                format!("能力模型中没有维度“{d}”"),
                format!("the competency model has no dimension '{d}'"),
            ));
        }
        if !(1..=100).contains(r) {
            return Err(invalid(
                "invalid_requirement",
                format!("“{d}”的要求应在 1 到 100 之间"),
                format!("the requirement for '{d}' must be between 1 and 100"),
            ));
        }
        if !seen.insert(d.as_str()) {
            return Err(invalid(
                "duplicate_dimension",
                format!("维度“{d}”重复"),
                format!("the dimension '{d}' is listed twice"),
            ));
        }
    }
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO role_profiles (name, job_family, description, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET job_family = excluded.job_family, description = excluded.description, \
             updated_at = excluded.updated_at RETURNING id",
        )
        .bind(name).bind(family).bind(input.description.trim()).bind(now).fetch_one(conn).await?
    });
    on_tx!(&mut tx, conn => {
        sqlx::query("DELETE FROM role_requirements WHERE profile_id = $1").bind(id).execute(conn).await?;
    });
    for (d, r) in &input.requirements {
        on_tx!(&mut tx, conn => {
            sqlx::query("INSERT INTO role_requirements (profile_id, dimension, required) VALUES ($1, $2, $3)")
                .bind(id).bind(d).bind(*r).execute(conn).await?;
        });
    }
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "role_profile.save",
        "role_profile",
        &id.to_string(),
        None,
        Some(&serde_json::json!({"name": name, "job_family": family, "requirements": input.requirements})),
    )
    .await?;
    tx.commit().await?;
    profiles(db, None)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("role profile {id}")))
}

/// A person's development path with what it was read from.
#[derive(Debug, Clone, Serialize)]
pub struct PersonPath {
    /// The quarters read, oldest first.
    pub periods: Vec<String>,
    pub dimensions: Vec<DimensionHistory>,
    pub path: Path,
    /// The role profiles the path was fitted against.
    pub profiles: Vec<Profile>,
    /// Courses for the weak dimension.
    pub learning: Vec<Item>,
}

/// The last closed quarters with their values taken, oldest first.
async fn recent_quarters(db: &Db) -> Result<Vec<(i64, String)>, StoreError> {
    let rows: Vec<(i64, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT p.id, p.code FROM periods p JOIN period_snapshots s ON s.period_id = p.id \
             WHERE p.code LIKE '____Q_' ORDER BY p.starts_on DESC LIMIT 4",
        )
        .fetch_all(pool).await?
    });
    Ok(rows.into_iter().rev().collect())
}

pub async fn path_for(db: &Db, person_id: i64, job_family: &str) -> Result<PersonPath, StoreError> {
    let quarters = recent_quarters(db).await?;
    let dims = crate::competency::dimensions(db, Some(job_family)).await?;
    let ids = quarters
        .iter()
        .map(|q| q.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<(i64, String, f64, f64)> = if quarters.is_empty() {
        Vec::new()
    } else {
        let sql = format!(
            "SELECT period_id, metric, value, percentile FROM period_metrics WHERE person_id = $1 AND period_id IN ({ids})"
        );
        on_db!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).fetch_all(pool).await?
        })
    };
    let dimensions: Vec<DimensionHistory> = dims
        .iter()
        .map(|d| {
            let key = d.metric.code();
            let mut scores = Vec::new();
            let mut percentiles = Vec::new();
            for (pid, _) in &quarters {
                let r = rows.iter().find(|r| r.0 == *pid && r.1 == key);
                percentiles.push(r.map(|r| r.3));
                scores.push(r.map(|r| match d.normalisation {
                    Normalisation::Percentile => r.3,
                    Normalisation::Target { target } => {
                        against_target(r.2, target, d.metric.higher_is_better())
                    }
                }));
            }
            DimensionHistory {
                name: d.name.clone(),
                scores,
                percentiles,
            }
        })
        .collect();
    let fitted = profiles(db, Some(job_family)).await?;
    let roles: Vec<RoleProfile> = fitted
        .iter()
        .map(|p| RoleProfile {
            name: p.name.clone(),
            requirements: p
                .requirements
                .iter()
                .map(|(d, r)| (d.clone(), *r as f64))
                .collect(),
        })
        .collect();
    let path = development_path(&dimensions, &roles);
    let learning = match &path.weak {
        Some(w) => items(db, Some(ItemKind::Course))
            .await?
            .into_iter()
            .filter(|c| c.dimension == w.dimension)
            .collect(),
        None => Vec::new(),
    };
    Ok(PersonPath {
        periods: quarters.into_iter().map(|q| q.1).collect(),
        dimensions,
        path,
        profiles: fitted,
        learning,
    })
}

/// Logs a view of a path or a click on one of its suggestions (H3).
pub async fn log(
    db: &Db,
    person_id: i64,
    viewer_id: i64,
    action: &str,
    target: &str,
) -> Result<(), StoreError> {
    let target: String = target.chars().take(80).collect();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO development_activity (person_id, viewer_id, action, target, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(person_id).bind(viewer_id).bind(action).bind(&target).bind(db.now_ms()).execute(pool).await?;
    });
    Ok(())
}
