//! Passwords: Argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1, the OWASP
//! recommendation), stored as a PHC string that carries its own salt and parameters, so the
//! parameters can be raised later without breaking stored hashes. The rules refuse short and
//! obvious passwords; there is no default password anywhere.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::AuthError;

/// The shortest password accepted unless the configuration says otherwise.
pub const DEFAULT_MIN_PASSWORD_LENGTH: usize = 12;
/// Longer passwords are refused: Argon2 would hash megabytes happily, so a huge body is a
/// denial-of-service lever, and no person types more.
const MAX_PASSWORD_LENGTH: usize = 1024;

/// Passwords (lower-cased) refused whatever their length: the top of every breach list.
const OBVIOUS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "123456789012",
    "1234567890",
    "qwertyuiop",
    "qwerty",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "changeme",
    "faultline",
    "monkey",
    "dragon",
    "sunshine",
    "football",
    "abc123",
    "secret",
    "default",
    "root",
];

/// Hashes `password` with Argon2id and a fresh random salt; the PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
///
/// Callers that found no user should still call this (with any stored hash, see
/// [`dummy_hash`]) so that "no such user" and "wrong password" take the same time.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let stored = stored.unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let matched = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    matched && !stored.is_empty()
}

/// A hash of a random password nobody knows, made once, for timing-equal refusals.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret = crate::new_token().unwrap_or_else(|_| "x".repeat(40));
        hash_password(&secret).unwrap_or_default()
    })
}

/// Checks a new password for `username`: at least `min_length` characters, at most 1024, not
/// the user name, not an obvious password, not one repeated character. The error says which
/// rule failed (never the password).
pub fn check_password(username: &str, password: &str, min_length: usize) -> Result<(), String> {
    let length = password.chars().count();
    if length < min_length {
        return Err(format!("the password must have at least {min_length} characters"));
    }
    if length > MAX_PASSWORD_LENGTH {
        return Err(format!("the password must have at most {MAX_PASSWORD_LENGTH} characters"));
    }
    let lower = password.to_lowercase();
    let core = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!');
    if OBVIOUS.contains(&lower.as_str()) || OBVIOUS.contains(&core) {
        return Err("the password is on the list of obvious passwords".into());
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("the password must not contain the user name".into());
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err("the password must not be one repeated character".into());
    }
    if is_sequence(&lower) {
        return Err("the password must not be a run of consecutive characters".into());
    }
    Ok(())
}

/// `abcdef…`, `123456…` and their reverses.
fn is_sequence(text: &str) -> bool {
    let bytes = text.as_bytes();
    let step = |d: i16| bytes.windows(2).all(|w| i16::from(w[1]) - i16::from(w[0]) == d);
    bytes.len() > 2 && (step(1) || step(-1))
}

/// Checks a user name: 1 to 64 characters of `a-z 0-9 . _ -`, starting with a letter or digit.
/// The narrow alphabet keeps names unambiguous in audit records, paths and logs.
pub fn check_username(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    let starts_well = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() || name.len() > 64 || !starts_well || !name.chars().all(ok_char) {
        return Err(format!(
            "user name `{name}` must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', \
             starting with a letter or digit"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt every time");
        assert!(verify_password("correct horse battery", Some(&a)));
        assert!(!verify_password("correct horse batterY", Some(&a)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password("x", Some("not a phc string")));
        assert!(!verify_password("", Some("")));
    }

    #[test]
    fn password_rules_name_the_rule() {
        let ok = |p: &str| check_password("alice", p, 12);
        assert!(ok("tidal-kettle-47-orbit").is_ok());
        assert!(ok("short").unwrap_err().contains("at least 12"));
        assert!(ok("Password1234").unwrap_err().contains("obvious"));
        assert!(ok("123456789012").unwrap_err().contains("obvious"));
        assert!(ok("alice-is-the-best").unwrap_err().contains("user name"));
        assert!(ok("aaaaaaaaaaaaaaa").unwrap_err().contains("repeated"));
        assert!(ok("abcdefghijklmn").unwrap_err().contains("consecutive"));
        assert!(ok(&"x1".repeat(600)).unwrap_err().contains("at most"));
        assert!(check_password("bob", "tiny", 4).is_ok());
    }

    #[test]
    fn user_names_are_narrow() {
        for good in ["alice", "demo-admin", "j.doe_2", "7up"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        for bad in ["", "Alice", "-x", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
