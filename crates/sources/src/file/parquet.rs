//! The Parquet reader: columns of a Parquet file, read through the `parquet` crate's Arrow reader,
//! turned into a row-major [`Recording`].
//!
//! Numeric columns (Float64, Float32, Int8…Int64, UInt8…UInt64) become channels; 64-bit integers
//! beyond 2^53 lose precision as f64, which no process signal needs. The time column may be a
//! timestamp, a date, a string or a number and is kept as text: time stamps with a time zone are
//! written as RFC 3339 instants in UTC (`2024-01-01T00:00:00.250Z`); those without one as the
//! wall-clock date-time they store, without an offset. Any other column type is an error unless
//! the column is excluded; so are nulls and NaN or infinite values, with their row and column.
//! Only the columns that are used are decoded.

use std::fmt::Display;
use std::fs::File;
use std::path::Path;

use ::parquet::arrow::ProjectionMask;
use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ::parquet::errors::ParquetError;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};
use faultline_types::{Recording, TimeColumn};

use super::error::{FileError, Location, Place};
use super::options::{ColumnPlan, ReadOptions, Role, plan_columns};

/// Reads a Parquet file into a recording; see the module docs for the column types accepted.
///
/// The time column (`opts.time_col`), when given, must exist and is kept as text labels; every
/// other column not in `opts.exclude` becomes a channel, in schema order.
pub fn read_parquet(path: &Path, opts: &ReadOptions) -> Result<Recording, FileError> {
    let file = path.display().to_string();
    let invalid = |error: ParquetError| FileError::Parquet { file: file.clone(), error };
    let handle = File::open(path).map_err(|error| FileError::Io { file: file.clone(), error })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(invalid)?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let plan = plan_columns(&file, &names, Place::Schema, opts)?;
    check_types(&file, &schema, &plan)?;
    let used = plan.roles.iter().enumerate().filter(|(_, r)| **r != Role::Skip).map(|(j, _)| j);
    let mask = ProjectionMask::roots(builder.parquet_schema(), used);
    let reader = builder.with_projection(mask).build().map_err(invalid)?;
    let mut table = Table::new(&file, &names, &plan);
    for batch in reader {
        table.push(&batch.map_err(|e| invalid(e.into()))?)?;
    }
    let (rows, values, labels) = table.finish();
    if rows == 0 {
        return Err(FileError::Empty { file, what: "no data rows" });
    }
    let time = plan.time.clone().map(|name| TimeColumn { name, labels });
    Ok(Recording { origin: file, schema: plan.schema(), time, values })
}

/// True for the types a channel can have.
fn is_numeric(data_type: &DataType) -> bool {
    use DataType::*;
    matches!(
        data_type,
        Float64 | Float32 | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
    )
}

/// True for the types the time column can have.
fn is_label(data_type: &DataType) -> bool {
    use DataType::*;
    is_numeric(data_type)
        || matches!(data_type, Utf8 | LargeUtf8 | Utf8View | Timestamp(..) | Date32 | Date64)
}

/// Rejects a channel that is not numeric and a time column that cannot be turned into text.
fn check_types(file: &str, schema: &Schema, plan: &ColumnPlan) -> Result<(), FileError> {
    for (j, (field, role)) in schema.fields().iter().zip(&plan.roles).enumerate() {
        let ok = match role {
            Role::Channel => is_numeric(field.data_type()),
            Role::Time => is_label(field.data_type()),
            Role::Skip => true,
        };
        if !ok {
            let at = schema_location(file, j, field.name());
            return Err(FileError::UnsupportedType {
                at,
                data_type: field.data_type().to_string(),
            });
        }
    }
    Ok(())
}

/// A whole column, for type errors.
fn schema_location(file: &str, index: usize, name: &str) -> Location {
    Location { file: file.into(), place: Place::Schema, column: index + 1, name: Some(name.into()) }
}

/// The rows decoded so far, and what is needed to decode and locate the next batch.
struct Table<'a> {
    file: &'a str,
    names: &'a [String],
    roles: &'a [Role],
    channels: usize,
    values: Vec<f64>,
    labels: Vec<String>,
    rows: usize,
}

impl<'a> Table<'a> {
    fn new(file: &'a str, names: &'a [String], plan: &'a ColumnPlan) -> Self {
        Table {
            file,
            names,
            roles: &plan.roles,
            channels: plan.channels.len(),
            values: Vec::new(),
            labels: Vec::new(),
            rows: 0,
        }
    }

    /// Rows read, their values and their time labels.
    fn finish(self) -> (usize, Vec<f64>, Vec<String>) {
        (self.rows, self.values, self.labels)
    }

    /// Where row `row` (0-based, within the current batch) of column `index` is.
    fn at(&self, row: usize, index: usize) -> Location {
        Location {
            file: self.file.into(),
            place: Place::Row(self.rows + row + 1),
            column: index + 1,
            name: self.names.get(index).cloned(),
        }
    }

    /// Appends one record batch, row-major.
    fn push(&mut self, batch: &RecordBatch) -> Result<(), FileError> {
        let n = batch.num_rows();
        let base = self.values.len();
        self.values.resize(base + n * self.channels, 0.0);
        let mut channel = 0;
        for (index, role) in self.roles.iter().enumerate() {
            if *role == Role::Skip {
                continue;
            }
            let array = self.column(batch, index)?;
            if let Some(row) = first_null(array) {
                return Err(FileError::Null { at: self.at(row, index) });
            }
            match role {
                Role::Channel => {
                    self.copy_channel(array, base, channel, index)?;
                    channel += 1;
                }
                _ => self.push_labels(array, index)?,
            }
        }
        self.rows += n;
        Ok(())
    }

    /// The column named like column `index` of the file.
    fn column<'b>(&self, batch: &'b RecordBatch, index: usize) -> Result<&'b dyn Array, FileError> {
        let name = &self.names[index];
        batch.column_by_name(name).map(|a| a.as_ref()).ok_or_else(|| FileError::Parquet {
            file: self.file.into(),
            error: ParquetError::General(format!("column {name:?} is missing from a batch")),
        })
    }

    /// Writes one channel of the batch into its strided place in `values`, checking finiteness.
    fn copy_channel(
        &mut self,
        array: &dyn Array,
        base: usize,
        channel: usize,
        index: usize,
    ) -> Result<(), FileError> {
        let stride = self.channels;
        let out = &mut self.values[base..];
        if !copy_numeric(array, out, stride, channel) {
            let at = schema_location(self.file, index, &self.names[index]);
            return Err(FileError::UnsupportedType {
                at,
                data_type: array.data_type().to_string(),
            });
        }
        let bad = out.iter().skip(channel).step_by(stride).position(|v| !v.is_finite());
        match bad {
            Some(row) => {
                let text = out[row * stride + channel].to_string();
                Err(FileError::NonFinite { at: self.at(row, index), text })
            }
            None => Ok(()),
        }
    }

    /// Appends the time labels of the batch.
    fn push_labels(&mut self, array: &dyn Array, index: usize) -> Result<(), FileError> {
        match labels(array) {
            Some(labels) => {
                self.labels.extend(labels);
                Ok(())
            }
            None => {
                let at = schema_location(self.file, index, &self.names[index]);
                Err(FileError::UnsupportedType { at, data_type: array.data_type().to_string() })
            }
        }
    }
}

/// Index of the first null of `array`.
fn first_null(array: &dyn Array) -> Option<usize> {
    if array.null_count() == 0 {
        return None;
    }
    (0..array.len()).find(|&i| array.is_null(i))
}

/// A native Arrow number that converts to f64 (exactly, but for 64-bit integers beyond 2^53).
trait ToF64: Copy {
    fn to_f64(self) -> f64;
}

macro_rules! to_f64 {
    ($($t:ty),*) => { $(impl ToF64 for $t { fn to_f64(self) -> f64 { self as f64 } })* };
}
to_f64!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

/// Copies a numeric array into `out[row * stride + channel]`; false if the type is not numeric.
fn copy_numeric(array: &dyn Array, out: &mut [f64], stride: usize, channel: usize) -> bool {
    match array.data_type() {
        DataType::Float64 => copy::<Float64Type>(array, out, stride, channel),
        DataType::Float32 => copy::<Float32Type>(array, out, stride, channel),
        DataType::Int8 => copy::<Int8Type>(array, out, stride, channel),
        DataType::Int16 => copy::<Int16Type>(array, out, stride, channel),
        DataType::Int32 => copy::<Int32Type>(array, out, stride, channel),
        DataType::Int64 => copy::<Int64Type>(array, out, stride, channel),
        DataType::UInt8 => copy::<UInt8Type>(array, out, stride, channel),
        DataType::UInt16 => copy::<UInt16Type>(array, out, stride, channel),
        DataType::UInt32 => copy::<UInt32Type>(array, out, stride, channel),
        DataType::UInt64 => copy::<UInt64Type>(array, out, stride, channel),
        _ => false,
    }
}

/// [`copy_numeric`] for one primitive type.
fn copy<T>(array: &dyn Array, out: &mut [f64], stride: usize, channel: usize) -> bool
where
    T: ArrowPrimitiveType,
    T::Native: ToF64,
{
    let Some(array) = array.as_primitive_opt::<T>() else {
        return false;
    };
    let slots = out.iter_mut().skip(channel).step_by(stride);
    for (slot, value) in slots.zip(array.values().iter()) {
        *slot = value.to_f64();
    }
    true
}

/// The values of a time column as text; `None` for a type that has no text form here.
fn labels(array: &dyn Array) -> Option<Vec<String>> {
    use DataType::*;
    match array.data_type() {
        Utf8 => {
            Some(array.as_string_opt::<i32>()?.iter().map(|s| s.unwrap_or("").into()).collect())
        }
        LargeUtf8 => {
            Some(array.as_string_opt::<i64>()?.iter().map(|s| s.unwrap_or("").into()).collect())
        }
        Utf8View => {
            Some(array.as_string_view_opt()?.iter().map(|s| s.unwrap_or("").into()).collect())
        }
        Timestamp(unit, tz) => timestamp_labels(array, *unit, tz.is_some()),
        Date32 => map_values::<Date32Type>(array, |d| format_date(i64::from(d))),
        Date64 => {
            map_values::<Date64Type>(array, |ms| format_time(ms, TimeUnit::Millisecond, false))
        }
        Float64 => display_values::<Float64Type>(array),
        Float32 => display_values::<Float32Type>(array),
        Int8 => display_values::<Int8Type>(array),
        Int16 => display_values::<Int16Type>(array),
        Int32 => display_values::<Int32Type>(array),
        Int64 => display_values::<Int64Type>(array),
        UInt8 => display_values::<UInt8Type>(array),
        UInt16 => display_values::<UInt16Type>(array),
        UInt32 => display_values::<UInt32Type>(array),
        UInt64 => display_values::<UInt64Type>(array),
        _ => None,
    }
}

/// Timestamp labels in RFC 3339 form (see the module docs).
fn timestamp_labels(array: &dyn Array, unit: TimeUnit, utc: bool) -> Option<Vec<String>> {
    let format = move |v: i64| format_time(v, unit, utc);
    match unit {
        TimeUnit::Second => map_values::<TimestampSecondType>(array, format),
        TimeUnit::Millisecond => map_values::<TimestampMillisecondType>(array, format),
        TimeUnit::Microsecond => map_values::<TimestampMicrosecondType>(array, format),
        TimeUnit::Nanosecond => map_values::<TimestampNanosecondType>(array, format),
    }
}

/// Every value of a primitive array through `f`.
fn map_values<T: ArrowPrimitiveType>(
    array: &dyn Array,
    f: impl Fn(T::Native) -> String,
) -> Option<Vec<String>> {
    Some(array.as_primitive_opt::<T>()?.values().iter().map(|v| f(*v)).collect())
}

/// Every value of a primitive array as it displays.
fn display_values<T>(array: &dyn Array) -> Option<Vec<String>>
where
    T: ArrowPrimitiveType,
    T::Native: Display,
{
    map_values::<T>(array, |v| v.to_string())
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` for `value` units since the Unix epoch.
fn format_time(value: i64, unit: TimeUnit, utc: bool) -> String {
    let (per_second, digits) = match unit {
        TimeUnit::Second => (1, 0),
        TimeUnit::Millisecond => (1_000, 3),
        TimeUnit::Microsecond => (1_000_000, 6),
        TimeUnit::Nanosecond => (1_000_000_000, 9),
    };
    let seconds = value.div_euclid(per_second);
    let fraction = value.rem_euclid(per_second);
    let of_day = seconds.rem_euclid(86_400);
    let mut text = format!(
        "{}T{:02}:{:02}:{:02}",
        format_date(seconds.div_euclid(86_400)),
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
    if fraction != 0 {
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    if utc {
        text.push('Z');
    }
    text
}

/// `YYYY-MM-DD` for a day number since 1970-01-01 (proleptic Gregorian calendar; H. Hinnant's
/// `civil_from_days`).
fn format_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    use ::parquet::arrow::ArrowWriter;
    use arrow_array::{
        ArrayRef, Float32Array, Float64Array, Int64Array, StringArray, TimestampMillisecondArray,
        UInt16Array,
    };
    use arrow_schema::Field;

    /// Writes the columns as `data.parquet` in a fresh temporary directory, in two row groups
    /// when `split` so that the reader sees more than one batch.
    fn write(columns: Vec<(&str, ArrayRef)>, split: bool) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.parquet");
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), a.null_count() > 0))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        let mut writer = ArrowWriter::try_new(File::create(&path).unwrap(), schema, None).unwrap();
        if split {
            let half = batch.num_rows() / 2;
            writer.write(&batch.slice(0, half)).unwrap();
            writer.flush().unwrap();
            writer.write(&batch.slice(half, batch.num_rows() - half)).unwrap();
        } else {
            writer.write(&batch).unwrap();
        }
        writer.close().unwrap();
        (dir, path)
    }

    fn f64s(values: &[f64]) -> ArrayRef {
        Arc::new(Float64Array::from(values.to_vec()))
    }

    fn strings(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn time(name: &str) -> ReadOptions {
        ReadOptions { time_col: Some(name.into()), exclude: vec![] }
    }

    /// Checks that the error's one-line message names the file and `what`, and returns it.
    fn fails(path: &Path, opts: &ReadOptions, what: &str) -> FileError {
        let err = read_parquet(path, opts).unwrap_err();
        let msg = err.to_string();
        println!("{msg}");
        assert!(msg.contains(&format!("data.parquet{what}")), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        err
    }

    #[test]
    fn round_trip_with_mixed_numeric_types_and_batches() {
        let a = f64s(&[1.0, 2.0, 3.0, 4.0]);
        let b: ArrayRef = Arc::new(Float32Array::from(vec![0.5f32, 1.5, 2.5, 3.5]));
        let c: ArrayRef = Arc::new(Int64Array::from(vec![-1i64, 0, 1, 2]));
        let d: ArrayRef = Arc::new(UInt16Array::from(vec![7u16, 8, 9, 10]));
        let (_dir, path) = write(vec![("a", a), ("b", b), ("c", c), ("d", d)], true);
        let rec = read_parquet(&path, &ReadOptions::default()).unwrap();
        assert_eq!(rec.schema.names().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(rec.rows(), 4);
        assert_eq!(rec.row(0), [1.0, 0.5, -1.0, 7.0]);
        assert_eq!(rec.row(3), [4.0, 3.5, 2.0, 10.0]);
        assert!(rec.time.is_none());
    }

    #[test]
    fn string_time_column_and_exclude() {
        let t = strings(&["08:00", "08:03", "08:06"]);
        let batch = strings(&["A", "A", "B"]);
        let x = f64s(&[1.0, 2.0, 3.0]);
        let (_dir, path) = write(vec![("t", t), ("batch", batch), ("x", x)], false);
        let opts = ReadOptions { time_col: Some("t".into()), exclude: vec!["batch".into()] };
        let rec = read_parquet(&path, &opts).unwrap();
        assert_eq!(rec.values, [1.0, 2.0, 3.0]);
        let t = rec.time.unwrap();
        assert_eq!((t.name.as_str(), t.labels.len()), ("t", 3));
        assert_eq!(t.labels[1], "08:03");
    }

    #[test]
    fn timestamp_time_column_is_rfc3339() {
        let ms = [1_704_067_200_000i64, 1_704_067_200_250, -1];
        let utc: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(ms.to_vec()).with_timezone("UTC"));
        let (_dir, path) = write(vec![("ts", utc), ("x", f64s(&[1.0, 2.0, 3.0]))], false);
        let labels = read_parquet(&path, &time("ts")).unwrap().time.unwrap().labels;
        assert_eq!(
            labels,
            ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.250Z", "1969-12-31T23:59:59.999Z"]
        );
        let naive: ArrayRef = Arc::new(TimestampMillisecondArray::from(ms.to_vec()));
        let (_dir, path) = write(vec![("ts", naive), ("x", f64s(&[1.0, 2.0, 3.0]))], false);
        let labels = read_parquet(&path, &time("ts")).unwrap().time.unwrap().labels;
        assert_eq!(labels[0], "2024-01-01T00:00:00");
    }

    #[test]
    fn calendar_edges() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(11_016), "2000-02-29");
        assert_eq!(format_date(-719_468), "0000-03-01");
        assert_eq!(
            format_time(1_500_000_000, TimeUnit::Nanosecond, true),
            "1970-01-01T00:00:01.500000000Z"
        );
        let _ = format_time(i64::MIN, TimeUnit::Second, false);
        let _ = format_time(i64::MAX, TimeUnit::Second, false);
    }

    #[test]
    fn null_names_row_and_column() {
        let a = f64s(&[1.0, 2.0, 3.0, 4.0]);
        let b: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(2.0), Some(3.0), None]));
        let (_dir, path) = write(vec![("a", a), ("b", b)], true);
        let err = fails(&path, &ReadOptions::default(), r#": row 4, column 2 ("b")"#);
        assert!(matches!(err, FileError::Null { .. }));
    }

    #[test]
    fn string_column_needs_time_col_or_exclude() {
        let (_dir, path) = write(vec![("a", f64s(&[1.0])), ("batch", strings(&["A"]))], false);
        let err = fails(&path, &ReadOptions::default(), r#": column 2 ("batch")"#);
        assert!(matches!(err, FileError::UnsupportedType { .. }));
        let msg = err.to_string();
        assert!(msg.contains("Utf8") && msg.contains("--exclude batch"), "{msg}");
    }

    #[test]
    fn non_finite_values_are_rejected() {
        let (_dir, path) = write(vec![("a", f64s(&[1.0, f64::NAN]))], false);
        let err = fails(&path, &ReadOptions::default(), r#": row 2, column 1 ("a")"#);
        assert!(matches!(err, FileError::NonFinite { .. }));
    }

    #[test]
    fn option_and_file_errors() {
        let (dir, path) = write(vec![("a", f64s(&[1.0]))], false);
        let err = fails(&path, &time("when"), ": time column \"when\"");
        assert!(matches!(err, FileError::UnknownTimeColumn { .. }));
        let opts = ReadOptions { time_col: None, exclude: vec!["a".into()] };
        assert!(matches!(read_parquet(&path, &opts), Err(FileError::NoChannels { .. })));
        let err = read_parquet(&dir.path().join("none.parquet"), &ReadOptions::default());
        assert!(matches!(err, Err(FileError::Io { .. })));
        let junk = dir.path().join("data.parquet");
        std::fs::write(&junk, b"not parquet at all").unwrap();
        let err = fails(&junk, &ReadOptions::default(), ": invalid Parquet file");
        assert!(matches!(err, FileError::Parquet { .. }));
    }

    #[test]
    fn empty_table() {
        let (_dir, path) = write(vec![("a", f64s(&[]))], false);
        let err = fails(&path, &ReadOptions::default(), ": no data rows");
        assert!(matches!(err, FileError::Empty { .. }));
    }
}
