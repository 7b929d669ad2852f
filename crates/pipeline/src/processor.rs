//! The processor thread: group commit to the journal, acknowledgements, scoring, alarms, and
//! every command, in one place.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use faultline_alarms::{AlarmEngine, AlarmError, AlarmUpdate, Observation};
use faultline_sinks::{AlarmEvent, LogSink, Sink};
use faultline_sources::mqtt::{AckHandle, MqttConfig, MqttSource};
use faultline_sources::payload::Rejected;
use faultline_store::{AppendOutcome, DataDirLock, Event, ScoreRecord, Store};
use faultline_train::{ClassifierFile, ModelFile, check_model_file};
use faultline_types::{
    Alarm, AlarmKind, AlarmState, ChannelSchema, RejectReason, Sample, Timestamp,
};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::asset::{AssetRuntime, Diagnosis, Scored, classifier_fits, severity};
use crate::config::{ChannelConfig, Config, SinkConfig};
use crate::engine::{AssetStatus, EngineError, IngestReport, LiveEvent};
use crate::{Command, CommandError, CommandOutcome, Engine, Metrics};

/// Inputs per group commit at most: one transaction, one fsync for all of them.
const MAX_GROUP: usize = 512;

/// Work for the processor.
pub(crate) enum Input {
    /// Decoded (or rejected) samples and whom to tell once they are durable. `stamped` says who
    /// wrote their timestamps: only a clock outside faultline can be far ahead of this one.
    Samples { items: Vec<Result<Sample, Rejected>>, received: Instant, ack: Ack, stamped: Stamped },
    /// A command from the API.
    Command { command: Command, reply: oneshot::Sender<Result<CommandOutcome, CommandError>> },
    /// Once a second: shelving expiry.
    Tick,
    /// Drain and stop.
    Shutdown(oneshot::Sender<()>),
}

/// Whose clock stamped a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamped {
    /// A client or equipment (HTTP, MQTT, HSMS): checked against `[ingest] max_ahead_seconds`.
    Outside,
    /// faultline itself (the demo simulator, replay sources, which run ahead on purpose at a
    /// speed above 1).
    Inside,
}

/// How to acknowledge a batch once it is durable.
pub(crate) enum Ack {
    /// MQTT PUBACK.
    Mqtt(AckHandle),
    /// A report to an in-process caller or an HTTP request; an error when nothing became
    /// durable.
    Report(oneshot::Sender<Result<IngestReport, String>>),
    /// A report to a source that sends a batch again itself when its journal write fails
    /// (HSMS: the tool has had its acknowledgement, so nobody else will). A failure hands back
    /// the samples that were admitted, to be sent again as [`Arrival::Again`]; the others were
    /// rejected, and counted, and are not sent again.
    Retry {
        /// Where the report (or the samples to send again) goes.
        reply: oneshot::Sender<Result<IngestReport, Unstored>>,
        /// Whether the batch was counted as received already.
        arrival: Arrival,
    },
}

/// Whether a batch comes for the first time or again after a failed journal write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Its samples count as received.
    First,
    /// The admitted samples of a batch whose journal write failed: they were counted as
    /// received when they first came, so that a batch counts once however often it is tried.
    Again,
}

/// The samples of a batch that its failed journal write left unstored (admitted, neither
/// stored nor rejected), and why the write failed.
#[derive(Debug)]
pub(crate) struct Unstored {
    /// The admitted samples, in their order.
    pub samples: Vec<Sample>,
    /// The store's error.
    pub error: String,
}

/// Everything the processor owns.
pub(crate) struct State {
    store: Store,
    assets: Vec<AssetRuntime>,
    alarms: AlarmEngine,
    metrics: Arc<Metrics>,
    live: broadcast::Sender<LiveEvent>,
    status: Arc<RwLock<Vec<AssetStatus>>>,
    sinks: Vec<Box<dyn Sink>>,
    /// `[ingest] max_ahead_seconds` in nanoseconds.
    max_ahead_ns: i64,
    reject_log: RejectLog,
    /// This engine's hold on the data directory (one engine per directory), released when the
    /// processor stops.
    _lock: DataDirLock,
    /// MQTT samples whose journal write failed, to be written again first (see
    /// [`State::journal_failed`]).
    held: Vec<(Sample, Instant, AckHandle, Stamped)>,
    /// Whether the current run of journal failures has been logged.
    journal_failing: bool,
    /// Alarm changes the store refused, oldest first (see [`State::save_update`]).
    unsaved: VecDeque<Unsaved>,
    /// Whether the current run of refusals has been logged.
    unsaved_reported: bool,
    /// Scores held back while alarm changes wait (see [`State::store_scores`]).
    waiting_scores: Vec<ScoreRecord>,
}

/// Most scores held back while alarm changes wait to be stored.
const MAX_WAITING_SCORES: usize = 100_000;

/// Scored samples run through an asset's detector again at start (and on activation), so that
/// its memory (EWMAs, the frozen-value check's runs) is not reset: at least this many — the
/// slowest EWMA (λ = 0.05) keeps under 1e-20 of what came before them — and more where the model
/// remembers longer ([`AssetRuntime::memory`]: twice its longest frozen-value limit, so that
/// a run past its limit comes back past it with room for the alarm's deadband).
const WARM_UP_SAMPLES: usize = 1_000;

/// The most samples one warm-up reads, whatever a model's memory.
const MAX_WARM_UP_SAMPLES: usize = 200_000;

/// Warms `runtime`'s freshly installed detector with its newest journaled samples stamped at or
/// before `to` (see `AssetRuntime::warm`): [`WARM_UP_SAMPLES`], or more where the model
/// remembers longer, or where the channels' silence limits reach further back in data time
/// (twice the longest limit, so a channel silent through a restart or an activation is still
/// silent after it), at most [`MAX_WARM_UP_SAMPLES`].
fn warm_from_journal(
    store: &Store,
    runtime: &mut AssetRuntime,
    to: Timestamp,
) -> Result<(), faultline_store::StoreError> {
    let reach = runtime.longest_silence_ns().saturating_mul(2);
    let silence = if reach > 0 {
        let from = Timestamp(to.as_nanos().saturating_sub(reach));
        usize::try_from(store.sample_count_between(&runtime.name, from, to)?).unwrap_or(usize::MAX)
    } else {
        0
    };
    let count = runtime.memory().max(silence).clamp(WARM_UP_SAMPLES, MAX_WARM_UP_SAMPLES);
    // Read in chunks, oldest first: 200,000 samples of many channels at once held hundreds of
    // megabytes.
    const CHUNK: usize = 10_000;
    let first = store.nth_newest_sample_ts(&runtime.name, to, count)?;
    runtime.warm_begin();
    let mut read = || -> Result<(), faultline_store::StoreError> {
        let Some(mut from) = first else { return Ok(()) };
        let end = Timestamp(to.as_nanos().saturating_add(1));
        loop {
            let chunk = store.samples(&runtime.name, from, end, CHUNK)?;
            for stored in &chunk {
                runtime.warm_with(&stored.sample);
            }
            match chunk.last() {
                Some(last) if chunk.len() == CHUNK => {
                    from = Timestamp(last.sample.ts.as_nanos().saturating_add(1));
                }
                _ => return Ok(()),
            }
        }
    };
    let result = read();
    runtime.warm_end();
    result
}

/// An alarm change waiting to be stored, with the audit record made when it happened.
struct Unsaved {
    update: AlarmUpdate,
    actor: String,
    event: Event,
}

/// When [`State::store_unsaved`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Now, even while the store has been refusing (the tick, a command, the shutdown).
    Now,
    /// Now unless the store is refusing: then the tick tries again.
    IfNotRefusing,
}

/// `update` by `actor`, with its audit record, ready to be stored.
fn unsaved(update: &AlarmUpdate, actor: &str, reason: Option<String>) -> Unsaved {
    let event = audit(
        actor,
        &format!("alarm.{}", update.action),
        &format!("alarm/{}", update.alarm.id),
        Some(update.from.as_str().to_string()),
        Some(update.to.as_str().to_string()),
        reason,
    );
    Unsaved { update: update.clone(), actor: actor.to_string(), event }
}

/// Shortest time between two log lines about rejections of one reason.
const REJECT_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// When each reason was last logged, and how many rejections of it went unlogged since.
#[derive(Default)]
struct RejectLog {
    last: HashMap<RejectReason, Instant>,
    quiet: HashMap<RejectReason, u64>,
}

impl RejectLog {
    fn note(&mut self, reason: RejectReason, detail: impl FnOnce() -> String) {
        if let Some(line) = self.line(reason, Instant::now(), detail) {
            eprintln!("{line}");
        }
    }

    /// The line to log for this rejection at `now`, if one is due.
    fn line(
        &mut self,
        reason: RejectReason,
        now: Instant,
        detail: impl FnOnce() -> String,
    ) -> Option<String> {
        if self.last.get(&reason).is_some_and(|at| now.duration_since(*at) < REJECT_LOG_EVERY) {
            *self.quiet.entry(reason).or_default() += 1;
            return None;
        }
        self.last.insert(reason, now);
        let quiet = self.quiet.remove(&reason).unwrap_or(0);
        let more = if quiet > 0 {
            format!(" ({quiet} more `{}` since the last such line)", reason.as_str())
        } else {
            String::new()
        };
        Some(format!("faultline: sample rejected, {}: {}{more}", reason.as_str(), detail()))
    }
}

impl State {
    /// Opens the store, restores open alarms, installs each asset's model (the configured file,
    /// registered and activated when new, or else the registry's active version).
    pub fn open(
        config: &Config,
        metrics: Arc<Metrics>,
        live: broadcast::Sender<LiveEvent>,
        status: Arc<RwLock<Vec<AssetStatus>>>,
    ) -> Result<State, EngineError> {
        let lock = DataDirLock::acquire(&config.data_dir)?;
        let mut store = Store::open(&config.data_dir)?;
        let mut alarms = AlarmEngine::new(config.alarms.clone(), store.next_alarm_id()?);
        alarms.restore(store.open_alarms()?);
        let mut assets = Vec::new();
        for asset in &config.assets {
            let mut runtime = AssetRuntime::new(
                asset.name.clone(),
                config.site_of(asset).to_string(),
                asset.channels.clone(),
            );
            runtime.silent_after_seconds = asset.silent_after_seconds;
            runtime.channel_silent_after_seconds = asset.channel_silent_after_seconds.clone();
            runtime.last_ts = store.last_sample_ts(&asset.name)?;
            let model_error =
                |message: String| EngineError::Model { asset: asset.name.clone(), message };
            // Read first: a configured model that lacks one of its channels is refused before it
            // is registered and activated.
            let classifier = match &asset.classifier {
                Some(path) => {
                    Some(ClassifierFile::load(path).map_err(|e| model_error(e.to_string()))?)
                }
                None => None,
            };
            if let Some(path) = &asset.model {
                let classes = classifier.as_ref().map(|c| &c.schema);
                register_configured_model(&mut store, &runtime, path, classes)?;
            }
            if let Some((version, bytes)) = store.active_model(&asset.name)? {
                let file = decode_model(&bytes, &asset.name).map_err(model_error)?;
                runtime.install(version.version, file);
            }
            if let Some(file) = classifier {
                runtime.diagnosis = Some(diagnosis_for(&runtime, file).map_err(model_error)?);
            }
            // The detector's (and classifier's) memory as an uninterrupted run would have it:
            // the samples scored last before the stop, again, emitting nothing.
            if let Some(scored) = store.latest_scores(&asset.name, 1)?.pop()
                && let Err(error) = warm_from_journal(&store, &mut runtime, scored.ts)
            {
                eprintln!(
                    "faultline: {}: the detector's warm-up stopped early (it starts with what it \
                     had read): {error}",
                    asset.name
                );
            }
            if !runtime.silent.is_empty() {
                let names: Vec<&str> = runtime.silent.iter().map(|c| c.channel.as_str()).collect();
                println!(
                    "faultline: {}: silent at the last journaled sample (no measured value for \
                     longer than their limit): {}",
                    asset.name,
                    names.join(", ")
                );
            }
            assets.push(runtime);
        }
        let sinks = config
            .sinks
            .iter()
            .map(|sink| match sink {
                SinkConfig::Log => Box::new(LogSink::new(std::io::stdout())) as Box<dyn Sink>,
            })
            .collect();
        let max_ahead_ns = i64::try_from(config.ingest.max_ahead_seconds)
            .unwrap_or(i64::MAX / 1_000_000_000)
            .saturating_mul(1_000_000_000);
        let reject_log = RejectLog::default();
        let mut state = State {
            store,
            assets,
            alarms,
            metrics,
            live,
            status,
            sinks,
            max_ahead_ns,
            reject_log,
            _lock: lock,
            held: Vec::new(),
            journal_failing: false,
            unsaved: VecDeque::new(),
            unsaved_reported: false,
            waiting_scores: Vec::new(),
        };
        state.score_unscored()?;
        state.publish_status();
        Ok(state)
    }

    /// Scores what a crash left journaled but unscored. A sample is acknowledged once it is
    /// journaled and scored just after; a `kill -9` between the two used to leave it unscored
    /// for good (and any alarm it would have raised unraised). The gap is what an asset with a
    /// model has journaled after its newest score: it is taken again, from the detector state
    /// the warm-up at start left ([`WARM_UP_SAMPLES`]), before any new input. An asset that has never been scored
    /// (no model until now) starts at the end of its journal as before.
    fn score_unscored(&mut self) -> Result<(), EngineError> {
        /// Samples read and scored at a time.
        const CHUNK: usize = 10_000;
        for index in 0..self.assets.len() {
            let asset = &self.assets[index];
            if asset.model.is_none() {
                continue;
            }
            let name = asset.name.clone();
            let Some(scored) = self.store.latest_scores(&name, 1)?.pop().map(|r| r.ts) else {
                continue;
            };
            if asset.last_ts.is_none_or(|last| last <= scored) {
                continue;
            }
            self.assets[index].rewind_to(scored);
            let mut from = Timestamp(scored.as_nanos().saturating_add(1));
            let mut count = 0;
            loop {
                let chunk = self.store.samples(&name, from, Timestamp(i64::MAX), CHUNK)?;
                let Some(last) = chunk.last() else { break };
                from = Timestamp(last.sample.ts.as_nanos().saturating_add(1));
                count += chunk.len();
                let received = Instant::now();
                self.score_stored(chunk.into_iter().map(|s| (s.sample, received)).collect());
            }
            println!("faultline: {name}: scored {count} journaled samples a stop left unscored");
        }
        Ok(())
    }

    fn asset_index(&self, name: &str) -> Option<usize> {
        self.assets.iter().position(|a| a.name == name)
    }

    fn publish_status(&self) {
        let open = self.alarms.active();
        let statuses = self
            .assets
            .iter()
            .map(|a| AssetStatus {
                name: a.name.clone(),
                site: a.site.clone(),
                channels: if a.channels.is_empty() {
                    a.model.as_ref().map_or_else(Vec::new, |m| {
                        m.schema
                            .names()
                            .map(|n| ChannelConfig {
                                name: n.to_string(),
                                unit: None,
                                low: None,
                                high: None,
                            })
                            .collect()
                    })
                } else {
                    a.channels.clone()
                },
                model: a.model.as_ref().map(|m| (m.version, m.kind.clone())),
                last_score: a.last.clone(),
                silent_channels: a.silent.iter().map(|c| c.channel.clone()).collect(),
                last_received: a.last_received,
                open_alarms: open.iter().filter(|al| al.asset == a.name).count(),
            })
            .collect();
        if let Ok(mut status) = self.status.write() {
            *status = statuses;
        }
    }
}

fn register_configured_model(
    store: &mut Store,
    asset: &AssetRuntime,
    path: &std::path::Path,
    classes: Option<&ChannelSchema>,
) -> Result<(), EngineError> {
    let model_error = |message: String| EngineError::Model { asset: asset.name.clone(), message };
    let bytes = std::fs::read(path)
        .map_err(|e| model_error(format!("{}: cannot read: {e}", path.display())))?;
    let file = decode_model(&bytes, &path.display().to_string()).map_err(model_error)?;
    asset.check_model(&file).map_err(model_error)?;
    if let Some(classes) = classes {
        classifier_fits(classes, &file.schema)
            .map_err(|e| model_error(format!("{}: {e}", path.display())))?;
    }
    let digest = sha256_hex(&bytes);
    let known = store.models(Some(&asset.name))?;
    let version = match known.iter().find(|m| m.sha256 == digest) {
        Some(existing) if existing.active => return Ok(()),
        Some(existing) => existing.version,
        None => {
            let target = path.display().to_string();
            let event = audit("config", "model.upload", &asset.name, None, Some(target), None);
            store.put_model(&asset.name, &file.kind, &bytes, &event)?.version
        }
    };
    let event =
        audit("config", "model.activate", &asset.name, None, Some(version.to_string()), None);
    store.activate_model(&asset.name, version, &event)?;
    Ok(())
}

/// Hex SHA-256, as the registry records model files.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The fault classifier of an asset whose model is installed; its channels must be among the
/// active model's (one activated through the API before the classifier was configured may lack
/// one: the start is refused with the version and the channel, and the way out).
fn diagnosis_for(asset: &AssetRuntime, file: ClassifierFile) -> Result<Diagnosis, String> {
    let active = asset.model.as_ref().ok_or("a classifier needs a detection model first")?;
    Diagnosis::new(file.parameters, &file.schema, &active.schema).map_err(|e| {
        format!(
            "active model version {}: {e}; activate a version that has it, or start without \
             the classifier",
            active.version
        )
    })
}

fn decode_model(bytes: &[u8], origin: &str) -> Result<ModelFile, String> {
    let file =
        ModelFile::from_bytes(bytes, std::path::Path::new(origin)).map_err(|e| e.to_string())?;
    check_model_file(&file).map_err(|e| format!("{origin}: {e}"))?;
    Ok(file)
}

/// Wall-clock now, for audit records and shelving (never for data).
fn now() -> Timestamp {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    Timestamp(i64::try_from(nanos).unwrap_or(i64::MAX))
}

fn audit(
    actor: &str,
    action: &str,
    target: &str,
    old_value: Option<String>,
    new_value: Option<String>,
    reason: Option<String>,
) -> Event {
    Event {
        at: now(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        old_value,
        new_value,
        reason,
        signature: None,
    }
}

/// Connects to the broker and forwards its messages to the processor.
pub(crate) async fn spawn_mqtt(engine: Engine, config: MqttConfig) -> Result<(), EngineError> {
    let (source, mut messages) =
        MqttSource::start(config).await.map_err(|e| EngineError::Source(e.to_string()))?;
    engine.counters().watch_mqtt(source.status());
    tokio::spawn(async move {
        loop {
            // Once the processor has stopped, disconnect at once rather than at the next
            // message: unacknowledged messages stay with the broker for the next start.
            let message = tokio::select! {
                message = messages.recv() => message,
                () = engine.stopped() => None,
            };
            let Some(message) = message else { break };
            let item = message.decode();
            let input = Input::Samples {
                items: vec![item],
                received: Instant::now(),
                ack: Ack::Mqtt(message.ack),
                stamped: Stamped::Outside,
            };
            if engine.send(input).await.is_err() {
                break;
            }
        }
        source.stop().await;
    });
    Ok(())
}

/// The processor loop: runs until shutdown or until every sender is gone.
pub(crate) fn run(mut state: State, mut queue: mpsc::Receiver<Input>) {
    let mut pending: Vec<Input> = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = queue.blocking_recv() {
        pending.push(first);
        while pending.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(input) => pending.push(input),
                Err(_) => break,
            }
        }
        let mut group = Vec::new();
        for input in pending.drain(..) {
            match input {
                Input::Samples { items, received, ack, stamped } => {
                    group.push((items, received, ack, stamped))
                }
                other => {
                    state.commit_group(std::mem::take(&mut group));
                    match other {
                        Input::Command { command, reply } => {
                            let outcome = state.execute(command);
                            let _caller_gone = reply.send(outcome);
                        }
                        Input::Tick => state.tick(),
                        Input::Shutdown(done) => {
                            state.last_store_attempt();
                            // Let go of the store and the data directory's lock first: the
                            // caller may start another engine on it as soon as it hears back.
                            drop(state);
                            let _caller_gone = done.send(());
                            return;
                        }
                        Input::Samples { .. } => {}
                    }
                }
            }
        }
        state.commit_group(group);
    }
}

/// What one group has admitted so far, per asset index: its newest timestamp and every one.
#[derive(Default)]
struct Admitted {
    newest: HashMap<usize, Timestamp>,
    stamps: HashSet<(usize, Timestamp)>,
}

type Group = Vec<(Vec<Result<Sample, Rejected>>, Instant, Ack, Stamped)>;

impl State {
    /// Journals every acceptable sample of the group in one transaction, acknowledges, then
    /// scores what was stored.
    fn commit_group(&mut self, group: Group) {
        if group.is_empty() && self.held.is_empty() {
            return;
        }
        // MQTT samples held from a failed journal write go first, in their order; they were
        // counted as received then.
        let retried = self.held.len();
        let group: Group = std::mem::take(&mut self.held)
            .into_iter()
            .map(|(sample, received, handle, stamped)| {
                (vec![Ok(sample)], received, Ack::Mqtt(handle), stamped)
            })
            .chain(group)
            .collect();
        let mut reports: Vec<IngestReport> = Vec::with_capacity(group.len());
        let mut batch: Vec<Sample> = Vec::new();
        let mut owners: Vec<(usize, Instant)> = Vec::new();
        let latest = now().as_nanos().saturating_add(self.max_ahead_ns);
        let mut admitted = Admitted::default();
        for (index, (items, received, ack, stamped)) in group.iter().enumerate() {
            let mut report = IngestReport::default();
            let again = matches!(ack, Ack::Retry { arrival: Arrival::Again, .. });
            if index >= retried && !again {
                self.metrics.received(items.len());
            }
            for item in items {
                match item {
                    Err(rejected) => {
                        self.reject(&mut report, rejected.reason, || rejected.detail.clone())
                    }
                    Ok(sample) if self.asset_index(&sample.asset).is_none() => {
                        self.reject(&mut report, RejectReason::UnknownAsset, || {
                            format!("asset `{}` is not configured", sample.asset)
                        })
                    }
                    Ok(sample) if *stamped == Stamped::Outside && sample.ts.as_nanos() > latest => {
                        let allowance = self.max_ahead_ns;
                        self.reject(&mut report, RejectReason::Future, || {
                            let ahead = (sample.ts.as_nanos() - latest + allowance) / 1_000_000_000;
                            format!(
                                "asset `{}`: ts {} ns is {} s ahead of this server's clock, more \
                                 than [ingest] max_ahead_seconds allows (check the sender's clock, \
                                 time unit and zone; an HSMS tool reporting local time needs \
                                 clock_utc_offset_minutes)",
                                sample.asset,
                                sample.ts.as_nanos(),
                                ahead
                            )
                        })
                    }
                    Ok(sample) => match self.admit(sample, &mut admitted) {
                        Ok(()) => {
                            batch.push(sample.clone());
                            owners.push((index, *received));
                        }
                        Err(reason) => self.reject(&mut report, reason, || {
                            format!("asset `{}`, ts {} ns", sample.asset, sample.ts.as_nanos())
                        }),
                    },
                }
            }
            reports.push(report);
        }
        let started = Instant::now();
        let outcomes = match self.store.append_samples(&batch) {
            Ok(outcomes) => outcomes,
            Err(error) => {
                self.journal_failed(group, batch, &owners, &error);
                return;
            }
        };
        if self.journal_failing {
            eprintln!("faultline: the journal takes writes again");
            self.journal_failing = false;
        }
        self.metrics.committed(started.elapsed().as_nanos() as u64);
        let mut stored = Vec::with_capacity(batch.len());
        for ((sample, (owner, received)), outcome) in batch.into_iter().zip(owners).zip(outcomes) {
            match outcome {
                AppendOutcome::Stored { .. } => {
                    reports[owner].accepted += 1;
                    stored.push((sample, received));
                }
                AppendOutcome::Duplicate { .. } => {
                    self.reject(&mut reports[owner], RejectReason::Duplicate, || {
                        format!("asset `{}`, ts {} ns", sample.asset, sample.ts.as_nanos())
                    })
                }
            }
        }
        self.metrics.stored(stored.len());
        for ((_, _, ack, _), report) in group.into_iter().zip(reports) {
            match ack {
                Ack::Mqtt(handle) => {
                    // Queues the PUBACK without waiting. It fails only when the MQTT source
                    // has stopped; the broker then redelivers and the journal drops the copy.
                    if let Err(error) = handle.ack() {
                        eprintln!(
                            "faultline: MQTT acknowledgement not sent ({error}); the broker will \
                             redeliver"
                        );
                    }
                }
                Ack::Report(reply) => {
                    let _caller_gone = reply.send(Ok(report));
                }
                Ack::Retry { reply, .. } => {
                    let _caller_gone = reply.send(Ok(report));
                }
            }
        }
        self.score_stored(stored);
    }

    /// A journal write failed: nothing of the group is durable, so nothing is acknowledged as
    /// stored. HTTP callers get the error (and send again); a retrying source (HSMS) gets back
    /// the batch's admitted samples and sends them again. An MQTT message is one sample:
    /// rejected, it is acknowledged now (its rejection is counted); admitted, it is held and
    /// written again, first, with the next group or within a second — the broker would only
    /// redeliver it after a reconnect, and meanwhile it would hold one of the broker's
    /// in-flight slots for nothing. The held messages keep their MQTT slots, so a journal that
    /// keeps failing pushes back on the broker rather than filling memory.
    fn journal_failed(
        &mut self,
        group: Group,
        batch: Vec<Sample>,
        owners: &[(usize, Instant)],
        error: &faultline_store::StoreError,
    ) {
        self.metrics.journal_failed();
        if !self.journal_failing {
            eprintln!(
                "faultline: journal write failed, {} samples not acknowledged (MQTT ones are \
                 written again every second, HTTP callers get the error): {error}",
                batch.len()
            );
            self.journal_failing = true;
        }
        let mut admitted: HashMap<usize, Vec<Sample>> = HashMap::new();
        for ((owner, _), sample) in owners.iter().zip(batch) {
            admitted.entry(*owner).or_default().push(sample);
        }
        for (index, (_, received, ack, stamped)) in group.into_iter().enumerate() {
            match ack {
                Ack::Report(reply) => {
                    let _caller_gone = reply.send(Err(error.to_string()));
                }
                Ack::Retry { reply, .. } => {
                    let samples = admitted.remove(&index).unwrap_or_default();
                    let _caller_gone =
                        reply.send(Err(Unstored { samples, error: error.to_string() }));
                }
                Ack::Mqtt(handle) => match admitted.remove(&index).and_then(|mut one| one.pop()) {
                    Some(sample) => self.held.push((sample, received, handle, stamped)),
                    None => {
                        let _source_gone = handle.ack();
                    }
                },
            }
        }
    }

    /// Judges ordering and channels before the journal, so that a sample is either accepted
    /// (journaled, acknowledged, scored) or rejected and counted — never journaled, reported
    /// accepted and then refused by the frames stage. `admitted` holds what this group has
    /// admitted so far (not journaled yet).
    fn admit(&self, sample: &Sample, admitted: &mut Admitted) -> Result<(), RejectReason> {
        let Some(index) = self.asset_index(&sample.asset) else {
            return Err(RejectReason::UnknownAsset);
        };
        let asset = &self.assets[index];
        if let Some(last) = admitted.newest.get(&index).copied().or(asset.last_ts)
            && sample.ts <= last
        {
            // A redelivery (MQTT after a reconnect, an HTTP retry) of a sample already taken is
            // a harmless duplicate; anything else at or before the newest is out of order.
            let taken = sample.ts == last
                || admitted.stamps.contains(&(index, sample.ts))
                || self.store.has_sample(&asset.name, sample.ts).unwrap_or_else(|error| {
                    eprintln!("faultline: {error}");
                    false
                });
            return Err(if taken { RejectReason::Duplicate } else { RejectReason::OutOfOrder });
        }
        asset.check_channels(sample)?;
        admitted.newest.insert(index, sample.ts);
        admitted.stamps.insert((index, sample.ts));
        Ok(())
    }

    /// Counts a rejected sample, and says why in the log at most once per reason every
    /// [`REJECT_LOG_EVERY`] (a flood of bad input must not flood the log; the counters have
    /// every one).
    fn reject(
        &mut self,
        report: &mut IngestReport,
        reason: RejectReason,
        detail: impl FnOnce() -> String,
    ) {
        self.metrics.reject(reason);
        self.reject_log.note(reason, detail);
        *report.rejected.entry(reason).or_default() += 1;
    }

    fn score_stored(&mut self, stored: Vec<(Sample, Instant)>) {
        let mut records = Vec::with_capacity(stored.len());
        let mut updates = Vec::new();
        for (sample, received) in stored {
            let Some(index) = self.asset_index(&sample.asset) else { continue };
            self.assets[index].last_received = received;
            let mut unknown = 0;
            let outcome = self.assets[index].score(&sample, &mut unknown);
            for _ in 0..unknown {
                self.metrics.reject(RejectReason::UnknownChannel);
            }
            let record = match outcome {
                Ok(Scored::Record(record)) => record,
                Ok(Scored::Unscored) => continue,
                Err(reason) => {
                    self.metrics.reject(reason);
                    continue;
                }
            };
            self.metrics.scored();
            let asset = &self.assets[index];
            let process = Observation {
                asset: &asset.name,
                site: &asset.site,
                ts: record.ts,
                severity: severity(&record),
                out_of_control: record.alarm,
                contributors: &record.top,
                fault_class: asset.suspect.as_ref(),
                kind: AlarmKind::Process,
            };
            // The asset's second condition: channels the detector reads as their last value
            // because they stopped delivering (silence.rs). Its severity is how many.
            let silence = Observation {
                severity: asset.silent.len() as f64,
                out_of_control: !asset.silent.is_empty(),
                contributors: &asset.silent,
                fault_class: None,
                kind: AlarmKind::Silence,
                ..process
            };
            let mut changes = self.alarms.observe(&process);
            changes.extend(self.alarms.observe(&silence));
            for update in changes {
                if update.action == "raise" && update.from == AlarmState::Normal {
                    self.metrics.alarm_raised(received.elapsed().as_nanos() as u64);
                } else if update.action == "suppress" {
                    self.metrics.alarm_suppressed();
                }
                updates.push(update);
            }
            let _no_subscriber = self.live.send(LiveEvent::Score(record.clone()));
            records.push(record);
        }
        // The changes and the scores that caused them are written in one transaction: the
        // newest stored score is where a start resumes scoring (`score_unscored`), so changes
        // stored without their scores would be derived and recorded a second time, and scores
        // stored without their changes would lose the changes for good.
        for update in updates {
            self.unsaved.push_back(unsaved(&update, "engine", None));
        }
        self.store_scores(records);
        self.publish_status();
    }

    /// Stores scores, with the alarm changes that wait (see [`State::store_unsaved`]): while
    /// the store refuses those, the scores wait with them, so that a stop before they are
    /// stored leaves their samples unscored, and the next start scores them again and derives
    /// the changes anew. A score the store would refuse (a number that is not finite) is
    /// logged and let go first, so that it never holds alarm changes back.
    fn store_scores(&mut self, records: Vec<ScoreRecord>) {
        let (storable, refused): (Vec<_>, Vec<_>) =
            records.into_iter().partition(ScoreRecord::is_storable);
        if let Some(first) = refused.first() {
            eprintln!(
                "faultline: {} scores not stored (a statistic or contribution is not a finite \
                 number), the first of asset {} at {} ns",
                refused.len(),
                first.asset,
                first.ts.as_nanos()
            );
        }
        self.waiting_scores.extend(storable);
        self.store_unsaved(Retry::IfNotRefusing);
    }

    /// Stores an alarm change of the engine's own (scoring, shelving expiry) with its audit
    /// record, then publishes it. The engine has already moved on, so a change the store
    /// refuses is not dropped: it waits, in order, with every later change behind it, and is
    /// retried every second ([`State::store_unsaved`]); `faultline_alarm_changes_unsaved` says
    /// how many wait. Operator commands are refused meanwhile, so no change overtakes another.
    fn save_update(&mut self, update: &AlarmUpdate, actor: &str, reason: Option<String>) {
        self.unsaved.push_back(unsaved(update, actor, reason));
        self.store_unsaved(Retry::IfNotRefusing);
    }

    /// At shutdown: one more try for waiting alarm changes (and their scores), and a line for
    /// what still cannot be stored: those samples stay unscored in the journal, so the next
    /// start scores them again and derives the changes anew.
    fn last_store_attempt(&mut self) {
        self.store_unsaved(Retry::Now);
        if !self.unsaved.is_empty() {
            eprintln!(
                "faultline: {} alarm change(s) not stored at shutdown; their samples are scored \
                 again at the next start",
                self.unsaved.len()
            );
        }
    }

    /// Stores what waits: the alarm changes, in order, together with the waiting scores in one
    /// transaction (all or nothing), then hands the changes to the sinks and the live stream;
    /// or the scores alone when no change waits (a refusal is logged and they are let go:
    /// their samples stay in the journal). While the store refuses the changes, scores wait
    /// with them up to [`MAX_WAITING_SCORES`]; beyond, the oldest are let go and the gap is
    /// logged. While the store refuses, a new batch only joins the queue
    /// ([`Retry::IfNotRefusing`]): the write is tried again by the tick, once a second, not by
    /// every batch (each try rebuilds a transaction of everything that waits).
    fn store_unsaved(&mut self, retry: Retry) {
        if retry == Retry::IfNotRefusing && self.unsaved_reported && !self.unsaved.is_empty() {
            self.cap_waiting_scores();
            self.metrics.alarm_changes_unsaved(self.unsaved.len());
            return;
        }
        if self.unsaved.is_empty() {
            let records = std::mem::take(&mut self.waiting_scores);
            if let Err(error) = self.store.append_scores(&records) {
                eprintln!("faultline: {} scores not stored: {error}", records.len());
            }
            self.metrics.alarm_changes_unsaved(0);
            return;
        }
        let changes: Vec<(&Alarm, &Event)> =
            self.unsaved.iter().map(|u| (&u.update.alarm, &u.event)).collect();
        if let Err(error) = self.store.save_alarms_and_scores(&changes, &self.waiting_scores) {
            if !self.unsaved_reported {
                eprintln!(
                    "faultline: alarm {} change not stored, kept with its scores and retried \
                     every second ({} waiting): {error}",
                    self.unsaved[0].update.alarm.id,
                    self.unsaved.len()
                );
                self.unsaved_reported = true;
            }
            self.cap_waiting_scores();
            self.metrics.alarm_changes_unsaved(self.unsaved.len());
            return;
        }
        self.waiting_scores.clear();
        if self.unsaved_reported {
            eprintln!("faultline: the alarm changes that waited are stored");
            self.unsaved_reported = false;
        }
        for saved in std::mem::take(&mut self.unsaved) {
            self.deliver(&saved.update, &saved.actor);
            let _no_subscriber = self.live.send(LiveEvent::from_update(&saved.update));
        }
        self.metrics.alarm_changes_unsaved(0);
    }

    /// Lets the oldest waiting scores go beyond [`MAX_WAITING_SCORES`] (their samples stay in the
    /// journal and are scored again at the next start), and logs the gap.
    fn cap_waiting_scores(&mut self) {
        let excess = self.waiting_scores.len().saturating_sub(MAX_WAITING_SCORES);
        if excess > 0 {
            self.waiting_scores.drain(..excess);
            eprintln!(
                "faultline: {excess} scores not kept while alarm changes wait to be stored \
                 (their samples are in the journal)"
            );
        }
    }

    /// Hands a stored alarm change to every sink. A failing sink is reported, never fatal: the
    /// change is already in the store and the audit trail.
    fn deliver(&mut self, update: &AlarmUpdate, actor: &str) {
        let event = AlarmEvent {
            alarm: &update.alarm,
            from: update.from,
            to: update.to,
            action: update.action,
            actor,
        };
        for sink in &mut self.sinks {
            if let Err(error) = sink.alarm(&event) {
                eprintln!("faultline: sink failed: {error}");
            }
        }
    }

    fn tick(&mut self) {
        if !self.unsaved.is_empty() {
            self.store_unsaved(Retry::Now);
        }
        let updates = self.alarms.tick(now());
        for update in &updates {
            self.save_update(update, "engine", Some("shelving expired".into()));
        }
        if !updates.is_empty() {
            self.publish_status();
        }
    }

    fn execute(&mut self, command: Command) -> Result<CommandOutcome, CommandError> {
        let at = now();
        let result = match command {
            Command::Acknowledge { id, actor, comment } => {
                self.alarm_change(self.alarms_preview(|e| e.acknowledge(id, at)), &actor, comment)
            }
            Command::Shelve { id, until, actor, comment } => {
                self.alarm_change(self.alarms_preview(|e| e.shelve(id, until, at)), &actor, comment)
            }
            Command::Unshelve { id, actor, comment } => {
                self.alarm_change(self.alarms_preview(|e| e.unshelve(id, at)), &actor, comment)
            }
            Command::UploadModel { asset, bytes, actor, comment } => {
                self.upload_model(&asset, &bytes, &actor, comment)
            }
            Command::ActivateModel { asset, version, actor, comment, signature } => {
                self.activate_model(&asset, version, &actor, comment, signature)
            }
        };
        self.publish_status();
        result
    }

    /// Applies an alarm operation to a copy of the engine first, so that a failed audit write
    /// leaves the live engine unchanged (the change does not happen).
    fn alarms_preview(
        &self,
        operation: impl FnOnce(&mut AlarmEngine) -> Result<AlarmUpdate, AlarmError>,
    ) -> Result<(AlarmEngine, AlarmUpdate), AlarmError> {
        let mut preview = self.alarms.clone();
        let update = operation(&mut preview)?;
        Ok((preview, update))
    }

    fn alarm_change(
        &mut self,
        preview: Result<(AlarmEngine, AlarmUpdate), AlarmError>,
        actor: &str,
        comment: String,
    ) -> Result<CommandOutcome, CommandError> {
        self.store_unsaved(Retry::Now);
        if let Some(waiting) = self.unsaved.front() {
            return Err(CommandError::Store(format!(
                "{} alarm change(s) of the engine, the first of alarm {}, are not stored yet \
                 (the store refused them; they are retried every second): try again",
                self.unsaved.len(),
                waiting.update.alarm.id
            )));
        }
        let (engine, update) = preview.map_err(|error| match error {
            AlarmError::UnknownAlarm(id) => CommandError::NotFound(format!("alarm {id}")),
            other => CommandError::Conflict(other.to_string()),
        })?;
        let event = unsaved(&update, actor, Some(comment)).event;
        self.store
            .save_alarm(&update.alarm, &event)
            .map_err(|e| CommandError::Store(e.to_string()))?;
        self.alarms = engine;
        self.deliver(&update, actor);
        let _no_subscriber = self.live.send(LiveEvent::from_update(&update));
        Ok(CommandOutcome::Alarm(update.alarm))
    }

    fn upload_model(
        &mut self,
        asset: &str,
        bytes: &[u8],
        actor: &str,
        comment: String,
    ) -> Result<CommandOutcome, CommandError> {
        let index = self
            .asset_index(asset)
            .ok_or_else(|| CommandError::NotFound(format!("asset `{asset}`")))?;
        let file = decode_model(bytes, "uploaded model").map_err(CommandError::Invalid)?;
        self.assets[index].check_model(&file).map_err(CommandError::Invalid)?;
        let event =
            audit(actor, "model.upload", asset, None, Some(sha256_hex(bytes)), Some(comment));
        let version = self
            .store
            .put_model(asset, &file.kind, bytes, &event)
            .map_err(|e| CommandError::Store(e.to_string()))?;
        Ok(CommandOutcome::Model(version))
    }

    fn activate_model(
        &mut self,
        asset: &str,
        version: u32,
        actor: &str,
        comment: String,
        signature: Option<faultline_store::Signature>,
    ) -> Result<CommandOutcome, CommandError> {
        let index = self
            .asset_index(asset)
            .ok_or_else(|| CommandError::NotFound(format!("asset `{asset}`")))?;
        let models =
            self.store.models(Some(asset)).map_err(|e| CommandError::Store(e.to_string()))?;
        let target = models.iter().find(|m| m.version == version).cloned().ok_or_else(|| {
            CommandError::NotFound(format!("model version {version} of `{asset}`"))
        })?;
        // Checked before it becomes active: a version stored before this asset's channels or
        // classifier were configured as they are now may not fit them.
        let (_, bytes) = self
            .store
            .model_version(asset, version)
            .map_err(|e| CommandError::Store(e.to_string()))?
            .ok_or_else(|| CommandError::Store("the model version is not readable".into()))?;
        let file = decode_model(&bytes, "registry").map_err(CommandError::Invalid)?;
        self.assets[index]
            .check_model(&file)
            .map_err(|e| CommandError::Invalid(format!("model version {version}: {e}")))?;
        let old = models.iter().find(|m| m.active).map(|m| m.version.to_string());
        let mut event =
            audit(actor, "model.activate", asset, old, Some(version.to_string()), Some(comment));
        event.signature = signature.clone();
        self.store
            .activate_model(asset, version, &event)
            .map_err(|e| CommandError::Store(e.to_string()))?;
        self.assets[index].install(version, file);
        // The new model takes over with the memory it would have had of the recent samples
        // (all scored: the processor handles a command between batches), so an alarm that
        // the old model held does not return merely because the detector was swapped.
        if let Some(last) = self.assets[index].last_ts
            && let Err(error) = warm_from_journal(&self.store, &mut self.assets[index], last)
        {
            eprintln!("faultline: {asset}: model {version}: the warm-up stopped early: {error}");
        }
        Ok(CommandOutcome::Model(faultline_store::ModelVersion {
            active: true,
            activation: signature,
            ..target
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_logged_at_most_once_per_reason_every_ten_seconds_with_the_rest_counted() {
        let mut log = RejectLog::default();
        let t0 = Instant::now();
        let first = log.line(RejectReason::Malformed, t0, || "bad json".into());
        assert_eq!(first.as_deref(), Some("faultline: sample rejected, malformed: bad json"));
        for _ in 0..3 {
            assert!(log.line(RejectReason::Malformed, t0, || unreachable!()).is_none());
        }
        // Another reason has its own budget.
        assert!(log.line(RejectReason::Future, t0, || "ahead".into()).is_some());
        let later = log.line(RejectReason::Malformed, t0 + REJECT_LOG_EVERY, || "again".into());
        assert_eq!(
            later.as_deref(),
            Some(
                "faultline: sample rejected, malformed: again (3 more `malformed` since the last such line)"
            )
        );
    }
}
