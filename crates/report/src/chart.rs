//! Chart builders: plain data in, one `<svg>` element out, drawn by `plotters`' SVG backend.
//!
//! Three kinds cover the reports: a control chart (statistics per row on a log axis, with the
//! control limit, a marker such as the fault onset and shaded row intervals), grouped bars (a
//! rate per group for several methods) and a heatmap (channels × faults, channels × time, a
//! confusion matrix). Each builder takes a plain struct so a report reads as data, and each
//! returns text that goes straight into the page.
//!
//! Text is left to the browser: without plotters' `ttf` feature it estimates label widths and
//! writes `<text>` elements, so no font file is read. The SVG namespace attribute is dropped
//! because an `<svg>` inside HTML needs none, and it keeps the page free of URLs.

use std::error::Error;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ReportError;
use crate::html::escape;

/// An sRGB colour.
pub type Rgb = (u8, u8, u8);

const FONT: &str = "sans-serif";
const LIMIT_COLOUR: Rgb = (200, 30, 30);
const MARKER_COLOUR: Rgb = (60, 60, 60);

type Drawing<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn Error>>;

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Draws into a fresh SVG of `size` pixels and returns the `<svg>` element with a `<title>`.
fn svg(title: &str, size: (u32, u32), draw: impl FnOnce(&Drawing) -> DrawResult) -> Svg {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Box::<dyn Error>::from)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Box::<dyn Error>::from));
        drawn.map_err(|e| ReportError::Draw { chart: title.into(), message: e.to_string() })?;
    }
    let buf = buf.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1);
    Ok(match buf.find('>') {
        Some(end) => format!(
            "{} role=\"img\">\n<title>{}</title>{}",
            &buf[..end],
            escape(title),
            &buf[end + 1..]
        ),
        None => buf,
    })
}

/// The result of a builder: an `<svg>` element, or why it could not be drawn.
pub type Svg = Result<String, ReportError>;

/// One statistic along the rows of a file; `None` rows (warm-up) leave a gap.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Legend text.
    pub label: String,
    /// Stroke colour.
    pub colour: Rgb,
    /// Value per row.
    pub values: &'a [Option<f64>],
}

/// One panel of a control chart: its own y axis (log scale) and limit.
#[derive(Debug, Clone)]
pub struct Panel<'a> {
    /// Panel title.
    pub title: String,
    /// Y axis description, with unit.
    pub y_desc: String,
    /// The statistics drawn.
    pub lines: Vec<Line<'a>>,
    /// The control limit, drawn dashed.
    pub limit: Option<f64>,
}

/// Rows shaded behind the panels, e.g. a labelled anomaly or the training part.
#[derive(Debug, Clone)]
pub struct Shade {
    /// First row and one past the last.
    pub rows: Range<usize>,
    /// Fill colour (drawn translucent).
    pub colour: Rgb,
    /// Legend text; shades with the same text share one legend entry.
    pub label: String,
}

/// Statistics per row on stacked panels sharing the row axis.
#[derive(Debug, Clone)]
pub struct ControlChart<'a> {
    /// Chart title.
    pub title: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// X axis description, with unit.
    pub x_desc: String,
    /// Number of rows (the x range).
    pub rows: usize,
    /// Panels, top to bottom.
    pub panels: Vec<Panel<'a>>,
    /// Shaded row intervals.
    pub shades: Vec<Shade>,
    /// A vertical marker (row, legend text), e.g. the fault onset.
    pub marker: Option<(usize, String)>,
    /// Lines with more rows are reduced to this many points, keeping each bucket's maximum so
    /// no excursion above the limit disappears.
    pub max_points: usize,
}

/// Draws a [`ControlChart`].
pub fn control_chart(chart: &ControlChart) -> Svg {
    svg(&chart.title, chart.size, |root| {
        let root = root.titled(&chart.title, (FONT, 21))?;
        let areas = root.split_evenly((chart.panels.len().max(1), 1));
        for (i, (area, panel)) in areas.iter().zip(&chart.panels).enumerate() {
            let last = i + 1 == chart.panels.len();
            draw_panel(area, chart, panel, i == 0, last)?;
        }
        Ok(())
    })
}

fn draw_panel(
    area: &Drawing,
    chart: &ControlChart,
    panel: &Panel,
    first: bool,
    last: bool,
) -> DrawResult {
    let (lo, hi) = log_range(panel);
    let x_max = chart.rows.max(1) as f64;
    let mut c = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 16))
        .margin(4)
        .margin_right(14)
        .x_label_area_size(if last { 34 } else { 18 })
        .y_label_area_size(62)
        .build_cartesian_2d(0f64..x_max, (lo..hi).log_scale())?;
    // Less than about a decade and a half: label 1, 2 and 5 of each decade; else decades only,
    // so labels never overlap on a short panel.
    let dense = (hi / lo).log10() < 1.5;
    c.configure_mesh()
        .x_desc(if last { chart.x_desc.as_str() } else { "" })
        .y_desc(panel.y_desc.as_str())
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(if dense { 40 } else { 8 })
        .y_label_formatter(&|v| log_label(*v, dense))
        .label_style((FONT, 14))
        .x_max_light_lines(1)
        .y_max_light_lines(1)
        .light_line_style(RGBColor(242, 242, 242))
        .draw()?;
    let mut labels: Vec<&str> = Vec::new();
    for shade in &chart.shades {
        let fill = rgb(shade.colour).mix(0.22).filled();
        let rect =
            Rectangle::new([(shade.rows.start as f64, lo), (shade.rows.end as f64, hi)], fill);
        let drawn = c.draw_series(std::iter::once(rect))?;
        if first && !labels.contains(&shade.label.as_str()) {
            labels.push(&shade.label);
            drawn
                .label(shade.label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], fill));
        }
    }
    if let Some((row, label)) = &chart.marker {
        let style = rgb(MARKER_COLOUR).stroke_width(2);
        let x = *row as f64;
        let drawn =
            c.draw_series(std::iter::once(PathElement::new(vec![(x, lo), (x, hi)], style)))?;
        if first {
            drawn
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
    }
    for line in &panel.lines {
        let style = rgb(line.colour).stroke_width(1);
        let segments = segments(&downsample(line.values, chart.max_points), lo);
        c.draw_series(segments.into_iter().map(|s| PathElement::new(s, style)))?
            .label(line.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], style.stroke_width(2))
            });
    }
    if let Some(limit) = panel.limit {
        let style = rgb(LIMIT_COLOUR).stroke_width(2);
        c.draw_series(DashedLineSeries::new(vec![(0.0, limit), (x_max, limit)], 8, 5, style))?
            .label(format!("limit {}", number(limit)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

/// The y range of a log panel: every positive value and the limit, at most four decades
/// below the top so that a near-zero row does not squash the interesting part.
fn log_range(panel: &Panel) -> (f64, f64) {
    let values = panel.lines.iter().flat_map(|l| l.values.iter().flatten());
    let positive: Vec<f64> =
        values.chain(panel.limit.iter()).copied().filter(|v| *v > 0.0 && v.is_finite()).collect();
    let max = positive.iter().copied().fold(f64::MIN, f64::max);
    let min = positive.iter().copied().fold(f64::MAX, f64::min);
    if positive.is_empty() {
        return (0.1, 10.0);
    }
    let lo = min.max(max * 1e-4) * 0.8;
    let hi = max * 1.6;
    if hi > lo { (lo, hi) } else { (lo * 0.5, lo * 2.0) }
}

/// A log-axis tick's text: powers of ten, and 2 and 5 times them when `dense`.
fn log_label(v: f64, dense: bool) -> String {
    let mantissa = v / 10f64.powf(v.log10().floor());
    let shown = [1.0, 2.0, 5.0].iter().take(if dense { 3 } else { 1 });
    let near = |m: &f64| (mantissa - m).abs() < 1e-6 || (mantissa - m * 10.0).abs() < 1e-5;
    if shown.clone().any(near) { number(v) } else { String::new() }
}

/// `(row, value)` pairs, at most `max_points` (bucket maxima when there are more rows).
pub fn downsample(values: &[Option<f64>], max_points: usize) -> Vec<(f64, Option<f64>)> {
    let step = values.len().div_ceil(max_points.max(1)).max(1);
    values
        .chunks(step)
        .enumerate()
        .map(|(i, chunk)| {
            let max = chunk.iter().flatten().copied().reduce(f64::max);
            ((i * step) as f64, max)
        })
        .collect()
}

/// Connected runs of defined points, with values below the axis floor drawn on it.
fn segments(points: &[(f64, Option<f64>)], floor: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) => current.push((*x, y.max(floor))),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Axis and legend numbers: short, without trailing zeros.
pub fn number(v: f64) -> String {
    let a = v.abs();
    let text = if a == 0.0 {
        return "0".into();
    } else if !(1e-2..1e5).contains(&a) {
        return format!("{v:.0e}");
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// One method's value per group.
#[derive(Debug, Clone)]
pub struct BarSeries {
    /// Legend text.
    pub label: String,
    /// Fill colour.
    pub colour: Rgb,
    /// One value per group.
    pub values: Vec<f64>,
}

/// Bars side by side per group (e.g. per fault: one bar per method).
#[derive(Debug, Clone)]
pub struct GroupedBars {
    /// Chart title.
    pub title: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Group names along the x axis.
    pub groups: Vec<String>,
    /// X axis description.
    pub x_desc: String,
    /// Y axis description, with unit.
    pub y_desc: String,
    /// Top of the y axis.
    pub y_max: f64,
    /// The series, drawn in this order inside each group.
    pub series: Vec<BarSeries>,
    /// Draw the legend inside the chart (off when the page shows a shared one).
    pub legend: bool,
    /// Write each bar's value above it (for a few bars only).
    pub annotate: bool,
}

/// Draws [`GroupedBars`].
pub fn grouped_bars(chart: &GroupedBars) -> Svg {
    svg(&chart.title, chart.size, |root| {
        let n = chart.groups.len().max(1);
        let mut c = ChartBuilder::on(root)
            .caption(&chart.title, (FONT, 20))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..chart.y_max)?;
        let groups = &chart.groups;
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| category(groups, *v))
            .y_label_formatter(&|v| number(*v))
            .x_desc(chart.x_desc.as_str())
            .y_desc(chart.y_desc.as_str())
            .label_style((FONT, 14))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let k = chart.series.len().max(1);
        let width = 0.84 / k as f64;
        for (j, series) in chart.series.iter().enumerate() {
            let fill = rgb(series.colour).filled();
            let bars = series.values.iter().enumerate().map(|(i, v)| {
                let x0 = i as f64 - 0.42 + j as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, v.clamp(0.0, chart.y_max))], fill)
            });
            c.draw_series(bars)?
                .label(series.label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
            if chart.annotate {
                let style = TextStyle::from((FONT, 12).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                c.draw_series(series.values.iter().enumerate().map(|(i, v)| {
                    let x = i as f64 - 0.42 + (j as f64 + 0.5) * width;
                    Text::new(format!("{v:.0}"), (x, v.clamp(0.0, chart.y_max)), style.clone())
                }))?;
            }
        }
        if chart.legend {
            c.configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 14))
                .draw()?;
        }
        Ok(())
    })
}

/// The name of the category at an integer coordinate (plotters asks for every tick).
fn category(names: &[String], v: f64) -> String {
    let k = v.round();
    if (v - k).abs() > 1e-6 || k < 0.0 {
        return String::new();
    }
    names.get(k as usize).cloned().unwrap_or_default()
}

/// How cell values map to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly from the smallest to the largest value.
    Linear,
    /// By decades (values spanning several orders of magnitude, such as contributions).
    Log,
}

/// A matrix of values as coloured cells.
#[derive(Debug, Clone)]
pub struct Heatmap<'a> {
    /// Chart title.
    pub title: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// X axis description.
    pub x_desc: String,
    /// Y axis description.
    pub y_desc: String,
    /// Column names.
    pub x_labels: Vec<String>,
    /// Row names, top to bottom.
    pub y_labels: Vec<String>,
    /// Row-major values, `y_labels.len() × x_labels.len()`.
    pub values: &'a [f64],
    /// Colour mapping.
    pub scale: Scale,
    /// Colour bar title, with unit.
    pub value_desc: String,
    /// Text per cell (row-major), or empty for none.
    pub cell_text: Vec<String>,
    /// Write column names vertically (many columns).
    pub rotate_x: bool,
    /// A vertical line at this column coordinate (e.g. the fault onset between two bins).
    pub marker_x: Option<f64>,
}

/// Draws a [`Heatmap`] with its colour bar on the right.
pub fn heatmap(map: &Heatmap) -> Svg {
    svg(&map.title, map.size, |root| {
        let (cols, rows) = (map.x_labels.len().max(1), map.y_labels.len().max(1));
        let (lo, hi) = value_range(map.values, map.scale);
        let position = |v: f64| scaled(v, lo, hi, map.scale);
        let (main, bar) = root.split_horizontally(map.size.0.saturating_sub(96));
        let widest =
            |labels: &[String]| labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let x_area = if map.rotate_x { 30 + 7 * widest(&map.x_labels) as u32 } else { 40 };
        let mut c = ChartBuilder::on(&main)
            .caption(&map.title, (FONT, 20))
            .margin(6)
            .x_label_area_size(x_area)
            .y_label_area_size(34 + 7 * widest(&map.y_labels) as u32)
            .build_cartesian_2d(-0.5f64..cols as f64 - 0.5, -0.5f64..rows as f64 - 0.5)?;
        let flipped: Vec<String> = map.y_labels.iter().rev().cloned().collect();
        c.configure_mesh()
            .disable_mesh()
            .x_labels(if map.rotate_x { 0 } else { cols })
            .y_labels(rows)
            .x_label_formatter(&|v| category(&map.x_labels, *v))
            .y_label_formatter(&|v| category(&flipped, *v))
            .label_style((FONT, 12))
            .x_desc(map.x_desc.as_str())
            .y_desc(map.y_desc.as_str())
            .draw()?;
        c.draw_series(map.values.chunks(cols).enumerate().flat_map(|(r, row)| {
            let y = (rows - 1 - r) as f64;
            row.iter().enumerate().map(move |(x, v)| {
                let x = x as f64;
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    rgb(viridis(position(*v))).filled(),
                )
            })
        }))?;
        if !map.cell_text.is_empty() {
            let texts = map.cell_text.iter().zip(map.values).enumerate().map(|(i, (text, v))| {
                let (r, x) = (i / cols, i % cols);
                let ink: &'static RGBColor = if position(*v) > 0.6 { &BLACK } else { &WHITE };
                let style = TextStyle::from((FONT, 12).into_font())
                    .color(ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                Text::new(text.clone(), (x as f64, (rows - 1 - r) as f64), style)
            });
            c.draw_series(texts)?;
        }
        if map.rotate_x {
            // plotters centres rotated tick labels on the axis, half inside the plot; written
            // here they start below the axis and read downwards.
            let style = TextStyle::from((FONT, 12).into_font())
                .transform(FontTransform::Rotate90)
                .pos(Pos::new(HPos::Left, VPos::Center));
            for (k, label) in map.x_labels.iter().enumerate() {
                let (x, y) = c.backend_coord(&(k as f64, -0.5));
                main.draw(&Text::new(label.clone(), (x, y + 6), style.clone()))?;
            }
        }
        if let Some(x) = map.marker_x {
            let style = WHITE.stroke_width(2);
            let top = rows as f64 - 0.5;
            c.draw_series(DashedLineSeries::new(vec![(x, -0.5), (x, top)], 6, 4, style))?;
        }
        colour_bar(&bar, map, lo, hi)
    })
}

fn colour_bar(area: &Drawing, map: &Heatmap, lo: f64, hi: f64) -> DrawResult {
    let mut c = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(if map.rotate_x { 84 } else { 42 })
        .margin_left(6)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    let scale = map.scale;
    c.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|t| number(unscaled(*t, lo, hi, scale)))
        .y_desc(map.value_desc.as_str())
        .label_style((FONT, 12))
        .draw()?;
    const STEPS: usize = 40;
    c.draw_series((0..STEPS).map(|i| {
        let (t0, t1) = (i as f64 / STEPS as f64, (i + 1) as f64 / STEPS as f64);
        Rectangle::new([(0.0, t0), (1.0, t1)], rgb(viridis((t0 + t1) / 2.0)).filled())
    }))?;
    Ok(())
}

/// Smallest and largest value the colours span; a log scale spans at most three decades.
fn value_range(values: &[f64], scale: Scale) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = match scale {
        Scale::Linear => finite.fold((0.0f64, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v))),
        Scale::Log => {
            let hi = finite.clone().filter(|v| *v > 0.0).fold(f64::MIN, f64::max);
            let lo = finite.filter(|v| *v > 0.0).fold(f64::MAX, f64::min);
            (lo.max(hi * 1e-3), hi)
        }
    };
    if hi > lo && hi.is_finite() && lo.is_finite() {
        (lo, hi)
    } else {
        // No spread (all values equal, or nothing positive on a log scale): one unit or one
        // decade from the value, so every cell takes the bottom colour.
        let base = if lo.is_finite() { lo } else { 0.0 };
        match scale {
            Scale::Linear => (base, base + 1.0),
            Scale::Log if base > 0.0 => (base, base * 10.0),
            Scale::Log => (1.0, 10.0),
        }
    }
}

/// Position 0–1 of a value on the colour scale.
fn scaled(v: f64, lo: f64, hi: f64, scale: Scale) -> f64 {
    let t = match scale {
        Scale::Linear => (v - lo) / (hi - lo),
        Scale::Log => (v.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln()),
    };
    if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 }
}

fn unscaled(t: f64, lo: f64, hi: f64, scale: Scale) -> f64 {
    match scale {
        Scale::Linear => lo + t * (hi - lo),
        Scale::Log => (lo.ln() + t * (hi.ln() - lo.ln())).exp(),
    }
}

/// The viridis colour map (perceptually even, readable in grey and by most colour-blind
/// readers), interpolated between nine of its published anchor colours.
pub fn viridis(t: f64) -> Rgb {
    const ANCHORS: [Rgb; 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests;
