//! The stored version-1 model fixture (`crates/store/tests/fixtures/model_v1.flm`) against a
//! fresh fit on the same data.
//!
//! # How the fixture was made
//! Once, with the real binary, never by these tests:
//! ```text
//! cargo test --release -p faultline-train --test fixture -- --ignored write_fixture_csv
//! cd target/tmp   # where write_fixture_csv puts model_v1.csv (CARGO_TARGET_TMPDIR)
//! ../release/faultline fit --method pca --input model_v1.csv \
//!     --model ../../crates/store/tests/fixtures/model_v1.flm
//! ```
//! That is `faultline fit` with its defaults (90 % explained variance, 99 % confidence,
//! theoretical limits, no time column) on the 200 rows × 4 channels of [`fixture_rows`].
//!
//! The store crate's `stored_v1_fixture_still_loads` guards the file format; the test here guards
//! the numbers: loading the fixture as a [`ModelFile`] and scoring with it must give the same T²
//! and SPE as fitting afresh. A change to fitting, scoring or the format that alters results
//! fails here on purpose: bump the format version or regenerate the fixture deliberately.

use std::path::{Path, PathBuf};

use faultline_train::{ModelFile, Monitor, fit_recording};
use faultline_types::{ChannelSchema, Recording, StatisticKind};

/// Channel names (and CSV header) of the fixture data.
const CHANNELS: [&str; 4] = ["a", "b", "c", "d"];
/// Rows of the fixture data.
const ROWS: usize = 200;
/// Rows scored by the comparison.
const SCORED: usize = 40;
/// Largest relative difference accepted between stored and fresh results.
const TOLERANCE: f64 = 1e-9;

/// The fixture's training data: deterministic, correlated channels built from sines and cosines
/// of the row index at different frequencies plus a linear mix. Values are rounded to 6 decimals
/// so that their CSV text is short and platform differences of the last bit of `sin` vanish.
fn fixture_rows() -> Vec<[f64; 4]> {
    let round = |v: f64| (v * 1e6).round() / 1e6;
    (0..ROWS)
        .map(|i| {
            let t = i as f64;
            let slow = (0.05 * t).sin();
            let medium = (0.23 * t).cos();
            let fast = (0.91 * t).sin();
            let faster = (1.37 * t).cos();
            let a = 10.0 + 2.0 * slow + 0.4 * fast;
            let b = -3.0 + 1.5 * slow - 0.8 * medium + 0.3 * faster;
            let c = 0.5 * a - 0.7 * b + 0.6 * medium + 0.2 * fast;
            let d = 100.0 + 5.0 * medium + 0.5 * a + 0.8 * faster - 0.3 * fast;
            [round(a), round(b), round(c), round(d)]
        })
        .collect()
}

/// The fixture data as the CSV file `faultline fit` read: header `a,b,c,d`, no time column,
/// values in shortest round-trip form.
fn fixture_csv() -> String {
    let mut csv = CHANNELS.join(",") + "\n";
    for row in fixture_rows() {
        let cells: Vec<String> = row.iter().map(f64::to_string).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    csv
}

/// The fixture data in memory, as the CSV reader turns [`fixture_csv`] into a recording.
fn fixture_recording() -> Recording {
    let schema = ChannelSchema::from_names(CHANNELS).unwrap();
    let values = fixture_rows().into_iter().flatten().collect();
    Recording::new("model_v1.csv", schema, None, values).unwrap()
}

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures/model_v1.flm")
}

#[track_caller]
fn assert_close(what: &str, stored: f64, fresh: f64) {
    let scale = stored.abs().max(fresh.abs());
    assert!(
        (stored - fresh).abs() <= TOLERANCE * scale,
        "{what}: the stored model gives {stored}, a fresh fit gives {fresh}"
    );
}

/// Writes the fixture's training CSV (see the module docs); run by hand, never in CI.
#[test]
#[ignore = "writes the fixture's training data; run by hand when regenerating model_v1.flm"]
fn write_fixture_csv() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("model_v1.csv");
    std::fs::write(&path, fixture_csv()).unwrap();
    println!("wrote {}", path.display());
}

#[test]
fn fixture_csv_text_is_exactly_the_in_memory_data() {
    let csv = fixture_csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("a,b,c,d"));
    let parsed: Vec<f64> =
        lines.flat_map(|line| line.split(',').map(|cell| cell.parse::<f64>().unwrap())).collect();
    assert_eq!(parsed, fixture_recording().values);
}

#[test]
fn stored_v1_model_scores_like_a_fresh_fit() {
    let artifact = ModelFile::load(&fixture_path()).unwrap();
    assert_eq!(artifact.kind, "pca");
    assert_eq!(artifact.schema.names().collect::<Vec<_>>(), CHANNELS);
    assert_eq!(artifact.training.rows, ROWS);
    let stored = artifact.parameters.as_pca().expect("the fixture holds a PCA model");
    stored.check().unwrap();

    let recording = fixture_recording();
    let fresh = fit_recording(&recording, stored.config).unwrap();
    assert_eq!(fresh.config, stored.config);
    assert_eq!(fresh.components, stored.components, "components kept");
    assert_close("T² limit", stored.t2_limit(), fresh.t2_limit());
    assert_close("SPE limit", stored.spe_limit(), fresh.spe_limit());

    let (mut from_file, mut from_fit) = (Monitor::new(stored), Monitor::new(&fresh));
    let (mut a, mut b) = (from_file.new_score(), from_fit.new_score());
    for (row, frame) in recording.iter_rows().take(SCORED).enumerate() {
        from_file.score(frame, &mut a);
        from_fit.score(frame, &mut b);
        assert!(a.ready && b.ready);
        for (what, kind) in [("T²", StatisticKind::T2), ("SPE", StatisticKind::Spe)] {
            let value = |score: &faultline_types::Score| score.statistic(kind).expect(what).value;
            assert_close(&format!("{what} of row {row}"), value(&a), value(&b));
        }
        assert_eq!(a.alarm, b.alarm, "alarm of row {row}");
    }
}
