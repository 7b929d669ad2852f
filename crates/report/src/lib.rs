//! Reports people look at: one self-contained HTML file per benchmark run, with charts.
//!
//! The bench commands print tables and write CSVs; this crate turns the same results, and the
//! row-by-row statistics behind them (`faultline_train::trace`), into one HTML page that an
//! engineer opens from a file share or a mail attachment on a plant network: inline SVG, inline
//! CSS, no script, no font or style sheet from the network. It decides no number: everything
//! drawn comes from `train`; this crate only lays it out.
//!
//! # Layout
//! - `chart`: the chart builders (control chart, grouped bars, heatmap), data in, SVG text
//!   out, drawn by `plotters` through its SVG backend only;
//! - `html`: the page (header, sections, tables) and HTML escaping;
//! - `peers`: reading the Python peers' result CSVs (the columns of `tep.csv` / `skab.csv`);
//! - `tep`, `skab`, `classify`: one report per bench command.
//!
//! No IO and no clock: callers pass the results, the command line and the generation time, and
//! write the returned text where they like.
#![deny(missing_docs)]

pub mod chart;
mod classify;
mod error;
pub mod html;
pub mod peers;
mod skab;
mod tep;

pub use classify::classify_report;
pub use error::ReportError;
pub use html::Header;
pub use peers::{TepSummary, parse_skab_peers, parse_tep_peers};
pub use skab::{SkabReport, skab_report};
pub use tep::{TepReport, tep_report};
