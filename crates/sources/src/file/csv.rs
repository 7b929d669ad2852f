//! The CSV reader: a small, strict parser for the tables plants export (historians, spreadsheets,
//! pandas), turned into a [`Recording`].
//!
//! The dialect, in full:
//! - Line 1 is the header; every later line is one row. Lines end in `\n` or `\r\n`; a UTF-8 byte
//!   order mark before the header is skipped.
//! - The delimiter is read off the header line: the first of tab, `;` and `,` that occurs there
//!   outside double quotes. Tab first because TSV names may contain commas; `;` before `,` because
//!   files written with a decimal comma use `;` and their header names may contain commas, while
//!   comma-separated headers almost never contain `;`. A one-column file needs no delimiter.
//! - A field may be wrapped in double quotes, with `""` standing for one quote inside it. Quoted
//!   fields cannot span lines. Spaces and tabs around a field are ignored.
//! - Blank lines at the end are ignored; a blank line between rows is a ragged row, as it is
//!   more likely a damaged file than a separator.
//!
//! Values must parse as finite `f64` (`str::parse`, so `1e-3`, `+2`, `.5` are fine). In a
//! `;`-separated file a decimal comma is accepted too (`1,5`, one comma and no point), as
//! spreadsheets in many locales write it; thousands separators are not. The literals
//! NaN and inf/infinity, in any case, are rejected, as is a number too large for an f64.
//! A column whose first value is not a number is a text column: it is an error that names the
//! `--time-col` and `--exclude` options, because silently dropping a column would change what a
//! model sees without anyone deciding it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use faultline_types::{Recording, TimeColumn};

use super::error::{FileError, Location, Place};
use super::options::{ReadOptions, Role, plan_columns};

/// Reads a CSV file with a header row into a recording; see the module docs for the dialect.
///
/// The time column (`opts.time_col`), when given, must be in the header and is kept as text
/// labels; every other column not in `opts.exclude` becomes a channel, in header order.
pub fn read_csv(path: &Path, opts: &ReadOptions) -> Result<Recording, FileError> {
    let file = path.display().to_string();
    let handle = File::open(path).map_err(|error| FileError::Io { file: file.clone(), error })?;
    let mut lines = LineReader::new(BufReader::with_capacity(1 << 16, handle), &file);
    let (delimiter, header) = read_header(&mut lines)?;
    let plan = plan_columns(&file, &header, Place::Line(1), opts)?;
    let mut table = Table::new(&file, &header, &plan.roles, delimiter);
    while let Some((line_no, line)) = lines.next_line()? {
        table.push_line(line_no, line)?;
    }
    let (rows, values, labels) = table.finish();
    if rows == 0 {
        return Err(FileError::Empty { file, what: "no data rows after the header" });
    }
    let time = plan.time.clone().map(|name| TimeColumn { name, labels });
    Ok(Recording { origin: file, schema: plan.schema(), time, values })
}

/// Reads line 1: the delimiter and the column names.
fn read_header<R: BufRead>(lines: &mut LineReader<'_, R>) -> Result<(u8, Vec<String>), FileError> {
    let file = lines.file;
    let empty = |what| FileError::Empty { file: file.to_string(), what };
    let Some((_, line)) = lines.next_line()? else {
        return Err(empty("the file is empty: no header row"));
    };
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    if line.trim().is_empty() {
        return Err(empty("line 1 is blank: no header row"));
    }
    let delimiter = detect_delimiter(line);
    let mut spans = Vec::new();
    split(line, delimiter, &mut spans).map_err(|field| FileError::BadQuote {
        at: Location {
            file: file.to_string(),
            place: Place::Line(1),
            column: field + 1,
            name: None,
        },
    })?;
    let names = spans.iter().map(|s| s.text(line).into_owned()).collect();
    Ok((delimiter, names))
}

/// The first of tab, `;` and `,` found in the header outside double quotes; `,` when none is.
fn detect_delimiter(header: &str) -> u8 {
    let mut quoted = false;
    let mut seen = [false; 3];
    for b in header.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\t' if !quoted => seen[0] = true,
            b';' if !quoted => seen[1] = true,
            b',' if !quoted => seen[2] = true,
            _ => {}
        }
    }
    let candidates = [b'\t', b';', b','];
    seen.iter().position(|&s| s).map_or(b',', |i| candidates[i])
}

/// One field of a line: `line[start..end]` is its content, without the quotes when `quoted`
/// (doubled quotes inside are still doubled; see [`Span::text`]).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    quoted: bool,
}

impl Span {
    /// The raw content, borrowed from the line.
    fn raw<'a>(&self, line: &'a str) -> &'a str {
        &line[self.start..self.end]
    }

    /// The field's text, with `""` turned back into `"` for quoted fields.
    fn text<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        let raw = self.raw(line);
        if self.quoted && raw.contains("\"\"") {
            std::borrow::Cow::Owned(raw.replace("\"\"", "\""))
        } else {
            std::borrow::Cow::Borrowed(raw)
        }
    }
}

/// Splits `line` into fields, reusing `spans`. On a bad quote returns the 0-based field index.
///
/// The delimiter is ASCII, so every index found is a char boundary of the UTF-8 line.
fn split(line: &str, delimiter: u8, spans: &mut Vec<Span>) -> Result<(), usize> {
    spans.clear();
    let bytes = line.as_bytes();
    let is_pad = |b: u8| (b == b' ' || b == b'\t') && b != delimiter;
    let mut i = 0;
    loop {
        let start = i + bytes[i..].iter().take_while(|&&b| is_pad(b)).count();
        let (span, next) = if bytes.get(start) == Some(&b'"') {
            quoted_field(bytes, start, delimiter, is_pad).ok_or(spans.len())?
        } else {
            unquoted_field(bytes, start, delimiter, is_pad)
        };
        spans.push(span);
        match next {
            Some(after_delimiter) => i = after_delimiter,
            None => return Ok(()),
        }
    }
}

/// A quoted field starting at the quote `bytes[open]`: its span and where the next field starts
/// (`None` at the end of the line). `None` when the quote is not closed or text follows it.
fn quoted_field(
    bytes: &[u8],
    open: usize,
    delimiter: u8,
    is_pad: impl Fn(u8) -> bool,
) -> Option<(Span, Option<usize>)> {
    let start = open + 1;
    let mut k = start;
    let end = loop {
        let close = k + bytes[k..].iter().position(|&b| b == b'"')?;
        if bytes.get(close + 1) == Some(&b'"') {
            k = close + 2;
        } else {
            break close;
        }
    };
    let after = end + 1 + bytes[end + 1..].iter().take_while(|&&b| is_pad(b)).count();
    let span = Span { start, end, quoted: true };
    match bytes.get(after) {
        None => Some((span, None)),
        Some(&b) if b == delimiter => Some((span, Some(after + 1))),
        Some(_) => None,
    }
}

/// An unquoted field starting at `start`: its trimmed span and where the next field starts.
fn unquoted_field(
    bytes: &[u8],
    start: usize,
    delimiter: u8,
    is_pad: impl Fn(u8) -> bool,
) -> (Span, Option<usize>) {
    let stop = bytes[start..].iter().position(|&b| b == delimiter).map(|p| start + p);
    let mut end = stop.unwrap_or(bytes.len());
    while end > start && is_pad(bytes[end - 1]) {
        end -= 1;
    }
    (Span { start, end, quoted: false }, stop.map(|d| d + 1))
}

/// Why a cell is not a value.
enum BadCell {
    Empty,
    NonFinite,
    NotANumber,
}

/// Parses one cell as a finite number. With `decimal_comma`, a number written with one comma
/// and no point (`1,5`) is read as `1.5`.
fn parse_cell(text: &str, decimal_comma: bool) -> Result<f64, BadCell> {
    if text.is_empty() {
        return Err(BadCell::Empty);
    }
    let parsed = match text.parse::<f64>() {
        Err(_) if decimal_comma && is_decimal_comma(text) => text.replacen(',', ".", 1).parse(),
        parsed => parsed,
    };
    match parsed {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(BadCell::NonFinite),
        Err(_) => Err(BadCell::NotANumber),
    }
}

/// One comma and no point: read as a decimal comma in a `;`-separated file.
fn is_decimal_comma(text: &str) -> bool {
    text.bytes().filter(|&b| b == b',').count() == 1 && !text.contains('.')
}

/// The rows read so far, and what is needed to read and locate the next one.
struct Table<'a> {
    file: &'a str,
    header: &'a [String],
    roles: &'a [Role],
    delimiter: u8,
    spans: Vec<Span>,
    values: Vec<f64>,
    labels: Vec<String>,
    rows: usize,
    /// The first blank line since the last row: an error if another row follows.
    blank: Option<usize>,
}

impl<'a> Table<'a> {
    fn new(file: &'a str, header: &'a [String], roles: &'a [Role], delimiter: u8) -> Self {
        Table {
            file,
            header,
            roles,
            delimiter,
            spans: Vec::with_capacity(header.len()),
            values: Vec::new(),
            labels: Vec::new(),
            rows: 0,
            blank: None,
        }
    }

    /// Rows read, their values and their time labels.
    fn finish(self) -> (usize, Vec<f64>, Vec<String>) {
        (self.rows, self.values, self.labels)
    }

    /// Where column `index` (0-based) of line `line` is.
    fn at(&self, line: usize, index: usize) -> Location {
        Location {
            file: self.file.to_string(),
            place: Place::Line(line),
            column: index + 1,
            name: self.header.get(index).cloned(),
        }
    }

    /// Adds one line of the file (after the header).
    fn push_line(&mut self, line_no: usize, line: &str) -> Result<(), FileError> {
        if line.trim().is_empty() {
            self.blank.get_or_insert(line_no);
            return Ok(());
        }
        if let Some(blank) = self.blank {
            let expected = self.header.len();
            return Err(FileError::Ragged { at: self.at(blank, 0), expected, found: 0 });
        }
        let mut spans = std::mem::take(&mut self.spans);
        let result = self.push_fields(line_no, line, &mut spans);
        self.spans = spans;
        result
    }

    /// Splits a non-blank line and stores its cells.
    fn push_fields(
        &mut self,
        line_no: usize,
        line: &str,
        spans: &mut Vec<Span>,
    ) -> Result<(), FileError> {
        split(line, self.delimiter, spans)
            .map_err(|field| FileError::BadQuote { at: self.at(line_no, field) })?;
        let expected = self.header.len();
        if spans.len() != expected {
            let at = self.at(line_no, spans.len().min(expected));
            return Err(FileError::Ragged { at, expected, found: spans.len() });
        }
        for (index, (span, role)) in spans.iter().zip(self.roles).enumerate() {
            match role {
                Role::Channel => self.push_value(line_no, index, span.raw(line))?,
                Role::Time => self.push_label(line_no, index, span.text(line))?,
                Role::Skip => {}
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Stores one channel value, or says why it is not one.
    fn push_value(&mut self, line_no: usize, index: usize, text: &str) -> Result<(), FileError> {
        let bad = match parse_cell(text, self.delimiter == b';') {
            Ok(value) => {
                self.values.push(value);
                return Ok(());
            }
            Err(bad) => bad,
        };
        let at = self.at(line_no, index);
        let text = text.to_string();
        Err(match bad {
            BadCell::Empty => FileError::Missing { at },
            BadCell::NonFinite => FileError::NonFinite { at, text },
            BadCell::NotANumber if self.rows == 0 => FileError::NonNumericColumn { at, text },
            BadCell::NotANumber => FileError::NotANumber { at, text },
        })
    }

    /// Stores one time label; an empty one is a missing value like any other empty cell.
    fn push_label(
        &mut self,
        line_no: usize,
        index: usize,
        text: std::borrow::Cow<'_, str>,
    ) -> Result<(), FileError> {
        if text.is_empty() {
            return Err(FileError::Missing { at: self.at(line_no, index) });
        }
        self.labels.push(text.into_owned());
        Ok(())
    }
}

/// Lines of a file without their line ending, numbered from 1, read into one reused buffer.
struct LineReader<'a, R> {
    inner: R,
    buf: Vec<u8>,
    line: usize,
    file: &'a str,
}

impl<'a, R: BufRead> LineReader<'a, R> {
    fn new(inner: R, file: &'a str) -> Self {
        LineReader { inner, buf: Vec::with_capacity(256), line: 0, file }
    }

    /// The next line and its number, `None` at the end of the file.
    fn next_line(&mut self) -> Result<Option<(usize, &str)>, FileError> {
        self.buf.clear();
        let read = self
            .inner
            .read_until(b'\n', &mut self.buf)
            .map_err(|error| FileError::Io { file: self.file.to_string(), error })?;
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut bytes = self.buf.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes)
            .map_err(|_| FileError::NotUtf8 { file: self.file.to_string(), line: self.line })?;
        Ok(Some((self.line, text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Writes `content` to `name` in a fresh temporary directory.
    fn write(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read(content: &str, opts: &ReadOptions) -> Result<Recording, FileError> {
        let (_dir, path) = write("data.csv", content.as_bytes());
        read_csv(&path, opts)
    }

    fn names(rec: &Recording) -> Vec<&str> {
        rec.schema.names().collect()
    }

    fn time(name: &str) -> ReadOptions {
        ReadOptions { time_col: Some(name.into()), exclude: vec![] }
    }

    /// Reads `content` expecting an error, checks that its one-line message names the file and
    /// `line:column`, and returns it.
    fn fails(content: &str, opts: &ReadOptions, line_col: &str) -> FileError {
        let err = read(content, opts).unwrap_err();
        let msg = err.to_string();
        println!("{msg}");
        assert!(msg.contains(&format!("data.csv:{line_col}")), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        err
    }

    #[test]
    fn comma_file() {
        let rec = read("a,b\n1,2\n3.5,-4e2\n", &ReadOptions::default()).unwrap();
        assert_eq!(names(&rec), ["a", "b"]);
        assert_eq!(rec.values, [1.0, 2.0, 3.5, -400.0]);
        assert!(rec.time.is_none());
        assert!(rec.origin.ends_with("data.csv"));
    }

    #[test]
    fn semicolon_file_with_commas_in_names() {
        let rec = read("temp, in;temp, out\n1;2\n", &ReadOptions::default()).unwrap();
        assert_eq!(names(&rec), ["temp, in", "temp, out"]);
        assert_eq!(rec.values, [1.0, 2.0]);
    }

    #[test]
    fn decimal_comma_with_semicolons() {
        let rec = read("a;b\n1,5;-2,25e1\n3;4\n", &ReadOptions::default()).unwrap();
        assert_eq!(rec.values, [1.5, -22.5, 3.0, 4.0]);
        let err = read("a;b\n1,5;2\n1.000,5;2\n", &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, FileError::NotANumber { .. }), "{err}");
    }

    #[test]
    fn tab_file() {
        let rec = read("a\tb\n1\t2\n", &ReadOptions::default()).unwrap();
        assert_eq!(rec.values, [1.0, 2.0]);
    }

    #[test]
    fn crlf_bom_padding_and_trailing_blank_lines() {
        let content = "\u{feff}a, b\r\n1, 2\r\n 3 ,4\r\n\r\n\n";
        let rec = read(content, &ReadOptions::default()).unwrap();
        assert_eq!(names(&rec), ["a", "b"]);
        assert_eq!(rec.values, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn quoted_header_and_cells() {
        let content = "\"time\",\"flow, \"\"main\"\"\",b\n\"2024-01-01 00:00\",\"1.5\",2\n";
        let rec = read(content, &time("time")).unwrap();
        assert_eq!(names(&rec), ["flow, \"main\"", "b"]);
        assert_eq!(rec.values, [1.5, 2.0]);
        assert_eq!(rec.time.unwrap().labels, ["2024-01-01 00:00"]);
    }

    #[test]
    fn time_column_and_exclude() {
        let content = "t,a,batch,b\n00:00,1,A7,2\n00:01,3,A8,4\n";
        let opts = ReadOptions { time_col: Some("t".into()), exclude: vec!["batch".into()] };
        let rec = read(content, &opts).unwrap();
        assert_eq!(names(&rec), ["a", "b"]);
        assert_eq!(rec.values, [1.0, 2.0, 3.0, 4.0]);
        let t = rec.time.unwrap();
        assert_eq!((t.name.as_str(), t.labels), ("t", vec!["00:00".into(), "00:01".into()]));
    }

    #[test]
    fn single_column_file() {
        let rec = read("x\n1\n2\n", &ReadOptions::default()).unwrap();
        assert_eq!((rec.rows(), rec.channels()), (2, 1));
    }

    #[test]
    fn missing_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_csv(&dir.path().join("nope.csv"), &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, FileError::Io { .. }));
        assert!(err.to_string().contains("nope.csv"), "{err}");
    }

    #[test]
    fn empty_files() {
        let opts = ReadOptions::default();
        assert!(matches!(read("", &opts), Err(FileError::Empty { .. })));
        assert!(matches!(read("\n\n", &opts), Err(FileError::Empty { .. })));
        let err = read("a,b\n\n", &opts).unwrap_err();
        assert!(matches!(err, FileError::Empty { .. }));
        assert!(err.to_string().contains("data.csv: no data rows"), "{err}");
    }

    #[test]
    fn ragged_rows() {
        let opts = ReadOptions::default();
        let err = fails("a,b,c\n1,2,3\n4,5\n", &opts, "3:3 (column \"c\")");
        assert!(matches!(err, FileError::Ragged { expected: 3, found: 2, .. }));
        assert!(err.to_string().contains("expected 3 fields, found 2"));
        let err = fails("a,b\n1,2,3\n", &opts, "2:3:");
        assert!(matches!(err, FileError::Ragged { expected: 2, found: 3, .. }));
        let err = fails("a,b\n1,2\n\n3,4\n", &opts, "3:1");
        assert!(matches!(err, FileError::Ragged { found: 0, .. }));
    }

    #[test]
    fn non_numeric_cell() {
        let err = fails("a,pressure\n1,2\n3,abc\n", &ReadOptions::default(), "3:2");
        assert!(matches!(err, FileError::NotANumber { ref text, .. } if text == "abc"));
        let msg = err.to_string();
        assert!(
            msg.ends_with(r#"data.csv:3:2 (column "pressure"): "abc" is not a number"#),
            "{msg}"
        );
    }

    #[test]
    fn text_column_names_the_options() {
        let err = fails("a,batch\n1,A7\n", &ReadOptions::default(), "2:2 (column \"batch\")");
        assert!(matches!(err, FileError::NonNumericColumn { .. }));
        let msg = err.to_string();
        assert!(msg.contains("--time-col batch") && msg.contains("--exclude batch"), "{msg}");
    }

    #[test]
    fn nan_and_infinities_are_rejected() {
        for bad in ["nan", "NaN", "inf", "-Infinity", "INF", "1e999"] {
            let err = fails(&format!("a,b\n1,2\n3,{bad}\n"), &ReadOptions::default(), "3:2");
            assert!(matches!(err, FileError::NonFinite { ref text, .. } if text == bad), "{err}");
        }
        let err = fails("a,b\nnan,2\n", &ReadOptions::default(), "2:1");
        assert!(matches!(err, FileError::NonFinite { .. }));
    }

    #[test]
    fn empty_cells_are_missing_values() {
        let err = fails("a,b,c\n1,,3\n", &ReadOptions::default(), "2:2 (column \"b\")");
        assert!(matches!(err, FileError::Missing { .. }));
        let err = fails("t,a\n,1\n", &time("t"), "2:1 (column \"t\")");
        assert!(matches!(err, FileError::Missing { .. }));
    }

    #[test]
    fn duplicate_and_unnamed_columns() {
        let err = fails("a,b,a\n1,2,3\n", &ReadOptions::default(), "1:3 (column \"a\")");
        assert!(matches!(err, FileError::DuplicateColumn { .. }));
        let err = fails(",a\n0,1\n", &ReadOptions::default(), "1:1");
        assert!(matches!(err, FileError::UnnamedColumn { .. }));
    }

    #[test]
    fn unknown_time_column_and_exclude() {
        let err = read("a,b\n1,2\n", &time("when")).unwrap_err();
        assert!(matches!(err, FileError::UnknownTimeColumn { .. }));
        assert!(err.to_string().contains(r#"data.csv: time column "when""#), "{err}");
        let opts = ReadOptions { time_col: None, exclude: vec!["zz".into()] };
        let err = read("a,b\n1,2\n", &opts).unwrap_err();
        assert!(matches!(err, FileError::UnknownExclude { ref name, .. } if name == "zz"));
        assert!(err.to_string().contains("\"zz\"") && err.to_string().contains("a, b"), "{err}");
        let opts = ReadOptions { time_col: Some("a".into()), exclude: vec!["b".into()] };
        assert!(matches!(read("a,b\n1,2\n", &opts), Err(FileError::NoChannels { .. })));
    }

    #[test]
    fn bad_quotes() {
        let err = fails("a,b\n1,\"2\n", &ReadOptions::default(), "2:2");
        assert!(matches!(err, FileError::BadQuote { .. }));
        let err = fails("a,b\n1,\"2\"x\n", &ReadOptions::default(), "2:2");
        assert!(matches!(err, FileError::BadQuote { .. }));
        let err = fails("\"a,b\n1,2\n", &ReadOptions::default(), "1:1");
        assert!(matches!(err, FileError::BadQuote { .. }));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let (_dir, path) = write("data.csv", b"a,b\n1,2\n\xff,3\n");
        let err = read_csv(&path, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, FileError::NotUtf8 { line: 3, .. }), "{err}");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "\"",
            "\"\"",
            ",",
            ";;;",
            "a\n\"",
            "a,b\n,",
            "a\n\"\"\"\n",
            "\u{feff}",
            "a\n\u{feff}1",
            "é,ü\n1,2\n",
            "a;b\n1,5;2\n",
            "a\n \t \n1\n",
            "a\t\n1\t\n",
        ];
        for content in odd {
            let _ = read(content, &ReadOptions::default());
            let _ = read(content, &time("a"));
        }
    }

    #[test]
    fn split_handles_edges() {
        let mut spans = Vec::new();
        let fields = |line: &str, spans: &mut Vec<Span>| -> Vec<String> {
            split(line, b',', spans).unwrap();
            spans.iter().map(|s| s.text(line).into_owned()).collect()
        };
        assert_eq!(fields("a,b,", &mut spans), ["a", "b", ""]);
        assert_eq!(fields("", &mut spans), [""]);
        assert_eq!(fields(" \"x,y\" , z", &mut spans), ["x,y", "z"]);
        assert_eq!(fields("\"\",\"\"\"\"", &mut spans), ["", "\""]);
        assert_eq!(detect_delimiter("a,b"), b',');
        assert_eq!(detect_delimiter("\"a;b\",c"), b',');
        assert_eq!(detect_delimiter("a;b,c"), b';');
    }
}
