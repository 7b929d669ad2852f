//! One monitored asset at run time: its active model, framer and monitor.

use std::collections::VecDeque;

use faultline_detectors::classify::FaultClassifier;
use faultline_frames::Framer;
use faultline_store::ScoreRecord;
use faultline_train::{ModelFile, Monitor};
use faultline_types::{
    ChannelSchema, Contributor, FaultClass, RejectReason, Sample, SchemaError, Score, Timestamp,
};

use crate::config::{ChannelConfig, DEFAULT_SILENT_AFTER_SECONDS};
use crate::silence::{Silence, Silent};

/// Contributors stored with each score and alarm.
pub(crate) const TOP_CONTRIBUTORS: usize = 3;
/// Recent frames the classifier looks at (its verdicts are smoothed over time).
pub(crate) const CLASSIFIER_WINDOW: usize = 64;
/// While out of control, the suspected class is re-evaluated every this many samples (the
/// classifier costs far more than scoring; the verdict changes slowly).
const CLASSIFY_EVERY: u32 = 10;

/// A fault classifier and its recent frames.
pub(crate) struct Diagnosis {
    classifier: FaultClassifier,
    /// The classifier's channels, in its order.
    classes: ChannelSchema,
    /// The classifier's channel order, as positions in the active model's schema.
    mapping: Vec<usize>,
    window: VecDeque<Vec<f64>>,
    since_verdict: u32,
    verdict: Option<FaultClass>,
}

impl Diagnosis {
    /// A classifier whose channels are all in `schema`.
    pub fn new(
        classifier: FaultClassifier,
        classes: &ChannelSchema,
        schema: &ChannelSchema,
    ) -> Result<Self, String> {
        let mapping = Self::mapping(classes, schema)?;
        Ok(Diagnosis {
            classifier,
            classes: classes.clone(),
            mapping,
            window: VecDeque::with_capacity(CLASSIFIER_WINDOW),
            since_verdict: CLASSIFY_EVERY,
            verdict: None,
        })
    }

    fn mapping(classes: &ChannelSchema, schema: &ChannelSchema) -> Result<Vec<usize>, String> {
        classes.mapping_from(schema).map_err(|e| match e {
            SchemaError::Missing(channel) => {
                format!("the fault classifier reads channel `{channel}`, which the model lacks")
            }
            other => format!("the fault classifier: {other}"),
        })
    }

    /// Whether every channel of the classifier is in `schema` (a model it can follow).
    pub fn check(&self, schema: &ChannelSchema) -> Result<(), String> {
        classifier_fits(&self.classes, schema)
    }

    /// Follows a new model's channel order. Its recent frames were in the old order, so they
    /// are dropped (a warm-up refills them) together with the verdict they gave.
    fn follow(&mut self, schema: &ChannelSchema) -> Result<(), String> {
        self.mapping = Self::mapping(&self.classes, schema)?;
        self.window.clear();
        self.since_verdict = CLASSIFY_EVERY;
        self.verdict = None;
        Ok(())
    }

    /// Frames in the classifier's window.
    #[cfg(test)]
    pub fn frames(&self) -> usize {
        self.window.len()
    }

    fn push(&mut self, frame: &[f64]) {
        if self.window.len() == CLASSIFIER_WINDOW {
            self.window.pop_front();
        }
        self.window.push_back(self.mapping.iter().map(|&j| frame[j]).collect());
    }

    /// The suspected fault while out of control; forgotten once back in control.
    fn suspect(&mut self, out_of_control: bool) -> Option<FaultClass> {
        if !out_of_control {
            self.verdict = None;
            self.since_verdict = CLASSIFY_EVERY;
            return None;
        }
        self.since_verdict += 1;
        if self.since_verdict >= CLASSIFY_EVERY {
            self.since_verdict = 0;
            let frames: Vec<f64> = self.window.iter().flatten().copied().collect();
            self.verdict = self
                .classifier
                .classify(&frames)
                .last()
                .map(|v| FaultClass { label: v.label.to_string(), confidence: v.confidence });
        }
        self.verdict.clone()
    }
}

/// Whether a classifier of channels `classes` can follow a model of channels `schema`.
pub(crate) fn classifier_fits(
    classes: &ChannelSchema,
    schema: &ChannelSchema,
) -> Result<(), String> {
    Diagnosis::mapping(classes, schema).map(|_| ())
}

/// The scoring state of one asset. Without a model, samples are journaled but not scored.
pub(crate) struct AssetRuntime {
    pub name: String,
    pub site: String,
    pub channels: Vec<ChannelConfig>,
    pub model: Option<ActiveModel>,
    pub last: Option<ScoreRecord>,
    /// Newest sample timestamp accepted into the journal, for ordering after a model change.
    pub last_ts: Option<Timestamp>,
    /// Fault classification, when a classifier is configured.
    pub diagnosis: Option<Diagnosis>,
    /// The suspected fault of the latest scored sample.
    pub suspect: Option<FaultClass>,
    /// The asset's silence limit (seconds; 0: off), where a channel does not set its own.
    pub silent_after_seconds: u64,
    /// When this process last journaled a sample of the asset (or started, before the first):
    /// how long the asset has been quiet, for an asset that stops sending altogether, which no
    /// frame and so no silence alarm can show.
    pub last_received: std::time::Instant,
    /// Per channel name, a silence limit instead of `silent_after_seconds`.
    pub channel_silent_after_seconds: std::collections::BTreeMap<String, u64>,
    /// The model channels silent at the latest scored sample (see `silence.rs`), in schema
    /// order: the alarm engine counts that sample as out of control and names them.
    pub silent: Vec<Contributor>,
}

pub(crate) struct ActiveModel {
    pub version: u32,
    pub kind: String,
    pub schema: ChannelSchema,
    framer: Framer,
    /// What the frames stage imputes before a channel has delivered a usable value.
    fallback: Vec<f64>,
    /// See [`AssetRuntime::memory`].
    memory: usize,
    monitor: Monitor,
    score: Score,
    silence: Silence,
    /// The channels silent at the latest frame.
    silent_at: Vec<Silent>,
}

/// The outcome of one sample.
pub(crate) enum Scored {
    /// Scored: the record to store and the score (for the alarm engine).
    Record(ScoreRecord),
    /// Accepted but not scored (no model yet, or a dynamic model warming up).
    Unscored,
}

impl AssetRuntime {
    pub fn new(name: String, site: String, channels: Vec<ChannelConfig>) -> Self {
        AssetRuntime {
            name,
            site,
            channels,
            model: None,
            last: None,
            last_ts: None,
            diagnosis: None,
            suspect: None,
            last_received: std::time::Instant::now(),
            silent_after_seconds: DEFAULT_SILENT_AFTER_SECONDS,
            channel_silent_after_seconds: Default::default(),
            silent: Vec::new(),
        }
    }

    /// Each schema channel's silence limit in seconds: its own, else the asset's. A channel
    /// limit for a name the model does not have is said once, at install, not ignored silently.
    fn silence_limits(&self, schema: &ChannelSchema) -> Vec<u64> {
        for name in self.channel_silent_after_seconds.keys() {
            if schema.position(name).is_none() {
                eprintln!(
                    "faultline: {}: channel_silent_after_seconds names `{name}`, which the active \
                     model does not read; its limit has no effect",
                    self.name
                );
            }
        }
        schema
            .names()
            .map(|name| {
                let own = self.channel_silent_after_seconds.get(name).copied();
                own.unwrap_or(self.silent_after_seconds)
            })
            .collect()
    }

    /// The longest silence limit of the active model's channels, in nanoseconds of data time
    /// (0 without a model or with every check off): how far back a warm-up must reach for the
    /// silence to be measured as an uninterrupted run would have it.
    pub fn longest_silence_ns(&self) -> i64 {
        self.model.as_ref().map_or(0, |active| active.silence.longest_limit_ns())
    }

    /// Checks that a model fits this asset: every model channel must be configured (when
    /// channels are configured at all), and the asset's fault classifier, when it has one, must
    /// find all its channels in the model's.
    pub fn check_model(&self, file: &ModelFile) -> Result<(), String> {
        file.parameters.check().map_err(|e| e.to_string())?;
        if let Some(diagnosis) = &self.diagnosis {
            diagnosis.check(&file.schema).map_err(|e| format!("asset `{}`: {e}", self.name))?;
        }
        if self.channels.is_empty() {
            return Ok(());
        }
        match file.schema.names().find(|n| !self.channels.iter().any(|c| c.name == *n)) {
            Some(missing) => Err(format!(
                "model channel `{missing}` is not configured for asset `{}`",
                self.name
            )),
            None => Ok(()),
        }
    }

    /// Makes `file` the scoring model (PCA, dynamic PCA or `default`). Frames continue after
    /// the newest journaled sample. The fault classifier follows the new model's channel order
    /// (a model that lacks one of its channels is refused before it gets here, by
    /// [`AssetRuntime::check_model`]; should one arrive anyway, classification stops with a
    /// line saying why rather than read the wrong channels).
    ///
    /// A `default` model's score carries its combined statistic split into the T² and SPE
    /// slots, both against its one limit (see `DefaultScorer`), so records, severity and alarm
    /// contributors need no second path.
    pub fn install(&mut self, version: u32, file: ModelFile) {
        let model = &file.parameters;
        // Impute with the training mean until a channel has delivered a usable value.
        let fallback = model.fallback();
        let memory = model.longest_frozen_limit().saturating_mul(2);
        let mut framer = Framer::new(file.schema.clone(), fallback.clone());
        if let Some(last) = self.last_ts {
            framer.resume_after(last);
        }
        let monitor = Monitor::for_model(model);
        let score = monitor.new_score();
        let silence = Silence::new(&self.silence_limits(&file.schema));
        self.silent.clear();
        if let Some(diagnosis) = &mut self.diagnosis
            && let Err(error) = diagnosis.follow(&file.schema)
        {
            eprintln!("faultline: {}: fault classification stops: {error}", self.name);
            self.diagnosis = None;
            self.suspect = None;
        }
        self.model = Some(ActiveModel {
            version,
            kind: file.kind.clone(),
            schema: file.schema,
            framer,
            fallback,
            memory,
            monitor,
            score,
            silence,
            silent_at: Vec::new(),
        });
    }

    /// Runs already-scored samples (oldest first) through the frames stage and the detector
    /// without emitting anything, so that the detector's memory (its EWMAs, the frozen-value
    /// check's runs, the values carried forward) is where an uninterrupted run would have left
    /// it; then frames continue after the newest journaled sample. Without it every restart
    /// started from a fresh state: an alarm on a persistent shift or a frozen sensor returned
    /// and was raised again once the memory had rebuilt. The channels' silence is measured
    /// again over the same samples (a channel silent through all of them counts from the
    /// first: the caller reaches back at least twice the longest silence limit), and the
    /// channels silent at the last of them are named at once.
    #[cfg(test)]
    pub fn warm<'a>(&mut self, samples: impl IntoIterator<Item = &'a Sample>) {
        self.warm_begin();
        for sample in samples {
            self.warm_with(sample);
        }
        self.warm_end();
    }

    /// [`AssetRuntime::warm`] in steps, for samples read in chunks: a fresh frames stage and
    /// silence first ...
    pub fn warm_begin(&mut self) {
        let Some(active) = &mut self.model else { return };
        active.framer = Framer::new(active.schema.clone(), active.fallback.clone());
        active.silence.reset();
    }

    /// ... then each sample, oldest first ...
    pub fn warm_with(&mut self, sample: &Sample) {
        let Some(active) = &mut self.model else { return };
        // A sample this model's frames stage refuses (only channels it does not know:
        // journaled for a later refit) was not scored before either; it warms nothing.
        if let Ok(framed) = active.framer.accept(sample) {
            let frame = &framed.frame;
            active.monitor.score_measured(&frame.values, &frame.measured, &mut active.score);
            active.silence.observe(frame.ts, &frame.measured, &mut active.silent_at);
            if let Some(diagnosis) = &mut self.diagnosis {
                diagnosis.push(&frame.values);
            }
        }
    }

    /// ... and last, frames continue after the newest journaled sample, and the channels silent
    /// at the last warmed one are named.
    pub fn warm_end(&mut self) {
        let Some(active) = &mut self.model else { return };
        if let Some(last) = self.last_ts {
            active.framer.resume_after(last);
        }
        self.silent = silent_contributors(&active.schema, &active.silent_at);
    }

    /// Frames of the past the active detector's state can depend on beyond its EWMAs: twice its
    /// longest frozen-value limit (0 without a model or without the check).
    pub fn memory(&self) -> usize {
        self.model.as_ref().map_or(0, |active| active.memory)
    }

    /// Rewinds the frames stage so that samples after `ts` are taken again: for scoring, at
    /// start, the journaled samples that a crash left unscored.
    pub fn rewind_to(&mut self, ts: Timestamp) {
        if let Some(active) = &mut self.model {
            active.framer.resume_after(ts);
        }
    }

    /// Whether the active model's frames stage would take the sample's channels (no model:
    /// any channels; they are journaled for a later model).
    pub fn check_channels(&self, sample: &Sample) -> Result<(), RejectReason> {
        let Some(active) = &self.model else { return Ok(()) };
        match active.framer.check_channels(sample) {
            // Channels configured for the asset but not in today's model are still journaled:
            // a refit from history may take them in.
            Err(RejectReason::UnknownChannel)
                if sample
                    .values
                    .iter()
                    .any(|v| self.channels.iter().any(|c| c.name == v.channel)) =>
            {
                Ok(())
            }
            checked => checked,
        }
    }

    /// Frames and scores one journaled sample. Ordering and quality problems come back as the
    /// reason to count; `unknown` receives the number of values for channels not in the schema.
    pub fn score(&mut self, sample: &Sample, unknown: &mut u32) -> Result<Scored, RejectReason> {
        if self.last_ts.is_none_or(|t| sample.ts > t) {
            self.last_ts = Some(sample.ts);
        }
        let Some(active) = &mut self.model else { return Ok(Scored::Unscored) };
        let framed = active.framer.accept(sample)?;
        *unknown = framed.unknown_channels;
        let frame = &framed.frame;
        active.monitor.score_measured(&frame.values, &frame.measured, &mut active.score);
        active.silence.observe(frame.ts, &frame.measured, &mut active.silent_at);
        self.silent = silent_contributors(&active.schema, &active.silent_at);
        let score = &active.score;
        if let Some(diagnosis) = &mut self.diagnosis {
            diagnosis.push(&framed.frame.values);
            self.suspect = if score.ready { diagnosis.suspect(score.alarm) } else { None };
        }
        if !score.ready {
            return Ok(Scored::Unscored);
        }
        let names: Vec<&str> = active.schema.names().collect();
        let (t2, spe) = (score.statistics[0].value, score.statistics[1].value);
        let record = ScoreRecord {
            asset: self.name.clone(),
            ts: framed.frame.ts,
            t2: saturated(t2),
            t2_limit: score.statistics[0].limit,
            spe: saturated(spe),
            spe_limit: score.statistics[1].limit,
            alarm: score.alarm || !t2.is_finite() || !spe.is_finite(),
            imputed: framed.frame.imputed,
            top: score
                .top_contributors(TOP_CONTRIBUTORS)
                .iter()
                .map(|c| Contributor {
                    channel: names[c.channel].to_string(),
                    value: saturated(c.value),
                })
                .collect(),
        };
        self.last = Some(record.clone());
        Ok(Scored::Record(record))
    }
}

/// The silent channels as contributors (name, multiples of its limit), in schema order; empty
/// (without allocating) when none is.
fn silent_contributors(schema: &ChannelSchema, silent: &[Silent]) -> Vec<Contributor> {
    if silent.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = schema.names().collect();
    silent
        .iter()
        .map(|s| Contributor { channel: names[s.channel].to_string(), value: saturated(s.limits) })
        .collect()
}

/// A finite value can still overflow a statistic (`1e200` squared is ∞, and ∞ − ∞ is NaN): the
/// frame is then as far out of control as a score can say, so its statistic or contribution is
/// the largest finite number (the store and JSON hold neither ∞ nor NaN) and it alarms.
fn saturated(value: f64) -> f64 {
    if value.is_finite() { value } else { f64::MAX }
}

/// How far out of control a score is: the larger statistic in multiples of its limit.
pub(crate) fn severity(record: &ScoreRecord) -> f64 {
    let ratio = |v: f64, l: f64| if l > 0.0 { v / l } else { 0.0 };
    saturated(ratio(record.t2, record.t2_limit).max(ratio(record.spe, record.spe_limit)))
}
