use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::StoreError;
use crate::clock::Clock;

/// Runs `$body` with `$conn` bound to the pool of whichever engine `$db` is.
/// The body is compiled once per engine, so the SQL text is shared while each
/// branch gets the native driver's types.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db.pool() {
            $crate::Pool::Sqlite($conn) => $body,
            $crate::Pool::Postgres($conn) => $body,
        }
    };
}

/// Like [`on_db!`] for an open transaction: `$conn` is `&mut` the connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx.conn_mut() {
            $crate::TxConn::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            $crate::TxConn::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// A database: the pool of whichever engine it is, and the clock every
/// "now" of the code reading or writing it comes from.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    clock: Clock,
}

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// An open transaction, carrying its database's clock.
pub struct Tx {
    conn: TxConn,
    clock: Clock,
}

pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>, WriterTurn),
    Postgres(Transaction<'static, Postgres>),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// A database over an existing pool (tests: a second instance's pool).
    pub fn from_pool(pool: Pool) -> Db {
        Db::new(pool)
    }

    fn new(pool: Pool) -> Db {
        Db {
            pool,
            clock: Clock::system(),
        }
    }

    /// The same database read and written at the instants `clock` gives
    /// (tests and the demo builder set it).
    pub fn with_clock(mut self, clock: Clock) -> Db {
        self.clock = clock;
        self
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, in ms since the epoch, by this database's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Today in China time by this database's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Opens the database named by `url` (`postgres://…`, or `sqlite:…`), or
    /// the embedded SQLite file `pulse.sqlite` in `data_dir` when `url` is None.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> Result<Db, StoreError> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let opts = PgConnectOptions::from_str(u)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db::new(Pool::Postgres(pool)))
            }
            Some(u) if u.starts_with("sqlite:") => {
                Self::open_sqlite(SqliteConnectOptions::from_str(u)?.create_if_missing(true)).await
            }
            Some(u) => Err(StoreError::Config(format!(
                "unsupported DATABASE_URL '{u}': use postgres://… or sqlite:…"
            ))),
            None => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create data dir {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let opts = SqliteConnectOptions::new()
                    .filename(data_dir.join("pulse.sqlite"))
                    .create_if_missing(true);
                Self::open_sqlite(opts).await
            }
        }
    }

    async fn open_sqlite(opts: SqliteConnectOptions) -> Result<Db, StoreError> {
        let opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Db::new(Pool::Sqlite(pool)))
    }

    /// Names the database this pool writes to (the SQLite file, or the
    /// PostgreSQL server and database), for per-database coordination.
    pub fn key(&self) -> String {
        match &self.pool {
            Pool::Sqlite(p) => format!("sqlite:{}", p.connect_options().get_filename().display()),
            Pool::Postgres(p) => {
                let o = p.connect_options();
                format!(
                    "postgres://{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                )
            }
        }
    }

    pub fn engine(&self) -> Engine {
        match &self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies pending migrations of this engine's folder.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        crate::people::backfill_search_keys(self).await?;
        Ok(())
    }

    /// Starts a transaction. On SQLite the process's writers take turns
    /// (one at a time, in arrival order) and begin IMMEDIATE: without that,
    /// concurrent writers met in SQLite's busy handler, which sleeps up to
    /// 100 ms between tries, and a deferred transaction that read before it
    /// wrote could fail on a stale snapshot. Other processes (a CLI import
    /// beside the server) still meet the busy timeout.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pool {
            Pool::Sqlite(p) => {
                let turn = writer_turn(p).await;
                TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Pool::Postgres(p) => TxConn::Postgres(p.begin().await?),
        };
        Ok(Tx {
            conn,
            clock: self.clock.clone(),
        })
    }

    /// After a bulk load: fresh planner statistics, and on SQLite the
    /// write-ahead log folded back into the database file.
    pub async fn after_bulk_load(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("PRAGMA optimize").execute(p).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(p)
                    .await?;
            }
            Pool::Postgres(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }

    /// `/readyz`: a round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    pub fn conn_mut(&mut self) -> &mut TxConn {
        &mut self.conn
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now by the database's clock; read it before `on_tx!` borrows the connection.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.conn {
            TxConn::Sqlite(t, _turn) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.conn {
            TxConn::Sqlite(t, _turn) => t.rollback().await?,
            TxConn::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// A writer's turn on one SQLite file, held for the transaction's life.
pub type WriterTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

/// One queue per database file in this process.
static WRITERS: std::sync::LazyLock<
    std::sync::Mutex<
        std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>,
    >,
> = std::sync::LazyLock::new(Default::default);

/// Waits for this process's turn to write the pool's file. A task that
/// already holds a turn and begins a second transaction would wait for
/// itself; after 10 s the wait gives up and the transaction proceeds on
/// SQLite's own locking (slower, never stuck).
async fn writer_turn(pool: &SqlitePool) -> WriterTurn {
    let file = pool.connect_options().get_filename().to_path_buf();
    let queue = match WRITERS.lock() {
        Ok(mut map) => map.entry(file).or_default().clone(),
        Err(_) => return None,
    };
    tokio::time::timeout(Duration::from_secs(10), queue.lock_owned())
        .await
        .ok()
}
