//! `faultline fit`: learn normal operation and write a model file.

use anyhow::{Context, bail};
use faultline_detectors::{ComponentRule, LimitMethod, PcaConfig};
use faultline_sources::file::ReadOptions;
use faultline_store::TrainingSummary;
use faultline_train::{Method, fit_model, load_inputs};

use crate::args::{FitArgs, LimitArg, MethodArg};

/// Lags used by `--method dpca` when `--lags` is not given (Ku et al. 1995: 2 suffice for most
/// continuous processes, including the Tennessee Eastman benchmark).
const DEFAULT_LAGS: usize = 2;

pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    if matches!(args.method, MethodArg::Default | MethodArg::Classify) {
        return super::fit_default::run(args);
    }
    if !args.labels.is_empty() {
        bail!("--labels applies to --method classify only");
    }
    let (method, lags) = match (args.method, args.lags) {
        (MethodArg::Pca, Some(_)) => bail!("--lags applies to --method dpca only"),
        (MethodArg::Pca, None) => (Method::Pca, 0),
        (MethodArg::Dpca, lags) => (Method::Dpca, lags.unwrap_or(DEFAULT_LAGS)),
        (MethodArg::Default | MethodArg::Classify, _) => unreachable!("handled above"),
    };
    // Flags not given keep `PcaConfig::default()` (90 % variance, 99 %, theoretical): what
    // `fit` did before `default` became its method.
    let defaults = PcaConfig::default();
    let config = PcaConfig {
        components: match (args.components, args.variance) {
            (Some(n), _) => ComponentRule::Fixed(n),
            (None, Some(variance)) => ComponentRule::Variance(variance),
            (None, None) => defaults.components,
        },
        confidence: args.confidence.unwrap_or(defaults.confidence),
        limit: args.limit.map_or(defaults.limit, limit_method),
        lags,
    };
    let options = read_options(&args.input_args);
    let recording = load_inputs(&args.input, &options)?;
    let summary = TrainingSummary {
        inputs: args.input.iter().map(|p| p.display().to_string()).collect(),
        time_column: options.time_col.clone(),
        excluded: options.exclude.clone(),
        ..TrainingSummary::default()
    };
    let artifact = fit_model(&recording, method, config, summary)?;
    artifact.save(&args.model).with_context(|| "writing the model file")?;

    let model = artifact.parameters.as_pca().context("--method pca|dpca fits a PCA model")?;
    println!("model      {} ({})", args.model.display(), artifact.kind);
    println!(
        "training   {} rows x {} channels from {}",
        recording.rows(),
        recording.channels(),
        recording.origin
    );
    if lags > 0 {
        println!("lags       {lags}");
    }
    println!(
        "components {} of {} ({:.1} % of the variance)",
        model.components,
        model.width(),
        100.0 * model.explained_variance()
    );
    println!(
        "limits     T² {:.3} (theoretical) / {:.3} (empirical); SPE {:.3} / {:.3}; alarming on {} at {} confidence",
        model.t2_limits.theoretical,
        model.t2_limits.empirical,
        model.spe_limits.theoretical,
        model.spe_limits.empirical,
        model.config.limit.as_str(),
        model.config.confidence
    );
    println!("alarms     {:.2} % of training rows", artifact.training.training_alarm_rate);
    Ok(())
}

pub fn limit_method(limit: LimitArg) -> LimitMethod {
    match limit {
        LimitArg::Theoretical => LimitMethod::Theoretical,
        LimitArg::Empirical => LimitMethod::Empirical,
    }
}

pub fn read_options(args: &crate::args::InputArgs) -> ReadOptions {
    ReadOptions { time_col: args.time_col.clone(), exclude: args.exclude.clone() }
}
