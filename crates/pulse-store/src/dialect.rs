//! The few statements that differ between the engines.

use std::path::Path;

use crate::{Db, StoreError};

/// Online backup (O3). SQLite writes a consistent copy with `VACUUM INTO`
/// while the server keeps serving; PostgreSQL has its own tool for that.
pub async fn backup(db: &Db, target: &Path) -> Result<(), StoreError> {
    match db.pool() {
        crate::Pool::Sqlite(pool) => {
            if target.exists() {
                return Err(StoreError::Config(format!(
                    "{} already exists; choose a new file name",
                    target.display()
                )));
            }
            let path = target.to_string_lossy().to_string();
            sqlx::query("VACUUM INTO $1").bind(path).execute(pool).await?;
            Ok(())
        }
        crate::Pool::Postgres(_) => Err(StoreError::Config(
            "backup of a PostgreSQL database: use pg_dump (e.g. `pg_dump -Fc \"$DATABASE_URL\" > pulse.dump`)".into(),
        )),
    }
}
