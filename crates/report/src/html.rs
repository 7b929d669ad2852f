//! The page around the charts: header, sections, tables, and HTML escaping.
//!
//! One file, inline CSS, no script and no URL, so a report opens the same from a file share, a
//! mail attachment or a plant PC without network access, and prints.

/// What a reader needs to reproduce the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Page title.
    pub title: String,
    /// The command line that produced it.
    pub command: String,
    /// The data folder the results come from.
    pub data: String,
    /// When it was generated, as text (UTC).
    pub generated: String,
    /// faultline version.
    pub version: String,
}

/// One part of a page: a heading, a line saying how to read it, and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Anchor id (letters, digits and `-`).
    pub id: String,
    /// Heading text.
    pub title: String,
    /// One or two sentences on how to read the content (plain text).
    pub how_to_read: String,
    /// Content, already HTML.
    pub body: String,
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1360px; padding: 16px 24px;
       color: #222; }
h1 { font-size: 1.5em; margin-bottom: 4px; }
h2 { font-size: 1.2em; margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 20px 0 4px; }
.meta { font-size: 0.9em; color: #444; }
.meta code { background: #f3f3f3; padding: 1px 4px; word-break: break-all; }
.how { font-size: 0.9em; color: #555; font-style: italic; margin: 4px 0 10px; }
nav { font-size: 0.85em; margin: 12px 0; line-height: 1.8; }
nav a { margin-right: 10px; }
svg { max-width: 100%; height: auto; display: block; }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8em; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 2px 5px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; }
td.name, th.name { text-align: left; }
tr.peer td { color: #555; font-style: italic; }
tr.main td { font-weight: bold; }
.legend { font-size: 0.8em; display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle;
          margin-right: 4px; border: 1px solid #888; }
.note { font-size: 0.85em; }
.warn { color: #a00; font-weight: bold; }
";

/// The whole page: header, a table of contents, then the sections in order.
pub fn page(header: &Header, sections: &[Section]) -> String {
    let nav: Vec<String> = sections
        .iter()
        .map(|s| format!("<a href=\"#{}\">{}</a>", escape(&s.id), escape(&s.title)))
        .collect();
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <div class=\"meta\">Command: <code>{command}</code><br>Data: <code>{data}</code><br>\
         Generated {generated} by faultline {version}.</div>\n<nav>{nav}</nav>\n",
        title = escape(&header.title),
        command = escape(&header.command),
        data = escape(&header.data),
        generated = escape(&header.generated),
        version = escape(&header.version),
        nav = nav.join(" "),
    );
    for s in sections {
        out.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n<p class=\"how\">How to read: {}</p>\n{}\n</section>\n",
            escape(&s.id),
            escape(&s.title),
            escape(&s.how_to_read),
            s.body
        ));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// One table cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Text (escaped when rendered).
    pub text: String,
    /// Background strength 0–1 (a pale blue), e.g. a detection rate.
    pub shade: Option<f64>,
    /// Left-aligned (names) rather than right-aligned (numbers).
    pub name: bool,
}

impl Cell {
    /// A left-aligned name.
    pub fn name(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), shade: None, name: true }
    }

    /// A number with its text, shaded by `shade` (0–1) when given.
    pub fn number(text: impl Into<String>, shade: Option<f64>) -> Cell {
        Cell { text: text.into(), shade, name: false }
    }
}

/// A table row; `class` marks e.g. peer rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Cells in column order.
    pub cells: Vec<Cell>,
    /// CSS class of the row: `peer`, `main` (the headline method, bold) or empty.
    pub class: &'static str,
}

/// A table in a horizontally scrolling box.
pub fn table(headers: &[String], rows: &[Row]) -> String {
    let head: String = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let class = if i == 0 { " class=\"name\"" } else { "" };
            format!("<th{class}>{}</th>", escape(h))
        })
        .collect();
    let mut out = format!("<div class=\"scroll\"><table>\n<tr>{head}</tr>\n");
    for row in rows {
        let class =
            if row.class.is_empty() { String::new() } else { format!(" class=\"{}\"", row.class) };
        out.push_str(&format!("<tr{class}>"));
        for cell in &row.cells {
            let mut attrs = String::new();
            if cell.name {
                attrs.push_str(" class=\"name\"");
            }
            if let Some(s) = cell.shade.filter(|s| s.is_finite()) {
                let alpha = s.clamp(0.0, 1.0) * 0.6;
                attrs.push_str(&format!(" style=\"background: rgba(52, 120, 200, {alpha:.2})\""));
            }
            out.push_str(&format!("<td{attrs}>{}</td>", escape(&cell.text)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
    out
}

/// A legend of colour swatches, for charts whose series are too many for an in-chart legend.
pub fn legend(entries: &[(String, crate::chart::Rgb)]) -> String {
    let items: String = entries
        .iter()
        .map(|(label, (r, g, b))| {
            format!(
                "<span><span class=\"swatch\" style=\"background: rgb({r}, {g}, {b})\"></span>{}</span>",
                escape(label)
            )
        })
        .collect();
    format!("<div class=\"legend\">{items}</div>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">T² & 'q'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;T² &amp; &#39;q&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn page_escapes_the_header_and_has_no_script_or_url() {
        let header = Header {
            title: "TEP <report>".into(),
            command: "faultline bench tep --data 'a&b'".into(),
            data: "/data/<tep>".into(),
            generated: "2026-01-01 00:00 UTC".into(),
            version: "0.1.0".into(),
        };
        let section = Section {
            id: "s1".into(),
            title: "Summary".into(),
            how_to_read: "rows are methods".into(),
            body: table(
                &["method".into(), "fdr".into()],
                &[Row {
                    cells: vec![Cell::name("pca<t2>"), Cell::number("71.70", Some(0.717))],
                    class: "peer",
                }],
            ),
        };
        let html = page(&header, &[section]);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>TEP &lt;report&gt;</title>"));
        assert!(html.contains("--data &#39;a&amp;b&#39;"));
        assert!(html.contains("<td class=\"name\">pca&lt;t2&gt;</td>"));
        assert!(html.contains("<tr class=\"peer\">"));
        assert!(html.contains("rgba(52, 120, 200, 0.43)"));
        assert!(html.contains("<a href=\"#s1\">Summary</a>"));
        assert!(
            !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
        );
    }
}
