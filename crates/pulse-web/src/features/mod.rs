//! One folder per feature area: its routes (with who may call them), JSON
//! API, pages, the logic both share (`service`) and its UI texts.

pub mod accounts;
pub mod auth;
pub mod calibration;
pub mod customers;
pub mod feedback;
pub mod goals;
pub mod home;
pub mod insights;
pub mod linkage;
pub mod notify;
pub mod org_health;
pub mod people;
pub mod privacy;
pub mod reviews;
pub mod scim;
pub mod sso;
pub mod workbook;
