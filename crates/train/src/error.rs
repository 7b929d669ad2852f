//! Errors of training and evaluation, each naming the file or channel involved.

use faultline_detectors::FitError;
use faultline_sources::file::FileError;
use faultline_store::ArtifactError;
use faultline_types::RecordingError;

/// Why training or evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A data file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// Files do not share the same channels.
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A model artifact could not be written or read.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The detector could not be fitted on this data.
    #[error("cannot fit on {origin}: {message}")]
    Fit {
        /// Training data description.
        origin: String,
        /// What went wrong, with channel names resolved.
        message: String,
        /// The detector's error.
        error: FitError,
    },
    /// No input was given.
    #[error("no training input given")]
    NoInput,
    /// An evaluation data set is missing a file or has the wrong shape.
    #[error("{0}")]
    Dataset(String),
}
