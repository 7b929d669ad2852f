//! Settings: a small key/value table for values the service must keep across restarts (for
//! example the admin token's hash). Every change is audited in the same transaction.

use rusqlite::{OptionalExtension, params};

use crate::db::{sql, write_tx};
use crate::events::{commit_audited, insert_event};
use crate::{Event, Store, StoreError};

impl Store {
    /// The value of `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(sql(&self.path, "read a setting"))
    }

    /// Whether the record that last set `key` names its value or the value's digest (what
    /// `audit verify` checks the value against); `None` when `key` is not set. Records written
    /// before stop 12 named no digest of the admin token's hash.
    pub fn setting_is_named(&self, key: &str) -> Result<Option<bool>, StoreError> {
        let found: Option<(String, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT s.value, e.new_value FROM settings s JOIN events e ON e.id = s.event_id \
                 WHERE s.key = ?1",
            )
            .and_then(|mut s| s.query_row([key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(sql(&self.path, "read a setting's record"))?;
        Ok(found.map(|(value, named)| {
            let named = named.unwrap_or_default();
            named.contains(&value) || named.contains(&crate::digest_fingerprint(&value))
        }))
    }

    /// Sets `key` to `value` and appends `event`, atomically (the event first: if it cannot be
    /// written, the setting keeps its old value). The event is stored as given: secrets such as
    /// token hashes should not be put in its old or new value.
    pub fn set_setting(&mut self, key: &str, value: &str, event: &Event) -> Result<(), StoreError> {
        let what = format!("set setting {key}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        let event_id = insert_event(&tx, path, event, &what)?;
        tx.prepare_cached(
            "INSERT INTO settings (key, value, event_id) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, event_id = excluded.event_id",
        )
        .and_then(|mut s| s.execute(params![key, value, event_id]))
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn settings_round_trip_and_are_audited_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.setting("admin_token").unwrap(), None);
        store.set_setting("admin_token", "h1", &event("token.create")).unwrap();
        store.set_setting("admin_token", "h2", &event("token.create")).unwrap();
        assert_eq!(store.setting("admin_token").unwrap().as_deref(), Some("h2"));
        assert_eq!(store.events(10, None).unwrap().len(), 2);

        let mut anonymous = event("token.create");
        anonymous.actor.clear();
        assert!(store.set_setting("admin_token", "h3", &anonymous).is_err());
        assert_eq!(store.setting("admin_token").unwrap().as_deref(), Some("h2"));
        assert!(store.set_setting("", "x", &event("config.load")).is_err());
        assert_eq!(store.events(10, None).unwrap().len(), 2);
    }
}
