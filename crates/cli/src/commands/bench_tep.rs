//! `faultline bench tep`: the TEP detection protocol, a summary table and `tep.csv`.

use std::fs;
use std::time::Instant;

use anyhow::Context;
use faultline_report::{TepReport, tep_report};
use faultline_train::tep::{TepData, TepRow, evaluate_default, evaluate_pca_family};
use faultline_train::trace::tep_traces;

use super::report;
use crate::args::BenchTepArgs;
use crate::progress::Bar;

pub fn run(args: &BenchTepArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let peers = report::tep_peers(args.peers.as_deref())?;
    let data = TepData::load(&args.data)?;
    let mut rows = evaluate_pca_family(&data, &Bar::new())?;
    rows.push(evaluate_default(&data)?);
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join("tep.csv");
    let mut csv = TepRow::csv_header() + "\n";
    for row in &rows {
        csv.push_str(&row.to_csv());
        csv.push('\n');
    }
    fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
    print!("{}", summary_table(&rows));
    println!(
        "\nTEP protocol on {} ({:.1} s). Rates in %, delay in samples (3 min each). Full table: {}",
        args.data.display(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    if let Some(file) = &args.report {
        let header = report::header("faultline bench tep: TEP detection protocol", &args.data);
        let traces = tep_traces(&data)?;
        let page = TepReport { header: &header, rows: &rows, peers: &peers, traces: &traces };
        report::write(file, &tep_report(&page)?)?;
    }
    Ok(())
}

/// The columns people compare first; the per-fault rates are in the CSV.
pub fn summary_table(rows: &[TepRow]) -> String {
    let mut out = format!(
        "{:<22} {:<12} {:>9} {:>8} {:>7} {:>7} {:>6}\n",
        "method", "limit", "far_d00te", "far_pre", "fdr17", "fdr21", "delay"
    );
    for row in rows {
        let delay = row.delay_median().map(|d| format!("{d}")).unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<22} {:<12} {:>9.2} {:>8.2} {:>7.2} {:>7.2} {:>6}\n",
            row.method,
            row.limit,
            row.far_d00te,
            row.far_pre,
            row.fdr17(),
            row.fdr21(),
            delay
        ));
    }
    out
}
