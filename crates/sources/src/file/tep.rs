//! The reader for the Tennessee Eastman Process `.dat` files of the Braatz set: whitespace
//! separated numbers, no header, 52 variables (XMEAS(1..41), XMV(1..11)).
//!
//! **Gotcha:** in that set `d00.dat` (normal training run) is stored *transposed*: 52 lines of 500
//! values, one line per variable, while every other file (`d01.dat`…, `d00_te.dat`…) has one line
//! per sample and 52 values per line. Guessing the layout from the shape would be fragile (a file
//! of exactly 52 samples is ambiguous), so the rule is explicit and by name: a file named
//! `d00.dat` (any case) is read as transposed and must have exactly 52 lines of equal length;
//! any other file must have 52 values on every line. A shape that breaks the rule is an error
//! that says which layout was expected.

use std::path::Path;

use faultline_types::{Channel, ChannelSchema, Recording};

use super::error::{FileError, Location, Place};

/// Number of variables in a TEP sample.
const VARIABLES: usize = 52;

/// The name of the one file stored transposed.
const TRANSPOSED_FILE: &str = "d00.dat";

/// The 52 TEP channel names in file column order: `xmeas_1`…`xmeas_41`, then `xmv_1`…`xmv_11`.
pub fn tep_channel_names() -> Vec<String> {
    let xmeas = (1..=41).map(|i| format!("xmeas_{i}"));
    let xmv = (1..=11).map(|i| format!("xmv_{i}"));
    xmeas.chain(xmv).collect()
}

/// Reads a TEP `.dat` file into a recording with the 52 [`tep_channel_names`] and no time column.
///
/// A file named `d00.dat` is read as transposed (variables × samples), as the Braatz set stores
/// it; see the module docs.
pub fn read_tep(path: &Path) -> Result<Recording, FileError> {
    let file = path.display().to_string();
    let text = read_text(path, &file)?;
    let lines = data_lines(&text);
    if lines.is_empty() {
        return Err(FileError::Empty { file, what: "the file is empty: no data rows" });
    }
    let names = tep_channel_names();
    let parser = Parser { file: &file, names: &names };
    let values =
        if is_transposed(path) { parser.transposed(&lines)? } else { parser.rows(&lines)? };
    let schema = ChannelSchema { channels: names.iter().map(Channel::named).collect() };
    Ok(Recording { origin: file, schema, time: None, values })
}

/// True for the file the Braatz set stores transposed.
fn is_transposed(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.eq_ignore_ascii_case(TRANSPOSED_FILE))
}

/// The whole file as text; invalid UTF-8 is reported with its line.
fn read_text(path: &Path, file: &str) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(|error| FileError::Io { file: file.into(), error })?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        FileError::NotUtf8 { file: file.into(), line }
    })
}

/// The lines of the file up to the last non-blank one (blank lines at the end are ignored; a
/// blank line in the middle stays, and fails as a line with no values).
fn data_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// Parses lines of one file, knowing its name and channel names for error locations.
struct Parser<'a> {
    file: &'a str,
    names: &'a [String],
}

impl Parser<'_> {
    /// Where value `index` (0-based) of line `line` (0-based) is; `variable` names it.
    fn at(&self, line: usize, index: usize, variable: usize) -> Location {
        Location {
            file: self.file.to_string(),
            place: Place::Line(line + 1),
            column: index + 1,
            name: self.names.get(variable).cloned(),
        }
    }

    /// One finite number, or the error for it.
    fn parse(&self, token: &str, at: impl FnOnce() -> Location) -> Result<f64, FileError> {
        match token.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(FileError::NonFinite { at: at(), text: token.into() }),
            Err(_) => Err(FileError::NotANumber { at: at(), text: token.into() }),
        }
    }

    /// Samples × variables: 52 values on every line.
    fn rows(&self, lines: &[&str]) -> Result<Vec<f64>, FileError> {
        self.check_not_transposed(lines)?;
        let mut values = Vec::with_capacity(lines.len() * VARIABLES);
        for (l, line) in lines.iter().enumerate() {
            let mut found = 0;
            for token in line.split_ascii_whitespace() {
                if found < VARIABLES {
                    values.push(self.parse(token, || self.at(l, found, found))?);
                }
                found += 1;
            }
            if found != VARIABLES {
                let index = found.min(VARIABLES);
                let at = self.at(l, index, index);
                return Err(FileError::Ragged { at, expected: VARIABLES, found });
            }
        }
        Ok(values)
    }

    /// A file of exactly 52 lines whose first line is not 52 values wide is most likely a
    /// transposed file under another name: say so instead of a bare ragged-row error.
    fn check_not_transposed(&self, lines: &[&str]) -> Result<(), FileError> {
        let width = lines[0].split_ascii_whitespace().count();
        if lines.len() == VARIABLES && width != VARIABLES {
            let detail = format!(
                "expected samples × {VARIABLES} variables, found {VARIABLES} lines of {width} \
                 values: the file looks transposed (like {TRANSPOSED_FILE}); transpose it or \
                 name it {TRANSPOSED_FILE}"
            );
            return Err(FileError::TepShape { file: self.file.into(), detail });
        }
        Ok(())
    }

    /// Variables × samples (`d00.dat`): 52 lines of equal length, transposed while reading.
    fn transposed(&self, lines: &[&str]) -> Result<Vec<f64>, FileError> {
        let samples = lines[0].split_ascii_whitespace().count();
        if lines.len() != VARIABLES {
            return Err(self.transposed_shape(lines.len(), samples));
        }
        let mut values = vec![0.0; samples * VARIABLES];
        for (variable, line) in lines.iter().enumerate() {
            let mut found = 0;
            for token in line.split_ascii_whitespace() {
                if found < samples {
                    let at = || self.at(variable, found, variable);
                    values[found * VARIABLES + variable] = self.parse(token, at)?;
                }
                found += 1;
            }
            if found != samples {
                let at = self.at(variable, found.min(samples), variable);
                return Err(FileError::Ragged { at, expected: samples, found });
            }
        }
        Ok(values)
    }

    /// The error for a transposed file without 52 lines.
    fn transposed_shape(&self, lines: usize, width: usize) -> FileError {
        let mut detail = format!(
            "{TRANSPOSED_FILE} is read transposed (one line per variable, as the Braatz set \
             stores it), so it must have {VARIABLES} lines; found {lines} lines"
        );
        if width == VARIABLES {
            detail.push_str(&format!(
                " of {VARIABLES} values: it looks already transposed to samples × variables; \
                 rename it to read it as rows"
            ));
        }
        FileError::TepShape { file: self.file.into(), detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use std::path::PathBuf;

    /// A synthetic TEP table: value (sample s, variable v) = s + v / 100.
    fn value(s: usize, v: usize) -> f64 {
        s as f64 + v as f64 / 100.0
    }

    /// `samples` lines of 52 values, fixed-width scientific notation as in the real files.
    fn rows_text(samples: usize) -> String {
        let mut text = String::new();
        for s in 0..samples {
            for v in 0..VARIABLES {
                let _ = write!(text, "  {:.7e}", value(s, v));
            }
            text.push('\n');
        }
        text
    }

    /// 52 lines of `samples` values: the d00.dat layout.
    fn transposed_text(samples: usize) -> String {
        let mut text = String::new();
        for v in 0..VARIABLES {
            for s in 0..samples {
                let _ = write!(text, "  {:.7e}", value(s, v));
            }
            text.push('\n');
        }
        text
    }

    fn write(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read(name: &str, content: &str) -> Result<Recording, FileError> {
        let (_dir, path) = write(name, content);
        read_tep(&path)
    }

    fn assert_table(rec: &Recording, samples: usize) {
        assert_eq!((rec.rows(), rec.channels()), (samples, VARIABLES));
        assert_eq!(rec.row(samples - 1)[51], value(samples - 1, 51));
        assert_eq!(rec.row(1)[2], value(1, 2));
    }

    #[test]
    fn channel_names() {
        let names = tep_channel_names();
        assert_eq!(names.len(), 52);
        assert_eq!((names[0].as_str(), names[40].as_str()), ("xmeas_1", "xmeas_41"));
        assert_eq!((names[41].as_str(), names[51].as_str()), ("xmv_1", "xmv_11"));
    }

    #[test]
    fn rows_layout() {
        let rec = read("d01_te.dat", &(rows_text(5) + "\n\n")).unwrap();
        assert_table(&rec, 5);
        assert_eq!(rec.schema.names().next(), Some("xmeas_1"));
        assert!(rec.time.is_none());
    }

    #[test]
    fn crlf_rows() {
        let rec = read("d02.dat", &rows_text(3).replace('\n', "\r\n")).unwrap();
        assert_table(&rec, 3);
    }

    #[test]
    fn d00_is_read_transposed() {
        let rec = read("d00.dat", &transposed_text(7)).unwrap();
        assert_table(&rec, 7);
    }

    #[test]
    fn short_row_is_ragged() {
        let mut text = rows_text(3);
        text.push_str("1.0 2.0\n");
        let err = read("d01.dat", &text).unwrap_err();
        println!("{err}");
        assert!(matches!(err, FileError::Ragged { expected: 52, found: 2, .. }), "{err}");
        assert!(err.to_string().contains("d01.dat:4:3 (column \"xmeas_3\")"), "{err}");
    }

    #[test]
    fn blank_line_in_the_middle_is_ragged() {
        let text = rows_text(2) + "\n" + &rows_text(1);
        let err = read("d01.dat", &text).unwrap_err();
        assert!(matches!(err, FileError::Ragged { found: 0, .. }), "{err}");
        assert!(err.to_string().contains("d01.dat:3:1"), "{err}");
    }

    #[test]
    fn bad_values_are_located() {
        let text = rows_text(2).replacen("1.0000000e0", "x", 1);
        let err = read("d01.dat", &text).unwrap_err();
        assert!(matches!(err, FileError::NotANumber { .. }), "{err}");
        assert!(err.to_string().contains("d01.dat:2:1 (column \"xmeas_1\")"), "{err}");
        let text = transposed_text(3).replacen("2.0000000e0", "NaN", 1);
        let err = read("d00.dat", &text).unwrap_err();
        assert!(matches!(err, FileError::NonFinite { .. }), "{err}");
        assert!(err.to_string().contains("d00.dat:1:3 (column \"xmeas_1\")"), "{err}");
    }

    #[test]
    fn transposed_shape_errors() {
        let err = read("d00.dat", &rows_text(500)).unwrap_err();
        assert!(matches!(err, FileError::TepShape { .. }), "{err}");
        assert!(err.to_string().contains("found 500 lines of 52 values"), "{err}");
        let text: String = transposed_text(4).lines().take(51).map(|l| format!("{l}\n")).collect();
        let err = read("d00.dat", &text).unwrap_err();
        assert!(err.to_string().contains("must have 52 lines; found 51"), "{err}");
        let mut lines: Vec<String> = transposed_text(4).lines().map(String::from).collect();
        lines[1].push_str(" 1.0");
        let err = read("d00.dat", &lines.join("\n")).unwrap_err();
        assert!(matches!(err, FileError::Ragged { expected: 4, found: 5, .. }), "{err}");
        assert!(err.to_string().contains("d00.dat:2:5 (column \"xmeas_2\")"), "{err}");
    }

    #[test]
    fn transposed_file_under_another_name() {
        let err = read("d00_copy.dat", &transposed_text(500)).unwrap_err();
        assert!(matches!(err, FileError::TepShape { .. }), "{err}");
        assert!(err.to_string().contains("looks transposed"), "{err}");
    }

    #[test]
    fn empty_and_missing_files() {
        assert!(matches!(read("d01.dat", " \n\n"), Err(FileError::Empty { .. })));
        let dir = tempfile::tempdir().unwrap();
        let err = read_tep(&dir.path().join("d05.dat")).unwrap_err();
        assert!(matches!(err, FileError::Io { .. }));
    }

    /// Reads the real Braatz files when the shared data folder is present.
    #[test]
    fn real_braatz_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/tep");
        if !dir.join("d00.dat").is_file() || !dir.join("d01_te.dat").is_file() {
            println!("skipped: TEP data not found at {}", dir.display());
            return;
        }
        let train = read_tep(&dir.join("d00.dat")).unwrap();
        assert_eq!((train.rows(), train.channels()), (500, 52));
        let test = read_tep(&dir.join("d01_te.dat")).unwrap();
        assert_eq!((test.rows(), test.channels()), (960, 52));
        // Normal operation: XMEAS(1), A feed, is about 0.25 kscmh.
        assert!((train.row(0)[0] - 0.25).abs() < 0.05, "{}", train.row(0)[0]);
    }
}
