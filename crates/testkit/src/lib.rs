//! Seeded synthetic plants and fault injection, so that unit tests, integration tests, the offline
//! demo and the throughput benchmark need no external data.
//!
//! A [`Plant`] is a fixed random latent-factor process: a few AR(1) factors drive many correlated,
//! autocorrelated channels with very different means and scales. [`Plant::normal_run`] draws a
//! [`Recording`](faultline_types::Recording) of normal operation, and [`inject`] adds one of the
//! [`FaultKind`]s to chosen channels from an onset row on.
//!
//! Everything is deterministic from the seeds: the same plant seed and run seed give bit-identical
//! values on the same platform.
#![deny(missing_docs)]

mod fault;
mod lines;
mod plant;
mod stats;

pub use fault::{Fault, FaultKind, inject};
pub use lines::{
    ChannelSpec, LineSimulator, LineSpec, Sector, UnknownChannel, UnknownFault, demo_lines,
};
pub use plant::{Plant, PlantConfig};

pub mod broker;
