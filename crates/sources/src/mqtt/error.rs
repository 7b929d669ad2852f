//! `MqttError`: why the MQTT source could not start, or why an acknowledgement was not sent.

/// What went wrong with the MQTT source. Each variant prints as one line that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MqttError {
    /// The configuration cannot work; the message names the field.
    #[error("invalid MQTT source configuration: {0}")]
    Config(String),
    /// The first connection to the broker failed.
    #[error(
        "cannot connect to the MQTT broker at {address}: {reason}; check that the broker runs \
         and that host and port are right"
    )]
    Connect {
        /// `host:port`.
        address: String,
        /// The transport or protocol error, as one line.
        reason: String,
    },
    /// The broker refused the subscription (an ACL, usually).
    #[error(
        "the MQTT broker at {address} refused the subscription to `{filter}`; check the broker's \
         ACL for this client id"
    )]
    SubscribeRefused {
        /// `host:port`.
        address: String,
        /// The topic filter.
        filter: String,
    },
    /// The broker did not complete the connection and subscription in time.
    #[error("the MQTT broker at {address} did not answer within {seconds} s")]
    Timeout {
        /// `host:port`.
        address: String,
        /// How long the source waited.
        seconds: u64,
    },
    /// The source has stopped: nothing can be acknowledged any more. Unacknowledged messages
    /// are redelivered by the broker when the source starts again with the same client id.
    #[error(
        "the MQTT source has stopped; unacknowledged messages will be redelivered when it starts \
         again"
    )]
    Closed,
}
