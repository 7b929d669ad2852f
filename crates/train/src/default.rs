//! Fitting the `default` detector and the fault classifier into model artifacts.

use faultline_detectors::classify::{ClassifyConfig, FaultClassifier};
use faultline_detectors::{DefaultConfig, DefaultModel, FitError};
use faultline_store::{ModelArtifact, TrainingSummary};
use faultline_types::Recording;

use crate::TrainError;

/// A model file holding the `default` detector.
pub type DefaultModelFile = ModelArtifact<DefaultModel>;
/// A model file holding the fault classifier.
pub type ClassifierFile = ModelArtifact<FaultClassifier>;

fn fit_error(origin: &str, error: FitError) -> TrainError {
    TrainError::Fit { origin: origin.to_string(), message: error.to_string(), error }
}

/// Fits the `default` detector ([`DefaultConfig::default`]) on one recording of normal operation
/// (rows in time order) and packages it; the training alarm rate is that of the final model on
/// its own training rows.
pub fn fit_default_model(
    recording: &Recording,
    summary: TrainingSummary,
) -> Result<DefaultModelFile, TrainError> {
    let model =
        DefaultModel::fit(&recording.values, recording.channels(), DefaultConfig::default())
            .map_err(|e| fit_error(&recording.origin, e))?;
    let verdicts = model.alarms(&recording.values);
    let scored = verdicts.iter().flatten().count().max(1);
    let alarms = verdicts.iter().flatten().filter(|a| **a).count();
    Ok(ModelArtifact {
        kind: "default".into(),
        schema: recording.schema.clone(),
        training: TrainingSummary {
            rows: recording.rows(),
            training_alarm_rate: 100.0 * alarms as f64 / scored as f64,
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            ..summary
        },
        parameters: model,
    })
}

/// Fits the fault classifier on labelled runs (one label per recording; 0 is normal operation).
/// Every recording must have the first one's channels, in the same order.
pub fn fit_classifier_model(
    runs: &[(u32, Recording)],
    summary: TrainingSummary,
) -> Result<ClassifierFile, TrainError> {
    let (_, first) = runs.first().ok_or(TrainError::NoInput)?;
    let mut aligned = Vec::with_capacity(runs.len());
    for (label, recording) in runs {
        aligned.push((*label, recording.select(&first.schema)?));
    }
    let borrowed: Vec<(u32, &[f64])> = aligned.iter().map(|(l, r)| (*l, &r.values[..])).collect();
    let model = FaultClassifier::fit(&borrowed, first.channels(), ClassifyConfig::default())
        .map_err(|e| fit_error(&first.origin, e))?;
    let (mut right, mut all) = (0usize, 0usize);
    for (label, recording) in &aligned {
        let verdicts = model.classify(&recording.values);
        right += verdicts.iter().filter(|v| v.label == *label).count();
        all += verdicts.len();
    }
    Ok(ModelArtifact {
        kind: "classify".into(),
        schema: first.schema.clone(),
        training: TrainingSummary {
            rows: aligned.iter().map(|(_, r)| r.rows()).sum(),
            // For a classifier: share of training frames classified wrongly, in %.
            training_alarm_rate: 100.0 * (all - right) as f64 / all.max(1) as f64,
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            ..summary
        },
        parameters: model,
    })
}
