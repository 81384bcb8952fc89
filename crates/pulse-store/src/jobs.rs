//! Scheduled jobs run once across instances (N4): each run is claimed with a
//! single conditional UPDATE on `job_runs` (due, and no live lease), so of
//! several instances ticking at the same moment exactly one wins. A run that
//! dies keeps its lease until it expires; then any instance may take it again.

use serde::Serialize;

use crate::{Db, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct JobRun {
    pub job: String,
    pub next_due_at: i64,
    pub lease_until: Option<i64>,
    pub owner: Option<String>,
    pub runs: i64,
    pub last_started_at: Option<i64>,
    pub last_finished_at: Option<i64>,
    pub last_result: Option<String>,
}

/// Takes the job's turn at `now` for `owner` when it is due and nobody holds
/// it. True means: this owner runs it now and must call [`finish`].
pub async fn try_start(
    db: &Db,
    job: &str,
    owner: &str,
    now: i64,
    lease_ms: i64,
) -> Result<bool, StoreError> {
    let taken = on_db!(db, pool => {
        sqlx::query("INSERT INTO job_runs (job, next_due_at) VALUES ($1, $2) ON CONFLICT (job) DO NOTHING")
            .bind(job).bind(now).execute(pool).await?;
        sqlx::query(
            "UPDATE job_runs SET lease_until = $1, owner = $2, last_started_at = $3, runs = runs + 1 \
             WHERE job = $4 AND next_due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)",
        )
        .bind(now + lease_ms).bind(owner).bind(now).bind(job)
        .execute(pool).await?.rows_affected()
    });
    Ok(taken == 1)
}

/// Ends the owner's run: records the result and when the job is due next.
/// A run whose lease was taken over meanwhile records nothing.
pub async fn finish(
    db: &Db,
    job: &str,
    owner: &str,
    next_due_at: i64,
    result: &str,
) -> Result<bool, StoreError> {
    let n = on_db!(db, pool => {
        sqlx::query(
            "UPDATE job_runs SET lease_until = NULL, next_due_at = $1, last_finished_at = $2, last_result = $3 \
             WHERE job = $4 AND owner = $5 AND lease_until IS NOT NULL",
        )
        .bind(next_due_at).bind(db.now_ms()).bind(result).bind(job).bind(owner)
        .execute(pool).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Every job's state, for the admin page.
pub async fn list(db: &Db) -> Result<Vec<JobRun>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, JobRun>(
            "SELECT job, next_due_at, lease_until, owner, runs, last_started_at, last_finished_at, last_result FROM job_runs ORDER BY job",
        )
        .fetch_all(pool).await?
    }))
}

/// Makes a job due now (an admin's "run now"); the next tick of any instance runs it.
pub async fn run_soon(db: &Db, job: &str) -> Result<bool, StoreError> {
    let n = on_db!(db, pool => {
        sqlx::query("UPDATE job_runs SET next_due_at = 0 WHERE job = $1")
            .bind(job).execute(pool).await?.rows_affected()
    });
    Ok(n == 1)
}
