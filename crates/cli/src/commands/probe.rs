//! `faultline probe hsms`: connect to a SECS/GEM tool as the host, trace the given status
//! variables and print `--count` samples as JSON lines, then separate and exit. A tool that does
//! not answer or refuses a step ends the command with one error line and exit code 1.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use faultline_sources::hsms::{
    ConnectMode, ContextConfig, ContextVar, HsmsConfig, HsmsSource, SvChannel, TraceConfig,
};
use faultline_types::Sample;

use crate::args::{HsmsModeArg, ProbeHsmsArgs};

/// Runs `faultline probe hsms`.
pub async fn hsms(args: &ProbeHsmsArgs) -> anyhow::Result<()> {
    let wait = Duration::from_secs(args.timeout.max(1));
    let channels =
        args.svid.iter().map(|&svid| SvChannel { svid, channel: format!("sv{svid}") }).collect();
    let mut config = HsmsConfig::new("probe", args.address.clone(), channels);
    config.mode = match args.mode {
        HsmsModeArg::Active => ConnectMode::Active,
        HsmsModeArg::Passive => ConnectMode::Passive,
    };
    config.device_id = args.device_id;
    config.trace = TraceConfig {
        period: Duration::from_millis(args.period_ms),
        group_size: args.group_size.max(1),
        ..TraceConfig::default()
    };
    if !args.ceid.is_empty() {
        let vars = args
            .context
            .iter()
            .map(|pair| {
                let (vid, key) = pair.split_once('=').context("--context takes VID=KEY pairs")?;
                let vid = vid
                    .trim()
                    .parse()
                    .with_context(|| format!("--context: {vid:?} is not a VID"))?;
                Ok(ContextVar { vid, key: key.trim().to_owned() })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        config.context = Some(ContextConfig { rptid: 4000, ceids: args.ceid.clone(), vars });
    }
    config.timers.t3 = wait;
    config.timers.t6 = config.timers.t6.min(wait);
    config.timers.t7 = wait;
    config.start_timeout = wait * 3;
    let (source, mut samples) =
        HsmsSource::start(config).await.context("probe hsms: the tool did not get ready")?;
    if let Some(session) = source.status().session() {
        let values: Vec<String> =
            session.status.iter().map(|(svid, _, value)| format!("{svid}={value}")).collect();
        eprintln!(
            "probe: selected {} (MDLN {:?}, SOFTREV {:?}); S1F3: {}",
            args.address,
            session.equipment.model,
            session.equipment.software,
            values.join(" ")
        );
    }
    // A sample must come within a few periods (or groups) beyond the timeout.
    let per_sample = Duration::from_millis(args.period_ms) * args.group_size.max(1);
    let patience = wait + per_sample * 3;
    let mut out = std::io::stdout().lock();
    let mut printed = 0;
    let result = loop {
        if printed >= args.count {
            break Ok(());
        }
        match tokio::time::timeout(patience, samples.recv()).await {
            Ok(Some(sample)) => {
                writeln!(out, "{}", json_line(&sample))?;
                printed += 1;
            }
            Ok(None) => break Err(anyhow::anyhow!("the HSMS source stopped")),
            Err(_) => {
                let why =
                    source.status().last_error().map(|e| format!(" ({e})")).unwrap_or_default();
                break Err(anyhow::anyhow!(
                    "no trace data from {} within {} ms after {printed} samples{why}",
                    args.address,
                    patience.as_millis()
                ));
            }
        }
    };
    out.flush()?;
    source.stop().await;
    match result {
        Ok(()) => Ok(()),
        Err(error) => bail!("probe hsms: {error}"),
    }
}

/// `{"ts": nanoseconds, "values": {...}}`, with `quality` and `context` when there are any.
fn json_line(sample: &Sample) -> String {
    let values: serde_json::Map<String, serde_json::Value> =
        sample.values.iter().map(|v| (v.channel.clone(), serde_json::json!(v.value))).collect();
    let mut line = serde_json::json!({ "ts": sample.ts.as_nanos(), "values": values });
    let quality: serde_json::Map<String, serde_json::Value> = sample
        .values
        .iter()
        .filter(|v| v.quality != faultline_types::Quality::Good)
        .map(|v| (v.channel.clone(), serde_json::json!(v.quality.as_str())))
        .collect();
    if !quality.is_empty() {
        line["quality"] = quality.into();
    }
    if !sample.context.is_empty() {
        let context: serde_json::Map<String, serde_json::Value> =
            sample.context.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
        line["context"] = context.into();
    }
    line.to_string()
}
