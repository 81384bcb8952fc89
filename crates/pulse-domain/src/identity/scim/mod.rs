//! SCIM 2.0 (RFC 7643/7644) as plain rules: the error shape, filters, the
//! user and group resources as Pulse reads them, and PATCH.
//!
//! Real clients differ from the RFC in known ways and we accept them:
//! Microsoft Entra ID sends `"active": "False"` as a string, capitalised
//! `op`s and PATCH without `path` carrying dotted keys; Okta pages with
//! `count=100`. Attributes we do not keep (phone numbers, addresses, …) are
//! accepted and ignored, so a directory's full payload never fails; the
//! attributes the server owns (`id`, `meta`, a user's `groups`) are refused
//! with `mutability`.

mod patch;
mod resources;

pub use patch::{Op, PatchOp, Path, apply_group_patch, apply_user_patch, parse_patch};
pub use resources::{ScimGroup, ScimUser, group_from_json, user_from_json};

use serde_json::Value;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Largest page a client may ask for; bigger `count`s are cut to it (RFC 7644 §3.4.2.4).
pub const MAX_PAGE: i64 = 200;

/// A refusal in RFC 7644 §3.12's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError::new(400, Some(scim_type), detail)
    }

    pub fn not_found(what: &str) -> Self {
        ScimError::new(404, None, format!("{what} not found"))
    }

    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            v["scimType"] = t.into();
        }
        v
    }
}

/// A boolean as clients send it: JSON `true`/`false`, or Entra's strings
/// `"True"`/`"False"` in any case.
pub fn parse_bool(v: &Value) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("expected a boolean, got {v}"),
        )),
    }
}

/// A supported filter: one attribute compared with `eq` to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Lower-cased attribute path, schema prefix removed (`username`, `emails.value`).
    pub attr: String,
    pub value: String,
}

/// Parses `attr eq "value"` (operator and attribute case-insensitive). The
/// attribute must be one of `allowed` (lower case); anything else — other
/// operators, `and`/`or`, unknown attributes — is `invalidFilter`.
pub fn parse_filter(raw: &str, allowed: &[&str]) -> Result<Filter, ScimError> {
    let invalid = |why: &str| ScimError::bad("invalidFilter", format!("unsupported filter: {why}"));
    let s = raw.trim();
    let (attr, rest) = s
        .split_once(char::is_whitespace)
        .ok_or_else(|| invalid("expected `attribute eq \"value\"`"))?;
    let rest = rest.trim_start();
    let (op, value) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| invalid("expected `attribute eq \"value\"`"))?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid(&format!(
            "operator `{op}` (only `eq` is supported)"
        )));
    }
    let attr = strip_schema(&attr.to_ascii_lowercase());
    if !allowed.contains(&attr.as_str()) {
        return Err(invalid(&format!(
            "attribute `{attr}` (supported: {})",
            allowed.join(", ")
        )));
    }
    let value = value.trim();
    let value = if let Some(inner) = value.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or_else(|| invalid("unterminated string"))?;
        let parsed: String = serde_json::from_str(&format!("\"{inner}\""))
            .map_err(|_| invalid("bad string escape"))?;
        parsed
    } else if value.eq_ignore_ascii_case("true")
        || value.eq_ignore_ascii_case("false")
        || value.parse::<f64>().is_ok()
    {
        value.to_ascii_lowercase()
    } else {
        return Err(invalid("the value must be a quoted string"));
    };
    Ok(Filter { attr, value })
}

/// `urn:…:User:userName` → `username`; the enterprise extension becomes `enterprise.`.
pub(crate) fn strip_schema(lower: &str) -> String {
    let ent = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    let user = USER_SCHEMA.to_ascii_lowercase();
    let group = GROUP_SCHEMA.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(&ent) {
        let rest = rest.trim_start_matches(':').trim_start_matches('.');
        return if rest.is_empty() {
            "enterprise".into()
        } else {
            format!("enterprise.{rest}")
        };
    }
    for p in [&user, &group] {
        if let Some(rest) = lower.strip_prefix(p.as_str()) {
            return rest.trim_start_matches(':').to_string();
        }
    }
    lower.to_string()
}

/// `startIndex` (1-based, below 1 counts as 1) and `count` (negative as 0,
/// above [`MAX_PAGE`] cut) as an offset and a limit.
pub fn page(start_index: Option<i64>, count: Option<i64>) -> (i64, i64) {
    let start = start_index.unwrap_or(1).max(1);
    let count = count.unwrap_or(100).clamp(0, MAX_PAGE);
    (start - 1, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &[&str] = &["username", "externalid", "emails.value", "id"];

    #[test]
    fn filters_clients_send() {
        assert_eq!(
            parse_filter("userName eq \"zhang.wei@corp.cn\"", USERS),
            Ok(Filter {
                attr: "username".into(),
                value: "zhang.wei@corp.cn".into()
            })
        );
        assert_eq!(
            parse_filter("externalId EQ \"a \\\"b\\\"\"", USERS)
                .unwrap()
                .value,
            "a \"b\""
        );
        assert_eq!(
            parse_filter(
                "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\"",
                USERS
            )
            .unwrap()
            .attr,
            "username"
        );
        for bad in [
            "userName co \"x\"",
            "userName eq \"x\" and active eq true",
            "title eq \"x\"",
            "userName",
            "userName eq x",
            "userName eq \"x",
        ] {
            let e = parse_filter(bad, USERS).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some("invalidFilter")),
                "{bad}"
            );
        }
    }

    #[test]
    fn booleans_and_pages() {
        assert_eq!(parse_bool(&"False".into()), Ok(false));
        assert_eq!(parse_bool(&"TRUE".into()), Ok(true));
        assert_eq!(parse_bool(&Value::Bool(false)), Ok(false));
        assert!(parse_bool(&"no".into()).is_err());
        assert_eq!(page(None, None), (0, 100));
        assert_eq!(page(Some(101), Some(100)), (100, 100));
        assert_eq!(page(Some(0), Some(-5)), (0, 0));
        assert_eq!(page(Some(1), Some(10_000)), (0, MAX_PAGE));
    }

    #[test]
    fn error_shape() {
        let v = ScimError::bad("uniqueness", "taken").to_json();
        assert_eq!(v["status"], "400");
        assert_eq!(v["scimType"], "uniqueness");
        assert_eq!(v["schemas"][0], ERROR_SCHEMA);
    }
}
