pub mod api;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
