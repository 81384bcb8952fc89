//! X5, S3: signing in through an identity provider or WeChat Work, SCIM
//! provisioning and the PIPL data rights, as plain rules.
//!
//! pkce.rs: the verifier and its S256 challenge; claims.rs: the ID-token
//! checks after the signature (issuer, audience, expiry with skew, nonce) and
//! which claim names the person; scim/: filters, PATCH operations and the
//! error shape of RFC 7644; redact.rs: a departed person's name, contacts and
//! 工号 taken out of free texts.

pub mod claims;
pub mod pkce;
pub mod redact;
pub mod scim;

/// How long a sign-in may take from the redirect to the callback.
pub const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
