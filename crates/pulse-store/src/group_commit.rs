//! Group commit: concurrent requests that each write a little (a feedback
//! card: card, ratings, point, ledger) hand their writes to whichever of
//! them holds the turn, and that one writes everything queued in one
//! transaction. Under load a batch costs a handful of statements instead of
//! a handful per request; alone, a request writes its own batch of one.
//!
//! The turn is held by a spawned task until every waiter has its answer, so
//! a request dropped mid-write (client gone) neither loses the others'
//! results nor lets more batches be written at once than allowed.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::StoreError;

type Waiter<J, R> = (J, oneshot::Sender<Result<R, StoreError>>);

pub struct Group<J, R> {
    queue: Mutex<Vec<Waiter<J, R>>>,
    turns: Arc<tokio::sync::Semaphore>,
    max_batch: usize,
}

impl<J: Send + 'static, R: Send + 'static> Group<J, R> {
    /// `writers` batches may be written at once: 1 for SQLite (one writer
    /// anyway), more for PostgreSQL, where one batch can be written while
    /// another waits for its commit to reach the disk.
    pub fn new(max_batch: usize, writers: usize) -> Group<J, R> {
        Group {
            queue: Mutex::new(Vec::new()),
            turns: Arc::new(tokio::sync::Semaphore::new(writers.max(1))),
            max_batch: max_batch.max(1),
        }
    }

    /// Queues `job` and returns its result. `write` gets the jobs of one
    /// batch and returns one result per job, in order.
    pub async fn submit<F, Fut>(&self, job: J, write: F) -> Result<R, StoreError>
    where
        F: FnOnce(Vec<J>) -> Fut,
        Fut: Future<Output = Vec<Result<R, StoreError>>> + Send + 'static,
    {
        let (tx, mut rx) = oneshot::channel();
        self.lock_queue().push((job, tx));
        let Ok(turn) = self.turns.clone().acquire_owned().await else {
            return Err(lost());
        };
        match rx.try_recv() {
            Ok(done) => return done,
            Err(oneshot::error::TryRecvError::Closed) => return Err(lost()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        // Whatever is queued now is written by us. Our own job is among it,
        // or another writer took it and answers when its batch is done.
        let batch: Vec<Waiter<J, R>> = {
            let mut q = self.lock_queue();
            let n = q.len().min(self.max_batch);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            drop(turn);
        } else {
            let (jobs, waiters): (Vec<J>, Vec<_>) = batch.into_iter().unzip();
            let writing = write(jobs);
            tokio::spawn(async move {
                let results = writing.await;
                let mut results = results.into_iter();
                for w in waiters {
                    let _ = w.send(results.next().unwrap_or_else(|| Err(lost())));
                }
                drop(turn);
            });
        }
        rx.await.unwrap_or_else(|_| Err(lost()))
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiter<J, R>>> {
        // A panic elsewhere cannot leave the queue half-edited (push and
        // drain are single calls), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn lost() -> StoreError {
    StoreError::Config("a grouped write ended without an answer; try again".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_jobs_share_batches_and_each_gets_its_own_answer() {
        let group = Arc::new(Group::<u32, u32>::new(16, 2));
        let batches = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..64u32 {
            let group = group.clone();
            let batches = batches.clone();
            handles.push(tokio::spawn(async move {
                group
                    .submit(i, move |jobs: Vec<u32>| {
                        batches.lock().unwrap().push(jobs.len());
                        async move {
                            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                            jobs.into_iter().map(|j| Ok(j * 10)).collect()
                        }
                    })
                    .await
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap().unwrap(), i as u32 * 10);
        }
        let sizes = batches.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 64, "every job written once");
        assert!(sizes.iter().all(|&n| n <= 16), "batches respect the cap");
        assert!(sizes.len() < 64, "some jobs shared a batch: {sizes:?}");
    }

    #[tokio::test]
    async fn a_short_answer_list_fails_the_unanswered_jobs_only() {
        let group = Group::<u32, u32>::new(4, 1);
        let r = group.submit(1, |_jobs| async { Vec::new() }).await;
        assert!(r.is_err());
        let r = group
            .submit(2, |jobs: Vec<u32>| async move {
                jobs.into_iter().map(Ok).collect()
            })
            .await;
        assert_eq!(r.unwrap(), 2);
    }
}
