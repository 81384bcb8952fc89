//! RFC 7644 §3.5.2 PATCH, with what real clients send: `op` in any case
//! (Entra sends `Replace`), no `path` with a value object whose keys may be
//! dotted (`name.givenName`) or schema-qualified, and removals by filter
//! (`members[value eq "…"]`).

use serde_json::Value;

use super::resources::{get, manager_value, member_values, pick_email, text};
use super::{PATCH_SCHEMA, ScimError, ScimGroup, ScimUser, parse_bool, strip_schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: Op,
    /// Lower-cased, schema prefix removed; `None` = the value names the attributes.
    pub path: Option<Path>,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub attr: String,
    /// `[sub eq "value"]` after the attribute.
    pub filter: Option<(String, String)>,
    /// `.sub` after a filter.
    pub sub: Option<String>,
}

fn parse_path(raw: &str) -> Result<Path, ScimError> {
    let bad = || ScimError::bad("invalidPath", format!("cannot read path `{raw}`"));
    let lower = raw.trim();
    match lower.find('[') {
        None => Ok(Path {
            attr: strip_schema(&lower.to_ascii_lowercase()),
            filter: None,
            sub: None,
        }),
        Some(i) => {
            let close = lower.rfind(']').ok_or_else(bad)?;
            let inner = &lower[i + 1..close];
            let f = super::parse_filter(inner, &["value", "type", "display"]).map_err(|_| bad())?;
            let after = lower[close + 1..].trim_start_matches('.');
            Ok(Path {
                attr: strip_schema(&lower[..i].to_ascii_lowercase()),
                filter: Some((f.attr, f.value)),
                sub: (!after.is_empty()).then(|| after.to_ascii_lowercase()),
            })
        }
    }
}

/// Reads a PatchOp message.
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    if let Some(schemas) = get(obj, "schemas").and_then(Value::as_array)
        && !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA))
    {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("a PATCH names the schema {PATCH_SCHEMA}"),
        ));
    }
    let ops = get(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "`Operations` must be an array"))?;
    ops.iter()
        .map(|o| {
            let o = o
                .as_object()
                .ok_or_else(|| ScimError::bad("invalidSyntax", "each operation is an object"))?;
            let op = match get(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => Op::Add,
                Some("replace") => Op::Replace,
                Some("remove") => Op::Remove,
                _ => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        "`op` must be add, replace or remove",
                    ));
                }
            };
            let path = match get(o, "path") {
                Some(Value::String(p)) if !p.trim().is_empty() => Some(parse_path(p)?),
                Some(Value::String(_)) | Some(Value::Null) | None => None,
                Some(_) => return Err(ScimError::bad("invalidPath", "`path` must be a string")),
            };
            let value = get(o, "value").cloned();
            if path.is_none() && op == Op::Remove {
                return Err(ScimError::bad("noTarget", "a remove needs a path"));
            }
            if op != Op::Remove && value.is_none() {
                return Err(ScimError::bad(
                    "invalidValue",
                    "add and replace need a value",
                ));
            }
            Ok(PatchOp { op, path, value })
        })
        .collect()
}

/// Attributes the server owns.
const READ_ONLY: &[&str] = &["id", "meta", "groups", "schemas"];

fn read_only(attr: &str) -> Option<ScimError> {
    let root = attr.split('.').next().unwrap_or(attr);
    READ_ONLY
        .contains(&root)
        .then(|| ScimError::bad("mutability", format!("`{attr}` is read-only")))
}

/// Flattens a path-less value into (path, value) pairs: `{"name": {"givenName": x}}`
/// and `{"name.givenName": x}` both give `name.givenname`; the enterprise
/// extension's object gives `enterprise.<key>`.
fn flatten(value: &Value) -> Result<Vec<(String, Value)>, ScimError> {
    let obj = value.as_object().ok_or_else(|| {
        ScimError::bad("invalidValue", "without a path the value must be an object")
    })?;
    let mut out = Vec::new();
    for (k, v) in obj {
        let key = strip_schema(&k.to_ascii_lowercase());
        match v {
            Value::Object(inner) if key == "name" || key == "enterprise" => {
                for (ik, iv) in inner {
                    out.push((format!("{key}.{}", ik.to_ascii_lowercase()), iv.clone()));
                }
            }
            _ => out.push((key, v.clone())),
        }
    }
    Ok(out)
}

fn set_user(u: &mut ScimUser, attr: &str, v: Option<&Value>) -> Result<(), ScimError> {
    if let Some(e) = read_only(attr) {
        return Err(e);
    }
    let t = |v: Option<&Value>, what: &str| -> Result<Option<String>, ScimError> {
        match v {
            Some(v) => text(v, what),
            None => Ok(None),
        }
    };
    match attr {
        "username" => {
            u.user_name = t(v, "userName")?
                .ok_or_else(|| ScimError::bad("invalidValue", "`userName` cannot be empty"))?
        }
        "externalid" => u.external_id = t(v, "externalId")?,
        "displayname" => u.display_name = t(v, "displayName")?,
        "title" => u.title = t(v, "title")?,
        "name.givenname" => u.given_name = t(v, "name.givenName")?,
        "name.familyname" => u.family_name = t(v, "name.familyName")?,
        "name.formatted" => u.formatted = t(v, "name.formatted")?,
        "name" => {
            let o = v.and_then(Value::as_object).cloned().unwrap_or_default();
            for (k, iv) in o {
                set_user(u, &format!("name.{}", k.to_ascii_lowercase()), Some(&iv))?;
            }
            if v.is_none() {
                (u.given_name, u.family_name, u.formatted) = (None, None, None);
            }
        }
        "emails" | "emails.value" => {
            u.email = match v {
                Some(Value::Array(_)) => pick_email(v.unwrap_or(&Value::Null))?,
                other => t(other, "emails.value")?,
            }
        }
        "active" => {
            u.active = match v {
                Some(v) => parse_bool(v)?,
                None => false,
            }
        }
        "enterprise.employeenumber" => u.employee_number = t(v, "employeeNumber")?,
        "enterprise.department" => u.department = t(v, "department")?,
        "enterprise.manager" | "enterprise.manager.value" => {
            u.manager = match v {
                Some(v) => manager_value(v)?,
                None => None,
            }
        }
        // Attributes Pulse does not keep (phoneNumbers, addresses, …).
        _ => {}
    }
    Ok(())
}

/// Applies PATCH operations to a user; all or nothing (the caller writes only on Ok).
pub fn apply_user_patch(u: &mut ScimUser, ops: &[PatchOp]) -> Result<(), ScimError> {
    for op in ops {
        match &op.path {
            None => {
                for (k, v) in flatten(op.value.as_ref().unwrap_or(&Value::Null))? {
                    set_user(u, &k, Some(&v))?;
                }
            }
            Some(p) => {
                // `emails[type eq "work"].value` addresses the one address we keep.
                let attr = match (&p.filter, &p.sub) {
                    (Some(_), Some(sub)) => format!("{}.{sub}", p.attr),
                    _ => p.attr.clone(),
                };
                let value = if op.op == Op::Remove {
                    None
                } else {
                    op.value.as_ref()
                };
                set_user(u, &attr, value)?;
            }
        }
    }
    Ok(())
}

fn set_group(g: &mut ScimGroup, op: Op, attr: &str, v: Option<&Value>) -> Result<(), ScimError> {
    if let Some(e) = read_only(attr) {
        return Err(e);
    }
    match attr {
        "displayname" => {
            g.display_name = v
                .map(|v| text(v, "displayName"))
                .transpose()?
                .flatten()
                .ok_or_else(|| ScimError::bad("invalidValue", "`displayName` cannot be empty"))?
        }
        "externalid" => g.external_id = v.map(|v| text(v, "externalId")).transpose()?.flatten(),
        "members" => {
            let given = v.map(member_values).transpose()?.unwrap_or_default();
            match op {
                Op::Replace => g.members = given,
                Op::Add => {
                    for m in given {
                        if !g.members.contains(&m) {
                            g.members.push(m);
                        }
                    }
                }
                Op::Remove if v.is_none() => g.members.clear(),
                Op::Remove => g.members.retain(|m| !given.contains(m)),
            }
            g.members.sort();
            g.members.dedup();
        }
        _ => {}
    }
    Ok(())
}

/// Applies PATCH operations to a group; all or nothing.
pub fn apply_group_patch(g: &mut ScimGroup, ops: &[PatchOp]) -> Result<(), ScimError> {
    for op in ops {
        match &op.path {
            None => {
                for (k, v) in flatten(op.value.as_ref().unwrap_or(&Value::Null))? {
                    set_group(g, op.op, &k, Some(&v))?;
                }
            }
            Some(p) => match (&p.filter, op.op) {
                (Some((fattr, fvalue)), Op::Remove) if p.attr == "members" && fattr == "value" => {
                    g.members.retain(|m| m != fvalue);
                }
                (Some(_), _) => {
                    return Err(ScimError::bad(
                        "invalidPath",
                        "a filtered path is supported only to remove members[value eq \"…\"]",
                    ));
                }
                (None, _) => {
                    set_group(g, op.op, &p.attr, op.value.as_ref())?;
                }
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ENTERPRISE_SCHEMA, user_from_json};
    use super::*;
    use serde_json::json;

    fn patch(ops: Value) -> Vec<PatchOp> {
        parse_patch(&json!({"schemas": [PATCH_SCHEMA], "Operations": ops})).unwrap()
    }

    fn user() -> ScimUser {
        user_from_json(&json!({"userName": "a@corp.cn", "displayName": "张伟",
            "emails": [{"value": "a@corp.cn", "primary": true}]}))
        .unwrap()
    }

    #[test]
    fn entra_deactivation_and_dotted_keys() {
        let mut u = user();
        apply_user_patch(&mut u, &patch(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "value": {"name.givenName": "伟", "name.familyName": "张",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "华东"}},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@corp.cn"},
            {"op": "Replace", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": "42"}
        ]))).unwrap();
        assert!(!u.active);
        assert_eq!(u.given_name.as_deref(), Some("伟"));
        assert_eq!(u.department.as_deref(), Some("华东"));
        assert_eq!(u.email.as_deref(), Some("b@corp.cn"));
        assert_eq!(u.manager.as_deref(), Some("42"));
    }

    #[test]
    fn read_only_attributes_are_refused() {
        for ops in [
            json!([{"op": "replace", "path": "id", "value": "9"}]),
            json!([{"op": "replace", "value": {"meta": {"created": "x"}}}]),
            json!([{"op": "add", "path": "groups", "value": [{"value": "1"}]}]),
        ] {
            let mut u = user();
            let e = apply_user_patch(&mut u, &patch(ops)).unwrap_err();
            assert_eq!(e.scim_type, Some("mutability"));
            assert_eq!(u, user(), "nothing changed");
        }
    }

    #[test]
    fn bad_messages() {
        let e = parse_patch(&json!({"Operations": [{"op": "move", "path": "x"}]})).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));
        let e = parse_patch(&json!({"Operations": [{"op": "remove"}]})).unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
        let e = parse_patch(&json!({"schemas": ["x"], "Operations": []})).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));
    }

    #[test]
    fn group_members() {
        let mut g = ScimGroup {
            display_name: "华东".into(),
            external_id: None,
            members: vec!["1".into(), "2".into()],
        };
        apply_group_patch(
            &mut g,
            &patch(json!([
                {"op": "Add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]},
                {"op": "Remove", "path": "members[value eq \"2\"]"},
                {"op": "replace", "value": {"displayName": "华东大区"}}
            ])),
        )
        .unwrap();
        assert_eq!(g.members, vec!["1", "3"]);
        assert_eq!(g.display_name, "华东大区");
        apply_group_patch(
            &mut g,
            &patch(json!([{"op": "remove", "path": "members", "value": [{"value": "1"}]}])),
        )
        .unwrap();
        assert_eq!(g.members, vec!["3"]);
        apply_group_patch(&mut g, &patch(json!([{"op": "remove", "path": "members"}]))).unwrap();
        assert!(g.members.is_empty());
    }
}
