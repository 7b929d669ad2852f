//! `read_any`: picks the reader from the file extension, so callers that take a list of input
//! files (`faultline fit --input`, the trainer) need not know the formats.

use std::path::Path;

use faultline_types::Recording;

use super::error::FileError;
use super::options::{ReadOptions, apply_to_recording};
use super::{read_csv, read_parquet, read_tep};

/// The formats a file extension can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Tep,
    Parquet,
}

/// Reads a data file, choosing the reader by extension (case-insensitive): `.csv`, `.tsv` and
/// `.txt` are CSV, `.dat` is TEP, `.parquet` and `.pq` are Parquet; any other extension, or none,
/// is [`FileError::UnsupportedExtension`].
///
/// For TEP files, which have no time column, `opts.time_col` is an error and `opts.exclude`
/// drops channels by their [`tep_channel_names`](super::tep_channel_names).
pub fn read_any(path: &Path, opts: &ReadOptions) -> Result<Recording, FileError> {
    match format_of(path)? {
        Format::Csv => read_csv(path, opts),
        Format::Tep => apply_to_recording(read_tep(path)?, opts),
        Format::Parquet => read_parquet(path, opts),
    }
}

/// The format named by the extension of `path`.
fn format_of(path: &Path) -> Result<Format, FileError> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "csv" | "tsv" | "txt" => Ok(Format::Csv),
        "dat" => Ok(Format::Tep),
        "parquet" | "pq" => Ok(Format::Parquet),
        _ => Err(FileError::UnsupportedExtension { file: path.display().to_string(), extension }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_pick_the_reader() {
        let format = |name: &str| format_of(Path::new(name)).ok();
        assert_eq!(format("a.csv"), Some(Format::Csv));
        assert_eq!(format("a.TSV"), Some(Format::Csv));
        assert_eq!(format("dir/d00.dat"), Some(Format::Tep));
        assert_eq!(format("a.pq"), Some(Format::Parquet));
        assert_eq!(format("a.Parquet"), Some(Format::Parquet));
        assert_eq!(format("a.xlsx"), None);
        assert_eq!(format("noext"), None);
    }

    #[test]
    fn unknown_extension_is_a_clear_error() {
        let err = read_any(Path::new("plant.xlsx"), &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(err, FileError::UnsupportedExtension { ref extension, .. } if extension == "xlsx")
        );
        let msg = err.to_string();
        assert!(msg.starts_with("plant.xlsx: unsupported file extension \"xlsx\""), "{msg}");
    }

    #[test]
    fn dispatches_to_csv_and_tep() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("x.txt");
        std::fs::write(&csv, "a;b\n1;2\n").unwrap();
        assert_eq!(read_any(&csv, &ReadOptions::default()).unwrap().values, [1.0, 2.0]);
        let dat = dir.path().join("d01.dat");
        let row: Vec<String> = (0..52).map(|i| i.to_string()).collect();
        std::fs::write(&dat, row.join(" ") + "\n").unwrap();
        let exclude: Vec<String> = (23..=41).map(|i| format!("xmeas_{i}")).collect();
        let opts = ReadOptions { time_col: None, exclude };
        let rec = read_any(&dat, &opts).unwrap();
        assert_eq!(rec.channels(), 33);
        assert_eq!(rec.row(0)[22], 41.0);
        let opts = ReadOptions { time_col: Some("t".into()), exclude: vec![] };
        assert!(matches!(read_any(&dat, &opts), Err(FileError::UnknownTimeColumn { .. })));
    }
}
