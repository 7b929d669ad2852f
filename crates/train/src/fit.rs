//! Fitting a monitor on a recording and packaging it as a model artifact.

use faultline_detectors::{FitError, PcaConfig, PcaModel};
use faultline_frames::lag_embed;
use faultline_store::{ModelArtifact, TrainingSummary};
use faultline_types::Recording;

use crate::{Monitor, MonitorModel, TrainError};

/// The detectors `faultline fit --method` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Static PCA.
    Pca,
    /// Dynamic PCA (PCA on lag-embedded frames).
    Dpca,
}

impl Method {
    /// The artifact `kind` and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Pca => "pca",
            Method::Dpca => "dpca",
        }
    }

    /// Parses an artifact `kind`.
    pub fn from_kind(kind: &str) -> Option<Method> {
        match kind {
            "pca" => Some(Method::Pca),
            "dpca" => Some(Method::Dpca),
            _ => None,
        }
    }
}

/// A detection model file's content: a PCA-family or `default` model with its schema and
/// training summary (what `faultline score` and the live engine load).
pub type ModelFile = ModelArtifact<MonitorModel>;

/// Checks a loaded model file as a whole: its parameters ([`MonitorModel::check`]) and that its
/// channel list names exactly the model's channels. The checksum only proves the bytes are the
/// ones written; a file from a faulty writer (or built by hand) with a channel list of another
/// length would frame nothing, or make the frames stage refuse its own model.
pub fn check_model_file(file: &ModelFile) -> Result<(), String> {
    file.parameters.check().map_err(|e| e.to_string())?;
    let (named, channels) = (file.schema.len(), file.parameters.channels());
    if named != channels {
        return Err(format!(
            "the model file names {named} channels but its model has {channels}: the file is \
             inconsistent; fit it again"
        ));
    }
    Ok(())
}

/// Fits on a recording: lag-embeds it when `config.lags > 0`, and turns detector errors into
/// messages that name channels instead of column numbers.
pub fn fit_recording(recording: &Recording, config: PcaConfig) -> Result<PcaModel, TrainError> {
    let m = recording.channels();
    let embedded = lag_embed(&recording.values, m, config.lags);
    PcaModel::fit(&embedded, m, config).map_err(|error| {
        let message = match &error {
            FitError::ConstantChannel { channel, value } => format!(
                "channel \"{}\" is constant ({value}) in the training data; exclude it with --exclude",
                recording.schema.channels[*channel].name
            ),
            FitError::NonFinite { row, channel } => format!(
                "row {} of channel \"{}\" is not a finite number",
                row + config.lags + 1,
                recording.schema.channels[channel % m].name
            ),
            other => other.to_string(),
        };
        TrainError::Fit { origin: recording.origin.clone(), message, error }
    })
}

/// Fits and packages a model file. `inputs`, `time_column` and `excluded` are recorded in the
/// training summary as given.
pub fn fit_model(
    recording: &Recording,
    method: Method,
    config: PcaConfig,
    summary: TrainingSummary,
) -> Result<ModelFile, TrainError> {
    let config = match method {
        Method::Pca => PcaConfig { lags: 0, ..config },
        Method::Dpca => config,
    };
    let model = fit_recording(recording, config)?;
    let training_alarm_rate = Monitor::alarm_rate(&model, recording);
    Ok(ModelArtifact {
        kind: method.as_str().to_string(),
        schema: recording.schema.clone(),
        training: TrainingSummary {
            rows: recording.rows(),
            training_alarm_rate,
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            ..summary
        },
        parameters: MonitorModel::Pca(model),
    })
}
