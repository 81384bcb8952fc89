//! The team workbook: its slice of the route table.

use axum::routing::get;

use super::pages;
use crate::access::Access;
use crate::routes::{EXPORTERS, Route, r};

pub fn routes() -> Vec<Route> {
    vec![r(
        "GET",
        "/export/team.xlsx",
        Access::roles(EXPORTERS),
        get(pages::download),
    )]
}
