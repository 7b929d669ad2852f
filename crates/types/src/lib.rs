//! The vocabulary every faultline crate speaks: channels and their schema, recordings of history,
//! scores with their contributions, and the reasons a sample can be rejected.
//!
//! **Architecture Invariant:** this crate does no IO, has no async code and never reads the clock.
//! Everything here is plain data so that every other crate can depend on it without pulling in
//! anything heavy. Engine types are not the API's JSON: serde derives here exist for the model
//! artifact (owned by `store`), never to be returned by an HTTP route as they are.
#![deny(missing_docs)]

mod alarm;
mod channel;
mod recording;
mod reject;
mod sample;
mod score;
mod time;

pub use alarm::{Alarm, AlarmKind, AlarmState, Contributor, FaultClass, Priority};
pub use channel::{Channel, ChannelSchema, SchemaError};
pub use recording::{Recording, RecordingError, TimeColumn};
pub use reject::RejectReason;
pub use sample::{ChannelValue, Quality, Sample};
pub use score::{Contribution, Score, Statistic, StatisticKind};
pub use time::Timestamp;
