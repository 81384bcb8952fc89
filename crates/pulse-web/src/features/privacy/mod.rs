//! PIPL data rights (S3): a person's archive of everything Pulse holds about
//! them (Art. 45), HR's notes beside a record (Art. 46), the log of who
//! viewed another person's review data, and the anonymisation of leavers
//! after the retention period (Art. 47). The rows themselves are read by
//! `pulse_store::identity::privacy`; this folder packs and shows them.

pub mod api;
pub mod archive;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
