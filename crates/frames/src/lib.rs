//! The frames stage: turns a stream of dense frames into what detectors consume.
//!
//! Today that is lag embedding for dynamic PCA ([`lag_embed`] for files, [`LagWindow`] for
//! streams; both give the same rows). Ordering, duplicate checks and alignment to a time grid
//! arrive here with the live service.
//!
//! **Architecture Invariant:** no IO, no clock, no async: the same input gives the same output,
//! in a replay as live.
#![deny(missing_docs)]

mod framer;
mod lag;

pub use framer::{Frame, Framed, Framer};
pub use lag::{LagWindow, lag_embed};
