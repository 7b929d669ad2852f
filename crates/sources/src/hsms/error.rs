//! `HsmsError`: why an HSMS connection, a transaction or the GEM set-up failed. Each variant
//! prints as one line naming the peer and, where it helps, what to do.

use super::item::ItemError;
use super::timers::Timer;

/// What went wrong with an HSMS connection or the GEM dialogue on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HsmsError {
    /// The configuration cannot work; the message names the field.
    #[error("invalid HSMS source configuration: {0}")]
    Config(String),
    /// The TCP connection could not be opened (active mode).
    #[error(
        "cannot connect to the equipment at {address}: {reason}; check that the tool's HSMS \
         port is open and that it is in passive mode"
    )]
    Connect {
        /// `host:port`.
        address: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The listening socket could not be opened (passive mode).
    #[error("cannot listen for the equipment on {address}: {reason}")]
    Listen {
        /// `host:port`.
        address: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Reading or writing the connection failed.
    #[error("HSMS connection to {address} failed: {reason}")]
    Io {
        /// `host:port`.
        address: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The equipment closed the TCP connection.
    #[error("the equipment at {address} closed the HSMS connection{detail}")]
    Closed {
        /// `host:port`.
        address: String,
        /// Empty, or `" in the middle of a message"`.
        detail: &'static str,
    },
    /// A timer expired.
    #[error("{timer} expired after {millis} ms on the HSMS connection to {address} {what}")]
    Timeout {
        /// `host:port`.
        address: String,
        /// Which timer.
        timer: Timer,
        /// Its value.
        millis: u128,
        /// What was awaited (`waiting for the reply to S2F23`).
        what: String,
    },
    /// The bytes on the connection are not HSMS framing; the connection is dropped.
    #[error("malformed HSMS frame from {address}: {reason}")]
    Malformed {
        /// `host:port`.
        address: String,
        /// What was wrong.
        reason: String,
    },
    /// A reply's body could not be decoded or was larger than allowed.
    #[error("bad reply from {address} to {request}: {reason}")]
    BadReply {
        /// `host:port`.
        address: String,
        /// The request, e.g. `S1F3`.
        request: String,
        /// What was wrong.
        reason: String,
    },
    /// The equipment answered `Select.req` with a non-zero status.
    #[error(
        "the equipment at {address} refused HSMS select with status {status} (1 already active, \
         2 not ready, 3 connections exhausted); is another host connected?"
    )]
    SelectRefused {
        /// `host:port`.
        address: String,
        /// `Select.rsp` status.
        status: u8,
    },
    /// The equipment sent `Separate.req`.
    #[error("the equipment at {address} ended the HSMS session (Separate.req)")]
    Separated {
        /// `host:port`.
        address: String,
    },
    /// The equipment sent `Deselect.req`.
    #[error("the equipment at {address} deselected the HSMS session (Deselect.req)")]
    Deselected {
        /// `host:port`.
        address: String,
    },
    /// The equipment rejected one of our messages with `Reject.req`.
    #[error(
        "the equipment at {address} rejected {request} with reason {reason} (1 SType, 2 PType, \
         3 transaction not open, 4 not selected); check the device id"
    )]
    Rejected {
        /// `host:port`.
        address: String,
        /// Our message.
        request: String,
        /// Reason code.
        reason: u8,
    },
    /// The equipment answered with `SxF0` (transaction aborted) or an `S9` error message.
    #[error("the equipment at {address} does not support {request}: it answered {reply}")]
    NotSupported {
        /// `host:port`.
        address: String,
        /// The request, e.g. `S2F23`.
        request: String,
        /// The answer, e.g. `S9F5 (unrecognized function)`.
        reply: String,
    },
    /// A GEM acknowledge code was not success.
    #[error("the equipment at {address} refused {request}: {ack} = {code} ({meaning})")]
    Refused {
        /// `host:port`.
        address: String,
        /// The request, e.g. `S2F23 trace initialise`.
        request: String,
        /// The acknowledge item, e.g. `TIAACK`.
        ack: &'static str,
        /// Its value.
        code: u8,
        /// What the value means.
        meaning: &'static str,
    },
    /// A message to send could not be encoded.
    #[error("cannot encode an HSMS message: {0}")]
    Encode(#[from] ItemError),
    /// The source or connection was stopped.
    #[error("the HSMS connection was stopped")]
    Stopped,
}
