//! Training and evaluation: load history through `sources`, fit detectors, evaluate them under
//! the published protocols, and package fitted models as artifacts through `store`.
//!
//! The command line calls into this crate and only adds argv parsing, progress bars and file
//! output; everything that decides a number lives here, so benchmarks and tests exercise the
//! same code as users.
#![deny(missing_docs)]

mod error;
mod fit;
mod load;
mod monitor;
mod progress;
pub mod tep;

pub use error::TrainError;
pub use fit::{Method, ModelFile, fit_model, fit_recording};
pub use load::load_inputs;
pub use monitor::Monitor;
pub use progress::{NoProgress, Progress};
