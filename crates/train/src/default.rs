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
///
/// A channel constant in the training rows is refused, as `--method pca` refuses it: the
/// detector itself would ignore it, so a later change on it could never alarm, and a user
/// should decide that with `--exclude` rather than learn it from a missed fault. (The benchmark
/// protocols call [`DefaultModel::fit`] directly and keep its silent rule.)
pub fn fit_default_model(
    recording: &Recording,
    summary: TrainingSummary,
) -> Result<DefaultModelFile, TrainError> {
    refuse_constant_channels(recording)?;
    let model =
        DefaultModel::fit(&recording.values, recording.channels(), DefaultConfig::default())
            .map_err(|e| fit_error(&recording.origin, e))?;
    refuse_constant_steps(recording, &model.differenced)?;
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

/// Relative standard deviation under which a training channel counts as constant (the rule of
/// `PcaModel::fit`).
const CONSTANT_RELATIVE_STD: f64 = 1e-12;

fn refuse_constant_channels(recording: &Recording) -> Result<(), TrainError> {
    let (m, n) = (recording.channels(), recording.rows());
    for (j, channel) in recording.schema.channels.iter().enumerate() {
        let column = || recording.values.iter().skip(j).step_by(m);
        let mean = column().sum::<f64>() / n.max(1) as f64;
        let var = column().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n.max(2) - 1) as f64;
        if n > 0 && var.sqrt() <= CONSTANT_RELATIVE_STD * mean.abs().max(1.0) {
            let message = format!(
                "channel \"{}\" is constant ({mean}) in the training data; exclude it with --exclude",
                channel.name
            );
            let error = FitError::ConstantChannel { channel: j, value: mean };
            return Err(TrainError::Fit { origin: recording.origin.clone(), message, error });
        }
    }
    Ok(())
}

/// The detector feeds a channel that drifts in the training rows as its first difference. A
/// channel whose difference is constant (a counter, a totaliser, an evenly sampled clock) would
/// then enter as a constant and be ignored: a jump or a stop on it could never alarm. Refused
/// like a constant channel, for the user to decide (found by review).
fn refuse_constant_steps(recording: &Recording, differenced: &[bool]) -> Result<(), TrainError> {
    let (m, n) = (recording.channels(), recording.rows());
    for (j, channel) in recording.schema.channels.iter().enumerate() {
        if !differenced.get(j).copied().unwrap_or(false) || n < 3 {
            continue;
        }
        let column: Vec<f64> = recording.values.iter().skip(j).step_by(m).copied().collect();
        let steps: Vec<f64> = column.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = steps.iter().sum::<f64>() / steps.len() as f64;
        let var =
            steps.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / (steps.len() - 1) as f64;
        if var.sqrt() <= CONSTANT_RELATIVE_STD * mean.abs().max(1.0) {
            let message = format!(
                "channel \"{}\" changes by the same step ({mean}) every row of the training data \
                 (a counter or a clock?): the detector would ignore it; exclude it with --exclude, \
                 or name it with --time-col",
                channel.name
            );
            let error = FitError::ConstantChannel { channel: j, value: mean };
            return Err(TrainError::Fit { origin: recording.origin.clone(), message, error });
        }
    }
    Ok(())
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
