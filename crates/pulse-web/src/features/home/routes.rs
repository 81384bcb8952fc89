//! The home page: its slice of the route table.

use axum::routing::get;

use super::pages;
use crate::access::Access;
use crate::routes::{Route, r};

pub fn routes() -> Vec<Route> {
    vec![r("GET", "/home", Access::ANYONE, get(pages::home))]
}
