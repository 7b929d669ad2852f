//! The `bench tep` report: summary table, detection rate per fault beside the peers, which
//! channels moved per fault, and a control chart per fault.

use faultline_train::tep::{EXCLUDED_FROM_FDR17, FAULT_ONSET, FAULTS, TepRow};
use faultline_train::trace::{TepFileTrace, TepTraces};

use crate::chart::{
    BarSeries, ControlChart, GroupedBars, Heatmap, Line, Panel, Rgb, Scale, Shade, control_chart,
    grouped_bars, heatmap,
};
use crate::html::{Cell, Header, Row, Section, escape, legend, page, table};
use crate::{ReportError, TepSummary};

/// Everything the TEP report shows.
#[derive(Debug, Clone, Copy)]
pub struct TepReport<'a> {
    /// Command, data path, time.
    pub header: &'a Header,
    /// This run's rows, as in `tep.csv`.
    pub rows: &'a [TepRow],
    /// The peers' rows (empty without `--peers`).
    pub peers: &'a [TepSummary],
    /// Row-by-row statistics of the charted models.
    pub traces: &'a TepTraces,
}

/// Faults per bar chart: three charts of seven keep each bar wide enough to read.
const FAULTS_PER_CHART: usize = 7;
/// Rows per time bin of the per-fault contribution maps (20 samples = 1 h; the onset, row 160,
/// falls on a bin edge).
const BIN: usize = 20;
/// Channels in the per-fault contribution maps: the largest mean contributions after onset.
const TOP_CHANNELS: usize = 12;

const DEFAULT_COLOUR: Rgb = (214, 39, 40);
const T2_COLOUR: Rgb = (31, 100, 180);
const SPE_COLOUR: Rgb = (44, 150, 80);
const ONSET_SHADE: Rgb = (255, 160, 60);

/// The whole page.
pub fn tep_report(report: &TepReport) -> Result<String, ReportError> {
    let ours: Vec<TepSummary> = report.rows.iter().map(TepSummary::from).collect();
    let sections = vec![
        summary_section(&ours, report),
        fdr_section(&ours, report.peers)?,
        overview_section(report.traces)?,
        faults_section(report)?,
    ];
    Ok(page(report.header, &sections))
}

fn summary_section(ours: &[TepSummary], report: &TepReport) -> Section {
    let mut headers: Vec<String> =
        ["method", "limit", "source", "far_d00te", "far_pre"].map(String::from).to_vec();
    headers.extend((1..=FAULTS).map(|k| format!("fdr_{k}")));
    headers.extend(["fdr17", "fdr21", "delay_median"].map(String::from));
    let rate = |v: f64| Cell::number(format!("{v:.2}"), Some(v / 100.0));
    let far = |v: f64| Cell::number(format!("{v:.2}"), None);
    let to_row = |s: &TepSummary, source: &str| Row {
        cells: [
            Cell::name(&s.method),
            Cell::name(&s.limit),
            Cell::name(source),
            far(s.far_d00te),
            far(s.far_pre),
        ]
        .into_iter()
        .chain(s.fdr.iter().map(|v| rate(*v)))
        .chain([rate(s.fdr17), rate(s.fdr21)])
        .chain([Cell::number(s.delay_median.map(|d| format!("{d}")).unwrap_or_default(), None)])
        .collect(),
        class: match (source, s.method.as_str()) {
            ("faultline", "default") => "main",
            ("faultline", _) => "",
            _ => "peer",
        },
    };
    let rows: Vec<Row> = ours
        .iter()
        .map(|s| to_row(s, "faultline"))
        .chain(report.peers.iter().map(|s| to_row(s, "peer")))
        .collect();
    let mut body = table(&headers, &rows);
    body.push_str(&consistency_note(report));
    Section {
        id: "summary".into(),
        title: "Summary (the rows of tep.csv, then the peers')".into(),
        how_to_read: format!(
            "Rates in %. far_d00te: alarms on the normal test run d00_te.dat; far_pre: alarms on \
             rows 1–{FAULT_ONSET} of the fault files (before the onset); fdr_k: alarms on rows \
             {}–960 of dk_te.dat; fdr17 leaves out IDV {}; delay in samples of 3 min to the first \
             three alarms in a row. Darker blue = higher detection rate. The `default` \
             detector's row is bold, peer rows are italic.",
            FAULT_ONSET + 1,
            EXCLUDED_FROM_FDR17.map(|k| k.to_string()).join(", ")
        ),
        body,
    }
}

/// Whether the charts below reproduce the table: the traces recompute the rows they draw.
fn consistency_note(report: &TepReport) -> String {
    let mut checked = Vec::new();
    let mut differ = Vec::new();
    for charted in report.traces.rows() {
        let Some(row) =
            report.rows.iter().find(|r| r.method == charted.method && r.limit == charted.limit)
        else {
            continue;
        };
        let name = format!("{} ({})", charted.method, charted.limit);
        let same = (row.far_d00te - charted.far_d00te).abs() < 1e-9
            && row.fdr.iter().zip(&charted.fdr).all(|(a, b)| (a - b).abs() < 1e-9);
        if same { checked.push(name) } else { differ.push(name) }
    }
    let mut out = String::new();
    if !checked.is_empty() {
        out.push_str(&format!(
            "<p class=\"note\">The control charts below reproduce the rows {} of this table \
             exactly (recomputed from the charted statistics).</p>\n",
            escape(&checked.join(", "))
        ));
    }
    if !differ.is_empty() {
        out.push_str(&format!(
            "<p class=\"note warn\">The charted statistics do not reproduce the rows {}: the \
             charts and the table come from different fits; trust the table.</p>\n",
            escape(&differ.join(", "))
        ));
    }
    out
}

/// Colours: `default` red, PCA blues, dynamic PCA greens, other own rows purple, peers in
/// oranges and browns; empirical limits lighter than theoretical ones.
fn method_colour(s: &TepSummary, peer: bool, index: usize) -> Rgb {
    const BLUES: [Rgb; 3] = [(31, 80, 160), (66, 130, 210), (120, 175, 235)];
    const GREENS: [Rgb; 3] = [(20, 110, 60), (60, 160, 90), (130, 200, 140)];
    const PEERS: [Rgb; 9] = [
        (230, 120, 20),
        (245, 165, 80),
        (250, 205, 140),
        (160, 90, 40),
        (200, 130, 80),
        (225, 180, 140),
        (120, 120, 120),
        (170, 170, 170),
        (90, 60, 30),
    ];
    let light = usize::from(s.limit == "empirical");
    let rule = if s.method.ends_with("-t2") {
        0
    } else if s.method.ends_with("-spe") {
        1
    } else {
        2
    };
    let shade = |palette: &[Rgb; 3]| {
        let (r, g, b) = palette[rule];
        if light == 1 { (r / 2 + 110, g / 2 + 110, b / 2 + 110) } else { (r, g, b) }
    };
    match () {
        _ if peer => PEERS[index % PEERS.len()],
        _ if s.method == "default" => DEFAULT_COLOUR,
        _ if s.method.starts_with("dpca") => shade(&GREENS),
        _ if s.method.starts_with("pca") => shade(&BLUES),
        _ => (130, 80, 170),
    }
}

fn fdr_section(ours: &[TepSummary], peers: &[TepSummary]) -> Result<Section, ReportError> {
    let methods: Vec<(&TepSummary, Rgb, String)> = ours
        .iter()
        .enumerate()
        .map(|(i, s)| (s, method_colour(s, false, i), format!("{} ({})", s.method, s.limit)))
        .chain(peers.iter().enumerate().map(|(i, s)| {
            (s, method_colour(s, true, i), format!("peer: {} ({})", s.method, s.limit))
        }))
        .collect();
    let mut body = legend(&methods.iter().map(|(_, c, l)| (l.clone(), *c)).collect::<Vec<_>>());
    for first in (0..FAULTS).step_by(FAULTS_PER_CHART) {
        let faults: Vec<usize> = (first..(first + FAULTS_PER_CHART).min(FAULTS)).collect();
        let chart = GroupedBars {
            title: format!(
                "Detection rate, IDV {} to {}",
                faults[0] + 1,
                faults[faults.len() - 1] + 1
            ),
            size: (1300, 330),
            groups: faults.iter().map(|k| format!("IDV {}", k + 1)).collect(),
            x_desc: "fault".into(),
            y_desc: "FDR, % of rows 161–960".into(),
            y_max: 100.0,
            series: methods
                .iter()
                .map(|(s, colour, label)| BarSeries {
                    label: label.clone(),
                    colour: *colour,
                    values: faults.iter().map(|k| s.fdr[*k]).collect(),
                })
                .collect(),
            legend: false,
            annotate: false,
        };
        body.push_str(&grouped_bars(&chart)?);
    }
    Ok(Section {
        id: "fdr".into(),
        title: "Detection rate per fault, every method beside the peers".into(),
        how_to_read: "One group of bars per fault, one bar per method in the legend's order \
                      (faultline first, then the peers); a bar's height is its fdr_k from the \
                      summary table. Compare a fault's bars with the false-alarm rates above: a \
                      method that alarms often detects more."
            .into(),
        body,
    })
}

fn channel_labels(traces: &TepTraces) -> Vec<String> {
    traces.channels.clone()
}

fn overview_section(traces: &TepTraces) -> Result<Section, ReportError> {
    let m = traces.channels.len();
    // Each row over its own largest mean: faults differ by two or three decades in size (IDV 6
    // dwarfs the rest), and the question here is which channels, not how much.
    let relative = |mut row: Vec<f64>| {
        let max = row.iter().copied().fold(0.0, f64::max);
        if max > 0.0 {
            row.iter_mut().for_each(|v| *v /= max);
        }
        row
    };
    let mut values = relative(traces.normal.mean_contributions(0, m));
    let mut y_labels = vec!["normal (d00_te, all rows)".to_string()];
    for (k, fault) in traces.faults.iter().enumerate() {
        values.extend(relative(fault.mean_contributions(FAULT_ONSET, m)));
        y_labels.push(format!("IDV {}", k + 1));
    }
    let map = Heatmap {
        title: "Mean contribution after the onset, per fault and channel (row-relative)".into(),
        size: (1300, 640),
        x_desc: "channel".into(),
        y_desc: "test file".into(),
        x_labels: channel_labels(traces),
        y_labels,
        values: &values,
        scale: Scale::Linear,
        value_desc: "share of the row's largest".into(),
        cell_text: Vec::new(),
        rotate_x: true,
        marker_x: None,
    };
    Ok(Section {
        id: "contributions".into(),
        title: "Which channels moved: fault × channel overview".into(),
        how_to_read: format!(
            "Each cell is a channel's mean reconstruction-based contribution to PCA T² and SPE \
             ({} components), each divided by its 99 % limit and added, over rows {}–960 of the \
             fault's test file (all rows for the normal run), divided by the largest of its row: \
             bright cells are the channels an operator would be pointed to for that fault. The \
             size of each fault is in its control chart below.",
            traces.components,
            FAULT_ONSET + 1
        ),
        body: heatmap(&map)?,
    })
}

fn faults_section(report: &TepReport) -> Result<Section, ReportError> {
    let traces = report.traces;
    let mut body = String::new();
    for (k, fault) in traces.faults.iter().enumerate() {
        body.push_str(&format!(
            "<h3 id=\"idv{n}\">IDV {n}: {name}</h3>\n<p class=\"note\">{rates}</p>\n<div class=\"row\">{chart}{detail}</div>\n",
            n = k + 1,
            name = escape(&fault.name),
            rates = escape(&fault_rates(report.rows, k)),
            chart = fault_chart(traces, fault, k + 1)?,
            detail = fault_detail(traces, fault, k + 1)?,
        ));
    }
    let links: Vec<String> =
        (1..=FAULTS).map(|n| format!("<a href=\"#idv{n}\">IDV {n}</a>")).collect();
    Ok(Section {
        id: "faults".into(),
        title: "Per fault: control charts and contributions over time".into(),
        how_to_read: format!(
            "Left: the statistics of the fault's test file per sample (3 min), log scale, with \
             the 99 % limit dashed red and the fault onset after sample {FAULT_ONSET} (the \
             orange region is faulty); a sample alarms when its value is above the limit. PCA T² \
             and SPE use theoretical limits; `default` is the combined statistic of the default \
             detector with its held-out limit. Right: the {TOP_CHANNELS} channels with the \
             largest mean contribution after the onset, mean per hour ({BIN} samples), log colour \
             scale of that fault (see the bar for its range); the dashed line is the onset."
        ),
        body: format!("<nav>{}</nav>\n{body}", links.join(" ")),
    })
}

/// "pca-t2: FDR 99.38 %, delay 6; …" for the charted rows of fault `k` (0-based).
fn fault_rates(rows: &[TepRow], k: usize) -> String {
    let charted = [("pca-t2", "theoretical"), ("pca-spe", "theoretical"), ("default", "heldout")];
    charted
        .iter()
        .filter_map(|(m, l)| rows.iter().find(|r| r.method == *m && r.limit == *l))
        .map(|r| {
            let delay = r.delay[k].map_or("never three in a row".into(), |d| format!("delay {d}"));
            format!("{} ({}): FDR {:.2} %, {delay}", r.method, r.limit, r.fdr[k])
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fault_chart(traces: &TepTraces, fault: &TepFileTrace, n: usize) -> Result<String, ReportError> {
    let t2: Vec<Option<f64>> = fault.t2.iter().copied().map(Some).collect();
    let spe: Vec<Option<f64>> = fault.spe.iter().copied().map(Some).collect();
    let rows = fault.t2.len().max(fault.combined.len());
    let chart = ControlChart {
        title: format!("IDV {n}: control charts of {}", fault.name),
        size: (820, 540),
        x_desc: "sample (3 min each)".into(),
        rows,
        panels: vec![
            Panel {
                title: format!("PCA T² ({} components)", traces.components),
                y_desc: "T² (log)".into(),
                lines: vec![Line { label: "T²".into(), colour: T2_COLOUR, values: &t2 }],
                limit: Some(traces.t2_limit),
            },
            Panel {
                title: "PCA SPE (Q)".into(),
                y_desc: "SPE (log)".into(),
                lines: vec![Line { label: "SPE".into(), colour: SPE_COLOUR, values: &spe }],
                limit: Some(traces.spe_limit),
            },
            Panel {
                title: "default: combined statistic".into(),
                y_desc: "combined (log)".into(),
                lines: vec![Line {
                    label: "default".into(),
                    colour: DEFAULT_COLOUR,
                    values: &fault.combined,
                }],
                limit: Some(traces.combined_limit),
            },
        ],
        shades: vec![Shade {
            rows: FAULT_ONSET..rows,
            colour: ONSET_SHADE,
            label: "faulty rows".into(),
        }],
        marker: Some((FAULT_ONSET, format!("onset after sample {FAULT_ONSET}"))),
        max_points: 1000,
    };
    control_chart(&chart)
}

fn fault_detail(traces: &TepTraces, fault: &TepFileTrace, n: usize) -> Result<String, ReportError> {
    let m = traces.channels.len();
    let mean = fault.mean_contributions(FAULT_ONSET, m);
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| mean[*b].total_cmp(&mean[*a]).then(a.cmp(b)));
    order.truncate(TOP_CHANNELS);
    let rows = fault.contributions.len() / m.max(1);
    let bins = rows.div_ceil(BIN);
    let mut values = Vec::with_capacity(order.len() * bins);
    for &channel in &order {
        for b in 0..bins {
            let range = b * BIN..((b + 1) * BIN).min(rows);
            let sum: f64 = range.clone().map(|r| fault.contributions[r * m + channel]).sum();
            values.push(sum / range.len().max(1) as f64);
        }
    }
    let map = Heatmap {
        title: format!("IDV {n}: top {} channels over time", order.len()),
        size: (470, 540),
        x_desc: format!("hour (bins of {BIN} samples)"),
        y_desc: String::new(),
        x_labels: (0..bins)
            .map(|b| if b % 4 == 0 { format!("{}", b * BIN * 3 / 60) } else { String::new() })
            .collect(),
        y_labels: order.iter().map(|c| traces.channels[*c].clone()).collect(),
        values: &values,
        scale: Scale::Log,
        value_desc: "contribution (limits' worth)".into(),
        cell_text: Vec::new(),
        rotate_x: false,
        marker_x: Some(FAULT_ONSET as f64 / BIN as f64 - 0.5),
    };
    heatmap(&map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny TEP-shaped run: 3 channels, 200 rows per file, fault k stepping channel k mod 3
    /// up after the onset.
    fn traces() -> TepTraces {
        let file = |k: usize, name: String| {
            let rows = 200;
            let step = |i: usize| if k > 0 && i >= FAULT_ONSET { 20.0 } else { 1.0 };
            TepFileTrace {
                name,
                t2: (0..rows).map(|i| step(i) * (1.0 + (i % 5) as f64)).collect(),
                spe: (0..rows).map(|i| step(i) * 0.5).collect(),
                combined: (0..rows).map(|i| (i > 0).then(|| step(i) * 0.7)).collect(),
                contributions: (0..rows)
                    .flat_map(|i| (0..3).map(move |c| if c == k % 3 { step(i) } else { 0.1 }))
                    .collect(),
            }
        };
        TepTraces {
            channels: vec!["a<1>".into(), "b".into(), "c".into()],
            components: 2,
            t2_limit: 5.0,
            spe_limit: 3.0,
            combined_limit: 1.5,
            normal: file(0, "d00_te.dat".into()),
            faults: (1..=FAULTS).map(|k| file(k, format!("d{k:02}_te.dat"))).collect(),
        }
    }

    #[test]
    fn tep_page_has_every_section_fault_and_peer_and_flags_a_mismatch() {
        let traces = traces();
        let [t2, spe, default] = traces.rows();
        let mut drifted = default.clone();
        drifted.fdr[0] -= 1.0;
        let header = Header {
            title: "t".into(),
            command: "faultline bench tep".into(),
            data: "/d".into(),
            generated: "now".into(),
            version: "0".into(),
        };
        let peer = TepSummary { method: "peer<x>".into(), ..TepSummary::from(&t2) };
        let rows = [t2, spe, drifted];
        let page = tep_report(&TepReport {
            header: &header,
            rows: &rows,
            peers: std::slice::from_ref(&peer),
            traces: &traces,
        })
        .unwrap();
        for k in 1..=FAULTS {
            assert!(page.contains(&format!("id=\"idv{k}\"")), "IDV {k}");
        }
        // Control charts (21) + detail maps (21) + overview + 3 bar charts.
        assert_eq!(page.matches("<svg").count(), 2 * FAULTS + 1 + 3);
        assert!(page.contains("peer: peer&lt;x&gt; (theoretical)"));
        assert!(page.contains("a&lt;1&gt;"));
        assert!(page.contains("reproduce the rows pca-t2 (theoretical), pca-spe (theoretical)"));
        assert!(page.contains("do not reproduce the rows default (heldout)"));
        assert!(!page.contains("http://") && !page.contains("<script"));
    }
}
