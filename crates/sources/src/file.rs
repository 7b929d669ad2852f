//! Data files: the one home of file-format parsing in faultline (CSV, TEP `.dat`, Parquet).
//!
//! Each reader turns one file into a [`faultline_types::Recording`] or fails with a [`FileError`]
//! that names the file, line (or row) and column. This module only declares and re-exports; each
//! format lives in its own file.

mod csv;
mod detect;
mod error;
mod options;
mod parquet;
mod tep;

pub use csv::read_csv;
pub use detect::read_any;
pub use error::{FileError, Location, Place};
pub use options::ReadOptions;
pub use parquet::read_parquet;
pub use tep::{read_tep, tep_channel_names};
