//! `faultline bench skab`: the SKAB leaderboard protocol, a table and `skab.csv`.

use std::fs;
use std::time::Instant;

use anyhow::Context;
use faultline_report::{SkabReport, skab_report};
use faultline_train::skab::{SkabData, SkabRow, evaluate};
use faultline_train::trace::skab_traces;

use super::report;
use crate::args::BenchSkabArgs;
use crate::progress::Bar;

pub fn run(args: &BenchSkabArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let peers = report::skab_peers(args.peers.as_deref())?;
    let data = SkabData::load(&args.data)?;
    let rows = evaluate(&data, &Bar::new())?;
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join("skab.csv");
    let mut csv = format!("{}\n", SkabRow::csv_header());
    for row in &rows {
        csv.push_str(&row.to_csv());
        csv.push('\n');
    }
    fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
    println!("{:<14} {:>6} {:>8} {:>8}", "method", "f1", "far_%", "mar_%");
    for row in &rows {
        println!("{:<14} {:>6.3} {:>8.2} {:>8.2}", row.method, row.f1, row.far, row.mar);
    }
    println!(
        "\nSKAB leaderboard protocol on {} ({} files, first 400 rows of each for training; {:.1} s). \
Table: {}",
        args.data.display(),
        data.files.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    if let Some(file) = &args.report {
        let header = report::header("faultline bench skab: SKAB leaderboard protocol", &args.data);
        let files = skab_traces(&data)?;
        let page = SkabReport { header: &header, rows: &rows, peers: &peers, files: &files };
        report::write(file, &skab_report(&page)?)?;
    }
    Ok(())
}
