//! `HsmsSource`: the supervisor task that connects (active) or listens (passive), selects,
//! sets up GEM data collection, turns trace data into [`Sample`]s with the context of the
//! latest event reports, and reconnects with back-off when the session ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_types::{ChannelValue, Quality, Sample, Timestamp};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::clock;
use super::config::HsmsConfig;
use super::connection::{self, ConnectMode, Link, LinkCounters, LinkSettings};
use super::error::HsmsError;
use super::gem::{self, EquipmentId, EventReport, GemHost, TraceData, TraceRequest};
use super::item::Item;
use super::message::Message;

/// What the first session found: the equipment's identity and the status variables' values
/// read with `S1F3` before tracing started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionInfo {
    /// MDLN and SOFTREV from `S1F14`.
    pub equipment: EquipmentId,
    /// `(svid, channel, value)` of each traced status variable.
    pub status: Vec<(u32, String, Item)>,
}

/// Counters shared between the tasks and [`HsmsStatus`].
#[derive(Debug, Default)]
struct Shared {
    selected: AtomicBool,
    sessions: AtomicU64,
    samples: AtomicU64,
    /// Trace or event bodies that could not be used.
    bad_reports: AtomicU64,
    link: Arc<LinkCounters>,
    last_error: Mutex<Option<String>>,
    session: Mutex<Option<SessionInfo>>,
}

/// A cloneable view of the source's state, for `/metrics` and health checks.
#[derive(Debug, Clone)]
pub struct HsmsStatus {
    shared: Arc<Shared>,
}

impl HsmsStatus {
    /// True while a session is selected and collecting.
    pub fn is_selected(&self) -> bool {
        self.shared.selected.load(Ordering::Relaxed)
    }

    /// Sessions established so far (1 + reconnections).
    pub fn sessions(&self) -> u64 {
        self.shared.sessions.load(Ordering::Relaxed)
    }

    /// Samples handed to the receiver.
    pub fn samples(&self) -> u64 {
        self.shared.samples.load(Ordering::Relaxed)
    }

    /// Messages that were malformed or too large, and trace or event reports that could not be
    /// used (wrong shape, unknown trace, unreadable STIME). Each also logs one line.
    pub fn malformed(&self) -> u64 {
        self.shared.link.malformed.load(Ordering::Relaxed)
            + self.shared.bad_reports.load(Ordering::Relaxed)
    }

    /// Messages refused: answered with `Reject.req` or `SxF0`, or replies nobody waited for.
    pub fn refused(&self) -> u64 {
        self.shared.link.refused.load(Ordering::Relaxed)
    }

    /// Why the last session ended or failed, if one did.
    pub fn last_error(&self) -> Option<String> {
        self.shared.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// What the latest session found.
    pub fn session(&self) -> Option<SessionInfo> {
        self.shared.session.lock().ok().and_then(|s| s.clone())
    }
}

/// A running HSMS source: one supervisor task and, while connected, one connection task.
#[derive(Debug)]
pub struct HsmsSource {
    status: HsmsStatus,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl HsmsSource {
    /// Validates the configuration, connects (or listens), selects, establishes communication,
    /// goes online, reads the status variables, defines the context reports and starts the
    /// trace; returns when that first session is up, with the receiver the samples arrive on.
    /// Fails when any step of the first session fails or takes longer than `start_timeout`;
    /// later losses are retried with back-off (T5, doubling up to `backoff_max`).
    /// Must be called within a tokio runtime.
    pub async fn start(
        config: HsmsConfig,
    ) -> Result<(HsmsSource, mpsc::Receiver<Sample>), HsmsError> {
        config.validate()?;
        let listener = match config.mode {
            ConnectMode::Passive => {
                Some(TcpListener::bind(&config.address).await.map_err(|e| HsmsError::Listen {
                    address: config.address.clone(),
                    reason: e.to_string(),
                })?)
            }
            ConnectMode::Active => None,
        };
        let (tx, rx) = mpsc::channel(config.capacity);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = oneshot::channel();
        let shared = Arc::new(Shared::default());
        let start_timeout = config.start_timeout;
        let address = config.address.clone();
        let supervisor = Supervisor {
            config: Arc::new(config),
            listener,
            samples: tx,
            shared: shared.clone(),
            stop: stop_rx,
            ready: Some(ready_tx),
        };
        let task = tokio::spawn(supervisor.run());
        let source = HsmsSource { status: HsmsStatus { shared }, stop: stop_tx, task: Some(task) };
        let outcome = match tokio::time::timeout(start_timeout, ready_rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(HsmsError::Stopped),
            Err(_) => Err(HsmsError::Timeout {
                address,
                timer: super::timers::Timer::T3,
                millis: start_timeout.as_millis(),
                what: "setting up the first session (start_timeout)".into(),
            }),
        };
        match outcome {
            Ok(()) => Ok((source, rx)),
            Err(error) => {
                source.stop().await;
                Err(error)
            }
        }
    }

    /// The source's counters; the handle stays valid after [`HsmsSource::stop`].
    pub fn status(&self) -> HsmsStatus {
        self.status.clone()
    }

    /// Stops the trace (`S2F23` with TOTSMP 0), sends `Separate.req`, closes the connection and
    /// waits for the task. The receiver then ends.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(10), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for HsmsSource {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Why a session ended.
enum End {
    /// Stop was asked for, or the receiver is gone.
    Stop,
    /// The session failed.
    Failed(HsmsError),
}

struct Supervisor {
    config: Arc<HsmsConfig>,
    listener: Option<TcpListener>,
    samples: mpsc::Sender<Sample>,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    ready: Option<oneshot::Sender<Result<(), HsmsError>>>,
}

impl Supervisor {
    async fn run(mut self) {
        let t5 = self.config.timers.t5;
        let mut backoff = t5;
        loop {
            if *self.stop.borrow() {
                return;
            }
            let sessions = self.shared.sessions.load(Ordering::Relaxed);
            let end = self.session().await;
            self.shared.selected.store(false, Ordering::Relaxed);
            let error = match end {
                End::Stop => return,
                End::Failed(error) => error,
            };
            if let Some(ready) = self.ready.take() {
                let _ = ready.send(Err(error));
                return;
            }
            // After a session that was up, wait T5; after each failed attempt, twice as long.
            if self.shared.sessions.load(Ordering::Relaxed) > sessions {
                backoff = t5;
            }
            eprintln!("faultline: hsms: {error}; reconnecting in {} ms", backoff.as_millis());
            if let Ok(mut last) = self.shared.last_error.lock() {
                *last = Some(error.to_string());
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = self.stop.changed() => return,
            }
            backoff = (backoff * 2).min(self.config.backoff_max.max(t5));
        }
    }

    async fn connect(&mut self) -> Result<TcpStream, End> {
        let address = self.config.address.clone();
        let t6 = self.config.timers.t6;
        let attempt = async {
            match &self.listener {
                Some(listener) => listener.accept().await.map(|(stream, _)| stream).map_err(|e| {
                    HsmsError::Listen { address: address.clone(), reason: e.to_string() }
                }),
                None => match tokio::time::timeout(t6, TcpStream::connect(&address)).await {
                    Ok(Ok(stream)) => Ok(stream),
                    Ok(Err(e)) => {
                        Err(HsmsError::Connect { address: address.clone(), reason: e.to_string() })
                    }
                    Err(_) => Err(HsmsError::Connect {
                        address: address.clone(),
                        reason: format!("no answer within {} ms", t6.as_millis()),
                    }),
                },
            }
        };
        let mut stop = self.stop.clone();
        tokio::select! {
            result = attempt => result.map_err(End::Failed),
            _ = stop.changed() => Err(End::Stop),
        }
    }

    async fn session(&mut self) -> End {
        let stream = match self.connect().await {
            Ok(stream) => stream,
            Err(end) => return end,
        };
        let config = self.config.clone();
        let settings = LinkSettings {
            address: config.address.as_str().into(),
            device_id: config.device_id,
            timers: config.timers,
            max_message_bytes: config.max_message_bytes,
            equipment: false,
        };
        let (link, primaries, mut connection) =
            match connection::establish(stream, config.mode, settings, self.shared.link.clone())
                .await
            {
                Ok(parts) => parts,
                Err(error) => return End::Failed(error),
            };
        let (rearm_tx, mut rearm_rx) = mpsc::channel(1);
        let handler = Handler {
            config: config.clone(),
            link: link.clone(),
            samples: self.samples.clone(),
            shared: self.shared.clone(),
            context: Vec::new(),
            rearm: rearm_tx,
        };
        let mut handler = tokio::spawn(handler.run(primaries));
        let host = GemHost { link: &link, address: &config.address };
        let mut stop = self.stop.clone();
        let setup = tokio::select! {
            result = set_up(&host, &config) => result.map_err(End::Failed),
            result = &mut connection => Err(End::Failed(ended(result))),
            _ = stop.changed() => Err(End::Stop),
        };
        let end = match setup {
            Err(end) => end,
            Ok(info) => {
                self.shared.sessions.fetch_add(1, Ordering::Relaxed);
                self.shared.selected.store(true, Ordering::Relaxed);
                if let Ok(mut session) = self.shared.session.lock() {
                    *session = Some(info);
                }
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Ok(()));
                }
                loop {
                    tokio::select! {
                        result = &mut connection => break End::Failed(ended(result)),
                        // The handler ends when the sample receiver is gone, or when the
                        // connection ended (then its task says why).
                        _ = &mut handler => {
                            if self.samples.is_closed() {
                                break End::Stop;
                            }
                            break End::Failed(ended((&mut connection).await));
                        }
                        _ = stop.changed() => break End::Stop,
                        Some(()) = rearm_rx.recv() => {
                            if let Err(error) = start_trace(&host, &config, config.trace.total_samples).await {
                                break End::Failed(error);
                            }
                        }
                    }
                }
            }
        };
        if matches!(end, End::Stop) && !connection.is_finished() {
            let quick = Duration::from_secs(2).min(config.timers.t3);
            let _ = tokio::time::timeout(quick, start_trace(&host, &config, 0)).await;
            link.separate().await;
            let _ = tokio::time::timeout(quick, &mut connection).await;
        }
        connection.abort();
        handler.abort();
        end
    }
}

/// The reason a connection task ended.
fn ended(result: Result<Result<(), HsmsError>, tokio::task::JoinError>) -> HsmsError {
    match result {
        Ok(Err(error)) => error,
        Ok(Ok(())) | Err(_) => HsmsError::Stopped,
    }
}

/// GEM set-up of one session.
async fn set_up(host: &GemHost<'_>, config: &HsmsConfig) -> Result<SessionInfo, HsmsError> {
    let equipment = host.establish_communication().await?;
    if config.request_online {
        host.request_online().await?;
    }
    let svids: Vec<u32> = config.channels.iter().map(|c| c.svid).collect();
    let values = host.read_status(&svids).await?;
    let status = config
        .channels
        .iter()
        .zip(values)
        .map(|(c, value)| (c.svid, c.channel.clone(), value))
        .collect();
    if let Some(context) = &config.context {
        // Start clean: a report left from an earlier session would be refused as a duplicate.
        // Both may be refused when nothing is defined yet (some tools answer ERACK 1 for an
        // event without links), which is fine.
        let _ = host.enable_events(false, &context.ceids).await;
        let _ = host.define_report(context.rptid, &[]).await;
        let vids: Vec<u32> = context.vars.iter().map(|v| v.vid).collect();
        host.define_report(context.rptid, &vids).await?;
        for &ceid in &context.ceids {
            host.link_event(ceid, &[context.rptid]).await?;
        }
        host.enable_events(true, &context.ceids).await?;
    }
    start_trace(host, config, config.trace.total_samples).await?;
    Ok(SessionInfo { equipment, status })
}

/// `S2F23` for the configured trace; `total` 0 stops it.
async fn start_trace(host: &GemHost<'_>, config: &HsmsConfig, total: u32) -> Result<(), HsmsError> {
    let dsper = clock::dsper(config.trace.period).unwrap_or_default();
    let svids: Vec<u32> = config.channels.iter().map(|c| c.svid).collect();
    let request = TraceRequest {
        trid: config.trace.trid,
        dsper: &dsper,
        total,
        group: config.trace.group_size,
        svids: &svids,
    };
    host.trace_init(&request).await
}

/// Answers the equipment's primary messages and turns trace data into samples.
struct Handler {
    config: Arc<HsmsConfig>,
    link: Link,
    samples: mpsc::Sender<Sample>,
    shared: Arc<Shared>,
    /// Latest value of each context variable.
    context: Vec<(String, String)>,
    rearm: mpsc::Sender<()>,
}

impl Handler {
    async fn run(mut self, mut primaries: mpsc::Receiver<Message>) {
        while let Some(message) = primaries.recv().await {
            match self.handle(message).await {
                Ok(true) => {}
                Ok(false) => return,
                // The connection task ends too and reports why.
                Err(_) => return,
            }
        }
    }

    fn bad(&self, what: &str) {
        self.shared.bad_reports.fetch_add(1, Ordering::Relaxed);
        eprintln!("faultline: hsms: {}: {what}", self.config.address);
    }

    /// Handles one message; `false` when the sample receiver is gone.
    async fn handle(&mut self, message: Message) -> Result<bool, HsmsError> {
        let header = message.header;
        let link = self.link.clone();
        let reply = |function: u8, item: Option<Item>| {
            let link = link.clone();
            async move { if header.wbit() { link.reply(&header, function, item).await } else { Ok(()) } }
        };
        match message.stream_function() {
            // Establish communication from the equipment: accept (COMMACK 0, empty MDLN).
            (1, 13) => {
                reply(14, Some(Item::List(vec![Item::binary(0), Item::empty_list()]))).await?
            }
            (1, 1) => reply(2, Some(Item::empty_list())).await?,
            // Alarm report: acknowledge (ACKC5 0).
            (5, 1) => reply(2, Some(Item::binary(0))).await?,
            // Terminal display: accepted (ACKC10 0).
            (10, 1) => reply(2, Some(Item::binary(0))).await?,
            (6, 11) => {
                self.event_report(message.item.as_ref());
                reply(12, Some(Item::binary(0))).await?;
            }
            (6, 1) => {
                let samples = self.trace_data(message.item.as_ref());
                reply(2, Some(Item::binary(0))).await?;
                for sample in samples {
                    if self.samples.send(sample).await.is_err() {
                        return Ok(false);
                    }
                    self.shared.samples.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Anything else that waits for an answer: abort the transaction (SxF0).
            _ if header.wbit() => self.link.reply(&header, 0, None).await?,
            _ => {}
        }
        Ok(true)
    }

    fn event_report(&mut self, item: Option<&Item>) {
        let Some(context) = &self.config.context else { return };
        let report = match EventReport::parse(item) {
            Ok(report) => report,
            Err(reason) => return self.bad(&reason),
        };
        for (rptid, values) in report.reports {
            if rptid != u64::from(context.rptid) {
                continue;
            }
            if values.len() != context.vars.len() {
                return self.bad(&format!(
                    "S6F11 report {rptid} holds {} values, {} were defined",
                    values.len(),
                    context.vars.len()
                ));
            }
            for (var, value) in context.vars.iter().zip(&values) {
                let text = gem::context_text(value);
                match self.context.iter_mut().find(|(k, _)| *k == var.key) {
                    Some(entry) => entry.1 = text,
                    None => self.context.push((var.key.clone(), text)),
                }
            }
        }
    }

    /// The samples of one `S6F1`: REPGSZ groups, the last at STIME, the others DSPER apart
    /// before it.
    fn trace_data(&mut self, item: Option<&Item>) -> Vec<Sample> {
        let trace = match TraceData::parse(item) {
            Ok(trace) => trace,
            Err(reason) => {
                self.bad(&reason);
                return Vec::new();
            }
        };
        let config = &self.config;
        if trace.trid != u64::from(config.trace.trid) {
            self.bad(&format!("S6F1 for unknown trace {}", trace.trid));
            return Vec::new();
        }
        let Some(stime) = clock::parse_stime(&trace.stime, config.clock_utc_offset_minutes) else {
            self.bad(&format!("S6F1 STIME {:?} is not a SECS time", trace.stime));
            return Vec::new();
        };
        let n = config.channels.len();
        if trace.values.is_empty() || trace.values.len() % n != 0 {
            self.bad(&format!(
                "S6F1 holds {} values, not a multiple of the {n} traced variables",
                trace.values.len()
            ));
            return Vec::new();
        }
        if trace.smpln >= u64::from(config.trace.total_samples) {
            let _ = self.rearm.try_send(());
        }
        let groups = trace.values.len() / n;
        let period = i64::try_from(config.trace.period.as_nanos()).unwrap_or(i64::MAX);
        trace
            .values
            .chunks_exact(n)
            .enumerate()
            .map(|(k, group)| {
                let back = i64::try_from(groups - 1 - k).unwrap_or(0).saturating_mul(period);
                Sample {
                    asset: config.asset.clone(),
                    ts: Timestamp::from_nanos(stime.as_nanos().saturating_sub(back)),
                    values: config
                        .channels
                        .iter()
                        .zip(group)
                        .map(|(c, v)| value(&c.channel, v))
                        .collect(),
                    context: self.context.clone(),
                }
            })
            .collect()
    }
}

/// A traced value as a channel value: numbers as they are; an empty item (the equipment's
/// answer for an unknown variable) is `Missing`; text, lists and non-finite numbers are `Bad`.
fn value(channel: &str, item: &Item) -> ChannelValue {
    let (value, quality) = match item.as_f64() {
        Some(x) if x.is_finite() => (x, Quality::Good),
        _ if item.is_empty() => (0.0, Quality::Missing),
        _ => (0.0, Quality::Bad),
    };
    ChannelValue { channel: channel.to_owned(), value, quality }
}
