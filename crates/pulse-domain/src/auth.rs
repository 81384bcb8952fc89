//! Credentials (S1): argon2id password hashes and random bearer secrets.
//!
//! Session ids and API tokens are random 256-bit secrets; only their SHA-256
//! digest is stored, so a leaked database does not leak live credentials.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::Problem;

pub const MIN_PASSWORD_CHARS: usize = 4;
/// New passwords: at most this many characters (what the API documents).
pub const MAX_PASSWORD_CHARS: usize = 64;
/// Sign-in refuses longer input before hashing; covers any password set
/// under the earlier 256-byte rule.
pub const MAX_PASSWORD_BYTES: usize = 256;

pub fn hash_password(password: &str) -> Result<String, Problem> {
    check_password_shape(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            Problem::new(
                "hash_failed",
                format!("密码处理失败：{e}"),
                format!("could not hash password: {e}"),
            )
        })
}

/// The stored "hash" of an account that signs in only through SSO or was
/// provisioned by a directory: not a PHC string, so no password verifies
/// against it, and it costs no argon2 run to make (bulk SCIM creates).
pub const NO_PASSWORD: &str = "!no-password";

/// Constant-time verification; a malformed stored hash simply fails.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub fn check_password_shape(password: &str) -> Result<(), Problem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Problem::new(
            "password_too_short",
            format!("密码至少需要 {MIN_PASSWORD_CHARS} 个字符"),
            format!("password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Problem::new(
            "password_too_long",
            format!("密码最多 {MAX_PASSWORD_CHARS} 个字符"),
            format!("a password has at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A reward voucher code such as `PV-7KQ2M-X9D4T`: 50 random bits, without
/// 0/O/1/I because people read vouchers aloud to HR.
pub fn voucher_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let code: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("PV-{}-{}", &code[..5], &code[5..])
}

/// A fresh random secret as 64 hex characters.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// What we store for a secret: its SHA-256 digest in hex.
pub fn digest_secret(secret: &str) -> String {
    digest_bytes(secret.as_bytes())
}

/// SHA-256 of any bytes in hex (file fingerprints, request bodies).
pub fn digest_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_verifies_against_the_sso_marker() {
        for p in ["", "!no-password", "no-password", "demo"] {
            assert!(!verify_password(p, NO_PASSWORD), "{p}");
        }
    }

    #[test]
    fn hash_and_verify() {
        let h = hash_password("demo-密码").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("demo-密码", &h));
        assert!(!verify_password("demo", &h));
        assert!(!verify_password("demo-密码", "not a hash"));
    }

    #[test]
    fn short_password_rejected() {
        assert_eq!(hash_password("abc").unwrap_err().code, "password_too_short");
    }

    #[test]
    fn secrets_are_random_and_digest_is_stable() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(digest_secret(&a), digest_secret(&a));
        assert_ne!(digest_secret(&a), a);
    }
}
