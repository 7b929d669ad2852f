//! The HTML report of the bench commands (`--report`, `--peers`): header, peers file, output file.
//!
//! `faultline-report` renders and does no IO; this module adds what only the command line
//! knows: the command as typed, the data folder, the clock, and the files.

use std::fs;
use std::path::Path;

use anyhow::Context;
use faultline_report::{Header, TepSummary, parse_skab_peers, parse_tep_peers};
use faultline_train::skab::SkabRow;

/// The report header for a run of `title` on the data in `data`.
pub fn header(title: &str, data: &Path) -> Header {
    Header {
        title: title.to_string(),
        command: command_line(),
        data: fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf()).display().to_string(),
        generated: now_utc(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Writes the page, creating the folder above it when missing.
pub fn write(path: &Path, html: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, html).with_context(|| format!("writing the report {}", path.display()))?;
    println!("Report: {} ({} KiB)", path.display(), html.len().div_ceil(1024));
    Ok(())
}

/// Reads `--peers` for `bench tep`; called before the run so a wrong file fails fast.
pub fn tep_peers(path: Option<&Path>) -> anyhow::Result<Vec<TepSummary>> {
    let Some(path) = path else { return Ok(Vec::new()) };
    Ok(parse_tep_peers(&read(path)?, &path.display().to_string())?)
}

/// Reads `--peers` for `bench skab`.
pub fn skab_peers(path: Option<&Path>) -> anyhow::Result<Vec<SkabRow>> {
    let Some(path) = path else { return Ok(Vec::new()) };
    Ok(parse_skab_peers(&read(path)?, &path.display().to_string())?)
}

fn read(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| {
        format!(
            "reading the peers file {} (bench/peers writes it; see bench/README.md)",
            path.display()
        )
    })
}

/// The command as typed, with arguments that need it in single quotes, so it can be pasted.
fn command_line() -> String {
    let quote = |arg: String| {
        let plain = !arg.is_empty()
            && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain { arg } else { format!("'{}'", arg.replace('\'', r"'\''")) }
    };
    let mut args = std::env::args();
    let program = args
        .next()
        .map(|p| Path::new(&p).file_name().map_or(p.clone(), |n| n.to_string_lossy().into_owned()));
    program.into_iter().chain(args.map(quote)).collect::<Vec<_>>().join(" ")
}

fn now_utc() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_else(|_| "(unknown time)".into())
}
