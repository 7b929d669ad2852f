//! `faultline probe hsms` end to end against an independent SECS/GEM implementation: the Python
//! `secsgem` 0.3.0 package as the equipment (`tests/hsms/equipment.py`, our simulated etch tool
//! on it, with the trace support secsgem lacks), in the venv `tests/hsms/setup` creates.
//!
//! Proves: communication established (the equipment's own S1F13 answered), status variables
//! read (S1F3), ≥ 10,000 trace samples of five variables collected with the equipment's time
//! and the context of its event reports, real-time sampling on the equipment clock, reconnects
//! to the same tool, and one-line errors with exit code 1 when the tool refuses or is silent.
//! Skips with a notice only when Python or pip is unavailable and `CI` is unset.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python with secsgem, or `None` (after a notice) when it cannot be made outside CI.
fn python() -> Option<PathBuf> {
    let setup = root().join("tests/hsms/setup");
    let output = Command::new(&setup).output();
    let ok = matches!(&output, Ok(o) if o.status.success());
    if ok {
        return Some(root().join("tests/hsms/.venv/bin/python"));
    }
    let why = match output {
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    if std::env::var_os("CI").is_some() {
        panic!("tests/hsms/setup failed in CI (Python and pip are required): {why}");
    }
    eprintln!("SKIPPED: tests/hsms: cannot create the secsgem venv (no Python/pip?): {why}");
    None
}

/// The equipment process, killed on drop.
struct Equipment {
    child: Child,
    address: String,
}

impl Equipment {
    fn start(python: &Path, extra: &[&str]) -> Equipment {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(python)
            .arg(root().join("tests/hsms/equipment.py"))
            .args(["--port", &port.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/hsms/equipment.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("READY"), "equipment did not start: {line:?}");
        Equipment { child, address: format!("127.0.0.1:{port}") }
    }
}

impl Drop for Equipment {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn probe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["probe", "hsms"])
        .args(args)
        .output()
        .expect("run faultline probe hsms")
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn ten_thousand_trace_samples_from_secsgem_with_context() {
    let Some(python) = python() else { return };
    let equipment = Equipment::start(&python, &["--speed", "0"]);
    let started = Instant::now();
    let output = probe(&[
        "--address",
        &equipment.address,
        "--svid",
        "10,11,12,13,14",
        "--period-ms",
        "10",
        "--group-size",
        "10",
        "--count",
        "10000",
        "--ceid",
        "3001,3002",
        "--context",
        "2001=lot,2002=wafer,2003=recipe,2004=step",
    ]);
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("MDLN \"faultline-etch-sim\""), "communication established: {err}");
    assert!(
        err.contains("S1F3: 10=<F8 80> 11=<F4 1475> 12=<U4 12>"),
        "status variables read: {err}"
    );
    let samples = lines(&output);
    assert_eq!(samples.len(), 10_000);
    let mut previous = 0;
    for (k, sample) in samples.iter().enumerate() {
        let ts = sample["ts"].as_i64().unwrap();
        if k > 0 {
            // The equipment clock advances DSPER (10 ms) per sample.
            assert_eq!(ts - previous, 10_000_000, "sample {k}");
        }
        previous = ts;
        let values = sample["values"].as_object().unwrap();
        assert_eq!(values.len(), 5, "{sample}");
        assert!(values.values().all(Value::is_f64), "{sample}");
    }
    // Values as the simulated tool computes them (sample k: he_flow = 12 + k % 3).
    assert_eq!(samples[0]["values"]["sv12"], 13.0);
    // Context from the event reports: 500 samples per wafer, 100 per step.
    let last = &samples[9_999]["context"];
    assert_eq!(last["lot"], "LOT-0001");
    assert_eq!(last["recipe"], "ETCH-7");
    let wafers: std::collections::BTreeSet<_> =
        samples.iter().filter_map(|s| s["context"]["wafer"].as_str()).collect();
    assert!(wafers.len() >= 15, "wafer context changes with the events: {wafers:?}");
    eprintln!(
        "hsms: 10,000 samples x 5 SVIDs from secsgem in {:.2} s ({:.0} samples/s, REPGSZ 10)",
        elapsed.as_secs_f64(),
        10_000.0 / elapsed.as_secs_f64()
    );
}

#[test]
fn real_time_trace_and_reconnects_to_the_same_tool() {
    let Some(python) = python() else { return };
    let equipment = Equipment::start(&python, &["--speed", "1"]);
    for round in 0..3 {
        let started = Instant::now();
        let output = probe(&[
            "--address",
            &equipment.address,
            "--svid",
            "10,11",
            "--period-ms",
            "20",
            "--count",
            "25",
        ]);
        assert!(output.status.success(), "round {round}: {}", stderr(&output));
        let samples = lines(&output);
        assert_eq!(samples.len(), 25);
        let ts: Vec<i64> = samples.iter().map(|s| s["ts"].as_i64().unwrap()).collect();
        assert!(ts.windows(2).all(|w| w[1] - w[0] == 20_000_000), "{ts:?}");
        // Sampled in real time: 25 samples at 20 ms take about half a second.
        assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    }
}

#[test]
fn trace_reports_without_w_bit_are_collected_too() {
    let Some(python) = python() else { return };
    let equipment = Equipment::start(&python, &["--speed", "0", "--no-wbit"]);
    let output = probe(&[
        "--address",
        &equipment.address,
        "--svid",
        "10",
        "--period-ms",
        "10",
        "--group-size",
        "5",
        "--count",
        "500",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(lines(&output).len(), 500);
}

#[test]
fn refusals_and_silence_are_one_line_errors() {
    let Some(python) = python() else { return };
    let equipment = Equipment::start(&python, &["--speed", "1"]);
    // An unknown status variable: the tool refuses the trace.
    let output = probe(&["--address", &equipment.address, "--svid", "10,99", "--count", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("TIAACK = 4 (unknown status variable id)"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("faultline: error:")).count(), 1, "{err}");

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output =
        probe(&["--address", &format!("127.0.0.1:{port}"), "--svid", "10", "--count", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot connect to the equipment"), "{}", stderr(&output));

    // A tool that accepts TCP and never answers: T6 on Select.req.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let held = std::thread::spawn(move || {
        let connection = silent.accept();
        std::thread::sleep(Duration::from_secs(4));
        drop(connection);
    });
    let started = Instant::now();
    let output = probe(&["--address", &address, "--svid", "10", "--count", "1", "--timeout", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("T6 (control transaction timeout)") && err.contains("Select.rsp"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    held.join().unwrap();
}
