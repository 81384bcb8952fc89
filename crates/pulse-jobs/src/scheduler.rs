//! Runs scheduled jobs (reminders now; digests and rule evaluations later)
//! once per interval across all instances: every instance ticks, and the
//! `job_runs` lease in the database lets exactly one of them run a due job.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use pulse_store::{Db, StoreError, jobs};
use rand::RngExt;

type JobFn = dyn Fn(Db, i64) -> Pin<Box<dyn Future<Output = Result<String, StoreError>> + Send>>
    + Send
    + Sync;

/// A named job and how often it runs. `run` gets the database and "now" and
/// returns a one-line summary for the admin page.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub interval_ms: i64,
    /// How long one run may take before another instance may take it over.
    pub lease_ms: i64,
    run: Arc<JobFn>,
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, interval_ms: i64, run: F) -> Job
    where
        F: Fn(Db, i64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, StoreError>> + Send + 'static,
    {
        Job {
            name,
            interval_ms,
            lease_ms: 10 * 60_000,
            run: Arc::new(move |db, now| Box::pin(run(db, now))),
        }
    }
}

/// A name for this instance in `job_runs.owner`.
pub fn instance_id() -> String {
    let n: u32 = rand::rng().random();
    format!("pid{}-{n:08x}", std::process::id())
}

/// One tick at `now`: runs each due job this instance wins. Returns the
/// names and summaries of the jobs it ran.
pub async fn tick(
    db: &Db,
    jobs_: &[Job],
    owner: &str,
    now: i64,
) -> Result<Vec<(&'static str, String)>, StoreError> {
    let mut ran = Vec::new();
    for job in jobs_ {
        if !jobs::try_start(db, job.name, owner, now, job.lease_ms).await? {
            continue;
        }
        let summary = match (job.run)(db.clone(), now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, "scheduled job failed");
                format!("失败：{e}")
            }
        };
        jobs::finish(db, job.name, owner, now + job.interval_ms, &summary).await?;
        ran.push((job.name, summary));
    }
    Ok(ran)
}

/// Ticks every `every` until `shutdown` fires.
pub async fn run(
    db: Db,
    jobs_: Vec<Job>,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let owner = instance_id();
    loop {
        match tick(&db, &jobs_, &owner, db.now_ms()).await {
            Ok(ran) => {
                for (job, summary) in ran {
                    tracing::info!(job, %summary, "scheduled job ran");
                }
            }
            Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
