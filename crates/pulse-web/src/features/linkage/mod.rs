//! Performance → development → incentive (L1–L4) and development paths (T1).

pub mod admin_pages;
pub mod api;
pub mod dto;
pub mod exports;
pub mod pages;
pub mod path_api;
pub mod routes;
pub mod service;
pub mod texts;
