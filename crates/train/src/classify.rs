//! The TEP fault-classification protocol (`shared/data/tep/PROTOCOL.md`, "Fault classification"):
//!
//! - train on `d00.dat` (label 0) and `d01.dat` … `d21.dat` (label k; every row is post-onset);
//! - test on rows 161–960 of each `dk_te.dat` (label k) and all rows of `d00_te.dat` (label 0);
//!   each test file is classified from its first row on (causally), and only the rows above are
//!   counted;
//! - overall accuracy, per-class recall and the confusion matrix, over all 22 classes and without
//!   IDV 3, 9 and 15 (rows whose true class is 3, 9 or 15 are left out; predictions of those
//!   classes for other rows still count as errors).

use std::path::Path;

use faultline_detectors::classify::{ClassifyConfig, FaultClassifier};
use faultline_sources::file::read_tep;
use faultline_types::Recording;

use crate::TrainError;
use crate::tep::{FAULT_ONSET, FAULTS, TepData};

/// Classes left out of the `excl-3-9-15` scope.
pub const HARD_CLASSES: [u32; 3] = [3, 9, 15];

/// Result of the classification protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyReport {
    /// `confusion[true][predicted]`, classes 0..=21.
    pub confusion: Vec<Vec<usize>>,
}

impl ClassifyReport {
    /// Overall accuracy in %, over the true classes `keep` accepts.
    pub fn accuracy(&self, keep: impl Fn(u32) -> bool) -> f64 {
        let (mut right, mut all) = (0usize, 0usize);
        for (t, row) in self.confusion.iter().enumerate() {
            if keep(t as u32) {
                right += row[t];
                all += row.iter().sum::<usize>();
            }
        }
        if all == 0 { 0.0 } else { 100.0 * right as f64 / all as f64 }
    }

    /// Recall of each class in %.
    pub fn recall(&self) -> Vec<f64> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(t, row)| {
                let n: usize = row.iter().sum();
                if n == 0 { 0.0 } else { 100.0 * row[t] as f64 / n as f64 }
            })
            .collect()
    }

    /// `tep_classify.csv`: `scope,accuracy` with rows `all` and `excl-3-9-15`.
    pub fn to_csv(&self) -> String {
        format!(
            "scope,accuracy\nall,{:.2}\nexcl-3-9-15,{:.2}\n",
            self.accuracy(|_| true),
            self.accuracy(|c| !HARD_CLASSES.contains(&c))
        )
    }
}

/// Reads `d01.dat` … `d21.dat` (the fault training runs) from `dir`.
pub fn load_fault_training(dir: &Path) -> Result<Vec<Recording>, TrainError> {
    (1..=FAULTS).map(|k| Ok(read_tep(&dir.join(format!("d{k:02}.dat")))?)).collect()
}

/// Fits the classifier on the training runs and applies the protocol to the test files.
pub fn evaluate(
    data: &TepData,
    fault_training: &[Recording],
) -> Result<ClassifyReport, TrainError> {
    let mut runs: Vec<(u32, &[f64])> = vec![(0, &data.train.values)];
    runs.extend(fault_training.iter().enumerate().map(|(k, r)| (k as u32 + 1, &r.values[..])));
    let model = FaultClassifier::fit(&runs, data.train.channels(), ClassifyConfig::default())
        .map_err(|error| TrainError::Fit {
            origin: "d00.dat + d01.dat … d21.dat".into(),
            message: error.to_string(),
            error,
        })?;
    let classes = FAULTS + 1;
    let mut confusion = vec![vec![0usize; classes]; classes];
    let mut count = |truth: usize, recording: &Recording, from: usize| {
        for verdict in &model.classify(&recording.values)[from..] {
            confusion[truth][verdict.label as usize] += 1;
        }
    };
    count(0, &data.normal_test, 0);
    for (k, recording) in data.fault_tests.iter().enumerate() {
        count(k + 1, recording, FAULT_ONSET);
    }
    Ok(ClassifyReport { confusion })
}
