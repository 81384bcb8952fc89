//! The one data-access layer of Pulse, for SQLite and PostgreSQL.
//!
//! Every statement is written once with `$N` parameters and compiled for both
//! engines through the [`on_db!`]/[`on_tx!`] macros; the few engine-specific
//! statements live in [`dialect`]. Services that change data take a [`Tx`] so
//! the change, its audit record and (later) its outbox message commit together.

pub mod clock;
#[macro_use]
mod db;
pub mod accounts;
pub mod adjustments;
pub mod audit;
pub mod bulk;
pub mod calibration;
pub mod competency;
pub mod customers;
pub mod dialect;
pub mod digests;
mod error;
pub mod event_imports;
pub mod events;
pub mod feedback;
pub mod files;
pub mod goal_imports;
pub mod goals;
pub mod group_commit;
pub mod health;
pub mod identity;
pub mod imports;
pub mod inbox;
pub mod jobs;
pub mod linkage;
pub mod notify;
pub mod org;
pub mod outbox;
pub mod people;
pub mod points;
pub mod reminders;
pub mod reviews;
#[cfg(feature = "testing")]
pub mod testing;
pub mod weight_rules;
pub mod workbook;

pub use clock::Clock;
pub use db::{Db, Engine, Pool, Tx, TxConn};
pub use error::StoreError;
pub use pulse_domain::china_time::{day_of_ms, day_start_ms};

/// Who performs a change, as recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<i64>,
    /// The person behind the account, for rules about oneself (own departure).
    pub person_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            account_id: None,
            person_id: None,
            label: label.to_string(),
        }
    }
}
