//! The order of test files must not change any number: every fitted parameter and limit comes
//! from training data only, and each test file is scored from a fresh state. These tests run the
//! protocols on the shared data (skipped with a note when it is absent) with the test files in
//! a shuffled order and compare every figure.

use std::path::PathBuf;

use crate::NoProgress;
use crate::classify;
use crate::skab::{self, SkabData};
use crate::tep::{self, FAULTS, TepData, TepRow};

fn shared(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} not found", dir.display());
        None
    }
}

/// A fixed permutation of `0..n` that moves every element (stride coprime with n, then reversed).
fn permutation(n: usize) -> Vec<usize> {
    let stride = (2..n).find(|s| gcd(*s, n) == 1 && *s > n / 3).unwrap_or(1);
    let mut p: Vec<usize> = (0..n).map(|i| (i * stride + 3) % n).collect();
    p.reverse();
    p
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[test]
fn tep_default_row_does_not_depend_on_test_file_order() {
    let Some(dir) = shared("tep") else { return };
    let data = TepData::load(&dir).unwrap();
    let row = tep::evaluate_default(&data).unwrap();
    let order = permutation(FAULTS);
    let mut shuffled = data.clone();
    shuffled.fault_tests = order.iter().map(|&k| data.fault_tests[k].clone()).collect();
    let permuted = tep::evaluate_default(&shuffled).unwrap();
    // Undo the permutation on the per-fault figures and compare everything.
    let mut fdr = [0.0; FAULTS];
    let mut delay = [None; FAULTS];
    for (position, &k) in order.iter().enumerate() {
        fdr[k] = permuted.fdr[position];
        delay[k] = permuted.delay[position];
    }
    let restored = TepRow { fdr, delay, ..permuted.clone() };
    assert_eq!(restored, row);
    assert_eq!(permuted.far_pre, row.far_pre);
}

#[test]
fn skab_rows_do_not_depend_on_file_order() {
    let Some(dir) = shared("skab") else { return };
    let data = SkabData::load(&dir).unwrap();
    let rows = skab::evaluate(&data, &NoProgress).unwrap();
    let order = permutation(data.files.len());
    let shuffled = SkabData { files: order.iter().map(|&k| data.files[k].clone()).collect() };
    assert_eq!(skab::evaluate(&shuffled, &NoProgress).unwrap(), rows);
}

#[test]
fn tep_classification_does_not_depend_on_test_file_order() {
    let Some(dir) = shared("tep") else { return };
    let data = TepData::load(&dir).unwrap();
    let training = classify::load_fault_training(&dir).unwrap();
    let report = classify::evaluate(&data, &training).unwrap();
    // Reverse the test files: the per-class rows of the confusion matrix must not change.
    let mut reversed = data.clone();
    reversed.fault_tests.reverse();
    let other = classify::evaluate(&reversed, &training).unwrap();
    for k in 1..=FAULTS {
        // Test file k now sits at position FAULTS - k + 1 and is counted as that class.
        assert_eq!(other.confusion[FAULTS - k + 1], report.confusion[k]);
    }
    assert_eq!(other.confusion[0], report.confusion[0]);
}
