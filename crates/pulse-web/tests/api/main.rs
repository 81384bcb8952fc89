//! Integration tests of the HTTP layer, run in process against a real
//! database (SQLite by default, PostgreSQL with PULSE_TEST_DATABASE_URL).

mod support;

mod calibration;
mod calibration_live;
mod calibration_reports;
mod contract;
mod customers;
mod demo;
mod demo_clock;
mod feedback;
mod goals;
mod home;
mod identity;
mod imports;
mod inbox;
mod input_shapes;
mod insights;
mod linkage;
mod linkage_story;
mod links;
mod matrix;
mod notify;
mod one_language;
mod org_health;
mod privacy;
mod reviews;
mod rules_editor;
mod scim;
mod security;
mod work_orders;
mod workbook;
