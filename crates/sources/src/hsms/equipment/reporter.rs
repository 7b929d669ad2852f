//! What the simulated equipment sends on its own: `S6F11` event reports when a watched context
//! value changes, and `S6F1` trace data at each trace's period. One task per session sends
//! both, so an event report always precedes the trace samples taken after its change, and each
//! message waits for the host's reply (a slow host slows the reports, nothing is dropped).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_types::Timestamp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::super::clock;
use super::super::connection::Link;
use super::super::error::HsmsError;
use super::super::item::Item;
use super::session::Gem;
use super::{Snapshot, Tool};

/// A trace as `S2F23` asked for it.
#[derive(Debug, Clone)]
pub(crate) struct TraceSetup {
    pub(crate) trid: u64,
    pub(crate) period: Duration,
    /// TOTSMP: samples before the trace ends.
    pub(crate) total: u64,
    /// REPGSZ: samples per `S6F1`.
    pub(crate) group: u64,
    /// Index of each traced status variable in the tool's list.
    pub(crate) columns: Vec<usize>,
}

/// From the session to its reporter.
#[derive(Debug)]
pub(crate) enum TraceCommand {
    /// Start (or restart) a trace.
    Start(TraceSetup),
    /// Stop trace `TRID`.
    Stop(u64),
}

struct Trace {
    setup: TraceSetup,
    /// Samples taken (SMPLN of the latest).
    smpln: u64,
    /// Equipment time of sample 0, on a 10 ms boundary so STIME is exact.
    start_ns: i64,
    next_due: Instant,
    /// Values of the report being filled.
    values: Vec<Item>,
}

/// Sends events and traces until the connection ends or the session drops the command sender.
pub(crate) async fn run(
    tool: Arc<Tool>,
    link: Link,
    gem: Arc<Mutex<Gem>>,
    mut commands: mpsc::Receiver<TraceCommand>,
) {
    let mut reporter = Reporter {
        tool: tool.clone(),
        link,
        gem,
        seen: vec![None; tool.spec.events.len()],
        dataid: 0,
    };
    let mut snapshots = tool.snapshots.clone();
    let mut traces: Vec<Trace> = Vec::new();
    loop {
        let due = traces.iter().map(|t| t.next_due).min();
        let result = tokio::select! {
            command = commands.recv() => match command {
                None => return,
                Some(TraceCommand::Start(setup)) => {
                    traces.retain(|t| t.setup.trid != setup.trid);
                    traces.push(Trace::start(setup));
                    Ok(())
                }
                Some(TraceCommand::Stop(trid)) => {
                    traces.retain(|t| t.setup.trid != trid);
                    Ok(())
                }
            },
            changed = snapshots.changed() => match changed {
                Ok(()) => {
                    let snapshot = snapshots.borrow_and_update().clone();
                    reporter.events(&snapshot).await
                }
                Err(_) => return,
            },
            () = sleep_until(due), if due.is_some() => {
                let snapshot = snapshots.borrow_and_update().clone();
                reporter.traces(&snapshot, &mut traces).await
            }
        };
        if result.is_err() {
            // The connection task reports why; the session ends with it.
            return;
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

impl Trace {
    fn start(setup: TraceSetup) -> Trace {
        const TEN_MS: i64 = 10_000_000;
        let now = super::now().as_nanos();
        Trace {
            next_due: Instant::now() + setup.period,
            smpln: 0,
            start_ns: now - now.rem_euclid(TEN_MS),
            // Grows to a full report; reserved up front only within reason.
            values: Vec::with_capacity((setup.columns.len() * setup.group as usize).min(4096)),
            setup,
        }
    }
}

struct Reporter {
    tool: Arc<Tool>,
    link: Link,
    gem: Arc<Mutex<Gem>>,
    /// Per event of the spec: the context value last reported (`None` while disabled).
    seen: Vec<Option<String>>,
    dataid: u32,
}

impl Reporter {
    /// Sends `S6F11` for each enabled event whose context value differs from the one last
    /// reported; an event just enabled reports the current value once, so a host learns the
    /// context without waiting for the next change.
    async fn events(&mut self, snapshot: &Snapshot) -> Result<(), HsmsError> {
        for (k, event) in self.tool.spec.events.iter().enumerate() {
            let ceid = u64::from(event.ceid);
            let reports = match self.gem.lock() {
                Ok(gem) if gem.enabled.contains(&ceid) => {
                    report_items(&gem, ceid, snapshot, &self.tool)
                }
                _ => {
                    self.seen[k] = None;
                    continue;
                }
            };
            let Some(value) = snapshot.context(&event.key) else { continue };
            if self.seen[k].as_deref() == Some(value) {
                continue;
            }
            self.seen[k] = Some(value.to_owned());
            self.dataid = self.dataid.wrapping_add(1);
            let body = Item::List(vec![Item::u4(self.dataid), Item::u4(event.ceid), reports]);
            self.link.request(6, 11, Some(body)).await?;
            self.tool.counters.event_reports.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Takes the samples of every trace that is due, after the events of this snapshot, and
    /// sends each full group as `S6F1`.
    async fn traces(
        &mut self,
        snapshot: &Snapshot,
        traces: &mut Vec<Trace>,
    ) -> Result<(), HsmsError> {
        self.events(snapshot).await?;
        let now = Instant::now();
        for trace in traces.iter_mut().filter(|t| t.next_due <= now) {
            trace.smpln += 1;
            trace.next_due += trace.setup.period;
            trace.values.extend(trace.setup.columns.iter().map(|&c| snapshot.values[c].clone()));
            let last = trace.smpln >= trace.setup.total;
            if trace.smpln % trace.setup.group != 0 && !last {
                continue;
            }
            let period = i64::try_from(trace.setup.period.as_nanos()).unwrap_or(i64::MAX);
            let at = trace.start_ns.saturating_add(period.saturating_mul(trace.smpln as i64));
            let stime = clock::format_stime(Timestamp::from_nanos(at)).unwrap_or_default();
            let groups = trace.values.len() / trace.setup.columns.len().max(1);
            let body = Item::List(vec![
                u4(trace.setup.trid),
                u4(trace.smpln),
                Item::ascii(stime),
                Item::List(std::mem::take(&mut trace.values)),
            ]);
            self.link.request(6, 1, Some(body)).await?;
            self.tool.counters.trace_samples.fetch_add(groups as u64, Ordering::Relaxed);
        }
        traces.retain(|t| t.smpln < t.setup.total);
        Ok(())
    }
}

/// `L[L[RPTID, L[V …]] …]` of the reports linked to `ceid`.
fn report_items(gem: &Gem, ceid: u64, snapshot: &Snapshot, tool: &Tool) -> Item {
    let spec = &tool.spec;
    let value = |vid: u64| -> Item {
        if let Some(dv) = spec.data_variables.iter().find(|d| u64::from(d.vid) == vid) {
            return Item::ascii(snapshot.context(&dv.key).unwrap_or_default());
        }
        match spec.status_variables.iter().position(|s| u64::from(s.svid) == vid) {
            Some(k) => snapshot.values[k].clone(),
            None => Item::empty_list(),
        }
    };
    let linked = gem.links.get(&ceid).map(Vec::as_slice).unwrap_or_default();
    Item::List(
        linked
            .iter()
            .map(|rptid| {
                let vids = gem.reports.get(rptid).map(Vec::as_slice).unwrap_or_default();
                Item::List(vec![u4(*rptid), Item::List(vids.iter().map(|&v| value(v)).collect())])
            })
            .collect(),
    )
}

/// An id or count as `U4` (saturating: ids the host sent fit, counts beyond 2³² do not occur).
fn u4(value: u64) -> Item {
    Item::u4(u32::try_from(value).unwrap_or(u32::MAX))
}
