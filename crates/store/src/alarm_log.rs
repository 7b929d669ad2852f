//! The alarm log: the current version of every alarm, each change written together with its
//! audit event (the event first, in the same transaction), so the log and the audit trail can
//! never disagree.
//!
//! The full `Alarm` is kept as JSON; `asset`, `state` and `raised_at` are copied into indexed
//! columns for the operator's queries.

use faultline_types::{Alarm, AlarmState};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::db::{signed, sql, sql_limit, unsigned, write_tx};
use crate::events::{commit_audited, insert_event};
use crate::history::insert_scores;
use crate::{Event, ScoreRecord, Store, StoreError};

/// Which alarms [`Store::alarms`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmFilter {
    /// Only this asset's alarms, when set.
    pub asset: Option<String>,
    /// Only alarms in one of these states; empty means any state.
    pub states: Vec<AlarmState>,
    /// At most this many (the newest).
    pub limit: usize,
}

impl Default for AlarmFilter {
    /// Every asset and state, the newest 1000 (a limit of 0 would return nothing).
    fn default() -> Self {
        AlarmFilter { asset: None, states: Vec::new(), limit: 1000 }
    }
}

// An upsert: the alarm engine saves every state change of the same alarm id, and the row always
// holds the newest version. `event_id` points at the audit event of that version.
const UPSERT: &str = "INSERT INTO alarms (id, asset, state, raised_at_ns, body, event_id) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET \
     asset = excluded.asset, state = excluded.state, raised_at_ns = excluded.raised_at_ns, \
     body = excluded.body, event_id = excluded.event_id";

impl Store {
    /// The id for the next new alarm: one more than the largest stored.
    ///
    /// Ids are not reserved: the alarm engine (the one writer of alarms) should call this once
    /// at start-up and count on from there, since calling it twice before saving returns the
    /// same id.
    pub fn next_alarm_id(&self) -> Result<u64, StoreError> {
        let next: i64 = self
            .conn
            .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM alarms")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(sql(&self.path, "read the next alarm id"))?;
        Ok(unsigned(next))
    }

    /// Inserts or replaces alarm `alarm.id` and appends `event`, atomically: the event is
    /// written first, and if it fails (for example an empty actor) the alarm is not changed.
    /// Returns the event's id.
    ///
    /// Non-finite numbers (peak, contributions, confidence) are refused: JSON cannot hold them.
    pub fn save_alarm(&mut self, alarm: &Alarm, event: &Event) -> Result<u64, StoreError> {
        let what = format!("save alarm {}", alarm.id);
        let body = self.alarm_body(alarm)?;
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, &what)?;
        let event_id = upsert_alarm(&tx, path, alarm, &body, event, &what)?;
        commit_audited(tx, path, &what)?;
        Ok(unsigned(event_id))
    }

    /// Stores alarm changes (each with its audit record, in order) and score rows in one
    /// transaction: all of them or none. The engine writes what a batch of samples changed this
    /// way, so that a crash can neither keep a change without the scores that caused it (the
    /// next start scores samples after the newest stored score again, and would record the
    /// change a second time) nor keep those scores without the change (it would be lost).
    /// Refused as a whole when any alarm or score is (see [`Store::save_alarm`] and
    /// [`Store::append_scores`]).
    pub fn save_alarms_and_scores(
        &mut self,
        changes: &[(&Alarm, &Event)],
        scores: &[ScoreRecord],
    ) -> Result<(), StoreError> {
        const WHAT: &str = "save alarm changes with their scores";
        let bodies = changes
            .iter()
            .map(|(alarm, _)| self.alarm_body(alarm))
            .collect::<Result<Vec<_>, _>>()?;
        let tops = self.score_tops(scores)?;
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        for ((alarm, event), body) in changes.iter().zip(&bodies) {
            upsert_alarm(&tx, path, alarm, body, event, WHAT)?;
        }
        insert_scores(&tx, path, scores, &tops)?;
        if changes.is_empty() {
            return tx.commit().map_err(sql(path, WHAT));
        }
        commit_audited(tx, path, WHAT)
    }

    /// One alarm by id.
    pub fn alarm(&self, id: u64) -> Result<Option<Alarm>, StoreError> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM alarms WHERE id = ?1")
            .and_then(|mut s| s.query_row([signed(id)], |r| r.get(0)).optional())
            .map_err(sql(&self.path, "read an alarm"))?;
        body.map(|body| self.decode_alarm(signed(id), &body)).transpose()
    }

    /// Alarms matching `filter`, newest (latest `raised_at`) first.
    pub fn alarms(&self, filter: &AlarmFilter) -> Result<Vec<Alarm>, StoreError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(asset) = &filter.asset {
            values.push(Value::Text(asset.clone()));
            conditions.push(format!("asset = ?{}", values.len()));
        }
        if !filter.states.is_empty() {
            let mut marks = Vec::new();
            for state in &filter.states {
                values.push(Value::Text(state.as_str().to_string()));
                marks.push(format!("?{}", values.len()));
            }
            conditions.push(format!("state IN ({})", marks.join(", ")));
        }
        let mut query = String::from("SELECT id, body FROM alarms");
        if !conditions.is_empty() {
            query = format!("{query} WHERE {}", conditions.join(" AND "));
        }
        values.push(Value::Integer(sql_limit(filter.limit)));
        query = format!("{query} ORDER BY raised_at_ns DESC, id DESC LIMIT ?{}", values.len());
        self.read_alarms(&query, values)
    }

    /// Every alarm not in state `Normal`, oldest id first: what the alarm engine restores after
    /// a restart.
    pub fn open_alarms(&self) -> Result<Vec<Alarm>, StoreError> {
        let query = "SELECT id, body FROM alarms WHERE state <> ?1 ORDER BY id";
        self.read_alarms(query, vec![Value::Text(AlarmState::Normal.as_str().into())])
    }

    fn read_alarms(&self, query: &str, values: Vec<Value>) -> Result<Vec<Alarm>, StoreError> {
        let err = sql(&self.path, "read alarms");
        let mut stmt = self.conn.prepare_cached(query).map_err(&err)?;
        let rows = stmt
            .query_map(params_from_iter(values), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(&err)?;
            out.push(self.decode_alarm(id, &body)?);
        }
        Ok(out)
    }

    fn decode_alarm(&self, id: i64, body: &str) -> Result<Alarm, StoreError> {
        serde_json::from_str(body).map_err(|e| StoreError::Damaged {
            path: self.path.clone(),
            record: format!("alarm {id}"),
            reason: format!("not a valid alarm: {e}"),
        })
    }

    fn alarm_body(&self, alarm: &Alarm) -> Result<String, StoreError> {
        let invalid = |why: String| StoreError::Invalid {
            path: self.path.clone(),
            what: format!("alarm {} of asset {}: {why}", alarm.id, alarm.asset),
        };
        if i64::try_from(alarm.id).is_err() {
            return Err(invalid("the id is larger than 2^63 - 1".into()));
        }
        let finite = alarm.peak.is_finite()
            && alarm.contributors.iter().all(|c| c.value.is_finite())
            && alarm.fault_class.as_ref().is_none_or(|f| f.confidence.is_finite());
        if !finite {
            return Err(invalid("peak, a contribution or the confidence is not finite".into()));
        }
        serde_json::to_string(alarm).map_err(|e| invalid(e.to_string()))
    }
}

/// Writes `event`, then `alarm` (its JSON `body`) as the version that event describes, inside
/// the caller's write transaction; returns the event's id.
fn upsert_alarm(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    alarm: &Alarm,
    body: &str,
    event: &Event,
    what: &str,
) -> Result<i64, StoreError> {
    let event_id = insert_event(tx, path, event, what)?;
    tx.prepare_cached(UPSERT)
        .and_then(|mut s| {
            s.execute(params![
                signed(alarm.id),
                alarm.asset,
                alarm.state.as_str(),
                alarm.raised_at.as_nanos(),
                body,
                event_id
            ])
        })
        .map_err(sql(path, what))?;
    Ok(event_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn alarms_round_trip_with_filters() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.next_alarm_id().unwrap(), 1);
        let a1 = alarm(1, "a", 100, AlarmState::UnackedActive);
        let b2 = alarm(2, "b", 200, AlarmState::Normal);
        let a3 = alarm(3, "a", 300, AlarmState::AckedActive);
        for a in [&a1, &b2, &a3] {
            store.save_alarm(a, &event("alarm.raise")).unwrap();
        }
        assert_eq!(store.next_alarm_id().unwrap(), 4);
        assert_eq!(store.alarm(1).unwrap(), Some(a1.clone()));
        assert_eq!(store.alarm(99).unwrap(), None);

        let all = store.alarms(&AlarmFilter::default()).unwrap();
        assert_eq!(all, vec![a3.clone(), b2.clone(), a1.clone()]);
        let of_a = AlarmFilter { asset: Some("a".into()), ..AlarmFilter::default() };
        assert_eq!(store.alarms(&of_a).unwrap(), vec![a3.clone(), a1.clone()]);
        let active = AlarmFilter {
            states: vec![AlarmState::UnackedActive, AlarmState::Normal],
            ..AlarmFilter::default()
        };
        assert_eq!(store.alarms(&active).unwrap(), vec![b2.clone(), a1.clone()]);
        let both = AlarmFilter { states: vec![AlarmState::AckedActive], limit: 1, ..of_a };
        assert_eq!(store.alarms(&both).unwrap(), vec![a3.clone()]);
        assert!(
            store.alarms(&AlarmFilter { limit: 0, ..AlarmFilter::default() }).unwrap().is_empty()
        );
        assert_eq!(store.open_alarms().unwrap(), vec![a1.clone(), a3.clone()]);

        // A state change replaces the row and is audited.
        let mut acked = a1.clone();
        acked.state = AlarmState::AckedActive;
        let mut ack = event("alarm.ack");
        ack.target = "alarm/1".into();
        let event_id = store.save_alarm(&acked, &ack).unwrap();
        assert_eq!(store.alarm(1).unwrap(), Some(acked));
        assert_eq!(store.events(1, Some(event_id - 1)).unwrap(), vec![(event_id, ack)]);
        assert_eq!(store.next_alarm_id().unwrap(), 4);
    }

    #[test]
    fn a_failed_audit_write_leaves_the_alarm_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let raised = alarm(7, "a", 100, AlarmState::UnackedActive);
        store.save_alarm(&raised, &event("alarm.raise")).unwrap();
        let events_before = store.events(100, None).unwrap();

        let mut acked = raised.clone();
        acked.state = AlarmState::AckedActive;
        let mut anonymous = event("alarm.ack");
        anonymous.actor.clear(); // refused by the events table's CHECK (actor <> '')
        let err = store.save_alarm(&acked, &anonymous).unwrap_err();
        assert!(err.to_string().contains("save alarm 7 failed"), "{err}");
        assert_eq!(store.alarm(7).unwrap(), Some(raised));
        assert_eq!(store.events(100, None).unwrap(), events_before);

        // A new alarm with a failing event is not created either.
        let new = alarm(8, "a", 200, AlarmState::UnackedActive);
        assert!(store.save_alarm(&new, &anonymous).is_err());
        assert_eq!(store.alarm(8).unwrap(), None);
    }

    #[test]
    fn non_finite_alarm_numbers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut bad = alarm(1, "a", 1, AlarmState::UnackedActive);
        bad.peak = f64::INFINITY;
        let err = store.save_alarm(&bad, &event("alarm.raise")).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(store.events(10, None).unwrap().is_empty());
    }

    /// Alarm changes and the scores that caused them are stored together or not at all: a
    /// refused change leaves no score, no record and no alarm row behind.
    #[test]
    fn alarm_changes_and_their_scores_are_stored_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let raised = alarm(1, "pump-1", 10, AlarmState::UnackedActive);
        let returned = Alarm { state: AlarmState::UnackedReturned, ..raised.clone() };
        let (raise, ret) = (event("alarm.raise"), event("alarm.return"));
        let scores = [score("pump-1", 9), score("pump-1", 10)];
        store.save_alarms_and_scores(&[(&raised, &raise), (&returned, &ret)], &scores).unwrap();
        assert_eq!(store.alarm(1).unwrap().unwrap().state, AlarmState::UnackedReturned);
        assert_eq!(store.events(10, None).unwrap().len(), 2);
        assert_eq!(store.latest_scores("pump-1", 10).unwrap().len(), 2);
        assert!(store.audit_report().unwrap().records == 2);

        // A second batch whose last change is refused: its first change and its scores are
        // not stored either.
        let next = alarm(2, "pump-1", 20, AlarmState::UnackedActive);
        let mut bad = alarm(3, "pump-1", 21, AlarmState::UnackedActive);
        bad.peak = f64::NAN;
        let more = [score("pump-1", 20), score("pump-1", 21)];
        let err =
            store.save_alarms_and_scores(&[(&next, &raise), (&bad, &raise)], &more).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(store.alarm(2).unwrap().is_none());
        assert_eq!(store.events(10, None).unwrap().len(), 2);
        assert_eq!(store.latest_scores("pump-1", 10).unwrap().len(), 2);

        // Refused by the file itself (a trigger, as a full disk or a read-only file would):
        // the same.
        raw(dir.path())
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON scores BEGIN SELECT RAISE(ABORT, 'no'); END",
            )
            .unwrap();
        let err = store.save_alarms_and_scores(&[(&next, &raise)], &more).unwrap_err();
        assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
        assert!(store.alarm(2).unwrap().is_none());
        assert_eq!(store.events(10, None).unwrap().len(), 2);
    }
}
