//! Performance → development → incentive (L1–L4) and development paths (T1).

pub mod api;
pub mod dto;
pub mod path_api;
pub mod routes;
pub mod service;
