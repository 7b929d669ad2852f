//! The GEM host messages (SEMI E30, bodies per E5) that data collection needs: establish
//! communication, request online, status variables, event reports (define, link, enable,
//! receive) and trace data (initialise, receive). Requests go through a [`Link`]; received
//! bodies are parsed by [`TraceData::parse`] and [`EventReport::parse`], which never panic.

use super::connection::{Link, s9_name};
use super::error::HsmsError;
use super::item::Item;
use super::message::Message;

/// Host-side GEM requests on one selected connection.
pub(crate) struct GemHost<'a> {
    pub(crate) link: &'a Link,
    pub(crate) address: &'a str,
}

/// The equipment's model and software revision from `S1F14`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EquipmentId {
    /// MDLN.
    pub model: String,
    /// SOFTREV.
    pub software: String,
}

impl GemHost<'_> {
    /// Sends `SxFy W` and checks that the answer is `SxF(y+1)`.
    async fn transact(
        &self,
        stream: u8,
        function: u8,
        item: Option<Item>,
    ) -> Result<Option<Item>, HsmsError> {
        let reply = self.link.request(stream, function, item).await?;
        let (s, f) = reply.stream_function();
        if s == stream && f == function + 1 {
            return Ok(reply.item);
        }
        let answer = if f == 0 { format!("S{s}F0 (transaction aborted)") } else { name(&reply) };
        Err(HsmsError::NotSupported {
            address: self.address.into(),
            request: format!("S{stream}F{function}"),
            reply: answer,
        })
    }

    fn bad(&self, request: &str, reason: impl Into<String>) -> HsmsError {
        HsmsError::BadReply {
            address: self.address.into(),
            request: request.into(),
            reason: reason.into(),
        }
    }

    /// Checks a one-byte acknowledge code (`B` or `U1`); 0 is success.
    fn ack(
        &self,
        request: &str,
        ack: &'static str,
        item: Option<&Item>,
        meaning: fn(u8) -> &'static str,
    ) -> Result<u8, HsmsError> {
        let code = item
            .and_then(Item::as_u64)
            .and_then(|c| u8::try_from(c).ok())
            .ok_or_else(|| self.bad(request, format!("{ack} is not a one-byte code")))?;
        if code == 0 {
            return Ok(0);
        }
        Err(HsmsError::Refused {
            address: self.address.into(),
            request: request.into(),
            ack,
            code,
            meaning: meaning(code),
        })
    }

    /// `S1F13` establish communication (the host sends an empty list); `S1F14` carries
    /// COMMACK and the equipment's MDLN and SOFTREV.
    pub(crate) async fn establish_communication(&self) -> Result<EquipmentId, HsmsError> {
        const REQUEST: &str = "S1F13 establish communication";
        let reply = self.transact(1, 13, Some(Item::empty_list())).await?;
        let Some([commack, id]) =
            reply.as_ref().and_then(Item::as_list).and_then(|l| l.first_chunk::<2>())
        else {
            return Err(self.bad(REQUEST, "S1F14 is not L[COMMACK, L[MDLN, SOFTREV]]"));
        };
        self.ack(REQUEST, "COMMACK", Some(commack), |c| match c {
            1 => "denied, try again",
            _ => "unknown code",
        })?;
        let text = |i: usize| {
            id.as_list().and_then(|l| l.get(i)).and_then(Item::as_text).unwrap_or_default()
        };
        Ok(EquipmentId { model: text(0), software: text(1) })
    }

    /// `S1F17` request online; ONLACK 2 (already online) counts as success.
    pub(crate) async fn request_online(&self) -> Result<(), HsmsError> {
        const REQUEST: &str = "S1F17 request online";
        let reply = self.transact(1, 17, None).await?;
        let onlack = reply.as_ref().and_then(Item::as_u64);
        if onlack == Some(2) {
            return Ok(());
        }
        self.ack(REQUEST, "ONLACK", reply.as_ref(), |c| match c {
            1 => "online not allowed; switch the tool to online remote",
            _ => "unknown code",
        })?;
        Ok(())
    }

    /// `S1F3` selected equipment status: the values of `svids`, in order.
    pub(crate) async fn read_status(&self, svids: &[u32]) -> Result<Vec<Item>, HsmsError> {
        let request = Item::List(svids.iter().map(|&id| Item::u4(id)).collect());
        let reply = self.transact(1, 3, Some(request)).await?;
        match reply {
            Some(Item::List(values)) if values.len() == svids.len() => Ok(values),
            _ => Err(self.bad("S1F3", format!("S1F4 does not hold {} values", svids.len()))),
        }
    }

    /// `S2F33` define report `rptid` with `vids`; an empty `vids` deletes the report.
    pub(crate) async fn define_report(&self, rptid: u32, vids: &[u32]) -> Result<(), HsmsError> {
        let vids = Item::List(vids.iter().map(|&v| Item::u4(v)).collect());
        let body = Item::List(vec![
            Item::u4(0),
            Item::List(vec![Item::List(vec![Item::u4(rptid), vids])]),
        ]);
        let reply = self.transact(2, 33, Some(body)).await?;
        self.ack("S2F33 define report", "DRACK", reply.as_ref(), |c| match c {
            1 => "insufficient space",
            2 => "invalid format",
            3 => "report id already defined",
            4 => "a variable id does not exist",
            _ => "unknown code",
        })
        .map(drop)
    }

    /// `S2F35` link event `ceid` to the reports `rptids`.
    pub(crate) async fn link_event(&self, ceid: u32, rptids: &[u32]) -> Result<(), HsmsError> {
        let rptids = Item::List(rptids.iter().map(|&r| Item::u4(r)).collect());
        let body = Item::List(vec![
            Item::u4(0),
            Item::List(vec![Item::List(vec![Item::u4(ceid), rptids])]),
        ]);
        let reply = self.transact(2, 35, Some(body)).await?;
        self.ack("S2F35 link event report", "LRACK", reply.as_ref(), |c| match c {
            1 => "insufficient space",
            2 => "invalid format",
            3 => "event already has reports linked",
            4 => "event id does not exist",
            5 => "report id does not exist",
            _ => "unknown code",
        })
        .map(drop)
    }

    /// `S2F37` enable (or disable) the events `ceids`.
    pub(crate) async fn enable_events(&self, enable: bool, ceids: &[u32]) -> Result<(), HsmsError> {
        let body = Item::List(vec![
            Item::Boolean(vec![enable]),
            Item::List(ceids.iter().map(|&c| Item::u4(c)).collect()),
        ]);
        let reply = self.transact(2, 37, Some(body)).await?;
        self.ack("S2F37 enable events", "ERACK", reply.as_ref(), |c| match c {
            1 => "an event id does not exist",
            _ => "unknown code",
        })
        .map(drop)
    }

    /// `S2F23` trace initialise; `total` 0 stops the trace `trid`.
    pub(crate) async fn trace_init(&self, trace: &TraceRequest<'_>) -> Result<(), HsmsError> {
        let body = Item::List(vec![
            Item::u4(trace.trid),
            Item::ascii(trace.dsper),
            Item::u4(trace.total),
            Item::u4(trace.group),
            Item::List(trace.svids.iter().map(|&s| Item::u4(s)).collect()),
        ]);
        let reply = self.transact(2, 23, Some(body)).await?;
        self.ack("S2F23 trace initialise", "TIAACK", reply.as_ref(), |c| match c {
            1 => "too many status variables",
            2 => "no more traces allowed",
            3 => "invalid period",
            4 => "unknown status variable id",
            5 => "invalid report group size",
            _ => "unknown code",
        })
        .map(drop)
    }
}

/// The parameters of `S2F23`.
#[derive(Debug, Clone)]
pub(crate) struct TraceRequest<'a> {
    pub(crate) trid: u32,
    pub(crate) dsper: &'a str,
    pub(crate) total: u32,
    pub(crate) group: u32,
    pub(crate) svids: &'a [u32],
}

/// The name of a data message, with the meaning of S9 errors.
fn name(message: &Message) -> String {
    let (s, f) = message.stream_function();
    if s == 9 { s9_name(f) } else { format!("S{s}F{f}") }
}

/// The body of `S6F1` trace data: `L[TRID, SMPLN, STIME, L[SV …]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceData {
    /// Trace id.
    pub trid: u64,
    /// Sample number (of the last sample in the report).
    pub smpln: u64,
    /// Sample time, as sent.
    pub stime: String,
    /// The values: REPGSZ groups of one value per traced status variable.
    pub values: Vec<Item>,
}

impl TraceData {
    /// Parses an `S6F1` body; the error says what is missing.
    pub fn parse(item: Option<&Item>) -> Result<TraceData, String> {
        let Some([trid, smpln, stime, values]) =
            item.and_then(Item::as_list).and_then(|l| l.first_chunk::<4>())
        else {
            return Err("S6F1 is not L[TRID, SMPLN, STIME, L[SV …]]".into());
        };
        let trid = id(trid).ok_or("S6F1 TRID is not an integer")?;
        let smpln = smpln.as_u64().ok_or("S6F1 SMPLN is not an unsigned integer")?;
        let stime = stime.as_text().ok_or("S6F1 STIME is not text")?;
        let values = values.as_list().ok_or("S6F1 SV is not a list")?.to_vec();
        Ok(TraceData { trid, smpln, stime, values })
    }
}

/// The body of `S6F11` event report send: `L[DATAID, CEID, L[L[RPTID, L[V …]] …]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventReport {
    /// Collection event id.
    pub ceid: u64,
    /// `(RPTID, values)` of each report.
    pub reports: Vec<(u64, Vec<Item>)>,
}

impl EventReport {
    /// Parses an `S6F11` body; the error says what is missing.
    pub fn parse(item: Option<&Item>) -> Result<EventReport, String> {
        let Some([_dataid, ceid, reports]) =
            item.and_then(Item::as_list).and_then(|l| l.first_chunk::<3>())
        else {
            return Err("S6F11 is not L[DATAID, CEID, L[reports]]".into());
        };
        let ceid = id(ceid).ok_or("S6F11 CEID is not an integer")?;
        let mut parsed = Vec::new();
        for report in reports.as_list().ok_or("S6F11 reports are not a list")? {
            let Some([rptid, values]) = report.as_list().and_then(|l| l.first_chunk::<2>()) else {
                return Err("S6F11 report is not L[RPTID, L[V …]]".into());
            };
            let rptid = id(rptid).ok_or("S6F11 RPTID is not an integer")?;
            let values = values.as_list().ok_or("S6F11 report values are not a list")?;
            parsed.push((rptid, values.to_vec()));
        }
        Ok(EventReport { ceid, reports: parsed })
    }
}

/// An id item: an unsigned integer, or digits in text (E5 allows `A` ids).
pub(crate) fn id(item: &Item) -> Option<u64> {
    item.as_u64().or_else(|| item.as_text().and_then(|t| t.trim().parse().ok()))
}

/// A value as context text: text as is, numbers in their shortest form.
pub(crate) fn context_text(item: &Item) -> String {
    if let Some(text) = item.as_text() {
        return text.trim_end().to_owned();
    }
    if let Some(n) = item.as_u64() {
        return n.to_string();
    }
    match item.as_f64() {
        Some(x) => x.to_string(),
        None => item.to_string(),
    }
}
