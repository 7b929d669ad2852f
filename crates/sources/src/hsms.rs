//! The SECS/GEM source (feature `hsms`): faultline as the host of a semiconductor tool over
//! HSMS (SEMI E37), speaking SECS-II (E5) and the GEM (E30) messages data collection needs.
//!
//! The design, and why:
//! - **Our own codec and protocol on tokio.** No maintained crate does HSMS with GEM; the wire
//!   formats are small (a 14-byte frame head, a 1+1..3-byte item head), and owning them lets
//!   every byte from the network go through one decoder that returns typed errors and never
//!   panics ([`item`]; fuzzed by `fuzz/fuzz_targets/secs2_decode.rs`).
//! - **One task owns each socket** (`connection.rs`): it pairs replies with requests by system
//!   bytes, runs T3, T6 and T8 and answers the equipment's control messages; the GEM layer
//!   (`gem.rs`) only sends requests and parses bodies. A supervisor (`source.rs`) reconnects
//!   with back-off (T5 doubling to `backoff_max`) and redoes the whole set-up on each session.
//! - **Trace data collection** (`S2F23`/`S6F1`) carries the numbers: the equipment samples the
//!   status variables on its own clock, so each sample's time is the equipment's STIME, not the
//!   arrival time. Event reports (`S6F11`) carry context (lot, wafer, recipe, step), which
//!   travels with every later sample.
//! - **Nothing silently lost.** Malformed or oversize messages, unusable reports and refused
//!   messages are counted in [`HsmsStatus`] and logged; a full sample receiver stops reading,
//!   so the equipment waits instead of samples being dropped.
//!
//! Layout: `item.rs` (SECS-II items), `header.rs`, `message.rs`, `frame.rs` (framing),
//! `timers.rs`, `connection.rs` (HSMS), `gem.rs` (GEM messages), `clock.rs` (STIME, DSPER),
//! `config.rs`, `error.rs`, `source.rs`; `equipment.rs` is the other end, a simulated tool
//! for the demo and the tests. `docs/hsms.md` describes the message flow.

mod clock;
mod config;
mod connection;
pub mod equipment;
mod error;
mod frame;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod gem;
mod header;
pub mod item;
mod message;
mod source;
#[cfg(test)]
mod tests;
mod timers;

pub use clock::{dsper, format_stime, parse_dsper, parse_stime};
pub use config::{
    ContextConfig, ContextVar, DEFAULT_MAX_MESSAGE_BYTES, HsmsConfig, SvChannel, TraceConfig,
};
pub use connection::ConnectMode;
pub use error::HsmsError;
pub use gem::{EquipmentId, EventReport, TraceData};
pub use header::{Header, RejectReason, SType};
pub use item::{Item, ItemError};
pub use message::Message;
pub use source::{HsmsSource, HsmsStatus, SessionInfo};
pub use timers::{Timer, Timers};
