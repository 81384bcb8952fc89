pub mod api;
pub mod import_api;
pub mod import_pages;
pub mod org_api;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
