//! Alarm lifecycle (ISA-18.2): persistence, deadband, delays, acknowledge, shelve, suppress, flood control. No IO, no clock.
//!
//! [`AlarmEngine`] turns each asset's stream of scored samples ([`Observation`]) and the
//! operators' actions into [`AlarmUpdate`]s: every change of every alarm, with the state before
//! and after and the action that caused it. The caller (the pipeline) writes each update to the
//! audit and alarm logs and publishes it; the engine itself keeps only the open alarms.
//!
//! **Architecture Invariant:** no IO and no clock. Data time arrives with every call (the
//! sample's timestamp, the operator action's `at`, `tick`'s `now`), all maps are ordered, so the
//! same calls give the same updates, live or in a replay. Nothing here panics on data.
//!
//! # The alarm condition (per asset)
//! - **Raise** when at least `persistence_n` of the last `persistence_m` samples are out of
//!   control (default 3 of 5), that filter has held for `on_delay_ns` of data time (default 0),
//!   and the raising sample is itself out of control.
//! - **Return** after `clear_after` consecutive clear samples (default 5), held for
//!   `off_delay_ns` (default 0). While the condition is active a sample is clear only when it is
//!   in control *and* its severity is below `1 - deadband` (default 0.1): the deadband is the
//!   hysteresis that stops a process hovering at its limit from chattering. A NaN severity is
//!   never clear.
//! - Severity is the largest statistic over its control limit. An alarm's `peak` is its largest
//!   severity; its contributors (and fault class, when the sample has one) are those of the
//!   sample that set the peak, starting with the raising sample. A new peak while the condition
//!   is active is an `update`. Priority follows the peak and only rises: `High` at or above
//!   `high_priority_severity` (default 3.0), `Medium` from 1.5, else `Low`.
//! - **Kinds.** Each asset has one condition per [`AlarmKind`](faultline_types::AlarmKind)
//!   ([`Observation::kind`]): `process` (the detector's verdict) and `silence` (the pipeline's
//!   count of model channels that have stopped delivering measured values: severity the number
//!   of silent channels, contributors those channels). A silence alarm is at least `Medium`
//!   priority. The conditions are independent, so a sensor that stays dead never holds the
//!   process alarm active or hides a process fault behind an acknowledged alarm.
//!
//! # The alarm (ISA-18.2 states)
//! One open alarm per asset and kind at a time. A raise with no open alarm creates a new alarm with the
//! next id (ids are unique and increasing); a raise while the asset's alarm is unacked-returned
//! re-alarms that same alarm; the condition moving while the alarm is shelved changes only its
//! `cleared_at` (an `update`). An alarm that reaches `Normal` is closed: it leaves the engine
//! (the update carries its final record) and its id is never reused.
//!
//! | from | action | condition | to |
//! |---|---|---|---|
//! | Normal | `raise` | | UnackedActive |
//! | Normal | `suppress` (flood) | | Suppressed |
//! | UnackedActive | `ack` | | AckedActive |
//! | UnackedActive | `return` | | UnackedReturned |
//! | AckedActive | `return` | | Normal |
//! | UnackedReturned | `ack` | | Normal |
//! | UnackedReturned | `raise` (re-alarm) | | UnackedActive |
//! | UnackedActive, AckedActive, UnackedReturned | `shelve` | | Shelved |
//! | Shelved | `unshelve`, `shelve_expired` | active | UnackedActive |
//! | Shelved | `unshelve`, `shelve_expired` | clear | Normal |
//! | Suppressed | `return` | | Normal |
//! | Suppressed | `release` (flood over) | active | UnackedActive |
//! | UnackedActive, AckedActive, Shelved, Suppressed | `update` | | same state |
//!
//! Everything else is illegal: [`is_legal`] answers from this table and the engine moves only
//! through it. An operator action that the table refuses (ack of a `Normal` or already acked
//! alarm, shelve of a `Normal`, shelved or suppressed alarm, unshelve of an alarm that is not
//! shelved, ack of a shelved or suppressed alarm) returns [`AlarmError::IllegalTransition`];
//! an id that is not open but below [`AlarmEngine::next_id`] has closed, so it is reported as
//! `Normal`; a larger id is [`AlarmError::UnknownAlarm`]. A shelve's `until` must be after its
//! `at` ([`AlarmError::ShelveInPast`]). A refused action changes nothing.
//!
//! # Flood control
//! At most `flood_per_asset` alarms per asset and `flood_per_site` per site are annunciated in
//! any sliding window of `flood_window_ns` (defaults 5, 20, 10 minutes). A new alarm beyond
//! either limit is raised directly as `Suppressed` (action `suppress`). It goes to `Normal` when
//! its condition clears, or is released (`release`, to `UnackedActive`) at its next active sample
//! once the windows have room again: suppression pauses annunciation, it does not hide a fault
//! for as long as it lasts. Only annunciated alarms (raises and releases) count, and re-alarms of
//! an open alarm neither count nor get suppressed.
//!
//! # Time and restarts
//! `tick(now)` expires shelves whose deadline is at or before `now` (the pipeline calls it once
//! a second with the wall clock); the flood windows run on data time and are pruned as raises
//! are judged. [`AlarmEngine::restore`] reloads the
//! open alarms after a restart; because [`Alarm`](faultline_types::Alarm) does not carry a
//! shelf deadline, a restored shelf expires at the first `tick`.
//!
//! Layout: `config.rs` ([`AlarmConfig`]), `condition.rs` (the per-asset filters),
//! `transitions.rs` (the table), `flood.rs`, `engine.rs` ([`AlarmEngine`]), `error.rs`.
#![deny(missing_docs)]

mod condition;
mod config;
mod engine;
mod error;
mod flood;
mod transitions;

pub use config::{AlarmConfig, MEDIUM_PRIORITY_SEVERITY};
pub use engine::{AlarmEngine, AlarmUpdate, Observation};
pub use error::AlarmError;
pub use transitions::is_legal;

#[cfg(test)]
mod tests;
