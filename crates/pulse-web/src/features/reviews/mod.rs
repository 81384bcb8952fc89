//! Review cycles and the evidence-cited review writer (W1–W3).

pub mod api;
pub mod cycle_pages;
pub mod cycles_api;
pub mod drafting;
pub mod llm_api;
pub mod pages;
pub mod polish;
pub mod routes;
pub mod service;
pub mod texts;
