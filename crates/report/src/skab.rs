//! The `bench skab` report: F1/FAR/MAR beside the peers, and a score chart per file with the
//! labelled anomalies shaded.

use faultline_train::skab::{SkabRow, TRAIN_ROWS};
use faultline_train::trace::SkabFileTrace;

use crate::ReportError;
use crate::chart::{
    BarSeries, ControlChart, GroupedBars, Line, Panel, Rgb, Shade, control_chart, grouped_bars,
};
use crate::html::{Cell, Header, Row, Section, escape, legend, page, table};

/// Everything the SKAB report shows.
#[derive(Debug, Clone, Copy)]
pub struct SkabReport<'a> {
    /// Command, data path, time.
    pub header: &'a Header,
    /// This run's rows, as in `skab.csv`.
    pub rows: &'a [SkabRow],
    /// The peers' rows (empty without `--peers`).
    pub peers: &'a [SkabRow],
    /// Per-file statistics.
    pub files: &'a [SkabFileTrace],
}

const ANOMALY_SHADE: Rgb = (255, 140, 40);
const TRAINING_SHADE: Rgb = (150, 150, 150);

/// The whole page.
pub fn skab_report(report: &SkabReport) -> Result<String, ReportError> {
    let sections = vec![summary_section(report)?, files_section(report)?];
    Ok(page(report.header, &sections))
}

fn summary_section(report: &SkabReport) -> Result<Section, ReportError> {
    let headers = ["method", "source", "f1", "far_%", "mar_%"].map(String::from);
    let all: Vec<(&SkabRow, &str)> = report
        .rows
        .iter()
        .map(|r| (r, "faultline"))
        .chain(report.peers.iter().map(|r| (r, "peer")))
        .collect();
    let rows: Vec<Row> = all
        .iter()
        .map(|(r, source)| Row {
            cells: vec![
                Cell::name(&r.method),
                Cell::name(*source),
                Cell::number(format!("{:.3}", r.f1), Some(r.f1)),
                Cell::number(format!("{:.2}", r.far), None),
                Cell::number(format!("{:.2}", r.mar), None),
            ],
            class: match (*source, r.method.as_str()) {
                ("peer", _) => "peer",
                (_, "default") => "main",
                _ => "",
            },
        })
        .collect();
    let chart = GroupedBars {
        title: "F1, false-alarm and missed-alarm rate per method".into(),
        size: (1300, 340),
        groups: all
            .iter()
            .map(
                |(r, s)| {
                    if *s == "peer" { format!("peer: {}", r.method) } else { r.method.clone() }
                },
            )
            .collect(),
        x_desc: "method".into(),
        y_desc: "%".into(),
        y_max: 100.0,
        series: vec![
            BarSeries {
                label: "F1 × 100 (higher is better)".into(),
                colour: (31, 100, 180),
                values: all.iter().map(|(r, _)| 100.0 * r.f1).collect(),
            },
            BarSeries {
                label: "FAR % (lower is better)".into(),
                colour: (214, 39, 40),
                values: all.iter().map(|(r, _)| r.far).collect(),
            },
            BarSeries {
                label: "MAR % (lower is better)".into(),
                colour: (150, 150, 150),
                values: all.iter().map(|(r, _)| r.mar).collect(),
            },
        ],
        legend: false,
        annotate: true,
    };
    let key: Vec<(String, Rgb)> =
        chart.series.iter().map(|s| (s.label.clone(), s.colour)).collect();
    Ok(Section {
        id: "summary".into(),
        title: "Summary (the rows of skab.csv, then the peers')".into(),
        how_to_read: format!(
            "Pooled over the test parts (rows after the first {TRAIN_ROWS}) of the 34 labelled \
             files: F1 = TP / (TP + (FN + FP) / 2), FAR = FP / (FP + TN), MAR = FN / (FN + TP). \
             Peer rows are italic."
        ),
        body: table(&headers, &rows) + &legend(&key) + &grouped_bars(&chart)?,
    })
}

fn files_section(report: &SkabReport) -> Result<Section, ReportError> {
    let mut body = String::new();
    let links: Vec<String> = report
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| format!("<a href=\"#file{i}\">{}</a>", escape(&f.name)))
        .collect();
    body.push_str(&format!("<nav>{}</nav>\n", links.join(" ")));
    for (i, file) in report.files.iter().enumerate() {
        body.push_str(&format!("<div id=\"file{i}\">{}</div>\n", file_chart(file)?));
    }
    Ok(Section {
        id: "files".into(),
        title: "Per file: scores, limit and labelled anomalies".into(),
        how_to_read: format!(
            "Each statistic is divided by its own limit, so both share one axis and the limit \
             is 1 (dashed red); a row alarms above it. Log scale, x in rows (≈ 1 s each). Grey: \
             the {TRAIN_ROWS}-row training part (fitted on, not scored); orange: rows labelled \
             anomalous. The title gives the default detector's rates on that file's test part alone."
        ),
        body,
    })
}

/// Runs of `true` labels as row ranges.
fn intervals(labels: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, l) in labels.iter().chain(std::iter::once(&false)).enumerate() {
        match (l, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn file_chart(file: &SkabFileTrace) -> Result<String, ReportError> {
    let t2: Vec<Option<f64>> = file.pca_t2.iter().copied().map(Some).collect();
    let rows = file.labels.len();
    let mut shades = vec![Shade {
        rows: 0..TRAIN_ROWS.min(rows),
        colour: TRAINING_SHADE,
        label: "training part".into(),
    }];
    shades.extend(intervals(&file.labels).into_iter().map(|r| Shade {
        rows: r,
        colour: ANOMALY_SHADE,
        label: "labelled anomaly".into(),
    }));
    let r = &file.default_row;
    let chart = ControlChart {
        title: format!(
            "{} (default on this file: F1 {:.3}, FAR {:.1} %, MAR {:.1} %)",
            file.name, r.f1, r.far, r.mar
        ),
        size: (1300, 300),
        x_desc: "row".into(),
        rows,
        panels: vec![Panel {
            title: String::new(),
            y_desc: "statistic / its limit (log)".into(),
            lines: vec![
                Line { label: "pca-t2 / limit".into(), colour: (31, 100, 180), values: &t2 },
                Line {
                    label: "default / limit".into(),
                    colour: (214, 39, 40),
                    values: &file.default,
                },
            ],
            limit: Some(1.0),
        }],
        shades,
        marker: None,
        max_points: 1300,
    };
    control_chart(&chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_runs_become_intervals() {
        let labels = [false, true, true, false, true];
        assert_eq!(intervals(&labels), vec![1..3, 4..5]);
        assert!(intervals(&[false; 3]).is_empty());
    }
}
