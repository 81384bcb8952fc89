//! HR's view of a cycle: per unit, how many reviews are written, submitted,
//! released, and who is late.

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Db, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct UnitProgress {
    pub unit_id: i64,
    pub unit_name: String,
    pub total: i64,
    pub draft: i64,
    pub submitted: i64,
    pub released: i64,
    pub late: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LateReviewer {
    pub reviewer_id: i64,
    pub employee_no: String,
    pub name: String,
    pub unit_name: String,
    pub open: i64,
}

/// Per team (the reviewed person's unit), with `visible` filtering the units
/// HR may see.
pub async fn by_unit(
    db: &Db,
    cycle_id: i64,
    today: NaiveDate,
) -> Result<Vec<UnitProgress>, StoreError> {
    let rows: Vec<(i64, String, String, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT u.id, u.name, r.state, COUNT(*) FROM reviews r JOIN people p ON p.id = r.person_id \
             JOIN org_units u ON u.id = p.org_unit_id WHERE r.cycle_id = $1 GROUP BY u.id, u.name, r.state ORDER BY u.id",
        )
        .bind(cycle_id).fetch_all(pool).await?
    });
    let due: Option<(NaiveDate,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT due_on FROM review_cycles WHERE id = $1").bind(cycle_id).fetch_optional(pool).await?
    });
    let late = due.is_some_and(|(d,)| today > d);
    let mut out: Vec<UnitProgress> = Vec::new();
    for (unit_id, unit_name, state, n) in rows {
        if out.last().is_none_or(|u| u.unit_id != unit_id) {
            out.push(UnitProgress {
                unit_id,
                unit_name,
                total: 0,
                draft: 0,
                submitted: 0,
                released: 0,
                late: 0,
            });
        }
        let u = out.last_mut().expect("pushed above");
        u.total += n;
        match state.as_str() {
            "draft" => {
                u.draft += n;
                if late {
                    u.late += n;
                }
            }
            "released" | "acknowledged" => u.released += n,
            _ => u.submitted += n,
        }
    }
    Ok(out)
}

/// Reviewers with reviews still to write, most first.
pub async fn late_reviewers(db: &Db, cycle_id: i64) -> Result<Vec<LateReviewer>, StoreError> {
    let rows: Vec<(i64, String, String, String, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT m.id, m.employee_no, m.name, u.name, COUNT(*) FROM reviews r JOIN people m ON m.id = r.reviewer_id \
             JOIN org_units u ON u.id = m.org_unit_id WHERE r.cycle_id = $1 AND r.state = 'draft' \
             GROUP BY m.id, m.employee_no, m.name, u.name ORDER BY COUNT(*) DESC, m.id",
        )
        .bind(cycle_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(reviewer_id, employee_no, name, unit_name, open)| LateReviewer {
                reviewer_id,
                employee_no,
                name,
                unit_name,
                open,
            },
        )
        .collect())
}

/// W2 over a cycle's submitted reviews: count, median active writing
/// seconds, average edits, and how many started from a draft.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct WritingStats {
    pub submitted: i64,
    pub median_seconds: Option<i64>,
    pub average_edits: Option<f64>,
    pub from_draft: i64,
}

pub async fn writing_stats(db: &Db, cycle_id: i64) -> Result<WritingStats, StoreError> {
    let rows: Vec<(Option<i64>, Option<i64>, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT writing_seconds, edit_count, draft_source FROM reviews WHERE cycle_id = $1 AND submitted_at IS NOT NULL",
        )
        .bind(cycle_id).fetch_all(pool).await?
    });
    let mut secs: Vec<i64> = rows.iter().filter_map(|r| r.0).collect();
    secs.sort_unstable();
    let edits: Vec<i64> = rows.iter().filter_map(|r| r.1).collect();
    Ok(WritingStats {
        submitted: rows.len() as i64,
        median_seconds: (!secs.is_empty()).then(|| secs[secs.len() / 2]),
        average_edits: (!edits.is_empty())
            .then(|| edits.iter().sum::<i64>() as f64 / edits.len() as f64),
        from_draft: rows.iter().filter(|r| !r.2.is_empty()).count() as i64,
    })
}
