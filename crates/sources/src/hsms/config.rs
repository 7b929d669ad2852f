//! `HsmsConfig`: where the equipment is, which status variables become which channels, how
//! they are traced, and which event reports carry context.

use std::time::Duration;

use super::clock;
use super::connection::ConnectMode;
use super::error::HsmsError;
use super::timers::Timers;

/// Default limit of one message (header and body): 1 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 1 << 20;

/// One status variable and the channel its values go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvChannel {
    /// Status variable id (sent as `U4`).
    pub svid: u32,
    /// Channel name in the asset's schema.
    pub channel: String,
}

/// Trace data collection (`S2F23`): what the equipment samples, how often, how many per report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceConfig {
    /// Trace id. Default 1.
    pub trid: u32,
    /// Sample period (DSPER); a multiple of 10 ms. Default 1 s.
    pub period: Duration,
    /// Samples per `S6F1` report (REPGSZ). Default 1.
    pub group_size: u32,
    /// Samples before the trace ends (TOTSMP); the source starts it again when it ends.
    /// Default `u32::MAX`.
    pub total_samples: u32,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            trid: 1,
            period: Duration::from_secs(1),
            group_size: 1,
            total_samples: u32::MAX,
        }
    }
}

/// A variable reported with events, and the context key its value travels under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextVar {
    /// Variable id (VID, sent as `U4`).
    pub vid: u32,
    /// Context key (`lot`, `wafer`, `recipe`, `step` …).
    pub key: String,
}

/// Event reports that carry context: one report of `vars`, linked to each event of `ceids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextConfig {
    /// Report id the source defines (deleted first, then defined again). Default 4000.
    pub rptid: u32,
    /// Collection events that send the report (for example wafer start, step change).
    pub ceids: Vec<u32>,
    /// The report's variables.
    pub vars: Vec<ContextVar>,
}

/// Everything the HSMS source needs.
#[derive(Debug, Clone, PartialEq)]
pub struct HsmsConfig {
    /// Asset name the samples carry.
    pub asset: String,
    /// `host:port`: the equipment's address (active) or where to listen (passive).
    pub address: String,
    /// Who opens the connection. Default active (the tool listens).
    pub mode: ConnectMode,
    /// Device id (the session id of data messages). Default 0.
    pub device_id: u16,
    /// HSMS timers.
    pub timers: Timers,
    /// Largest message accepted; longer ones are skipped and counted. Default 1 MiB.
    pub max_message_bytes: u32,
    /// Status variables to trace, in channel order. At least one.
    pub channels: Vec<SvChannel>,
    /// How to trace them.
    pub trace: TraceConfig,
    /// Event reports for context; `None` defines no reports.
    pub context: Option<ContextConfig>,
    /// Send `S1F17` request online after establishing communication. Default true.
    pub request_online: bool,
    /// The equipment clock's offset east of UTC, for STIME without a zone. Default 0.
    pub clock_utc_offset_minutes: i32,
    /// Longest wait between reconnection attempts (the first is T5). Default 60 s.
    pub backoff_max: Duration,
    /// How long [`HsmsSource::start`](super::HsmsSource::start) waits for the first session.
    /// Default 30 s.
    pub start_timeout: Duration,
    /// Capacity of the sample receiver; when full, the source stops reading and the
    /// equipment waits. Default 4096.
    pub capacity: usize,
}

impl HsmsConfig {
    /// Defaults for an equipment at `address`, tracing `channels` under `asset`.
    pub fn new(
        asset: impl Into<String>,
        address: impl Into<String>,
        channels: Vec<SvChannel>,
    ) -> Self {
        HsmsConfig {
            asset: asset.into(),
            address: address.into(),
            mode: ConnectMode::Active,
            device_id: 0,
            timers: Timers::default(),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            channels,
            trace: TraceConfig::default(),
            context: None,
            request_online: true,
            clock_utc_offset_minutes: 0,
            backoff_max: Duration::from_secs(60),
            start_timeout: Duration::from_secs(30),
            capacity: 4096,
        }
    }

    /// Checks what could never work; the message names the field.
    pub fn validate(&self) -> Result<(), HsmsError> {
        let fail = |what: String| Err(HsmsError::Config(what));
        if self.asset.is_empty() {
            return fail("`asset` is empty".into());
        }
        if !self.address.contains(':') {
            return fail(format!("`address` {:?} is not host:port", self.address));
        }
        if self.channels.is_empty() {
            return fail("no status variables to trace; give at least one svid".into());
        }
        for (i, a) in self.channels.iter().enumerate() {
            if a.channel.is_empty() {
                return fail(format!("the channel name of svid {} is empty", a.svid));
            }
            if self.channels[..i].iter().any(|b| b.svid == a.svid || b.channel == a.channel) {
                return fail(format!("svid {} or channel `{}` is listed twice", a.svid, a.channel));
            }
        }
        if clock::dsper(self.trace.period).is_none() {
            return fail(format!(
                "trace period {:?} is not a positive multiple of 10 ms below 100 h",
                self.trace.period
            ));
        }
        if self.trace.group_size == 0 || self.trace.total_samples == 0 {
            return fail("trace `group_size` and `total_samples` must be at least 1".into());
        }
        if self.max_message_bytes < 64 {
            return fail("`max_message_bytes` is below 64".into());
        }
        if self.capacity == 0 {
            return fail("`capacity` is 0".into());
        }
        if let Some(context) = &self.context
            && (context.ceids.is_empty() || context.vars.is_empty())
        {
            return fail("context reports need at least one event id and one variable".into());
        }
        let t = &self.timers;
        if [t.t3, t.t6, t.t7, t.t8].contains(&Duration::ZERO) || t.linktest == Some(Duration::ZERO)
        {
            return fail("HSMS timers must be above zero".into());
        }
        Ok(())
    }
}
