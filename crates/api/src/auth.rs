//! Bearer-token authentication until users and roles exist: one admin token, generated at first
//! start, stored only as its SHA-256 (setting `admin_token_sha256`, audited), its plain value
//! written once to `<data-dir>/admin.token` (mode 0600). Every route but `/health` checks it.
//!
//! The presented token is hashed and the two digests are compared in constant time, so neither
//! the stored value nor the comparison leaks how much of a guess was right.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use faultline_pipeline::Engine;
use faultline_store::Event;
use sha2::{Digest, Sha256};

use crate::{ApiError, ApiState, times};

/// The setting that holds the admin token's SHA-256 (lower-case hex).
pub const TOKEN_SETTING: &str = "admin_token_sha256";
/// The file in the data directory that receives the plain token at first start.
pub const TOKEN_FILE: &str = "admin.token";
/// The actor recorded for audited changes made with the admin token.
pub const ADMIN_ACTOR: &str = "admin";

/// The admin token as the server knows it: its hash, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// SHA-256 of the token, lower-case hex.
    pub hash: String,
    /// Where the plain token was written at first start (it may have been deleted since).
    pub file: PathBuf,
    /// True when this start generated the token (and wrote `file`).
    pub created: bool,
}

/// Makes sure an admin token exists: returns the stored hash, or at first start generates 32
/// random bytes, writes them hex-encoded to `<data-dir>/admin.token` (mode 0600, created new)
/// and stores their SHA-256 with an audit event (actor `system`, action `token.create`).
///
/// A stored hash is never replaced: if the operator deleted `admin.token`, the token they saved
/// keeps working.
pub async fn prepare_auth(engine: &Engine) -> Result<AdminToken, ApiError> {
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || prepare_blocking(&engine)).await?
}

fn prepare_blocking(engine: &Engine) -> Result<AdminToken, ApiError> {
    let file = engine.data_dir().join(TOKEN_FILE);
    let mut store = engine.reader()?;
    if let Some(stored) = store.setting(TOKEN_SETTING)? {
        let hash = stored.trim().to_ascii_lowercase();
        if !is_sha256_hex(&hash) {
            return Err(ApiError::Internal(format!(
                "setting `{TOKEN_SETTING}` is not a SHA-256 hex digest: the store is damaged"
            )));
        }
        return Ok(AdminToken { hash, file, created: false });
    }
    let token = generate_token()?;
    let hash = sha256_hex(token.as_bytes());
    write_token_file(&file, &token)?;
    let event = Event {
        at: times::now(),
        actor: "system".into(),
        action: "token.create".into(),
        target: format!("setting/{TOKEN_SETTING}"),
        old_value: None,
        new_value: None,
        reason: Some(format!(
            "admin token generated at first start, written to {}",
            file.display()
        )),
    };
    if let Err(error) = store.set_setting(TOKEN_SETTING, &hash, &event) {
        // Without its hash the token grants nothing; do not leave it lying around.
        let _already_gone = fs::remove_file(&file);
        return Err(error.into());
    }
    Ok(AdminToken { hash, file, created: true })
}

/// 32 random bytes from the operating system, hex-encoded (64 characters).
fn generate_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("cannot generate the admin token: {e}")))?;
    Ok(hex(&bytes))
}

/// Writes the token to a new file readable by the owner only. A file left by an earlier start
/// that failed before storing the hash holds a token that never worked: it is replaced.
fn write_token_file(file: &Path, token: &str) -> Result<(), ApiError> {
    let io = |e: std::io::Error| {
        ApiError::Internal(format!("{}: cannot write the admin token: {e}", file.display()))
    };
    match fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let mut out =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(file).map_err(io)?;
    out.write_all(format!("{token}\n").as_bytes()).map_err(io)?;
    out.sync_all().map_err(io)?;
    if let Some(dir) = file.parent() {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Checks `Authorization: Bearer <token>` against the stored hash.
pub(crate) fn check(headers: &HeaderMap, expected_hash: &str) -> Result<(), ApiError> {
    let refuse = |detail: &str, invalid_token: bool| ApiError::Unauthorized {
        detail: detail.to_string(),
        invalid_token,
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(refuse("send the header `Authorization: Bearer <token>`", false));
    };
    let value = value.to_str().map_err(|_| refuse("the Authorization header is not text", true))?;
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return Err(refuse("the Authorization header must be `Bearer <token>`", false));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(refuse("the Authorization scheme must be Bearer", false));
    }
    let presented = sha256_hex(token.trim().as_bytes());
    if constant_time_eq(presented.as_bytes(), expected_hash.as_bytes()) {
        Ok(())
    } else {
        Err(refuse("the bearer token is not valid", true))
    }
}

/// Middleware for every route the table marks as needing the token.
pub(crate) async fn require_token(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    match check(request.headers(), state.token_hash()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_checked_by_hash() {
        let hash = sha256_hex(b"s3cret");
        assert!(check(&headers("Bearer s3cret"), &hash).is_ok());
        assert!(check(&headers("bearer  s3cret "), &hash).is_ok());
        let wrong = check(&headers("Bearer s3creT"), &hash).unwrap_err();
        assert!(matches!(wrong, ApiError::Unauthorized { invalid_token: true, .. }));
        let missing = check(&HeaderMap::new(), &hash).unwrap_err();
        assert!(matches!(missing, ApiError::Unauthorized { invalid_token: false, .. }));
        assert!(check(&headers("Basic czNjcmV0"), &hash).is_err());
        assert!(check(&headers("Bearer"), &hash).is_err());
        // The hash itself is not a token.
        assert!(check(&headers(&format!("Bearer {hash}")), &hash).is_err());
    }

    #[test]
    fn helpers() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&sha256_hex(b"")));
        assert!(!is_sha256_hex("ABCD"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        let token = generate_token().unwrap();
        assert_eq!(token.len(), 64);
        assert_ne!(token, generate_token().unwrap());
    }
}
