//! OpenID Connect Core §3.1.3.7: what an ID token must say once its signature
//! holds. The time checks take "now" from the caller (the store's clock),
//! never from the system clock.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Problem;

/// Seconds of clock difference between us and the provider we tolerate.
pub const CLOCK_SKEW_S: i64 = 60;

/// The claims we read; the rest stay in `extra` for the person mapping.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(s) => vec![s],
        Aud::Many(v) => v,
    })
}

/// What the token must match.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now_s: i64,
}

fn refused(code: &'static str, zh: &str, en: &str) -> Problem {
    Problem::new(code, zh, en)
}

/// Every check after the signature, in the order the spec lists them.
pub fn check(c: &IdClaims, e: &Expect<'_>) -> Result<(), Problem> {
    if c.iss != e.issuer {
        return Err(refused(
            "sso_issuer",
            "身份令牌的签发方与配置不符",
            "the ID token comes from another issuer",
        ));
    }
    if !c.aud.iter().any(|a| a == e.client_id) {
        return Err(refused(
            "sso_audience",
            "身份令牌不是签发给本系统的",
            "the ID token was issued for another client",
        ));
    }
    if c.aud.len() > 1 && c.azp.as_deref() != Some(e.client_id) {
        return Err(refused(
            "sso_audience",
            "身份令牌的授权方不是本系统",
            "the ID token's authorized party is another client",
        ));
    }
    if c.exp + CLOCK_SKEW_S <= e.now_s {
        return Err(refused(
            "sso_expired",
            "身份令牌已过期，请重新登录",
            "the ID token has expired; sign in again",
        ));
    }
    if c.iat.is_some_and(|iat| iat > e.now_s + CLOCK_SKEW_S)
        || c.nbf.is_some_and(|nbf| nbf > e.now_s + CLOCK_SKEW_S)
    {
        return Err(refused(
            "sso_not_yet_valid",
            "身份令牌的签发时间在未来，请检查服务器时间",
            "the ID token is not valid yet; check the clocks",
        ));
    }
    if c.nonce.as_deref() != Some(e.nonce) {
        return Err(refused(
            "sso_nonce",
            "身份令牌与本次登录不匹配（nonce）",
            "the ID token does not belong to this sign-in (nonce)",
        ));
    }
    if c.sub.trim().is_empty() {
        return Err(refused(
            "sso_subject",
            "身份令牌缺少用户标识",
            "the ID token has no subject",
        ));
    }
    Ok(())
}

/// Which stored field the mapped claim is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchField {
    EmployeeNo,
    Email,
}

impl MatchField {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchField::EmployeeNo => "employee_no",
            MatchField::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Result<MatchField, Problem> {
        match raw.trim() {
            "employee_no" => Ok(MatchField::EmployeeNo),
            "email" => Ok(MatchField::Email),
            other => Err(Problem::new(
                "invalid_match_field",
                format!("未知的匹配字段“{other}”（可用：employee_no、email）"),
                format!("unknown match field '{other}' (employee_no, email)"),
            )),
        }
    }
}

/// The mapped claim's value: a string, or a number written as digits
/// (some directories send 工号 as numbers). Empty counts as missing.
pub fn claim_value(c: &IdClaims, name: &str) -> Option<String> {
    let v = match name {
        "sub" => return Some(c.sub.clone()),
        _ => c.extra.get(name)?,
    };
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A claim name an admin may configure: a JSON key of sane shape.
pub fn valid_claim_name(name: &str) -> Result<String, Problem> {
    let n = name.trim();
    if n.is_empty()
        || n.len() > 64
        || !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'))
    {
        return Err(Problem::new(
            "invalid_claim",
            "声明名称只能含字母、数字和 _ - . : /，最多 64 个字符",
            "a claim name is 1–64 letters, digits or _ - . : /",
        ));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> IdClaims {
        serde_json::from_value(v).unwrap()
    }

    fn good() -> Value {
        serde_json::json!({"iss": "https://idp", "sub": "u1", "aud": "pulse", "exp": 1000,
            "iat": 900, "nonce": "n1", "employee_number": 10023, "email": " a@b.cn "})
    }

    fn expect(now_s: i64) -> Expect<'static> {
        Expect {
            issuer: "https://idp",
            client_id: "pulse",
            nonce: "n1",
            now_s,
        }
    }

    #[test]
    fn a_good_token_passes_and_maps() {
        let c = claims(good());
        assert!(check(&c, &expect(950)).is_ok());
        assert_eq!(claim_value(&c, "employee_number").as_deref(), Some("10023"));
        assert_eq!(claim_value(&c, "email").as_deref(), Some("a@b.cn"));
        assert_eq!(claim_value(&c, "sub").as_deref(), Some("u1"));
        assert_eq!(claim_value(&c, "missing"), None);
    }

    #[test]
    fn each_check_refuses() {
        let c = claims(good());
        assert_eq!(check(&c, &expect(1059)).map_err(|p| p.code), Ok(()));
        assert_eq!(check(&c, &expect(1060)).unwrap_err().code, "sso_expired");
        assert_eq!(
            check(&c, &expect(700)).unwrap_err().code,
            "sso_not_yet_valid"
        );
        let mut e = expect(950);
        e.nonce = "other";
        assert_eq!(check(&c, &e).unwrap_err().code, "sso_nonce");
        e = expect(950);
        e.client_id = "other";
        assert_eq!(check(&c, &e).unwrap_err().code, "sso_audience");
        e = expect(950);
        e.issuer = "https://evil";
        assert_eq!(check(&c, &e).unwrap_err().code, "sso_issuer");
        let mut v = good();
        v["aud"] = serde_json::json!(["pulse", "other"]);
        assert_eq!(
            check(&claims(v.clone()), &expect(950)).unwrap_err().code,
            "sso_audience"
        );
        v["azp"] = "pulse".into();
        assert!(check(&claims(v), &expect(950)).is_ok());
        let mut v = good();
        v.as_object_mut().unwrap().remove("nonce");
        assert_eq!(
            check(&claims(v), &expect(950)).unwrap_err().code,
            "sso_nonce"
        );
    }

    #[test]
    fn claim_names_are_checked() {
        assert!(valid_claim_name("employee_number").is_ok());
        assert!(valid_claim_name("https://corp/claims/no").is_ok());
        assert!(valid_claim_name("").is_err());
        assert!(valid_claim_name("a b").is_err());
    }
}
