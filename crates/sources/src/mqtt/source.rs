//! `MqttSource`: the connection's event-loop task, the messages it hands out and their
//! acknowledgements.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use faultline_types::{RejectReason, Sample};
use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, Outgoing, Packet, Publish, QoS,
    SubscribeReasonCode,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::config::MAX_PAYLOAD_BYTES;
use super::{MqttConfig, MqttError};
use crate::payload::{self, Rejected};

/// Capacity of the client library's request queue (acknowledgements, subscribe, disconnect).
/// The queue grows lazily, so the size costs nothing. When it is full the acknowledgement task
/// waits, which is harmless: no `max_inflight` slot waits with it (see [`AckHandle::ack`]).
const REQUEST_CAPACITY: usize = u16::MAX as usize + 64;

/// How long [`MqttSource::start`] waits for the connection and the subscription.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`MqttSource::stop`] waits for the DISCONNECT to go out before aborting the task.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// First and longest wait between reconnection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// One MQTT message, with the handle that acknowledges it.
#[derive(Debug)]
pub struct MqttMessage {
    /// The topic it was published to (`faultline/<site>/<asset>`).
    pub topic: String,
    /// The payload, as published.
    pub payload: Vec<u8>,
    /// Sends the PUBACK: call it once the sample is durable, or once its rejection is counted.
    pub ack: AckHandle,
    /// The size of a payload over [`MAX_PAYLOAD_BYTES`], which was dropped on arrival
    /// (`payload` is then empty and [`MqttMessage::decode`] rejects it).
    oversize: Option<usize>,
}

impl MqttMessage {
    /// Parses the topic and decodes the payload: [`payload::parse_topic`] then
    /// [`payload::decode_sample`] for its asset.
    pub fn decode(&self) -> Result<Sample, Rejected> {
        if let Some(size) = self.oversize {
            return Err(Rejected {
                reason: RejectReason::Malformed,
                detail: format!(
                    "payload of {size} bytes on {}: one sample may take at most \
                     {MAX_PAYLOAD_BYTES} bytes",
                    self.topic
                ),
            });
        }
        let topic = payload::parse_topic(&self.topic)?;
        payload::decode_sample(&topic.asset, &self.payload)
    }
}

/// Acknowledges one message to the broker. Dropping it without [`AckHandle::ack`] leaves the
/// message unacknowledged: the broker redelivers it after the next reconnection, and until then
/// it occupies one of the broker's in-flight slots for this client.
#[derive(Debug)]
pub struct AckHandle {
    pending: PendingAck,
    /// The source's acknowledgement task.
    acks: mpsc::UnboundedSender<AckCommand>,
    shared: Arc<Shared>,
    /// Frees one `max_inflight` slot when the handle goes.
    _slot: OwnedSemaphorePermit,
}

/// What the acknowledgement task does next, in queue order.
#[derive(Debug, Clone, Copy)]
enum AckCommand {
    /// Send one PUBACK.
    Ack(PendingAck),
    /// Send the DISCONNECT (after every PUBACK queued before it) and end.
    Disconnect,
}

/// What the acknowledgement task needs to send one PUBACK.
#[derive(Debug, Clone, Copy)]
struct PendingAck {
    /// Packet id; 0 for QoS 0 messages, which have nothing to acknowledge.
    pkid: u16,
    qos: QoS,
    /// The connection generation the message arrived on.
    generation: u64,
}

impl AckHandle {
    /// Queues the PUBACK and frees the message's `max_inflight` slot at once; the source's
    /// acknowledgement task sends queued PUBACKs in order. Call it only after the sample is
    /// durable (its journal record fsynced), or after its rejection is counted: an
    /// unacknowledged message is redelivered, again and again. Acknowledge in the order messages
    /// were received (MQTT 3.1.1 §4.6).
    ///
    /// Why it never waits: the client library's request queue is drained only while the
    /// event-loop task polls, and that task waits for a free slot before it hands out the next
    /// message. An acknowledgement that waited for room in that queue while holding its slot
    /// (or while the caller held other slots) closed a cycle — queue full, acknowledging waits,
    /// no slot frees, no polling, queue stays full — that stalled `faultline bench ingest` with
    /// `max_inflight` = 1024 in 6 of 6 runs. The library drains at most one request per round
    /// of its event loop and reads up to ten messages per round, so under a sustained burst the
    /// queue does fill. Here only the acknowledgement task waits, and it holds no slot.
    ///
    /// When the connection was re-established since the message arrived, nothing is sent (the
    /// packet id belongs to the old connection; the broker redelivers the message, and the
    /// frames stage drops the copy as a duplicate) and [`MqttStatus::stale_acks`] counts it.
    /// Fails only when the source has stopped.
    pub fn ack(self) -> Result<(), MqttError> {
        let AckHandle { pending, acks, shared, _slot: slot } = self;
        drop(slot);
        if shared.stopped.load(Ordering::Acquire) {
            return Err(MqttError::Closed);
        }
        if pending.qos == QoS::AtMostOnce {
            return Ok(());
        }
        acks.send(AckCommand::Ack(pending)).map_err(|_| MqttError::Closed)
    }
}

/// The acknowledgement task: sends queued PUBACKs in the order they were queued. A stop queues
/// the DISCONNECT behind them, so every message acknowledged before [`MqttSource::stop`] is
/// acknowledged to the broker too (and not redelivered to the next session).
async fn send_acks(
    client: AsyncClient,
    shared: Arc<Shared>,
    mut acks: mpsc::UnboundedReceiver<AckCommand>,
) {
    while let Some(command) = acks.recv().await {
        let pending = match command {
            AckCommand::Ack(pending) => pending,
            AckCommand::Disconnect => {
                // Fails only when the event loop is already gone: nothing left to disconnect.
                if client.disconnect().await.is_err() {
                    shared.connected.store(false, Ordering::Relaxed);
                }
                break;
            }
        };
        if pending.generation != shared.generation.load(Ordering::Acquire) {
            shared.stale_acks.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let mut publish = Publish::new(String::new(), pending.qos, Vec::new());
        publish.pkid = pending.pkid;
        if client.ack(&publish).await.is_err() {
            // The event loop is gone (the source stopped): the broker keeps the messages and
            // redelivers them to the next session.
            break;
        }
    }
}

/// Counters shared by the event-loop task, the acknowledgement handles and [`MqttStatus`].
#[derive(Debug, Default)]
struct Shared {
    connected: AtomicBool,
    /// Successful connections after the first.
    reconnects: AtomicU64,
    /// Bumped on every connection and every disconnection.
    generation: AtomicU64,
    stale_acks: AtomicU64,
    /// Set when the event-loop task has ended: acknowledgements can no longer be sent.
    stopped: AtomicBool,
}

/// A cloneable view of the source's state, for `/metrics` and health checks.
#[derive(Debug, Clone)]
pub struct MqttStatus {
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
    max_inflight: usize,
}

impl MqttStatus {
    /// True while a connection to the broker is up.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// How many times the source connected again after losing the connection.
    pub fn reconnects(&self) -> u64 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }

    /// Acknowledgements not sent because the connection changed since their message arrived
    /// (the broker redelivers those messages).
    pub fn stale_acks(&self) -> u64 {
        self.shared.stale_acks.load(Ordering::Relaxed)
    }

    /// Messages handed out (or waiting in the receiver) and not yet acknowledged or dropped.
    pub fn unacked(&self) -> usize {
        self.max_inflight.saturating_sub(self.slots.available_permits())
    }
}

/// A running MQTT source: one connection, one event-loop task.
#[derive(Debug)]
pub struct MqttSource {
    client: AsyncClient,
    status: MqttStatus,
    stop: watch::Sender<bool>,
    /// The acknowledgement task's queue, for the DISCONNECT.
    acks: mpsc::UnboundedSender<AckCommand>,
    task: Option<JoinHandle<()>>,
}

impl MqttSource {
    /// Connects (QoS 1 subscription to `topic_filter`, manual acknowledgements, the session
    /// `clean_session` asks for), spawns the event-loop task and returns the source with the
    /// receiver its messages arrive on. Fails when the configuration is invalid, the first
    /// connection fails or the broker refuses the subscription; later connection losses are
    /// retried with back-off.
    ///
    /// The receiver holds at most `max_inflight` messages; the event loop waits when that many
    /// are unacknowledged, so nothing is dropped. Must be called within a tokio runtime.
    pub async fn start(
        config: MqttConfig,
    ) -> Result<(MqttSource, mpsc::Receiver<MqttMessage>), MqttError> {
        Self::start_with(config, REQUEST_CAPACITY).await
    }

    /// [`MqttSource::start`] with the client library's request queue sized `request_capacity`
    /// (tests make it tiny, to show that a full queue does not stall the source).
    pub(crate) async fn start_with(
        config: MqttConfig,
        request_capacity: usize,
    ) -> Result<(MqttSource, mpsc::Receiver<MqttMessage>), MqttError> {
        config.validate()?;
        let (client, eventloop) = AsyncClient::new(config.options(), request_capacity);
        let max_inflight = usize::from(config.max_inflight);
        let (tx, rx) = mpsc::channel(max_inflight);
        let slots = Arc::new(Semaphore::new(max_inflight));
        let shared = Arc::new(Shared::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = oneshot::channel();
        let (acks_tx, acks_rx) = mpsc::unbounded_channel();
        tokio::spawn(send_acks(client.clone(), shared.clone(), acks_rx));
        let worker = Worker {
            eventloop,
            client: client.clone(),
            acks: acks_tx.clone(),
            tx,
            slots: slots.clone(),
            shared: shared.clone(),
            stop: stop_rx,
            filter: config.topic_filter.clone(),
            address: config.address(),
            ready: Some(ready_tx),
            subscribed: false,
            backoff: BACKOFF_MIN,
        };
        let task = tokio::spawn(worker.run());
        let status = MqttStatus { shared, slots, max_inflight };
        let source = MqttSource { client, status, stop: stop_tx, acks: acks_tx, task: Some(task) };
        let outcome = match tokio::time::timeout(START_TIMEOUT, ready_rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(MqttError::Closed),
            Err(_) => Err(MqttError::Timeout {
                address: config.address(),
                seconds: START_TIMEOUT.as_secs(),
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

    /// The source's counters; the handle stays valid after [`MqttSource::stop`].
    pub fn status(&self) -> MqttStatus {
        self.status.clone()
    }

    /// True while a connection to the broker is up.
    pub fn is_connected(&self) -> bool {
        self.status.is_connected()
    }

    /// How many times the source connected again after losing the connection.
    pub fn reconnects(&self) -> u64 {
        self.status.reconnects()
    }

    /// Disconnects politely and ends the event-loop task. With a persistent session the broker
    /// keeps every unacknowledged message and redelivers it on the next start with the same
    /// client id; acknowledging after this fails with [`MqttError::Closed`].
    pub async fn stop(mut self) {
        self.signal_stop();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }

    fn signal_stop(&self) {
        self.stop.send_replace(true);
        // The acknowledgement task sends the DISCONNECT after the PUBACKs queued before it; the
        // event loop sends it and then ends. When the task is gone, disconnect directly; when
        // the event loop is gone too, there is nothing left to disconnect.
        if self.acks.send(AckCommand::Disconnect).is_err() && self.client.try_disconnect().is_err()
        {
            self.status.shared.connected.store(false, Ordering::Relaxed);
        }
    }
}

impl Drop for MqttSource {
    /// Dropping without [`MqttSource::stop`] still disconnects, without waiting for it.
    fn drop(&mut self) {
        if self.task.is_some() {
            self.signal_stop();
        }
    }
}

/// The event-loop task's state.
struct Worker {
    eventloop: EventLoop,
    client: AsyncClient,
    /// Handed to every [`AckHandle`]: the acknowledgement task's queue.
    acks: mpsc::UnboundedSender<AckCommand>,
    tx: mpsc::Sender<MqttMessage>,
    slots: Arc<Semaphore>,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    filter: String,
    address: String,
    /// Answers [`MqttSource::start`]; `None` once answered.
    ready: Option<oneshot::Sender<Result<(), MqttError>>>,
    /// A SUBACK confirmed the subscription in the broker's current session.
    subscribed: bool,
    backoff: Duration,
}

impl Worker {
    async fn run(mut self) {
        loop {
            let step = match self.eventloop.poll().await {
                Ok(event) => self.on_event(event).await,
                Err(error) => self.on_error(error).await,
            };
            if step.is_break() {
                break;
            }
        }
        self.shared.connected.store(false, Ordering::Relaxed);
        self.shared.stopped.store(true, Ordering::Release);
    }

    async fn on_event(&mut self, event: Event) -> ControlFlow<()> {
        match event {
            Event::Incoming(Packet::ConnAck(connack)) => self.on_connected(connack.session_present),
            Event::Incoming(Packet::SubAck(suback)) => {
                let refused = suback.return_codes.contains(&SubscribeReasonCode::Failure);
                self.on_subscribed(!refused)
            }
            Event::Incoming(Packet::Publish(publish)) => self.forward(publish).await,
            Event::Outgoing(Outgoing::Disconnect) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }

    fn on_connected(&mut self, session_present: bool) -> ControlFlow<()> {
        let generation = self.shared.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if generation > 1 {
            self.shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        self.shared.connected.store(true, Ordering::Relaxed);
        self.backoff = BACKOFF_MIN;
        // A broker that lost the session lost the subscription with it. The first connection
        // of this source always subscribes, in case the filter changed since the session began.
        if !session_present {
            self.subscribed = false;
        }
        if !self.subscribed
            && self.client.try_subscribe(self.filter.clone(), QoS::AtLeastOnce).is_err()
        {
            self.answer_start(Err(MqttError::Closed));
            return ControlFlow::Break(());
        }
        // With the session present the broker redelivers its queue right away, before the
        // SUBACK; the receiver must exist by then, or a full queue would stall the start.
        if session_present {
            self.answer_start(Ok(()));
        }
        ControlFlow::Continue(())
    }

    fn on_subscribed(&mut self, granted: bool) -> ControlFlow<()> {
        self.subscribed = granted;
        if granted {
            self.answer_start(Ok(()));
            return ControlFlow::Continue(());
        }
        let refused = MqttError::SubscribeRefused {
            address: self.address.clone(),
            filter: self.filter.clone(),
        };
        if self.ready.is_some() {
            self.answer_start(Err(refused));
            return ControlFlow::Break(());
        }
        // Retried on the next reconnection (`subscribed` is false).
        eprintln!("faultline: mqtt: {refused}");
        ControlFlow::Continue(())
    }

    /// Hands one message to the receiver once a `max_inflight` slot is free.
    async fn forward(&mut self, publish: Publish) -> ControlFlow<()> {
        let slots = self.slots.clone();
        let slot = tokio::select! {
            slot = slots.acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return ControlFlow::Break(()),
            },
            () = stopped(&mut self.stop) => return ControlFlow::Break(()),
        };
        let size = publish.payload.len();
        let oversize = (size > MAX_PAYLOAD_BYTES).then_some(size);
        let message = MqttMessage {
            topic: publish.topic,
            payload: if oversize.is_some() { Vec::new() } else { Vec::from(publish.payload) },
            oversize,
            ack: AckHandle {
                pending: PendingAck {
                    pkid: publish.pkid,
                    qos: publish.qos,
                    generation: self.shared.generation.load(Ordering::Acquire),
                },
                acks: self.acks.clone(),
                shared: self.shared.clone(),
                _slot: slot,
            },
        };
        // The receiver's capacity equals the number of slots, so this never waits. It fails
        // only when the receiver is gone (shutdown): the message stays unacknowledged and the
        // broker keeps it.
        match self.tx.send(message).await {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

    async fn on_error(&mut self, error: ConnectionError) -> ControlFlow<()> {
        self.shared.connected.store(false, Ordering::Relaxed);
        // Packet ids of the lost connection must not be acknowledged on the next one.
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        if is_stopping(&self.stop) {
            return ControlFlow::Break(());
        }
        if self.ready.is_some() {
            let reason = error.to_string();
            self.answer_start(Err(MqttError::Connect { address: self.address.clone(), reason }));
            return ControlFlow::Break(());
        }
        eprintln!(
            "faultline: mqtt: connection to {} lost: {error}; reconnecting in {} ms",
            self.address,
            self.backoff.as_millis()
        );
        tokio::select! {
            () = tokio::time::sleep(self.backoff) => {}
            () = stopped(&mut self.stop) => return ControlFlow::Break(()),
        }
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        ControlFlow::Continue(())
    }

    fn answer_start(&mut self, result: Result<(), MqttError>) {
        if let Some(ready) = self.ready.take() {
            // This fails only when `start` gave up waiting (timeout); it stops the task itself.
            let _ = ready.send(result);
        }
    }
}

/// True once stop was asked for, or the source was dropped.
fn is_stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// Resolves once stop was asked for, or the source was dropped.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // `Err` means the sender is gone: the source was dropped, which is a stop as well.
    let _ = stop.wait_for(|stopping| *stopping).await;
}
