//! Identity settings, one JSON row per group. Saved with an audit entry that
//! says which fields changed, never the secrets' values.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Actor, Db, StoreError, Tx, audit};

/// OpenID Connect single sign-on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OidcSettings {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated; `openid` is always sent.
    pub scopes: String,
    /// The ID-token claim that names the person (`email`, `employee_number`, …).
    pub claim: String,
    /// `employee_no` or `email`: what the claim is compared with.
    pub match_field: String,
    /// The sign-in button's text ("" = 企业账号登录 / Company account).
    pub button_label: String,
    /// Roles whose members may no longer sign in with a password.
    pub password_off_roles: Vec<String>,
}

/// WeChat Work (企业微信) web login: silent OAuth inside the client, QR code outside.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WecomLoginSettings {
    pub enabled: bool,
    pub corp_id: String,
    pub agent_id: i64,
    pub secret: String,
    /// The API's base (`https://qyapi.weixin.qq.com`); tests point it at a local server.
    pub base_url: String,
}

impl Default for WecomLoginSettings {
    fn default() -> Self {
        WecomLoginSettings {
            enabled: false,
            corp_id: String::new(),
            agent_id: 0,
            secret: String::new(),
            base_url: "https://qyapi.weixin.qq.com".into(),
        }
    }
}

/// PIPL: how long a departed person's personal data is kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PrivacySettings {
    /// Days after leaving before name, contacts and free texts naming the
    /// person are anonymised (30–3650).
    pub retention_days: i64,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            retention_days: 365,
        }
    }
}

pub const OIDC: &str = "oidc";
pub const WECOM_LOGIN: &str = "wecom_login";
pub const PRIVACY: &str = "privacy";

/// A settings group, or its defaults when never saved.
pub async fn get<T: DeserializeOwned + Default>(db: &Db, name: &str) -> Result<T, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT body FROM identity_settings WHERE name = $1").bind(name).fetch_optional(pool).await?
    });
    Ok(row
        .and_then(|(b,)| serde_json::from_str(&b).ok())
        .unwrap_or_default())
}

/// Saves a settings group; `changed` names the fields that differ (for the audit).
pub async fn put<T: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    value: &T,
    changed: &[&str],
) -> Result<(), StoreError> {
    let body = serde_json::to_string(value).map_err(|e| StoreError::Config(e.to_string()))?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO identity_settings (name, body, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(name).bind(&body).bind(actor.person_id).bind(now)
        .execute(conn).await?;
    });
    audit::record::<(), _>(
        tx,
        actor,
        "update",
        "identity_settings",
        name,
        None,
        Some(&serde_json::json!({ "changed": changed })),
    )
    .await
}
