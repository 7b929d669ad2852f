//! Row-by-row statistics behind the benchmark tables, for the HTML reports.
//!
//! `tep.csv` and `skab.csv` hold rates; an engineer checking them wants the control charts they
//! come from: each statistic per row against its limit, and which channels moved. Those numbers
//! are computed here, beside the protocols and with the same fits, so the report crate only
//! draws. The models are the ones of the table rows they illustrate:
//!
//! - TEP: static PCA with [`PcaConfig::default`] on `d00.dat` and theoretical limits (the
//!   `pca-t2` / `pca-spe` `theoretical` rows), and [`DefaultModel`] with
//!   [`DefaultConfig::default`] (the `default` row). [`TepTraces::rows`] recomputes those rows
//!   from the traces, so a report can say whether its charts reproduce its table.
//! - SKAB: per file, the same two detectors fitted on the file's 400-row training prefix.
//!
//! Contributions are PCA's reconstruction-based contributions (the live scorer's), each
//! statistic's divided by its limit and added, the currency of `Score::top_contributors`:
//! "how many limits' worth" a channel explains.

use faultline_detectors::{DefaultConfig, DefaultModel, LimitMethod, PcaConfig, PcaModel};
use faultline_frames::lag_embed;
use faultline_types::{Recording, StatisticKind};

use crate::skab::{SkabData, SkabRow, TRAIN_ROWS};
use crate::tep::{AlarmTrack, FAULTS, TepData, TepRow};
use crate::{TrainError, fit_recording};

/// One TEP test file, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct TepFileTrace {
    /// File name, e.g. `d01_te.dat`.
    pub name: String,
    /// PCA Hotelling T² per row.
    pub t2: Vec<f64>,
    /// PCA squared prediction error per row.
    pub spe: Vec<f64>,
    /// The `default` detector's combined statistic per row (`None` for warm-up rows).
    pub combined: Vec<Option<f64>>,
    /// Per row and channel (row-major, `channels` per row): T² and SPE contributions, each over
    /// its limit, added.
    pub contributions: Vec<f64>,
}

impl TepFileTrace {
    /// Mean contribution of each channel over rows `from..` (all zeros when the range is
    /// empty).
    pub fn mean_contributions(&self, from: usize, channels: usize) -> Vec<f64> {
        let mut mean = vec![0.0; channels];
        let rows: Vec<&[f64]> = self.contributions.chunks_exact(channels).skip(from).collect();
        for row in &rows {
            mean.iter_mut().zip(row.iter()).for_each(|(m, c)| *m += c);
        }
        let n = rows.len().max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        mean
    }
}

/// The TEP test files scored by the charted models.
#[derive(Debug, Clone, PartialEq)]
pub struct TepTraces {
    /// Channel names in schema order.
    pub channels: Vec<String>,
    /// Principal components the PCA model kept.
    pub components: usize,
    /// PCA T² theoretical limit.
    pub t2_limit: f64,
    /// PCA SPE theoretical limit.
    pub spe_limit: f64,
    /// The `default` detector's limit on its combined statistic.
    pub combined_limit: f64,
    /// `d00_te.dat`.
    pub normal: TepFileTrace,
    /// `d01_te.dat` … `d21_te.dat`.
    pub faults: Vec<TepFileTrace>,
}

impl TepTraces {
    /// The `pca-t2` and `pca-spe` (theoretical) and `default` rows these traces imply, under the
    /// same protocol as `tep.csv`.
    pub fn rows(&self) -> [TepRow; 3] {
        let over = |values: &[f64], limit: f64| -> AlarmTrack {
            values.iter().map(|v| Some(*v > limit)).collect()
        };
        let combined =
            |f: &TepFileTrace| -> AlarmTrack { alarm_track(&f.combined, self.combined_limit) };
        let t2 = |f: &TepFileTrace| over(&f.t2, self.t2_limit);
        let spe = |f: &TepFileTrace| over(&f.spe, self.spe_limit);
        let row = |method: &str, limit: &str, track: &dyn Fn(&TepFileTrace) -> AlarmTrack| {
            let faults: Vec<AlarmTrack> = self.faults.iter().map(track).collect();
            TepRow::from_tracks(method, limit, &track(&self.normal), &faults)
        };
        [
            row("pca-t2", "theoretical", &t2),
            row("pca-spe", "theoretical", &spe),
            row("default", "heldout", &combined),
        ]
    }
}

fn alarm_track(values: &[Option<f64>], limit: f64) -> AlarmTrack {
    values.iter().map(|v| v.map(|v| v > limit)).collect()
}

/// Fits the charted models on `d00.dat` and scores every test file.
pub fn tep_traces(data: &TepData) -> Result<TepTraces, TrainError> {
    let pca = fit_recording(&data.train, PcaConfig::default())?;
    let default = fit_default(&data.train)?;
    let trace = |name: String, recording: &Recording| {
        let stats = pca.score_batch(&lag_embed(&recording.values, recording.channels(), 0));
        TepFileTrace {
            name,
            t2: stats.t2,
            spe: stats.spe,
            combined: default.score_batch(&recording.values),
            contributions: contributions(&pca, recording),
        }
    };
    Ok(TepTraces {
        channels: data.train.schema.channels.iter().map(|c| c.name.clone()).collect(),
        components: pca.components,
        t2_limit: pca.t2_limits.get(LimitMethod::Theoretical),
        spe_limit: pca.spe_limits.get(LimitMethod::Theoretical),
        combined_limit: default.limit,
        normal: trace("d00_te.dat".into(), &data.normal_test),
        faults: (1..=FAULTS)
            .zip(&data.fault_tests)
            .map(|(k, r)| trace(format!("d{k:02}_te.dat"), r))
            .collect(),
    })
}

/// Per-row contributions through the live scorer, so the report shows what an operator sees.
fn contributions(model: &PcaModel, recording: &Recording) -> Vec<f64> {
    let model = model.with_limit(LimitMethod::Theoretical);
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    let mut out = Vec::with_capacity(recording.values.len());
    for frame in recording.values.chunks_exact(recording.channels()) {
        scorer.score(frame, &mut score);
        let t2 = score.statistic(StatisticKind::T2);
        let spe = score.statistic(StatisticKind::Spe);
        for channel in 0..recording.channels() {
            let share = |s: Option<&faultline_types::Statistic>| {
                s.map_or(0.0, |s| s.contributions[channel] / s.limit.max(f64::MIN_POSITIVE))
            };
            out.push(share(t2) + share(spe));
        }
    }
    out
}

/// One SKAB file, row by row, both detectors as `statistic / limit` so they share one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SkabFileTrace {
    /// Path relative to the data folder, e.g. `valve1/0.csv`.
    pub name: String,
    /// The `anomaly` label per row.
    pub labels: Vec<bool>,
    /// `default` combined statistic over its limit (`None` for warm-up rows).
    pub default: Vec<Option<f64>>,
    /// PCA T² over its theoretical limit.
    pub pca_t2: Vec<f64>,
    /// The `default` row of this file alone (test part only).
    pub default_row: SkabRow,
}

/// Fits `default` and PCA on each file's training prefix and scores the whole file, as
/// [`crate::skab::evaluate`] does.
pub fn skab_traces(data: &SkabData) -> Result<Vec<SkabFileTrace>, TrainError> {
    data.files
        .iter()
        .map(|file| {
            let train = file.values.slice_rows(0, TRAIN_ROWS);
            let default = fit_default(&train)?;
            let pca = PcaModel::fit(&train.values, train.channels(), PcaConfig::default())
                .map_err(|error| fit_error(&train, error))?;
            let all = &file.values;
            let t2_limit = pca.t2_limits.get(LimitMethod::Theoretical);
            let stats = pca.score_batch(&lag_embed(&all.values, all.channels(), 0));
            let combined = default.score_batch(&all.values);
            let verdicts = alarm_track(&combined, default.limit);
            let part = (verdicts[TRAIN_ROWS..].to_vec(), file.labels[TRAIN_ROWS..].to_vec());
            Ok(SkabFileTrace {
                name: file.name.clone(),
                labels: file.labels.clone(),
                default: combined.iter().map(|v| v.map(|v| v / default.limit)).collect(),
                pca_t2: stats.t2.iter().map(|v| v / t2_limit).collect(),
                default_row: SkabRow::from_verdicts("default", &[part]),
            })
        })
        .collect()
}

fn fit_default(train: &Recording) -> Result<DefaultModel, TrainError> {
    DefaultModel::fit(&train.values, train.channels(), DefaultConfig::default())
        .map_err(|error| fit_error(train, error))
}

fn fit_error(train: &Recording, error: faultline_detectors::FitError) -> TrainError {
    TrainError::Fit { origin: train.origin.clone(), message: error.to_string(), error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_contributions_average_the_rows_from_the_onset() {
        let trace = TepFileTrace {
            name: "x".into(),
            t2: vec![],
            spe: vec![],
            combined: vec![],
            // Three rows of two channels; rows 1 and 2 average to (4, 5).
            contributions: vec![100.0, 100.0, 3.0, 4.0, 5.0, 6.0],
        };
        assert_eq!(trace.mean_contributions(1, 2), vec![4.0, 5.0]);
        assert_eq!(trace.mean_contributions(9, 2), vec![0.0, 0.0]);
    }

    #[test]
    fn warm_up_rows_never_alarm() {
        assert_eq!(
            alarm_track(&[None, Some(2.0), Some(0.5)], 1.0),
            vec![None, Some(true), Some(false)]
        );
    }
}
