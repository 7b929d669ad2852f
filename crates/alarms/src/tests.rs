//! Unit tests of the alarm rules, one group per rule: persistence, delays, deadband, clearing,
//! priority and peaks, the lifecycle, shelving, flood control and restore.

use faultline_types::AlarmState::*;
use faultline_types::{Alarm, AlarmKind, AlarmState, Contributor, FaultClass, Priority, Timestamp};

use crate::{AlarmConfig, AlarmEngine, AlarmError, AlarmUpdate, Observation, is_legal};

const SECOND: i64 = 1_000_000_000;

/// Raise on one out-of-control sample, return on one clear sample, no flood limits in reach.
fn simple() -> AlarmConfig {
    AlarmConfig { persistence_n: 1, persistence_m: 1, clear_after: 1, ..AlarmConfig::default() }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp(seconds * SECOND)
}

fn contributors(channel: &str) -> Vec<Contributor> {
    vec![Contributor { channel: channel.to_owned(), value: 2.0 }]
}

/// One sample of `asset` (site `s1`) at `seconds`.
fn feed(
    engine: &mut AlarmEngine,
    asset: &str,
    seconds: i64,
    severity: f64,
    out: bool,
) -> Vec<AlarmUpdate> {
    feed_at(engine, asset, "s1", seconds, severity, out)
}

fn feed_at(
    engine: &mut AlarmEngine,
    asset: &str,
    site: &str,
    seconds: i64,
    severity: f64,
    out: bool,
) -> Vec<AlarmUpdate> {
    let contributors = contributors(&format!("ch{}", severity as i64));
    let updates = engine.observe(&Observation {
        asset,
        site,
        ts: at(seconds),
        severity,
        out_of_control: out,
        contributors: &contributors,
        fault_class: None,
        kind: AlarmKind::Process,
    });
    for update in &updates {
        assert!(is_legal(update.from, update.to, update.action), "{update:?}");
        assert_eq!(update.alarm.state, update.to);
    }
    updates
}

/// Feeds `pattern` (true = out of control, severity 2 or 0) one second apart from `start`;
/// returns the index and action of each update.
fn run(
    engine: &mut AlarmEngine,
    asset: &str,
    start: i64,
    pattern: &[bool],
) -> Vec<(usize, String)> {
    let mut seen = Vec::new();
    for (i, &out) in pattern.iter().enumerate() {
        let severity = if out { 2.0 } else { 0.0 };
        for update in feed(engine, asset, start + i as i64, severity, out) {
            seen.push((i, update.action.to_owned()));
        }
    }
    seen
}

fn raised(index: usize) -> Vec<(usize, String)> {
    vec![(index, "raise".to_owned())]
}

/// Raises an alarm on `asset` at `seconds` with the simple config; returns its id.
fn raise(engine: &mut AlarmEngine, asset: &str, seconds: i64) -> u64 {
    let updates = feed(engine, asset, seconds, 2.0, true);
    assert_eq!(updates.len(), 1, "{updates:?}");
    updates[0].alarm.id
}

fn state(engine: &AlarmEngine, id: u64) -> Option<AlarmState> {
    engine.alarm(id).map(|alarm| alarm.state)
}

// ---- persistence ----

#[test]
fn persistence_raises_on_three_of_the_last_five() {
    let mut engine = AlarmEngine::new(AlarmConfig::default(), 1);
    assert_eq!(run(&mut engine, "a", 0, &[true, false, true, false, true]), raised(4));
}

#[test]
fn persistence_ignores_outs_spread_wider_than_the_window() {
    let mut engine = AlarmEngine::new(AlarmConfig::default(), 1);
    let pattern = [true, false, false, false, true, false, true, false, false, false, true];
    assert_eq!(run(&mut engine, "a", 0, &pattern), vec![]);
    assert!(engine.active().is_empty());
}

#[test]
fn persistence_needs_fresh_evidence_after_a_return() {
    let config = AlarmConfig { persistence_n: 2, persistence_m: 3, clear_after: 1, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    let seen = run(&mut engine, "a", 0, &[true, true, false, true, true]);
    assert_eq!(seen, vec![(1, "raise".into()), (2, "return".into()), (4, "raise".into())]);
}

// ---- on and off delays (data time) ----

#[test]
fn on_delay_holds_the_raise_until_the_filter_has_held_long_enough() {
    let config = AlarmConfig { on_delay_ns: 10 * SECOND, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    // Out for 5 s, one clear sample resets the delay, then out from t=6.
    let mut pattern = vec![true; 6];
    pattern.push(false);
    pattern.extend([true; 12]);
    assert_eq!(run(&mut engine, "a", 0, &pattern), raised(7 + 10));
}

#[test]
fn on_delay_counts_data_time_not_samples() {
    let config = AlarmConfig { on_delay_ns: 10 * SECOND, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    assert!(feed(&mut engine, "a", 0, 2.0, true).is_empty());
    assert!(feed(&mut engine, "a", 9, 2.0, true).is_empty());
    assert_eq!(feed(&mut engine, "a", 10, 2.0, true)[0].action, "raise");
}

#[test]
fn on_delay_raises_only_on_an_out_of_control_sample() {
    let config = AlarmConfig {
        persistence_n: 1,
        persistence_m: 3,
        on_delay_ns: 2 * SECOND,
        ..AlarmConfig::default()
    };
    let mut engine = AlarmEngine::new(config, 1);
    assert_eq!(run(&mut engine, "a", 0, &[true, false, false, true]), raised(3));
}

#[test]
fn off_delay_holds_the_return() {
    let config = AlarmConfig { off_delay_ns: 5 * SECOND, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    let mut pattern = vec![true, false, false, true];
    pattern.extend([false; 6]);
    let seen = run(&mut engine, "a", 0, &pattern);
    assert_eq!(seen, vec![(0, "raise".into()), (4 + 5, "return".into())]);
}

// ---- clear_after and the deadband ----

#[test]
fn clear_after_counts_consecutive_clear_samples() {
    let config = AlarmConfig { clear_after: 5, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    let mut pattern = vec![true, false, false, false, false, true];
    pattern.extend([false; 5]);
    let seen = run(&mut engine, "a", 0, &pattern);
    assert_eq!(seen, vec![(0, "raise".into()), (10, "return".into())]);
}

#[test]
fn deadband_in_control_samples_near_the_limit_do_not_clear() {
    let mut engine = AlarmEngine::new(AlarmConfig { clear_after: 2, ..simple() }, 1);
    let id = raise(&mut engine, "a", 0);
    // In control but at 0.95 of the limit: inside the 0.1 deadband, not clear.
    for t in 1..10 {
        assert!(feed(&mut engine, "a", t, 0.95, false).is_empty());
    }
    assert!(feed(&mut engine, "a", 10, 0.85, false).is_empty());
    assert!(feed(&mut engine, "a", 11, 0.9, false).is_empty(), "0.9 is not below 1 - 0.1");
    assert!(feed(&mut engine, "a", 12, 0.5, false).is_empty());
    let updates = feed(&mut engine, "a", 13, 0.5, false);
    assert_eq!(updates[0].action, "return");
    assert_eq!(updates[0].alarm.id, id);
    assert_eq!(updates[0].alarm.cleared_at, Some(at(13)));
}

#[test]
fn an_out_of_control_verdict_is_never_clear_nor_is_nan() {
    let mut engine = AlarmEngine::new(simple(), 1);
    raise(&mut engine, "a", 0);
    assert!(feed(&mut engine, "a", 1, 0.0, true).is_empty());
    assert!(feed(&mut engine, "a", 2, f64::NAN, false).is_empty());
    assert_eq!(feed(&mut engine, "a", 3, 0.0, false)[0].action, "return");
}

// ---- priority, peak, contributors ----

#[test]
fn priority_follows_the_raising_severity() {
    for (severity, priority) in [
        (1.2, Priority::Low),
        (1.5, Priority::Medium),
        (2.9, Priority::Medium),
        (3.0, Priority::High),
    ] {
        let mut engine = AlarmEngine::new(simple(), 1);
        let updates = feed(&mut engine, "a", 0, severity, true);
        assert_eq!(updates[0].alarm.priority, priority, "severity {severity}");
        assert_eq!(updates[0].alarm.peak, severity);
    }
}

#[test]
fn a_new_peak_updates_contributors_fault_class_and_priority() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let raised = feed(&mut engine, "a", 0, 1.2, true);
    assert_eq!(raised[0].alarm.contributors, contributors("ch1"));
    assert!(feed(&mut engine, "a", 1, 1.1, true).is_empty(), "below the peak: no update");
    let class = FaultClass { label: "valve stiction".into(), confidence: 0.8 };
    let updates = engine.observe(&Observation {
        asset: "a",
        site: "s1",
        ts: at(2),
        severity: 4.0,
        out_of_control: true,
        contributors: &contributors("ch4"),
        fault_class: Some(&class),
        kind: AlarmKind::Process,
    });
    let update = &updates[0];
    assert_eq!((update.action, update.from, update.to), ("update", UnackedActive, UnackedActive));
    assert_eq!(update.alarm.peak, 4.0);
    assert_eq!(update.alarm.priority, Priority::High);
    assert_eq!(update.alarm.contributors, contributors("ch4"));
    assert_eq!(update.alarm.fault_class, Some(class.clone()));
    assert_eq!(update.alarm.raised_at, at(0));
    // A higher peak without a class keeps the class; priority never falls.
    let later = feed(&mut engine, "a", 3, 5.0, true);
    assert_eq!(later[0].alarm.fault_class, Some(class));
    assert_eq!(engine.alarm(update.alarm.id).map(|a| a.peak), Some(5.0));
}

/// One silence sample of asset `a`: the channels `silent` are silent (out of control while any
/// is; severity their number, as the pipeline feeds it).
fn feed_silent(engine: &mut AlarmEngine, seconds: i64, silent: &[&str]) -> Vec<AlarmUpdate> {
    let contributors: Vec<Contributor> =
        silent.iter().map(|c| Contributor { channel: c.to_string(), value: 1.2 }).collect();
    engine.observe(&Observation {
        asset: "a",
        site: "s1",
        ts: at(seconds),
        severity: silent.len() as f64,
        out_of_control: !silent.is_empty(),
        contributors: &contributors,
        fault_class: None,
        kind: AlarmKind::Silence,
    })
}

#[test]
fn a_silence_alarm_is_its_own_condition_at_medium_priority_at_least() {
    let mut engine = AlarmEngine::new(simple(), 1);
    // One silent channel: raised as a silence alarm, Medium although its severity says Low.
    let silence = feed_silent(&mut engine, 0, &["flow"]);
    assert_eq!(silence[0].action, "raise");
    assert_eq!(silence[0].alarm.kind, AlarmKind::Silence);
    assert_eq!(silence[0].alarm.priority, Priority::Medium);
    assert_eq!(silence[0].alarm.contributors[0].channel, "flow");
    let silence_id = silence[0].alarm.id;
    // Acknowledged, it stays active while the channel is silent ...
    engine.acknowledge(silence_id, at(1)).unwrap();
    // ... and a process fault on the same asset is a new alarm, announced as such: the dead
    // sensor neither holds the process alarm nor hides it.
    let process = feed(&mut engine, "a", 2, 2.0, true);
    assert_eq!((process[0].action, process[0].alarm.kind), ("raise", AlarmKind::Process));
    assert_ne!(process[0].alarm.id, silence_id);
    // A second silent channel is a new peak of the silence alarm; the process alarm returns on
    // its own while the silence goes on.
    let more = feed_silent(&mut engine, 3, &["flow", "temp"]);
    assert_eq!((more[0].action, more[0].alarm.id), ("update", silence_id));
    assert_eq!(more[0].alarm.contributors.len(), 2);
    let back = feed(&mut engine, "a", 4, 0.2, false);
    assert_eq!((back[0].action, back[0].alarm.kind), ("return", AlarmKind::Process));
    assert!(feed_silent(&mut engine, 5, &["flow", "temp"]).is_empty());
    // Both channels deliver again: the acknowledged silence alarm returns to normal.
    let over = feed_silent(&mut engine, 6, &[]);
    assert_eq!((over[0].action, over[0].to), ("return", Normal));
    assert_eq!(engine.active().len(), 1, "only the unacknowledged process alarm is open");
}

#[test]
fn a_silence_alarm_names_the_channels_silent_now_and_stays_medium() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let names = |updates: &[AlarmUpdate]| -> Vec<String> {
        updates[0].alarm.contributors.iter().map(|c| c.channel.clone()).collect()
    };
    assert_eq!(names(&feed_silent(&mut engine, 0, &["flow"])), ["flow"]);
    // Another channel dies, the first recovers, a third dies: each change of the set is an
    // update naming the channels silent now, although the count (the peak) stays at 2.
    assert_eq!(names(&feed_silent(&mut engine, 1, &["flow", "temp"])), ["flow", "temp"]);
    assert_eq!(names(&feed_silent(&mut engine, 2, &["temp"])), ["temp"]);
    let third = feed_silent(&mut engine, 3, &["level", "temp"]);
    assert_eq!((third[0].action, names(&third)), ("update", vec!["level".into(), "temp".into()]));
    assert!(feed_silent(&mut engine, 4, &["level", "temp"]).is_empty(), "no change, no update");
    // Three channels at once: still Medium (the count is not a process severity).
    let three = feed_silent(&mut engine, 5, &["a", "b", "c"]);
    assert_eq!(three[0].alarm.priority, Priority::Medium);
    // The clear samples of the return do not empty the names.
    let over = feed_silent(&mut engine, 6, &[]);
    assert_eq!(
        (over[0].action, names(&over)),
        ("return", vec!["a".into(), "b".into(), "c".into()])
    );
}

#[test]
fn silence_alarms_have_their_own_flood_windows() {
    let config = AlarmConfig { flood_per_asset: 1, flood_per_site: 1, ..simple() };
    let mut engine = AlarmEngine::new(config, 1);
    // A tag dropped on one asset fills the silence windows ...
    assert_eq!(feed_silent(&mut engine, 0, &["flow"])[0].action, "raise");
    // ... but a process fault after it is annunciated, not suppressed.
    assert_eq!(feed(&mut engine, "a", 1, 2.0, true)[0].action, "raise");
    // A second silence raise within the window is suppressed as before.
    assert_eq!(feed_silent(&mut engine, 2, &[])[0].action, "return");
    engine.acknowledge(1, at(3)).unwrap();
    assert_eq!(feed_silent(&mut engine, 4, &["flow"])[0].action, "suppress");
}

#[test]
fn a_restored_silence_alarm_keeps_its_own_condition() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let silence = Alarm { kind: AlarmKind::Silence, ..stored(3, "a", UnackedActive, None) };
    let process = stored(4, "a", UnackedActive, None);
    engine.restore(vec![silence, process]);
    assert_eq!(engine.active().len(), 2, "one open alarm per asset and kind");
    // The silence clears: only the silence alarm returns.
    let over = feed_silent(&mut engine, 10, &[]);
    assert_eq!((over.len(), over[0].alarm.id, over[0].action), (1, 3, "return"));
}

#[test]
fn a_process_alarm_serialises_as_before_and_a_silence_alarm_says_its_kind() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let raised = feed(&mut engine, "a", 0, 2.0, true);
    let json = serde_json::to_value(&raised[0].alarm).unwrap();
    assert!(json.get("kind").is_none(), "{json}");
    let back: Alarm = serde_json::from_value(json).unwrap();
    assert_eq!(back, raised[0].alarm);
    let silent = feed_silent(&mut engine, 1, &["flow"]);
    let json = serde_json::to_value(&silent[0].alarm).unwrap();
    assert_eq!(json["kind"], "silence");
    assert_eq!(serde_json::from_value::<Alarm>(json).unwrap(), silent[0].alarm);
}

#[test]
fn acked_alarms_keep_tracking_their_peak() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    engine.acknowledge(id, at(1)).unwrap();
    let updates = feed(&mut engine, "a", 2, 3.5, true);
    assert_eq!((updates[0].action, updates[0].to), ("update", AckedActive));
}

// ---- the lifecycle ----

#[test]
fn raise_ack_return_closes_the_alarm() {
    let mut engine = AlarmEngine::new(simple(), 7);
    let raised = feed(&mut engine, "a", 0, 2.0, true);
    assert_eq!(raised[0].alarm.id, 7);
    assert_eq!((raised[0].from, raised[0].to, raised[0].action), (Normal, UnackedActive, "raise"));
    let acked = engine.acknowledge(7, at(1)).unwrap();
    assert_eq!((acked.from, acked.to, acked.action), (UnackedActive, AckedActive, "ack"));
    assert_eq!(
        engine.acknowledge(7, at(1)),
        Err(AlarmError::IllegalTransition { id: 7, from: AckedActive, action: "ack" })
    );
    let returned = feed(&mut engine, "a", 2, 0.0, false);
    assert_eq!((returned[0].from, returned[0].to), (AckedActive, Normal));
    assert_eq!(returned[0].alarm.cleared_at, Some(at(2)));
    assert!(engine.active().is_empty());
    assert_eq!(engine.alarm(7), None);
    assert_eq!(
        engine.acknowledge(7, at(3)),
        Err(AlarmError::IllegalTransition { id: 7, from: Normal, action: "ack" })
    );
    assert_eq!(raise(&mut engine, "a", 4), 8, "a closed alarm is never reused");
}

#[test]
fn raise_return_ack_closes_the_alarm() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    let returned = feed(&mut engine, "a", 1, 0.0, false);
    assert_eq!((returned[0].from, returned[0].to), (UnackedActive, UnackedReturned));
    let acked = engine.acknowledge(id, at(2)).unwrap();
    assert_eq!((acked.from, acked.to, acked.action), (UnackedReturned, Normal, "ack"));
    assert_eq!(acked.alarm.cleared_at, Some(at(1)));
    assert!(engine.active().is_empty());
}

#[test]
fn a_re_alarm_reuses_the_unacked_returned_alarm() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    feed(&mut engine, "a", 1, 0.0, false);
    let again = feed(&mut engine, "a", 2, 2.5, true);
    assert_eq!(
        (again[0].from, again[0].to, again[0].action),
        (UnackedReturned, UnackedActive, "raise")
    );
    assert_eq!(again[0].alarm.id, id);
    assert_eq!(again[0].alarm.cleared_at, None);
    assert_eq!(again[0].alarm.raised_at, at(0));
    assert_eq!(again[0].alarm.peak, 2.5);
    assert_eq!(engine.active().len(), 1);
    assert_eq!(engine.next_id(), id + 1);
}

#[test]
fn one_open_alarm_per_asset_and_independent_assets() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let a = raise(&mut engine, "a", 0);
    let b = raise(&mut engine, "b", 0);
    assert_ne!(a, b);
    assert!(feed(&mut engine, "a", 1, 2.0, true).is_empty());
    let assets: Vec<&str> = engine.active().iter().map(|alarm| alarm.asset.as_str()).collect();
    assert_eq!(assets, ["a", "b"]);
}

#[test]
fn unknown_ids_and_illegal_actions_change_nothing() {
    let mut engine = AlarmEngine::new(simple(), 10);
    let id = raise(&mut engine, "a", 0);
    let before = engine.clone();
    assert_eq!(engine.acknowledge(99, at(1)), Err(AlarmError::UnknownAlarm(99)));
    assert_eq!(engine.shelve(99, at(5), at(1)), Err(AlarmError::UnknownAlarm(99)));
    assert_eq!(engine.unshelve(99, at(1)), Err(AlarmError::UnknownAlarm(99)));
    assert_eq!(
        engine.unshelve(id, at(1)),
        Err(AlarmError::IllegalTransition { id, from: UnackedActive, action: "unshelve" })
    );
    assert_eq!(
        engine.shelve(3, at(5), at(1)),
        Err(AlarmError::IllegalTransition { id: 3, from: Normal, action: "shelve" })
    );
    assert_eq!(engine, before);
    let message = engine.acknowledge(99, at(1)).unwrap_err().to_string();
    assert!(message.contains("alarm 99"), "{message}");
}

// ---- shelving ----

#[test]
fn shelve_until_must_be_after_at() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    let before = engine.clone();
    for until in [at(5), at(4)] {
        assert_eq!(
            engine.shelve(id, until, at(5)),
            Err(AlarmError::ShelveInPast { id, until, at: at(5) })
        );
    }
    assert_eq!(engine, before);
}

#[test]
fn a_shelf_expires_at_tick_into_the_state_the_condition_dictates() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    engine.acknowledge(id, at(1)).unwrap();
    let shelved = engine.shelve(id, at(60), at(2)).unwrap();
    assert_eq!((shelved.from, shelved.to, shelved.action), (AckedActive, Shelved, "shelve"));
    assert_eq!(engine.shelved_until(id), Some(at(60)));
    assert_eq!(shelved.alarm.shelved_until, Some(at(60)), "the alarm itself shows the deadline");
    assert_eq!(
        engine.shelve(id, at(90), at(3)),
        Err(AlarmError::IllegalTransition { id, from: Shelved, action: "shelve" })
    );
    assert_eq!(
        engine.acknowledge(id, at(3)),
        Err(AlarmError::IllegalTransition { id, from: Shelved, action: "ack" })
    );
    assert!(engine.tick(at(59)).is_empty());
    let expired = engine.tick(at(60));
    assert_eq!(expired.len(), 1);
    let update = &expired[0];
    assert_eq!((update.from, update.to, update.action), (Shelved, UnackedActive, "shelve_expired"));
    assert_eq!(engine.shelved_until(id), None);
    assert_eq!(update.alarm.shelved_until, None);
    assert!(engine.tick(at(61)).is_empty());
}

#[test]
fn the_condition_clearing_while_shelved_closes_the_alarm_at_expiry() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let id = raise(&mut engine, "a", 0);
    engine.shelve(id, at(60), at(1)).unwrap();
    let cleared = feed(&mut engine, "a", 2, 0.0, false);
    assert_eq!((cleared[0].from, cleared[0].to, cleared[0].action), (Shelved, Shelved, "update"));
    assert_eq!(cleared[0].alarm.cleared_at, Some(at(2)));
    let back = feed(&mut engine, "a", 3, 2.0, true);
    assert_eq!((back[0].action, back[0].alarm.cleared_at), ("update", None));
    assert_eq!(back[0].alarm.id, id, "the shelved alarm stays the asset's one open alarm");
    feed(&mut engine, "a", 4, 0.0, false);
    let expired = engine.tick(at(100));
    assert_eq!((expired[0].to, expired[0].alarm.cleared_at), (Normal, Some(at(4))));
    assert!(engine.active().is_empty());
}

#[test]
fn unshelve_returns_to_the_state_the_condition_dictates() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let a = raise(&mut engine, "a", 0);
    engine.shelve(a, at(60), at(1)).unwrap();
    let update = engine.unshelve(a, at(2)).unwrap();
    assert_eq!((update.from, update.to, update.action), (Shelved, UnackedActive, "unshelve"));

    let b = raise(&mut engine, "b", 0);
    feed(&mut engine, "b", 1, 0.0, false);
    let shelved = engine.shelve(b, at(60), at(2)).unwrap();
    assert_eq!(shelved.from, UnackedReturned);
    let update = engine.unshelve(b, at(3)).unwrap();
    assert_eq!((update.to, update.alarm.cleared_at), (Normal, Some(at(1))));
    assert_eq!(state(&engine, b), None);
}

// ---- flood control ----

fn flood_config(per_asset: usize, per_site: usize) -> AlarmConfig {
    AlarmConfig {
        flood_per_asset: per_asset,
        flood_per_site: per_site,
        flood_window_ns: 100 * SECOND,
        ..simple()
    }
}

/// Raises and closes (ack, return) one alarm on `asset` at `seconds`; returns the raise.
fn cycle(engine: &mut AlarmEngine, asset: &str, seconds: i64) -> AlarmUpdate {
    let raised = feed(engine, asset, seconds, 2.0, true).remove(0);
    if raised.to == UnackedActive {
        engine.acknowledge(raised.alarm.id, at(seconds)).unwrap();
    }
    let returned = feed(engine, asset, seconds + 1, 0.0, false);
    assert_eq!(returned[0].to, Normal);
    raised
}

#[test]
fn flood_per_asset_suppresses_raises_beyond_the_limit_in_the_window() {
    let mut engine = AlarmEngine::new(flood_config(2, 20), 1);
    assert_eq!(cycle(&mut engine, "a", 0).action, "raise");
    assert_eq!(cycle(&mut engine, "a", 10).action, "raise");
    let suppressed = cycle(&mut engine, "a", 20);
    assert_eq!(
        (suppressed.from, suppressed.to, suppressed.action),
        (Normal, Suppressed, "suppress")
    );
    assert_eq!(cycle(&mut engine, "b", 30).action, "raise", "another asset is not flooded");
    assert_eq!(cycle(&mut engine, "a", 99).action, "suppress");
    assert_eq!(cycle(&mut engine, "a", 100).action, "raise", "the raise at 0 slid out");
}

/// The flood windows run on data time. `tick` runs on the wall clock (for shelving): it used
/// to prune the windows too, so data stamped more than a window behind the clock (a back-fill,
/// a tool with a late clock) had its counts wiped every second and was never suppressed.
#[test]
fn flood_control_holds_for_data_stamped_long_before_the_wall_clock() {
    let mut engine = AlarmEngine::new(flood_config(1, 20), 1);
    assert_eq!(cycle(&mut engine, "a", 0).action, "raise");
    let wall_clock = Timestamp(1_800_000_000_000_000_000);
    assert!(engine.tick(wall_clock).is_empty());
    assert_eq!(cycle(&mut engine, "a", 29).action, "suppress");
}

/// Flood suppression is a pause: once the asset's window has room again (in data time) and the
/// condition is still active, the hidden alarm is annunciated (`release`), counted in the
/// window like a raise, and can be acknowledged.
#[test]
fn a_suppressed_alarm_is_released_when_the_flood_window_has_room_again() {
    let mut engine = AlarmEngine::new(flood_config(1, 20), 1);
    assert_eq!(cycle(&mut engine, "a", 0).action, "raise");
    let suppressed = feed(&mut engine, "a", 10, 2.0, true).remove(0);
    assert_eq!(suppressed.to, Suppressed);
    // Still active inside the window: stays hidden.
    assert!(feed(&mut engine, "a", 50, 2.0, true).iter().all(|u| u.to == Suppressed));
    // The raise at 0 slid out at 100: the next active sample releases it.
    let released = feed(&mut engine, "a", 100, 2.0, true).remove(0);
    assert_eq!(
        (released.alarm.id, released.from, released.to, released.action),
        (suppressed.alarm.id, Suppressed, UnackedActive, "release")
    );
    engine.acknowledge(released.alarm.id, at(101)).unwrap();
    // The release counted: another new alarm in the same window is suppressed.
    assert_eq!(feed(&mut engine, "b", 102, 2.0, true)[0].action, "raise", "another asset");
    feed(&mut engine, "a", 103, 0.0, false);
    assert_eq!(feed(&mut engine, "a", 104, 2.0, true)[0].action, "suppress");
}

#[test]
fn a_suppressed_alarm_refuses_operator_actions_and_returns_to_normal() {
    let mut engine = AlarmEngine::new(flood_config(0, 20), 1);
    let raised = feed(&mut engine, "a", 0, 2.0, true).remove(0);
    let id = raised.alarm.id;
    assert_eq!(raised.to, Suppressed);
    let before = engine.clone();
    assert!(matches!(engine.acknowledge(id, at(1)), Err(AlarmError::IllegalTransition { .. })));
    assert!(matches!(engine.shelve(id, at(9), at(1)), Err(AlarmError::IllegalTransition { .. })));
    assert_eq!(engine, before);
    assert_eq!(feed(&mut engine, "a", 1, 5.0, true)[0].action, "update");
    let returned = feed(&mut engine, "a", 2, 0.0, false);
    assert_eq!(
        (returned[0].from, returned[0].to, returned[0].action),
        (Suppressed, Normal, "return")
    );
}

#[test]
fn flood_per_site_spans_the_site_s_assets() {
    let mut engine = AlarmEngine::new(flood_config(5, 2), 1);
    let actions: Vec<&str> = ["a", "b", "c"]
        .iter()
        .map(|asset| feed_at(&mut engine, asset, "s1", 0, 2.0, true)[0].action)
        .collect();
    assert_eq!(actions, ["raise", "raise", "suppress"]);
    assert_eq!(feed_at(&mut engine, "d", "s2", 0, 2.0, true)[0].action, "raise");
}

#[test]
fn re_alarms_are_neither_counted_nor_suppressed() {
    let mut engine = AlarmEngine::new(flood_config(1, 20), 1);
    let id = raise(&mut engine, "a", 0);
    for t in 1..5 {
        feed(&mut engine, "a", 2 * t - 1, 0.0, false);
        let again = feed(&mut engine, "a", 2 * t, 2.0, true);
        assert_eq!((again[0].action, again[0].alarm.id), ("raise", id));
    }
}

// ---- restore ----

fn stored(id: u64, asset: &str, state: AlarmState, cleared_at: Option<Timestamp>) -> Alarm {
    Alarm {
        id,
        asset: asset.to_owned(),
        state,
        priority: Priority::Medium,
        raised_at: at(0),
        cleared_at,
        contributors: contributors("x"),
        fault_class: None,
        peak: 2.0,
        shelved_until: None,
        kind: AlarmKind::Process,
    }
}

#[test]
fn restore_reloads_open_alarms_and_their_conditions() {
    let mut engine = AlarmEngine::new(AlarmConfig { clear_after: 2, ..simple() }, 1);
    engine.restore(vec![
        stored(42, "b", UnackedReturned, Some(at(1))),
        stored(40, "a", AckedActive, None),
        stored(50, "z", Normal, Some(at(1))),
    ]);
    assert_eq!(engine.active().iter().map(|alarm| alarm.id).collect::<Vec<_>>(), [40, 42]);
    assert_eq!(engine.next_id(), 51);
    // The acked-active alarm's condition is active: it needs clear_after clear samples.
    assert!(feed(&mut engine, "a", 10, 0.0, false).is_empty());
    let returned = feed(&mut engine, "a", 11, 0.0, false);
    assert_eq!((returned[0].alarm.id, returned[0].to), (40, Normal));
    // The unacked-returned one is acked to normal, or re-alarms.
    assert_eq!(engine.acknowledge(42, at(12)).unwrap().to, Normal);
    assert_eq!(raise(&mut engine, "c", 13), 51);
    assert_eq!(
        engine.acknowledge(50, at(14)),
        Err(AlarmError::IllegalTransition { id: 50, from: Normal, action: "ack" })
    );
}

#[test]
fn restore_keeps_the_newest_alarm_of_an_asset() {
    let mut engine = AlarmEngine::new(simple(), 1);
    engine.restore(vec![stored(9, "a", UnackedActive, None), stored(5, "a", AckedActive, None)]);
    assert_eq!(engine.active().iter().map(|alarm| alarm.id).collect::<Vec<_>>(), [9]);
    let returned = feed(&mut engine, "a", 1, 0.0, false);
    assert_eq!((returned[0].alarm.id, returned[0].to), (9, UnackedReturned));
}

#[test]
fn a_restored_shelf_expires_at_the_first_tick() {
    let mut engine = AlarmEngine::new(simple(), 1);
    engine.restore(vec![stored(3, "a", Shelved, None), stored(4, "b", Shelved, Some(at(1)))]);
    let expired = engine.tick(at(0));
    let outcome: Vec<(u64, AlarmState)> = expired.iter().map(|u| (u.alarm.id, u.to)).collect();
    assert_eq!(outcome, [(3, UnackedActive), (4, Normal)]);
}

#[test]
fn a_restored_shelf_keeps_its_deadline() {
    let mut engine = AlarmEngine::new(simple(), 1);
    let shelved = Alarm { shelved_until: Some(at(60)), ..stored(3, "a", Shelved, None) };
    engine.restore(vec![shelved]);
    assert_eq!(engine.shelved_until(3), Some(at(60)));
    assert!(engine.tick(at(59)).is_empty(), "the shelf holds until its deadline");
    let expired = engine.tick(at(60));
    assert_eq!(
        expired.iter().map(|u| (u.alarm.id, u.to)).collect::<Vec<_>>(),
        [(3, UnackedActive)]
    );
}

#[test]
fn an_alarm_logged_before_shelved_until_existed_still_reads() {
    let mut json = serde_json::to_value(stored(3, "a", Shelved, None)).unwrap();
    json.as_object_mut().unwrap().remove("shelved_until");
    let alarm: Alarm = serde_json::from_value(json).unwrap();
    assert_eq!(alarm.shelved_until, None);
}
