pub mod api;
pub mod audit_pages;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
