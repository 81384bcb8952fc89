//! 工作台: the page each person lands on, with what they should do today.
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
