//! Test support (feature `testing`): every test gets its own database on the
//! engine under test — a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database when `PULSE_TEST_DATABASE_URL` names a server where
//! the user may create databases. Never a mock.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Clock, Db};

/// The instant every test starts at unless it sets its own: Wednesday
/// 2026-12-02 10:00 China time, after every date the tests write out.
/// Tests never see the day the suite runs.
pub const TEST_START: &str = "2026-12-02 10:00";

/// The default test clock: [`TEST_START`], then running at real pace so
/// workers that wait for a retry or a lease still see time pass.
pub fn test_clock() -> Clock {
    Clock::running_from(crate::clock::china_ms(TEST_START).unwrap_or_default())
}

/// A migrated, empty database on the test clock; keep the returned
/// directory alive as long as the database.
pub async fn fresh_db() -> (Db, Option<tempfile::TempDir>) {
    fresh_db_at(test_clock()).await
}

/// A migrated, empty database whose "now" comes from `clock`.
pub async fn fresh_db_at(clock: Clock) -> (Db, Option<tempfile::TempDir>) {
    let (db, dir) = fresh_db_on_system_clock().await;
    (db.with_clock(clock), dir)
}

async fn fresh_db_on_system_clock() -> (Db, Option<tempfile::TempDir>) {
    static N: AtomicU32 = AtomicU32::new(0);
    match std::env::var("PULSE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(base) => {
            let admin = Db::connect(Some(&base), std::path::Path::new("."))
                .await
                .expect("PULSE_TEST_DATABASE_URL must be reachable");
            let name = format!(
                "pulse_t_{}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst),
                crate::Clock::system().now_ms() % 1_000_000
            );
            if let crate::Pool::Postgres(pool) = admin.pool() {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .expect("create test database");
            }
            admin.close().await;
            let (head, tail) = base.rsplit_once('/').expect("a URL ending in /database");
            let url = match tail.split_once('?') {
                Some((_, q)) => format!("{head}/{name}?{q}"),
                None => format!("{head}/{name}"),
            };
            let db = Db::connect(Some(&url), std::path::Path::new("."))
                .await
                .expect("connect test database");
            db.migrate().await.expect("migrate");
            (db, None)
        }
        None => {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = Db::connect(None, dir.path()).await.expect("sqlite");
            db.migrate().await.expect("migrate");
            (db, Some(dir))
        }
    }
}

/// A second "instance" on the same PostgreSQL database: its own pool (and
/// so its own LISTEN connection once a broker starts), the same clock.
/// `None` on SQLite, which is one process.
pub async fn second_instance(db: &Db) -> Option<Db> {
    match db.pool() {
        crate::Pool::Postgres(p) => {
            let opts = (*p.connect_options()).clone();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .expect("second pool");
            Some(Db::from_pool(crate::Pool::Postgres(pool)).with_clock(db.clock().clone()))
        }
        crate::Pool::Sqlite(_) => None,
    }
}
