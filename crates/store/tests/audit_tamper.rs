//! The audit tamper test: an attacker with the SQLite file opens it raw, drops the append-only
//! triggers and edits, deletes, reorders or cuts off records at random, over many seeded
//! trials. Every change must be detected, and the report must name the first bad record: the
//! smallest id at which the stored trail differs from the one that was written.

use std::path::Path;

use faultline_store::{ANCHOR_FILE, DB_FILE, Event, Signature, Store};
use faultline_types::Timestamp;
use rusqlite::Connection;

/// splitmix64: a seeded generator without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A trail of `n` varied records, some of them signed.
fn write_trail(dir: &Path, n: u64, rng: &mut Rng) {
    let mut store = Store::open(dir).unwrap();
    for i in 1..=n {
        let actor = ["alice", "bob", "system", "admin-token"][rng.range(0, 3) as usize];
        let mut event = Event::new(
            Timestamp::from_nanos(1_700_000_000_000_000_000 + i as i64 * 1_000_000),
            actor,
            ["alarm.ack", "model.activate", "user.create", "login.failure"]
                [rng.range(0, 3) as usize],
            format!("target/{}", rng.range(0, 5)),
        );
        if rng.range(0, 1) == 1 {
            event.old_value = Some(format!("old {}", rng.next()));
        }
        if rng.range(0, 1) == 1 {
            event.new_value = Some(format!("new {}", rng.next()));
        }
        if rng.range(0, 2) > 0 {
            event.reason = Some("because".into());
        }
        if rng.range(0, 3) == 0 {
            event.signature = Some(Signature {
                signer: actor.into(),
                signed_at: event.at,
                meaning: "approved".into(),
            });
        }
        store.append_event(&event).unwrap();
    }
    assert!(store.audit_report().unwrap().ok());
}

/// The attacker's handle: plain SQLite, guards dropped.
fn attacker(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;").unwrap();
    conn
}

const ROW: &str = "at_ns, actor, action, target, old_value, new_value, reason, signer, \
                   signed_at_ns, meaning, hash";

/// Swaps everything but the ids of records `i` and `j`.
fn swap(conn: &Connection, i: u64, j: u64) {
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE a AS SELECT {ROW} FROM events WHERE id = {i};
         CREATE TEMP TABLE b AS SELECT {ROW} FROM events WHERE id = {j};
         DELETE FROM events WHERE id IN ({i}, {j});
         INSERT INTO events (id, {ROW}) SELECT {i}, * FROM b;
         INSERT INTO events (id, {ROW}) SELECT {j}, * FROM a;
         DROP TABLE a; DROP TABLE b;"
    ))
    .unwrap();
}

/// Applies one random kind of tampering and returns what it was and the expected first bad id.
fn tamper(conn: &Connection, n: u64, rng: &mut Rng) -> (String, u64) {
    match rng.range(0, 6) {
        0 => {
            let k = rng.range(1, n);
            let (column, change) = [
                ("actor", "actor || 'x'"),
                ("action", "action || 'x'"),
                ("target", "target || 'x'"),
                ("old_value", "coalesce(old_value, '') || 'x'"),
                ("new_value", "coalesce(new_value, '') || 'x'"),
                ("reason", "CASE WHEN reason IS NULL THEN 'x' ELSE NULL END"),
                ("at_ns", "at_ns + 1"),
                ("hash", "randomblob(32)"),
                ("signer", "coalesce(signer, 'alice') || 'x'"),
                ("meaning", "CASE WHEN meaning = 'approved' THEN 'reviewed' ELSE 'approved' END"),
                ("signed_at_ns", "coalesce(signed_at_ns, 0) + 1"),
            ][rng.range(0, 10) as usize];
            conn.execute(
                &format!("UPDATE events SET {column} = {change} WHERE id = ?1"),
                [k as i64],
            )
            .unwrap();
            (format!("edit {column} of {k}"), k)
        }
        1 => {
            let k = rng.range(1, n);
            conn.execute("DELETE FROM events WHERE id = ?1", [k as i64]).unwrap();
            (format!("delete {k}"), k)
        }
        2 => {
            let i = rng.range(1, n - 1);
            let j = rng.range(i + 1, n);
            swap(conn, i, j);
            (format!("swap {i} and {j}"), i)
        }
        3 => {
            let k = rng.range(1, n);
            conn.execute("DELETE FROM events WHERE id >= ?1", [k as i64]).unwrap();
            (format!("truncate from {k}"), k)
        }
        4 => {
            // Delete and close the gap, so the ids look consecutive again.
            let k = rng.range(1, n);
            conn.execute("DELETE FROM events WHERE id = ?1", [k as i64]).unwrap();
            for id in k + 1..=n {
                conn.execute("UPDATE events SET id = ?1 WHERE id = ?2", [id as i64 - 1, id as i64])
                    .unwrap();
            }
            (format!("renumber after deleting {k}"), k)
        }
        5 => {
            // Move a record to the end.
            let k = rng.range(1, n);
            conn.execute("UPDATE events SET id = ?1 WHERE id = ?2", [(n + 1) as i64, k as i64])
                .unwrap();
            (format!("move {k} to the end"), k)
        }
        _ => {
            // Copy one record's signature onto another.
            let from = rng.range(1, n);
            let mut to = rng.range(1, n);
            if to == from {
                to = if from == n { 1 } else { from + 1 };
            }
            conn.execute(
                "UPDATE events SET (signer, signed_at_ns, meaning) = \
                 (SELECT coalesce(signer, 'alice'), coalesce(signed_at_ns, 1), \
                  coalesce(meaning, 'approved') FROM events WHERE id = ?1) WHERE id = ?2",
                [from as i64, to as i64],
            )
            .unwrap();
            (format!("copy the signature of {from} onto {to}"), to)
        }
    }
}

#[test]
fn random_offline_tampering_is_always_detected_at_the_first_bad_record() {
    let mut kinds = std::collections::BTreeMap::new();
    for seed in 0..210u64 {
        let mut rng = Rng(seed);
        let dir = tempfile::tempdir().unwrap();
        let n = rng.range(3, 25);
        write_trail(dir.path(), n, &mut rng);
        let conn = attacker(dir.path());
        let (what, expected) = tamper(&conn, n, &mut rng);
        drop(conn);
        let report = Store::open(dir.path()).unwrap().audit_report().unwrap();
        assert!(!report.ok(), "seed {seed}: `{what}` was not detected");
        assert_eq!(report.first_bad, Some(expected), "seed {seed}: `{what}`: {:?}", report.detail);
        assert_eq!(report.records, expected - 1, "seed {seed}: `{what}`");
        *kinds.entry(what.split(' ').next().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    // Every kind of tampering was tried many times.
    assert_eq!(kinds.len(), 7, "{kinds:?}");
    assert!(kinds.values().all(|&count| count >= 10), "{kinds:?}");
}

#[test]
fn a_removed_anchor_is_reported_and_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 5, &mut Rng(7));
    std::fs::remove_file(dir.path().join(ANCHOR_FILE)).unwrap();
    attacker(dir.path()).execute("DELETE FROM events WHERE id >= 4", []).unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let report = store.audit_report().unwrap();
    assert!(!report.ok());
    assert!(report.detail.unwrap().contains(ANCHOR_FILE));
    // Later writes do not bring the anchor back at the shortened end.
    store.append_event(&Event::new(Timestamp::from_nanos(9), "system", "x.y", "t")).unwrap();
    assert!(!dir.path().join(ANCHOR_FILE).exists());
    assert!(!store.audit_report().unwrap().ok());
}
