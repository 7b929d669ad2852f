//! `faultline demo --offline`: fit the `default` detector and plain PCA on a synthetic normal
//! run, score runs with injected faults, and show when each detector found each fault and which
//! channels contributed. Needs no data and no server.

use faultline_detectors::PcaConfig;
use faultline_store::TrainingSummary;
use faultline_testkit::{Fault, FaultKind, Plant, PlantConfig, inject};
use faultline_train::{Monitor, fit_default_model, fit_recording};
use faultline_types::Recording;

use crate::args::DemoArgs;

const TRAINING_ROWS: usize = 2_000;
const RUN_ROWS: usize = 600;
const ONSET: usize = 300;

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let plant = Plant::new(PlantConfig { seed: args.seed, ..PlantConfig::default() });
    let names = plant.channel_names();
    let training = plant.normal_run(TRAINING_ROWS, 1);
    let summary = TrainingSummary::default();
    let default = fit_default_model(&training, summary)?.parameters;
    let pca = fit_recording(&training, PcaConfig::default())?;
    println!(
        "faultline demo: a synthetic line of {} sensors driven by {} hidden process factors.",
        names.len(),
        plant.config().factors
    );
    println!("Learned normal operation from {TRAINING_ROWS} samples with two detectors:");
    println!(
        "  default  what `faultline fit` uses: PCA ({} components) with smoothed T²/SPE, \
         per-channel EWMAs and per-sensor checks, one limit {:.2} from held-out rows;",
        default.core.eigenvalues.len(),
        default.limit
    );
    println!(
        "  pca      `--method pca`: {} components ({:.1} % of the variance), T² limit {:.2}, \
         SPE limit {:.2} at 99 % confidence.\n",
        pca.components,
        100.0 * pca.explained_variance(),
        pca.t2_limit(),
        pca.spe_limit()
    );
    println!(
        "Each run below is {RUN_ROWS} samples of normal operation with one fault injected at \
         sample {ONSET}; detected = the first of three alarms in a row.\n"
    );
    println!(
        "{:<34} {:<8} {:>13} {:>9} {:>11}  top contributing channels at detection",
        "fault", "detector", "false alarms", "detected", "delay"
    );
    for (i, (label, fault)) in scenarios(&plant).into_iter().enumerate() {
        let mut run = plant.normal_run(RUN_ROWS, 100 + i as u64);
        inject(&mut run, &fault, 1000 + i as u64);
        let target =
            fault.channels.iter().map(|&c| names[c].as_str()).collect::<Vec<_>>().join("+");
        let label = format!("{label} on {target}");
        let monitors = [("default", Monitor::for_default(&default)), ("pca", Monitor::new(&pca))];
        for (detector, monitor) in monitors {
            let outcome = watch(monitor, &run, &names);
            let false_alarms = outcome.false_alarms;
            match outcome.detection {
                Some((t, top)) => println!(
                    "{label:<34} {detector:<8} {false_alarms:>13} {t:>9} {:>11}  {top}",
                    format!("{} samples", t - ONSET)
                ),
                None => println!(
                    "{label:<34} {detector:<8} {false_alarms:>13} {:>9} {:>11}  -",
                    "no", "-"
                ),
            }
        }
    }
    println!(
        "\nContributions are in multiples of the detector's limit: reconstruction-based for T²/SPE \
         (how much the statistic would fall if that sensor were repaired), the channel's own term \
         for the default detector's per-channel checks.\nNext: `faultline fit --help`, \
         `faultline score --help`, `faultline bench tep --data ../shared/data/tep`."
    );
    Ok(())
}

/// What one detector made of one run.
struct Outcome {
    /// Alarms before the fault's onset.
    false_alarms: usize,
    /// The first of three alarms in a row from the onset, with its top contributors.
    detection: Option<(usize, String)>,
}

fn watch(mut monitor: Monitor, run: &Recording, names: &[String]) -> Outcome {
    let mut score = monitor.new_score();
    let (mut false_alarms, mut detection, mut streak) = (0, None, 0);
    for (t, row) in run.iter_rows().enumerate() {
        monitor.score(row, &mut score);
        if t < ONSET {
            false_alarms += usize::from(score.alarm);
            continue;
        }
        // Detected = three alarms in a row, as in the benchmark protocol.
        streak = if score.alarm { streak + 1 } else { 0 };
        if streak == 3 && detection.is_none() {
            let top: Vec<String> = score
                .top_contributors(3)
                .iter()
                .map(|c| format!("{} ({:.1})", names[c.channel], c.value))
                .collect();
            detection = Some((t - 2, top.join(", ")));
        }
    }
    Outcome { false_alarms, detection }
}

fn scenarios(plant: &Plant) -> Vec<(&'static str, Fault)> {
    let m = plant.config().channels;
    let fault = |kind, channels: Vec<usize>| Fault { kind, channels, onset: ONSET };
    vec![
        ("step +4 sigma", fault(FaultKind::Step { magnitude: 4.0 }, vec![7 % m])),
        ("slow drift", fault(FaultKind::Drift { per_sample: 0.02 }, vec![19 % m])),
        ("variance x3", fault(FaultKind::VarianceChange { factor: 3.0 }, vec![30 % m])),
        ("stuck sensor", fault(FaultKind::Stuck, vec![11 % m])),
        ("correlation break", fault(FaultKind::CorrelationBreak, vec![41 % m, 42 % m])),
    ]
}
