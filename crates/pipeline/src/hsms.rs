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

use crate::{Engine, EngineError, SourceConfig};

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
        let _keep_connected = hsms;
        let mut batch = Vec::with_capacity(BATCH);
        while samples.recv_many(&mut batch, BATCH).await > 0 {
            if engine.ingest_stamped_samples(std::mem::take(&mut batch)).await.is_err() {
                break;
            }
        }
    });
    Ok(())
}
