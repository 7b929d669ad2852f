//! The running engine and its handle: start from a configuration, feed samples, send commands,
//! watch live events, read status and metrics.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use faultline_alarms::AlarmUpdate;
use faultline_sources::payload::{Rejected, decode_batch};
use faultline_store::{ScoreRecord, Store, StoreError};
use faultline_types::{Alarm, AlarmState, RejectReason, Sample};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::{ChannelConfig, Config};
use crate::processor::{self, Arrival, Input, Stamped, Unstored};
use crate::{Command, CommandError, CommandOutcome, Metrics, MetricsSnapshot, replay};

/// Capacity of the queue into the processor. When it is full, sources wait (MQTT stops reading
/// from the broker, HTTP ingest waits): backpressure instead of dropping.
const INPUT_QUEUE: usize = 4096;
/// Capacity of the live event channel; a subscriber that falls further behind skips events
/// (a dashboard redraw, not data: everything is in the store).
const LIVE_EVENTS: usize = 8192;

/// Something the engine publishes as it happens.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A frame was scored.
    Score(ScoreRecord),
    /// An alarm changed.
    Alarm {
        /// The alarm after the change.
        alarm: Alarm,
        /// State before.
        from: AlarmState,
        /// State after.
        to: AlarmState,
        /// What happened (`raise`, `ack`, …).
        action: String,
    },
}

impl LiveEvent {
    pub(crate) fn from_update(update: &AlarmUpdate) -> Self {
        LiveEvent::Alarm {
            alarm: update.alarm.clone(),
            from: update.from,
            to: update.to,
            action: update.action.to_string(),
        }
    }
}

/// An asset as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetStatus {
    /// Asset name.
    pub name: String,
    /// Site.
    pub site: String,
    /// Configured channels (or the model's, without units, when none are configured).
    pub channels: Vec<ChannelConfig>,
    /// Active model version and kind.
    pub model: Option<(u32, String)>,
    /// Latest score.
    pub last_score: Option<ScoreRecord>,
    /// Model channels silent at the latest score: no measured value for longer than their
    /// `silent_after_seconds`, so the detector reads their last value carried forward.
    pub silent_channels: Vec<String>,
    /// Alarms not in state normal.
    pub open_alarms: usize,
    /// When this process last journaled a sample of the asset, or started when it has not yet.
    pub last_received: std::time::Instant,
}

/// What happened to an ingested batch. Returned only after the accepted samples are durable.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IngestReport {
    /// Samples journaled.
    pub accepted: usize,
    /// Rejected samples by reason (duplicates included).
    pub rejected: BTreeMap<RejectReason, usize>,
}

/// Why the engine could not start or serve a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A configured model file could not be used.
    #[error("asset `{asset}`: {message}")]
    Model {
        /// Asset.
        asset: String,
        /// What is wrong.
        message: String,
    },
    /// A source could not start.
    #[error("source: {0}")]
    Source(String),
    /// The request body is not a valid batch.
    #[error("{}: {}", .0.reason.as_str(), .0.detail)]
    Rejected(Rejected),
    /// The journal could not make the samples durable; none of them was accepted.
    #[error("samples not stored: {0}")]
    NotDurable(String),
    /// The engine is stopping.
    #[error("the engine is stopping")]
    Stopped,
}

/// A cheap, cloneable handle to the running engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    input: mpsc::Sender<Input>,
    metrics: Arc<Metrics>,
    live: broadcast::Sender<LiveEvent>,
    status: Arc<RwLock<Vec<AssetStatus>>>,
    started: Instant,
}

impl Engine {
    /// Opens the store, restores alarms and models, starts the processor thread and every
    /// configured source. Must be called inside a tokio runtime.
    pub async fn start(config: Config) -> Result<Engine, EngineError> {
        let metrics = Arc::new(Metrics::default());
        let (live, _) = broadcast::channel(LIVE_EVENTS);
        let (input, queue) = mpsc::channel(INPUT_QUEUE);
        let status = Arc::new(RwLock::new(Vec::new()));
        let state = processor::State::open(&config, metrics.clone(), live.clone(), status.clone())?;
        std::thread::Builder::new()
            .name("faultline-processor".into())
            .spawn(move || processor::run(state, queue))
            .map_err(|e| EngineError::Source(format!("cannot start the processor thread: {e}")))?;
        let engine = Engine {
            inner: Arc::new(Inner {
                config,
                input,
                metrics,
                live,
                status,
                started: Instant::now(),
            }),
        };
        engine.spawn_ticker();
        if let Err(error) = engine.start_sources().await {
            // Stop the processor (and let go of the data directory) before saying why.
            engine.shutdown().await;
            return Err(error);
        }
        Ok(engine)
    }

    /// The configuration it runs.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    /// Seconds since start.
    pub fn uptime_seconds(&self) -> f64 {
        self.inner.started.elapsed().as_secs_f64()
    }

    /// A new read connection to the store, for queries (blocking: call from a blocking task).
    pub fn reader(&self) -> Result<Store, EngineError> {
        Ok(Store::open(self.data_dir())?)
    }

    /// Counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// The live counters themselves (for sources that count before the queue).
    pub fn counters(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Assets with their live state.
    pub fn assets(&self) -> Vec<AssetStatus> {
        self.inner.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Live scores and alarm changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.inner.live.subscribe()
    }

    /// Ingests a JSON batch (`{"samples": [...]}`, see docs/ingest.md). Returns after the
    /// accepted samples are durable.
    pub async fn ingest_json(&self, body: &[u8]) -> Result<IngestReport, EngineError> {
        let items = decode_batch(body).map_err(|rejected| {
            self.inner.metrics.received(1);
            self.inner.metrics.reject(rejected.reason);
            EngineError::Rejected(rejected)
        })?;
        self.ingest_items(items, Stamped::Outside).await
    }

    /// Ingests samples that faultline stamped itself (the demo simulator, replay sources): their
    /// timestamps are not checked against the clock.
    pub async fn ingest_samples(&self, samples: Vec<Sample>) -> Result<IngestReport, EngineError> {
        self.ingest_items(samples.into_iter().map(Ok).collect(), Stamped::Inside).await
    }

    /// Ingests decoded samples stamped by a clock outside faultline (equipment over HSMS): one
    /// further ahead than `[ingest] max_ahead_seconds` is rejected as `future`.
    pub async fn ingest_stamped_samples(
        &self,
        samples: Vec<Sample>,
    ) -> Result<IngestReport, EngineError> {
        self.ingest_items(samples.into_iter().map(Ok).collect(), Stamped::Outside).await
    }

    /// Ingests a batch from a source that sends it again itself when its journal write fails
    /// (HSMS, whose tool has had its acknowledgement): the inner `Err` holds the samples to
    /// send again, as [`Arrival::Again`], so that they are counted as received only once. The
    /// outer `Err` is [`EngineError::Stopped`].
    pub(crate) async fn ingest_retrying(
        &self,
        samples: Vec<Sample>,
        arrival: Arrival,
    ) -> Result<Result<IngestReport, Unstored>, EngineError> {
        let (reply, done) = oneshot::channel();
        let items = samples.into_iter().map(Ok).collect();
        let ack = processor::Ack::Retry { reply, arrival };
        let stamped = Stamped::Outside;
        self.send(Input::Samples { items, received: Instant::now(), ack, stamped }).await?;
        done.await.map_err(|_| EngineError::Stopped)
    }

    async fn ingest_items(
        &self,
        items: Vec<Result<Sample, Rejected>>,
        stamped: Stamped,
    ) -> Result<IngestReport, EngineError> {
        let (reply, done) = oneshot::channel();
        let ack = processor::Ack::Report(reply);
        self.send(Input::Samples { items, received: Instant::now(), ack, stamped }).await?;
        done.await.map_err(|_| EngineError::Stopped)?.map_err(EngineError::NotDurable)
    }

    pub(crate) async fn send(&self, input: Input) -> Result<(), EngineError> {
        self.inner.input.send(input).await.map_err(|_| EngineError::Stopped)
    }

    /// Resolves once the processor has stopped (after [`Engine::shutdown`], or a failure).
    pub(crate) async fn stopped(&self) {
        self.inner.input.closed().await;
    }

    /// Executes a command (alarm handling, model management) and its audit record.
    pub async fn command(&self, command: Command) -> Result<CommandOutcome, CommandError> {
        let (reply, done) = oneshot::channel();
        self.inner
            .input
            .send(Input::Command { command, reply })
            .await
            .map_err(|_| CommandError::Stopped)?;
        done.await.map_err(|_| CommandError::Stopped)?
    }

    /// Stops the processor after it has drained its queue.
    pub async fn shutdown(&self) {
        let (reply, done) = oneshot::channel();
        if self.inner.input.send(Input::Shutdown(reply)).await.is_ok() {
            let _finished = done.await;
        }
    }

    fn spawn_ticker(&self) {
        let input = self.inner.input.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                every.tick().await;
                if input.send(Input::Tick).await.is_err() {
                    break;
                }
            }
        });
    }

    async fn start_sources(&self) -> Result<(), EngineError> {
        for source in &self.inner.config.sources {
            match source {
                crate::SourceConfig::Mqtt { host, port, client_id, topic_filter } => {
                    let config = faultline_sources::mqtt::MqttConfig {
                        host: host.clone(),
                        port: *port,
                        client_id: client_id.clone(),
                        topic_filter: topic_filter.clone(),
                        ..faultline_sources::mqtt::MqttConfig::default()
                    };
                    processor::spawn_mqtt(self.clone(), config).await?;
                }
                crate::SourceConfig::Hsms { .. } => {
                    crate::hsms::spawn(self.clone(), source).await?;
                }
                crate::SourceConfig::Replay { asset, file, period_ms, speed, time_col } => {
                    let options = faultline_sources::file::ReadOptions {
                        time_col: time_col.clone(),
                        exclude: Vec::new(),
                    };
                    let recording = faultline_sources::file::read_any(file, &options)
                        .map_err(|e| EngineError::Source(e.to_string()))?;
                    replay::spawn(self.clone(), asset.clone(), recording, *period_ms, *speed);
                }
            }
        }
        Ok(())
    }
}
