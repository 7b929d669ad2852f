//! The demo's HBM etch line over SECS/GEM: its `LineSimulator` runs inside a simulated HSMS
//! equipment on a loopback port, and the engine collects it through an `hsms` source, the same
//! path a real etch tool takes in `faultline serve` (trace data for the channels, event reports
//! for recipe, lot and wafer).

use std::time::Duration;

use anyhow::Context;
use faultline_pipeline::{ContextVarConfig, SourceConfig, SvChannelConfig};
use faultline_sources::hsms::equipment::{
    CollectionEvent, DataVariable, Equipment, StatusVariable, ToolSpec,
};
use faultline_testkit::LineSimulator;

/// SVID of the line's first channel; the others follow in channel order.
const FIRST_SVID: u32 = 1001;
/// Data variables (VID, context key) the tool reports with its events.
const DATA_VARIABLES: [(u32, &str); 3] = [(2001, "recipe"), (2002, "lot"), (2003, "wafer")];
/// Collection events (CEID, context key whose change fires it): wafer start, lot start.
const EVENTS: [(u32, &str); 2] = [(3001, "wafer"), (3002, "lot")];

/// The running tool and the source that collects from it.
pub(super) struct EtchTool {
    /// Keeps the tool running for as long as the demo does.
    pub(super) equipment: Equipment,
    /// The `[[sources]]` entry of the engine.
    pub(super) source: SourceConfig,
}

/// Starts the simulated etch tool on a free loopback port, sampling `simulator` every `period`.
pub(super) async fn start(simulator: LineSimulator, period: Duration) -> anyhow::Result<EtchTool> {
    let spec = simulator.spec().clone();
    let status_variables: Vec<StatusVariable> = spec
        .channels
        .iter()
        .zip(FIRST_SVID..)
        .map(|(c, svid)| StatusVariable {
            svid,
            channel: c.name.to_owned(),
            unit: c.unit.to_owned(),
        })
        .collect();
    let tool = ToolSpec {
        model: format!("faultline-sim {}", spec.asset),
        software: env!("CARGO_PKG_VERSION").to_owned(),
        device_id: 0,
        period,
        status_variables: status_variables.clone(),
        data_variables: DATA_VARIABLES
            .iter()
            .map(|&(vid, key)| DataVariable { vid, key: key.to_owned() })
            .collect(),
        events: EVENTS
            .iter()
            .map(|&(ceid, key)| CollectionEvent { ceid, key: key.to_owned() })
            .collect(),
    };
    let mut simulator = simulator;
    let equipment = Equipment::start("127.0.0.1:0", tool, move |ts| simulator.next_sample(ts))
        .await
        .context("starting the simulated HSMS etch tool")?;
    let period_ms = u64::try_from(period.as_millis()).context("demo sample period")?;
    let source = SourceConfig::Hsms {
        asset: spec.asset.to_owned(),
        address: equipment.address().to_string(),
        passive: false,
        device_id: 0,
        period_ms,
        group_size: 1,
        channels: status_variables
            .iter()
            .map(|s| SvChannelConfig { svid: s.svid, channel: s.channel.clone() })
            .collect(),
        context_events: EVENTS.iter().map(|&(ceid, _)| ceid).collect(),
        context: DATA_VARIABLES
            .iter()
            .map(|&(vid, key)| ContextVarConfig { vid, key: key.to_owned() })
            .collect(),
        clock_utc_offset_minutes: 0, // the simulated tool's clock is UTC
    };
    Ok(EtchTool { equipment, source })
}

impl EtchTool {
    /// One line for the banner: where the tool listens and how to watch it with the probe.
    pub(super) fn describe(&self) -> String {
        let SourceConfig::Hsms { asset, address, channels, .. } = &self.source else {
            return String::new();
        };
        let svids: Vec<String> = channels.iter().map(|c| c.svid.to_string()).collect();
        format!(
            "  {asset} is on SECS/GEM: simulated HSMS equipment at {address} (passive, device 0)\n\
             \x20   watch it too: faultline probe hsms --address {address} --svid {} --period-ms 100 \
             --count 10 --ceid 3001,3002 --context 2001=recipe,2002=lot,2003=wafer",
            svids.join(",")
        )
    }
}
