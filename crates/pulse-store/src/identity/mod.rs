//! X5, S3: identity and privacy data.
//!
//! settings.rs: the SSO, WeChat Work login and privacy settings (secrets kept
//! here, never read back out to a page); flows.rs: sign-ins in flight, each
//! consumed once and bound to its browser; sign_in.rs: the person an
//! identity names, first-sign-in links, spent WeChat Work codes; scim.rs:
//! SCIM users and groups onto people and org units; privacy.rs: the person's
//! archive, HR's notes, the log of who viewed whose review data, and the
//! anonymisation of departed staff.

pub mod flows;
pub mod privacy;
pub mod scim;
pub mod settings;
pub mod sign_in;
