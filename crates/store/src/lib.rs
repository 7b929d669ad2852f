//! faultline's own on-disk formats. Today: the model artifact ([`artifact`]). The WAL, history,
//! alarm log and audit log arrive here with the live service.
//!
//! **Architecture Invariant:** no other crate reads or writes these formats; each carries a
//! format version, and every version has a stored fixture that the tests still read.
#![deny(missing_docs)]

pub mod artifact;

pub use artifact::{ArtifactError, ModelArtifact, TrainingSummary};
