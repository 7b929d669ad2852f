//! `AlarmEngine`: the alarm lifecycle of every asset. Scored samples come in through
//! [`AlarmEngine::observe`], operator actions through `acknowledge`, `shelve` and `unshelve`,
//! the passing of time through `tick`; each returns the [`AlarmUpdate`]s to log and publish.

use std::collections::BTreeMap;

use faultline_types::{Alarm, AlarmKind, AlarmState, Contributor, FaultClass, Priority, Timestamp};

use crate::condition::{Condition, Edge};
use crate::config::MEDIUM_PRIORITY_SEVERITY;
use crate::flood::Flood;
use crate::transitions::{Action, next_state};
use crate::{AlarmConfig, AlarmError};

/// One scored sample of one asset, as the alarm engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The asset (unique across sites, as in [`Alarm::asset`]).
    pub asset: &'a str,
    /// The asset's site, for site-wide flood control.
    pub site: &'a str,
    /// Data time of the sample.
    pub ts: Timestamp,
    /// Combined severity: the largest statistic over its control limit (1.0 = at the limit).
    pub severity: f64,
    /// The detector's verdict for this sample.
    pub out_of_control: bool,
    /// The channels that moved most, largest first.
    pub contributors: &'a [Contributor],
    /// The suspected fault, when a classifier model is present.
    pub fault_class: Option<&'a FaultClass>,
    /// Which of the asset's alarm conditions this sample feeds: the process (the detector's
    /// verdict) or the silence of its channels (out of control while any channel is silent;
    /// severity the number of silent channels; contributors those channels).
    pub kind: AlarmKind,
}

/// One change of one alarm, to be written to the alarm log and published.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmUpdate {
    /// The alarm after the change (`alarm.state == to`).
    pub alarm: Alarm,
    /// The state before.
    pub from: AlarmState,
    /// The state after.
    pub to: AlarmState,
    /// What happened: `raise`, `return`, `ack`, `shelve`, `unshelve`, `shelve_expired`,
    /// `suppress` or `update` (the record changed, the state did not: `from == to`).
    pub action: &'static str,
}

/// The alarm lifecycle of all assets: deterministic, no IO, no clock. See the crate docs for
/// the rules and the transition table.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEngine {
    /// The normalised config.
    config: AlarmConfig,
    /// The id of the next new alarm; every id below it was issued (open or closed).
    next_id: u64,
    /// Every alarm that is not `Normal`, by id.
    open: BTreeMap<u64, OpenAlarm>,
    /// Condition filters and the open alarm of every asset and kind seen.
    assets: BTreeMap<(String, AlarmKind), AssetTrack>,
    /// Flood windows, one set per kind: a tag dropped across many assets floods the silence
    /// alarms, and must not suppress the process alarms that follow.
    flood: BTreeMap<AlarmKind, Flood>,
}

/// An alarm that is not yet closed. Its `shelved_until` is set while shelved: the shelf
/// expires at the first `tick` at or after it.
#[derive(Debug, Clone, PartialEq)]
struct OpenAlarm {
    alarm: Alarm,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct AssetTrack {
    condition: Condition,
    /// The asset's open alarm of this kind: at most one at a time.
    open: Option<u64>,
}

/// The shelf deadline of a shelved alarm restored without one (logged before [`Alarm`] carried
/// it): the shelf expires at the first `tick` rather than hide the alarm indefinitely.
const RESTORED_SHELF_UNTIL: Timestamp = Timestamp(i64::MIN);

impl AlarmEngine {
    /// An engine with no alarms. New alarms get ids from `next_id` on (the store passes one past
    /// the largest id it has ever logged). An invalid `config` is normalised
    /// ([`AlarmConfig::normalized`]); check it with [`AlarmConfig::validate`] when loading it.
    pub fn new(config: AlarmConfig, next_id: u64) -> Self {
        AlarmEngine {
            config: config.normalized(),
            next_id,
            open: BTreeMap::new(),
            assets: BTreeMap::new(),
            flood: BTreeMap::new(),
        }
    }

    /// Reloads the open alarms after a restart. `Normal` alarms are ignored (they are closed)
    /// but their ids are still taken; ids at or above `next_id` move `next_id` past them. Where
    /// two alarms share an asset and kind, the one with the larger id is kept. An active,
    /// acked-active, suppressed or still-active shelved alarm (no `cleared_at`) resumes with an
    /// active condition that must clear again; an unacked-returned one with a clear condition.
    /// A shelved alarm keeps its `shelved_until`; one logged without it expires at the first
    /// `tick`.
    pub fn restore(&mut self, open: Vec<Alarm>) {
        let mut open = open;
        open.sort_by_key(|alarm| alarm.id);
        for alarm in open {
            self.next_id = self.next_id.max(alarm.id.saturating_add(1));
            if alarm.state != AlarmState::Normal {
                self.restore_one(alarm);
            }
        }
    }

    fn restore_one(&mut self, mut alarm: Alarm) {
        let key = (alarm.asset.clone(), alarm.kind);
        let asset_open = self.assets.get(&key).and_then(|track| track.open);
        if asset_open.is_some_and(|other| other > alarm.id) {
            return;
        }
        for id in [Some(alarm.id), asset_open].into_iter().flatten() {
            if let Some(old) = self.open.remove(&id) {
                self.detach(&old.alarm);
            }
        }
        let active = match alarm.state {
            AlarmState::UnackedActive | AlarmState::AckedActive | AlarmState::Suppressed => true,
            AlarmState::Shelved => alarm.cleared_at.is_none(),
            AlarmState::Normal | AlarmState::UnackedReturned => false,
        };
        alarm.shelved_until = match alarm.state {
            AlarmState::Shelved => alarm.shelved_until.or(Some(RESTORED_SHELF_UNTIL)),
            _ => None,
        };
        let track = self.assets.entry(key).or_default();
        track.condition = Condition::restored(active);
        track.open = Some(alarm.id);
        self.open.insert(alarm.id, OpenAlarm { alarm });
    }

    /// Feeds one scored sample of an asset (samples of one asset in data-time order). Returns
    /// at most one update: a raise (or `suppress` under flood), a return, or an `update` when
    /// an active alarm reaches a new peak.
    pub fn observe(&mut self, obs: &Observation) -> Vec<AlarmUpdate> {
        let track = self.assets.entry((obs.asset.to_owned(), obs.kind)).or_default();
        let edge = track.condition.step(&self.config, obs.ts, obs.severity, obs.out_of_control);
        let active = track.condition.is_active();
        let update = match (edge, track.open) {
            (Some(Edge::Raise), None) => Some(self.raise_new(obs)),
            (Some(Edge::Raise), Some(id)) => self.raise_again(id, obs),
            (Some(Edge::Return), Some(id)) => self.on_return(id, obs.ts),
            (None, Some(id)) if active => self.release_or_peak(id, obs),
            _ => None,
        };
        update.into_iter().collect()
    }

    /// Acknowledges an alarm: unacked-active → acked-active, unacked-returned → normal.
    pub fn acknowledge(&mut self, id: u64, at: Timestamp) -> Result<AlarmUpdate, AlarmError> {
        self.apply(id, Action::Ack, at, |_| {})
    }

    /// Shelves an active or returned alarm until `until` (which must be after `at`); `tick`
    /// takes it off the shelf once `until` has come.
    pub fn shelve(
        &mut self,
        id: u64,
        until: Timestamp,
        at: Timestamp,
    ) -> Result<AlarmUpdate, AlarmError> {
        if !self.open.contains_key(&id) {
            return Err(self.not_open(id, Action::Shelve));
        }
        if until <= at {
            return Err(AlarmError::ShelveInPast { id, until, at });
        }
        self.apply(id, Action::Shelve, at, |open| open.alarm.shelved_until = Some(until))
    }

    /// Takes a shelved alarm off the shelf: unacked-active if its condition is still active,
    /// else normal.
    pub fn unshelve(&mut self, id: u64, at: Timestamp) -> Result<AlarmUpdate, AlarmError> {
        self.apply(id, Action::Unshelve, at, |open| open.alarm.shelved_until = None)
    }

    /// Lets time pass for shelving: shelves whose deadline is at or before `now` expire (in id
    /// order). Flood windows are not touched: they run on data time (see `flood.rs`).
    pub fn tick(&mut self, now: Timestamp) -> Vec<AlarmUpdate> {
        let expired: Vec<u64> = self
            .open
            .values()
            .filter(|open| open.alarm.shelved_until.is_some_and(|until| until <= now))
            .map(|open| open.alarm.id)
            .collect();
        expired
            .into_iter()
            .filter_map(|id| {
                self.apply(id, Action::ShelveExpired, now, |open| open.alarm.shelved_until = None)
                    .ok()
            })
            .collect()
    }

    /// Every alarm that is not `Normal`, in id order.
    pub fn active(&self) -> Vec<&Alarm> {
        self.open.values().map(|open| &open.alarm).collect()
    }

    /// An open alarm by id. Closed (`Normal`) alarms live in the alarm log, not here.
    pub fn alarm(&self, id: u64) -> Option<&Alarm> {
        self.open.get(&id).map(|open| &open.alarm)
    }

    /// When a shelved alarm's shelf expires (`i64::MIN` ns for a shelf restored after a
    /// restart: it expires at the next `tick`).
    pub fn shelved_until(&self, id: u64) -> Option<Timestamp> {
        self.open.get(&id).and_then(|open| open.alarm.shelved_until)
    }

    /// The id the next new alarm will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The config in force (normalised).
    pub fn config(&self) -> &AlarmConfig {
        &self.config
    }

    fn raise_new(&mut self, obs: &Observation) -> AlarmUpdate {
        let flood = self.flood.entry(obs.kind).or_default();
        let annunciate = flood.admit(&self.config, obs.asset, obs.site, obs.ts);
        let action = if annunciate { Action::Raise } else { Action::Suppress };
        let to = next_state(AlarmState::Normal, action, true).unwrap_or(AlarmState::Suppressed);
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let peak = if obs.severity.is_nan() { 0.0 } else { obs.severity };
        let alarm = Alarm {
            id,
            asset: obs.asset.to_owned(),
            state: to,
            priority: priority_of(self.config.high_priority_severity, obs.kind, peak),
            raised_at: obs.ts,
            cleared_at: None,
            contributors: obs.contributors.to_vec(),
            fault_class: obs.fault_class.cloned(),
            peak,
            shelved_until: None,
            kind: obs.kind,
        };
        if let Some(track) = self.assets.get_mut(&(obs.asset.to_owned(), obs.kind)) {
            track.open = Some(id);
        }
        self.open.insert(id, OpenAlarm { alarm: alarm.clone() });
        AlarmUpdate { alarm, from: AlarmState::Normal, to, action: action.as_str() }
    }

    /// The condition became active again while the asset's alarm is still open.
    fn raise_again(&mut self, id: u64, obs: &Observation) -> Option<AlarmUpdate> {
        let state = self.open.get(&id)?.alarm.state;
        let high = self.config.high_priority_severity;
        let edit = |open: &mut OpenAlarm| {
            open.alarm.cleared_at = None;
            take_peak(high, &mut open.alarm, obs);
            take_silent_set(&mut open.alarm, obs);
        };
        if state == AlarmState::Shelved {
            self.apply(id, Action::Update, obs.ts, edit).ok()
        } else if next_state(state, Action::Raise, true).is_some() {
            self.apply(id, Action::Raise, obs.ts, edit).ok()
        } else {
            self.new_peak(id, obs)
        }
    }

    /// The condition cleared while the asset's alarm is open.
    fn on_return(&mut self, id: u64, ts: Timestamp) -> Option<AlarmUpdate> {
        let state = self.open.get(&id)?.alarm.state;
        let edit = |open: &mut OpenAlarm| open.alarm.cleared_at = Some(ts);
        let action = if state == AlarmState::Shelved { Action::Update } else { Action::Return };
        self.apply(id, action, ts, edit).ok()
    }

    /// A sample while the condition is active. A suppressed alarm whose flood windows (at this
    /// sample's data time) have room again is released: annunciated, and counted in the windows
    /// as a raise would be. Flood suppression is a pause, not a verdict (ISA-18.2): without this
    /// a fault that began during a flood stayed hidden for as long as it lasted. Otherwise an
    /// `update` when the sample sets a new peak.
    fn release_or_peak(&mut self, id: u64, obs: &Observation) -> Option<AlarmUpdate> {
        let suppressed = self.open.get(&id)?.alarm.state == AlarmState::Suppressed;
        let flood = self.flood.entry(obs.kind).or_default();
        if suppressed && flood.admit(&self.config, obs.asset, obs.site, obs.ts) {
            let high = self.config.high_priority_severity;
            return self
                .apply(id, Action::Release, obs.ts, |open| {
                    take_peak(high, &mut open.alarm, obs);
                    take_silent_set(&mut open.alarm, obs);
                })
                .ok();
        }
        self.new_peak(id, obs)
    }

    /// A sample while the condition is active: an `update` when it sets a new peak or, for a
    /// silence alarm, changes which channels are silent.
    fn new_peak(&mut self, id: u64, obs: &Observation) -> Option<AlarmUpdate> {
        let open = self.open.get_mut(&id)?;
        let state = open.alarm.state;
        next_state(state, Action::Update, true)?;
        let peak = take_peak(self.config.high_priority_severity, &mut open.alarm, obs);
        if !take_silent_set(&mut open.alarm, obs) && !peak {
            return None;
        }
        Some(AlarmUpdate {
            alarm: open.alarm.clone(),
            from: state,
            to: state,
            action: Action::Update.as_str(),
        })
    }

    /// Applies `action` to open alarm `id` by the transition table, then `edit`; closes the
    /// alarm when it reaches `Normal`. On error nothing has changed.
    fn apply(
        &mut self,
        id: u64,
        action: Action,
        at: Timestamp,
        edit: impl FnOnce(&mut OpenAlarm),
    ) -> Result<AlarmUpdate, AlarmError> {
        let Some(open) = self.open.get(&id) else {
            return Err(self.not_open(id, action));
        };
        let from = open.alarm.state;
        let active = self
            .assets
            .get(&(open.alarm.asset.clone(), open.alarm.kind))
            .is_some_and(|track| track.open == Some(id) && track.condition.is_active());
        let to = next_state(from, action, active).ok_or(AlarmError::IllegalTransition {
            id,
            from,
            action: action.as_str(),
        })?;
        let Some(mut open) = self.open.remove(&id) else {
            return Err(self.not_open(id, action));
        };
        open.alarm.state = to;
        edit(&mut open);
        if to == AlarmState::Normal {
            open.alarm.cleared_at.get_or_insert(at);
            self.detach(&open.alarm);
            return Ok(AlarmUpdate { alarm: open.alarm, from, to, action: action.as_str() });
        }
        let update = AlarmUpdate { alarm: open.alarm.clone(), from, to, action: action.as_str() };
        self.open.insert(id, open);
        Ok(update)
    }

    /// Forgets `alarm` as its asset's open alarm of its kind.
    fn detach(&mut self, alarm: &Alarm) {
        if let Some(track) = self.assets.get_mut(&(alarm.asset.clone(), alarm.kind))
            && track.open == Some(alarm.id)
        {
            track.open = None;
        }
    }

    /// The error for an action on an id that is not open: an id below `next_id` was issued and
    /// has closed, so it is `Normal`; any other id never existed.
    fn not_open(&self, id: u64, action: Action) -> AlarmError {
        if id < self.next_id {
            AlarmError::IllegalTransition { id, from: AlarmState::Normal, action: action.as_str() }
        } else {
            AlarmError::UnknownAlarm(id)
        }
    }
}

/// Takes the sample as the alarm's new peak when its severity is above the old one: the
/// contributors follow, and the fault class when the sample has one; the priority only rises.
fn take_peak(high_priority_severity: f64, alarm: &mut Alarm, obs: &Observation) -> bool {
    if obs.severity.is_nan() || obs.severity <= alarm.peak {
        return false;
    }
    alarm.peak = obs.severity;
    alarm.contributors = obs.contributors.to_vec();
    if let Some(class) = obs.fault_class {
        alarm.fault_class = Some(class.clone());
    }
    alarm.priority =
        alarm.priority.max(priority_of(high_priority_severity, alarm.kind, obs.severity));
    true
}

/// A silence alarm names the channels silent now: when the sample's (non-empty) set differs
/// from the alarm's, it takes the sample's, whatever the peak (the peak of a silence alarm is
/// only how many channels were silent at once). Returns whether they changed.
fn take_silent_set(alarm: &mut Alarm, obs: &Observation) -> bool {
    let same = alarm.contributors.len() == obs.contributors.len()
        && alarm.contributors.iter().zip(obs.contributors).all(|(a, b)| a.channel == b.channel);
    if alarm.kind != AlarmKind::Silence || obs.contributors.is_empty() || same {
        return false;
    }
    alarm.contributors = obs.contributors.to_vec();
    true
}

/// The priority a severity deserves. A silence alarm is `Medium` whatever its severity (the
/// number of silent channels): while a channel is silent the monitor cannot see it, and
/// someone should find out why within the shift.
fn priority_of(high_priority_severity: f64, kind: AlarmKind, severity: f64) -> Priority {
    if kind == AlarmKind::Silence {
        Priority::Medium
    } else if severity >= high_priority_severity {
        Priority::High
    } else if severity >= MEDIUM_PRIORITY_SEVERITY {
        Priority::Medium
    } else {
        Priority::Low
    }
}
