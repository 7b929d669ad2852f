//! The `bench tep-classify` report: accuracy, the confusion matrix and per-class recall.

use faultline_train::classify::{ClassifyReport, HARD_CLASSES};

use crate::ReportError;
use crate::chart::{BarSeries, GroupedBars, Heatmap, Scale, grouped_bars, heatmap};
use crate::html::{Cell, Header, Row, Section, page, table};

/// The whole page for one classification run.
pub fn classify_report(header: &Header, result: &ClassifyReport) -> Result<String, ReportError> {
    let classes = result.confusion.len();
    let names: Vec<String> =
        (0..classes).map(|c| if c == 0 { "0 normal".into() } else { format!("{c}") }).collect();
    let accuracy = table(
        &["scope".into(), "accuracy %".into()],
        &[
            Row {
                cells: vec![
                    Cell::name("all"),
                    Cell::number(format!("{:.2}", result.accuracy(|_| true)), None),
                ],
                class: "",
            },
            Row {
                cells: vec![
                    Cell::name("excl-3-9-15"),
                    Cell::number(
                        format!("{:.2}", result.accuracy(|c| !HARD_CLASSES.contains(&c))),
                        None,
                    ),
                ],
                class: "",
            },
        ],
    );
    // Colour by the share of the true class's rows, so classes with fewer test rows (normal
    // has 960, faults 800) compare fairly; the cell text is the count.
    let mut shares = Vec::with_capacity(classes * classes);
    let mut counts = Vec::with_capacity(classes * classes);
    for row in &result.confusion {
        let n = row.iter().sum::<usize>().max(1) as f64;
        shares.extend(row.iter().map(|c| *c as f64 / n));
        counts.extend(row.iter().map(|c| if *c == 0 { String::new() } else { c.to_string() }));
    }
    let matrix = Heatmap {
        title: "Confusion matrix (counts; colour = share of the true class)".into(),
        size: (1100, 980),
        x_desc: "predicted class".into(),
        y_desc: "true class".into(),
        x_labels: names.clone(),
        y_labels: names.clone(),
        values: &shares,
        scale: Scale::Linear,
        value_desc: "share of the true class's rows".into(),
        cell_text: counts,
        rotate_x: false,
        marker_x: None,
    };
    let recall = GroupedBars {
        title: "Recall per class".into(),
        size: (1300, 320),
        groups: names,
        x_desc: "class (IDV; 0 = normal)".into(),
        y_desc: "recall, %".into(),
        y_max: 105.0,
        series: vec![BarSeries {
            label: "recall".into(),
            colour: (31, 100, 180),
            values: result.recall(),
        }],
        legend: false,
        annotate: true,
    };
    let sections = vec![
        Section {
            id: "accuracy".into(),
            title: "Accuracy (the rows of tep_classify.csv)".into(),
            how_to_read: "Share of test rows classified right: rows 161–960 of each fault file \
                          and all rows of d00_te.dat. excl-3-9-15 leaves out the rows whose true \
                          class is 3, 9 or 15 (nearly indistinguishable from normal)."
                .into(),
            body: accuracy,
        },
        Section {
            id: "confusion".into(),
            title: "Confusion matrix".into(),
            how_to_read: "Rows are the true class, columns the predicted one; a perfect \
                          classifier fills the diagonal only. Off-diagonal cells show which \
                          faults are taken for which."
                .into(),
            body: heatmap(&matrix)?,
        },
        Section {
            id: "recall".into(),
            title: "Recall per class".into(),
            how_to_read: "The diagonal of the matrix over its row: the share of each class's \
                          test rows given the right class."
                .into(),
            body: grouped_bars(&recall)?,
        },
    ];
    Ok(page(header, &sections))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_page_writes_counts_and_recall() {
        let header = Header {
            title: "c".into(),
            command: "faultline bench tep-classify".into(),
            data: "/d".into(),
            generated: "now".into(),
            version: "0".into(),
        };
        // Class 0: 8 right, 2 taken for 1; class 1: all 5 right; class 2 never seen.
        let result =
            ClassifyReport { confusion: vec![vec![8, 2, 0], vec![0, 5, 0], vec![0, 0, 0]] };
        let page = classify_report(&header, &result).unwrap();
        assert_eq!(page.matches("<svg").count(), 2);
        assert!(page.contains(">\n8\n</text>") && page.contains(">\n2\n</text>"), "counts");
        assert!(page.contains(">\n80\n</text>") && page.contains(">\n100\n</text>"), "recall");
        assert!(page.contains("<td class=\"name\">all</td><td>86.67</td>"), "13 of 15 right");
    }
}
