use pulse_domain::Problem;

/// What can go wrong below the web layer. Constraint violations are translated
/// here, once, into problems a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    /// The request conflicts with existing data (409).
    #[error("{0}")]
    Conflict(Problem),
    /// The request breaks a rule (422).
    #[error("{0}")]
    Invalid(Problem),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(Problem::new(
                    "duplicate",
                    "数据已存在（唯一性冲突）",
                    "a record with the same key already exists",
                ));
            }
            if db.is_foreign_key_violation() {
                return StoreError::Invalid(Problem::new(
                    "missing_reference",
                    "引用的数据不存在",
                    "a referenced record does not exist",
                ));
            }
        }
        StoreError::Db(e)
    }
}

impl From<Problem> for StoreError {
    fn from(p: Problem) -> Self {
        StoreError::Invalid(p)
    }
}
