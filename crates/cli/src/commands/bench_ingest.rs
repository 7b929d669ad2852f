//! `faultline bench ingest`: samples/s end to end through a real local mosquitto with
//! durability on (PUBACK only after the journal commit), beside the raw broker rate measured in
//! the same run, and the arrival-to-alarm latency.
//!
//! Workload: one asset with 10 channels from the seeded synthetic plant; every 200th sample
//! starts 20 samples of a +8σ step on one channel, so alarms are raised and cleared throughout.
//! Each sample is one MQTT message (QoS 1) on `faultline/bench/bench01`.

use std::fs;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use faultline_detectors::PcaConfig;
use faultline_pipeline::{AssetConfig, Config, DEFAULT_SILENT_AFTER_SECONDS, Engine, SourceConfig};
use faultline_store::TrainingSummary;
use faultline_testkit::broker::Mosquitto;
use faultline_testkit::{Plant, PlantConfig};
use faultline_train::{Method, fit_model};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use crate::args::BenchIngestArgs;

const CHANNELS: usize = 10;
const ASSET: &str = "bench01";
const TOPIC: &str = "faultline/bench/bench01";
const FAULT_EVERY: usize = 200;
const FAULT_LENGTH: usize = 20;
/// Most messages the publisher may run ahead of faultline. mosquitto numbers the messages it
/// holds for one subscriber with 16-bit ids when it queues them; with more than 65,535 pending
/// it disconnects the *publisher* ("out of memory"). A plant never bursts that far ahead of its
/// monitor; the benchmark must not either.
const MAX_AHEAD: usize = 20_000;
/// Longest wait for the last sample, beyond which the run is reported as failed.
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

pub async fn run(args: &BenchIngestArgs) -> anyhow::Result<()> {
    let broker = Mosquitto::start().context("starting mosquitto")?;
    let plant =
        Plant::new(PlantConfig { channels: CHANNELS, factors: 3, ..PlantConfig::default() });
    let payloads = payloads(&plant, args.samples);
    eprintln!("measuring the raw broker rate ({} QoS 1 messages) ...", payloads.len());
    let raw = broker_round_trip(broker.port(), &payloads).await?;

    let dir = tempfile::Builder::new().prefix("faultline-bench-ingest-").tempdir()?;
    let engine = start_engine(&plant, dir.path(), broker.port()).await?;
    eprintln!("measuring faultline end to end ...");
    let started = Instant::now();
    let gate = Some(engine.clone());
    let publisher = publish_all(broker.port(), "bench-publisher", &payloads, gate).await?;
    let stored = wait_for(&engine, payloads.len()).await?;
    let e2e = started.elapsed().as_secs_f64();
    publisher.abort();
    let metrics = engine.metrics();
    engine.shutdown().await;

    let ms = |s: Option<f64>| s.map(|v| format!("{:.1}", v * 1e3)).unwrap_or_else(|| "-".into());
    println!("{:<22} {:>9} {:>9} {:>12}", "path", "samples", "seconds", "samples/s");
    println!(
        "{:<22} {:>9} {:>9.3} {:>12.0}",
        "mosquitto raw (QoS 1)",
        payloads.len(),
        raw,
        payloads.len() as f64 / raw
    );
    println!(
        "{:<22} {:>9} {:>9.3} {:>12.0}",
        "faultline end to end",
        stored,
        e2e,
        stored as f64 / e2e
    );
    println!(
        "\nalarms raised {}; arrival-to-alarm latency p50 {} ms, p99 {} ms; {} journal commits ({:.0} samples/commit, {:.3} s in fsync'd commits)",
        metrics.alarms_raised,
        ms(metrics.alarm_latency_p50),
        ms(metrics.alarm_latency_p99),
        metrics.commits,
        stored as f64 / metrics.commits.max(1) as f64,
        metrics.commit_seconds
    );
    if let Some(out) = &args.out {
        fs::create_dir_all(out)?;
        let path = out.join("ingest.csv");
        let csv = format!(
            "path,samples,seconds,samples_per_s,alarm_latency_p50_ms,alarm_latency_p99_ms\n\
             mosquitto-raw,{n},{raw:.6},{:.1},,\nfaultline-e2e,{stored},{e2e:.6},{:.1},{},{}\n",
            payloads.len() as f64 / raw,
            stored as f64 / e2e,
            ms(metrics.alarm_latency_p50).replace('-', ""),
            ms(metrics.alarm_latency_p99).replace('-', ""),
            n = payloads.len(),
        );
        fs::write(&path, csv)?;
        println!("Written: {}", path.display());
    }
    Ok(())
}

/// JSON payloads with increasing timestamps (1 ms apart) and periodic step faults.
fn payloads(plant: &Plant, n: usize) -> Vec<Vec<u8>> {
    let run = plant.normal_run(n, 2);
    let names = plant.channel_names();
    let stds = plant.channel_stds();
    let base_ns: i64 = 1_700_000_000_000_000_000;
    run.iter_rows()
        .enumerate()
        .map(|(i, row)| {
            let faulty = i % FAULT_EVERY >= FAULT_EVERY - FAULT_LENGTH;
            let values: Vec<String> = names
                .iter()
                .zip(row)
                .enumerate()
                .map(|(j, (name, v))| {
                    let v = if faulty && j == 3 { v + 8.0 * stds[j] } else { *v };
                    format!("\"{name}\":{v}")
                })
                .collect();
            format!(
                "{{\"ts\":{},\"values\":{{{}}}}}",
                base_ns + i as i64 * 1_000_000,
                values.join(",")
            )
            .into_bytes()
        })
        .collect()
}

async fn start_engine(plant: &Plant, dir: &std::path::Path, port: u16) -> anyhow::Result<Engine> {
    let training = plant.normal_run(5_000, 1);
    let model =
        fit_model(&training, Method::Pca, PcaConfig::default(), TrainingSummary::default())?;
    let path = dir.join("bench01.flm");
    model.save(&path)?;
    let config = Config {
        data_dir: dir.join("data"),
        listen: "127.0.0.1:0".parse()?,
        site: "bench".into(),
        alarms: Default::default(),
        assets: vec![AssetConfig {
            name: ASSET.into(),
            site: None,
            model: Some(path),
            classifier: None,
            channels: Vec::new(),
            silent_after_seconds: DEFAULT_SILENT_AFTER_SECONDS,
            channel_silent_after_seconds: Default::default(),
        }],
        sources: vec![SourceConfig::Mqtt {
            host: "127.0.0.1".into(),
            port,
            client_id: "faultline-bench".into(),
            topic_filter: "faultline/+/+".into(),
        }],
        sinks: Vec::new(),
        tls: None,
        security: Default::default(),
        ingest: Default::default(),
    };
    Ok(Engine::start(config).await?)
}

/// Samples the engine has finished with (stored or rejected).
fn processed(engine: &Engine) -> usize {
    let m = engine.metrics();
    m.stored as usize + m.rejects.iter().map(|(_, c)| *c as usize).sum::<usize>()
}

async fn wait_for(engine: &Engine, n: usize) -> anyhow::Result<usize> {
    let started = Instant::now();
    loop {
        let done = processed(engine);
        if done >= n {
            let m = engine.metrics();
            return Ok(m.stored as usize);
        }
        if started.elapsed().as_millis() % 5000 < 5 {
            eprintln!("  {done} of {n} processed after {:.0} s", started.elapsed().as_secs_f64());
        }
        if started.elapsed() > DRAIN_LIMIT {
            bail!("only {done} of {n} samples processed after {} s", DRAIN_LIMIT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn client(port: u16, id: &str) -> (AsyncClient, rumqttc::EventLoop) {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_inflight(1000);
    AsyncClient::new(options, 1000)
}

/// Publishes every payload at QoS 1 from a background task; returns the task. With a `gate`,
/// publishing pauses while more than MAX_AHEAD messages wait for that engine.
async fn publish_all(
    port: u16,
    id: &str,
    payloads: &[Vec<u8>],
    gate: Option<Engine>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (client, mut events) = client(port, id);
    let payloads = payloads.to_vec();
    // Keep polling through errors: rumqttc reconnects and resends unacknowledged publishes.
    let driver = tokio::spawn(async move {
        loop {
            if events.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    Ok(tokio::spawn(async move {
        for (i, payload) in payloads.into_iter().enumerate() {
            if let Some(engine) = &gate {
                while i % 1000 == 0 && i > processed(engine) + MAX_AHEAD {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            if client.publish(TOPIC, QoS::AtLeastOnce, false, payload).await.is_err() {
                break;
            }
        }
        // Keep the connection (and its in-flight messages) alive until the caller is done.
        let _finished = driver.await;
    }))
}

/// Seconds for every payload to travel publisher → broker → a QoS 1 subscriber.
async fn broker_round_trip(port: u16, payloads: &[Vec<u8>]) -> anyhow::Result<f64> {
    let (subscriber, mut events) = client(port, "bench-raw-subscriber");
    subscriber.subscribe(TOPIC, QoS::AtLeastOnce).await?;
    let (received_tx, mut received) = mpsc::unbounded_channel();
    let (subscribed_tx, mut subscribed) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            match event {
                Event::Incoming(Packet::SubAck(_)) => {
                    let _ready = subscribed_tx.send(());
                }
                Event::Incoming(Packet::Publish(_)) if received_tx.send(()).is_err() => break,
                _ => {}
            }
        }
    });
    subscribed.recv().await.context("subscription to the broker failed")?;
    let started = Instant::now();
    let publisher = publish_all(port, "bench-raw-publisher", payloads, None).await?;
    for _ in 0..payloads.len() {
        tokio::time::timeout(DRAIN_LIMIT, received.recv())
            .await
            .context("the broker stopped delivering")?
            .context("subscriber disconnected")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    publisher.abort();
    // The subscriber only measured the broker; a failed goodbye changes no figure.
    let _measured = subscriber.disconnect().await;
    Ok(seconds)
}
