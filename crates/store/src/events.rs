//! The audit trail: who changed what, when, from which value to which, and why; and for
//! electronically signed records, who signed, when, and what the signature means.
//!
//! Every change of an alarm, model, user, role or setting writes its [`Event`] in the same
//! transaction as the change, and writes it *first*: if the event cannot be written (for
//! example an empty actor, refused by a CHECK constraint), the transaction rolls back and the
//! change does not happen.
//!
//! Events are append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row's
//! `hash` is SHA-256 over the previous row's hash and the event's fields, signature included,
//! so editing, removing or reordering an event breaks the chain at that point, and a signature
//! copied onto another record does not verify there. Ids are consecutive from 1, so a removed
//! record is named by its own id. After each commit the newest id and hash are written to the
//! anchor file (`anchor.rs`), which is what detects a trail cut off at the end.
//! [`Store::audit_report`] checks all of it and names the first bad record.

use std::path::Path;

use faultline_types::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::anchor::{self, Anchor};
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
    /// The electronic signature given with the change (model activation), bound to this
    /// record by the hash chain.
    #[serde(default)]
    pub signature: Option<Signature>,
}

/// An electronic signature (21 CFR Part 11 style): the signer re-entered their password, and
/// states what the signature means. The store records it; checking the password is the
/// caller's job, before the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The signer's user name (the record's actor).
    pub signer: String,
    /// When the signature was given.
    pub signed_at: Timestamp,
    /// What the signature means, for example `approved`.
    pub meaning: String,
}

impl Event {
    /// An event without old value, new value, reason or signature.
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
            signature: None,
        }
    }
}

/// The outcome of [`Store::audit_report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Records whose place in the hash chain verified: those before the first bad one when
    /// the chain breaks, all of them when it holds (an anchor, link or row check may still
    /// fail then).
    pub records: u64,
    /// The id of the first bad record: edited, missing, out of place or cut off. `None` when
    /// intact, and also when the damage is not one record (a missing anchor).
    pub first_bad: Option<u64>,
    /// What is wrong, in one line; `None` when intact.
    pub detail: Option<String>,
    /// The newest record id the anchor vouches for (`None` when there is no anchor).
    pub anchored_id: Option<u64>,
}

impl AuditReport {
    /// Whether the trail is intact.
    pub fn ok(&self) -> bool {
        self.detail.is_none()
    }
}

const INSERT: &str = "INSERT INTO events \
     (at_ns, actor, action, target, old_value, new_value, reason, signer, signed_at_ns, meaning, \
      hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const LAST: &str = "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1";
const COLUMNS: &str = "SELECT id, at_ns, actor, action, target, old_value, new_value, reason, \
     signer, signed_at_ns, meaning";

impl Store {
    /// Appends an audit event on its own (for changes whose state lives outside the store, such
    /// as loading a config file, and for logins and denials) and returns its id.
    pub fn append_event(&mut self, event: &Event) -> Result<u64, StoreError> {
        const WHAT: &str = "append an audit event";
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        let id = insert_event(&tx, path, event, WHAT)?;
        commit_audited(tx, path, WHAT)?;
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

    /// Up to `limit` events with an id below `before_id` (below the end when `None`), newest
    /// first, with their ids.
    pub fn events_newest(
        &self,
        limit: usize,
        before_id: Option<u64>,
    ) -> Result<Vec<(u64, Event)>, StoreError> {
        let err = sql(&self.path, "read audit events");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{COLUMNS} FROM events WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(&err)?;
        let before = before_id.map_or(i64::MAX, signed);
        let rows = stmt.query_map(params![before, sql_limit(limit)], read_event).map_err(&err)?;
        rows.map(|row| row.map(|(id, event)| (unsigned(id), event)).map_err(&err)).collect()
    }

    /// The times of the failed password checks of `username` (`login.failure`,
    /// `signature.failure` for a wrong password given with an electronic signature, and
    /// `password.failure` for a wrong current password when changing it) at or
    /// after `since` that came after its last successful login: the lockout count. They are
    /// audited on target `user/<name>`, so the audit trail is the only record of them.
    pub fn failed_logins(
        &self,
        username: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, StoreError> {
        let err = sql(&self.path, "count failed logins");
        let target = format!("user/{username}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at_ns FROM events WHERE target = ?1 \
                 AND action IN ('login.failure', 'signature.failure', 'password.failure') \
                 AND at_ns >= ?2 AND id > coalesce((SELECT max(id) FROM events \
                 WHERE target = ?1 AND action = 'login.success'), 0) ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![target, since.as_nanos()], |r| r.get(0).map(Timestamp::from_nanos))
            .map_err(&err)?;
        rows.map(|row| row.map_err(&err)).collect()
    }

    /// Recomputes the audit trail's hash chain from the first event on and returns how many
    /// events it verified; the first bad record is [`StoreError::AuditChain`].
    pub fn verify_events(&self) -> Result<u64, StoreError> {
        let report = self.audit_report()?;
        match report.detail {
            None => Ok(report.records),
            Some(reason) => Err(StoreError::AuditChain {
                path: self.path.clone(),
                id: report.first_bad.unwrap_or_default(),
                reason,
            }),
        }
    }

    /// Checks the whole audit trail: ids consecutive from 1, every hash in the chain, every
    /// signature signed by the record's actor, the anchor's record present with the anchored
    /// hash, every model version pointing at its own upload and activation records, and the
    /// rows of users, API tokens, alarms and settings holding what their records say
    /// (`row_audit.rs`). Names the first bad record. `Err` only when the file cannot be read at
    /// all.
    pub fn audit_report(&self) -> Result<AuditReport, StoreError> {
        // The anchor first: it is written after commits, so read before the snapshot it can
        // only be behind what the snapshot holds, never ahead.
        let anchor = anchor::read(&self.path);
        let err = sql(&self.path, "verify the audit trail");
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let mut report = verify_chain(&tx, &self.path, anchor.as_ref().ok().copied().flatten())?;
        let anchored = anchor.as_ref().ok().copied().flatten();
        report.anchored_id = anchored.map(|a| a.id);
        if report.ok() {
            match anchor {
                Err(reason) => report.detail = Some(reason),
                Ok(None) if report.records > 0 => {
                    report.detail = Some(format!(
                        "the anchor file {} is missing, so a cut-off end of the trail cannot be \
                         ruled out",
                        anchor::ANCHOR_FILE
                    ))
                }
                Ok(None) if audited_rows(&tx, &self.path)? > 0 => {
                    report.detail = Some(format!(
                        "the trail is empty and the anchor file {} is missing, yet the store \
                         holds users, models, settings or alarms that records created: the trail \
                         was removed",
                        anchor::ANCHOR_FILE
                    ))
                }
                _ => {}
            }
        }
        if report.ok()
            && let Some((id, detail)) = dangling_link(&tx, &self.path)?
        {
            report.first_bad = Some(id);
            report.detail = Some(detail);
        }
        if report.ok() {
            let contradiction = match check_model_links(&tx, &self.path)? {
                Some(found) => Some(found),
                None => match check_model_rows(&tx, &self.path)? {
                    Some(found) => Some(found),
                    None => crate::row_audit::check_rows(&tx, &self.path)?,
                },
            };
            if let Some((id, detail)) = contradiction {
                report.first_bad = Some(id);
                report.detail = Some(detail);
            }
        }
        tx.finish().map_err(&err)?;
        Ok(report)
    }

    /// Writes the anchor for the newest record if there is none yet: always for a store this
    /// open created or migrated, otherwise only while the trail is empty (a crash right after
    /// the schema was created). An existing anchor is never replaced here, and a deleted one is
    /// not recreated for a trail that has records: verification reports it instead.
    pub(crate) fn ensure_anchor(&self, created_or_migrated: bool) -> Result<(), StoreError> {
        if !matches!(anchor::read(&self.path), Ok(None)) {
            return Ok(());
        }
        let last = last_event(&self.conn, &self.path, "anchor the audit trail")?;
        // An empty trail beside rows that records created is a removed trail, not a fresh
        // store: anchoring it would make it verify.
        let fresh = last.id == 0 && audited_rows(&self.conn, &self.path)? == 0;
        if !created_or_migrated && !fresh {
            return Ok(());
        }
        anchor::write(&self.path, last)
            .map_err(|error| StoreError::Io { path: anchor::anchor_path(&self.path), error })
    }
}

/// The tables whose rows name the record that created or last changed them.
const AUDITED_TABLES: [&str; 5] = ["users", "api_tokens", "models", "settings", "alarms"];

/// Rows of the audited tables: each came with a record, so there are none in a fresh store.
fn audited_rows(conn: &rusqlite::Connection, path: &Path) -> Result<i64, StoreError> {
    let sum = AUDITED_TABLES.map(|t| format!("(SELECT count(*) FROM {t})")).join(" + ");
    conn.query_row(&format!("SELECT {sum}"), [], |r| r.get(0))
        .map_err(sql(path, "count audited rows"))
}

/// A row that names a record the trail does not hold (removed, or the link edited to one that
/// never was, such as 0): the first such record id, with the row.
fn dangling_link(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
) -> Result<Option<(u64, String)>, StoreError> {
    let err = sql(path, "verify the links to the trail");
    let mut links: Vec<(String, &str)> =
        AUDITED_TABLES.iter().map(|t| (format!("{t}.event_id"), *t)).collect();
    links.push(("models.activated_event_id".into(), "models"));
    for (column, table) in links {
        let field = column.split('.').nth(1).unwrap_or("event_id");
        let query = format!(
            "SELECT min({field}) FROM {table} WHERE {field} IS NOT NULL \
             AND {field} NOT IN (SELECT id FROM events)"
        );
        let missing: Option<i64> = tx.query_row(&query, [], |r| r.get(0)).map_err(&err)?;
        if let Some(id) = missing {
            let shown = unsigned(id.max(0));
            let why = format!(
                "a row of {table} names record {id} ({column}), which the trail does not hold: \
                 records were removed, or the link was edited"
            );
            return Ok(Some((shown, why)));
        }
    }
    Ok(None)
}

/// Walks the chain in id order.
fn verify_chain(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    anchor: Option<Anchor>,
) -> Result<AuditReport, StoreError> {
    let err = sql(path, "verify the audit trail");
    let mut stmt =
        tx.prepare_cached(&format!("{COLUMNS}, hash FROM events ORDER BY id")).map_err(&err)?;
    let rows =
        stmt.query_map([], |r| Ok((read_event(r)?, r.get::<_, Vec<u8>>(11)?))).map_err(&err)?;
    let mut prev = [0u8; 32];
    let mut last_id = 0u64;
    let mut report = AuditReport { records: 0, first_bad: None, detail: None, anchored_id: None };
    fn fail(report: &mut AuditReport, id: u64, detail: String) {
        report.first_bad = Some(id);
        report.detail = Some(detail);
    }
    for row in rows {
        let ((id, event), hash) = match row {
            Ok(row) => row,
            Err(e) => {
                // A value of the wrong type in a column: an edit outside faultline.
                fail(
                    &mut report,
                    last_id + 1,
                    format!("record {} is unreadable: {e}", last_id + 1),
                );
                return Ok(report);
            }
        };
        let id = unsigned(id);
        if id != last_id + 1 {
            let missing = last_id + 1;
            fail(
                &mut report,
                missing,
                format!("record {missing} is missing (the ids jump from {last_id} to {id})"),
            );
            return Ok(report);
        }
        let expected = chain_hash(&prev, &event);
        if hash[..] != expected[..] {
            fail(
                &mut report,
                id,
                format!(
                    "record {id} does not match the hash chain: it was edited, or records \
                     were removed or reordered at this point"
                ),
            );
            return Ok(report);
        }
        if let Some(signature) = &event.signature
            && (!signed_by_actor(&signature.signer, &event.actor)
                || signature.meaning.trim().is_empty())
        {
            fail(
                &mut report,
                id,
                format!("record {id} carries a signature that is not its actor's"),
            );
            return Ok(report);
        }
        if let Some(anchor) = anchor
            && anchor.id == id
            && anchor.hash != expected
        {
            fail(
                &mut report,
                id,
                format!(
                    "record {id} differs from the anchored record: the trail was rewritten from \
                     here or earlier"
                ),
            );
            return Ok(report);
        }
        prev = expected;
        last_id = id;
        report.records += 1;
    }
    // The end the trail must reach: the anchor, and every record another table points at (an
    // alarm, model, setting, user or token row names the event that created it).
    let referenced: Option<i64> = tx
        .query_row(
            "SELECT max(id) FROM (SELECT max(event_id) AS id FROM alarms \
             UNION ALL SELECT max(event_id) FROM models \
             UNION ALL SELECT max(activated_event_id) FROM models \
             UNION ALL SELECT max(event_id) FROM settings \
             UNION ALL SELECT max(event_id) FROM users \
             UNION ALL SELECT max(event_id) FROM api_tokens)",
            [],
            |r| r.get(0),
        )
        .map_err(&err)?;
    let end = anchor.map_or(0, |a| a.id).max(referenced.map_or(0, unsigned));
    if end > last_id {
        let first = last_id + 1;
        fail(
            &mut report,
            first,
            format!(
                "records {first} to {end} are missing: the trail was cut off after record \
                 {last_id}"
            ),
        );
    }
    Ok(report)
}

/// Every model version must point at an upload record and (when activated) an activation record
/// of its own asset: a signed activation record re-pointed at another version is caught here.
fn check_model_links(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
) -> Result<Option<(u64, String)>, StoreError> {
    let err = sql(path, "verify model records");
    let mut stmt = tx
        .prepare_cached(
            "SELECT m.asset, m.version, e.id, e.action, e.new_value, 'activated' FROM models m \
             JOIN events e ON e.id = m.activated_event_id \
             UNION ALL SELECT m.asset, m.version, e.id, e.action, NULL, 'uploaded' \
             FROM models m JOIN events e ON e.id = m.event_id ORDER BY 3",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    while let Some(row) = rows.next().map_err(&err)? {
        let asset: String = row.get(0).map_err(&err)?;
        let version: i64 = row.get(1).map_err(&err)?;
        let id = unsigned(row.get(2).map_err(&err)?);
        let action: String = row.get(3).map_err(&err)?;
        let new_value: Option<String> = row.get(4).map_err(&err)?;
        let link: String = row.get(5).map_err(&err)?;
        let expected = if link == "activated" { "model.activate" } else { "model.upload" };
        // An activation record names the version it activated (`3` or `v3`).
        let names_version = new_value
            .as_deref()
            .is_none_or(|v| v.trim_start_matches('v') == version.to_string() || link == "uploaded");
        if action != expected || !names_version {
            return Ok(Some((
                id,
                format!(
                    "model {asset} v{version} claims record {id} as its {link} record, but \
                     record {id} is {action} {}",
                    new_value.unwrap_or_default()
                ),
            )));
        }
    }
    Ok(None)
}

/// What the model rows hold must be what their records say: every version's bytes hash to its
/// `sha256`, which its upload record names (uploads recorded before the hash was always written
/// name none and cannot be checked); upload and activation records are about the version's own
/// asset; and the active version of an asset is the one its newest activation record activated.
/// Swapping a model's bytes (and its hash column), or moving the active flag without a record,
/// is caught here and reported at the record it contradicts.
fn check_model_rows(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
) -> Result<Option<(u64, String)>, StoreError> {
    let err = sql(path, "verify model rows");
    let assets: std::collections::BTreeSet<String> = tx
        .prepare_cached("SELECT DISTINCT asset FROM models")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(&err)?;
    let mut stmt = tx
        .prepare_cached(
            "SELECT m.asset, m.version, m.sha256, m.bytes, m.active, m.event_id, u.target, \
             u.new_value, m.activated_event_id, a.target FROM models m \
             JOIN events u ON u.id = m.event_id LEFT JOIN events a ON a.id = m.activated_event_id \
             ORDER BY m.asset, m.version",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    // Per asset: (newest activation id, its version), and the versions flagged active.
    let mut newest: std::collections::BTreeMap<String, (u64, i64)> = Default::default();
    let mut flagged: std::collections::BTreeMap<String, Vec<(i64, u64)>> = Default::default();
    while let Some(row) = rows.next().map_err(&err)? {
        let asset: String = row.get(0).map_err(&err)?;
        let version: i64 = row.get(1).map_err(&err)?;
        let sha256: String = row.get(2).map_err(&err)?;
        let bytes: Vec<u8> = row.get(3).map_err(&err)?;
        let active: bool = row.get(4).map_err(&err)?;
        let upload = unsigned(row.get(5).map_err(&err)?);
        let upload_target: String = row.get(6).map_err(&err)?;
        let upload_value: Option<String> = row.get(7).map_err(&err)?;
        let activation: Option<i64> = row.get(8).map_err(&err)?;
        let activation_target: Option<String> = row.get(9).map_err(&err)?;
        let model = format!("model {asset} v{version}");
        if crate::registry::hex(&Sha256::digest(&bytes)) != sha256 {
            let why = format!("{model}: its stored bytes do not hash to its recorded sha256");
            return Ok(Some((upload, why)));
        }
        let named: Vec<&str> = upload_value
            .as_deref()
            .unwrap_or_default()
            .split(|c: char| !c.is_ascii_hexdigit())
            .filter(|t| t.len() == 64)
            .collect();
        if !named.is_empty() && !named.contains(&sha256.as_str()) {
            let why = format!(
                "{model}: its bytes are not the ones its upload record {upload} names (the model \
                 was replaced after it was recorded)"
            );
            return Ok(Some((upload, why)));
        }
        // A record about another registered asset: this version's links were re-pointed at
        // that asset's upload or signed activation.
        let elsewhere = |target: &str| target != asset && assets.contains(target);
        if elsewhere(&upload_target) {
            let why = format!("{model}: its upload record {upload} is about {upload_target}");
            return Ok(Some((upload, why)));
        }
        if let (Some(id), Some(target)) = (activation, activation_target) {
            let id = unsigned(id);
            if elsewhere(&target) {
                let why = format!("{model}: its activation record {id} is about {target}");
                return Ok(Some((id, why)));
            }
            let entry = newest.entry(asset.clone()).or_insert((id, version));
            if id > entry.0 {
                *entry = (id, version);
            }
        }
        if active {
            flagged.entry(asset).or_default().push((version, upload));
        }
    }
    for (asset, (id, version)) in &newest {
        let active = flagged.get(asset).map(Vec::as_slice).unwrap_or_default();
        if active.len() != 1 || active[0].0 != *version {
            let shown: Vec<String> = active.iter().map(|(v, _)| format!("v{v}")).collect();
            let why = format!(
                "asset {asset}: its newest activation record {id} activated v{version}, but the \
                 active version is {} (changed without a record)",
                if shown.is_empty() { "none".to_string() } else { shown.join(", ") }
            );
            return Ok(Some((*id, why)));
        }
    }
    for (asset, active) in &flagged {
        if !newest.contains_key(asset) {
            let (version, upload) = active[0];
            let why = format!("model {asset} v{version} is active without an activation record");
            return Ok(Some((upload, why)));
        }
    }
    Ok(None)
}

/// The newest record as an anchor (id 0 and a zero hash when there is none).
fn last_event(conn: &rusqlite::Connection, path: &Path, what: &str) -> Result<Anchor, StoreError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached(LAST)
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql(path, what))?;
    Ok(match last {
        Some((id, hash)) => {
            Anchor { id: unsigned(id), hash: hash.as_slice().try_into().unwrap_or([0u8; 32]) }
        }
        None => Anchor { id: 0, hash: [0u8; 32] },
    })
}

/// Commits a transaction that wrote audit events, then moves the anchor to the newest record.
///
/// The change is committed when this returns, whatever happens to the anchor: an anchor write
/// that fails (disk full) leaves the anchor behind, which weakens truncation detection for the
/// newest records until the next successful write but never reports a sound trail as broken.
pub(crate) fn commit_audited(
    tx: Transaction<'_>,
    path: &Path,
    what: &str,
) -> Result<(), StoreError> {
    let newest = last_event(&tx, path, what)?;
    tx.commit().map_err(sql(path, what))?;
    let _behind_until_the_next_write = anchor::advance(path, newest);
    Ok(())
}

/// Writes `event` inside the caller's write transaction and returns its id. Callers call this
/// before making the change it describes (see the module docs), and commit with
/// [`commit_audited`].
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    path: &Path,
    event: &Event,
    what: &str,
) -> Result<i64, StoreError> {
    let err = sql(path, what);
    // Read under the write lock (BEGIN IMMEDIATE), so no other handle can append in between
    // and fork the chain.
    let prev = last_event(tx, path, what)?;
    let hash = chain_hash(&prev.hash, event);
    let signature = event.signature.as_ref();
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
                signature.map(|s| &s.signer),
                signature.map(|s| s.signed_at.as_nanos()),
                signature.map(|s| &s.meaning),
                hash
            ])
        })
        .map_err(&err)?;
    Ok(tx.last_insert_rowid())
}

/// SHA-256 over the previous hash and a length-prefixed encoding of the event's fields. The
/// encoding is spelled out (not serde) so the chain never depends on how `Event` serialises.
/// A signature is appended after a marker byte; an unsigned event hashes exactly as in schema
/// version 1, so old trails still verify.
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
    if let Some(signature) = &event.signature {
        h.update(b"S");
        text(&mut h, &signature.signer);
        h.update(signature.signed_at.as_nanos().to_be_bytes());
        text(&mut h, &signature.meaning);
    }
    h.finalize().into()
}

fn read_event(r: &Row<'_>) -> rusqlite::Result<(i64, Event)> {
    let signer: Option<String> = r.get(8)?;
    let signed_at: Option<i64> = r.get(9)?;
    let meaning: Option<String> = r.get(10)?;
    let signature = match (signer, signed_at, meaning) {
        (None, None, None) => None,
        (signer, signed_at, meaning) => Some(Signature {
            signer: signer.unwrap_or_default(),
            signed_at: Timestamp::from_nanos(signed_at.unwrap_or_default()),
            meaning: meaning.unwrap_or_default(),
        }),
    };
    let event = Event {
        at: Timestamp::from_nanos(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        target: r.get(4)?,
        old_value: r.get(5)?,
        new_value: r.get(6)?,
        reason: r.get(7)?,
        signature,
    };
    Ok((r.get(0)?, event))
}

/// Whether a signature's signer is the record's actor. Releases before stop 11 let an API
/// token sign, recording the actor as `<signer>/token-<id>`: such records are the signer's own
/// and still verify, though the API no longer accepts a token's signature.
fn signed_by_actor(signer: &str, actor: &str) -> bool {
    actor == signer
        || actor
            .strip_prefix(signer)
            .and_then(|rest| rest.strip_prefix("/token-"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::hex;
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
        // The removed record is named by its own id: ids are consecutive.
        assert!(matches!(err, StoreError::AuditChain { id, .. } if id == ids[1]), "{err}");
    }

    #[test]
    fn signatures_are_bound_to_their_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        for bytes in [&b"one"[..], b"two"] {
            store.put_model("a", "pca", bytes, &event("model.upload")).unwrap();
        }
        let sign = |at: i64| Signature {
            signer: "alice".into(),
            signed_at: Timestamp::from_nanos(at),
            meaning: "approved".into(),
        };
        let mut activate = event("model.activate");
        activate.signature = Some(sign(5));
        store.activate_model("a", 1, &activate).unwrap();
        activate.signature = Some(sign(6));
        store.activate_model("a", 2, &activate).unwrap();
        let models = store.models(Some("a")).unwrap();
        assert_eq!(models[1].activation, Some(sign(6)));
        assert_eq!(models[0].activation, Some(sign(5)), "shown with the version it activated");
        assert!(store.audit_report().unwrap().ok());

        // A signature whose signer is not the record's actor does not verify.
        let mut forged = event("model.activate");
        forged.signature = Some(Signature { signer: "bob".into(), ..sign(7) });
        let id = store.append_event(&forged).unwrap();
        let report = store.audit_report().unwrap();
        assert_eq!(report.first_bad, Some(id), "{report:?}");

        // Re-pointing version 1 at version 2's signed activation is caught too.
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        for bytes in [&b"one"[..], b"two"] {
            store.put_model("a", "pca", bytes, &event("model.upload")).unwrap();
        }
        store.activate_model("a", 1, &activate).unwrap();
        store.activate_model("a", 2, &activate).unwrap();
        raw(dir.path())
            .execute("UPDATE models SET activated_event_id = 4 WHERE version = 1", [])
            .unwrap();
        let report = store.audit_report().unwrap();
        assert_eq!(report.first_bad, Some(4), "{report:?}");
        assert!(report.detail.unwrap().contains("model a v1"));
    }

    #[test]
    fn a_signature_given_through_the_signers_token_by_an_older_release_still_verifies() {
        for (signer, actor, ok) in [
            ("alice", "alice", true),
            ("alice", "alice/token-12", true),
            ("alice", "alice/token-", false),
            ("alice", "alice/token-1x", false),
            ("alice", "alicia/token-1", false),
            ("alice", "bob/token-1", false),
            ("alice", "admin-token", false),
        ] {
            assert_eq!(signed_by_actor(signer, actor), ok, "{signer} as {actor}");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut signed = event("model.activate");
        signed.actor = "alice/token-3".into();
        signed.signature = Some(Signature {
            signer: "alice".into(),
            signed_at: Timestamp::from_nanos(5),
            meaning: "approved".into(),
        });
        store.append_event(&signed).unwrap();
        assert!(store.audit_report().unwrap().ok());
    }

    /// Found by review: removing the whole trail, unlinking the rows it created and deleting the
    /// anchor made verification (which then wrote a fresh anchor at 0) report "intact".
    #[test]
    fn a_removed_trail_is_not_taken_for_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let user = crate::User {
            name: "ada".into(),
            role: "admin".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            disabled: false,
            created_at: Timestamp::from_nanos(1),
        };
        store.add_user(&user, &event("user.create")).unwrap();
        let conn = raw(dir.path());
        // A link to a record that never was is caught while the trail is whole.
        conn.execute_batch("PRAGMA foreign_keys = OFF; UPDATE users SET event_id = 0").unwrap();
        let report = store.audit_report().unwrap();
        assert!(
            report.detail.as_deref().unwrap_or_default().contains("names record 0"),
            "{report:?}"
        );
        // Then the trail and the anchor go.
        conn.execute_batch("DROP TRIGGER events_no_delete; DELETE FROM events").unwrap();
        std::fs::remove_file(dir.path().join(anchor::ANCHOR_FILE)).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(!dir.path().join(anchor::ANCHOR_FILE).exists(), "not re-anchored at 0");
        let report = store.audit_report().unwrap();
        assert!(
            report.detail.as_deref().unwrap_or_default().contains("the trail was removed"),
            "{report:?}"
        );
        // A truly fresh store is still fine.
        let fresh = tempfile::tempdir().unwrap();
        assert!(Store::open(fresh.path()).unwrap().audit_report().unwrap().ok());
    }

    /// Found by review: each of these edits of the model rows passed verification.
    #[test]
    fn model_rows_that_contradict_their_records_are_caught() {
        let activate = |asset: &str| Event { target: asset.into(), ..event("model.activate") };
        let setup = || {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path()).unwrap();
            for (asset, bytes) in [("a", &b"one"[..]), ("a", b"two"), ("b", b"bee")] {
                let upload = Event { target: asset.into(), ..event("model.upload") };
                store.put_model(asset, "pca", bytes, &upload).unwrap();
            }
            store.activate_model("a", 1, &activate("a")).unwrap();
            store.activate_model("a", 2, &activate("a")).unwrap();
            store.activate_model("b", 1, &activate("b")).unwrap();
            assert!(store.audit_report().unwrap().ok());
            (dir, store)
        };
        let tampered = |edit: &str| {
            let (dir, store) = setup();
            raw(dir.path()).execute_batch(edit).unwrap();
            store.audit_report().unwrap().detail.unwrap_or_default()
        };
        let blinded = hex(&Sha256::digest(b"blind"));
        let swap = format!(
            "UPDATE models SET bytes = CAST('blind' AS BLOB), sha256 = '{blinded}' \
             WHERE asset = 'a' AND version = 2"
        );
        assert!(tampered(&swap).contains("not the ones its upload record"), "{}", tampered(&swap));
        let bytes_only = "UPDATE models SET bytes = CAST('blind' AS BLOB) WHERE asset = 'b'";
        assert!(tampered(bytes_only).contains("do not hash"));
        let flip = "UPDATE models SET active = 0 WHERE asset = 'a'; \
                    UPDATE models SET active = 1 WHERE asset = 'a' AND version = 1";
        assert!(tampered(flip).contains("changed without a record"), "{}", tampered(flip));
        let none = "UPDATE models SET active = 0 WHERE asset = 'b'";
        assert!(tampered(none).contains("active version is none"), "{}", tampered(none));
        let elsewhere = "UPDATE models SET activated_event_id = \
            (SELECT activated_event_id FROM models WHERE asset = 'a' AND version = 1) \
            WHERE asset = 'b'";
        assert!(tampered(elsewhere).contains("is about a"), "{}", tampered(elsewhere));
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
