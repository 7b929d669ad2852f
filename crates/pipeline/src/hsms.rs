//! HSMS (SECS/GEM) source wiring: trace samples from a tool into the journal.
//!
//! The source replies to the tool's trace reports (S6F2) itself; SECS/GEM has no redelivery
//! to lean on, so samples are handed to the processor in small batches right away and the
//! source stops reading the socket while the processor queue is full (the tool then waits).

use std::time::Duration;

use faultline_sources::hsms::{ConnectMode, HsmsConfig, HsmsSource, SvChannel, TraceConfig};

use crate::{Engine, EngineError, SourceConfig};

/// Samples forwarded per ingest call at most.
const BATCH: usize = 256;

pub(crate) async fn spawn(engine: Engine, source: &SourceConfig) -> Result<(), EngineError> {
    let SourceConfig::Hsms { asset, address, passive, device_id, period_ms, group_size, channels } =
        source
    else {
        return Ok(());
    };
    let mut config = HsmsConfig::new(
        asset.clone(),
        address.clone(),
        channels.iter().map(|c| SvChannel { svid: c.svid, channel: c.channel.clone() }).collect(),
    );
    config.mode = if *passive { ConnectMode::Passive } else { ConnectMode::Active };
    config.device_id = *device_id;
    config.trace = TraceConfig {
        period: Duration::from_millis(*period_ms),
        group_size: *group_size,
        ..TraceConfig::default()
    };
    config.validate().map_err(|e| EngineError::Source(format!("hsms `{asset}`: {e}")))?;
    let (hsms, mut samples) = HsmsSource::start(config)
        .await
        .map_err(|e| EngineError::Source(format!("hsms `{asset}` at {address}: {e}")))?;
    tokio::spawn(async move {
        let _keep_connected = hsms;
        let mut batch = Vec::with_capacity(BATCH);
        while samples.recv_many(&mut batch, BATCH).await > 0 {
            if engine.ingest_samples(std::mem::take(&mut batch)).await.is_err() {
                break;
            }
        }
    });
    Ok(())
}
