//! The SKAB outlier-detection protocol behind the current leaderboard
//! (`shared/data/skab/README.md`), exactly:
//!
//! - the 34 labelled files of `valve1/`, `valve2/` and `other/` (the anomaly-free file is not
//!   used); each file is an independent experiment;
//! - per file, the first 400 rows are the training part (labels unused) and the rest the test
//!   part; a detector is fitted on the training part of that file only;
//! - per-point verdicts on the test parts, pooled over all files:
//!   F1 = TP / (TP + (FN + FP) / 2), FAR = FP / (FP + TN) × 100, MAR = FN / (FN + TP) × 100.
//!
//! A detector scores the whole file causally (a test row sees only rows before it, including
//! the training part as warm-up history) and only test-part verdicts are counted. Nothing of a
//! test part, and no label, reaches a fit: [`evaluate`] hands each fit the training prefix alone.

use std::path::{Path, PathBuf};

use faultline_detectors::{DefaultConfig, DefaultModel, LimitMethod, PcaConfig, PcaModel};
use faultline_frames::lag_embed;
use faultline_sources::file::{ReadOptions, read_any};
use faultline_types::Recording;

use crate::{Progress, TrainError};

/// Rows of each file that form the training part.
pub const TRAIN_ROWS: usize = 400;
/// The eight sensor channels, in file order.
pub const CHANNELS: [&str; 8] = [
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
];
const FOLDERS: [&str; 3] = ["valve1", "valve2", "other"];

/// One labelled experiment.
#[derive(Debug, Clone)]
pub struct SkabFile {
    /// Path relative to the data folder, e.g. `valve1/0.csv`.
    pub name: String,
    /// The eight sensor channels, all rows.
    pub values: Recording,
    /// The `anomaly` label per row.
    pub labels: Vec<bool>,
}

/// The 34 labelled files.
#[derive(Debug, Clone)]
pub struct SkabData {
    /// Files in a fixed order (folder, then file number).
    pub files: Vec<SkabFile>,
}

impl SkabData {
    /// Reads `valve1/*.csv`, `valve2/*.csv` and `other/*.csv` under `dir`.
    pub fn load(dir: &Path) -> Result<SkabData, TrainError> {
        let mut paths: Vec<(String, PathBuf)> = Vec::new();
        for folder in FOLDERS {
            let sub = dir.join(folder);
            let entries = std::fs::read_dir(&sub).map_err(|e| {
                TrainError::Dataset(format!(
                    "{}: {e}; pass the SKAB data folder (holding valve1/, valve2/, other/) with --data",
                    sub.display()
                ))
            })?;
            let mut found: Vec<(u32, PathBuf)> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
                .collect();
            found.sort();
            paths.extend(found.into_iter().map(|(k, p)| (format!("{folder}/{k}.csv"), p)));
        }
        if paths.len() != 34 {
            return Err(TrainError::Dataset(format!(
                "{}: found {} labelled files, the protocol expects 34",
                dir.display(),
                paths.len()
            )));
        }
        let options = ReadOptions { time_col: Some("datetime".into()), exclude: Vec::new() };
        let files = paths
            .into_iter()
            .map(|(name, path)| {
                let all = read_any(&path, &options)?;
                let anomaly = all.schema.position("anomaly").ok_or_else(|| {
                    TrainError::Dataset(format!("{}: no `anomaly` column", path.display()))
                })?;
                let labels = all.column(anomaly).iter().map(|v| *v > 0.5).collect();
                let schema = faultline_types::ChannelSchema::from_names(CHANNELS)
                    .map_err(|e| TrainError::Dataset(e.to_string()))?;
                let values = all.select(&schema)?;
                if values.rows() <= TRAIN_ROWS {
                    return Err(TrainError::Dataset(format!(
                        "{}: {} rows, fewer than the {TRAIN_ROWS}-row training part",
                        path.display(),
                        values.rows()
                    )));
                }
                Ok(SkabFile { name, values, labels })
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Ok(SkabData { files })
    }
}

/// One line of `skab.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SkabRow {
    /// Detector name.
    pub method: String,
    /// Pooled F1.
    pub f1: f64,
    /// False-alarm rate, %.
    pub far: f64,
    /// Missed-alarm rate, %.
    pub mar: f64,
}

impl SkabRow {
    /// Pools verdicts and labels of every file's test part. `None` verdicts (warm-up) count as
    /// quiet.
    pub fn from_verdicts(method: &str, parts: &[(Vec<Option<bool>>, Vec<bool>)]) -> SkabRow {
        let (mut tp, mut fp, mut fn_, mut tn) = (0usize, 0usize, 0usize, 0usize);
        for (verdicts, labels) in parts {
            for (v, l) in verdicts.iter().zip(labels) {
                match (v.unwrap_or(false), *l) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    (false, false) => tn += 1,
                }
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        SkabRow {
            method: method.to_string(),
            f1: ratio(2 * tp, 2 * tp + fn_ + fp),
            far: 100.0 * ratio(fp, fp + tn),
            mar: 100.0 * ratio(fn_, fn_ + tp),
        }
    }

    /// `method,f1,far,mar`.
    pub fn csv_header() -> &'static str {
        "method,f1,far,mar"
    }

    /// The row as CSV (F1 with three decimals, rates with two).
    pub fn to_csv(&self) -> String {
        format!("{},{:.3},{:.2},{:.2}", self.method, self.f1, self.far, self.mar)
    }
}

/// A detector under the protocol: fit on a training prefix, give verdicts for every row of the
/// file (the test part is the rows from [`TRAIN_ROWS`] on).
type Detector<'a> = &'a dyn Fn(&Recording, &Recording) -> Result<Vec<Option<bool>>, TrainError>;

/// Runs the protocol for `default` and the PCA T², T²+SPE baselines (90 % variance, 99 %
/// theoretical limits, as in the leaderboard's PCA-based rows). Files are processed in the
/// given order; the result does not depend on it (see the shuffle test).
pub fn evaluate(data: &SkabData, progress: &dyn Progress) -> Result<Vec<SkabRow>, TrainError> {
    let default: Detector = &|train, all| {
        let model = DefaultModel::fit(&train.values, train.channels(), DefaultConfig::default())
            .map_err(|error| fit_error(train, error))?;
        Ok(model.alarms(&all.values))
    };
    let pca = |spe: bool| {
        move |train: &Recording, all: &Recording| -> Result<Vec<Option<bool>>, TrainError> {
            let model = PcaModel::fit(&train.values, train.channels(), PcaConfig::default())
                .map_err(|error| fit_error(train, error))?;
            let stats = model.score_batch(&lag_embed(&all.values, all.channels(), 0));
            let (t2l, spel) = (
                model.t2_limits.get(LimitMethod::Theoretical),
                model.spe_limits.get(LimitMethod::Theoretical),
            );
            Ok(stats
                .t2
                .iter()
                .zip(&stats.spe)
                .map(|(t, s)| Some(*t > t2l || (spe && *s > spel)))
                .collect())
        }
    };
    let (t2, t2_spe) = (pca(false), pca(true));
    let methods: [(&str, Detector); 3] =
        [("default", default), ("pca-t2", &t2), ("pca-t2+spe", &t2_spe)];
    progress.start("SKAB: leaderboard protocol", (methods.len() * data.files.len()) as u64);
    let mut rows = Vec::new();
    for (name, detector) in methods {
        let mut parts = Vec::new();
        for file in &data.files {
            let train = file.values.slice_rows(0, TRAIN_ROWS);
            let verdicts = detector(&train, &file.values)?;
            parts.push((verdicts[TRAIN_ROWS..].to_vec(), file.labels[TRAIN_ROWS..].to_vec()));
            progress.advance(1);
        }
        rows.push(SkabRow::from_verdicts(name, &parts));
    }
    progress.finish();
    Ok(rows)
}

fn fit_error(train: &Recording, error: faultline_detectors::FitError) -> TrainError {
    TrainError::Fit { origin: train.origin.clone(), message: error.to_string(), error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_metrics_follow_the_leaderboard_formulas() {
        // TP 3, FP 1, FN 2, TN 4 over two files.
        let parts = vec![
            (vec![Some(true), Some(true), Some(false), None], vec![true, true, true, false]),
            (
                vec![Some(true), Some(true), Some(false), Some(false), Some(false), Some(false)],
                vec![true, false, true, false, false, false],
            ),
        ];
        let row = SkabRow::from_verdicts("x", &parts);
        assert!((row.f1 - 3.0 / (3.0 + 1.5)).abs() < 1e-12);
        assert!((row.far - 20.0).abs() < 1e-12);
        assert!((row.mar - 40.0).abs() < 1e-12);
        assert_eq!(row.to_csv(), "x,0.667,20.00,40.00");
    }
}
