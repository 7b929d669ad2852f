//! The API's JSON shapes (requests, responses, SSE payloads) and their conversions from engine
//! types. Engine types are never serialised as they are: what a client sees is defined here,
//! so the engine can change its internals without changing the API.
//!
//! Conventions: names are snake_case; every time is given twice, as RFC 3339 in UTC (`ts`) and
//! as integer epoch nanoseconds (`ts_ns`); a control limit that does not exist yet (a detector
//! warming up) is `null`, never a number.

use std::collections::BTreeMap;

use faultline_pipeline::{AssetStatus, IngestReport, LiveEvent, MetricsSnapshot};
use faultline_store::{Event, ModelVersion, ScoreRecord, Signature, StoredSample, TrainingSummary};
use faultline_types::{Alarm, AlarmState, Contributor, Priority, Quality, RejectReason, Timestamp};
use serde::{Deserialize, Serialize};

use crate::times::rfc3339;

/// The body of every error response.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// Stable code: `invalid`, `unauthorized`, `not_found`, `method_not_allowed`, `conflict`,
    /// `too_large`, `stopping`, `store` or `internal`.
    pub error: &'static str,
    /// One line saying what was wrong.
    pub detail: String,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthDto {
    /// Always `ok` while the server answers.
    pub status: &'static str,
}

/// A channel of an asset.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelDto {
    /// Name as in ingest payloads.
    pub name: String,
    /// Engineering unit, when configured.
    pub unit: Option<String>,
    /// Lower engineering limit, when configured.
    pub low: Option<f64>,
    /// Upper engineering limit, when configured.
    pub high: Option<f64>,
}

/// The model that scores an asset.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveModelDto {
    /// Registry version.
    pub version: u32,
    /// Detector kind (`pca`, `dpca`).
    pub kind: String,
}

/// An asset with its live state (`GET /api/v1/assets`).
#[derive(Debug, Clone, Serialize)]
pub struct AssetDto {
    /// Asset name.
    pub name: String,
    /// Site.
    pub site: String,
    /// `no_model` (samples are stored, not scored), `waiting` (no score yet), `alarm` (an
    /// alarm is open), `out_of_control` (the latest score is out of control, no alarm yet) or
    /// `normal`.
    pub state: &'static str,
    /// Channels (configured ones, or the model's when none are configured).
    pub channels: Vec<ChannelDto>,
    /// Active model, if any.
    pub model: Option<ActiveModelDto>,
    /// Latest score, if any.
    pub last_score: Option<ScoreDto>,
    /// Model channels silent at the latest score: no measured value for longer than their
    /// `silent_after_seconds` (the detector reads their last value carried forward).
    pub silent_channels: Vec<String>,
    /// Alarms not in state `normal`.
    pub open_alarms: usize,
    /// Seconds since this server last journaled a sample of the asset (since it started, before
    /// the first): an asset that stops sending altogether shows here.
    pub seconds_since_last_sample: f64,
}

impl From<AssetStatus> for AssetDto {
    fn from(status: AssetStatus) -> Self {
        let state = match (&status.model, &status.last_score) {
            (None, _) => "no_model",
            _ if status.open_alarms > 0 => "alarm",
            (Some(_), None) => "waiting",
            (Some(_), Some(score)) if score.alarm => "out_of_control",
            (Some(_), Some(_)) => "normal",
        };
        AssetDto {
            name: status.name,
            site: status.site,
            state,
            channels: status
                .channels
                .into_iter()
                .map(|c| ChannelDto { name: c.name, unit: c.unit, low: c.low, high: c.high })
                .collect(),
            model: status.model.map(|(version, kind)| ActiveModelDto { version, kind }),
            last_score: status.last_score.as_ref().map(ScoreDto::from),
            silent_channels: status.silent_channels,
            open_alarms: status.open_alarms,
            seconds_since_last_sample: status.last_received.elapsed().as_secs_f64(),
        }
    }
}

/// A channel named as a contributor, with its contribution.
#[derive(Debug, Clone, Serialize)]
pub struct ContributorDto {
    /// Channel name.
    pub channel: String,
    /// Contribution (share of the statistic; larger moved more).
    pub value: f64,
}

impl From<&Contributor> for ContributorDto {
    fn from(c: &Contributor) -> Self {
        ContributorDto { channel: c.channel.clone(), value: c.value }
    }
}

/// One scored frame.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreDto {
    /// The frame's time (data time), RFC 3339.
    pub ts: String,
    /// The same, epoch nanoseconds.
    pub ts_ns: i64,
    /// Hotelling's T².
    pub t2: f64,
    /// T² control limit; `null` while the detector has none.
    pub t2_limit: Option<f64>,
    /// Squared prediction error.
    pub spe: f64,
    /// SPE control limit; `null` while the detector has none.
    pub spe_limit: Option<f64>,
    /// The detector's verdict: out of control.
    pub alarm: bool,
    /// Values of the frame that were imputed (quality bad or missing).
    pub imputed: u32,
    /// Channels that contributed most, largest first.
    pub top: Vec<ContributorDto>,
}

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

impl From<&ScoreRecord> for ScoreDto {
    fn from(r: &ScoreRecord) -> Self {
        ScoreDto {
            ts: rfc3339(r.ts),
            ts_ns: r.ts.as_nanos(),
            t2: r.t2,
            t2_limit: finite(r.t2_limit),
            spe: r.spe,
            spe_limit: finite(r.spe_limit),
            alarm: r.alarm,
            imputed: r.imputed,
            top: r.top.iter().map(ContributorDto::from).collect(),
        }
    }
}

/// `GET /api/v1/assets/{asset}/scores`.
#[derive(Debug, Clone, Serialize)]
pub struct ScoresPage {
    /// Asset name.
    pub asset: String,
    /// Scores, oldest first.
    pub scores: Vec<ScoreDto>,
    /// For a range query whose page is full: the `from` of the next page; else `null`.
    pub next_from: Option<i64>,
}

/// One stored sample, in the shape of an ingest element (without `asset`).
#[derive(Debug, Clone, Serialize)]
pub struct SampleDto {
    /// Journal sequence number.
    pub seq: u64,
    /// Sample time, RFC 3339.
    pub ts: String,
    /// The same, epoch nanoseconds.
    pub ts_ns: i64,
    /// Channel values.
    pub values: BTreeMap<String, f64>,
    /// Qualities other than `good`, by channel.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub quality: BTreeMap<String, &'static str>,
    /// Context (lot, recipe, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
}

impl From<StoredSample> for SampleDto {
    fn from(stored: StoredSample) -> Self {
        let sample = stored.sample;
        let quality = sample
            .values
            .iter()
            .filter(|v| v.quality != Quality::Good)
            .map(|v| (v.channel.clone(), v.quality.as_str()))
            .collect();
        SampleDto {
            seq: stored.seq,
            ts: rfc3339(sample.ts),
            ts_ns: sample.ts.as_nanos(),
            values: sample.values.into_iter().map(|v| (v.channel, v.value)).collect(),
            quality,
            context: sample.context.into_iter().collect(),
        }
    }
}

/// `GET /api/v1/assets/{asset}/history`.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPage {
    /// Asset name.
    pub asset: String,
    /// The range searched, `from` (inclusive), epoch nanoseconds.
    pub from_ns: i64,
    /// The range searched, `to` (exclusive), epoch nanoseconds.
    pub to_ns: i64,
    /// Samples, oldest first.
    pub samples: Vec<SampleDto>,
    /// When the page is full: the `from` of the next page; else `null`.
    pub next_from: Option<i64>,
}

/// A suspected fault class.
#[derive(Debug, Clone, Serialize)]
pub struct FaultClassDto {
    /// Class label.
    pub label: String,
    /// Confidence in 0..=1.
    pub confidence: f64,
}

/// An alarm.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmDto {
    /// Alarm id.
    pub id: u64,
    /// Asset name.
    pub asset: String,
    /// ISA-18.2 state: `normal`, `unacked_active`, `acked_active`, `unacked_returned`,
    /// `shelved` or `suppressed`.
    pub state: &'static str,
    /// `low`, `medium` or `high`.
    pub priority: &'static str,
    /// When the condition became active (data time), RFC 3339.
    pub raised_at: String,
    /// The same, epoch nanoseconds.
    pub raised_at_ns: i64,
    /// When the condition cleared, if it did.
    pub cleared_at: Option<String>,
    /// The same, epoch nanoseconds.
    pub cleared_at_ns: Option<i64>,
    /// While shelved: when the shelf expires (data time), RFC 3339.
    pub shelved_until: Option<String>,
    /// The same, epoch nanoseconds.
    pub shelved_until_ns: Option<i64>,
    /// Peak severity (multiples of the control limit).
    pub peak: f64,
    /// Channels that moved most, largest first.
    pub contributors: Vec<ContributorDto>,
    /// Suspected fault class, when a classifier is present.
    pub fault_class: Option<FaultClassDto>,
    /// `process` (the detector's statistics) or `silence` (model channels that delivered no
    /// measured value for longer than their limit; its contributors are those channels, each
    /// with how many limits it has been silent). Each asset has one condition per kind.
    pub kind: &'static str,
}

pub(crate) fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
    }
}

impl From<&Alarm> for AlarmDto {
    fn from(a: &Alarm) -> Self {
        AlarmDto {
            id: a.id,
            asset: a.asset.clone(),
            state: a.state.as_str(),
            priority: priority_label(a.priority),
            raised_at: rfc3339(a.raised_at),
            raised_at_ns: a.raised_at.as_nanos(),
            cleared_at: a.cleared_at.map(rfc3339),
            cleared_at_ns: a.cleared_at.map(Timestamp::as_nanos),
            shelved_until: a.shelved_until.map(rfc3339),
            shelved_until_ns: a.shelved_until.map(Timestamp::as_nanos),
            peak: a.peak,
            contributors: a.contributors.iter().map(ContributorDto::from).collect(),
            fault_class: a
                .fault_class
                .as_ref()
                .map(|f| FaultClassDto { label: f.label.clone(), confidence: f.confidence }),
            kind: a.kind.as_str(),
        }
    }
}

/// An alarm change on the SSE stream (event `alarm`).
#[derive(Debug, Clone, Serialize)]
pub struct AlarmChangeDto {
    /// What happened: `raise`, `ack`, `return`, `shelve`, `unshelve`, `shelve_expired`,
    /// `suppress`, `release`, `update`.
    pub action: String,
    /// State before.
    pub from: &'static str,
    /// State after.
    pub to: &'static str,
    /// The alarm after the change.
    pub alarm: AlarmDto,
}

/// A score on the SSE stream (event `score`).
#[derive(Debug, Clone, Serialize)]
pub struct ScoreEventDto {
    /// Asset name.
    pub asset: String,
    /// The score.
    #[serde(flatten)]
    pub score: ScoreDto,
}

/// A live event as the SSE stream sends it: its event name and JSON data.
pub(crate) enum LiveDto {
    Score(ScoreEventDto),
    Alarm(AlarmChangeDto),
}

impl LiveDto {
    pub(crate) fn asset(&self) -> &str {
        match self {
            LiveDto::Score(s) => &s.asset,
            LiveDto::Alarm(a) => &a.alarm.asset,
        }
    }
}

impl From<&LiveEvent> for LiveDto {
    fn from(event: &LiveEvent) -> Self {
        match event {
            LiveEvent::Score(record) => {
                LiveDto::Score(ScoreEventDto { asset: record.asset.clone(), score: record.into() })
            }
            LiveEvent::Alarm { alarm, from, to, action } => LiveDto::Alarm(AlarmChangeDto {
                action: action.clone(),
                from: from.as_str(),
                to: to.as_str(),
                alarm: alarm.into(),
            }),
        }
    }
}

/// A model version in the registry.
#[derive(Debug, Clone, Serialize)]
pub struct ModelDto {
    /// Asset name.
    pub asset: String,
    /// Version number, 1, 2, … per asset.
    pub version: u32,
    /// Detector kind.
    pub kind: String,
    /// SHA-256 of the model file, lower-case hex.
    pub sha256: String,
    /// Size of the model file in bytes.
    pub size: u64,
    /// Upload time, RFC 3339.
    pub created_at: String,
    /// The same, epoch nanoseconds.
    pub created_at_ns: i64,
    /// Whether this version scores the asset.
    pub active: bool,
    /// The electronic signature of the activation that made this version active (`null` when
    /// it was never activated by a person, e.g. from the configuration file).
    pub signature: Option<SignatureDto>,
    /// How the model was trained, from its file (in the model list).
    pub training: Option<TrainingDto>,
}

/// A model file's training summary.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingDto {
    /// Training files, as given.
    pub inputs: Vec<String>,
    /// Training rows read.
    pub rows: usize,
    /// The time column, when one was used.
    pub time_column: Option<String>,
    /// Columns left out on request.
    pub excluded: Vec<String>,
    /// Share of training rows the model alarms on, in %.
    pub training_alarm_rate: f64,
    /// The faultline version that fitted it.
    pub faultline_version: String,
}

impl From<TrainingSummary> for TrainingDto {
    fn from(t: TrainingSummary) -> Self {
        TrainingDto {
            inputs: t.inputs,
            rows: t.rows,
            time_column: t.time_column,
            excluded: t.excluded,
            training_alarm_rate: t.training_alarm_rate,
            faultline_version: t.faultline_version,
        }
    }
}

/// An electronic signature as shown with a record: who signed, when, and what it means.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureDto {
    /// The signer's user name.
    pub signer: String,
    /// When, RFC 3339.
    pub signed_at: String,
    /// The same, epoch nanoseconds.
    pub signed_at_ns: i64,
    /// What the signature means (`approved`, …).
    pub meaning: String,
}

impl From<Signature> for SignatureDto {
    fn from(s: Signature) -> Self {
        SignatureDto {
            signed_at: rfc3339(s.signed_at),
            signed_at_ns: s.signed_at.as_nanos(),
            signer: s.signer,
            meaning: s.meaning,
        }
    }
}

impl From<ModelVersion> for ModelDto {
    fn from(m: ModelVersion) -> Self {
        ModelDto {
            created_at: rfc3339(m.created_at),
            created_at_ns: m.created_at.as_nanos(),
            asset: m.asset,
            version: m.version,
            kind: m.kind,
            sha256: m.sha256,
            size: m.size,
            active: m.active,
            signature: m.activation.map(SignatureDto::from),
            training: None,
        }
    }
}

/// One audit record.
#[derive(Debug, Clone, Serialize)]
pub struct EventDto {
    /// Event id (increasing).
    pub id: u64,
    /// When, RFC 3339 (wall clock).
    pub at: String,
    /// The same, epoch nanoseconds.
    pub at_ns: i64,
    /// Who: a user name, `<user>/token-<id>` for an API token, `admin-token`, or a component
    /// (`engine`, `config`, `system`, `cli`).
    pub actor: String,
    /// What kind of change (`alarm.ack`, `model.upload`, `model.activate`, `token.create`, …).
    pub action: String,
    /// What was changed (`alarm/17`, an asset name, a setting).
    pub target: String,
    /// Value before.
    pub old_value: Option<String>,
    /// Value after.
    pub new_value: Option<String>,
    /// The reason given (the comment).
    pub reason: Option<String>,
    /// The electronic signature given with the change, if any.
    pub signature: Option<SignatureDto>,
}

impl From<(u64, Event)> for EventDto {
    fn from((id, e): (u64, Event)) -> Self {
        EventDto {
            id,
            at: rfc3339(e.at),
            at_ns: e.at.as_nanos(),
            actor: e.actor,
            action: e.action,
            target: e.target,
            old_value: e.old_value,
            new_value: e.new_value,
            reason: e.reason,
            signature: e.signature.map(SignatureDto::from),
        }
    }
}

/// `POST /api/v1/ingest`: what happened to the batch. Sent only after the accepted samples
/// are durable.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReportDto {
    /// Samples stored.
    pub accepted: usize,
    /// Samples rejected, in all.
    pub rejected_total: usize,
    /// Rejected samples by reason (reasons with none are left out).
    pub rejected: BTreeMap<&'static str, usize>,
}

impl From<IngestReport> for IngestReportDto {
    fn from(report: IngestReport) -> Self {
        IngestReportDto {
            accepted: report.accepted,
            rejected_total: report.rejected.values().sum(),
            rejected: report.rejected.into_iter().map(|(r, n)| (r.as_str(), n)).collect(),
        }
    }
}

/// `GET /api/v1/rejects`: rejection counters since start.
#[derive(Debug, Clone, Serialize)]
pub struct RejectsDto {
    /// Samples received from every source.
    pub received: u64,
    /// Samples rejected or dropped, in all.
    pub total: u64,
    /// Count by reason; every reason is listed.
    pub by_reason: BTreeMap<&'static str, u64>,
}

impl From<&MetricsSnapshot> for RejectsDto {
    fn from(m: &MetricsSnapshot) -> Self {
        let by_reason: BTreeMap<&'static str, u64> = RejectReason::ALL
            .iter()
            .map(|r| (r.as_str(), 0))
            .chain(m.rejects.iter().map(|(r, n)| (r.as_str(), *n)))
            .collect();
        RejectsDto { received: m.received, total: by_reason.values().sum(), by_reason }
    }
}

/// Body of `ack`, `unshelve` and `activate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Why (required, not blank): goes to the audit trail.
    pub comment: String,
}

/// Body of `shelve`: a comment and exactly one of `until` and `minutes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShelveBody {
    /// Why (required, not blank).
    pub comment: String,
    /// Shelve until this time (RFC 3339 with offset, in the future).
    #[serde(default)]
    pub until: Option<String>,
    /// Shelve for this many minutes from now.
    #[serde(default)]
    pub minutes: Option<u64>,
}

/// Query of the score and history routes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// Inclusive start: RFC 3339 or epoch nanoseconds.
    pub from: Option<String>,
    /// Exclusive end: RFC 3339 or epoch nanoseconds.
    pub to: Option<String>,
    /// Most rows to return.
    pub limit: Option<usize>,
}

/// Query of `GET /api/v1/alarms`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsQuery {
    /// Only this asset.
    pub asset: Option<String>,
    /// Comma-separated states, or `open` for every state but `normal`.
    pub state: Option<String>,
    /// Most alarms to return (newest first).
    pub limit: Option<usize>,
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Most events to return.
    pub limit: Option<usize>,
    /// Only events with a larger id (the oldest `limit` of them).
    pub after: Option<u64>,
    /// Only events with a smaller id (the newest `limit` of them).
    pub before: Option<u64>,
}

/// Query of `GET /api/v1/models`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsQuery {
    /// Only this asset.
    pub asset: Option<String>,
}

/// Query of `POST /api/v1/models` (the body is the model file).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Asset the model is for.
    pub asset: Option<String>,
    /// Why (required, not blank).
    pub comment: Option<String>,
}

/// `POST /api/v1/models/{asset}/refit`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefitBody {
    /// Start of the window of new normal operation (inclusive): RFC 3339 or epoch ns.
    pub from: serde_json::Value,
    /// End of the window (exclusive).
    pub to: serde_json::Value,
    /// `default` or `pca` (default: the active model's kind when it is one of these, else
    /// `default`).
    #[serde(default)]
    pub method: Option<String>,
    /// Why this window is the new normal (required), e.g. "after the chamber clean of 3 May".
    pub comment: String,
}

/// The answer to a refit: the registered (not activated) version and the rows it was fitted on.
#[derive(Debug, Clone, Serialize)]
pub struct RefitDto {
    /// The new version (inactive until activated with a signature).
    pub model: ModelDto,
    /// Complete rows the model was fitted on.
    pub rows: usize,
    /// Samples of the window left out because a channel was missing or unusable.
    pub incomplete: usize,
    /// Samples of the window the framer refused (duplicate or older timestamps, …).
    pub rejected: usize,
}

/// Query of `GET /api/v1/stream`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Only this asset's events.
    pub asset: Option<String>,
}

/// Parses the `state` filter of the alarm list.
pub(crate) fn parse_states(text: &str) -> Result<Vec<AlarmState>, String> {
    const ALL: [AlarmState; 6] = [
        AlarmState::Normal,
        AlarmState::UnackedActive,
        AlarmState::AckedActive,
        AlarmState::UnackedReturned,
        AlarmState::Shelved,
        AlarmState::Suppressed,
    ];
    let mut states = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "open" {
            states.extend(ALL.iter().copied().filter(|s| *s != AlarmState::Normal));
            continue;
        }
        let state = ALL.iter().copied().find(|s| s.as_str() == part).ok_or_else(|| {
            let labels: Vec<&str> = ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown alarm state {part:?}: expected open or {}", labels.join(", "))
        })?;
        states.push(state);
    }
    states.sort_by_key(|s| s.as_str());
    states.dedup();
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filter_accepts_labels_lists_and_open() {
        assert_eq!(parse_states("acked_active").unwrap(), vec![AlarmState::AckedActive]);
        let open = parse_states("open").unwrap();
        assert_eq!(open.len(), 5);
        assert!(!open.contains(&AlarmState::Normal));
        assert_eq!(parse_states("normal, shelved,normal").unwrap().len(), 2);
        assert!(parse_states("").unwrap().is_empty());
        let err = parse_states("acked").unwrap_err();
        assert!(err.contains("\"acked\"") && err.contains("unacked_active"), "{err}");
    }

    #[test]
    fn infinite_limits_become_null() {
        let record = ScoreRecord {
            asset: "a".into(),
            ts: Timestamp::from_nanos(0),
            t2: 1.0,
            t2_limit: f64::INFINITY,
            spe: 2.0,
            spe_limit: 3.0,
            alarm: false,
            imputed: 0,
            top: vec![],
        };
        let json = serde_json::to_value(ScoreDto::from(&record)).unwrap();
        assert!(json["t2_limit"].is_null());
        assert_eq!(json["spe_limit"], 3.0);
        assert_eq!(json["ts"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_list_every_reason() {
        let snapshot = MetricsSnapshot {
            received: 9,
            rejects: vec![(RejectReason::NonFinite, 2), (RejectReason::Duplicate, 1)],
            ..MetricsSnapshot::default()
        };
        let dto = RejectsDto::from(&snapshot);
        assert_eq!(dto.by_reason.len(), RejectReason::ALL.len());
        assert_eq!(dto.by_reason["non_finite"], 2);
        assert_eq!(dto.total, 3);
    }
}

/// `POST /api/v1/login`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The answer to a login: who is logged in, as what, until when.
#[derive(Debug, Clone, Serialize)]
pub struct LoginDto {
    /// User name.
    pub username: String,
    /// Role.
    pub role: &'static str,
    /// Absolute end of the session, RFC 3339 (it ends earlier after the idle timeout).
    pub expires_at: String,
    /// The same, epoch nanoseconds.
    pub expires_at_ns: i64,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize)]
pub struct MeDto {
    /// User name (`admin-token` for the break-glass token).
    pub username: String,
    /// Role.
    pub role: &'static str,
    /// The role's permissions, from the policy table.
    pub permissions: Vec<&'static str>,
}

/// A user account (never its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserDto {
    /// User name.
    pub username: String,
    /// Role.
    pub role: String,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// The same, epoch nanoseconds.
    pub created_at_ns: i64,
}

impl From<faultline_store::User> for UserDto {
    fn from(u: faultline_store::User) -> Self {
        UserDto {
            created_at: rfc3339(u.created_at),
            created_at_ns: u.created_at.as_nanos(),
            username: u.name,
            role: u.role,
            disabled: u.disabled,
        }
    }
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// User name.
    pub username: String,
    /// Role name.
    pub role: String,
    /// Initial password (checked against the password rules).
    pub password: String,
}

/// `POST /api/v1/users/{username}/role`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// New role name.
    pub role: String,
    /// Why (required).
    pub comment: String,
}

/// `POST /api/v1/users/{username}/disable` and `POST /api/v1/tokens/{id}/revoke` (the body
/// is optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionalCommentBody {
    /// Why.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /api/v1/me/password`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeBody {
    /// The password in use: proves that the person at the keyboard owns the session.
    pub current_password: String,
    /// The new password (checked against the password rules).
    pub new_password: String,
}

/// `POST /api/v1/users/{username}/password`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// The new password (checked against the password rules); tell the user out of band.
    pub password: String,
    /// Why (required), e.g. the ticket of the reset request.
    pub comment: String,
}

/// An API token as listed: never its value, which nobody has but its holder.
#[derive(Debug, Clone, Serialize)]
pub struct TokenDto {
    /// Token id (audit actors name it `<user>/token-<id>`).
    pub id: u64,
    /// The user it acts for.
    pub username: String,
    /// The role it acts with.
    pub role: String,
    /// What it is for.
    pub label: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// When it stops working, RFC 3339 (`null`: never).
    pub expires_at: Option<String>,
    /// Revoked: by an administrator, or because its user was disabled or lost the role.
    pub revoked: bool,
    /// When it last authenticated a request, RFC 3339, to the minute (`null`: never).
    pub last_used_at: Option<String>,
}

impl From<faultline_store::ApiToken> for TokenDto {
    fn from(t: faultline_store::ApiToken) -> Self {
        TokenDto {
            id: t.id,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            username: t.username,
            role: t.role,
            label: t.label,
            revoked: t.revoked,
            last_used_at: t.last_used.map(rfc3339),
        }
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// The user the token acts for (default: the caller).
    #[serde(default)]
    pub username: Option<String>,
    /// The role it acts with (default and maximum: the user's role).
    #[serde(default)]
    pub role: Option<String>,
    /// What it is for, e.g. `prometheus`.
    pub label: String,
    /// Days until it stops working (default: never).
    #[serde(default)]
    pub expires_days: Option<u32>,
}

/// A new API token: the plain value, shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct NewTokenDto {
    /// Token id.
    pub id: u64,
    /// The token: send it as `Authorization: Bearer <token>`. Not stored; not shown again.
    pub token: String,
    /// The user it acts for.
    pub username: String,
    /// The role it acts with.
    pub role: String,
    /// What it is for.
    pub label: String,
    /// When it stops working, RFC 3339 (`null`: never).
    pub expires_at: Option<String>,
}

/// `POST /api/v1/models/{asset}/{version}/activate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// Why (required).
    pub comment: String,
    /// The signer's electronic signature.
    pub signature: SignatureBody,
}

/// The signature part of an activation: the signer re-enters their password and states what
/// the signature means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// The signer's password, re-entered.
    pub password: String,
    /// What the signature means, e.g. `approved`.
    pub meaning: String,
}

/// `GET /api/v1/audit` query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Most records (1..=1000, default 100).
    pub limit: Option<usize>,
    /// Only records with a smaller id.
    pub before: Option<u64>,
}

/// `GET /api/v1/audit/verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyDto {
    /// Whether the whole trail is intact.
    pub ok: bool,
    /// Records verified before the first bad one (all when intact).
    pub records: u64,
    /// The first bad record's id.
    pub first_bad: Option<u64>,
    /// What is wrong.
    pub detail: Option<String>,
}
