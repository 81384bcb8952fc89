//! The User and Group resources as Pulse keeps them, read from a client's
//! POST or PUT body.

use serde_json::{Map, Value};

use super::{ENTERPRISE_SCHEMA, ScimError, parse_bool};

/// What Pulse keeps of a SCIM user. `manager` is the manager's SCIM id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub formatted: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub employee_number: Option<String>,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub title: Option<String>,
}

impl ScimUser {
    /// The person's name as Chinese write it: 姓 then 名 without a space;
    /// Latin names keep "Given Family".
    pub fn person_name(&self) -> String {
        if let Some(d) = self
            .display_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            return d.trim().to_string();
        }
        if let Some(f) = self.formatted.as_deref().filter(|s| !s.trim().is_empty()) {
            return f.trim().to_string();
        }
        let family = self.family_name.as_deref().unwrap_or("").trim();
        let given = self.given_name.as_deref().unwrap_or("").trim();
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let joined = if cjk(family) || cjk(given) {
            format!("{family}{given}")
        } else {
            format!("{given} {family}").trim().to_string()
        };
        if joined.is_empty() {
            self.user_name.clone()
        } else {
            joined
        }
    }
}

/// A group is an org unit; members are people's SCIM ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

pub(crate) fn text(v: &Value, what: &str) -> Result<Option<String>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("`{what}` must be a string"),
        )),
    }
}

/// Keys compared case-insensitively, as RFC 7643 §2.1 says attribute names are.
pub(crate) fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The work (or primary, or first) address of an `emails` array.
pub(crate) fn pick_email(v: &Value) -> Result<Option<String>, ScimError> {
    let Value::Array(items) = v else {
        return match v {
            Value::Null => Ok(None),
            _ => Err(ScimError::bad("invalidValue", "`emails` must be an array")),
        };
    };
    let objs: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
    let primary = objs
        .iter()
        .find(|o| get(o, "primary").is_some_and(|p| parse_bool(p).unwrap_or(false)))
        .or_else(|| {
            objs.iter()
                .find(|o| get(o, "type").and_then(Value::as_str) == Some("work"))
        })
        .or(objs.first());
    match primary.and_then(|o| get(o, "value")) {
        Some(v) => text(v, "emails.value"),
        None => Ok(None),
    }
}

pub(crate) fn manager_value(v: &Value) -> Result<Option<String>, ScimError> {
    match v {
        Value::Object(o) => match get(o, "value") {
            Some(v) => text(v, "manager.value"),
            None => Ok(None),
        },
        other => text(other, "manager"),
    }
}

/// A full user from a POST or PUT body. Unknown attributes are ignored.
pub fn user_from_json(body: &Value) -> Result<ScimUser, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let user_name = get(obj, "userName")
        .map(|v| text(v, "userName"))
        .transpose()?
        .flatten()
        .ok_or_else(|| ScimError::bad("invalidValue", "`userName` is required"))?;
    let mut u = ScimUser {
        user_name,
        active: true,
        ..ScimUser::default()
    };
    if let Some(v) = get(obj, "externalId") {
        u.external_id = text(v, "externalId")?;
    }
    if let Some(v) = get(obj, "displayName") {
        u.display_name = text(v, "displayName")?;
    }
    if let Some(v) = get(obj, "title") {
        u.title = text(v, "title")?;
    }
    if let Some(Value::Object(name)) = get(obj, "name") {
        u.family_name = get(name, "familyName")
            .map(|v| text(v, "name.familyName"))
            .transpose()?
            .flatten();
        u.given_name = get(name, "givenName")
            .map(|v| text(v, "name.givenName"))
            .transpose()?
            .flatten();
        u.formatted = get(name, "formatted")
            .map(|v| text(v, "name.formatted"))
            .transpose()?
            .flatten();
    }
    if let Some(v) = get(obj, "emails") {
        u.email = pick_email(v)?;
    }
    if let Some(v) = get(obj, "active") {
        u.active = parse_bool(v)?;
    }
    if let Some(Value::Object(ent)) = get(obj, ENTERPRISE_SCHEMA) {
        if let Some(v) = get(ent, "employeeNumber") {
            u.employee_number = text(v, "employeeNumber")?;
        }
        if let Some(v) = get(ent, "department") {
            u.department = text(v, "department")?;
        }
        if let Some(v) = get(ent, "manager") {
            u.manager = manager_value(v)?;
        }
    }
    Ok(u)
}

pub(crate) fn member_values(v: &Value) -> Result<Vec<String>, ScimError> {
    let items = match v {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(v),
        Value::Null => &[],
        _ => {
            return Err(ScimError::bad(
                "invalidValue",
                "`members` must be an array of {\"value\": id}",
            ));
        }
    };
    items
        .iter()
        .map(|m| {
            m.as_object()
                .and_then(|o| get(o, "value"))
                .map(|v| text(v, "members.value"))
                .transpose()?
                .flatten()
                .ok_or_else(|| ScimError::bad("invalidValue", "a member needs a `value`"))
        })
        .collect()
}

/// A full group from a POST or PUT body.
pub fn group_from_json(body: &Value) -> Result<ScimGroup, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let display_name = get(obj, "displayName")
        .map(|v| text(v, "displayName"))
        .transpose()?
        .flatten()
        .ok_or_else(|| ScimError::bad("invalidValue", "`displayName` is required"))?;
    Ok(ScimGroup {
        display_name,
        external_id: get(obj, "externalId")
            .map(|v| text(v, "externalId"))
            .transpose()?
            .flatten(),
        members: get(obj, "members")
            .map(member_values)
            .transpose()?
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_entra_user() {
        let u = user_from_json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_SCHEMA],
            "externalId": "0a21f0f2", "userName": "zhang.wei@corp.cn", "active": "False",
            "displayName": "张伟", "name": {"familyName": "张", "givenName": "伟"},
            "emails": [{"primary": true, "type": "work", "value": "zhang.wei@corp.cn"}],
            "phoneNumbers": [{"type": "mobile", "value": "13800000000"}],
            ENTERPRISE_SCHEMA: {"employeeNumber": "E10023", "department": "华东销售一部", "manager": {"value": "17"}}
        }))
        .unwrap();
        assert_eq!(u.user_name, "zhang.wei@corp.cn");
        assert!(!u.active);
        assert_eq!(u.email.as_deref(), Some("zhang.wei@corp.cn"));
        assert_eq!(u.employee_number.as_deref(), Some("E10023"));
        assert_eq!(u.manager.as_deref(), Some("17"));
        assert_eq!(u.person_name(), "张伟");
    }

    #[test]
    fn names_without_display_name() {
        let mut u = ScimUser {
            user_name: "x".into(),
            family_name: Some("李".into()),
            given_name: Some("晓明".into()),
            ..ScimUser::default()
        };
        assert_eq!(u.person_name(), "李晓明");
        u.family_name = Some("Smith".into());
        u.given_name = Some("Anna".into());
        assert_eq!(u.person_name(), "Anna Smith");
        u.family_name = None;
        u.given_name = None;
        assert_eq!(u.person_name(), "x");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            user_from_json(&json!({"displayName": "x"}))
                .unwrap_err()
                .scim_type,
            Some("invalidValue")
        );
        assert_eq!(
            user_from_json(&json!([1])).unwrap_err().scim_type,
            Some("invalidSyntax")
        );
        assert!(user_from_json(&json!({"userName": "a", "active": "maybe"})).is_err());
        assert!(
            group_from_json(&json!({"displayName": "g", "members": [{"display": "no value"}]}))
                .is_err()
        );
        let g = group_from_json(
            &json!({"displayName": "华东", "members": [{"value": "3"}, {"value": 4}]}),
        )
        .unwrap();
        assert_eq!(g.members, vec!["3", "4"]);
    }
}
