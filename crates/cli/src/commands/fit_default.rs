//! `faultline fit --method default|classify`: the default detector and the fault classifier.

use anyhow::{Context, bail};
use faultline_detectors::MAX_AHEAD_RATIO;
use faultline_store::TrainingSummary;
use faultline_train::{fit_classifier_model, fit_default_model, load_inputs};

use super::fit::read_options;
use crate::args::{FitArgs, MethodArg};

/// Training rows per channel under which `fit` says that the limit is wide for want of rows
/// (TEP `d00` cut to 300 rows of 52 channels: its limit × 1.15 on the same process; at 500
/// rows the two held-out quantiles agree).
const THIN_ROWS_PER_CHANNEL: usize = 10;

fn method_name(method: MethodArg) -> &'static str {
    match method {
        MethodArg::Default => "default",
        MethodArg::Classify => "classify",
        MethodArg::Pca => "pca",
        MethodArg::Dpca => "dpca",
    }
}

pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    let pca_only = [
        ("--variance", args.variance.is_some()),
        ("--components", args.components.is_some()),
        ("--lags", args.lags.is_some()),
        ("--confidence", args.confidence.is_some()),
        ("--limit", args.limit.is_some()),
    ];
    if let Some((flag, _)) = pca_only.iter().find(|(_, given)| *given) {
        // Before `default` became the method of a plain `fit`, these flags tuned PCA; say so
        // rather than silently ignoring them.
        bail!(
            "{flag} applies to --method pca|dpca only (the method is `{}`; add --method pca \
             for PCA)",
            method_name(args.method)
        );
    }
    let options = read_options(&args.input_args);
    let summary = TrainingSummary {
        inputs: args.input.iter().map(|p| p.display().to_string()).collect(),
        time_column: options.time_col.clone(),
        excluded: options.exclude.clone(),
        ..TrainingSummary::default()
    };
    if args.method == MethodArg::Default {
        if !args.labels.is_empty() {
            bail!("--labels applies to --method classify only");
        }
        let recording = load_inputs(&args.input, &options)?;
        let artifact = fit_default_model(&recording, summary)?;
        artifact.save(&args.model).with_context(|| "writing the model file")?;
        let model = &artifact.parameters;
        println!("model      {} (default)", args.model.display());
        println!("training   {} rows x {} channels", recording.rows(), recording.channels());
        let drifting: Vec<&str> = recording
            .schema
            .names()
            .zip(&model.differenced)
            .filter(|(_, d)| **d)
            .map(|(n, _)| n)
            .collect();
        let level_check = match model.config.level_sigmas {
            Some(sigmas) if !drifting.is_empty() => {
                format!("; each still alarms beyond {sigmas} σ of its training level")
            }
            _ => String::new(),
        };
        if drifting.is_empty() {
            println!("drifting   none");
        } else {
            println!("drifting   {} (differenced{level_check})", drifting.join(", "));
        }
        println!("components {}", model.core.eigenvalues.len());
        match model.calibration {
            Some(c) => {
                let origins: Vec<String> = (model.config.forward_origins.iter().flatten())
                    .map(|o| format!("{:.0} %", 100.0 * o))
                    .collect();
                let set_by = if c.ahead > c.between_blocks {
                    "the rows ahead set it (docs/detection.md, step 4)"
                } else {
                    "the blocks set it"
                };
                println!(
                    "limit      {:.3} (held-out quantiles: between {} time blocks {:.3}, on the \
                     rows after {} of the training rows {:.3}; {set_by})",
                    model.limit,
                    model.config.folds,
                    c.between_blocks,
                    origins.join(", "),
                    c.ahead
                );
            }
            None => println!(
                "limit      {:.3} (held-out {}-block calibration)",
                model.limit, model.config.folds
            ),
        }
        println!("alarms     {:.2} % of training rows", artifact.training.training_alarm_rate);
        if let Some(c) = model.calibration.filter(|c| c.bounded()) {
            println!(
                "note       the rows ahead read {:.0} times the blocks' quantile, so the limit \
                 took its bound ({MAX_AHEAD_RATIO} times): the training rows change regime (a \
                 channel held still, then moving?); fit on the rows after the change",
                c.ahead / c.between_blocks
            );
        }
        if recording.rows() < THIN_ROWS_PER_CHANNEL * recording.channels() {
            println!(
                "note       {} rows for {} channels: the held-out models are thin and the limit \
                 wide (fewer false alarms, later detection); fit on at least {} rows for a \
                 tighter one",
                recording.rows(),
                recording.channels(),
                THIN_ROWS_PER_CHANNEL * recording.channels()
            );
        }
        return Ok(());
    }
    if args.labels.len() != args.input.len() {
        bail!(
            "--method classify needs one --labels value per --input file ({} inputs, {} labels)",
            args.input.len(),
            args.labels.len()
        );
    }
    let runs = args
        .input
        .iter()
        .zip(&args.labels)
        .map(|(path, label)| Ok((*label, load_inputs(std::slice::from_ref(path), &options)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let artifact = fit_classifier_model(&runs, summary)?;
    artifact.save(&args.model).with_context(|| "writing the model file")?;
    println!("model      {} (classify)", args.model.display());
    println!("classes    {:?}", artifact.parameters.labels);
    println!("training   {} rows in {} runs", artifact.training.rows, runs.len());
    println!(
        "errors     {:.2} % of training rows misclassified",
        artifact.training.training_alarm_rate
    );
    Ok(())
}
