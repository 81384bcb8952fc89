//! Review cycles and the evidence-cited review writer (W1–W3).

pub mod api;
pub mod cycle_pages;
pub mod drafting;
pub mod pages;
pub mod polish;
pub mod routes;
pub mod service;
pub mod texts;
