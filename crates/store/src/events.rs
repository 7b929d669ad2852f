//! The audit trail: who changed what, when, from which value to which, and why.
//!
//! Every change of an alarm, model or setting writes its [`Event`] in the same transaction as
//! the change, and writes it *first*: if the event cannot be written (for example an empty
//! actor, refused by a CHECK constraint), the transaction rolls back and the change does not
//! happen.
//!
//! Events are append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row's
//! `hash` is SHA-256 over the previous row's hash and the event's fields, so editing, removing
//! or reordering an event breaks the chain at that point, and [`Store::verify_events`] names it.

use std::path::Path;

use faultline_types::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{signed, sql, sql_limit, unsigned, write_tx};
use crate::{Store, StoreError};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Wall-clock time of the change, given by the caller (the store never reads the clock).
    pub at: Timestamp,
    /// Who made the change (a user name, or a component such as `pipeline`). Must not be empty.
    pub actor: String,
    /// What kind of change, for example `alarm.ack`, `model.upload`, `model.activate`,
    /// `config.load`, `token.create`. Must not be empty.
    pub action: String,
    /// What was changed, for example `alarm/17` or `model/pump-1`.
    pub target: String,
    /// The value before the change, when it has one.
    pub old_value: Option<String>,
    /// The value after the change, when it has one.
    pub new_value: Option<String>,
    /// The reason given by the actor.
    pub reason: Option<String>,
}

impl Event {
    /// An event without old value, new value or reason.
    pub fn new(
        at: Timestamp,
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Event {
        Event {
            at,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            old_value: None,
            new_value: None,
            reason: None,
        }
    }
}

const INSERT: &str = "INSERT INTO events \
     (at_ns, actor, action, target, old_value, new_value, reason, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const LAST_HASH: &str = "SELECT hash FROM events ORDER BY id DESC LIMIT 1";
const COLUMNS: &str = "SELECT id, at_ns, actor, action, target, old_value, new_value, reason";

impl Store {
    /// Appends an audit event on its own (for changes whose state lives outside the store, such
    /// as loading a config file) and returns its id.
    pub fn append_event(&mut self, event: &Event) -> Result<u64, StoreError> {
        const WHAT: &str = "append an audit event";
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        let id = insert_event(&tx, path, event, WHAT)?;
        tx.commit().map_err(sql(path, WHAT))?;
        Ok(unsigned(id))
    }

    /// Up to `limit` events with an id above `after_id` (all when `None`), oldest first, with
    /// their ids: page on by passing the last id seen.
    pub fn events(
        &self,
        limit: usize,
        after_id: Option<u64>,
    ) -> Result<Vec<(u64, Event)>, StoreError> {
        let err = sql(&self.path, "read audit events");
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"))
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![signed(after_id.unwrap_or(0)), sql_limit(limit)], read_event)
            .map_err(&err)?;
        rows.map(|row| row.map(|(id, event)| (unsigned(id), event)).map_err(&err)).collect()
    }

    /// Recomputes the audit trail's hash chain from the first event on and returns how many
    /// events it verified; the first event that does not match is [`StoreError::AuditChain`].
    pub fn verify_events(&self) -> Result<u64, StoreError> {
        let err = sql(&self.path, "verify the audit trail");
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{COLUMNS}, hash FROM events ORDER BY id"))
            .map_err(&err)?;
        let rows =
            stmt.query_map([], |r| Ok((read_event(r)?, r.get::<_, Vec<u8>>(8)?))).map_err(&err)?;
        let mut prev = [0u8; 32];
        let mut count = 0;
        for row in rows {
            let ((id, event), hash) = row.map_err(&err)?;
            let expected = chain_hash(&prev, &event);
            if hash[..] != expected[..] {
                return Err(StoreError::AuditChain { path: self.path.clone(), id: unsigned(id) });
            }
            prev = expected;
            count += 1;
        }
        Ok(count)
    }
}

/// Writes `event` inside the caller's write transaction and returns its id. Callers call this
/// before making the change it describes (see the module docs).
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    path: &Path,
    event: &Event,
    what: &str,
) -> Result<i64, StoreError> {
    let err = sql(path, what);
    // Read under the write lock (BEGIN IMMEDIATE), so no other handle can append in between
    // and fork the chain.
    let prev: Option<Vec<u8>> = tx
        .prepare_cached(LAST_HASH)
        .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
        .map_err(&err)?;
    let hash = chain_hash(prev.as_deref().unwrap_or(&[0u8; 32]), event);
    tx.prepare_cached(INSERT)
        .and_then(|mut s| {
            s.execute(params![
                event.at.as_nanos(),
                event.actor,
                event.action,
                event.target,
                event.old_value,
                event.new_value,
                event.reason,
                hash
            ])
        })
        .map_err(&err)?;
    Ok(tx.last_insert_rowid())
}

/// SHA-256 over the previous hash and a length-prefixed encoding of the event's fields. The
/// encoding is spelled out (not serde) so the chain never depends on how `Event` serialises.
fn chain_hash(prev: &[u8], event: &Event) -> [u8; 32] {
    fn text(h: &mut Sha256, s: &str) {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    }
    fn optional(h: &mut Sha256, s: Option<&str>) {
        match s {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                text(h, s);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(prev);
    h.update(event.at.as_nanos().to_be_bytes());
    text(&mut h, &event.actor);
    text(&mut h, &event.action);
    text(&mut h, &event.target);
    optional(&mut h, event.old_value.as_deref());
    optional(&mut h, event.new_value.as_deref());
    optional(&mut h, event.reason.as_deref());
    h.finalize().into()
}

fn read_event(r: &Row<'_>) -> rusqlite::Result<(i64, Event)> {
    let event = Event {
        at: Timestamp::from_nanos(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        target: r.get(4)?,
        old_value: r.get(5)?,
        new_value: r.get(6)?,
        reason: r.get(7)?,
    };
    Ok((r.get(0)?, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn events_round_trip_and_page() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut full = event("config.load");
        full.old_value = Some("a".into());
        full.new_value = Some("b".into());
        full.reason = Some("new line".into());
        let ids: Vec<u64> = [event("x.one"), full.clone(), event("x.three")]
            .iter()
            .map(|e| store.append_event(e).unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let all = store.events(10, None).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1], (ids[1], full));
        let page = store.events(1, Some(ids[0])).unwrap();
        assert_eq!(page.iter().map(|e| e.0).collect::<Vec<_>>(), vec![ids[1]]);
        assert!(store.events(10, Some(ids[2])).unwrap().is_empty());
        assert_eq!(store.verify_events().unwrap(), 3);
    }

    #[test]
    fn an_event_without_actor_or_action_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut no_actor = event("x.y");
        no_actor.actor.clear();
        let err = store.append_event(&no_actor).unwrap_err();
        assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
        assert!(store.append_event(&event("")).is_err());
        assert!(store.events(10, None).unwrap().is_empty());
    }

    #[test]
    fn events_are_append_only_and_tampering_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let ids: Vec<u64> = (0..4).map(|_| store.append_event(&event("x.y")).unwrap()).collect();
        let conn = raw(dir.path());
        assert!(conn.execute("UPDATE events SET actor = 'mallory'", []).is_err());
        assert!(conn.execute("DELETE FROM events", []).is_err());

        // Someone with write access to the file drops the guard and edits history.
        conn.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete").unwrap();
        conn.execute("UPDATE events SET reason = 'fixed' WHERE id = ?1", [ids[2] as i64]).unwrap();
        let err = store.verify_events().unwrap_err();
        assert!(matches!(err, StoreError::AuditChain { id, .. } if id == ids[2]), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let ids: Vec<u64> = (0..4).map(|_| store.append_event(&event("x.y")).unwrap()).collect();
        let conn = raw(dir.path());
        conn.execute_batch("DROP TRIGGER events_no_delete").unwrap();
        conn.execute("DELETE FROM events WHERE id = ?1", [ids[1] as i64]).unwrap();
        let err = store.verify_events().unwrap_err();
        assert!(matches!(err, StoreError::AuditChain { id, .. } if id == ids[2]), "{err}");
    }

    #[test]
    fn two_handles_extend_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Store::open(dir.path()).unwrap();
        let mut b = Store::open(dir.path()).unwrap();
        for _ in 0..3 {
            a.append_event(&event("a.x")).unwrap();
            b.append_event(&event("b.x")).unwrap();
        }
        assert_eq!(a.verify_events().unwrap(), 6);
    }
}
