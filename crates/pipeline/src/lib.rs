//! The pipeline: turns a configuration into a running engine.
//!
//! ```text
//!  MQTT / HTTP ingest / file replay ──► bounded queue ──► processor thread
//!                                                          1. journal (group commit, fsync)
//!                                                          2. acknowledge senders
//!                                                          3. frame → score → alarms
//!                                                          4. scores and alarms to the store
//!                                                          5. live events (broadcast)
//! ```
//! One processor thread owns the store's writer connection, the detectors and the alarm engine:
//! every mutation (samples, alarm acknowledgement, shelving, model activation) is serialised
//! through it, so there are no locks around engine state and the audit record of a change is
//! written in the same transaction as the change.
//!
//! **Architecture Invariant:** a sample is acknowledged to its sender (MQTT PUBACK, HTTP 2xx)
//! only after the transaction holding its journal record has committed (SQLite WAL with
//! `synchronous=FULL`). Every rejected sample increments a counter keyed by `RejectReason`.
#![deny(missing_docs)]

mod asset;
mod command;
pub mod config;
mod engine;
mod hsms;
mod metrics;
mod processor;
mod replay;
mod silence;

pub use command::{Command, CommandError, CommandOutcome};
pub use config::{
    AssetConfig, ChannelConfig, Config, ConfigError, ContextVarConfig,
    DEFAULT_SILENT_AFTER_SECONDS, IngestConfig, SecurityConfig, SinkConfig, SourceConfig,
    SvChannelConfig, TlsConfig,
};
pub use engine::{AssetStatus, Engine, EngineError, IngestReport, LiveEvent};
pub use metrics::{Metrics, MetricsSnapshot};

#[cfg(test)]
mod tests;
