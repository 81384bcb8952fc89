//! The live stream of a session (C4): every score, flag, case change and
//! state move is a row in `calibration_events`, written in the transaction
//! of the change, so a client that reconnects replays what it missed from
//! `Last-Event-ID`. The push only says "session S has events up to N":
//! on PostgreSQL a NOTIFY sent at commit reaches every instance's listener
//! (NOTIFY is not replayed, the table is); on SQLite, which is one process,
//! the writer signals after commit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::{Db, Pool, StoreError, Tx};

pub const CHANNEL: &str = "pulse_calibration";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Event {
    pub id: i64,
    pub session_id: i64,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
}

/// Appends an event in the change's transaction. Bodies must carry no
/// identity: they reach committee clients while scoring is blind.
pub async fn append(
    tx: &mut Tx,
    session_id: i64,
    kind: &str,
    body: &serde_json::Value,
) -> Result<i64, StoreError> {
    let now = tx.now_ms();
    let text = body.to_string();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO calibration_events (session_id, kind, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(session_id).bind(kind).bind(&text).bind(now).fetch_one(conn).await?
    });
    if let crate::TxConn::Postgres(t) = tx.conn_mut() {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{session_id}:{id}"))
            .execute(&mut **t)
            .await?;
    }
    Ok(id)
}

/// A session's events after `after`, oldest first, at most `limit`.
pub async fn since(
    db: &Db,
    session_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Event>(
            "SELECT id, session_id, kind, body, created_at FROM calibration_events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(session_id).bind(after).bind(limit).fetch_all(pool).await?
    }))
}

/// The newest event id of a session (0 when it has none).
pub async fn latest(db: &Db, session_id: i64) -> Result<i64, StoreError> {
    let (n,): (Option<i64>,) = on_db!(db, pool => {
        sqlx::query_as("SELECT MAX(id) FROM calibration_events WHERE session_id = $1").bind(session_id).fetch_one(pool).await?
    });
    Ok(n.unwrap_or(0))
}

/// "Session `session_id` has events up to `event_id`"; session 0 means
/// "look again, all of you" (sent after the listener reconnected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    pub session_id: i64,
    pub event_id: i64,
}

/// One per instance: fans signals out to the instance's open streams.
#[derive(Clone)]
pub struct Broker {
    tx: broadcast::Sender<Signal>,
    /// The PostgreSQL pool to LISTEN on; the listener starts with the first
    /// stream (inside the runtime), once per instance.
    pg: Option<sqlx::PgPool>,
    listener: Arc<std::sync::OnceLock<tokio::task::JoinHandle<()>>>,
    tails: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Tail>>>>>,
}

/// The recent events of one session, shared by this instance's streams so
/// a score read once reaches every client (a committee of ten plus the wall
/// screens was ten reads per score, which queued on the pool). Holds every
/// event of the session with `start < id <= upto`: ids commit in order per
/// session because every write locks the session first.
#[derive(Default)]
struct Tail {
    start: i64,
    upto: i64,
    events: VecDeque<Event>,
}

/// Events kept per session; a client further behind reads the table.
const KEEP: usize = 256;

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("postgres", &self.pg.is_some())
            .finish()
    }
}

impl Broker {
    pub fn new(db: &Db) -> Broker {
        let (tx, _) = broadcast::channel(1024);
        let pg = match db.pool() {
            Pool::Postgres(pool) => Some(pool.clone()),
            Pool::Sqlite(_) => None,
        };
        Broker {
            tx,
            pg,
            listener: Arc::default(),
            tails: Arc::default(),
        }
    }

    /// A session's events after `sent`, oldest first, at most `limit`,
    /// read through the instance's shared tail: the table is read only when
    /// the tail holds nothing up to `want` (the id a signal announced; 0
    /// when unknown, which always reads).
    pub async fn after(
        &self,
        db: &Db,
        session_id: i64,
        sent: i64,
        want: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let tail = {
            let mut tails = self.tails.lock().unwrap_or_else(|e| e.into_inner());
            tails.entry(session_id).or_default().clone()
        };
        let mut t = tail.lock().await;
        if sent < t.start {
            // Behind what the tail holds: it restarts at this client.
            t.start = sent;
            t.upto = sent;
            t.events.clear();
        }
        if want == 0 || t.upto < want || t.upto < sent {
            let from = t.upto.max(sent);
            let fresh = since(db, session_id, from, limit).await?;
            if from > t.upto {
                // This client ran ahead of the tail (it replayed from the
                // table): the tail restarts at it, nothing is skipped.
                t.start = from;
                t.events.clear();
            }
            if let Some(last) = fresh.last() {
                t.upto = last.id;
            } else {
                t.upto = from;
            }
            t.events.extend(fresh);
            while t.events.len() > KEEP {
                if let Some(e) = t.events.pop_front() {
                    t.start = e.id;
                }
            }
        }
        Ok(t.events
            .iter()
            .filter(|e| e.id > sent)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    /// A receiver of this instance's signals. On PostgreSQL the first call
    /// starts the instance's LISTEN connection: it reconnects by itself and,
    /// each time it is (re)connected, wakes every stream so nothing sent
    /// meanwhile is missed.
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        let rx = self.tx.subscribe();
        if let Some(pool) = &self.pg {
            self.listener
                .get_or_init(|| tokio::spawn(listen(pool.clone(), self.tx.clone())));
        }
        rx
    }

    /// Call after the transaction that appended `event_id` committed. This
    /// instance's streams wake at once; on PostgreSQL the NOTIFY wakes the
    /// other instances (and this one again, which then reads nothing new:
    /// streams read the table from their last id, so a second wake-up is
    /// harmless, and waiting for our own NOTIFY's round trip cost the p99).
    pub fn committed(&self, session_id: i64, event_id: i64) {
        let _ = self.tx.send(Signal {
            session_id,
            event_id,
        });
    }

    /// The listener is connected (PostgreSQL) — for tests and benchmarks
    /// that must not publish before anyone listens.
    pub fn listening(&self) -> bool {
        self.pg.is_none() || self.listener.get().is_some_and(|h| !h.is_finished())
    }
}

async fn listen(pool: sqlx::PgPool, sender: broadcast::Sender<Signal>) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if listener.listen(CHANNEL).await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Anything sent while we were away is in the table: wake everyone.
        let _ = sender.send(Signal {
            session_id: 0,
            event_id: 0,
        });
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Some((s, e)) = n.payload().split_once(':')
                        && let (Ok(session_id), Ok(event_id)) = (s.parse(), e.parse())
                    {
                        let _ = sender.send(Signal {
                            session_id,
                            event_id,
                        });
                    }
                }
                // The connection dropped: reconnect and wake everyone.
                Ok(None) => {
                    let _ = sender.send(Signal {
                        session_id: 0,
                        event_id: 0,
                    });
                }
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
