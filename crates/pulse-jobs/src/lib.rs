//! Background work of Pulse. Today: delivering the outbox through the
//! notification channels (N2, N3). Jobs take the database and a clock, so
//! tests drive them step by step.

pub mod channels;
pub mod delivery;
