//! The MQTT client source (feature `mqtt`): subscribes with QoS 1 to `faultline/+/+` on a broker,
//! hands each message on with an [`AckHandle`], and sends the broker's PUBACK only when the caller
//! acknowledges, after the sample is durable.
//!
//! The design, and why:
//! - **Manual acknowledgements and a persistent session** (`clean_session = false`): a message
//!   the engine has not yet made durable stays the broker's responsibility, so a crash or a
//!   restart redelivers it instead of losing it. Redelivery makes duplicates possible; the
//!   frames stage drops them by timestamp and counts them.
//! - **Bounded, nothing dropped**: at most `max_inflight` messages are out between the broker
//!   and an acknowledgement. When the limit is reached the event loop stops reading, TCP flow
//!   control pushes back to the broker, and the broker queues.
//! - **One event-loop task** owns the connection, reconnects with exponential back-off and
//!   subscribes again when the broker lost the session; counters in [`MqttStatus`] make its
//!   state visible.
//!
//! Layout: `config.rs` ([`MqttConfig`]), `error.rs` ([`MqttError`]), `source.rs` (the source,
//! its messages and the event-loop task).

mod config;
mod error;
mod source;
#[cfg(test)]
mod tests;

pub use config::{MAX_PAYLOAD_BYTES, MqttConfig};
pub use error::MqttError;
pub use source::{AckHandle, MqttMessage, MqttSource, MqttStatus};
