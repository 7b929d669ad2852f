//! One HSMS connection (SEMI E37) as a task that owns the socket: the select procedure, then
//! data transactions paired by system bytes under T3, linktest under T6, T8 between the bytes
//! of a message, and the answers to the peer's control messages.
//!
//! [`Link`] is the cloneable handle the GEM layer uses; primary messages from the equipment
//! arrive on the receiver [`establish`] returns. The task ends, with the reason, when the peer
//! separates or deselects, the socket fails, a control transaction or T8 times out, or
//! [`Link::separate`] is called; it never panics on what the peer sends.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::HsmsError;
use super::frame::{FrameError, FrameReader, Incoming};
use super::header::{Header, RejectReason, SType, SelectStatus};
use super::item::Item;
use super::message::Message;
use super::timers::{Timer, Timers};

/// Which side opens the select procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectMode {
    /// The host connects to the equipment and sends `Select.req` (the usual set-up: the tool
    /// listens).
    Active,
    /// The host listens; the equipment connects and sends `Select.req`.
    Passive,
}

/// Settings of one connection.
#[derive(Debug, Clone)]
pub(crate) struct LinkSettings {
    pub(crate) address: Arc<str>,
    pub(crate) device_id: u16,
    pub(crate) timers: Timers,
    pub(crate) max_message_bytes: u32,
    /// This end is the equipment: a primary for another device id is answered `S9F1` (E5:
    /// only equipment sends stream 9); a host answers one with the W-bit `SxF0`.
    pub(crate) equipment: bool,
}

/// Counters of protocol trouble that did not end the connection.
#[derive(Debug, Default)]
pub(crate) struct LinkCounters {
    /// Data messages whose body did not decode, or that were too large (skipped).
    pub(crate) malformed: AtomicU64,
    /// Messages answered with `Reject.req`, `SxF0`, or dropped as unexpected replies.
    pub(crate) refused: AtomicU64,
}

/// Requests from [`Link`] to the connection task.
enum Command {
    /// Send with the W-bit and hand the reply back.
    Request { message: Message, reply: oneshot::Sender<Result<Message, HsmsError>> },
    /// Send as is (replies, messages without W-bit).
    Send { message: Message, done: oneshot::Sender<Result<(), HsmsError>> },
    /// Send a primary message without W-bit under fresh system bytes (the equipment's `S9Fx`).
    Notify { message: Message, done: oneshot::Sender<Result<(), HsmsError>> },
    /// Send `Separate.req` and close.
    Separate,
}

/// Handle of a selected connection.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    commands: mpsc::Sender<Command>,
    device_id: u16,
}

impl Link {
    /// Sends `SxFy W` and waits for the reply (at most T3, enforced by the connection task).
    pub(crate) async fn request(
        &self,
        stream: u8,
        function: u8,
        item: Option<Item>,
    ) -> Result<Message, HsmsError> {
        let message = Message::data(self.device_id, stream, function, true, 0, item);
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Request { message, reply: tx })
            .await
            .map_err(|_| HsmsError::Stopped)?;
        rx.await.map_err(|_| HsmsError::Stopped)?
    }

    /// Sends the reply `SxFy` to `primary` (same stream and system bytes).
    pub(crate) async fn reply(
        &self,
        primary: &Header,
        function: u8,
        item: Option<Item>,
    ) -> Result<(), HsmsError> {
        let message =
            Message::data(self.device_id, primary.stream(), function, false, primary.system, item);
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Send { message, done: tx })
            .await
            .map_err(|_| HsmsError::Stopped)?;
        rx.await.map_err(|_| HsmsError::Stopped)?
    }

    /// Sends the primary `SxFy` without W-bit (no reply comes), under fresh system bytes.
    pub(crate) async fn notify(
        &self,
        stream: u8,
        function: u8,
        item: Option<Item>,
    ) -> Result<(), HsmsError> {
        let message = Message::data(self.device_id, stream, function, false, 0, item);
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Notify { message, done: tx })
            .await
            .map_err(|_| HsmsError::Stopped)?;
        rx.await.map_err(|_| HsmsError::Stopped)?
    }

    /// Sends `Separate.req` and closes the connection (no reply is expected).
    pub(crate) async fn separate(&self) {
        let _ = self.commands.send(Command::Separate).await;
    }
}

/// A transaction waiting for its answer.
enum Pending {
    Data { name: String, deadline: Instant, reply: oneshot::Sender<Result<Message, HsmsError>> },
    Linktest { deadline: Instant },
}

impl Pending {
    fn deadline(&self) -> Instant {
        match self {
            Pending::Data { deadline, .. } | Pending::Linktest { deadline } => *deadline,
        }
    }
}

/// The task that owns the socket.
struct Connection {
    settings: LinkSettings,
    reader: FrameReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    pending: HashMap<u32, Pending>,
    next_system: u32,
    primaries: mpsc::Sender<Message>,
    /// A primary message that found `primaries` full. While it waits, the socket is not read
    /// (the peer is pushed back by TCP), but commands and timers are served: the consumer may
    /// be waiting for this task to write its reply to an earlier message.
    waiting: Option<Message>,
    counters: Arc<LinkCounters>,
}

/// Runs the select procedure on `stream` and spawns the connection task. Returns the handle,
/// the receiver of the equipment's primary messages (its capacity pushes back on the socket
/// when full), and the task, whose result says why the connection ended.
pub(crate) async fn establish(
    stream: TcpStream,
    mode: ConnectMode,
    settings: LinkSettings,
    counters: Arc<LinkCounters>,
) -> Result<(Link, mpsc::Receiver<Message>, JoinHandle<Result<(), HsmsError>>), HsmsError> {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let (primaries, primaries_rx) = mpsc::channel(64);
    let mut connection = Connection {
        reader: FrameReader::new(read, settings.max_message_bytes),
        writer: write,
        pending: HashMap::new(),
        // Start from a value that differs between connections so a late reply to an old
        // connection's request cannot match a new one.
        next_system: seed(),
        primaries,
        waiting: None,
        counters,
        settings,
    };
    connection.select(mode).await?;
    let (commands, commands_rx) = mpsc::channel(64);
    let device_id = connection.settings.device_id;
    let task = tokio::spawn(connection.run(commands_rx));
    Ok((Link { commands, device_id }, primaries_rx, task))
}

impl Connection {
    fn system(&mut self) -> u32 {
        self.next_system = self.next_system.wrapping_add(1);
        if self.next_system == 0 {
            self.next_system = 1;
        }
        self.next_system
    }

    fn address(&self) -> String {
        self.settings.address.to_string()
    }

    fn timeout(&self, timer: Timer, value: Duration, what: impl Into<String>) -> HsmsError {
        HsmsError::Timeout {
            address: self.address(),
            timer,
            millis: value.as_millis(),
            what: what.into(),
        }
    }

    async fn write(&mut self, message: &Message) -> Result<(), HsmsError> {
        let bytes = message.encode()?;
        let t6 = self.settings.timers.t6;
        match tokio::time::timeout(t6.max(Duration::from_secs(1)), self.writer.write_all(&bytes))
            .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                Err(HsmsError::Io { address: self.address(), reason: error.to_string() })
            }
            Err(_) => Err(self.timeout(Timer::T6, t6, "writing to a peer that does not read")),
        }
    }

    async fn control(&mut self, stype: SType, status: u8, system: u32) -> Result<(), HsmsError> {
        self.write(&Message::control(Header::control(stype, status, system))).await
    }

    async fn reject(&mut self, header: &Header, reason: RejectReason) -> Result<(), HsmsError> {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        self.write(&Message::control(Header::reject(header, reason))).await
    }

    fn frame_error(&self, error: FrameError) -> HsmsError {
        let address = self.address();
        match error {
            FrameError::Closed { mid_frame } => HsmsError::Closed {
                address,
                detail: if mid_frame { " in the middle of a message" } else { "" },
            },
            FrameError::TooShort(length) => HsmsError::Malformed {
                address,
                reason: format!("message length {length} is below the 10 header bytes"),
            },
            FrameError::Io(error) => HsmsError::Io { address, reason: error.to_string() },
        }
    }

    /// Reads one frame, failing on T8 (a message that stops mid-way) or at `deadline`.
    async fn read_until(
        &mut self,
        deadline: Instant,
        timer: Timer,
        what: &str,
    ) -> Result<Incoming, HsmsError> {
        let t8 = self.settings.timers.t8;
        loop {
            let t8_deadline = self.reader.last_read() + t8;
            let mid_frame = self.reader.mid_frame();
            let wake = if mid_frame { deadline.min(t8_deadline) } else { deadline };
            tokio::select! {
                frame = self.reader.next() => {
                    if let Some(incoming) = frame.map_err(|e| self.frame_error(e))? {
                        return Ok(incoming);
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    if mid_frame && Instant::now() >= t8_deadline {
                        return Err(self.timeout(Timer::T8, t8, "inside a message"));
                    }
                    if Instant::now() >= deadline {
                        let value = match timer {
                            Timer::T7 => self.settings.timers.t7,
                            _ => self.settings.timers.t6,
                        };
                        return Err(self.timeout(timer, value, what));
                    }
                }
            }
        }
    }

    /// The select procedure: active sends `Select.req` and waits T6 for `Select.rsp`; passive
    /// waits T7 for `Select.req`. Data messages before selection are rejected (reason 4).
    async fn select(&mut self, mode: ConnectMode) -> Result<(), HsmsError> {
        let timers = self.settings.timers;
        let (deadline, timer, what, system) = match mode {
            ConnectMode::Active => {
                let system = self.system();
                self.control(SType::SelectReq, 0, system).await?;
                (Instant::now() + timers.t6, Timer::T6, "waiting for Select.rsp", system)
            }
            ConnectMode::Passive => {
                (Instant::now() + timers.t7, Timer::T7, "waiting for Select.req", 0)
            }
        };
        loop {
            let header = match self.read_until(deadline, timer, what).await? {
                Incoming::Message(message) => message.header,
                Incoming::BadBody { header, .. } | Incoming::Oversize { header, .. } => header,
            };
            if header.ptype != 0 {
                self.reject(&header, RejectReason::PTypeNotSupported).await?;
                continue;
            }
            match header.stype() {
                Some(SType::SelectRsp)
                    if mode == ConnectMode::Active && header.system == system =>
                {
                    if header.byte3 == SelectStatus::Ok as u8 {
                        return Ok(());
                    }
                    return Err(HsmsError::SelectRefused {
                        address: self.address(),
                        status: header.byte3,
                    });
                }
                // A select from the peer (passive mode, or both sides at once): accept it.
                Some(SType::SelectReq) => {
                    self.control(SType::SelectRsp, SelectStatus::Ok as u8, header.system).await?;
                    return Ok(());
                }
                Some(SType::LinktestReq) => {
                    self.control(SType::LinktestRsp, 0, header.system).await?;
                }
                Some(SType::SeparateReq) => {
                    return Err(HsmsError::Separated { address: self.address() });
                }
                Some(SType::Data) => self.reject(&header, RejectReason::EntityNotSelected).await?,
                Some(SType::DeselectReq) => {
                    self.control(SType::DeselectRsp, 1, header.system).await?;
                }
                Some(SType::RejectReq)
                    if mode == ConnectMode::Active && header.system == system =>
                {
                    return Err(HsmsError::Rejected {
                        address: self.address(),
                        request: "Select.req".into(),
                        reason: header.byte3,
                    });
                }
                // Any other Reject.req answers nothing of ours: E37 never answers a Reject.req
                // (two hosts answering each other's would bounce them until a timer ends it).
                Some(SType::RejectReq) => {}
                Some(_) => self.reject(&header, RejectReason::TransactionNotOpen).await?,
                None => self.reject(&header, RejectReason::STypeNotSupported).await?,
            }
        }
    }

    /// The selected state, until the connection ends.
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) -> Result<(), HsmsError> {
        let result = self.serve(&mut commands).await;
        let error = result.as_ref().err().cloned().unwrap_or(HsmsError::Stopped);
        for (_, pending) in self.pending.drain() {
            if let Pending::Data { reply, .. } = pending {
                let _ = reply.send(Err(error.clone()));
            }
        }
        let _ = self.writer.shutdown().await;
        result
    }

    async fn serve(&mut self, commands: &mut mpsc::Receiver<Command>) -> Result<(), HsmsError> {
        let timers = self.settings.timers;
        let far = Duration::from_secs(24 * 3600);
        let mut next_linktest = Instant::now() + timers.linktest.unwrap_or(far);
        loop {
            let transaction = self.pending.values().map(Pending::deadline).min();
            let reading = self.waiting.is_none();
            let t8 =
                (reading && self.reader.mid_frame()).then(|| self.reader.last_read() + timers.t8);
            // While not reading, the peer's replies cannot arrive: no linktest is sent and no
            // reply timer (T3, T6) runs out; they resume with reading.
            let transaction = transaction.filter(|_| reading);
            let linktest = timers.linktest.filter(|_| reading).map(|_| next_linktest);
            let wake = [transaction, t8, linktest]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| Instant::now() + far);
            tokio::select! {
                frame = self.reader.next(), if reading => {
                    if let Some(incoming) = frame.map_err(|e| self.frame_error(e))? {
                        self.incoming(incoming).await?;
                    }
                }
                permit = self.primaries.clone().reserve_owned(), if !reading => {
                    let permit = permit.map_err(|_| HsmsError::Stopped)?;
                    if let Some(message) = self.waiting.take() {
                        permit.send(message);
                    }
                    // The peer was not silent while this end held off: its timers start over.
                    self.reader.restart_t8();
                    self.restart_reply_timers();
                    next_linktest = next_linktest.max(Instant::now());
                }
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await?,
                    None => {
                        let system = self.system();
                        self.control(SType::SeparateReq, 0, system).await?;
                        return Ok(());
                    }
                },
                () = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if t8.is_some_and(|t| now >= t) {
                        return Err(self.timeout(Timer::T8, timers.t8, "inside a message"));
                    }
                    if !reading {
                        continue;
                    }
                    self.expire(now)?;
                    if let Some(interval) = timers.linktest
                        && now >= next_linktest
                    {
                        next_linktest = now + interval;
                        let busy = self.pending.values().any(|p| matches!(p, Pending::Linktest { .. }));
                        if !busy {
                            let system = self.system();
                            self.pending.insert(system, Pending::Linktest { deadline: now + timers.t6 });
                            self.control(SType::LinktestReq, 0, system).await?;
                        }
                    }
                }
            }
        }
    }

    /// After holding off reading: replies that could not be read meanwhile get their full
    /// T3/T6 again from now.
    fn restart_reply_timers(&mut self) {
        let (now, timers) = (Instant::now(), self.settings.timers);
        for pending in self.pending.values_mut() {
            match pending {
                Pending::Data { deadline, .. } => *deadline = (*deadline).max(now + timers.t3),
                Pending::Linktest { deadline } => *deadline = (*deadline).max(now + timers.t6),
            }
        }
    }

    /// Fails data transactions past T3; a linktest past T6 ends the connection.
    fn expire(&mut self, now: Instant) -> Result<(), HsmsError> {
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.deadline() <= now)
            .map(|(system, _)| *system)
            .collect();
        for system in expired {
            match self.pending.remove(&system) {
                Some(Pending::Data { name, reply, .. }) => {
                    let what = format!("waiting for the reply to {name}");
                    let _ = reply.send(Err(self.timeout(Timer::T3, self.settings.timers.t3, what)));
                }
                Some(Pending::Linktest { .. }) => {
                    let t6 = self.settings.timers.t6;
                    return Err(self.timeout(Timer::T6, t6, "waiting for Linktest.rsp"));
                }
                None => {}
            }
        }
        Ok(())
    }

    async fn command(&mut self, command: Command) -> Result<(), HsmsError> {
        match command {
            Command::Request { mut message, reply } => {
                let system = self.system();
                message.header.system = system;
                let name = message.header.name();
                match message.encode() {
                    Err(error) => {
                        let _ = reply.send(Err(error.into()));
                        Ok(())
                    }
                    Ok(_) => {
                        let deadline = Instant::now() + self.settings.timers.t3;
                        self.pending.insert(system, Pending::Data { name, deadline, reply });
                        self.write(&message).await
                    }
                }
            }
            Command::Notify { mut message, done } => {
                message.header.system = self.system();
                self.send(message, done).await
            }
            Command::Send { message, done } => self.send(message, done).await,
            Command::Separate => {
                let system = self.system();
                self.control(SType::SeparateReq, 0, system).await?;
                Err(HsmsError::Stopped)
            }
        }
    }

    /// Writes `message` and tells `done`; only a failed write (not an encoding error, which
    /// concerns this message alone) ends the connection.
    async fn send(
        &mut self,
        message: Message,
        done: oneshot::Sender<Result<(), HsmsError>>,
    ) -> Result<(), HsmsError> {
        let result = match message.encode() {
            Err(error) => Err(error.into()),
            Ok(_) => self.write(&message).await,
        };
        let failed = result.clone().err();
        let _ = done.send(result);
        match failed {
            Some(HsmsError::Encode(_)) | None => Ok(()),
            Some(error) => Err(error),
        }
    }

    async fn incoming(&mut self, incoming: Incoming) -> Result<(), HsmsError> {
        let (header, message, problem) = match incoming {
            Incoming::Message(message) => (message.header, Some(message), None),
            Incoming::BadBody { header, error } => (header, None, Some(error.to_string())),
            Incoming::Oversize { header, length } => {
                let limit = self.settings.max_message_bytes;
                (
                    header,
                    None,
                    Some(format!("message of {length} bytes exceeds the limit of {limit}")),
                )
            }
        };
        if header.ptype != 0 {
            return self.reject(&header, RejectReason::PTypeNotSupported).await;
        }
        let Some(stype) = header.stype() else {
            return self.reject(&header, RejectReason::STypeNotSupported).await;
        };
        match stype {
            SType::Data => self.data(header, message, problem).await,
            SType::LinktestReq => self.control(SType::LinktestRsp, 0, header.system).await,
            SType::LinktestRsp | SType::SelectRsp | SType::DeselectRsp => {
                match self.pending.get(&header.system) {
                    Some(Pending::Linktest { .. }) if stype == SType::LinktestRsp => {
                        self.pending.remove(&header.system);
                        Ok(())
                    }
                    _ => self.reject(&header, RejectReason::TransactionNotOpen).await,
                }
            }
            SType::SelectReq => {
                self.control(SType::SelectRsp, SelectStatus::AlreadyActive as u8, header.system)
                    .await
            }
            SType::DeselectReq => {
                self.control(SType::DeselectRsp, 0, header.system).await?;
                Err(HsmsError::Deselected { address: self.address() })
            }
            SType::SeparateReq => Err(HsmsError::Separated { address: self.address() }),
            SType::RejectReq => {
                match self.pending.remove(&header.system) {
                    Some(Pending::Data { name, reply, .. }) => {
                        let _ = reply.send(Err(HsmsError::Rejected {
                            address: self.address(),
                            request: name,
                            reason: header.byte3,
                        }));
                    }
                    Some(Pending::Linktest { .. }) => {
                        return Err(HsmsError::Rejected {
                            address: self.address(),
                            request: "Linktest.req".into(),
                            reason: header.byte3,
                        });
                    }
                    None => {}
                }
                Ok(())
            }
        }
    }

    async fn data(
        &mut self,
        header: Header,
        message: Option<Message>,
        problem: Option<String>,
    ) -> Result<(), HsmsError> {
        let primary = header.function() % 2 == 1;
        if let Some(reason) = &problem {
            self.counters.malformed.fetch_add(1, Ordering::Relaxed);
            if !primary {
                if let Some(Pending::Data { name, reply, .. }) = self.pending.remove(&header.system)
                {
                    let _ = reply.send(Err(HsmsError::BadReply {
                        address: self.address(),
                        request: name,
                        reason: reason.clone(),
                    }));
                }
                return Ok(());
            }
            eprintln!(
                "faultline: hsms: {}: dropped {} from the equipment: {reason}",
                self.settings.address,
                header.name()
            );
            return self.abort(&header).await;
        }
        let Some(message) = message else { return Ok(()) };
        // S9Fx: the equipment could not handle one of our messages; MHEAD names it. Checked
        // before the device id, since S9F1 is the answer to a device id it does not know.
        if header.stream() == 9 && primary && !self.settings.equipment {
            let request = stuck_transaction(&message).unwrap_or(header.system);
            if let Some(Pending::Data { name, reply, .. }) = self.pending.remove(&request) {
                let _ = reply.send(Err(HsmsError::NotSupported {
                    address: self.address(),
                    request: name,
                    reply: s9_name(header.function()),
                }));
                return Ok(());
            }
        }
        if header.session_id != self.settings.device_id {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            if primary && self.settings.equipment {
                let mhead = Item::Binary(header.encode().to_vec());
                let system = self.system();
                let s9f1 = Message::data(self.settings.device_id, 9, 1, false, system, Some(mhead));
                return self.write(&s9f1).await;
            }
            return if primary { self.abort(&header).await } else { Ok(()) };
        }
        if !primary {
            match self.pending.remove(&header.system) {
                Some(Pending::Data { reply, .. }) => {
                    let _ = reply.send(Ok(message));
                }
                Some(other) => {
                    self.pending.insert(header.system, other);
                }
                None => {
                    self.counters.refused.fetch_add(1, Ordering::Relaxed);
                }
            }
            return Ok(());
        }
        match self.primaries.try_send(message) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(message)) => {
                self.waiting = Some(message);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(HsmsError::Stopped),
        }
    }

    /// Answers a primary message that cannot be handled with `SxF0` when a reply is expected.
    async fn abort(&mut self, header: &Header) -> Result<(), HsmsError> {
        if !header.wbit() {
            return Ok(());
        }
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        let reply =
            Message::data(self.settings.device_id, header.stream(), 0, false, header.system, None);
        self.write(&reply).await
    }
}

/// The system bytes inside the MHEAD (`B[10]`, the offending header) of an S9 message.
fn stuck_transaction(message: &Message) -> Option<u32> {
    match &message.item {
        Some(Item::Binary(mhead)) if mhead.len() == Header::LEN => {
            Some(u32::from_be_bytes([mhead[6], mhead[7], mhead[8], mhead[9]]))
        }
        _ => None,
    }
}

/// Name and meaning of an S9 error function.
pub(crate) fn s9_name(function: u8) -> String {
    let meaning = match function {
        1 => "unrecognized device id",
        3 => "unrecognized stream",
        5 => "unrecognized function",
        7 => "illegal data",
        9 => "transaction timer timeout",
        11 => "data too long",
        13 => "conversation timeout",
        _ => "error",
    };
    format!("S9F{function} ({meaning})")
}

/// A start for the system-byte counter that differs between connections and processes.
fn seed() -> u32 {
    static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = CONNECTIONS.fetch_add(1, Ordering::Relaxed) as u32;
    (nanos ^ n.wrapping_mul(0x9E37_79B9)) & 0x7FFF_FFFF
}
