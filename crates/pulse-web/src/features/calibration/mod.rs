//! Calibration you can trust (C1–C6): sessions, blind scoring with the
//! divergence flag pushed live, three wall screens, final ratings and the
//! 9-box, the two reports.

pub mod api;
pub mod keywords;
pub mod pages;
pub mod report_pages;
pub mod reports;
pub mod routes;
pub mod screens;
pub mod service;
pub mod session_pages;
pub mod stream;
pub mod texts;
