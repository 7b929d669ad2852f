//! A monitor for a stream of raw frames, over any detection model a model file can hold: PCA and
//! dynamic PCA (lag window plus `PcaScorer`) or the `default` detector (`DefaultScorer`).

use faultline_detectors::{DefaultModel, DefaultScorer, InvalidModel, PcaModel, PcaScorer};
use faultline_frames::LagWindow;
use faultline_types::{Recording, Score};
use serde::{Deserialize, Deserializer, Serialize};

/// The parameters of a detection model file: what `faultline score` and the live engine score.
///
/// Serialised as the inner model alone (the artifact's `kind` names it), so a `pca` file is byte
/// for byte what it was before the `default` detector could be scored, and a `default` file is
/// what `fit_default_model` writes. Reading tells them apart by their fields (`core` only in a
/// `default` model) and reports the field errors of the model it recognised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MonitorModel {
    /// PCA or dynamic PCA (`kind` `pca` or `dpca`).
    Pca(PcaModel),
    /// The `default` detector (`kind` `default`).
    Default(Box<DefaultModel>),
}

impl<'de> Deserialize<'de> for MonitorModel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        let parsed = if value.get("core").is_some() {
            serde_json::from_value(value).map(|model| MonitorModel::Default(Box::new(model)))
        } else if value.get("loadings").is_some() {
            serde_json::from_value(value).map(MonitorModel::Pca)
        } else {
            return Err(D::Error::custom("not a detection model (pca, dpca or default)"));
        };
        parsed.map_err(D::Error::custom)
    }
}

impl MonitorModel {
    /// The artifact kind these parameters belong to.
    pub fn kind(&self) -> &'static str {
        match self {
            MonitorModel::Pca(model) if model.lags() > 0 => "dpca",
            MonitorModel::Pca(_) => "pca",
            MonitorModel::Default(_) => "default",
        }
    }

    /// Checks internal consistency, as a loaded artifact must pass before it is trusted.
    pub fn check(&self) -> Result<(), InvalidModel> {
        match self {
            MonitorModel::Pca(model) => model.check(),
            MonitorModel::Default(model) => model.check(),
        }
    }

    /// Channels of a raw frame.
    pub fn channels(&self) -> usize {
        match self {
            MonitorModel::Pca(model) => model.channels,
            MonitorModel::Default(model) => model.channels,
        }
    }

    /// The value imputed per raw channel before it has delivered a usable one: its training
    /// mean, so it contributes (almost) nothing.
    pub fn fallback(&self) -> Vec<f64> {
        match self {
            MonitorModel::Pca(model) => model.mean[..model.channels].to_vec(),
            MonitorModel::Default(model) => model.fallback(),
        }
    }

    /// The longest run of one repeated value a `default` model's frozen-value check still
    /// counts as normal, in frames (0 for PCA and for models without the check): how far back
    /// a restarted detector must be warmed for its runs to come back where they were.
    pub fn longest_frozen_limit(&self) -> usize {
        match self {
            MonitorModel::Pca(_) => 0,
            MonitorModel::Default(model) => {
                model.frozen_limit.iter().max().map_or(0, |l| *l as usize)
            }
        }
    }

    /// The PCA model, when it is one.
    pub fn as_pca(&self) -> Option<&PcaModel> {
        match self {
            MonitorModel::Pca(model) => Some(model),
            MonitorModel::Default(_) => None,
        }
    }
}

/// Scores raw frames (one value per schema channel) one at a time. Frames that only warm the
/// detector up (the first `lags` of dynamic PCA; the first of a `default` model with differenced
/// channels) give a score with `ready == false`.
///
/// For a `default` model the score's T² and SPE carry the combined statistic split in two, both
/// against its one limit (see `DefaultScorer`).
#[derive(Debug, Clone)]
pub struct Monitor {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Pca { window: LagWindow, scorer: PcaScorer },
    Default(DefaultScorer),
}

impl Monitor {
    /// A monitor over a fitted PCA-family model.
    pub fn new(model: &PcaModel) -> Self {
        let window = LagWindow::new(model.channels, model.lags());
        Monitor { inner: Inner::Pca { window, scorer: model.scorer() } }
    }

    /// A monitor over any detection model.
    pub fn for_model(model: &MonitorModel) -> Self {
        match model {
            MonitorModel::Pca(model) => Monitor::new(model),
            MonitorModel::Default(model) => Monitor::for_default(model),
        }
    }

    /// A monitor over a `default` detector.
    pub fn for_default(model: &DefaultModel) -> Self {
        Monitor { inner: Inner::Default(model.scorer()) }
    }

    /// A reusable score for [`Monitor::score`].
    pub fn new_score(&self) -> Score {
        match &self.inner {
            Inner::Pca { scorer, .. } => scorer.new_score(),
            Inner::Default(scorer) => scorer.new_score(),
        }
    }

    /// Scores the next frame, every value of it measured, into `out` without allocating.
    pub fn score(&mut self, frame: &[f64], out: &mut Score) {
        self.score_measured(frame, &[], out);
    }

    /// [`Monitor::score`] for a live frame: `measured[j]` is false where channel `j`'s value was
    /// imputed (carried forward), which the `default` detector's frozen-value check must not
    /// count as the sensor repeating itself. Empty: every value measured.
    pub fn score_measured(&mut self, frame: &[f64], measured: &[bool], out: &mut Score) {
        match &mut self.inner {
            Inner::Pca { window, scorer } => match window.push(frame) {
                Some(embedded) => scorer.score(embedded, out),
                None => {
                    out.ready = false;
                    out.alarm = false;
                }
            },
            Inner::Default(scorer) => scorer.score_measured(frame, measured, out),
        }
    }

    /// Share of a recording's scored rows that alarm, in %.
    pub fn alarm_rate(model: &PcaModel, recording: &Recording) -> f64 {
        Monitor::new(model).rate(recording)
    }

    /// Share of a recording's scored rows that alarm, in %, scored from this monitor's state.
    pub fn rate(mut self, recording: &Recording) -> f64 {
        let mut score = self.new_score();
        let (mut scored, mut alarms) = (0usize, 0usize);
        for row in recording.iter_rows() {
            self.score(row, &mut score);
            scored += usize::from(score.ready);
            alarms += usize::from(score.alarm);
        }
        if scored == 0 { 0.0 } else { 100.0 * alarms as f64 / scored as f64 }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use faultline_store::{ModelArtifact, TrainingSummary};
    use faultline_types::{ChannelSchema, Recording};

    use super::*;
    use crate::{Method, ModelFile, fit_default_model, fit_model};

    fn recording() -> Recording {
        let values: Vec<f64> = (0..300 * 3)
            .map(|i| {
                let (row, j) = ((i / 3) as f64, i % 3);
                (row * 0.37 + j as f64).sin() + 0.5 * (row * 1.3 * (j + 1) as f64).cos()
            })
            .collect();
        let schema = ChannelSchema::from_names(["a", "b", "c"]).unwrap();
        Recording::new("synthetic", schema, None, values).unwrap()
    }

    #[test]
    fn model_files_of_both_kinds_load_and_score_like_their_detector() {
        let recording = recording();
        let summary = TrainingSummary::default();
        let pca = fit_model(&recording, Method::Pca, Default::default(), summary.clone()).unwrap();
        let default = fit_default_model(&recording, summary).unwrap();
        let default_bytes = default.to_bytes();
        for (bytes, kind) in [(pca.to_bytes(), "pca"), (default_bytes.clone(), "default")] {
            let file = ModelFile::from_bytes(&bytes, Path::new("m.flm")).unwrap();
            assert_eq!((file.kind.as_str(), file.parameters.kind()), (kind, kind));
            file.parameters.check().unwrap();
            assert_eq!(file.to_bytes(), bytes, "a {kind} file round-trips byte for byte");
        }
        let file = ModelFile::from_bytes(&default_bytes, Path::new("m.flm")).unwrap();
        let mut monitor = Monitor::for_model(&file.parameters);
        let mut score = monitor.new_score();
        let batch = default.parameters.score_batch(&recording.values);
        for (row, expected) in recording.iter_rows().zip(batch) {
            monitor.score(row, &mut score);
            assert_eq!(score.ready, expected.is_some());
            if let Some(expected) = expected {
                assert!((DefaultScorer::combined(&score) - expected).abs() < 1e-9);
            }
        }
    }

    /// A `default` model fitted before the frozen-value share existed (its rule without
    /// `max_share`) still loads, with every channel checked as it was fitted.
    #[test]
    fn a_default_model_without_the_frozen_share_loads_as_fitted() {
        let default = fit_default_model(&recording(), TrainingSummary::default()).unwrap();
        let mut value = serde_json::to_value(&default.parameters).unwrap();
        let rule = value["config"]["frozen"].as_object_mut().unwrap();
        assert!(rule.remove("max_share").is_some());
        let parsed: MonitorModel = serde_json::from_value(value).unwrap();
        parsed.check().unwrap();
        let MonitorModel::Default(model) = parsed else { panic!("a default model") };
        assert_eq!(model.config.frozen.unwrap().max_share, 1.0);
        assert_eq!(model.frozen_limit, default.parameters.frozen_limit);
    }

    /// A `default` model fitted before the forward calibration (no `forward_origins`, no
    /// `calibration`) loads and keeps the limit it was fitted with; one with only half of the
    /// pair is refused.
    #[test]
    fn a_default_model_without_the_forward_calibration_loads_as_fitted() {
        let default = fit_default_model(&recording(), TrainingSummary::default()).unwrap();
        let mut value = serde_json::to_value(&default.parameters).unwrap();
        assert!(value["config"].as_object_mut().unwrap().remove("forward_origins").is_some());
        let half: MonitorModel = serde_json::from_value(value.clone()).unwrap();
        let error = half.check().unwrap_err().to_string();
        assert!(error.contains("forward origins must come together"), "{error}");
        assert!(value.as_object_mut().unwrap().remove("calibration").is_some());
        let parsed: MonitorModel = serde_json::from_value(value).unwrap();
        parsed.check().unwrap();
        let MonitorModel::Default(model) = parsed else { panic!("a default model") };
        assert_eq!(model.limit, default.parameters.limit);
        assert_eq!(model.calibration, None);
    }

    /// A file whose channel list does not match its model (a faulty writer, or built by hand)
    /// passed the checksum and `check()`: the live engine's frames stage then refused it with
    /// a panic. It is refused when loaded, with the reason (found by review).
    #[test]
    fn a_file_whose_channel_list_does_not_match_its_model_is_refused() {
        let recording = recording();
        let mut file =
            fit_model(&recording, Method::Pca, Default::default(), TrainingSummary::default())
                .unwrap();
        crate::check_model_file(&file).unwrap();
        file.schema = ChannelSchema::from_names(["a", "b"]).unwrap();
        let loaded = ModelFile::from_bytes(&file.to_bytes(), Path::new("m.flm")).unwrap();
        let error = crate::check_model_file(&loaded).unwrap_err();
        assert!(error.contains("names 2 channels but its model has 3"), "{error}");
    }

    #[test]
    fn a_payload_that_is_no_detection_model_is_named() {
        let artifact = ModelArtifact {
            kind: "classify".to_string(),
            schema: ChannelSchema::from_names(["a"]).unwrap(),
            training: TrainingSummary::default(),
            parameters: serde_json::json!({ "labels": [0, 1] }),
        };
        let error = ModelFile::from_bytes(&artifact.to_bytes(), Path::new("m.flm")).unwrap_err();
        assert!(error.to_string().contains("not a detection model"), "{error}");
    }
}
