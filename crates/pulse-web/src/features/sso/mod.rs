//! Single sign-on (X5): OpenID Connect with PKCE and WeChat Work login, the
//! admin's settings for both and the per-role switch that turns password
//! sign-in off, and ending a person's sessions.

pub mod api;
pub mod pages;
pub mod routes;
pub mod service;
pub mod texts;
