//! Builders shared by the store's unit tests.

use std::path::Path;

use faultline_types::{
    Alarm, AlarmKind, AlarmState, ChannelValue, Contributor, FaultClass, Priority, Quality, Sample,
    Timestamp,
};
use rusqlite::Connection;

use crate::{Event, ScoreRecord};

/// A separate, plain SQLite connection to the store's file (what another process, or an
/// attacker with file access, would see).
pub fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join(crate::db::DB_FILE)).unwrap()
}

/// A sample with `channels` channels `c0`, `c1`, …; values depend on the timestamp.
pub fn sample(asset: &str, ts_ns: i64, channels: usize) -> Sample {
    let quality = [Quality::Good, Quality::Uncertain, Quality::Bad, Quality::Missing];
    Sample {
        asset: asset.to_string(),
        ts: Timestamp::from_nanos(ts_ns),
        values: (0..channels)
            .map(|i| ChannelValue {
                channel: format!("c{i}"),
                value: ts_ns as f64 * 0.1 + i as f64 / 3.0,
                quality: quality[i % 4],
            })
            .collect(),
        context: Vec::new(),
    }
}

/// A user with a (fake) Argon2id hash, created at 1 ns.
pub fn user(name: &str, role: &str) -> crate::User {
    crate::User {
        name: name.into(),
        role: role.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: Timestamp::from_nanos(1),
    }
}

pub fn event(action: &str) -> Event {
    let mut e = Event::new(Timestamp::from_millis(1_700_000_000_000), "alice", action, "target");
    e.reason = Some("test".into());
    e
}

/// A record as the product writes it: about `target`, naming `new_value` (the row checks of
/// `audit verify` compare rows with these).
pub fn record(action: &str, target: &str, new_value: &str) -> Event {
    let mut e = event(action);
    e.target = target.into();
    e.new_value = Some(new_value.into());
    e
}

pub fn score(asset: &str, ts_ns: i64) -> ScoreRecord {
    ScoreRecord {
        asset: asset.to_string(),
        ts: Timestamp::from_nanos(ts_ns),
        t2: ts_ns as f64 / 7.0,
        t2_limit: 12.5,
        spe: 0.1 + ts_ns as f64,
        spe_limit: 3.25,
        alarm: ts_ns % 2 == 0,
        imputed: 1,
        top: vec![Contributor { channel: "c1".into(), value: 2.0 / 3.0 }],
    }
}

pub fn alarm(id: u64, asset: &str, raised_ns: i64, state: AlarmState) -> Alarm {
    Alarm {
        id,
        asset: asset.to_string(),
        state,
        priority: Priority::High,
        raised_at: Timestamp::from_nanos(raised_ns),
        cleared_at: (state == AlarmState::Normal).then(|| Timestamp::from_nanos(raised_ns + 5)),
        contributors: vec![Contributor { channel: "c0".into(), value: 1.0 / 3.0 }],
        fault_class: Some(FaultClass { label: "step".into(), confidence: 0.75 }),
        peak: 4.5,
        shelved_until: (state == AlarmState::Shelved)
            .then(|| Timestamp::from_nanos(raised_ns + 60)),
        // Every other alarm is a silence alarm, so both shapes go through the store.
        kind: if id.is_multiple_of(2) { AlarmKind::Silence } else { AlarmKind::Process },
    }
}
