//! Chart builders on small synthetic data: each output is one `<svg>` element holding its
//! series, limit and escaped text, and no URL.

use super::*;

/// Checks what every chart must be: one `<svg>` element, its title escaped, no namespace URL.
fn check_svg(svg: &str, title_escaped: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(svg.contains(&format!("<title>{title_escaped}</title>")), "title missing");
    assert!(!svg.contains("http://") && !svg.contains("https://") && !svg.contains("<script"));
    // Every element that opens is closed or self-closing: tags balance.
    for tag in ["text", "svg", "title"] {
        assert_eq!(
            svg.matches(&format!("<{tag}")).count(),
            svg.matches(&format!("</{tag}>")).count(),
            "<{tag}> unbalanced"
        );
    }
}

/// plotters writes each text on its own line inside `<text …>`.
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

fn step_series() -> Vec<Option<f64>> {
    // Two warm-up gaps, quiet rows around 1, then a step to 50 from row 60.
    (0..100)
        .map(|i| {
            if i < 2 {
                None
            } else if i < 60 {
                Some(1.0 + (i % 3) as f64 * 0.1)
            } else {
                Some(50.0)
            }
        })
        .collect()
}

#[test]
fn control_chart_has_series_limit_marker_shade_and_escaped_text() {
    let values = step_series();
    let chart = ControlChart {
        title: "T² & SPE <fault 1>".into(),
        size: (600, 400),
        x_desc: "sample".into(),
        rows: values.len(),
        panels: vec![Panel {
            title: "PCA T²".into(),
            y_desc: "T² (log)".into(),
            lines: vec![Line { label: "T² of d01_te".into(), colour: (1, 2, 3), values: &values }],
            limit: Some(7.5),
        }],
        shades: vec![Shade { rows: 60..100, colour: (255, 160, 60), label: "faulty rows".into() }],
        marker: Some((60, "onset <60>".into())),
        max_points: 1000,
    };
    let svg = control_chart(&chart).unwrap();
    check_svg(&svg, "T² &amp; SPE &lt;fault 1&gt;");
    assert!(has_text(&svg, "T² &amp; SPE &lt;fault 1&gt;"), "visible title escaped");
    assert!(svg.contains("onset &lt;60&gt;"), "marker legend escaped");
    assert!(svg.contains("#010203"), "the series' colour");
    assert!(has_text(&svg, "T² of d01_te"), "the series' legend");
    assert!(has_text(&svg, "limit 7.5"), "the limit's legend");
    assert!(svg.contains("#C81E1E"), "the limit line's colour");
    assert!(has_text(&svg, "faulty rows"));
    assert!(svg.contains("<polyline"), "lines are drawn");
}

#[test]
fn downsampling_keeps_bucket_maxima_and_gaps() {
    let values: Vec<Option<f64>> = vec![Some(1.0), Some(9.0), None, None, Some(2.0), Some(3.0)];
    assert_eq!(downsample(&values, 3), vec![(0.0, Some(9.0)), (2.0, None), (4.0, Some(3.0))]);
    assert_eq!(downsample(&values, 100).len(), 6);
    let segs = segments(&downsample(&values, 3), 0.5);
    assert_eq!(segs, vec![vec![(0.0, 9.0)], vec![(4.0, 3.0)]]);
    assert_eq!(segments(&[(0.0, Some(0.0))], 0.5), vec![vec![(0.0, 0.5)]], "floored for log");
}

#[test]
fn grouped_bars_draw_one_rectangle_per_value() {
    let chart = GroupedBars {
        title: "FDR".into(),
        size: (500, 300),
        groups: vec!["IDV 1".into(), "IDV 2".into()],
        x_desc: "fault".into(),
        y_desc: "%".into(),
        y_max: 100.0,
        series: vec![
            BarSeries { label: "pca".into(), colour: (10, 20, 30), values: vec![50.0, 100.0] },
            BarSeries { label: "peer <x>".into(), colour: (40, 50, 60), values: vec![0.0, 75.0] },
        ],
        legend: true,
        annotate: true,
    };
    let svg = grouped_bars(&chart).unwrap();
    check_svg(&svg, "FDR");
    // Two bars of each colour, plus each legend swatch.
    assert_eq!(svg.matches("fill=\"#0A141E\"").count(), 3);
    assert_eq!(svg.matches("fill=\"#28323C\"").count(), 3);
    assert!(has_text(&svg, "IDV 1") && has_text(&svg, "IDV 2"), "group labels");
    assert!(has_text(&svg, "peer &lt;x&gt;"));
    assert!(has_text(&svg, "75"), "annotated value");
}

#[test]
fn heatmap_colours_cells_and_writes_cell_text() {
    let values = [0.0, 1.0, 0.5, 0.25];
    let map = Heatmap {
        title: "confusion".into(),
        size: (500, 400),
        x_desc: "predicted".into(),
        y_desc: "true".into(),
        x_labels: vec!["a".into(), "b".into()],
        y_labels: vec!["top".into(), "bottom".into()],
        values: &values,
        scale: Scale::Linear,
        value_desc: "share".into(),
        cell_text: vec!["0".into(), "10".into(), "5".into(), "2&".into()],
        rotate_x: true,
        marker_x: Some(0.5),
    };
    let svg = heatmap(&map).unwrap();
    check_svg(&svg, "confusion");
    let (r, g, b) = viridis(1.0);
    assert!(svg.contains(&format!("fill=\"#{r:02X}{g:02X}{b:02X}\"")), "largest cell in yellow");
    let (r, g, b) = viridis(0.0);
    assert!(svg.contains(&format!("fill=\"#{r:02X}{g:02X}{b:02X}\"")), "smallest in purple");
    assert!(has_text(&svg, "2&amp;") && has_text(&svg, "10"));
    assert!(has_text(&svg, "top") && has_text(&svg, "bottom"));
    assert!(svg.contains("rotate(90"), "rotated column names");
}

#[test]
fn log_heatmap_survives_zeros_and_constant_values() {
    for values in [[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0], [f64::NAN, 1.0, 1e-9, 1e6]] {
        let map = Heatmap {
            title: "x".into(),
            size: (300, 200),
            x_desc: String::new(),
            y_desc: String::new(),
            x_labels: vec!["a".into(), "b".into()],
            y_labels: vec!["c".into(), "d".into()],
            values: &values,
            scale: Scale::Log,
            value_desc: String::new(),
            cell_text: Vec::new(),
            rotate_x: false,
            marker_x: None,
        };
        check_svg(&heatmap(&map).unwrap(), "x");
    }
}

#[test]
fn numbers_are_short() {
    assert_eq!(number(0.0), "0");
    assert_eq!(number(1.5), "1.5");
    assert_eq!(number(2.0), "2");
    assert_eq!(number(23.21), "23.2");
    assert_eq!(number(1234.5), "1234");
    assert_eq!(number(1e6), "1e6");
    assert_eq!(number(0.001), "1e-3");
    assert_eq!(viridis(f64::NAN), viridis(0.0));
}
