//! Do the audited rows hold what their records say?
//!
//! The hash chain proves that the records were not edited; it says nothing about the rows the
//! records describe. Someone with write access to the database file could make a viewer an
//! admin, re-enable a disabled account, bring a revoked API token back, quietly acknowledge or
//! clear an alarm, or swap the admin token's hash for one of their own, all without touching
//! the trail. Each check here replays the records of one table and compares the result with
//! its rows, so `faultline audit verify` names such a change by the record it contradicts.
//! (Model rows are checked in `events.rs`, beside the links they share with activations.)
//!
//! A record that sets a password hash, an API token or the admin token's hash names the
//! SHA-256 of the stored value, never the value, so a swapped one contradicts it. Users and
//! alarms are never deleted by faultline, so a row that records describe must exist. What the records cannot
//! show is not checked: sessions (not audited rows), a token's expiry. Stores written before
//! a record named a digest are checked for what their records do name.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Transaction;
use sha2::{Digest, Sha256};

use faultline_types::Timestamp;

use crate::db::{sql, unsigned};
use crate::{Event, StoreError};

/// A contradiction: the record id to name, and why.
type Found = Option<(u64, String)>;

/// The first row of users, API tokens, alarms or settings that its records contradict.
pub(crate) fn check_rows(tx: &Transaction<'_>, path: &Path) -> Result<Found, StoreError> {
    // The user records are replayed once: user and token rows are both checked against them.
    let users = user_histories(tx, path)?;
    if let Some(found) = check_users(tx, path, &users)? {
        return Ok(Some(found));
    }
    if let Some(found) = check_tokens(tx, path, &users)? {
        return Ok(Some(found));
    }
    for check in [check_alarms, check_settings] {
        if let Some(found) = check(tx, path)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// How a fingerprint of a stored secret's digest is named in its record, e.g.
/// `digest sha256:<64 hex>`: the SHA-256 of the value stored, so that verification can tell a
/// swapped value without the record holding the value itself.
pub fn digest_fingerprint(stored_value: &str) -> String {
    format!("digest sha256:{}", crate::registry::hex(&Sha256::digest(stored_value.as_bytes())))
}

/// How a record that sets a password hash names it: `password digest sha256:<hex>`.
const PASSWORD_DIGEST: &str = "password digest sha256:";

/// `event` with the digest of `password_hash` appended to its new value (`viewer; password
/// digest sha256:…`), as the store writes every record that sets a password hash: a hash
/// swapped in the table then contradicts its record. The digest of an Argon2id string (salt
/// included) gives nothing to a password guesser.
pub(crate) fn with_password_digest(event: &crate::Event, password_hash: &str) -> crate::Event {
    let digest = crate::registry::hex(&Sha256::digest(password_hash.as_bytes()));
    let named = format!("{PASSWORD_DIGEST}{digest}");
    let mut event = event.clone();
    event.new_value = Some(match event.new_value.take() {
        Some(value) if !value.is_empty() => format!("{value}; {named}"),
        _ => named,
    });
    event
}

/// The password digest a record names, if any.
fn named_password_digest(value: &str) -> Option<&str> {
    let start = value.find(PASSWORD_DIGEST)? + PASSWORD_DIGEST.len();
    value.get(start..start + 64)
}

/// The role a `user.create` or `user.role` record names: its new value up to a `;`.
fn named_role(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

/// A user's records, replayed: role from `user.create` and `user.role`, disabled from
/// `user.disable` (there is no way back from it).
#[derive(Debug)]
struct UserHistory {
    created: u64,
    role: String,
    role_record: u64,
    disabled_by: Option<u64>,
    /// `(record id, new role)` of each role change, for the tokens it revoked.
    role_changes: Vec<(u64, String)>,
    /// The newest record naming a password digest, and the digest (records written before
    /// stop 12 name none).
    password: Option<(u64, String)>,
}

fn user_histories(
    tx: &Transaction<'_>,
    path: &Path,
) -> Result<HashMap<String, UserHistory>, StoreError> {
    let err = sql(path, "replay the user records");
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, action, target, coalesce(new_value, '') FROM events \
             WHERE action IN ('user.create', 'user.role', 'user.disable', 'user.password', \
             'user.password.reset', 'user.password.digest') \
             AND target LIKE 'user/%' ORDER BY id",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut users: HashMap<String, UserHistory> = HashMap::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let id = unsigned(row.get(0).map_err(&err)?);
        let action: String = row.get(1).map_err(&err)?;
        let target: String = row.get(2).map_err(&err)?;
        let value: String = row.get(3).map_err(&err)?;
        let name = target.trim_start_matches("user/").to_string();
        let password = named_password_digest(&value).map(|digest| (id, digest.to_string()));
        match (action.as_str(), users.get_mut(&name)) {
            ("user.create", None) => {
                let history = UserHistory {
                    created: id,
                    role: named_role(&value).to_string(),
                    role_record: id,
                    disabled_by: None,
                    role_changes: Vec::new(),
                    password,
                };
                users.insert(name, history);
            }
            ("user.role", Some(user)) => {
                let role = named_role(&value).to_string();
                user.role.clone_from(&role);
                user.role_record = id;
                user.role_changes.push((id, role));
            }
            ("user.disable", Some(user)) => {
                user.disabled_by.get_or_insert(id);
            }
            ("user.password" | "user.password.reset" | "user.password.digest", Some(user))
                if password.is_some() =>
            {
                user.password = password;
            }
            // A second create, or a change before any: the row check names the user.
            _ => {}
        }
    }
    Ok(users)
}

fn check_users(
    tx: &Transaction<'_>,
    path: &Path,
    histories: &HashMap<String, UserHistory>,
) -> Result<Found, StoreError> {
    let err = sql(path, "verify user rows");
    let mut stmt = tx
        .prepare_cached(
            "SELECT name, role, disabled, event_id, password_hash FROM users ORDER BY name",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut seen = std::collections::HashSet::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let name: String = row.get(0).map_err(&err)?;
        seen.insert(name.clone());
        let role: String = row.get(1).map_err(&err)?;
        let disabled: bool = row.get(2).map_err(&err)?;
        let event_id = unsigned(row.get(3).map_err(&err)?);
        let password_hash: String = row.get(4).map_err(&err)?;
        let Some(history) = histories.get(&name) else {
            let why = format!("user {name}: no record created this user (added without a record)");
            return Ok(Some((event_id, why)));
        };
        if history.created != event_id {
            let why = format!(
                "user {name}: its row names record {event_id}, but record {} created it (the \
                 link was edited)",
                history.created
            );
            return Ok(Some((event_id, why)));
        }
        if history.role != role {
            let why = format!(
                "user {name} has role {role}, but its records end at role {} (record {}): the \
                 role was changed without a record",
                history.role, history.role_record
            );
            return Ok(Some((history.role_record, why)));
        }
        match (disabled, history.disabled_by) {
            (false, Some(id)) => {
                let why = format!(
                    "user {name} is enabled, but record {id} disabled it: re-enabled without a \
                     record"
                );
                return Ok(Some((id, why)));
            }
            (true, None) => {
                let why = format!("user {name} is disabled, but no record disabled it");
                return Ok(Some((event_id, why)));
            }
            _ => {}
        }
        if let Some((id, digest)) = &history.password
            && crate::registry::hex(&Sha256::digest(password_hash.as_bytes())) != *digest
        {
            let why = format!(
                "user {name}: the password hash is not the one record {id} set (replaced \
                 without a record: whoever did it can log in and sign as {name})"
            );
            return Ok(Some((*id, why)));
        }
    }
    // faultline never deletes a user (it disables them).
    let gone = histories.iter().filter(|(name, _)| !seen.contains(*name));
    if let Some((name, history)) = gone.min_by_key(|(_, h)| h.created) {
        let why = format!(
            "user {name}: record {} created this user, but its row is gone (faultline never \
             deletes a user)",
            history.created
        );
        return Ok(Some((history.created, why)));
    }
    Ok(None)
}

impl crate::Store {
    /// Writes, in one transaction, a record naming the digest of each password hash and API
    /// token whose records name none (set by a release before stop 12): `user.password.digest`
    /// and `token.digest`, actor `system`, at `at`. They vouch for the values as found now, so
    /// that `audit verify` can tell one swapped from now on. Returns how many it wrote; none
    /// after the first call.
    pub fn record_missing_digests(&mut self, at: Timestamp) -> Result<usize, StoreError> {
        const WHAT: &str = "record the digests of older credentials";
        let path = self.path.clone();
        let err = sql(&path, WHAT);
        let tx = crate::db::write_tx(&mut self.conn, &path, WHAT)?;
        let histories = user_histories(&tx, &path)?;
        let mut records = Vec::new();
        {
            let mut users = tx
                .prepare_cached("SELECT name, password_hash FROM users ORDER BY name")
                .map_err(&err)?;
            let mut rows = users.query([]).map_err(&err)?;
            while let Some(row) = rows.next().map_err(&err)? {
                let name: String = row.get(0).map_err(&err)?;
                let hash: String = row.get(1).map_err(&err)?;
                if histories.get(&name).is_some_and(|h| h.password.is_none()) {
                    let event =
                        Event::new(at, "system", "user.password.digest", format!("user/{name}"));
                    records.push(with_password_digest(&event, &hash));
                }
            }
            let mut tokens = tx
                .prepare_cached(
                    "SELECT t.id, t.username, t.token_sha256, coalesce(e.new_value, '') \
                     FROM api_tokens t JOIN events e ON e.id = t.event_id ORDER BY t.id",
                )
                .map_err(&err)?;
            let mut rows = tokens.query([]).map_err(&err)?;
            let named: Vec<String> = tx
                .prepare_cached("SELECT new_value FROM events WHERE action = 'token.digest'")
                .and_then(|mut s| {
                    s.query_map([], |r| r.get::<_, Option<String>>(0))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(&err)?
                .into_iter()
                .flatten()
                .collect();
            while let Some(row) = rows.next().map_err(&err)? {
                let id: i64 = row.get(0).map_err(&err)?;
                let user: String = row.get(1).map_err(&err)?;
                let digest: Vec<u8> = row.get(2).map_err(&err)?;
                let created: String = row.get(3).map_err(&err)?;
                let key = format!("token-{id}");
                let done = named.iter().any(|v| v.starts_with(&format!("{key}{TOKEN_DIGEST}")));
                if parse_token_record(&created).1.is_none() && !done {
                    let mut event =
                        Event::new(at, "system", "token.digest", format!("user/{user}"));
                    event.new_value = Some(key);
                    records.push(with_token_digest(&event, &digest));
                }
            }
        }
        for event in &records {
            crate::events::insert_event(&tx, &path, event, WHAT)?;
        }
        if records.is_empty() {
            tx.commit().map_err(&err)?;
        } else {
            crate::events::commit_audited(tx, &path, WHAT)?;
        }
        Ok(records.len())
    }
}

/// Rank of a role, for "a token never holds more than its user".
fn rank(role: &str) -> u8 {
    match role {
        "viewer" => 0,
        "operator" => 1,
        "engineer" => 2,
        _ => 3,
    }
}

/// How a `token.create` record names the token's digest (the store appends it last).
const TOKEN_DIGEST: &str = "; token digest sha256:";

/// `event` with the digest of an API token's stored SHA-256 appended to its new value, as the
/// store writes every `token.create` record: a digest swapped in the table (someone's own
/// token put in place of another's, taking over its user and role) then contradicts it.
pub(crate) fn with_token_digest(event: &crate::Event, token_sha256: &[u8]) -> crate::Event {
    let digest = crate::registry::hex(&Sha256::digest(token_sha256));
    let mut event = event.clone();
    let value = event.new_value.take().unwrap_or_default();
    event.new_value = Some(format!("{value}{TOKEN_DIGEST}{digest}"));
    event
}

/// `role R, label L` and the token digest, as `token.create` records name them (records
/// written before stop 12 name no digest).
fn parse_token_record(value: &str) -> (Option<(&str, &str)>, Option<&str>) {
    let (named, digest) = match value.rfind(TOKEN_DIGEST) {
        Some(at) => (&value[..at], value.get(at + TOKEN_DIGEST.len()..)),
        None => (value, None),
    };
    let role_label = named.strip_prefix("role ").and_then(|rest| rest.split_once(", label "));
    (role_label, digest)
}

fn check_tokens(
    tx: &Transaction<'_>,
    path: &Path,
    histories: &HashMap<String, UserHistory>,
) -> Result<Found, StoreError> {
    let err = sql(path, "verify API token rows");
    let mut revocations: HashMap<String, u64> = HashMap::new();
    // `token-N` → digest, from the `token.digest` records of tokens created before
    // `token.create` named one.
    let mut named_later: HashMap<String, String> = HashMap::new();
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT coalesce(new_value, '') FROM events WHERE action = 'token.digest' \
                 ORDER BY id",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            let value: String = row.get(0).map_err(&err)?;
            if let Some(at) = value.rfind(TOKEN_DIGEST) {
                let digest = value[at + TOKEN_DIGEST.len()..].to_string();
                named_later.entry(value[..at].to_string()).or_insert(digest);
            }
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT id, coalesce(new_value, '') FROM events WHERE action = 'token.revoke' \
                 ORDER BY id",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            let id = unsigned(row.get(0).map_err(&err)?);
            let value: String = row.get(1).map_err(&err)?;
            revocations.entry(value).or_insert(id);
        }
    }
    let mut stmt = tx
        .prepare_cached(
            "SELECT t.id, t.username, t.role, t.label, t.revoked, t.event_id, e.action, e.target, \
             coalesce(e.new_value, ''), t.token_sha256 FROM api_tokens t \
             JOIN events e ON e.id = t.event_id \
             ORDER BY t.id",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut named_by: HashMap<u64, u64> = HashMap::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let id = unsigned(row.get(0).map_err(&err)?);
        let user: String = row.get(1).map_err(&err)?;
        let role: String = row.get(2).map_err(&err)?;
        let label: String = row.get(3).map_err(&err)?;
        let revoked: bool = row.get(4).map_err(&err)?;
        let created = unsigned(row.get(5).map_err(&err)?);
        let action: String = row.get(6).map_err(&err)?;
        let target: String = row.get(7).map_err(&err)?;
        let value: String = row.get(8).map_err(&err)?;
        let token_sha256: Vec<u8> = row.get(9).map_err(&err)?;
        let token = format!("API token {id} of {user}");
        if action != "token.create" || target != format!("user/{user}") {
            let why = format!("{token}: its row names record {created}, a {action} of {target}");
            return Ok(Some((created, why)));
        }
        if let Some(other) = named_by.insert(created, id) {
            let why = format!("{token} and API token {other} both name record {created}");
            return Ok(Some((created, why)));
        }
        let (role_label, recorded_digest) = parse_token_record(&value);
        let recorded_digest =
            recorded_digest.or_else(|| named_later.get(&format!("token-{id}")).map(String::as_str));
        if let Some(recorded) = recorded_digest
            && crate::registry::hex(&Sha256::digest(&token_sha256)) != recorded
        {
            let why = format!(
                "{token}: its digest is not the one its records name (another token was put in \
                 its place, with its user and role)"
            );
            return Ok(Some((created, why)));
        }
        if let Some((recorded_role, recorded_label)) = role_label
            && (recorded_role != role || recorded_label != label)
        {
            let why = format!(
                "{token} has role {role} and label {label:?}, but record {created} created it \
                 with role {recorded_role} and label {recorded_label:?}"
            );
            return Ok(Some((created, why)));
        }
        // What ended it, if anything did: its own revocation, its user's disabling, or a role
        // change of its user below the token's role.
        let history = histories.get(&user);
        let ended_by = [
            revocations.get(&format!("token-{id} revoked")).copied(),
            history.and_then(|h| h.disabled_by),
            history.and_then(|h| {
                let below = |(at, new): &&(u64, String)| *at > created && rank(new) < rank(&role);
                h.role_changes.iter().find(below).map(|(at, _)| *at)
            }),
        ]
        .into_iter()
        .flatten()
        .filter(|at| *at > created)
        .min();
        match (revoked, ended_by) {
            (false, Some(at)) => {
                let why = format!("{token} is active, but record {at} ended it");
                return Ok(Some((at, why)));
            }
            (true, None) => {
                let why = format!("{token} is revoked, but no record revoked it");
                return Ok(Some((created, why)));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn check_alarms(tx: &Transaction<'_>, path: &Path) -> Result<Found, StoreError> {
    let err = sql(path, "verify alarm rows");
    let mut stmt = tx
        .prepare_cached(
            "SELECT a.id, a.state, a.body, a.event_id, e.target, coalesce(e.new_value, ''), \
             (SELECT max(id) FROM events WHERE target = 'alarm/' || a.id \
              AND action LIKE 'alarm.%') \
             FROM alarms a JOIN events e ON e.id = a.event_id ORDER BY a.id",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    while let Some(row) = rows.next().map_err(&err)? {
        let id: i64 = row.get(0).map_err(&err)?;
        let state: String = row.get(1).map_err(&err)?;
        let body: String = row.get(2).map_err(&err)?;
        let event_id = unsigned(row.get(3).map_err(&err)?);
        let target: String = row.get(4).map_err(&err)?;
        let recorded: String = row.get(5).map_err(&err)?;
        let newest: Option<i64> = row.get(6).map_err(&err)?;
        let alarm = format!("alarm {id}");
        if target != format!("alarm/{id}") {
            let why = format!("{alarm}: its row names record {event_id}, which is about {target}");
            return Ok(Some((event_id, why)));
        }
        if let Some(newest) = newest.map(unsigned).filter(|n| *n != event_id) {
            let why = format!(
                "{alarm}: its row holds record {event_id}'s version, but record {newest} is its \
                 newest change (the row was set back)"
            );
            return Ok(Some((newest, why)));
        }
        let in_body = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|b| b.get("state").and_then(|s| s.as_str()).map(str::to_string));
        for (place, value) in [("row", Some(state)), ("body", in_body)] {
            if value.as_deref() != Some(recorded.as_str()) {
                let shown = value.unwrap_or_else(|| "unreadable".into());
                let why = format!(
                    "{alarm}: its {place} says {shown}, but record {event_id} left it {recorded} \
                     (changed without a record)"
                );
                return Ok(Some((event_id, why)));
            }
        }
    }
    // faultline never deletes an alarm (a closed one stays, `normal`): a record of an alarm
    // without its row is a row removed, and an open alarm removed is forgotten at a restart.
    let missing: Option<(i64, String)> = tx
        .query_row(
            "SELECT min(id), target FROM events WHERE action LIKE 'alarm.%' \
             AND target LIKE 'alarm/%' \
             AND substr(target, 7) NOT IN (SELECT CAST(id AS TEXT) FROM alarms)",
            [],
            |r| Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<String>>(1)?)),
        )
        .map_err(&err)?;
    if let Some((id, target)) = missing {
        let why = format!(
            "{}: record {id} is about it, but its row is gone (faultline never deletes an \
             alarm)",
            target.replace('/', " ")
        );
        return Ok(Some((unsigned(id), why)));
    }
    Ok(None)
}

fn check_settings(tx: &Transaction<'_>, path: &Path) -> Result<Found, StoreError> {
    let err = sql(path, "verify settings");
    let mut stmt = tx
        .prepare_cached(
            "SELECT s.key, s.value, s.event_id, coalesce(e.new_value, ''), \
             (SELECT max(id) FROM events WHERE target = e.target) \
             FROM settings s JOIN events e ON e.id = s.event_id ORDER BY s.key",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    while let Some(row) = rows.next().map_err(&err)? {
        let key: String = row.get(0).map_err(&err)?;
        let value: String = row.get(1).map_err(&err)?;
        let event_id = unsigned(row.get(2).map_err(&err)?);
        let recorded: String = row.get(3).map_err(&err)?;
        let newest: Option<i64> = row.get(4).map_err(&err)?;
        if let Some(newest) = newest.map(unsigned).filter(|n| *n != event_id) {
            let why = format!(
                "setting {key}: its row holds record {event_id}'s value, but record {newest} \
                 changed it since (the row was set back)"
            );
            return Ok(Some((newest, why)));
        }
        // The record names the value (`sha256:<value>` for the configuration's hash) or its
        // digest (`digest sha256:<hex>` for a secret's); older records may name neither.
        let named: Vec<&str> =
            recorded.split(|c: char| !c.is_ascii_hexdigit()).filter(|t| t.len() == 64).collect();
        let digest = crate::registry::hex(&Sha256::digest(value.as_bytes()));
        if !named.is_empty()
            && !named.contains(&value.as_str())
            && !named.contains(&digest.as_str())
        {
            let why = format!(
                "setting {key}: its value is not the one record {event_id} set (replaced \
                 without a record)"
            );
            return Ok(Some((event_id, why)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use faultline_types::{AlarmState, Timestamp};

    use crate::testutil::*;
    use crate::{ApiToken, Store};

    fn add_user(store: &mut Store, name: &str, role: &str) {
        let created = record("user.create", &format!("user/{name}"), role);
        store.add_user(&user(name, role), &created).unwrap();
    }

    fn add_token(store: &mut Store, digest: u8, name: &str, role: &str, label: &str) -> u64 {
        let token = ApiToken {
            id: 0,
            username: name.into(),
            role: role.into(),
            label: label.into(),
            created_at: Timestamp::from_nanos(2),
            expires_at: None,
            revoked: false,
            last_used: None,
        };
        let created =
            record("token.create", &format!("user/{name}"), &format!("role {role}, label {label}"));
        store.add_api_token(&[digest; 32], &token, &created).unwrap()
    }

    /// A store as the product leaves it: users changed and disabled, tokens revoked three ways,
    /// an alarm raised and acknowledged, the configuration and admin-token settings.
    fn audited_store(dir: &std::path::Path) -> (Store, [u64; 4]) {
        let mut store = Store::open(dir).unwrap();
        add_user(&mut store, "ada", "admin");
        add_user(&mut store, "vic", "viewer");
        add_user(&mut store, "eve", "engineer");
        add_user(&mut store, "dan", "operator");
        let kept = add_token(&mut store, 1, "vic", "viewer", "grafana");
        let revoked = add_token(&mut store, 2, "vic", "viewer", "old");
        store
            .revoke_api_token(
                revoked,
                &record("token.revoke", "user/vic", &format!("token-{revoked} revoked")),
            )
            .unwrap();
        // Demoted and promoted again before the token existed: only the later demotion ends it.
        for role in ["viewer", "engineer"] {
            store.set_user_role("eve", role, &record("user.role", "user/eve", role)).unwrap();
        }
        let demoted = add_token(&mut store, 3, "eve", "engineer", "ci");
        store
            .set_user_role("eve", "operator", &record("user.role", "user/eve", "operator"))
            .unwrap();
        let disabled = add_token(&mut store, 4, "dan", "operator", "hmi");
        store.disable_user("dan", &record("user.disable", "user/dan", "disabled")).unwrap();
        let raised = alarm(1, "pump-1", 10, AlarmState::UnackedActive);
        store.save_alarm(&raised, &record("alarm.raise", "alarm/1", "unacked_active")).unwrap();
        let acked = faultline_types::Alarm { state: AlarmState::AckedActive, ..raised };
        store.save_alarm(&acked, &record("alarm.ack", "alarm/1", "acked_active")).unwrap();
        let config = "ab".repeat(32);
        store
            .set_setting(
                "config_sha256",
                &config,
                &record("config.change", "config", &format!("sha256:{config}")),
            )
            .unwrap();
        let admin = "cd".repeat(32);
        let fingerprint = super::digest_fingerprint(&admin);
        store
            .set_setting(
                "admin_token_sha256",
                &admin,
                &record("token.create", "setting/admin_token_sha256", &fingerprint),
            )
            .unwrap();
        (store, [kept, revoked, demoted, disabled])
    }

    /// Each edit of a row outside faultline is named with the record it contradicts, and undone
    /// the trail verifies again.
    #[test]
    fn rows_changed_without_a_record_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let (store, [kept, revoked, demoted, disabled]) = audited_store(dir.path());
        let report = store.audit_report().unwrap();
        assert!(report.ok(), "{report:?}");
        let db = raw(dir.path());
        let backdoor = "INSERT INTO api_tokens (token_sha256, username, role, label, \
             created_at_ns, revoked, event_id) SELECT zeroblob(32), username, role, label, \
             created_at_ns, 0, event_id FROM api_tokens WHERE id = ";
        let cases = [
            (
                "UPDATE users SET role = 'admin' WHERE name = 'vic'".to_string(),
                "UPDATE users SET role = 'viewer' WHERE name = 'vic'".to_string(),
                "user vic has role admin, but its records end at role viewer",
            ),
            (
                "UPDATE users SET password_hash = '$argon2id$v=19$m=19456,t=2,p=1$bWluZQ$bWluZQ' \
                 WHERE name = 'ada'"
                    .into(),
                "UPDATE users SET password_hash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' \
                 WHERE name = 'ada'"
                    .into(),
                "user ada: the password hash is not the one record",
            ),
            (
                "UPDATE users SET disabled = 0 WHERE name = 'dan'".into(),
                "UPDATE users SET disabled = 1 WHERE name = 'dan'".into(),
                "user dan is enabled, but record",
            ),
            (
                "UPDATE users SET disabled = 1 WHERE name = 'vic'".into(),
                "UPDATE users SET disabled = 0 WHERE name = 'vic'".into(),
                "user vic is disabled, but no record disabled it",
            ),
            (
                format!("UPDATE api_tokens SET revoked = 0 WHERE id = {revoked}"),
                format!("UPDATE api_tokens SET revoked = 1 WHERE id = {revoked}"),
                "is active, but record",
            ),
            (
                format!("UPDATE api_tokens SET revoked = 0 WHERE id = {demoted}"),
                format!("UPDATE api_tokens SET revoked = 1 WHERE id = {demoted}"),
                "API token 3 of eve is active, but record",
            ),
            (
                format!("UPDATE api_tokens SET revoked = 0 WHERE id = {disabled}"),
                format!("UPDATE api_tokens SET revoked = 1 WHERE id = {disabled}"),
                "API token 4 of dan is active, but record",
            ),
            (
                format!("UPDATE api_tokens SET revoked = 1 WHERE id = {kept}"),
                format!("UPDATE api_tokens SET revoked = 0 WHERE id = {kept}"),
                "is revoked, but no record revoked it",
            ),
            (
                format!("UPDATE api_tokens SET role = 'admin' WHERE id = {kept}"),
                format!("UPDATE api_tokens SET role = 'viewer' WHERE id = {kept}"),
                "has role admin and label \"grafana\", but record",
            ),
            (
                format!("{backdoor}{kept}"),
                "DELETE FROM api_tokens WHERE token_sha256 = zeroblob(32)".into(),
                "both name record",
            ),
            (
                format!("UPDATE api_tokens SET token_sha256 = zeroblob(32) WHERE id = {kept}"),
                format!(
                    "UPDATE api_tokens SET token_sha256 = X'{}' WHERE id = {kept}",
                    "01".repeat(32)
                ),
                "API token 1 of vic: its digest is not the one its records name",
            ),
            (
                "CREATE TABLE kept AS SELECT * FROM alarms WHERE id = 1; \
                 DELETE FROM alarms WHERE id = 1"
                    .into(),
                "INSERT INTO alarms SELECT * FROM kept; DROP TABLE kept".into(),
                "its row is gone (faultline never deletes an alarm)",
            ),
            (
                "CREATE TABLE kept AS SELECT * FROM users WHERE name = 'ada'; \
                 DELETE FROM users WHERE name = 'ada'"
                    .into(),
                "INSERT INTO users SELECT * FROM kept; DROP TABLE kept".into(),
                "user ada: record 1 created this user, but its row is gone",
            ),
            (
                "UPDATE alarms SET state = 'normal' WHERE id = 1".into(),
                "UPDATE alarms SET state = 'acked_active' WHERE id = 1".into(),
                "alarm 1: its row says normal, but record",
            ),
            (
                "UPDATE alarms SET body = json_set(body, '$.state', 'normal') WHERE id = 1".into(),
                "UPDATE alarms SET body = json_set(body, '$.state', 'acked_active') WHERE id = 1"
                    .into(),
                "alarm 1: its body says normal",
            ),
            (
                "UPDATE alarms SET event_id = event_id - 1 WHERE id = 1".into(),
                "UPDATE alarms SET event_id = event_id + 1 WHERE id = 1".into(),
                "is its newest change (the row was set back)",
            ),
            (
                format!(
                    "UPDATE settings SET value = '{}' WHERE key = 'admin_token_sha256'",
                    "ef".repeat(32)
                ),
                format!(
                    "UPDATE settings SET value = '{}' WHERE key = 'admin_token_sha256'",
                    "cd".repeat(32)
                ),
                "setting admin_token_sha256: its value is not the one record",
            ),
            (
                format!(
                    "UPDATE settings SET value = '{}' WHERE key = 'config_sha256'",
                    "ef".repeat(32)
                ),
                format!(
                    "UPDATE settings SET value = '{}' WHERE key = 'config_sha256'",
                    "ab".repeat(32)
                ),
                "setting config_sha256: its value is not the one record",
            ),
        ];
        for (edit, undo, expected) in cases {
            db.execute_batch(&edit).unwrap();
            let report = store.audit_report().unwrap();
            let detail = report.detail.clone().unwrap_or_default();
            assert!(detail.contains(expected), "{edit}: {detail}");
            assert!(report.first_bad.is_some(), "{edit}");
            db.execute_batch(&undo).unwrap();
            let report = store.audit_report().unwrap();
            assert!(report.ok(), "{undo}: {report:?}");
        }
    }

    #[test]
    fn a_token_record_names_role_and_label_and_a_fingerprint_is_the_digest_of_the_value() {
        let digest = format!("role viewer, label a, b{}{}", super::TOKEN_DIGEST, "0".repeat(64));
        assert_eq!(
            super::parse_token_record(&digest),
            (Some(("viewer", "a, b")), Some("0".repeat(64).as_str()))
        );
        assert_eq!(
            super::parse_token_record("role viewer, label a, b"),
            (Some(("viewer", "a, b")), None)
        );
        assert_eq!(super::parse_token_record("something else"), (None, None));
        let fingerprint = super::digest_fingerprint("x");
        assert!(fingerprint.starts_with("digest sha256:2d711642b726b04401627ca9fbac32f5"));
    }

    /// A user and an API token as a release before stop 12 wrote them: records without digests.
    fn legacy_user_and_token(store: &mut Store) {
        let tx = crate::db::write_tx(&mut store.conn, &store.path, "legacy").unwrap();
        let created = record("user.create", "user/old", "engineer");
        let event_id = crate::events::insert_event(&tx, &store.path, &created, "legacy").unwrap();
        tx.execute(
            "INSERT INTO users (name, role, password_hash, disabled, created_at_ns, event_id) \
             VALUES ('old', 'engineer', '$argon2id$v=19$m=19456,t=2,p=1$b2xk$b2xk', 0, 1, ?1)",
            [event_id],
        )
        .unwrap();
        let token = record("token.create", "user/old", "role viewer, label legacy");
        let event_id = crate::events::insert_event(&tx, &store.path, &token, "legacy").unwrap();
        tx.execute(
            "INSERT INTO api_tokens (token_sha256, username, role, label, created_at_ns, revoked, \
             event_id) VALUES (X'0909090909090909090909090909090909090909090909090909090909090909', \
             'old', 'viewer', 'legacy', 1, 0, ?1)",
            [event_id],
        )
        .unwrap();
        crate::events::commit_audited(tx, &store.path, "legacy").unwrap();
    }

    /// Credentials from before records named digests get one record each, once, and from then
    /// on a swap is named.
    #[test]
    fn older_credentials_get_their_digests_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        legacy_user_and_token(&mut store);
        let db = raw(dir.path());
        let swap_hash = "UPDATE users SET password_hash = '$argon2id$v=19$m=19456,t=2,p=1$bWU$bWU' \
                         WHERE name = 'old'";
        let undo_hash = "UPDATE users SET password_hash = '$argon2id$v=19$m=19456,t=2,p=1$b2xk$b2xk' \
                         WHERE name = 'old'";
        // Before: nothing names the hash, so a swap cannot be told.
        db.execute_batch(swap_hash).unwrap();
        assert!(store.audit_report().unwrap().ok());
        db.execute_batch(undo_hash).unwrap();

        assert_eq!(store.record_missing_digests(Timestamp::from_nanos(5)).unwrap(), 2);
        assert_eq!(store.record_missing_digests(Timestamp::from_nanos(6)).unwrap(), 0);
        assert!(store.audit_report().unwrap().ok());
        db.execute_batch(swap_hash).unwrap();
        let detail = store.audit_report().unwrap().detail.unwrap_or_default();
        assert!(detail.contains("user old: the password hash is not the one record"), "{detail}");
        db.execute_batch(undo_hash).unwrap();
        db.execute_batch("UPDATE api_tokens SET token_sha256 = zeroblob(32)").unwrap();
        let detail = store.audit_report().unwrap().detail.unwrap_or_default();
        assert!(
            detail.contains("API token 1 of old: its digest is not the one its records name"),
            "{detail}"
        );
    }
}
