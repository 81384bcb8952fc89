//! The team workbook (X2): one download for a manager's or HR's scope.
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
