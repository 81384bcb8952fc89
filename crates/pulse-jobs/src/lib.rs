//! Background work of Pulse: delivering the outbox through the notification
//! channels (N2, N3) and scheduled jobs such as reminders (N4), run once
//! across instances. Jobs take the database and a clock, so tests drive them
//! step by step.

pub mod channels;
pub mod crm;
pub mod delivery;
pub mod digests;
pub mod identity;
pub mod linkage;
pub mod reminders;
pub mod scheduler;
pub mod wecom_token;
pub mod weight_rules;
