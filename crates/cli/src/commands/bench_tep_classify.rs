//! `faultline bench tep-classify`: the TEP fault-classification protocol, accuracy, per-class
//! recall, the confusion matrix and `tep_classify.csv`.

use std::fs;
use std::time::Instant;

use anyhow::Context;
use faultline_report::classify_report;
use faultline_train::classify::{evaluate, load_fault_training};
use faultline_train::tep::TepData;

use super::report as html;
use crate::args::BenchTepClassifyArgs;

pub fn run(args: &BenchTepClassifyArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = TepData::load(&args.data)?;
    let training = load_fault_training(&args.data)?;
    let report = evaluate(&data, &training)?;
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join("tep_classify.csv");
    fs::write(&path, report.to_csv()).with_context(|| format!("writing {}", path.display()))?;
    println!("confusion matrix (rows: true class, columns: predicted class)");
    print!("{:>5}", "");
    for c in 0..report.confusion.len() {
        print!("{c:>5}");
    }
    println!("{:>9}", "recall%");
    for (t, (row, recall)) in report.confusion.iter().zip(report.recall()).enumerate() {
        print!("{t:>5}");
        for n in row {
            print!("{n:>5}");
        }
        println!("{recall:>9.1}");
    }
    print!("\n{}", report.to_csv());
    println!(
        "\nTEP classification protocol on {} ({:.1} s). Table: {}",
        args.data.display(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    if let Some(file) = &args.report {
        let header =
            html::header("faultline bench tep-classify: TEP fault classification", &args.data);
        html::write(file, &classify_report(&header, &report)?)?;
    }
    Ok(())
}
