//! `StoreError`: why the embedded store could not do what was asked. Every message is one line
//! that names the database file and the operation, so an operator can act on it without a
//! backtrace.

use std::path::PathBuf;

use crate::db::SCHEMA_VERSION;

/// Why a store operation failed.
///
/// Underlying errors are printed inside the message and deliberately *not* exposed as
/// `#[source]`: faultline prints an error's whole chain on one line, and exposing them would
/// print the same cause twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("{path}: cannot create the data directory: {error}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        error: std::io::Error,
    },
    /// SQLite refused an operation (locked for longer than the busy timeout, disk full, a
    /// constraint such as an empty audit actor, …).
    #[error("{path}: {what} failed: {error}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What the store was doing, for example `append samples`.
        what: String,
        /// SQLite's error.
        error: rusqlite::Error,
    },
    /// The file was written by a newer faultline (or is damaged): refuse rather than guess.
    #[error(
        "{path}: store schema version {found} is not supported (this build knows {SCHEMA_VERSION}); \
         run a faultline release that knows it, or point --data-dir elsewhere"
    )]
    UnsupportedVersion {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` found in the file.
        found: i64,
    },
    /// A read-only open found a store of an older schema version: reading it as it is needs
    /// the release that wrote it, and migrating it is a change.
    #[error(
        "{path}: store schema version {found} is older than this build's ({SCHEMA_VERSION}); a \
         read-only verification cannot migrate it: verify a copy after opening that copy once \
         with this release (faultline user list --data-dir COPY), or verify with the release \
         that wrote it"
    )]
    OlderVersion {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` found in the file.
        found: i64,
    },
    /// The database cannot be run the way durability requires (for example WAL mode is not
    /// available on this file system).
    #[error("{path}: {what}; put the data directory on a local file system")]
    Setup {
        /// The database file.
        path: PathBuf,
        /// What could not be set up.
        what: String,
    },
    /// The file is an SQLite database, but not a faultline store.
    #[error("{path}: not a faultline store (it holds other tables); choose another data directory")]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// A journal record does not match its checksum (or does not decode): the file was edited or
    /// damaged. The record is not returned as data.
    #[error(
        "{path}: journal record seq {seq} is corrupt ({reason}); restore the store from a backup"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The record's sequence number.
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Another stored record (alarm, score, event, model) is damaged or does not decode.
    #[error("{path}: {record} is unreadable ({reason}); restore the store from a backup")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// Which record, for example `alarm 7` or `model pump-1 v2`.
        record: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The audit trail is damaged: an event was edited, removed, reordered or cut off (or the
    /// anchor file is missing).
    #[error("{path}: the audit trail is damaged at record {id}: {reason}")]
    AuditChain {
        /// The database file.
        path: PathBuf,
        /// The first bad record (0 when the damage is not one record, such as a lost anchor).
        id: u64,
        /// What is wrong.
        reason: String,
    },
    /// The record to create exists already (for example a user name that is taken).
    #[error("{path}: {what} exists already")]
    Exists {
        /// The database file.
        path: PathBuf,
        /// What exists, for example `user alice`.
        what: String,
    },
    /// Another engine runs on this data directory (see [`crate::DataDirLock`]).
    #[error(
        "{path}: the data directory is in use by {holder}; stop it, or give this one another \
         data directory"
    )]
    InUse {
        /// The data directory.
        path: PathBuf,
        /// Who holds it, as its lock file says (`faultline pid N`).
        holder: String,
    },
    /// The change would break a rule of the stored state, for example demoting or disabling the
    /// last active admin.
    #[error("{path}: {what}")]
    Conflict {
        /// The database file.
        path: PathBuf,
        /// Which rule, in words for the person who asked.
        what: String,
    },
    /// A referenced record does not exist, for example an unknown model version.
    #[error("{path}: {what} does not exist")]
    NotFound {
        /// The database file.
        path: PathBuf,
        /// What was looked for, for example `model pump-1 v9`.
        what: String,
    },
    /// The caller passed data the store refuses to write (for example a non-finite number, which
    /// JSON cannot represent and would therefore not read back).
    #[error("{path}: refused to store {what}")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What was refused and why.
        what: String,
    },
}
