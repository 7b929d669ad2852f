//! Where results go besides the store: the [`Sink`] trait and its implementations.
//!
//! A sink receives every alarm transition after it has been stored with its audit record, so a
//! sink can never announce a change that did not happen. Sinks are called on the processor
//! thread and must be quick; one that needs the network queues the event and delivers it from
//! its own task (MQTT, NATS and webhook sinks arrive that way with later issues).
#![deny(missing_docs)]

mod log;

pub use log::LogSink;

use faultline_types::{Alarm, AlarmState};

/// One alarm transition, as delivered to sinks.
#[derive(Debug, Clone, Copy)]
pub struct AlarmEvent<'a> {
    /// The alarm after the change.
    pub alarm: &'a Alarm,
    /// State before.
    pub from: AlarmState,
    /// State after.
    pub to: AlarmState,
    /// What happened (`raise`, `ack`, `return`, …).
    pub action: &'a str,
    /// Who caused it (`engine` or a user).
    pub actor: &'a str,
}

/// A sink could not deliver; the event stays in the store and the audit trail.
#[derive(Debug, thiserror::Error)]
#[error("{sink}: {message}")]
pub struct SinkError {
    /// Which sink.
    pub sink: &'static str,
    /// What went wrong.
    pub message: String,
}

/// A destination for alarm transitions.
pub trait Sink: Send {
    /// Delivers one transition.
    fn alarm(&mut self, event: &AlarmEvent<'_>) -> Result<(), SinkError>;
}
