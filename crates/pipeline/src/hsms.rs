//! HSMS (SECS/GEM) source wiring: trace samples from a tool into the journal.
//!
//! The source replies to the tool's trace reports (S6F2) itself; SECS/GEM has no redelivery
//! to lean on, so samples are handed to the processor in small batches right away and the
//! source stops reading the socket while the processor queue is full (the tool then waits).
//! Context from the tool's event reports (lot, wafer, recipe, step) travels on each sample
//! into the journal, where `GET /api/v1/assets/{asset}/history` shows it.

use std::time::Duration;

use faultline_sources::hsms::{
    ConnectMode, ContextConfig, ContextVar, HsmsConfig, HsmsSource, SvChannel, TraceConfig,
};

use faultline_types::{RejectReason, Sample};

use crate::processor::{Arrival, Unstored};
use crate::{Engine, EngineError, Metrics, SourceConfig};

/// Samples forwarded per ingest call at most.
const BATCH: usize = 256;
/// Report id the source defines for the context variables (any id the tool does not use).
const CONTEXT_RPTID: u32 = 4000;

/// The source's settings from its `[[sources]]` entry.
fn hsms_config(source: &SourceConfig) -> Option<HsmsConfig> {
    let SourceConfig::Hsms {
        asset,
        address,
        passive,
        device_id,
        period_ms,
        group_size,
        channels,
        context_events,
        context,
        clock_utc_offset_minutes,
    } = source
    else {
        return None;
    };
    let mut config = HsmsConfig::new(
        asset.clone(),
        address.clone(),
        channels.iter().map(|c| SvChannel { svid: c.svid, channel: c.channel.clone() }).collect(),
    );
    config.mode = if *passive { ConnectMode::Passive } else { ConnectMode::Active };
    config.device_id = *device_id;
    config.clock_utc_offset_minutes = *clock_utc_offset_minutes;
    config.trace = TraceConfig {
        period: Duration::from_millis(*period_ms),
        group_size: *group_size,
        ..TraceConfig::default()
    };
    if !context_events.is_empty() {
        config.context = Some(ContextConfig {
            rptid: CONTEXT_RPTID,
            ceids: context_events.clone(),
            vars: context.iter().map(|v| ContextVar { vid: v.vid, key: v.key.clone() }).collect(),
        });
    }
    Some(config)
}

pub(crate) async fn spawn(engine: Engine, source: &SourceConfig) -> Result<(), EngineError> {
    let Some(config) = hsms_config(source) else { return Ok(()) };
    let (asset, address) = (config.asset.clone(), config.address.clone());
    config.validate().map_err(|e| EngineError::Source(format!("hsms `{asset}`: {e}")))?;
    let (hsms, mut samples) = HsmsSource::start(config)
        .await
        .map_err(|e| EngineError::Source(format!("hsms `{asset}` at {address}: {e}")))?;
    tokio::spawn(async move {
        let status = hsms.status();
        let _keep_connected = hsms;
        let mut counted = 0;
        let mut batch = Vec::with_capacity(BATCH);
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                received = samples.recv_many(&mut batch, BATCH) => {
                    if received == 0 {
                        break;
                    }
                    if !forward(&engine, &asset, std::mem::take(&mut batch)).await {
                        break;
                    }
                }
                _ = every.tick() => {}
            }
            counted = count_malformed(engine.counters(), status.malformed(), counted);
        }
    });
    Ok(())
}

/// Hands a batch to the processor; `false` once the engine has stopped. A journal write that
/// fails is tried again every second: the tool has had its S6F2 (SECS/GEM has no redelivery,
/// see `docs/hsms.md`), so these samples exist nowhere else, and meanwhile the source's queue
/// fills and it stops reading the socket, which makes the tool wait. What is tried again is
/// what the failed write left unstored (its rejected samples were counted and are done), as
/// [`Arrival::Again`]: a batch counts as received once, however often its write is tried.
async fn forward(engine: &Engine, asset: &str, batch: Vec<Sample>) -> bool {
    let mut reported = false;
    let (mut pending, mut arrival) = (batch, Arrival::First);
    loop {
        match engine.ingest_retrying(pending, arrival).await {
            Err(_stopped) => return false,
            Ok(Ok(_)) => {
                if reported {
                    eprintln!("faultline: hsms `{asset}`: samples are journaled again");
                }
                return true;
            }
            // Nothing left to store: the rest was rejected (and counted).
            Ok(Err(Unstored { samples, .. })) if samples.is_empty() => return true,
            Ok(Err(Unstored { samples, error })) => {
                if !reported {
                    eprintln!(
                        "faultline: hsms `{asset}`: {} samples not journaled, tried again every \
                         second: samples not stored: {error}",
                        samples.len()
                    );
                    reported = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                (pending, arrival) = (samples, Arrival::Again);
            }
        }
    }
}

/// Counts the source's malformed messages and unusable reports as rejected samples
/// (`malformed`), so they show in `/metrics` and `/api/v1/rejects` like any other source's.
/// Returns the source's count now taken into account.
fn count_malformed(metrics: &Metrics, now: u64, counted: u64) -> u64 {
    let new = now.saturating_sub(counted);
    metrics.received(usize::try_from(new).unwrap_or(usize::MAX));
    for _ in 0..new {
        metrics.reject(RejectReason::Malformed);
    }
    now.max(counted)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use faultline_types::{ChannelValue, Quality, Timestamp};

    use super::*;
    use crate::Config;

    #[test]
    fn the_source_s_malformed_messages_are_counted_once_as_rejected_samples() {
        let metrics = Metrics::default();
        let mut counted = count_malformed(&metrics, 3, 0);
        counted = count_malformed(&metrics, 3, counted);
        counted = count_malformed(&metrics, 5, counted);
        assert_eq!(counted, 5);
        assert_eq!(metrics.rejected(RejectReason::Malformed), 5);
        assert_eq!(metrics.snapshot().received, 5);
    }

    /// An engine for asset `etch01` whose journal refuses samples until the returned
    /// connection drops the trigger `refuse_samples`.
    async fn engine_with_a_failing_journal(dir: &Path) -> (Engine, rusqlite::Connection) {
        let text = format!(
            "data_dir = \"{}\"\n[[assets]]\nname = \"etch01\"\n",
            dir.join("data").display()
        );
        let engine =
            Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
        let db = rusqlite::Connection::open(dir.join("data").join("faultline.db")).unwrap();
        db.execute_batch(
            "CREATE TRIGGER refuse_samples BEFORE INSERT ON samples \
             BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
        )
        .unwrap();
        (engine, db)
    }

    /// `n` samples of `etch01` stamped just before now.
    fn recent_samples(n: i64) -> Vec<Sample> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let ts = i64::try_from(now.as_nanos()).unwrap();
        (0..n).map(|i| sample(ts - 10_000_000 + i)).collect()
    }

    fn sample(ts: i64) -> Sample {
        Sample {
            asset: "etch01".into(),
            ts: Timestamp(ts),
            values: vec![ChannelValue {
                channel: "pressure".into(),
                value: 1.0,
                quality: Quality::Good,
            }],
            context: Vec::new(),
        }
    }

    /// The tool has had its S6F2: a batch whose journal write fails is tried again until it
    /// goes through (it used to end the source's forwarding for good, silently).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_whose_journal_write_fails_is_tried_again_until_it_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, db) = engine_with_a_failing_journal(dir.path()).await;
        let batch = recent_samples(3);
        let forwarding = tokio::spawn({
            let engine = engine.clone();
            async move { forward(&engine, "etch01", batch).await }
        });
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!forwarding.is_finished(), "a failed batch is not given up");
        db.execute_batch("DROP TRIGGER refuse_samples").unwrap();
        let forwarded = tokio::time::timeout(Duration::from_secs(10), forwarding).await;
        assert!(forwarded.expect("stored within 10 s").unwrap());
        assert_eq!(engine.reader().unwrap().sample_count(Some("etch01")).unwrap(), 3);
        engine.shutdown().await;
    }

    /// Each try of a batch used to count its samples as received again (and its rejected ones
    /// as rejected again): a batch counts once, however often its write is tried.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_tried_again_is_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, db) = engine_with_a_failing_journal(dir.path()).await;
        let mut batch = recent_samples(3);
        // One sample a day ahead of this clock: rejected (`future`) at the first try.
        let ahead = batch[2].ts.as_nanos() + 86_400 * 1_000_000_000;
        batch.push(sample(ahead));
        let forwarding = tokio::spawn({
            let engine = engine.clone();
            async move { forward(&engine, "etch01", batch).await }
        });
        // At least two failed tries (the first at once, the next a second later).
        let tried_twice = tokio::time::timeout(Duration::from_secs(10), async {
            while engine.metrics().journal_failures < 2 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert!(tried_twice.await.is_ok(), "{:?}", engine.metrics());
        db.execute_batch("DROP TRIGGER refuse_samples").unwrap();
        let forwarded = tokio::time::timeout(Duration::from_secs(10), forwarding).await;
        assert!(forwarded.expect("stored within 10 s").unwrap());
        let metrics = engine.metrics();
        assert_eq!((metrics.received, metrics.stored), (4, 3), "{metrics:?}");
        assert_eq!(engine.counters().rejected(RejectReason::Future), 1);
        assert_eq!(engine.reader().unwrap().sample_count(Some("etch01")).unwrap(), 3);
        engine.shutdown().await;
    }
}
