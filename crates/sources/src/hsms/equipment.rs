//! A simulated SECS/GEM equipment: the tool side of HSMS (passive), driven by a process model,
//! so the demo and the tests can run the whole host path on loopback without a real tool.
//!
//! The design, and why:
//! - **The same HSMS code on both ends.** A session is `connection::establish` in passive mode:
//!   select, linktest, T3/T6/T8, `Separate.req` and the framing are the code the host uses, so
//!   the simulator adds only the equipment's GEM answers (`equipment/session.rs`).
//! - **The process runs on its own clock.** One task asks the process model for a [`Sample`]
//!   every [`ToolSpec::period`] of real time, whether a host is connected or not, as a tool's
//!   chamber runs whether or not anyone watches. Hosts see the latest sample: a trace samples it
//!   at its own DSPER, `S1F3` reads it, and a change of a context value (lot, wafer, recipe …)
//!   fires the collection events watching it. Faults scheduled in process samples therefore
//!   happen at the same time however many hosts trace, and a second host (`faultline probe
//!   hsms`) can watch the tool beside the first without disturbing it.
//! - **Each session has its own GEM state** (reports, links, enabled events, traces): hosts do
//!   not see each other's definitions, and a reconnecting host starts clean.
//! - **One reporter per session sends everything** (`equipment/reporter.rs`): an event report
//!   always goes out before the trace data sampled after the change it reports, so the host's
//!   context is right for every sample.
//!
//! Supported: `S1F1`, `S1F3` (an empty list: every status variable), `S1F11`, `S1F13`, `S1F15`,
//! `S1F17`, `S2F23` (several traces, TOTSMP 0 stops one), `S2F33`, `S2F35`, `S2F37`, and it
//! sends `S6F1` and `S6F11` with the W-bit. Other primaries are answered `S9F3`/`S9F5`, bodies
//! of the wrong shape `S9F7`. Not simulated: alarms (`S5`), remote commands (`S2F41`), spooling.

mod reporter;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faultline_types::{Quality, Sample, Timestamp};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::HsmsError;
use super::item::Item;

/// A status variable of the simulated tool and the channel of the process sample it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusVariable {
    /// SVID.
    pub svid: u32,
    /// Channel name in the process model's samples (also the SVNAME of `S1F12`).
    pub channel: String,
    /// Engineering unit (UNITS of `S1F12`).
    pub unit: String,
}

/// A data variable: one context value of the process model, reportable with events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVariable {
    /// VID.
    pub vid: u32,
    /// Context key in the process model's samples (`lot`, `wafer`, `recipe` …).
    pub key: String,
}

/// A collection event that fires when the context value `key` changes (wafer start when
/// `wafer` changes, lot start when `lot` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionEvent {
    /// CEID.
    pub ceid: u32,
    /// The context key whose change fires it.
    pub key: String,
}

/// What the simulated tool is and what it offers.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// MDLN of `S1F2`/`S1F14`.
    pub model: String,
    /// SOFTREV.
    pub software: String,
    /// The session id of its data messages.
    pub device_id: u16,
    /// How often the process model is asked for a sample (real time).
    pub period: Duration,
    /// Status variables (tracable, readable with `S1F3`).
    pub status_variables: Vec<StatusVariable>,
    /// Data variables (for event reports).
    pub data_variables: Vec<DataVariable>,
    /// Collection events.
    pub events: Vec<CollectionEvent>,
}

impl ToolSpec {
    fn validate(&self) -> Result<(), HsmsError> {
        let fail = |what: String| Err(HsmsError::Config(format!("simulated equipment: {what}")));
        if self.period < Duration::from_millis(1) {
            return fail(format!("process period {:?} is below 1 ms", self.period));
        }
        if self.status_variables.is_empty() {
            return fail("no status variables".into());
        }
        let mut ids: Vec<u32> = self.status_variables.iter().map(|s| s.svid).collect();
        ids.extend(self.data_variables.iter().map(|d| d.vid));
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
            return fail(format!("variable id {} is used twice", pair[0]));
        }
        let mut ceids: Vec<u32> = self.events.iter().map(|e| e.ceid).collect();
        ceids.sort_unstable();
        if let Some(pair) = ceids.windows(2).find(|w| w[0] == w[1]) {
            return fail(format!("event id {} is used twice", pair[0]));
        }
        Ok(())
    }
}

/// The process state hosts see: the latest sample's status variable values (in
/// [`ToolSpec::status_variables`] order) and context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// Process samples taken so far.
    pub(crate) seq: u64,
    /// One item per status variable; an empty list when the sample lacks the channel or its
    /// value is not good (E5's zero-length item: the host reads it as missing).
    pub(crate) values: Vec<Item>,
    /// Context of the sample.
    pub(crate) context: Vec<(String, String)>,
}

impl Snapshot {
    fn of(spec: &ToolSpec, seq: u64, sample: Sample) -> Snapshot {
        let values = spec
            .status_variables
            .iter()
            .map(|sv| match sample.values.iter().find(|v| v.channel == sv.channel) {
                Some(v) if v.quality == Quality::Good && v.value.is_finite() => {
                    Item::F8(vec![v.value])
                }
                _ => Item::empty_list(),
            })
            .collect();
        Snapshot { seq, values, context: sample.context }
    }

    /// The value of context key `key`, if the sample carried it.
    pub(crate) fn context(&self, key: &str) -> Option<&str> {
        self.context.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Counters of the simulated tool.
#[derive(Debug, Default)]
pub(crate) struct ToolCounters {
    pub(crate) sessions: AtomicU64,
    pub(crate) trace_samples: AtomicU64,
    pub(crate) event_reports: AtomicU64,
}

/// What every session shares.
pub(crate) struct Tool {
    pub(crate) spec: ToolSpec,
    pub(crate) snapshots: watch::Receiver<Arc<Snapshot>>,
    pub(crate) counters: Arc<ToolCounters>,
    pub(crate) stop: watch::Receiver<bool>,
}

/// A running simulated tool: a listener on loopback (or wherever it was bound), the process
/// task and one task per connected host. Stops (each host gets `Separate.req`) on
/// [`Equipment::stop`] or drop.
#[derive(Debug)]
pub struct Equipment {
    address: SocketAddr,
    counters: Arc<ToolCounters>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Equipment {
    /// Binds `listen` (`127.0.0.1:0` picks a free port), starts the process model `process`
    /// (called every [`ToolSpec::period`] with the sample time, the wall clock) and accepts
    /// hosts. Must be called within a tokio runtime.
    pub async fn start(
        listen: &str,
        spec: ToolSpec,
        process: impl FnMut(Timestamp) -> Sample + Send + 'static,
    ) -> Result<Equipment, HsmsError> {
        spec.validate()?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| HsmsError::Listen { address: listen.into(), reason: e.to_string() })?;
        let address = listener
            .local_addr()
            .map_err(|e| HsmsError::Listen { address: listen.into(), reason: e.to_string() })?;
        let (stop, stop_rx) = watch::channel(false);
        let mut process = process;
        let first = Snapshot::of(&spec, 1, process(now()));
        let (snapshots_tx, snapshots) = watch::channel(Arc::new(first));
        let counters = Arc::new(ToolCounters::default());
        let tool = Arc::new(Tool { spec, snapshots, counters: counters.clone(), stop: stop_rx });
        let run = tokio::spawn(run_process(tool.clone(), process, snapshots_tx));
        let accept = tokio::spawn(accept(tool, listener));
        Ok(Equipment { address, counters, stop, tasks: vec![run, accept] })
    }

    /// Where hosts connect.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Hosts that selected so far.
    pub fn sessions(&self) -> u64 {
        self.counters.sessions.load(Ordering::Relaxed)
    }

    /// Trace samples sent (`S6F1` groups) to all hosts.
    pub fn trace_samples(&self) -> u64 {
        self.counters.trace_samples.load(Ordering::Relaxed)
    }

    /// Event reports (`S6F11`) sent to all hosts.
    pub fn event_reports(&self) -> u64 {
        self.counters.event_reports.load(Ordering::Relaxed)
    }

    /// Separates every host and stops the process; waits up to 2 s for the sessions to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }
}

impl Drop for Equipment {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The wall clock as a timestamp (the equipment's clock).
fn now() -> Timestamp {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    Timestamp::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
}

async fn run_process(
    tool: Arc<Tool>,
    mut process: impl FnMut(Timestamp) -> Sample,
    snapshots: watch::Sender<Arc<Snapshot>>,
) {
    let mut every = tokio::time::interval(tool.spec.period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The first tick is immediate, and the first sample was taken at start.
    every.tick().await;
    let mut stop = tool.stop.clone();
    let mut seq = 1;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => return,
        }
        seq += 1;
        let snapshot = Snapshot::of(&tool.spec, seq, process(now()));
        snapshots.send_replace(Arc::new(snapshot));
    }
}

async fn accept(tool: Arc<Tool>, listener: TcpListener) {
    let mut stop = tool.stop.clone();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    eprintln!("faultline: simulated equipment: accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let peer = stream.peer_addr().map_or_else(|_| "host".to_owned(), |a| a.to_string());
        tokio::spawn(session::run(tool.clone(), stream, peer));
    }
}
