//! Alarms as operators see them (ISA-18.2 vocabulary). The lifecycle rules live in the `alarms`
//! crate; this is the data.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// ISA-18.2 alarm states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// Condition clear, nothing to do.
    Normal,
    /// Condition active, not yet acknowledged.
    UnackedActive,
    /// Condition active, acknowledged by an operator.
    AckedActive,
    /// Condition cleared before anyone acknowledged it.
    UnackedReturned,
    /// Hidden from operators by an operator, until an expiry.
    Shelved,
    /// Hidden by design logic (for example flood control or the asset being out of service).
    Suppressed,
}

impl AlarmState {
    /// Stable label used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Normal => "normal",
            AlarmState::UnackedActive => "unacked_active",
            AlarmState::AckedActive => "acked_active",
            AlarmState::UnackedReturned => "unacked_returned",
            AlarmState::Shelved => "shelved",
            AlarmState::Suppressed => "suppressed",
        }
    }
}

/// How urgent an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Informational.
    Low,
    /// Act within the shift.
    Medium,
    /// Act now.
    High,
}

/// A channel named as a contributor, with its contribution (in multiples of the limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributor {
    /// Channel name.
    pub channel: String,
    /// Contribution.
    pub value: f64,
}

/// A suspected fault class with the classifier's confidence (0..1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultClass {
    /// Class label.
    pub label: String,
    /// Confidence in 0..=1.
    pub confidence: f64,
}

/// One alarm: a period in which an asset's monitor was out of control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// Unique, increasing id.
    pub id: u64,
    /// Asset name.
    pub asset: String,
    /// Current state.
    pub state: AlarmState,
    /// Priority.
    pub priority: Priority,
    /// When the condition became active (data time).
    pub raised_at: Timestamp,
    /// When the condition cleared, if it did.
    pub cleared_at: Option<Timestamp>,
    /// The channels that moved most, largest first, from the sample that raised the alarm.
    pub contributors: Vec<Contributor>,
    /// The suspected fault, when a classifier model is present.
    pub fault_class: Option<FaultClass>,
    /// Peak combined statistic (multiples of the limit) while active.
    pub peak: f64,
    /// While shelved: when the shelf expires (data time). Absent in alarms logged before the
    /// field existed; such a shelf expires at the engine's first tick after a restart.
    #[serde(default)]
    pub shelved_until: Option<Timestamp>,
    /// What the alarm is about: the process (the detector's statistics) or the silence of
    /// channels the detector can no longer see. `process` is left out of the JSON, so alarms
    /// logged before the field existed read and write unchanged.
    #[serde(default, skip_serializing_if = "AlarmKind::is_process")]
    pub kind: AlarmKind,
}

/// What an alarm is about. Each asset has one alarm condition per kind, so a silent sensor
/// (a diagnostic alarm, in ISA-18.2 terms) never holds back or hides a process alarm.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// The detector's statistics are out of control.
    #[default]
    Process,
    /// Model channels have delivered no measured value for longer than their limit: the
    /// detector is scoring their last values carried forward. Its contributors are those
    /// channels, each with how many limits it has been silent.
    Silence,
}

impl AlarmKind {
    /// Stable label used in the API and the log (`process`, `silence`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmKind::Process => "process",
            AlarmKind::Silence => "silence",
        }
    }

    /// Whether this is the process kind (the default, left out of the JSON).
    pub fn is_process(&self) -> bool {
        *self == AlarmKind::Process
    }
}
