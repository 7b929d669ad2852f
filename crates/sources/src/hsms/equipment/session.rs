//! One host connected to the simulated equipment: the passive select, then the equipment's
//! answers to the host's GEM primaries. Report definitions, event links, enabled events and
//! traces belong to this session; traces and events go to the reporter task, which sends them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::super::clock;
use super::super::connection::{self, ConnectMode, Link, LinkCounters, LinkSettings};
use super::super::error::HsmsError;
use super::super::gem::id;
use super::super::header::Header;
use super::super::item::Item;
use super::super::message::Message;
use super::super::timers::Timers;
use super::Tool;
use super::reporter::{self, TraceCommand, TraceSetup};

/// Traces one session may run at once (beyond: TIAACK 2).
const MAX_TRACES: usize = 8;
/// Status variables one trace may sample (beyond: TIAACK 1), and samples per report (beyond:
/// TIAACK 5): together they bound what a host can make the equipment buffer.
const MAX_TRACE_SVIDS: usize = 1_000;
const MAX_GROUP: u64 = 10_000;

/// The GEM state of one session that the reporter reads.
#[derive(Debug, Default)]
pub(crate) struct Gem {
    /// RPTID → VIDs.
    pub(crate) reports: BTreeMap<u64, Vec<u64>>,
    /// CEID → RPTIDs.
    pub(crate) links: BTreeMap<u64, Vec<u64>>,
    /// Enabled CEIDs.
    pub(crate) enabled: BTreeSet<u64>,
}

/// A body the equipment cannot use: answered `S9F7` (illegal data).
struct Illegal;

struct Session {
    tool: Arc<Tool>,
    link: Link,
    gem: Arc<Mutex<Gem>>,
    traces: mpsc::Sender<TraceCommand>,
    active_traces: BTreeSet<u64>,
    online: bool,
}

/// Serves one host until it separates, the connection fails or the equipment stops.
pub(crate) async fn run(tool: Arc<Tool>, stream: TcpStream, peer: String) {
    let settings = LinkSettings {
        address: peer.as_str().into(),
        device_id: tool.spec.device_id,
        // The host runs the linktest; the equipment only answers it.
        timers: Timers { linktest: None, ..Timers::default() },
        max_message_bytes: super::super::config::DEFAULT_MAX_MESSAGE_BYTES,
        equipment: true,
    };
    let counters = Arc::new(LinkCounters::default());
    let (link, mut primaries, mut connection) =
        match connection::establish(stream, ConnectMode::Passive, settings, counters).await {
            Ok(parts) => parts,
            Err(error) => {
                eprintln!("faultline: simulated equipment: {peer}: {error}");
                return;
            }
        };
    tool.counters.sessions.fetch_add(1, Ordering::Relaxed);
    let gem = Arc::new(Mutex::new(Gem::default()));
    let (traces, commands) = mpsc::channel(16);
    let mut reporter =
        tokio::spawn(reporter::run(tool.clone(), link.clone(), gem.clone(), commands));
    let mut session = Session {
        tool: tool.clone(),
        link: link.clone(),
        gem,
        traces,
        active_traces: BTreeSet::new(),
        online: false,
    };
    let mut stop = tool.stop.clone();
    loop {
        tokio::select! {
            message = primaries.recv() => match message {
                Some(message) => {
                    if session.handle(message).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = &mut connection => break,
            _ = &mut reporter => break,
            _ = stop.changed() => {
                // Let the connection task write Separate.req before it is aborted.
                link.separate().await;
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut connection).await;
                break;
            }
        }
    }
    reporter.abort();
    connection.abort();
}

impl Session {
    /// Answers one primary message from the host.
    async fn handle(&mut self, message: Message) -> Result<(), HsmsError> {
        let header = message.header;
        let (stream, function) = message.stream_function();
        let body = message.item.as_ref();
        let answer = match (stream, function) {
            (1, 1) => Ok(Some(self.identity())),
            (1, 3) => self.status(body).map(Some),
            (1, 11) => self.namelist(body).map(Some),
            (1, 13) => Ok(Some(Item::List(vec![Item::binary(0), self.identity()]))),
            (1, 15) => {
                self.online = false;
                Ok(Some(Item::binary(0)))
            }
            (1, 17) => {
                let onlack = if self.online { 2 } else { 0 };
                self.online = true;
                Ok(Some(Item::binary(onlack)))
            }
            (2, 23) => self.trace(body).await.map(Some),
            (2, 33) => self.define_reports(body).map(Some),
            (2, 35) => self.link_events(body).map(Some),
            (2, 37) => self.enable_events(body).map(Some),
            _ => Ok(None),
        };
        match answer {
            Ok(Some(item)) if header.wbit() => {
                self.link.reply(&header, function + 1, Some(item)).await
            }
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                let known = matches!(stream, 1 | 2 | 6);
                self.s9(&header, if known { 5 } else { 3 }).await
            }
            Err(Illegal) => self.s9(&header, 7).await,
        }
    }

    /// `S9Fx` naming the offending message in MHEAD.
    async fn s9(&self, header: &Header, function: u8) -> Result<(), HsmsError> {
        let mhead = Item::Binary(header.encode().to_vec());
        self.link.notify(9, function, Some(mhead)).await
    }

    fn identity(&self) -> Item {
        let spec = &self.tool.spec;
        Item::List(vec![Item::ascii(&spec.model), Item::ascii(&spec.software)])
    }

    /// `S1F3` → `S1F4`: the latest values; an unknown SVID gets an empty item.
    fn status(&self, body: Option<&Item>) -> Result<Item, Illegal> {
        let requested = body.and_then(Item::as_list).ok_or(Illegal)?;
        let snapshot = self.tool.snapshots.borrow().clone();
        let svs = &self.tool.spec.status_variables;
        if requested.is_empty() {
            return Ok(Item::List(snapshot.values.clone()));
        }
        let values = requested
            .iter()
            .map(|svid| {
                id(svid)
                    .and_then(|svid| svs.iter().position(|s| u64::from(s.svid) == svid))
                    .map_or_else(Item::empty_list, |k| snapshot.values[k].clone())
            })
            .collect();
        Ok(Item::List(values))
    }

    /// `S1F11` → `S1F12`: `L[L[SVID, SVNAME, UNITS]]`.
    fn namelist(&self, body: Option<&Item>) -> Result<Item, Illegal> {
        let requested = body.and_then(Item::as_list).ok_or(Illegal)?;
        let svs = &self.tool.spec.status_variables;
        let entry = |svid: u32, name: &str, unit: &str| {
            Item::List(vec![Item::u4(svid), Item::ascii(name), Item::ascii(unit)])
        };
        let entries = if requested.is_empty() {
            svs.iter().map(|s| entry(s.svid, &s.channel, &s.unit)).collect()
        } else {
            requested
                .iter()
                .map(|item| {
                    let svid = id(item).and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
                    match svs.iter().find(|s| s.svid == svid) {
                        Some(s) => entry(s.svid, &s.channel, &s.unit),
                        None => entry(svid, "", ""),
                    }
                })
                .collect()
        };
        Ok(Item::List(entries))
    }

    /// `S2F23` → `S2F24` TIAACK; starts, replaces or (TOTSMP 0) stops a trace.
    async fn trace(&mut self, body: Option<&Item>) -> Result<Item, Illegal> {
        let Some([trid, dsper, total, group, svids]) =
            body.and_then(Item::as_list).and_then(|l| l.first_chunk::<5>())
        else {
            return Err(Illegal);
        };
        let trid = id(trid).ok_or(Illegal)?;
        let total = id(total).ok_or(Illegal)?;
        let group = id(group).ok_or(Illegal)?;
        let svids = svids.as_list().ok_or(Illegal)?;
        let tiaack = |code: u8| Ok(Item::binary(code));
        if total == 0 {
            self.active_traces.remove(&trid);
            let _ = self.traces.send(TraceCommand::Stop(trid)).await;
            return tiaack(0);
        }
        let Some(period) = dsper.as_text().as_deref().and_then(clock::parse_dsper) else {
            return tiaack(3);
        };
        let spec = &self.tool.spec;
        let columns: Option<Vec<usize>> = svids
            .iter()
            .map(|svid| {
                let svid = id(svid)?;
                spec.status_variables.iter().position(|s| u64::from(s.svid) == svid)
            })
            .collect();
        if svids.len() > MAX_TRACE_SVIDS {
            return tiaack(1);
        }
        let Some(columns) = columns.filter(|c| !c.is_empty()) else { return tiaack(4) };
        if group == 0 || group > MAX_GROUP {
            return tiaack(5);
        }
        if !self.active_traces.contains(&trid) && self.active_traces.len() >= MAX_TRACES {
            return tiaack(2);
        }
        self.active_traces.insert(trid);
        let setup = TraceSetup { trid, period, total, group, columns };
        let _ = self.traces.send(TraceCommand::Start(setup)).await;
        tiaack(0)
    }

    /// `S2F33` → `S2F34` DRACK: define reports; an empty list deletes all, an empty VID list
    /// deletes one report (and its links).
    fn define_reports(&mut self, body: Option<&Item>) -> Result<Item, Illegal> {
        let Some([_dataid, reports]) = body.and_then(Item::as_list).and_then(|l| l.first_chunk())
        else {
            return Err(Illegal);
        };
        let mut definitions = Vec::new();
        for report in reports.as_list().ok_or(Illegal)? {
            let Some([rptid, vids]) = report.as_list().and_then(|l| l.first_chunk()) else {
                return Err(Illegal);
            };
            let rptid = id(rptid).ok_or(Illegal)?;
            let vids: Option<Vec<u64>> = vids.as_list().ok_or(Illegal)?.iter().map(id).collect();
            definitions.push((rptid, vids.ok_or(Illegal)?));
        }
        let drack = |code: u8| Ok(Item::binary(code));
        let Ok(mut gem) = self.gem.lock() else { return drack(1) };
        if definitions.is_empty() {
            gem.reports.clear();
            gem.links.clear();
            return drack(0);
        }
        // All or nothing (E5): check every definition before changing any.
        for (rptid, vids) in &definitions {
            if !vids.is_empty() && gem.reports.contains_key(rptid) {
                return drack(3);
            }
            if !vids.iter().all(|&vid| self.known_variable(vid)) {
                return drack(4);
            }
        }
        for (rptid, vids) in definitions {
            if vids.is_empty() {
                gem.reports.remove(&rptid);
                for linked in gem.links.values_mut() {
                    linked.retain(|&r| r != rptid);
                }
            } else {
                gem.reports.insert(rptid, vids);
            }
        }
        drack(0)
    }

    fn known_variable(&self, vid: u64) -> bool {
        let spec = &self.tool.spec;
        spec.data_variables.iter().any(|d| u64::from(d.vid) == vid)
            || spec.status_variables.iter().any(|s| u64::from(s.svid) == vid)
    }

    /// `S2F35` → `S2F36` LRACK: link events to reports; an empty RPTID list unlinks.
    fn link_events(&mut self, body: Option<&Item>) -> Result<Item, Illegal> {
        let Some([_dataid, links]) = body.and_then(Item::as_list).and_then(|l| l.first_chunk())
        else {
            return Err(Illegal);
        };
        let mut requested = Vec::new();
        for link in links.as_list().ok_or(Illegal)? {
            let Some([ceid, rptids]) = link.as_list().and_then(|l| l.first_chunk()) else {
                return Err(Illegal);
            };
            let ceid = id(ceid).ok_or(Illegal)?;
            let rptids: Option<Vec<u64>> =
                rptids.as_list().ok_or(Illegal)?.iter().map(id).collect();
            requested.push((ceid, rptids.ok_or(Illegal)?));
        }
        let lrack = |code: u8| Ok(Item::binary(code));
        let Ok(mut gem) = self.gem.lock() else { return lrack(1) };
        for (ceid, rptids) in &requested {
            if !self.tool.spec.events.iter().any(|e| u64::from(e.ceid) == *ceid) {
                return lrack(4);
            }
            if !rptids.iter().all(|r| gem.reports.contains_key(r)) {
                return lrack(5);
            }
            if !rptids.is_empty() && gem.links.get(ceid).is_some_and(|l| !l.is_empty()) {
                return lrack(3);
            }
        }
        for (ceid, rptids) in requested {
            gem.links.insert(ceid, rptids);
        }
        lrack(0)
    }

    /// `S2F37` → `S2F38` ERACK: enable or disable events; an empty list means all.
    fn enable_events(&mut self, body: Option<&Item>) -> Result<Item, Illegal> {
        let Some([ceed, ceids]) = body.and_then(Item::as_list).and_then(|l| l.first_chunk()) else {
            return Err(Illegal);
        };
        let enable = match ceed {
            Item::Boolean(v) if v.len() == 1 => v[0],
            _ => return Err(Illegal),
        };
        let ceids: Option<Vec<u64>> = ceids.as_list().ok_or(Illegal)?.iter().map(id).collect();
        let mut ceids = ceids.ok_or(Illegal)?;
        let events = &self.tool.spec.events;
        if ceids.is_empty() {
            ceids = events.iter().map(|e| u64::from(e.ceid)).collect();
        }
        let erack = |code: u8| Ok(Item::binary(code));
        if !ceids.iter().all(|c| events.iter().any(|e| u64::from(e.ceid) == *c)) {
            return erack(1);
        }
        let Ok(mut gem) = self.gem.lock() else { return erack(1) };
        for ceid in ceids {
            if enable {
                gem.enabled.insert(ceid);
            } else {
                gem.enabled.remove(&ceid);
            }
        }
        erack(0)
    }
}
