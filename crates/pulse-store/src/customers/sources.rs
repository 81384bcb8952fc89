//! CRM endpoints to pull customers from (X3): where each field sits in the
//! CRM's JSON answer, the stored settings and the last pull's result.

use chrono::NaiveDate;
use pulse_domain::Problem;
use serde::{Deserialize, Serialize};

use super::CustomerInput;
use crate::{Db, StoreError};

/// A CRM endpoint to pull customers from, with where each field sits in its
/// JSON answer (RFC 6901 JSON pointers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Where the list is, e.g. `/data/items`; empty = the answer is the list.
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^(/.*)?$")]
    pub items: String,
    /// e.g. `/id`.
    #[schema(max_length = 200, pattern = "^/")]
    pub external_id: String,
    #[schema(max_length = 200, pattern = "^/")]
    pub name: String,
    #[schema(max_length = 200, pattern = "^/")]
    pub tier: String,
    #[schema(max_length = 200, pattern = "^/")]
    pub region: String,
    /// Empty: customers come without an owner.
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^(/.*)?$")]
    pub owner: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^(/.*)?$")]
    pub signed_on: String,
}

impl Mapping {
    pub fn validate(&self) -> Result<(), Problem> {
        let fields = [
            ("items", &self.items, false),
            ("external_id", &self.external_id, true),
            ("name", &self.name, true),
            ("tier", &self.tier, true),
            ("region", &self.region, true),
            ("owner", &self.owner, false),
            ("signed_on", &self.signed_on, false),
        ];
        for (field, p, required) in fields {
            if p.chars().count() > 200 {
                return Err(Problem::new(
                    "invalid_mapping",
                    format!("字段“{field}”的 JSON 指针过长（最多 200 个字符）"),
                    format!("the JSON pointer of '{field}' is too long (at most 200 characters)"),
                ));
            }
            if (required && p.is_empty()) || (!p.is_empty() && !p.starts_with('/')) {
                return Err(Problem::new(
                    "invalid_mapping",
                    format!("字段“{field}”的 JSON 指针“{p}”无效：应以 / 开头，例如 /customer_name"),
                    format!(
                        "the JSON pointer '{p}' of '{field}' is invalid: it starts with /, e.g. /customer_name"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Reads one record; text and numbers become text, anything else is absent.
    pub fn read(&self, item: &serde_json::Value) -> CustomerInput {
        let text = |p: &str| -> Option<String> {
            if p.is_empty() {
                return None;
            }
            match item.pointer(p)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        CustomerInput {
            external_id: text(&self.external_id).unwrap_or_default(),
            name: text(&self.name).unwrap_or_default(),
            tier: text(&self.tier).unwrap_or_default(),
            region: text(&self.region).unwrap_or_default(),
            owner: text(&self.owner),
            signed_on: text(&self.signed_on).and_then(|s| {
                NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Source {
    pub name: String,
    pub url: String,
    #[serde(skip)]
    pub token: String,
    pub mapping_json: String,
    pub enabled: i64,
    pub last_pulled_at: Option<i64>,
    pub last_result: Option<String>,
}

pub async fn sources(db: &Db) -> Result<Vec<Source>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Source>("SELECT name, url, token, mapping_json, enabled, last_pulled_at, last_result FROM crm_sources ORDER BY name")
            .fetch_all(pool).await?
    }))
}

/// Saves a source after checking its URL and mapping; an empty token keeps the stored one.
pub async fn save_source(
    db: &Db,
    name: &str,
    url: &str,
    token: &str,
    mapping: &Mapping,
    enabled: bool,
) -> Result<(), StoreError> {
    let name = pulse_domain::org::required_text(name, 64, "数据源名称", "source name")?;
    let url = url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
    {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_url",
            format!("地址“{url}”无效：应以 http:// 或 https:// 开头"),
            format!("'{url}' is not an http(s) URL"),
        )));
    }
    mapping.validate()?;
    let mapping_json = serde_json::to_string(mapping).unwrap_or_default();
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO crm_sources (name, url, token, mapping_json, enabled, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (name) DO UPDATE SET url = excluded.url, mapping_json = excluded.mapping_json, enabled = excluded.enabled, \
             updated_at = excluded.updated_at, token = CASE WHEN excluded.token = '' THEN crm_sources.token ELSE excluded.token END",
        )
        .bind(&name).bind(url).bind(token.trim()).bind(&mapping_json).bind(i64::from(enabled)).bind(db.now_ms())
        .execute(pool).await?;
    });
    Ok(())
}

pub async fn record_pull(db: &Db, name: &str, result: &str) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("UPDATE crm_sources SET last_pulled_at = $1, last_result = $2 WHERE name = $3")
            .bind(db.now_ms()).bind(result).bind(name).execute(pool).await?;
    });
    Ok(())
}
