//! Pure types and rules of Pulse. Nothing in this crate touches a database,
//! the network or the clock: every rule can be tested with plain values.

pub mod auth;
pub mod calibration;
pub mod china_time;
pub mod competency;
pub mod decimal;
pub mod delivery;
pub mod events;
pub mod feedback;
pub mod goals;
pub mod health;
pub mod i18n;
pub mod identity;
pub mod linkage;
pub mod org;
pub mod photos;
pub mod preferences;
pub mod problem;
pub mod reminders;
pub mod reviews;
pub mod roles;
pub mod rules;
pub mod search;
pub mod weights;

pub use i18n::Lang;
pub use problem::Problem;
