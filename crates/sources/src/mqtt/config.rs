//! `MqttConfig`: where the broker is, what to subscribe to and how many messages may be in flight.

use std::time::Duration;

use rumqttc::MqttOptions;

use super::MqttError;

/// Largest payload of one sample (1 MiB). A larger one is read, rejected as `malformed` and
/// acknowledged, so it is counted and never redelivered. Capping messages at the broker too
/// (mosquitto: `message_size_limit` / `max_packet_size`) spares reading it at all.
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;

/// Largest MQTT packet the source reads: the protocol's own limit (a remaining length of
/// 268,435,455 bytes plus the fixed header). A packet refused by size would end the connection,
/// the broker would redeliver it at the reconnect, and the source would loop on it for ever; so
/// every packet the broker can send is read, and an oversized payload is dropped as soon as it
/// is (it never waits in the queue to the pipeline).
pub(crate) const MAX_PACKET_BYTES: usize = 268_435_455 + 5;

/// Largest packet the source sends (acknowledgements and subscriptions are a few bytes).
const MAX_OUTGOING_BYTES: usize = 64 * 1024;

/// How to reach the broker and what to subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttConfig {
    /// Broker host name or address.
    pub host: String,
    /// Broker port (1883 for plain MQTT).
    pub port: u16,
    /// Client id: the key of the broker-side session. Keep it stable across restarts, and unique:
    /// a second client with the same id disconnects the first.
    pub client_id: String,
    /// Topic filter, subscribed with QoS 1. Default `faultline/+/+`.
    pub topic_filter: String,
    /// Keep-alive interval in seconds (0 turns pings off). Default 30.
    pub keep_alive_secs: u64,
    /// Most messages handed out and not yet acknowledged (also the capacity of the receiver).
    /// When reached, the source stops reading and the broker queues. Default 1024: far above
    /// what one journal commit takes (the pipeline commits up to 512 at once), and a bound on
    /// the memory a burst can pin.
    pub max_inflight: u16,
    /// `false` (the default) keeps a persistent session: QoS 1 messages not yet acknowledged
    /// are redelivered after a disconnect or a restart with the same `client_id`.
    pub clean_session: bool,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            client_id: "faultline".into(),
            topic_filter: "faultline/+/+".into(),
            keep_alive_secs: 30,
            max_inflight: 1024,
            clean_session: false,
        }
    }
}

impl MqttConfig {
    /// The defaults with a broker address and a client id.
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        MqttConfig { host: host.into(), port, client_id: client_id.into(), ..Self::default() }
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Checks what the broker would refuse or the client library would panic on.
    pub fn validate(&self) -> Result<(), MqttError> {
        let fail = |what: &str| Err(MqttError::Config(what.to_owned()));
        if self.host.is_empty() {
            return fail("`host` is empty");
        }
        if self.client_id.is_empty() && !self.clean_session {
            return fail(
                "`client_id` is empty; a persistent session (clean_session = false) needs one",
            );
        }
        if !rumqttc::valid_filter(&self.topic_filter) {
            return Err(MqttError::Config(format!(
                "`topic_filter` {:?} is not a valid MQTT filter (use e.g. faultline/+/+)",
                self.topic_filter
            )));
        }
        if self.keep_alive_secs > u64::from(u16::MAX) {
            return fail("`keep_alive_secs` is above 65535");
        }
        if self.max_inflight == 0 {
            return fail("`max_inflight` is 0; nothing could be received");
        }
        Ok(())
    }

    /// The client library's options. Call [`MqttConfig::validate`] first.
    pub(crate) fn options(&self) -> MqttOptions {
        let mut options = MqttOptions::new(self.client_id.clone(), self.host.clone(), self.port);
        options
            .set_keep_alive(Duration::from_secs(self.keep_alive_secs))
            .set_clean_session(self.clean_session)
            .set_manual_acks(true)
            .set_max_packet_size(MAX_PACKET_BYTES, MAX_OUTGOING_BYTES);
        options
    }
}
