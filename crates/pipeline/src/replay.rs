//! File replay source: rows of a data file become samples of one asset, paced at a speed factor.
//!
//! Replayed samples are stamped from the wall clock at the start of the replay plus the file's
//! period per row, so a replay into a running engine keeps its timestamps increasing and never
//! collides with history already journaled.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faultline_types::{ChannelValue, Quality, Recording, Sample, Timestamp};

use crate::Engine;

/// Rows sent per batch: large enough to amortise the queue, small enough to stay paced.
const BATCH: usize = 64;

pub(crate) fn spawn(
    engine: Engine,
    asset: String,
    recording: Recording,
    period_ms: u64,
    speed: f64,
) {
    tokio::spawn(async move {
        let start = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let start_ns = i64::try_from(start.as_nanos()).unwrap_or(i64::MAX);
        let period_ns = i64::try_from(period_ms).unwrap_or(i64::MAX).saturating_mul(1_000_000);
        let pause = Duration::from_secs_f64(period_ms as f64 / 1000.0 / speed);
        let names: Vec<String> = recording.schema.names().map(str::to_string).collect();
        let mut batch = Vec::with_capacity(BATCH);
        for (i, row) in recording.iter_rows().enumerate() {
            batch.push(Sample {
                asset: asset.clone(),
                ts: Timestamp(start_ns.saturating_add(period_ns.saturating_mul(i as i64))),
                values: names
                    .iter()
                    .zip(row)
                    .map(|(n, v)| ChannelValue {
                        channel: n.clone(),
                        value: *v,
                        quality: Quality::Good,
                    })
                    .collect(),
                context: Vec::new(),
            });
            let due = batch.len() == BATCH || pause >= Duration::from_millis(50);
            if due && engine.ingest_samples(std::mem::take(&mut batch)).await.is_err() {
                return;
            }
            tokio::time::sleep(pause).await;
        }
        if !batch.is_empty() && engine.ingest_samples(batch).await.is_err() {
            eprintln!("faultline: replay of {asset} stopped: the engine is stopping");
        }
    });
}
