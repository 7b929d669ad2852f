//! faultline's own on-disk formats: the model artifact ([`artifact`]) and the live service's
//! embedded store ([`Store`]): the sample journal, score history, alarm log, hash-chained audit
//! trail, model registry and settings, in one SQLite file `<data_dir>/faultline.db` (WAL mode,
//! every commit fsynced). `docs/storage.md` describes the file.
//!
//! # Layout
//! - `db`: opening the file, pragmas, the schema and its version, [`Store`];
//! - `journal`: [`Store::append_samples`] and the sample reads;
//! - `history`: [`ScoreRecord`]s;
//! - `alarm_log`: alarms, each change saved with its audit event;
//! - `events`: the audit trail ([`Event`], [`Signature`], [`AuditReport`]);
//! - `registry`: model versions per asset ([`ModelVersion`]);
//! - `settings`: small key/value settings;
//! - `users`: users, login sessions and API tokens ([`User`], [`Session`], [`ApiToken`]);
//! - `anchor`: the audit anchor file `audit.head`, which detects a cut-off trail;
//! - `error`: [`StoreError`].
//!
//! **Architecture Invariant:** no other crate reads or writes these formats; each carries a
//! format version, and every version has a stored fixture that the tests still read.
#![deny(missing_docs)]

mod alarm_log;
mod anchor;
pub mod artifact;
mod db;
mod error;
mod events;
mod history;
mod journal;
mod lock;
mod registry;
mod row_audit;
mod settings;
#[cfg(test)]
mod testutil;
mod users;

pub use alarm_log::AlarmFilter;
pub use anchor::ANCHOR_FILE;
pub use artifact::{ArtifactError, ModelArtifact, TrainingSummary};
pub use db::{DB_FILE, SCHEMA_VERSION, Store};
pub use error::StoreError;
pub use events::{AuditReport, Event, Signature};
pub use history::ScoreRecord;
pub use journal::{AppendOutcome, StoredSample};
pub use lock::{DataDirLock, LOCK_FILE};
pub use registry::ModelVersion;
pub use row_audit::digest_fingerprint;
pub use users::{ApiToken, Session, User};
