//! SCIM 2.0 provisioning (X5, RFC 7643/7644) at `/scim/v2`: a directory
//! (Microsoft Entra ID, Okta, 企业微信/钉钉 connectors) creates, updates,
//! deactivates and regroups people, and the org tree follows.
//!
//! SCIM speaks its own protocol, not Pulse's API envelope: its own bearer
//! check (a token with scope `scim` whose account is an administrator or
//! HRBP), its own body limit, errors in RFC 7644 §3.12's shape and
//! `application/scim+json` throughout. The rules (filters, resources,
//! PATCH) live in `pulse_domain::identity::scim`, the writes in
//! `pulse_store::identity::scim`.

pub mod discovery;
pub mod groups;
pub mod routes;
pub mod service;
pub mod users;
