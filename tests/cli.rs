//! End-to-end tests of the `faultline` binary: every test runs the real executable on files it
//! writes into a temporary directory (synthetic plant data from `faultline-testkit`) and checks
//! exit code, standard output, standard error and written files.
//!
//! Error cases pin the user-facing contract: exit code 1, exactly one line on standard error that
//! starts with `faultline: error:` and names the file (and line, column or channel), never a
//! panic; usage errors exit with 2.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use faultline_testkit::{Fault, FaultKind, Plant, PlantConfig, inject};
use faultline_types::Recording;
use tempfile::TempDir;

/// Rows of the training run used by most tests.
const TRAINING_ROWS: usize = 1000;
/// Rows of a scored run.
const SCORED_ROWS: usize = 400;
/// Row at which faults are injected into scored runs.
const ONSET: usize = 200;
/// Header of `score --format csv` when the data has a time column.
const SCORE_HEADER: &str = "index,time,t2,t2_limit,spe,spe_limit,alarm,top1,top1_contribution,\
                            top2,top2_contribution,top3,top3_contribution";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    /// Exit code (`None` when killed by a signal).
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `faultline` with `args` and captures exit code, standard output and standard error.
fn faultline<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("the faultline binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `faultline` and asserts that it succeeded; returns its output.
fn succeeds<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let run = faultline(args);
    assert_eq!(run.code, Some(0), "expected success: {run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    run
}

/// Runs `faultline`, asserts the failure contract (exit code 1, exactly one line on standard
/// error starting with `faultline: error:`, no panic) and returns that line.
fn fails<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let run = faultline(args);
    assert!(!run.stderr.contains("panicked"), "the binary panicked: {run:#?}");
    assert_eq!(run.code, Some(1), "expected exit code 1: {run:#?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected exactly one line on stderr: {run:#?}");
    assert!(lines[0].starts_with("faultline: error: "), "{run:#?}");
    lines[0].to_string()
}

/// Asserts that `text` contains every one of `parts`.
#[track_caller]
fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in: {text}");
    }
}

/// A path as a `&str` (temporary directories have UTF-8 paths on the machines tests run on).
fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

/// The synthetic plant every test uses (52 channels `ch01` … `ch52`).
fn plant() -> Plant {
    Plant::new(PlantConfig::default())
}

/// Time label of row `i`: one sample per second from midnight.
fn time_label(i: usize) -> String {
    format!("2025-03-01T{:02}:{:02}:{:02}", i / 3600, i / 60 % 60, i % 60)
}

/// How to lay out a recording as CSV.
#[derive(Clone, Copy, Default)]
struct Layout<'a> {
    /// Write a leading `ts` time column.
    time: bool,
    /// Write a trailing text column of this name (operator names).
    text: Option<&'a str>,
}

/// The recording as CSV text: header of channel names, optional `ts` column first, optional text
/// column last. Values use `Display`, which round-trips every f64 exactly.
fn csv_text(recording: &Recording, layout: Layout<'_>) -> String {
    let mut header: Vec<String> = Vec::new();
    if layout.time {
        header.push("ts".into());
    }
    header.extend(recording.schema.names().map(String::from));
    if let Some(text) = layout.text {
        header.push(text.into());
    }
    let mut out = header.join(",") + "\n";
    for (i, row) in recording.iter_rows().enumerate() {
        let mut cells: Vec<String> = Vec::with_capacity(row.len() + 2);
        if layout.time {
            cells.push(time_label(i));
        }
        cells.extend(row.iter().map(|v| v.to_string()));
        if layout.text.is_some() {
            cells.push(["alice", "bob", "carol"][i % 3].into());
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Writes the recording as CSV to `dir/name` and returns the path.
fn write_csv(dir: &TempDir, name: &str, recording: &Recording, layout: Layout<'_>) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, csv_text(recording, layout)).expect("writing a CSV file");
    path
}

/// Normal training data with a `ts` column, written to `dir/train.csv`.
fn training_csv(dir: &TempDir) -> PathBuf {
    let recording = plant().normal_run(TRAINING_ROWS, 1);
    write_csv(dir, "train.csv", &recording, Layout { time: true, text: None })
}

/// Fits the default PCA model on `training_csv` and returns the model path.
fn fitted_model(dir: &TempDir) -> PathBuf {
    let train = training_csv(dir);
    let model = dir.path().join("model.flm");
    succeeds(["fit", "--input", s(&train), "--model", s(&model), "--time-col", "ts"]);
    model
}

/// Replaces the text of 0-based `line` of a CSV file by what `edit` makes of it.
fn edit_line(path: &Path, line: usize, edit: impl FnOnce(&str) -> String) {
    let text = fs::read_to_string(path).expect("reading a CSV file");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[line] = edit(&lines[line]);
    fs::write(path, lines.join("\n") + "\n").expect("writing a CSV file");
}

/// Replaces field `field` (0-based) of 0-based `line` of a CSV file by `value`.
fn set_cell(path: &Path, line: usize, field: usize, value: &str) {
    edit_line(path, line, |text| {
        let mut cells: Vec<&str> = text.split(',').collect();
        cells[field] = value;
        cells.join(",")
    });
}

/// One parsed line of `score --format csv` output (with a time column).
#[derive(Debug)]
struct ScoredRow {
    index: usize,
    time: String,
    /// t2, t2_limit, spe, spe_limit; `None` for empty cells.
    statistics: [Option<f64>; 4],
    alarm: bool,
    /// top1 … top3 channel names (empty while warming up).
    top: [String; 3],
}

/// Parses `score --format csv` output, checking the header and the shape of every line.
fn parse_scores(csv: &str) -> Vec<ScoredRow> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(SCORE_HEADER), "score header");
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 13, "fields of {line:?}");
            let number = |k: usize| -> Option<f64> {
                (!cells[k].is_empty())
                    .then(|| cells[k].parse().unwrap_or_else(|_| panic!("{line:?}")))
            };
            let alarm = match cells[6] {
                "0" => false,
                "1" => true,
                other => panic!("alarm cell {other:?} in {line:?} is not 0 or 1"),
            };
            ScoredRow {
                index: cells[0].parse().expect("index"),
                time: cells[1].to_string(),
                statistics: [number(2), number(3), number(4), number(5)],
                alarm,
                top: [cells[7].to_string(), cells[9].to_string(), cells[11].to_string()],
            }
        })
        .collect()
}

/// Share of `rows` for which `pred` holds, in [0, 1].
fn share<T>(rows: &[T], pred: impl Fn(&T) -> bool) -> f64 {
    rows.iter().filter(|r| pred(r)).count() as f64 / rows.len().max(1) as f64
}

// ---------------------------------------------------------------------------------------------
// Fit and score
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_then_score_detects_a_step_and_names_the_faulty_channel() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(&dir);
    assert!(model.exists());

    let plant = plant();
    let faulty = 9; // ch10
    let name = &plant.channel_names()[faulty];
    let mut run = plant.normal_run(SCORED_ROWS, 2);
    let fault =
        Fault { kind: FaultKind::Step { magnitude: 8.0 }, channels: vec![faulty], onset: ONSET };
    inject(&mut run, &fault, 3);
    let input = write_csv(&dir, "run.csv", &run, Layout { time: true, text: None });

    // --time-col is not repeated: score takes it from the model.
    let out = succeeds(["score", "--model", s(&model), "--input", s(&input)]);
    let rows = parse_scores(&out.stdout);
    assert_eq!(rows.len(), SCORED_ROWS, "one output line per input row");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.index, i);
        assert_eq!(row.time, time_label(i), "time labels are echoed");
        assert!(row.statistics.iter().all(|v| v.is_some_and(f64::is_finite)), "{row:?}");
        let [t2, t2_limit, spe, spe_limit] = row.statistics.map(Option::unwrap);
        assert_eq!(
            row.alarm,
            t2 > t2_limit || spe > spe_limit,
            "alarm = T² or SPE over its limit: {row:?}"
        );
    }
    let (before, after) = rows.split_at(ONSET);
    let false_alarms = share(before, |r| r.alarm);
    let detected = share(after, |r| r.alarm);
    assert!(false_alarms < 0.05, "false alarm rate before the fault {false_alarms}");
    assert!(detected > 0.80, "alarm rate after the fault {detected}");
    let alarmed: Vec<&ScoredRow> = after.iter().filter(|r| r.alarm).collect();
    let named = share(&alarmed, |r| &r.top[0] == name);
    assert!(named > 0.5, "{name} is top1 in only {named} of the alarmed rows after onset");
    assert_mentions(&out.stderr, &[&format!("scored {SCORED_ROWS} rows")]);
}

#[test]
fn jsonl_lines_are_json_objects_with_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(&dir);
    let input =
        write_csv(&dir, "run.csv", &plant().normal_run(50, 4), Layout { time: true, text: None });
    let output = dir.path().join("scores.jsonl");
    let run = succeeds([
        "score",
        "--model",
        s(&model),
        "--input",
        s(&input),
        "--format",
        "jsonl",
        "--output",
        s(&output),
    ]);
    assert!(run.stdout.is_empty(), "scores go to --output, not stdout: {run:#?}");
    let text = fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 50);
    for (i, line) in lines.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line}", i + 1));
        for key in ["index", "t2", "spe", "alarm", "top"] {
            assert!(value.get(key).is_some(), "key {key} missing in {line}");
        }
        assert_eq!(value["index"].as_u64(), Some(i as u64));
        assert_eq!(value["time"].as_str(), Some(time_label(i).as_str()));
        assert!(value["t2"].as_f64().is_some_and(|v| v >= 0.0), "{line}");
        assert!(value["spe"].as_f64().is_some_and(|v| v >= 0.0), "{line}");
        assert!(value["alarm"].is_boolean(), "{line}");
        let top = value["top"].as_array().expect("top is an array");
        assert_eq!(top.len(), 3, "{line}");
        assert!(
            top.iter().all(|t| t["channel"].is_string() && t["contribution"].is_number()),
            "{line}"
        );
    }
}

#[test]
fn dpca_leaves_warm_up_rows_empty_and_fills_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    let model = dir.path().join("dpca.flm");
    let fit = succeeds([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&model),
        "--time-col",
        "ts",
        "--method",
        "dpca",
        "--lags",
        "2",
    ]);
    assert_mentions(&fit.stdout, &["(dpca)", "lags       2"]);
    let input =
        write_csv(&dir, "run.csv", &plant().normal_run(30, 5), Layout { time: true, text: None });
    let out = succeeds(["score", "--model", s(&model), "--input", s(&input)]);
    let rows = parse_scores(&out.stdout);
    assert_eq!(rows.len(), 30);
    for row in &rows[..2] {
        assert!(row.statistics.iter().all(Option::is_none), "warm-up row has statistics: {row:?}");
        assert!(!row.alarm, "warm-up row alarms: {row:?}");
        assert!(row.top.iter().all(String::is_empty), "warm-up row has contributors: {row:?}");
    }
    for row in &rows[2..] {
        assert!(row.statistics.iter().all(Option::is_some), "row after warm-up is empty: {row:?}");
        assert!(row.top.iter().all(|t| t.starts_with("ch")), "{row:?}");
    }
}

#[test]
fn text_columns_must_be_excluded_and_exclude_works() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout { time: true, text: Some("operator") };
    let train = write_csv(&dir, "train.csv", &plant().normal_run(TRAINING_ROWS, 1), layout);
    let model = dir.path().join("model.flm");

    let error = fails(["fit", "--input", s(&train), "--model", s(&model), "--time-col", "ts"]);
    assert_mentions(&error, &[s(&train), "\"operator\"", "--exclude operator"]);
    assert!(!model.exists(), "no model is written when fitting fails");

    let fit = succeeds([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&model),
        "--time-col",
        "ts",
        "--exclude",
        "operator",
    ]);
    assert_mentions(&fit.stdout, &["52 channels"]);
    // score takes --time-col and --exclude from the model.
    let input = write_csv(&dir, "run.csv", &plant().normal_run(20, 6), layout);
    let out = succeeds(["score", "--model", s(&model), "--input", s(&input)]);
    let rows = parse_scores(&out.stdout);
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|r| r.top.iter().all(|t| t != "operator")));
    // A file without those columns (live data, an export without the operator) still scores:
    // the model's defaults apply only where the file has them. Given as flags, they must be
    // there.
    let bare = write_csv(&dir, "bare.csv", &plant().normal_run(20, 7), Layout::default());
    let out = succeeds(["score", "--model", s(&model), "--input", s(&bare)]);
    assert!(out.stdout.starts_with("index,t2,"), "no time column: {}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1 + 20);
    let error = fails(["score", "--model", s(&model), "--input", s(&bare), "--time-col", "ts"]);
    assert_mentions(&error, &[s(&bare), "time column \"ts\""]);
}

// ---------------------------------------------------------------------------------------------
// Wrong input: one line on stderr naming the place, exit code 1
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_cell_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    // Line 12 of the file (the header is line 1), field 4 = channel ch03.
    set_cell(&train, 11, 3, "12.5kPa");
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("m.flm")),
        "--time-col",
        "ts",
    ]);
    assert_mentions(
        &error,
        &[&format!("{}:12:4", s(&train)), "\"ch03\"", "\"12.5kPa\"", "not a number"],
    );
}

#[test]
fn ragged_row_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    edit_line(&train, 100, |line| line.rsplit_once(',').unwrap().0.to_string());
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("m.flm")),
        "--time-col",
        "ts",
    ]);
    assert_mentions(&error, &[&format!("{}:101:", s(&train)), "expected 53 fields, found 52"]);
}

#[test]
fn missing_input_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-history.csv");
    let error = fails(["fit", "--input", s(&missing), "--model", s(&dir.path().join("m.flm"))]);
    assert_mentions(&error, &[s(&missing)]);

    let model = fitted_model(&dir);
    let error = fails(["score", "--model", s(&model), "--input", s(&missing)]);
    assert_mentions(&error, &[s(&missing)]);
    let missing_model = dir.path().join("no-such-model.flm");
    let error = fails(["score", "--model", s(&missing_model), "--input", s(&missing)]);
    assert_mentions(&error, &[s(&missing_model)]);
}

#[test]
fn nan_cell_is_rejected_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    set_cell(&train, 50, 7, "NaN");
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("m.flm")),
        "--time-col",
        "ts",
    ]);
    assert_mentions(&error, &[&format!("{}:51:8", s(&train)), "\"ch07\"", "NaN"]);
}

#[test]
fn constant_channel_at_fit_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut recording = plant().normal_run(TRAINING_ROWS, 1);
    let m = recording.channels();
    recording.values.iter_mut().skip(4).step_by(m).for_each(|v| *v = 3.5); // ch05
    let train = write_csv(&dir, "train.csv", &recording, Layout { time: true, text: None });
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("m.flm")),
        "--time-col",
        "ts",
    ]);
    assert_mentions(&error, &[s(&train), "\"ch05\"", "constant"]);
    // A counter (a constant step every row) is constant to the default detector, which feeds a
    // drifting channel as its difference: refused alike.
    let mut counter = plant().normal_run(TRAINING_ROWS, 1);
    for (i, v) in counter.values.iter_mut().skip(4).step_by(m).enumerate() {
        *v = 10.0 * i as f64;
    }
    let train = write_csv(&dir, "counter.csv", &counter, Layout { time: true, text: None });
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("d.flm")),
        "--time-col",
        "ts",
    ]);
    assert_mentions(&error, &[s(&train), "\"ch05\"", "same step (10)", "--exclude"]);
}

#[test]
fn a_text_file_is_not_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_csv(&dir, "run.csv", &plant().normal_run(10, 2), Layout::default());
    let not_a_model = dir.path().join("notes.flm");
    fs::write(&not_a_model, "line 1 model, fitted last week\n").unwrap();
    let error = fails(["score", "--model", s(&not_a_model), "--input", s(&input)]);
    assert_mentions(&error, &[s(&not_a_model), "not a faultline model"]);
}

#[test]
fn a_flipped_byte_fails_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(&dir);
    let mut bytes = fs::read(&model).unwrap();
    let middle = 52 + (bytes.len() - 52) / 2; // inside the JSON payload
    bytes[middle] ^= 0x01;
    fs::write(&model, bytes).unwrap();
    let input =
        write_csv(&dir, "run.csv", &plant().normal_run(10, 2), Layout { time: true, text: None });
    let error = fails(["score", "--model", s(&model), "--input", s(&input)]);
    assert_mentions(&error, &[s(&model), "checksum"]);
}

#[test]
fn scoring_data_without_a_model_channel_names_the_channel() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(&dir);
    let run = plant().normal_run(10, 2);
    let keep: Vec<&str> = run.schema.names().filter(|&n| n != "ch07").collect();
    let short = run.select(&faultline_types::ChannelSchema::from_names(keep).unwrap()).unwrap();
    let input = write_csv(&dir, "run.csv", &short, Layout { time: true, text: None });
    let error = fails(["score", "--model", s(&model), "--input", s(&input)]);
    assert_mentions(&error, &[s(&input), "ch07"]);
}

#[test]
fn lags_need_dynamic_pca() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    let model = dir.path().join("m.flm");
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&model),
        "--time-col",
        "ts",
        "--method",
        "pca",
        "--lags",
        "2",
    ]);
    assert_mentions(&error, &["--lags", "dpca"]);
    assert!(!model.exists());
}

/// Asserts that no `: `-separated part of an error line appears twice (a cause printed both in
/// its wrapper's message and again as the next link of the chain).
#[track_caller]
fn assert_no_repeated_cause(error: &str) {
    let parts: Vec<&str> = error.split(": ").collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(!parts[i + 1..].contains(part), "{part:?} is repeated in: {error}");
    }
}

#[test]
fn error_lines_do_not_repeat_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-history.csv");
    let error = fails(["fit", "--input", s(&missing), "--model", s(&dir.path().join("m.flm"))]);
    assert_no_repeated_cause(&error);
    let missing_model = dir.path().join("no-such-model.flm");
    assert_no_repeated_cause(&fails([
        "score",
        "--model",
        s(&missing_model),
        "--input",
        s(&missing),
    ]));

    let model = fitted_model(&dir);
    let run = plant().normal_run(10, 2);
    let keep: Vec<&str> = run.schema.names().filter(|&n| n != "ch07").collect();
    let short = run.select(&faultline_types::ChannelSchema::from_names(keep).unwrap()).unwrap();
    let input = write_csv(&dir, "run.csv", &short, Layout { time: true, text: None });
    assert_no_repeated_cause(&fails(["score", "--model", s(&model), "--input", s(&input)]));

    let mut recording = plant().normal_run(TRAINING_ROWS, 1);
    let m = recording.channels();
    recording.values.iter_mut().skip(4).step_by(m).for_each(|v| *v = 3.5);
    let train = write_csv(&dir, "constant.csv", &recording, Layout { time: true, text: None });
    let error = fails([
        "fit",
        "--input",
        s(&train),
        "--model",
        s(&dir.path().join("c.flm")),
        "--time-col",
        "ts",
    ]);
    // Channels are named, never numbered ("channel #4" is the detector's internal index).
    assert!(!error.contains('#'), "{error}");
}

#[test]
fn usage_errors_exit_with_2() {
    let run = faultline(["fit", "--no-such-flag"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    let run = faultline(["no-such-command"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
}

// ---------------------------------------------------------------------------------------------
// Demo and benchmarks
// ---------------------------------------------------------------------------------------------

/// How the demo table names a fault kind; the match is exhaustive so a new kind must be added.
fn demo_label(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::Step { .. } => "step",
        FaultKind::Drift { .. } => "drift",
        FaultKind::VarianceChange { .. } => "variance",
        FaultKind::Stuck => "stuck",
        FaultKind::CorrelationBreak => "correlation break",
    }
}

#[test]
fn demo_shows_every_fault_kind() {
    let run = succeeds(["demo", "--offline"]);
    let kinds = [
        FaultKind::Step { magnitude: 1.0 },
        FaultKind::Drift { per_sample: 0.1 },
        FaultKind::VarianceChange { factor: 2.0 },
        FaultKind::Stuck,
        FaultKind::CorrelationBreak,
    ];
    assert_mentions(&run.stdout, &["false alarms", "detected"]);
    // Table rows read "<fault> on <channels>  <detector>  <false alarms> <detected> ...", one
    // per fault kind and detector.
    let rows: Vec<&str> = run.stdout.lines().filter(|l| l.contains(" on ch")).collect();
    assert_eq!(rows.len(), 2 * kinds.len(), "two rows per fault kind:\n{}", run.stdout);
    for kind in &kinds {
        let label = demo_label(kind);
        for detector in [" default ", " pca "] {
            assert!(
                rows.iter().any(|r| r.contains(label) && r.contains(detector)),
                "no {detector} row for {label}:\n{}",
                run.stdout
            );
        }
    }
    // The default detector's frozen-value check finds the stuck sensor, and names it.
    let stuck = rows.iter().find(|r| r.contains("stuck") && r.contains(" default ")).unwrap();
    let channel = stuck.split(" on ").nth(1).unwrap().split_whitespace().next().unwrap();
    let columns: Vec<&str> = stuck.split_whitespace().collect();
    assert!(!columns.contains(&"no"), "the stuck sensor is not detected: {stuck}");
    assert!(stuck.contains(&format!("{channel} (")), "{channel} is not named: {stuck}");
}

#[test]
fn bench_throughput_writes_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let run = succeeds(["bench", "throughput", "--samples", "20000", "--out", s(&out)]);
    assert_mentions(&run.stdout, &["batch", "streaming-contrib"]);
    let csv = fs::read_to_string(out.join("throughput.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "method,mode,samples,seconds,samples_per_s");
    assert_eq!(lines.len(), 3, "{csv}");
    for (line, mode) in lines[1..].iter().zip(["batch", "streaming-contrib"]) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[..3], ["pca", mode, "20000"], "{line}");
        let seconds: f64 = cells[3].parse().unwrap();
        let rate: f64 = cells[4].parse().unwrap();
        assert!(seconds >= 0.0 && rate > 0.0, "{line}");
    }
}

#[test]
fn bench_tep_writes_the_protocol_table() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tep");
    if !data.is_dir() {
        eprintln!(
            "skipping bench_tep_writes_the_protocol_table: no TEP data at {}",
            data.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tep-results");
    succeeds(["bench", "tep", "--data", s(&data), "--out", s(&out)]);
    let csv = fs::read_to_string(out.join("tep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let fdr: Vec<String> = (1..=21).map(|k| format!("fdr_{k}")).collect();
    let header =
        format!("method,limit,far_d00te,far_pre,{},fdr17,fdr21,delay_median", fdr.join(","));
    assert_eq!(lines[0], header);
    assert_eq!(lines.len(), 14, "header, 12 PCA-family rows and the default row:\n{csv}");
    assert!(lines[13].starts_with("default,heldout,"), "{}", lines[13]);
    let mut seen = Vec::new();
    for line in &lines[1..13] {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 4 + 21 + 3, "{line}");
        assert!(["theoretical", "empirical"].contains(&cells[1]), "{line}");
        for rate in &cells[2..27] {
            let v: f64 = rate.parse().unwrap_or_else(|_| panic!("{rate:?} in {line}"));
            assert!((0.0..=100.0).contains(&v), "{line}");
        }
        seen.push((cells[0].to_string(), cells[1].to_string()));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 12, "6 methods x 2 limits, each once: {seen:?}");
    let methods: std::collections::BTreeSet<&str> = seen.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods.len(), 6, "{methods:?}");
}

// ---------------------------------------------------------------------------------------------
// The `default` detector: what `fit` writes without --method
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_without_method_writes_the_default_detector_and_score_alarms_on_a_shift() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    let model = dir.path().join("default.flm");
    let fit = succeeds(["fit", "--input", s(&train), "--model", s(&model), "--time-col", "ts"]);
    let parts =
        ["(default)", "between 5 time blocks", "rows after 60 %, 70 %, 80 %", "52 channels"];
    assert_mentions(&fit.stdout, &parts);
    assert!(!fit.stdout.contains("note"), "{}", fit.stdout);
    // Few rows for the channels: said, with the number that would do.
    let short = plant().normal_run(300, 1);
    let short = write_csv(&dir, "short.csv", &short, Layout { time: true, text: None });
    let thin = dir.path().join("thin.flm");
    let fit = succeeds(["fit", "--input", s(&short), "--model", s(&thin), "--time-col", "ts"]);
    assert_mentions(&fit.stdout, &["300 rows for 52 channels", "at least 520 rows"]);
    // A channel held still for most of the training rows, then moving: the bound is said.
    let mut late = plant().normal_run(TRAINING_ROWS, 1);
    let width = late.channels();
    for (i, row) in late.values.chunks_exact_mut(width).enumerate().take(700) {
        row[5] = 1.0 + 1e-4 * (i % 3) as f64;
    }
    let late = write_csv(&dir, "late.csv", &late, Layout { time: true, text: None });
    let fit = succeeds(["fit", "--input", s(&late), "--model", s(&thin), "--time-col", "ts"]);
    assert_mentions(&fit.stdout, &["the limit took its bound (2 times)", "change regime"]);

    let plant = plant();
    let faulty = 20; // ch21
    let mut run = plant.normal_run(SCORED_ROWS, 7);
    let fault =
        Fault { kind: FaultKind::Step { magnitude: 4.0 }, channels: vec![faulty], onset: ONSET };
    inject(&mut run, &fault, 8);
    let input = write_csv(&dir, "run.csv", &run, Layout { time: true, text: None });
    let out = succeeds(["score", "--model", s(&model), "--input", s(&input)]);
    let rows = parse_scores(&out.stdout);
    assert_eq!(rows.len(), SCORED_ROWS);
    let scored: Vec<&ScoredRow> = rows.iter().filter(|r| r.statistics[0].is_some()).collect();
    assert!(scored.len() + 1 >= SCORED_ROWS, "at most one warm-up row");
    let limit = scored[0].statistics[1].unwrap();
    for row in &scored {
        let [t2, t2_limit, spe, spe_limit] = row.statistics.map(Option::unwrap);
        assert_eq!((t2_limit, spe_limit), (limit, limit), "one limit for both slots: {row:?}");
        assert_eq!(row.alarm, t2.max(spe) > limit, "alarm = combined over the limit: {row:?}");
    }
    let (before, after) = rows.split_at(ONSET);
    let false_alarms = share(before, |r| r.alarm);
    let detected = share(&after[20..], |r| r.alarm);
    assert!(false_alarms < 0.05, "false alarm rate before the shift {false_alarms}");
    assert!(detected > 0.9, "alarm rate from 20 rows after the shift {detected}");
    let name = &plant.channel_names()[faulty];
    let alarmed: Vec<&ScoredRow> = after.iter().filter(|r| r.alarm).collect();
    let named = share(&alarmed, |r| &r.top[0] == name);
    assert!(named > 0.8, "{name} is top1 in only {named} of the alarmed rows after the shift");
}

#[test]
fn pca_options_need_method_pca_and_method_pca_keeps_pca() {
    let dir = tempfile::tempdir().unwrap();
    let train = training_csv(&dir);
    let model = dir.path().join("m.flm");
    let args = ["fit", "--input", s(&train), "--model", s(&model), "--time-col", "ts"];
    let error = fails(args.iter().copied().chain(["--variance", "0.8"]));
    assert_mentions(&error, &["--variance", "--method pca", "`default`"]);
    assert!(!model.exists());
    let fit = succeeds(args.iter().copied().chain(["--method", "pca", "--variance", "0.8"]));
    assert_mentions(&fit.stdout, &["(pca)", "components", "theoretical"]);
    let input =
        write_csv(&dir, "run.csv", &plant().normal_run(20, 2), Layout { time: true, text: None });
    let out = succeeds(["score", "--model", s(&model), "--input", s(&input)]);
    let rows = parse_scores(&out.stdout);
    assert!(rows.iter().all(|r| r.statistics[1] != r.statistics[3]), "T² and SPE limits differ");
}

// ---------------------------------------------------------------------------------------------
// HTML reports (`--report`, `--peers`)
// ---------------------------------------------------------------------------------------------

/// The shared data set `name` beside the repository, or `None` (with a notice) when absent.
fn shared_data(name: &str, test: &str) -> Option<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(name);
    if data.is_dir() {
        return Some(data);
    }
    eprintln!("skipping {test}: no data at {}", data.display());
    None
}

/// What every report must be: one HTML page with inline SVG and nothing fetched from anywhere.
#[track_caller]
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..html.len().min(100)]);
    assert!(html.trim_end().ends_with("</html>"));
    for banned in ["http://", "https://", "<script", "<link", "<img", "@import", "url("] {
        assert!(!html.contains(banned), "the report contains {banned:?}");
    }
    assert!(html.contains("<svg "));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
}

#[test]
fn bench_tep_report_is_one_self_contained_page_with_the_peers() {
    let Some(data) =
        shared_data("tep", "bench_tep_report_is_one_self_contained_page_with_the_peers")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fdr: Vec<String> = (1..=21).map(|k| format!("{}.5", 40 + k)).collect();
    let header_fdr: Vec<String> = (1..=21).map(|k| format!("fdr_{k}")).collect();
    let peers = dir.path().join("tep_peers.csv");
    fs::write(
        &peers,
        format!(
            "method,limit,far_d00te,far_pre,{},fdr17,fdr21,delay_median\n\
             my-peer<1>,empirical,1.00,2.00,{},50.00,51.00,\n",
            header_fdr.join(","),
            fdr.join(",")
        ),
    )
    .unwrap();
    let report = dir.path().join("nested/tep.html");
    let out = dir.path().join("out");
    let run = succeeds([
        "bench",
        "tep",
        "--data",
        s(&data),
        "--out",
        s(&out),
        "--report",
        s(&report),
        "--peers",
        s(&peers),
    ]);
    assert_mentions(&run.stdout, &["Report: ", "tep.html"]);
    let html = fs::read_to_string(&report).unwrap();
    assert_self_contained(&html);
    assert!(html.len() < 5 << 20, "{} bytes: keep the TEP report under 5 MiB", html.len());
    // Header, the peer escaped in the table and legend, every fault's section, and the charts
    // reproducing the table's rows.
    assert_mentions(&html, &["bench tep --data", "--report", "my-peer&lt;1&gt;", "41.50"]);
    for k in 1..=21 {
        assert!(
            html.contains(&format!("<h3 id=\"idv{k}\">IDV {k}: d{k:02}_te.dat</h3>")),
            "IDV {k}"
        );
    }
    assert!(html.contains("reproduce the rows pca-t2 (theoretical), pca-spe (theoretical)"));
    assert!(!html.contains("do not reproduce"));
    // The CSV contract is unchanged by --report.
    let csv = fs::read_to_string(out.join("tep.csv")).unwrap();
    assert!(csv.starts_with("method,limit,far_d00te,far_pre,fdr_1,"));
}

#[test]
fn bad_peers_files_fail_before_the_run_and_peers_need_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let peers = dir.path().join("peers.csv");
    fs::write(&peers, "method,f1,far,mar\nx,0.5,1,2\n").unwrap();
    let report = dir.path().join("r.html");
    // The peers file is checked first, so this fails on it even without data.
    let error = fails([
        "bench",
        "tep",
        "--data",
        s(dir.path()),
        "--report",
        s(&report),
        "--peers",
        s(&peers),
    ]);
    assert_mentions(
        &error,
        &[s(&peers), ":1: header is `method,f1,far,mar`, expected `method,limit,"],
    );
    fs::write(&peers, "method,f1,far,mar\nx,0.5,oops,2\n").unwrap();
    let error = fails([
        "bench",
        "skab",
        "--data",
        s(dir.path()),
        "--report",
        s(&report),
        "--peers",
        s(&peers),
    ]);
    assert_mentions(&error, &[":2: column `far`: `oops` is not a number"]);
    let missing = dir.path().join("nope.csv");
    let error = fails([
        "bench",
        "skab",
        "--data",
        s(dir.path()),
        "--report",
        s(&report),
        "--peers",
        s(&missing),
    ]);
    assert_mentions(&error, &["reading the peers file", "nope.csv"]);
    assert!(!report.exists());
    let run = faultline(["bench", "tep", "--data", s(dir.path()), "--peers", s(&peers)]);
    assert_eq!(run.code, Some(2), "--peers without --report is a usage error: {run:#?}");
}

#[test]
fn bench_skab_and_tep_classify_reports_are_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(data) = shared_data("skab", "bench_skab_and_tep_classify_reports (skab)") {
        let report = dir.path().join("skab.html");
        succeeds([
            "bench",
            "skab",
            "--data",
            s(&data),
            "--out",
            s(dir.path()),
            "--report",
            s(&report),
        ]);
        let html = fs::read_to_string(&report).unwrap();
        assert_self_contained(&html);
        assert_mentions(&html, &["valve1/0.csv", "other/14.csv", "labelled anomaly", "default"]);
        assert_eq!(html.matches("<svg").count(), 1 + 34, "the summary chart and one per file");
    }
    if let Some(data) = shared_data("tep", "bench_skab_and_tep_classify_reports (tep)") {
        let report = dir.path().join("classify.html");
        succeeds([
            "bench",
            "tep-classify",
            "--data",
            s(&data),
            "--out",
            s(dir.path()),
            "--report",
            s(&report),
        ]);
        let html = fs::read_to_string(&report).unwrap();
        assert_self_contained(&html);
        assert_mentions(&html, &["Confusion matrix", "Recall per class", "excl-3-9-15"]);
        assert_eq!(html.matches("<svg").count(), 2);
    }
}

/// Runs `faultline` with `input` piped to standard input (as a script would give a password).
fn faultline_with_input(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the faultline binary runs");
    // The binary may refuse (a bad name) and exit before reading: a broken pipe is fine.
    let _may_have_exited = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn user_add_list_and_audit_verify() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let data = s(&data);
    let add = |name: &str, role: &str, password: &str| {
        faultline_with_input(&["user", "add", name, "--role", role, "--data-dir", data], password)
    };
    let run = add("alice", "admin", "correct-horse-battery\n");
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_mentions(&run.stdout, &["user alice created with role admin"]);
    let run = add("bob", "operator", "tidal-kettle-orbit-9\n");
    assert_eq!(run.code, Some(0), "{run:#?}");

    // Refusals: one clear line, exit 1, nothing stored.
    for (name, password, expected) in [
        ("carol", "short\n", "at least 12 characters"),
        ("carol", "password1234\n", "obvious"),
        ("carol", "\n", "no password on standard input"),
        ("alice", "another-long-secret\n", "user alice exists already"),
        ("Carol", "another-long-secret\n", "must be 1 to 64 characters"),
    ] {
        let run = add(name, "viewer", password);
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(run.stderr.starts_with("faultline: error: "), "{run:#?}");
        assert_mentions(&run.stderr, &[expected]);
    }
    let usage = faultline(["user", "add", "dave", "--role", "root", "--data-dir", data]);
    assert_eq!(usage.code, Some(2), "an unknown role is a usage error: {usage:#?}");

    let list = succeeds(["user", "list", "--data-dir", data]);
    assert_mentions(&list.stdout, &["alice", "admin", "bob", "operator", "active"]);
    // A mistyped directory is an error, not a new empty store.
    let typo = dir.path().join("dta");
    let error = fails(["user", "list", "--data-dir", s(&typo)]);
    assert_mentions(&error, &[s(&typo), "no faultline store here"]);
    assert!(!typo.exists(), "nothing was created");
    assert!(!list.stdout.contains("carol"));
    assert!(!list.stdout.contains("argon2"), "no hashes printed: {}", list.stdout);

    // A new password at the machine: weak ones and unknown names refused, nothing recorded.
    let passwd = |name: &str, password: &str| {
        faultline_with_input(&["user", "passwd", name, "--data-dir", data], password)
    };
    for (name, password, expected) in [
        ("bob", "short\n", "at least 12 characters"),
        ("nobody", "another-long-secret\n", "no user nobody"),
    ] {
        let run = passwd(name, password);
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_mentions(&run.stderr, &[expected]);
    }
    let before = faultline_store::Store::open(Path::new(data)).unwrap().user("bob").unwrap();
    let run = passwd("bob", "new-tidal-kettle-orbit\n");
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_mentions(&run.stdout, &["password of bob changed", "sessions have ended"]);
    let store = faultline_store::Store::open(Path::new(data)).unwrap();
    let after = store.user("bob").unwrap().unwrap();
    assert_ne!(after.password_hash, before.unwrap().password_hash);
    assert!(faultline_auth::verify_password("new-tidal-kettle-orbit", Some(&after.password_hash)));
    let events = store.events(10, None).unwrap();
    let reset = &events.iter().find(|(_, e)| e.action == "user.password.reset").unwrap().1;
    assert_eq!(reset.target, "user/bob");
    assert!(reset.actor.starts_with("cli:"), "{reset:?}");
    assert_eq!(reset.reason.as_deref(), Some("faultline user passwd"));
    drop(store);

    let verify = succeeds(["audit", "verify", "--data-dir", data]);
    assert_mentions(&verify.stdout, &["audit trail intact: 3 records verified", "audit.head"]);

    // Someone cuts records off the end and leaves the anchor: detected, named.
    let anchor = dir.path().join("data").join("audit.head");
    fs::write(&anchor, format!("faultline-audit-head v1 id=6 hash={}\n", "0".repeat(64))).unwrap();
    let error = fails(["audit", "verify", "--data-dir", data]);
    assert_mentions(&error, &["first bad record 4", "cut off after record 3"]);
    // The anchor removed as well: still not intact.
    fs::remove_file(&anchor).unwrap();
    let error = fails(["audit", "verify", "--data-dir", data]);
    assert_mentions(&error, &["audit.head is missing"]);

    let missing = dir.path().join("nowhere");
    let error = fails(["audit", "verify", "--data-dir", s(&missing)]);
    assert_mentions(&error, &["no faultline store here"]);
}

/// `systemctl stop` and `kill` send SIGTERM: `serve` drains the engine and exits 0, as at
/// Ctrl-C, instead of dying where it stands.
#[cfg(unix)]
#[test]
fn serve_drains_and_exits_cleanly_on_sigterm() {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = TempDir::new().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("serve.toml");
    let text = format!(
        "data_dir = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n[[assets]]\nname = \"line01\"\n",
        dir.path().join("data").display()
    );
    fs::write(&config, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "faultline serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopped.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("faultline serve did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("stopping: draining the processor"), "{stdout}");
}
