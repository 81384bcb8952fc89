//! Organisational health (H1–H4, S3): alignment rounds, the anonymous trust
//! survey, development engagement and the dashboard that reads them.

pub mod alignment_api;
pub mod alignment_pages;
pub mod api;
pub mod dto;
pub mod pages;
pub mod routes;
pub mod service;
pub mod survey_pages;
pub mod texts;
