pub mod api;
pub mod inbox_api;
pub mod inbox_pages;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
