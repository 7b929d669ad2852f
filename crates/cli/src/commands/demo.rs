//! `faultline demo`: the live service on four simulated lines, one per sector faultline serves
//! (HBM etch, industrial robot, bioprocess, medical-device moulding). Each line's model is fitted
//! at start-up on its own simulated normal history; faults are injected on a schedule so that an
//! alarm appears within the first two minutes. No external server is needed: the etch line
//! comes over SECS/GEM (HSMS) from a simulated tool on a loopback port (`demo_hsms.rs`), the
//! others are ingested directly.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use faultline_detectors::PcaConfig;
use faultline_pipeline::{AssetConfig, ChannelConfig, Config, Engine};
use faultline_store::TrainingSummary;
use faultline_testkit::{LineSimulator, Sector, demo_lines};
use faultline_train::{Method, fit_model};
use faultline_types::Timestamp;

use super::demo_hsms;
use super::serve::serve_engine;
use crate::args::DemoArgs;

/// Simulated samples per second and line.
const RATE_HZ: u64 = 10;
/// Normal history each line's model is fitted on.
const HISTORY: usize = 2_000;
/// First fault of line i starts after FIRST_FAULT_S + i × STAGGER_S seconds.
const FIRST_FAULT_S: u64 = 20;
const STAGGER_S: u64 = 8;
/// Each fault lasts this long, followed by as long a normal stretch.
const FAULT_S: u64 = 45;
/// A sensor drops out: `DROPOUT_CHANNEL` of `DROPOUT_LINE` sends nothing from `DROPOUT_AT_S` for
/// `DROPOUT_S` seconds, inside that line's first normal stretch (its faults run 44–89 s and
/// 134–179 s), while its other channels keep streaming.
const DROPOUT_LINE: &str = "moulding-07";
const DROPOUT_CHANNEL: &str = "mould_temperature";
const DROPOUT_AT_S: u64 = 95;
const DROPOUT_S: u64 = 30;
/// The demo's silence limit, shorter than the default five minutes so the dropout alarms
/// within the demo's first two minutes.
const SILENT_AFTER_S: u64 = 10;

pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let (data_dir, _temporary) = match &args.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = tempfile::Builder::new().prefix("faultline-demo-").tempdir()?;
            (dir.path().to_path_buf(), Some(dir))
        }
    };
    std::fs::create_dir_all(data_dir.join("models"))
        .with_context(|| format!("creating {}", data_dir.display()))?;
    println!("faultline demo: fitting one model per simulated line ...");
    let mut simulators = Vec::new();
    let mut assets = Vec::new();
    for (i, spec) in demo_lines().iter().enumerate() {
        let mut simulator = LineSimulator::new(spec, args.seed + i as u64);
        let model = fit_line(&mut simulator, &data_dir)?;
        schedule_faults(&mut simulator, i as u64)?;
        if spec.asset == DROPOUT_LINE {
            simulator.schedule_dropout(
                DROPOUT_CHANNEL,
                DROPOUT_AT_S * RATE_HZ,
                DROPOUT_S * RATE_HZ,
            )?;
        }
        assets.push(AssetConfig {
            name: spec.asset.to_string(),
            site: Some(spec.site.to_string()),
            model: Some(model),
            classifier: None,
            channels: spec
                .channels
                .iter()
                .map(|c| ChannelConfig {
                    name: c.name.to_string(),
                    unit: Some(c.unit.to_string()),
                    low: None,
                    high: None,
                })
                .collect(),
            silent_after_seconds: SILENT_AFTER_S,
            channel_silent_after_seconds: Default::default(),
        });
        println!("  {:<14} {} ({} channels)", spec.asset, spec.title, spec.channels.len());
        simulators.push(simulator);
    }
    // The etch line reaches the engine over SECS/GEM from a simulated tool, as a real etch
    // chamber would; the other lines are ingested directly.
    let etch = simulators
        .iter()
        .position(|s| s.spec().sector == Sector::Semiconductor)
        .context("no semiconductor line among the demo lines")?;
    let period = Duration::from_millis(1000 / RATE_HZ);
    let etch_tool = demo_hsms::start(simulators.remove(etch), period).await?;
    println!("{}", etch_tool.describe());
    let config = Config {
        data_dir: data_dir.clone(),
        listen: args.listen,
        site: "demo".into(),
        alarms: Default::default(),
        assets,
        sources: vec![etch_tool.source.clone()],
        sinks: Vec::new(),
        tls: None,
        security: Default::default(),
        ingest: Default::default(),
    };
    let engine = Engine::start(config).await?;
    let demo_login = super::users::demo_admin(&data_dir)?;
    spawn_simulation(engine.clone(), simulators);
    let duration = args.duration.map(Duration::from_secs);
    let guide = |token: &Path| {
        print_guide(args, token, &data_dir);
        super::users::print_demo_login(demo_login.as_deref());
    };
    let served = serve_engine(engine, args.listen, duration, guide).await;
    etch_tool.equipment.stop().await;
    served
}

fn fit_line(simulator: &mut LineSimulator, data_dir: &Path) -> anyhow::Result<PathBuf> {
    let asset = simulator.spec().asset;
    let history = simulator.normal_history(HISTORY);
    let summary = TrainingSummary {
        inputs: vec![format!("simulated normal history of {asset}")],
        ..TrainingSummary::default()
    };
    let artifact = fit_model(&history, Method::Pca, PcaConfig::default(), summary)?;
    let path = data_dir.join("models").join(format!("{asset}.flm"));
    artifact.save(&path)?;
    Ok(path)
}

/// Cycles through the line's faults: each lasts FAULT_S seconds, then as long of normal running.
fn schedule_faults(simulator: &mut LineSimulator, line: u64) -> anyhow::Result<()> {
    let faults: Vec<&'static str> = simulator.spec().faults.clone();
    let mut start = (FIRST_FAULT_S + line * STAGGER_S) * RATE_HZ;
    // An hour of schedule; a demo that runs longer simply stays normal afterwards.
    for fault in faults.iter().cycle().take(3600 / (2 * FAULT_S) as usize) {
        simulator
            .schedule_fault(fault, start, FAULT_S * RATE_HZ)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        start += 2 * FAULT_S * RATE_HZ;
    }
    Ok(())
}

fn spawn_simulation(engine: Engine, mut simulators: Vec<LineSimulator>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(1000 / RATE_HZ));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
            let ts = Timestamp(i64::try_from(nanos).unwrap_or(i64::MAX));
            let samples = simulators.iter_mut().map(|s| s.next_sample(ts)).collect();
            if engine.ingest_samples(samples).await.is_err() {
                break;
            }
        }
    });
}

fn print_guide(args: &DemoArgs, token: &Path, data_dir: &Path) {
    let base = format!("http://{}", args.listen);
    println!(
        "\nFour lines stream {RATE_HZ} samples/s each; the first fault starts after {FIRST_FAULT_S} s \
         (HBM etch), the others {STAGGER_S} s apart, each lasting {FAULT_S} s. At {DROPOUT_AT_S} s \
         {DROPOUT_LINE}'s {DROPOUT_CHANNEL} stops sending for {DROPOUT_S} s: after {SILENT_AFTER_S} s \
         of silence its alarm names the channel (\"no data\").\n\
         Data directory: {data}\n\nDashboard: {base}/ (open it in a browser)\n\nWhat to look at:\n\
         \x20 TOKEN=$(cat {token})\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/assets     # live state of every line\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/alarms     # alarms with contributing sensors\n\
         \x20 curl -s -N -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/stream  # scores and alarms as they happen\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" {base}/metrics\n\
         Press Ctrl-C to stop.",
        data = data_dir.display(),
        token = token.display(),
    );
}
