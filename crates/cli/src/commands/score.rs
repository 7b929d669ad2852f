//! `faultline score`: statistics, limits, alarm flag and top contributors for every row.
//!
//! The columns are a contract and the same for every model kind. A `pca`/`dpca` model fills
//! `t2`/`spe` with Hotelling's T² and the SPE against their own limits. A `default` model fills
//! them with its combined statistic split in two (`t2`: the larger of its smoothed T² and
//! per-channel EWMA branches; `spe`: its smoothed SPE branches), both in the combined
//! statistic's units and both against its one held-out limit, so `alarm = t2 > t2_limit or
//! spe > spe_limit` holds for every kind and the combined statistic is `max(t2, spe)`. Its
//! first row is empty when a channel is differenced (it has no predecessor).

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, bail};
use faultline_sources::file::FileError;
use faultline_train::{ModelFile, Monitor, Progress, TrainError, check_model_file, load_inputs};
use faultline_types::{Recording, Score};
use serde::Serialize;

use super::fit::read_options;
use crate::args::{FormatArg, ScoreArgs};
use crate::progress::Bar;

/// Channels listed per row.
const TOP_CONTRIBUTORS: usize = 3;

pub fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let artifact = ModelFile::load(&args.model)?;
    if artifact.kind != artifact.parameters.kind() {
        bail!(
            "{}: model kind `{}` is not supported by this build (or does not match its \
             parameters, which are a `{}` model)",
            args.model.display(),
            artifact.kind,
            artifact.parameters.kind()
        );
    }
    check_model_file(&artifact).map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let data = load_scored(args, &artifact)?.select(&artifact.schema).with_context(|| {
        format!("the data lacks a channel of the model {}", args.model.display())
    })?;

    let out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let summary = write_scores(&artifact, &data, args.format, &mut out)?;
    out.flush().context("writing scores")?;
    eprintln!(
        "scored {} rows of {}: {} alarms ({:.2} %){}",
        summary.scored,
        args.input.display(),
        summary.alarms,
        100.0 * summary.alarms as f64 / summary.scored.max(1) as f64,
        summary.first_alarm.map(|i| format!(", first at index {i}")).unwrap_or_default()
    );
    Ok(())
}

/// Reads the scored file. `--time-col` and `--exclude` default to what the model was fitted
/// with, so `score` needs no repeated flags; a default the file does not have (a TEP `.dat`
/// has no time column, live data may lack a batch column) is dropped, where the same column
/// given as a flag is an error.
fn load_scored(args: &ScoreArgs, artifact: &ModelFile) -> anyhow::Result<Recording> {
    let mut options = read_options(&args.input_args);
    let time_from_model = options.time_col.is_none();
    if time_from_model {
        options.time_col = artifact.training.time_column.clone();
    }
    let excludes_from_model = options.exclude.is_empty();
    if excludes_from_model {
        options.exclude = artifact.training.excluded.clone();
    }
    loop {
        match load_inputs(std::slice::from_ref(&args.input), &options) {
            Err(TrainError::File(FileError::UnknownTimeColumn { .. }))
                if time_from_model && options.time_col.is_some() =>
            {
                options.time_col = None;
            }
            Err(TrainError::File(FileError::UnknownExclude { name, .. }))
                if excludes_from_model && options.exclude.contains(&name) =>
            {
                options.exclude.retain(|e| *e != name);
            }
            loaded => return Ok(loaded?),
        }
    }
}

struct Summary {
    scored: usize,
    alarms: usize,
    first_alarm: Option<usize>,
}

fn write_scores(
    artifact: &ModelFile,
    data: &Recording,
    format: FormatArg,
    out: &mut dyn Write,
) -> anyhow::Result<Summary> {
    let names: Vec<&str> = artifact.schema.names().collect();
    let time = data.time.as_ref();
    let mut monitor = Monitor::for_model(&artifact.parameters);
    let mut score = monitor.new_score();
    let mut summary = Summary { scored: 0, alarms: 0, first_alarm: None };
    let bar = Bar::new();
    bar.start("scoring", data.rows() as u64);
    if format == FormatArg::Csv {
        writeln!(out, "{}", csv_header(time.map(|t| t.name.as_str())))?;
    }
    for (index, row) in data.iter_rows().enumerate() {
        monitor.score(row, &mut score);
        summary.scored += usize::from(score.ready);
        if score.alarm {
            summary.alarms += 1;
            summary.first_alarm.get_or_insert(index);
        }
        let label = time.map(|t| t.labels[index].as_str());
        let line = RowOut::new(index, label, &score, &names);
        match format {
            FormatArg::Csv => writeln!(out, "{}", line.to_csv())?,
            FormatArg::Jsonl => writeln!(out, "{}", serde_json::to_string(&line)?)?,
        }
        if index % 4096 == 0 {
            bar.advance(4096.min(data.rows() - index) as u64);
        }
    }
    bar.finish();
    Ok(summary)
}

fn csv_header(time: Option<&str>) -> String {
    let mut header = String::from("index");
    if time.is_some() {
        header.push_str(",time");
    }
    header.push_str(",t2,t2_limit,spe,spe_limit,alarm");
    for k in 1..=TOP_CONTRIBUTORS {
        header.push_str(&format!(",top{k},top{k}_contribution"));
    }
    header
}

/// One output row: the shape of a line of `--format jsonl`, and the cells of `--format csv`.
#[derive(Serialize)]
struct RowOut<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    /// Absent while a dynamic model warms up.
    #[serde(skip_serializing_if = "Option::is_none")]
    t2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t2_limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spe: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spe_limit: Option<f64>,
    alarm: bool,
    top: Vec<TopOut<'a>>,
}

#[derive(Serialize)]
struct TopOut<'a> {
    channel: &'a str,
    contribution: f64,
}

impl<'a> RowOut<'a> {
    fn new(index: usize, time: Option<&'a str>, score: &Score, names: &[&'a str]) -> Self {
        let ready = score.ready;
        let stat = |k: usize| score.statistics.get(k).filter(|_| ready);
        RowOut {
            index,
            time,
            t2: stat(0).map(|s| s.value),
            t2_limit: stat(0).map(|s| s.limit),
            spe: stat(1).map(|s| s.value),
            spe_limit: stat(1).map(|s| s.limit),
            alarm: score.alarm,
            top: if ready {
                score
                    .top_contributors(TOP_CONTRIBUTORS)
                    .into_iter()
                    .map(|c| TopOut { channel: names[c.channel], contribution: c.value })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    fn to_csv(&self) -> String {
        let num = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
        let mut cells = vec![self.index.to_string()];
        if let Some(time) = self.time {
            cells.push(csv_cell(time));
        }
        cells.extend([num(self.t2), num(self.t2_limit), num(self.spe), num(self.spe_limit)]);
        cells.push(u8::from(self.alarm).to_string());
        for k in 0..TOP_CONTRIBUTORS {
            match self.top.get(k) {
                Some(top) => {
                    cells.extend([csv_cell(top.channel), format!("{:.6}", top.contribution)])
                }
                None => cells.extend([String::new(), String::new()]),
            }
        }
        cells.join(",")
    }
}

/// Quotes a text cell when it holds a separator, quote or line break.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
