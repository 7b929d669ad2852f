//! The Python peers' results (`bench/peers/peers.py`), read back to be drawn beside ours.
//!
//! The peers write `tep_peers.csv` and `skab_peers.csv` with exactly the columns of faultline's
//! `tep.csv` and `skab.csv`, so one reader per table suffices. These are result tables, not
//! plant data (which only `sources` parses); a malformed line is an error naming the file, the
//! line and the column, never a row silently left out.

use faultline_train::skab::SkabRow;
use faultline_train::tep::{FAULTS, TepRow};

use crate::ReportError;

/// One `tep.csv` row as written: the per-fault delays are not in the file, only their median.
#[derive(Debug, Clone, PartialEq)]
pub struct TepSummary {
    /// Method name.
    pub method: String,
    /// Limit kind.
    pub limit: String,
    /// False-alarm rate on `d00_te.dat`, %.
    pub far_d00te: f64,
    /// False-alarm rate before the onsets, %.
    pub far_pre: f64,
    /// Detection rate per fault (index 0 is IDV 1), %.
    pub fdr: [f64; FAULTS],
    /// Mean over the 17 faults, %.
    pub fdr17: f64,
    /// Mean over all 21 faults, %.
    pub fdr21: f64,
    /// Median delay in samples, when defined.
    pub delay_median: Option<f64>,
}

impl From<&TepRow> for TepSummary {
    fn from(row: &TepRow) -> Self {
        TepSummary {
            method: row.method.clone(),
            limit: row.limit.clone(),
            far_d00te: row.far_d00te,
            far_pre: row.far_pre,
            fdr: row.fdr,
            fdr17: row.fdr17(),
            fdr21: row.fdr21(),
            delay_median: row.delay_median(),
        }
    }
}

/// Reads a `tep.csv`-shaped file (`text`; `origin` names it in errors).
pub fn parse_tep_peers(text: &str, origin: &str) -> Result<Vec<TepSummary>, ReportError> {
    let header = TepRow::csv_header();
    let columns: Vec<&str> = header.split(',').collect();
    rows(text, origin, &header, |cells, error| {
        let number = |i: usize| -> Result<f64, ReportError> {
            cells[i].trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                error(format!("column `{}`: `{}` is not a number", columns[i], cells[i]))
            })
        };
        let mut fdr = [0.0; FAULTS];
        for (k, v) in fdr.iter_mut().enumerate() {
            *v = number(4 + k)?;
        }
        let last = columns.len() - 1;
        Ok(TepSummary {
            method: cells[0].to_string(),
            limit: cells[1].to_string(),
            far_d00te: number(2)?,
            far_pre: number(3)?,
            fdr,
            fdr17: number(4 + FAULTS)?,
            fdr21: number(5 + FAULTS)?,
            delay_median: if cells[last].trim().is_empty() { None } else { Some(number(last)?) },
        })
    })
}

/// Reads a `skab.csv`-shaped file (`method,f1,far,mar`).
pub fn parse_skab_peers(text: &str, origin: &str) -> Result<Vec<SkabRow>, ReportError> {
    let columns: Vec<&str> = SkabRow::csv_header().split(',').collect();
    rows(text, origin, SkabRow::csv_header(), |cells, error| {
        let number = |i: usize| -> Result<f64, ReportError> {
            cells[i].trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                error(format!("column `{}`: `{}` is not a number", columns[i], cells[i]))
            })
        };
        Ok(SkabRow {
            method: cells[0].to_string(),
            f1: number(1)?,
            far: number(2)?,
            mar: number(3)?,
        })
    })
}

/// Checks the header, then parses each non-empty line with `parse`, which gets the cells and
/// a constructor for an error on the current line.
fn rows<T>(
    text: &str,
    origin: &str,
    header: &str,
    parse: impl Fn(&[&str], &dyn Fn(String) -> ReportError) -> Result<T, ReportError>,
) -> Result<Vec<T>, ReportError> {
    let error_at = |line: usize, message: String| ReportError::Peers {
        origin: origin.to_string(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    match lines.next() {
        Some((_, first)) if first == header => {}
        Some((_, first)) => {
            return Err(error_at(
                1,
                format!(
                    "header is `{first}`, expected `{header}` (pass the CSV that bench/peers writes)"
                ),
            ));
        }
        None => return Err(error_at(1, "empty file; expected a header and rows".into())),
    }
    let width = header.split(',').count();
    let mut out = Vec::new();
    for (n, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != width {
            return Err(error_at(n, format!("{} fields, the header has {width}", cells.len())));
        }
        out.push(parse(&cells, &|message| error_at(n, message))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tep_line(method: &str, delay: &str) -> String {
        let fdr: Vec<String> = (1..=FAULTS).map(|k| format!("{k}.5")).collect();
        format!("{method},theoretical,2.92,1.43,{},71.70,60.48,{delay}", fdr.join(","))
    }

    #[test]
    fn tep_peers_round_trip_our_own_csv_columns() {
        let text = format!(
            "{}\n{}\r\n{}\n\n",
            TepRow::csv_header(),
            tep_line("a", "22"),
            tep_line("b", "")
        );
        let rows = parse_tep_peers(&text, "peers.csv").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].method, "a");
        assert_eq!(rows[0].fdr[2], 3.5);
        assert_eq!(rows[0].fdr17, 71.70);
        assert_eq!(rows[0].delay_median, Some(22.0));
        assert_eq!(rows[1].delay_median, None);
    }

    #[test]
    fn malformed_peer_lines_name_file_line_and_column() {
        let bad = tep_line("a", "22").replace("3.5", "n/a");
        let text = format!("{}\n{}\n{bad}\n", TepRow::csv_header(), tep_line("ok", "1"));
        let error = parse_tep_peers(&text, "p.csv").unwrap_err().to_string();
        assert_eq!(error, "p.csv:3: column `fdr_3`: `n/a` is not a number");
        let error = parse_tep_peers("method,f1\n", "p.csv").unwrap_err().to_string();
        assert!(
            error.starts_with("p.csv:1: header is `method,f1`, expected `method,limit,"),
            "{error}"
        );
        let error = parse_skab_peers("method,f1,far,mar\nx,0.5,1\n", "s.csv").unwrap_err();
        assert_eq!(error.to_string(), "s.csv:2: 3 fields, the header has 4");
        assert!(parse_skab_peers("", "s.csv").unwrap_err().to_string().contains("empty file"));
    }

    #[test]
    fn skab_peers_parse() {
        let rows =
            parse_skab_peers("method,f1,far,mar\npyod-knn,0.767,44.57,13.80\n", "s").unwrap();
        assert_eq!(
            rows,
            vec![SkabRow { method: "pyod-knn".into(), f1: 0.767, far: 44.57, mar: 13.80 }]
        );
    }
}
