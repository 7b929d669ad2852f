//! Samples as they arrive from equipment: one asset, one timestamp, some channel values, each
//! with a quality code.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// OPC-style quality of one value. Only `Good` and `Uncertain` values reach a detector as
/// numbers; `Bad` and `Missing` values are imputed by the frames stage and the frame is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Trustworthy.
    #[default]
    Good,
    /// Usable, with doubt (sensor out of calibration window, value clamped, …).
    Uncertain,
    /// Known wrong: must not be used as a measurement.
    Bad,
    /// Not delivered.
    Missing,
}

impl Quality {
    /// True for values a detector may use as measured.
    pub fn is_usable(self) -> bool {
        matches!(self, Quality::Good | Quality::Uncertain)
    }

    /// Stable lower-case label.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
            Quality::Missing => "missing",
        }
    }
}

/// One channel value of a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelValue {
    /// Channel name as configured for the asset.
    pub channel: String,
    /// The value (finite: decoders reject NaN and infinities).
    pub value: f64,
    /// Its quality.
    pub quality: Quality,
}

/// Readings of one asset at one instant, as decoded from a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Asset name (for MQTT, the last topic level).
    pub asset: String,
    /// When the readings were taken (from the payload, not the arrival time).
    pub ts: Timestamp,
    /// The readings.
    pub values: Vec<ChannelValue>,
    /// Context travelling with the readings (lot, wafer, recipe, step, batch phase …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<(String, String)>,
}
