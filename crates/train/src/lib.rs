//! Training and evaluation: load history through `sources`, fit detectors, evaluate them under
//! the published protocols, and package fitted models as artifacts through `store`.
//!
//! The command line calls into this crate and only adds argv parsing, progress bars and file
//! output; everything that decides a number lives here, so benchmarks and tests exercise the
//! same code as users.
#![deny(missing_docs)]

pub mod classify;
mod default;
mod error;
mod fit;
mod history;
mod load;
mod monitor;
mod progress;
pub mod skab;
pub mod tep;
pub mod trace;

#[cfg(test)]
mod shuffle_tests;

pub use default::{ClassifierFile, DefaultModelFile, fit_classifier_model, fit_default_model};
pub use error::TrainError;
pub use fit::{Method, ModelFile, check_model_file, fit_model, fit_recording};
pub use history::{HistoryRows, RefitMethod, history_rows, refit_bytes};
pub use load::load_inputs;
pub use monitor::{Monitor, MonitorModel};
pub use progress::{NoProgress, Progress};
