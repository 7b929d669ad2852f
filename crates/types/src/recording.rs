//! A recording: a block of history of one asset, as read from a data file.

use crate::{ChannelSchema, SchemaError};

/// The optional time column of a recording, kept as the text found in the file: faultline echoes
/// it in score output and never needs to do arithmetic on it when scoring files.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeColumn {
    /// Column name in the file.
    pub name: String,
    /// One label per row.
    pub labels: Vec<String>,
}

/// Rows of channel values, dense and row-major (`values[row * n_channels + channel]`).
///
/// Every value is finite: readers reject NaN and infinities with the file, line and column, so a
/// detector never sees a non-number from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Where the rows came from (a file path), for error messages.
    pub origin: String,
    /// The channels, in column order of `values`.
    pub schema: ChannelSchema,
    /// Time column, when the file had one.
    pub time: Option<TimeColumn>,
    /// Row-major values, `rows() * schema.len()` of them.
    pub values: Vec<f64>,
}

/// Why a recording could not be built or reshaped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordingError {
    /// The number of values is not a multiple of the number of channels.
    #[error("{origin}: {values} values do not fill rows of {channels} channels")]
    Ragged {
        /// Origin of the recording.
        origin: String,
        /// Number of values.
        values: usize,
        /// Number of channels.
        channels: usize,
    },
    /// A channel the model needs is absent.
    #[error("{origin}: {error}")]
    Schema {
        /// Origin of the recording.
        origin: String,
        /// The schema mismatch.
        error: SchemaError,
    },
}

impl Recording {
    /// Builds a recording after checking that `values` fills whole rows.
    pub fn new(
        origin: impl Into<String>,
        schema: ChannelSchema,
        time: Option<TimeColumn>,
        values: Vec<f64>,
    ) -> Result<Self, RecordingError> {
        let origin = origin.into();
        let channels = schema.len();
        if channels == 0 || !values.len().is_multiple_of(channels) {
            return Err(RecordingError::Ragged { origin, values: values.len(), channels });
        }
        Ok(Recording { origin, schema, time, values })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.schema.len()).unwrap_or(0)
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.schema.len()
    }

    /// One row.
    ///
    /// # Panics
    /// When `index >= self.rows()`.
    pub fn row(&self, index: usize) -> &[f64] {
        let m = self.channels();
        &self.values[index * m..(index + 1) * m]
    }

    /// Iterates over rows.
    pub fn iter_rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.values.chunks_exact(self.channels().max(1))
    }

    /// Values of one channel, as a new vector.
    pub fn column(&self, channel: usize) -> Vec<f64> {
        self.iter_rows().map(|r| r[channel]).collect()
    }

    /// Rows `start..end` as a new recording (time labels follow).
    pub fn slice_rows(&self, start: usize, end: usize) -> Recording {
        let m = self.channels();
        let end = end.min(self.rows());
        let start = start.min(end);
        Recording {
            origin: format!("{} rows {}..{}", self.origin, start + 1, end),
            schema: self.schema.clone(),
            time: self.time.as_ref().map(|t| TimeColumn {
                name: t.name.clone(),
                labels: t.labels[start..end].to_vec(),
            }),
            values: self.values[start * m..end * m].to_vec(),
        }
    }

    /// The same rows with the columns of `target` in its order: how data files are lined up with a
    /// model's schema. Columns not in `target` are dropped.
    pub fn select(&self, target: &ChannelSchema) -> Result<Recording, RecordingError> {
        let map = target
            .mapping_from(&self.schema)
            .map_err(|error| RecordingError::Schema { origin: self.origin.clone(), error })?;
        let mut values = Vec::with_capacity(self.rows() * map.len());
        for row in self.iter_rows() {
            values.extend(map.iter().map(|&j| row[j]));
        }
        Ok(Recording {
            origin: self.origin.clone(),
            schema: target.clone(),
            time: self.time.clone(),
            values,
        })
    }

    /// Appends the rows of `other`, which must have the same schema (time labels are kept only
    /// when both have them).
    pub fn append(&mut self, other: &Recording) -> Result<(), RecordingError> {
        let aligned = other.select(&self.schema)?;
        self.values.extend_from_slice(&aligned.values);
        self.time = match (self.time.take(), aligned.time) {
            (Some(mut a), Some(b)) => {
                a.labels.extend(b.labels);
                Some(a)
            }
            _ => None,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Recording {
        let schema = ChannelSchema::from_names(["a", "b", "c"]).unwrap();
        Recording::new("mem", schema, None, (0..6).map(f64::from).collect()).unwrap()
    }

    #[test]
    fn rows_and_columns() {
        let r = rec();
        assert_eq!(r.rows(), 2);
        assert_eq!(r.row(1), &[3.0, 4.0, 5.0]);
        assert_eq!(r.column(2), vec![2.0, 5.0]);
    }

    #[test]
    fn ragged_values_are_rejected() {
        let schema = ChannelSchema::from_names(["a", "b"]).unwrap();
        assert!(matches!(
            Recording::new("mem", schema, None, vec![1.0; 3]),
            Err(RecordingError::Ragged { values: 3, channels: 2, .. })
        ));
    }

    #[test]
    fn select_reorders_columns() {
        let target = ChannelSchema::from_names(["c", "a"]).unwrap();
        let r = rec().select(&target).unwrap();
        assert_eq!(r.values, vec![2.0, 0.0, 5.0, 3.0]);
    }
}
