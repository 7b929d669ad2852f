//! Loading training or scoring data from one or more files into one recording.

use std::path::PathBuf;

use faultline_sources::file::{ReadOptions, read_any};
use faultline_types::Recording;

use crate::TrainError;

/// Reads every file (CSV, TEP `.dat` or Parquet, by extension) and stacks their rows. Later files
/// are lined up with the first one's channels by name; a missing channel is an error naming
/// the file.
pub fn load_inputs(paths: &[PathBuf], options: &ReadOptions) -> Result<Recording, TrainError> {
    let (first, rest) = paths.split_first().ok_or(TrainError::NoInput)?;
    let mut recording = read_any(first, options)?;
    for path in rest {
        recording.append(&read_any(path, options)?)?;
    }
    if !rest.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        recording.origin = names.join(" + ");
    }
    Ok(recording)
}
