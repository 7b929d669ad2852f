//! Who may do what: roles, permissions and the one policy table that joins them; Argon2id
//! password hashing and the password rules; opaque random tokens stored as SHA-256.
//!
//! # Layout
//! - `policy`: [`Role`], [`Permission`] and [`POLICY`]. The API enforces routes from this table
//!   and `docs/security.md` shows it (a test keeps the two equal), so there is one place to
//!   change who may do what.
//! - `password`: [`hash_password`], [`verify_password`], [`check_password`] (length and the
//!   obvious-password list) and [`check_username`].
//! - `token`: [`new_token`], [`token_digest`], [`constant_time_eq`].
//!
//! Nothing here does IO besides asking the operating system for random bytes; users, sessions
//! and tokens are stored by `faultline-store`.
#![deny(missing_docs)]

mod password;
mod policy;
mod token;

pub use password::{
    DEFAULT_MIN_PASSWORD_LENGTH, check_password, check_username, hash_password, verify_password,
};
pub use policy::{POLICY, Permission, Role};
pub use token::{constant_time_eq, hex, new_token, token_digest};

/// Why an authentication helper failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The operating system gave no random bytes.
    #[error("cannot draw random bytes from the operating system: {0}")]
    Random(String),
    /// Argon2 refused to hash (for example out of memory).
    #[error("cannot hash the password: {0}")]
    Hash(String),
}
