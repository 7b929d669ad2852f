//! Changes requested by people through the API: alarm handling and model management. Each is
//! executed by the processor thread and audited in the same transaction.

use faultline_store::{ModelVersion, Signature};
use faultline_types::{Alarm, Timestamp};

/// A change requested by a person (`actor`), with the comment they gave.
#[derive(Debug, Clone)]
pub enum Command {
    /// Acknowledge an alarm.
    Acknowledge {
        /// Alarm id.
        id: u64,
        /// Who.
        actor: String,
        /// Why / what was done.
        comment: String,
    },
    /// Hide an alarm until `until` (wall clock).
    Shelve {
        /// Alarm id.
        id: u64,
        /// Expiry.
        until: Timestamp,
        /// Who.
        actor: String,
        /// Why.
        comment: String,
    },
    /// Bring a shelved alarm back.
    Unshelve {
        /// Alarm id.
        id: u64,
        /// Who.
        actor: String,
        /// Why.
        comment: String,
    },
    /// Register a new model version for an asset (not active until activated).
    UploadModel {
        /// Asset.
        asset: String,
        /// Model file bytes (`faultline fit` output).
        bytes: Vec<u8>,
        /// Who.
        actor: String,
        /// Why.
        comment: String,
    },
    /// Make a registered model version the one that scores the asset.
    ActivateModel {
        /// Asset.
        asset: String,
        /// Version.
        version: u32,
        /// Who.
        actor: String,
        /// Why.
        comment: String,
        /// The actor's electronic signature (the API checked the re-entered password); stored
        /// with the activation's audit record. `None` only for activations that no person
        /// signs.
        signature: Option<Signature>,
    },
}

/// What a successful command produced.
#[derive(Debug, Clone)]
pub enum CommandOutcome {
    /// The alarm after the change.
    Alarm(Alarm),
    /// The registered or activated model version.
    Model(ModelVersion),
}

/// Why a command was refused. Nothing changed, and no audit record claims it did.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// No such alarm, asset or model version.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is malformed or the model file is invalid.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The change is not allowed in the current state (for example acknowledging a normal alarm).
    #[error("not allowed now: {0}")]
    Conflict(String),
    /// The store failed; the change was not made.
    #[error("store error: {0}")]
    Store(String),
    /// The engine is shutting down.
    #[error("the engine is stopping")]
    Stopped,
}
