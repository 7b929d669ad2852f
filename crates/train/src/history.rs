//! Refitting on an asset's own journaled history: when a line's normal has changed for a known
//! reason (a chamber clean, a recalibration, a new recipe baseline), the engineer picks a window
//! of the journal that is the new normal, and a new model version is fitted on it. It is only
//! registered, never activated here: activation stays the signed, audited decision it always is.
//!
//! Rows are built with the live engine's own channel rules ([`Framer`]), so a refit sees what the
//! detector saw; but only rows in which every channel carried a usable measured value are kept.
//! An imputed value is the framer's stand-in, not operation to learn from.

use faultline_detectors::PcaConfig;
use faultline_frames::Framer;
use faultline_store::TrainingSummary;
use faultline_types::{ChannelSchema, Recording, Sample};

use crate::{Method, TrainError, fit_default_model, fit_model};

/// Training rows built from journaled samples.
#[derive(Debug, Clone)]
pub struct HistoryRows {
    /// The complete rows, oldest first.
    pub recording: Recording,
    /// Samples left out because a channel was missing or not usable (imputed by the framer).
    pub incomplete: usize,
    /// Samples the framer refused (duplicate or older timestamp, a channel given twice, no
    /// channel of the schema).
    pub rejected: usize,
}

/// Frames `samples` (oldest first) in `schema`'s channel order and keeps the complete rows.
pub fn history_rows(origin: &str, schema: &ChannelSchema, samples: &[Sample]) -> HistoryRows {
    // The fallback is never used: rows with an imputed value are dropped.
    let mut framer = Framer::new(schema.clone(), vec![0.0; schema.len()]);
    let (mut values, mut incomplete, mut rejected) = (Vec::new(), 0, 0);
    for sample in samples {
        match framer.accept(sample) {
            Ok(framed) if framed.frame.imputed == 0 => values.extend(framed.frame.values),
            Ok(_) => incomplete += 1,
            Err(_) => rejected += 1,
        }
    }
    let recording =
        Recording { origin: origin.to_string(), schema: schema.clone(), time: None, values };
    HistoryRows { recording, incomplete, rejected }
}

/// The detectors a refit offers: the `default` detector or static PCA, each with the settings
/// `faultline fit` uses when given no options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefitMethod {
    /// [`crate::fit_default_model`].
    Default,
    /// [`crate::fit_model`] with [`Method::Pca`] and [`PcaConfig::default`].
    Pca,
}

impl RefitMethod {
    /// Parses `default` or `pca`.
    pub fn parse(name: &str) -> Option<RefitMethod> {
        match name {
            "default" => Some(RefitMethod::Default),
            "pca" => Some(RefitMethod::Pca),
            _ => None,
        }
    }
}

/// Fits `method` on the rows and returns the model file's bytes, ready to register. `source`
/// describes the window (it becomes the training summary's input).
pub fn refit_bytes(
    rows: &HistoryRows,
    method: RefitMethod,
    source: String,
) -> Result<Vec<u8>, TrainError> {
    let summary = TrainingSummary { inputs: vec![source], ..TrainingSummary::default() };
    Ok(match method {
        RefitMethod::Default => fit_default_model(&rows.recording, summary)?.to_bytes(),
        RefitMethod::Pca => {
            fit_model(&rows.recording, Method::Pca, PcaConfig::default(), summary)?.to_bytes()
        }
    })
}

#[cfg(test)]
mod tests {
    use faultline_types::{ChannelValue, Quality, Timestamp};

    use super::*;

    fn schema() -> ChannelSchema {
        ChannelSchema::from_names(["a", "b"]).unwrap()
    }

    fn sample(ts: i64, values: &[(&str, f64, Quality)]) -> Sample {
        Sample {
            asset: "pump1".into(),
            ts: Timestamp::from_nanos(ts),
            values: values
                .iter()
                .map(|(c, v, q)| ChannelValue { channel: (*c).into(), value: *v, quality: *q })
                .collect(),
            context: Vec::new(),
        }
    }

    #[test]
    fn only_complete_measured_rows_are_kept_in_schema_order() {
        let good = Quality::Good;
        let samples = vec![
            sample(1, &[("b", 2.0, good), ("a", 1.0, good)]),
            sample(2, &[("a", 3.0, good)]), // b missing
            sample(3, &[("a", 4.0, good), ("b", 9.0, Quality::Bad)]), // b bad
            sample(3, &[("a", 5.0, good), ("b", 6.0, good)]), // duplicate time
            sample(4, &[("a", 7.0, Quality::Uncertain), ("b", 8.0, good), ("z", 0.0, good)]),
        ];
        let rows = history_rows("pump1 history", &schema(), &samples);
        assert_eq!(rows.recording.values, vec![1.0, 2.0, 7.0, 8.0]);
        assert_eq!((rows.incomplete, rows.rejected), (2, 1));
        assert_eq!(rows.recording.rows(), 2);
    }

    #[test]
    fn a_refit_is_a_loadable_model_of_the_chosen_kind() {
        let samples: Vec<Sample> = (0..400)
            .map(|i| {
                let x = (i as f64 * 0.37).sin();
                let y = 0.5 * x + (i as f64 * 1.3).cos() * 0.2;
                sample(i, &[("a", x, Quality::Good), ("b", y, Quality::Good)])
            })
            .collect();
        let rows = history_rows("pump1 history", &schema(), &samples);
        for (method, kind) in [(RefitMethod::Default, "default"), (RefitMethod::Pca, "pca")] {
            let bytes = refit_bytes(&rows, method, "journal pump1".into()).unwrap();
            let place = std::path::Path::new("refit");
            let file = crate::ModelFile::from_bytes(&bytes, place).unwrap();
            assert_eq!(file.kind, kind);
            assert_eq!(file.training.rows, 400);
            assert_eq!(file.training.inputs, vec!["journal pump1".to_string()]);
            assert_eq!(file.schema, schema());
        }
        assert_eq!(RefitMethod::parse("dpca"), None);
    }
}
