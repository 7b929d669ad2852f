//! `FileError`, the one error type of the file readers, and `Location`, the file:line:column
//! every cell-level error carries.
//!
//! Each failure a user can cause has its own variant, so callers (the CLI's exit codes, the
//! trainer's summaries, the tests) can match on what went wrong, while `Display` stays a single
//! line that says what and where, and for the fixable cases what to do.

use std::fmt;

/// Which part of a file a [`Location`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A line of a text file, 1-based; the header of a CSV file is line 1.
    Line(usize),
    /// A data row of a Parquet file, 1-based (Parquet has no header row).
    Row(usize),
    /// A whole column of a Parquet file, as declared by its schema.
    Schema,
}

/// Where in a file an error was found.
///
/// Displays as `data.csv:17:4 (column "pressure")` for text files, and as
/// `data.parquet: row 17, column 4 ("pressure")` for Parquet files. Columns are 1-based field
/// positions (the 4th field of the line), not character offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the caller named it.
    pub file: String,
    /// Line, row or schema.
    pub place: Place,
    /// 1-based column (field) position.
    pub column: usize,
    /// The column's name, when the file names it.
    pub name: Option<String>,
}

impl Location {
    /// The column's name for use in a hint, or its position when it has no name.
    fn column_label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("#{}", self.column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |f: &mut fmt::Formatter<'_>, lead: &str| match &self.name {
            Some(name) => write!(f, " ({lead}{name:?})"),
            None => Ok(()),
        };
        match self.place {
            Place::Line(line) => {
                write!(f, "{}:{line}:{}", self.file, self.column)?;
                name(f, "column ")
            }
            Place::Row(row) => {
                write!(f, "{}: row {row}, column {}", self.file, self.column)?;
                name(f, "")
            }
            Place::Schema => {
                write!(f, "{}: column {}", self.file, self.column)?;
                name(f, "")
            }
        }
    }
}

/// Why a data file could not be read. `Display` is one line naming the file and, where it applies,
/// the line (or row) and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file is missing or could not be read.
    #[error("{file}: cannot read the file: {error}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A line is not UTF-8 text.
    #[error("{file}:{line}: the line is not valid UTF-8 text")]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
    },
    /// The file has no header row, or no data rows.
    #[error("{file}: {what}")]
    Empty {
        /// The file.
        file: String,
        /// What is missing, for example "no data rows after the header".
        what: &'static str,
    },
    /// The file extension does not say which reader to use.
    #[error(
        "{file}: unsupported file extension {extension:?}; expected .csv, .tsv, .txt (CSV), \
         .dat (TEP) or .parquet, .pq (Parquet)"
    )]
    UnsupportedExtension {
        /// The file.
        file: String,
        /// The extension found (empty when there is none).
        extension: String,
    },
    /// A header cell (or Parquet field name) is empty.
    #[error("{at}: the column has no name; give it one in the header")]
    UnnamedColumn {
        /// The header cell.
        at: Location,
    },
    /// Two columns share a name.
    #[error("{at}: the column name appears twice")]
    DuplicateColumn {
        /// The second occurrence.
        at: Location,
    },
    /// The requested time column is not in the file.
    #[error("{file}: time column {name:?} is not in the file (columns: {columns})")]
    UnknownTimeColumn {
        /// The file.
        file: String,
        /// The name asked for.
        name: String,
        /// The first column names of the file, for the user to compare.
        columns: String,
    },
    /// A column to exclude is not in the file.
    #[error("{file}: excluded column {name:?} is not in the file (columns: {columns})")]
    UnknownExclude {
        /// The file.
        file: String,
        /// The name asked for.
        name: String,
        /// The first column names of the file, for the user to compare.
        columns: String,
    },
    /// Nothing is left to monitor once the time column and the excluded columns are removed.
    #[error("{file}: no channel left after removing the time column and the excluded columns")]
    NoChannels {
        /// The file.
        file: String,
    },
    /// A row has more or fewer fields than the header (or a blank line sits between rows).
    #[error("{at}: expected {expected} fields, found {found}")]
    Ragged {
        /// The line, at the first missing or first extra field.
        at: Location,
        /// Fields per row, from the header (or the file format).
        expected: usize,
        /// Fields on this line.
        found: usize,
    },
    /// A double quote is not closed, or is followed by something other than the delimiter.
    #[error("{at}: unterminated or misplaced double quote")]
    BadQuote {
        /// The field.
        at: Location,
    },
    /// A cell is empty.
    #[error("{at}: empty cell (missing value)")]
    Missing {
        /// The cell.
        at: Location,
    },
    /// A Parquet value is null.
    #[error("{at}: null (missing value)")]
    Null {
        /// The cell.
        at: Location,
    },
    /// A cell of a numeric column is not a number.
    #[error("{at}: {text:?} is not a number")]
    NotANumber {
        /// The cell.
        at: Location,
        /// The cell's text.
        text: String,
    },
    /// A cell is NaN or infinite (written so, or too large for an f64).
    #[error("{at}: {text:?} is not a finite number (NaN and infinities are rejected)")]
    NonFinite {
        /// The cell.
        at: Location,
        /// The cell's text.
        text: String,
    },
    /// A CSV column's first value is not a number: the column holds text.
    #[error(
        "{at}: the column is not numeric (first value {text:?}); pass --time-col {} if it holds \
         time stamps, or --exclude {} to leave it out",
        .at.column_label(), .at.column_label()
    )]
    NonNumericColumn {
        /// The column's first data cell.
        at: Location,
        /// That cell's text.
        text: String,
    },
    /// A Parquet column's type cannot be a channel (or, for the time column, a label).
    #[error(
        "{at}: type {data_type} is not numeric; pass --time-col {} if it holds time stamps, or \
         --exclude {} to leave it out",
        .at.column_label(), .at.column_label()
    )]
    UnsupportedType {
        /// The column.
        at: Location,
        /// The Arrow data type, as text.
        data_type: String,
    },
    /// A TEP `.dat` file does not have the Braatz layout.
    #[error("{file}: {detail}")]
    TepShape {
        /// The file.
        file: String,
        /// What was expected and found.
        detail: String,
    },
    /// The Parquet file could not be decoded.
    #[error("{file}: invalid Parquet file: {error}")]
    Parquet {
        /// The file.
        file: String,
        /// What the decoder said.
        error: ::parquet::errors::ParquetError,
    },
}

/// The first few names, comma-separated, for an error message that must stay one line.
pub(crate) fn list_columns<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 12;
    let names: Vec<&str> = names.into_iter().collect();
    let mut list = names.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", … {} more", names.len() - SHOWN));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(place: Place, name: Option<&str>) -> Location {
        Location { file: "data.csv".into(), place, column: 4, name: name.map(String::from) }
    }

    #[test]
    fn locations_read_like_compiler_positions() {
        let line = at(Place::Line(17), Some("pressure"));
        assert_eq!(line.to_string(), r#"data.csv:17:4 (column "pressure")"#);
        assert_eq!(at(Place::Line(3), None).to_string(), "data.csv:3:4");
        let row = at(Place::Row(2), Some("p"));
        assert_eq!(row.to_string(), r#"data.csv: row 2, column 4 ("p")"#);
        assert_eq!(at(Place::Schema, Some("p")).to_string(), r#"data.csv: column 4 ("p")"#);
    }

    #[test]
    fn hints_name_the_column() {
        let err = FileError::NonNumericColumn {
            at: at(Place::Line(2), Some("batch")),
            text: "A7".into(),
        };
        let text = err.to_string();
        assert!(text.contains("--time-col batch") && text.contains("--exclude batch"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn long_column_lists_are_cut() {
        let names: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let list = list_columns(names.iter().map(String::as_str));
        assert!(list.starts_with("c0, c1") && list.ends_with("8 more"), "{list}");
    }
}
