//! Talking to identity services (X5): an OpenID Connect provider (discovery,
//! JWKS with key rotation, the code exchange) and WeChat Work's web login
//! (`gettoken` cached per app, `auth/getuserinfo`). Each instance keeps its
//! own caches; nothing here is shared state between instances.

pub use reqwest::Url;

pub mod anonymise;
pub mod oidc;
pub mod wecom_login;

/// The clients a web instance keeps for its lifetime.
#[derive(Default)]
pub struct Clients {
    pub oidc: oidc::OidcClient,
    pub wecom: wecom_login::WecomLogin,
}
