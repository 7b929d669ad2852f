//! Users, login sessions and API tokens. Every change to a user or a token is audited in the
//! same transaction; a session starts with its `login.success` record and ends with its
//! `logout` record. The store keeps no secret: passwords as Argon2id PHC strings (hashed by
//! `faultline-auth`), sessions and tokens only as the SHA-256 of their random value.
//!
//! Roles are stored by name; the policy (which role may do what) lives in `faultline-auth`.

use faultline_types::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use crate::db::{sql, unsigned, write_tx};
use crate::events::{commit_audited, insert_event};
use crate::{Event, Store, StoreError};

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role name (`viewer`, `operator`, `engineer`, `admin`).
    pub role: String,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// A disabled user cannot log in, and their sessions and tokens stop working.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A login session, found by the SHA-256 of its cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session.
    pub username: String,
    /// Login time.
    pub created_at: Timestamp,
    /// Last request seen (updated at most once a minute).
    pub last_seen: Timestamp,
    /// Absolute end, whatever the activity.
    pub expires_at: Timestamp,
    /// Ended by logout or by disabling the user.
    pub revoked: bool,
}

/// An API token for a machine or script, found by the SHA-256 of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Token id (shown in audit actors as `<user>/token-<id>`).
    pub id: u64,
    /// The user it acts for.
    pub username: String,
    /// The role it acts with (at most the user's).
    pub role: String,
    /// What it is for, for example `prometheus`.
    pub label: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// Revoked (the user was disabled).
    pub revoked: bool,
    /// When it last authenticated a request (to the minute; `None`: never, or before schema
    /// version 3). Set by [`Store::touch_api_token`], ignored by [`Store::add_api_token`].
    pub last_used: Option<Timestamp>,
}

const USER_COLUMNS: &str = "SELECT name, role, password_hash, disabled, created_at_ns FROM users";
const TOKEN_COLUMNS: &str = "SELECT id, username, role, label, created_at_ns, expires_at_ns, \
                             revoked, last_used_ns FROM api_tokens";

impl Store {
    /// Creates a user with `event` (written first), atomically. A taken name is
    /// [`StoreError::Exists`]. The record names the digest of the password hash (see
    /// `row_audit.rs`), never the hash.
    pub fn add_user(&mut self, user: &User, event: &Event) -> Result<(), StoreError> {
        let what = format!("add user {}", user.name);
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        let taken = tx
            .prepare_cached("SELECT 1 FROM users WHERE name = ?1")
            .and_then(|mut s| s.query_row([&user.name], |_| Ok(())).optional())
            .map_err(&err)?;
        if taken.is_some() {
            return Err(StoreError::Exists {
                path: path.clone(),
                what: format!("user {}", user.name),
            });
        }
        let event = crate::row_audit::with_password_digest(event, &user.password_hash);
        let event_id = insert_event(&tx, path, &event, &what)?;
        tx.prepare_cached(
            "INSERT INTO users (name, role, password_hash, disabled, created_at_ns, event_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                user.name,
                user.role,
                user.password_hash,
                user.disabled,
                user.created_at.as_nanos(),
                event_id
            ])
        })
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }

    /// One user.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.conn
            .prepare_cached(&format!("{USER_COLUMNS} WHERE name = ?1"))
            .and_then(|mut s| s.query_row([name], read_user).optional())
            .map_err(sql(&self.path, "read a user"))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let err = sql(&self.path, "list users");
        let mut stmt =
            self.conn.prepare_cached(&format!("{USER_COLUMNS} ORDER BY name")).map_err(&err)?;
        let rows = stmt.query_map([], read_user).map_err(&err)?;
        rows.map(|row| row.map_err(&err)).collect()
    }

    /// Changes a user's role with `event`, atomically. Their sessions see the new role at the
    /// next request; their API tokens keep at most the new role. Unknown user: NotFound.
    pub fn set_user_role(
        &mut self,
        name: &str,
        role: &str,
        event: &Event,
    ) -> Result<(), StoreError> {
        let what = format!("change the role of user {name}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        require_user(&tx, path, name, &what)?;
        if role != "admin" {
            keep_an_active_admin(&tx, path, name, &what)?;
        }
        insert_event(&tx, path, event, &what)?;
        tx.prepare_cached("UPDATE users SET role = ?2 WHERE name = ?1")
            .and_then(|mut s| s.execute(params![name, role]))
            .map_err(&err)?;
        // A token never holds more than its user: tokens above the new role are revoked.
        tx.prepare_cached(
            "UPDATE api_tokens SET revoked = 1 WHERE username = ?1 AND role <> ?2 AND \
             (CASE role WHEN 'viewer' THEN 0 WHEN 'operator' THEN 1 WHEN 'engineer' THEN 2 \
              ELSE 3 END) > (CASE ?2 WHEN 'viewer' THEN 0 WHEN 'operator' THEN 1 \
              WHEN 'engineer' THEN 2 ELSE 3 END)",
        )
        .and_then(|mut s| s.execute(params![name, role]))
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }

    /// Disables a user with `event`, atomically, and ends their sessions and tokens.
    pub fn disable_user(&mut self, name: &str, event: &Event) -> Result<(), StoreError> {
        let what = format!("disable user {name}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        require_user(&tx, path, name, &what)?;
        keep_an_active_admin(&tx, path, name, &what)?;
        insert_event(&tx, path, event, &what)?;
        for statement in [
            "UPDATE users SET disabled = 1 WHERE name = ?1",
            "UPDATE sessions SET revoked = 1 WHERE username = ?1",
            "UPDATE api_tokens SET revoked = 1 WHERE username = ?1",
        ] {
            tx.prepare_cached(statement).and_then(|mut s| s.execute([name])).map_err(&err)?;
        }
        commit_audited(tx, path, &what)
    }

    /// Replaces a user's password hash with `event`, atomically, and ends every session of
    /// theirs but `keep` (the session that made the change, when it was one): whoever knew the
    /// old password is logged out. API tokens stay; they are not derived from the password.
    /// Unknown user: NotFound.
    pub fn set_password(
        &mut self,
        name: &str,
        password_hash: &str,
        keep: Option<&[u8; 32]>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let what = format!("change the password of user {name}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        require_user(&tx, path, name, &what)?;
        let event = crate::row_audit::with_password_digest(event, password_hash);
        insert_event(&tx, path, &event, &what)?;
        tx.prepare_cached("UPDATE users SET password_hash = ?2 WHERE name = ?1")
            .and_then(|mut s| s.execute(params![name, password_hash]))
            .map_err(&err)?;
        let keep: &[u8] = keep.map_or(&[], |k| &k[..]);
        tx.prepare_cached(
            "UPDATE sessions SET revoked = 1 WHERE username = ?1 AND token_sha256 <> ?2",
        )
        .and_then(|mut s| s.execute(params![name, keep]))
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }

    /// Starts a session (its digest and times) together with its `login.success` record.
    pub fn start_session(
        &mut self,
        digest: &[u8; 32],
        session: &Session,
        event: &Event,
    ) -> Result<(), StoreError> {
        let what = format!("start a session for {}", session.username);
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        insert_event(&tx, path, event, &what)?;
        tx.prepare_cached(
            "INSERT INTO sessions (token_sha256, username, created_at_ns, last_seen_ns, \
             expires_at_ns, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                &digest[..],
                session.username,
                session.created_at.as_nanos(),
                session.last_seen.as_nanos(),
                session.expires_at.as_nanos(),
                session.revoked
            ])
        })
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }

    /// The session with this digest, if any (revoked and expired ones included: the caller
    /// decides).
    pub fn session(&self, digest: &[u8; 32]) -> Result<Option<Session>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT username, created_at_ns, last_seen_ns, expires_at_ns, revoked \
                 FROM sessions WHERE token_sha256 = ?1",
            )
            .and_then(|mut s| {
                s.query_row([&digest[..]], |r| {
                    Ok(Session {
                        username: r.get(0)?,
                        created_at: Timestamp::from_nanos(r.get(1)?),
                        last_seen: Timestamp::from_nanos(r.get(2)?),
                        expires_at: Timestamp::from_nanos(r.get(3)?),
                        revoked: r.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(sql(&self.path, "read a session"))
    }

    /// Records activity on a session (for the idle timeout). Not audited: nothing changed that
    /// anybody decided.
    pub fn touch_session(&mut self, digest: &[u8; 32], at: Timestamp) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE sessions SET last_seen_ns = ?2 WHERE token_sha256 = ?1")
            .and_then(|mut s| s.execute(params![&digest[..], at.as_nanos()]))
            .map(|_| ())
            .map_err(sql(&self.path, "record session activity"))
    }

    /// Ends a session with its `logout` record, atomically.
    pub fn end_session(&mut self, digest: &[u8; 32], event: &Event) -> Result<(), StoreError> {
        const WHAT: &str = "end a session";
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        insert_event(&tx, path, event, WHAT)?;
        tx.prepare_cached("UPDATE sessions SET revoked = 1 WHERE token_sha256 = ?1")
            .and_then(|mut s| s.execute([&digest[..]]))
            .map_err(sql(path, WHAT))?;
        commit_audited(tx, path, WHAT)
    }

    /// Stores an API token (its digest) with `event`, atomically, and returns its id. The
    /// token's `id` field is ignored.
    pub fn add_api_token(
        &mut self,
        digest: &[u8; 32],
        token: &ApiToken,
        event: &Event,
    ) -> Result<u64, StoreError> {
        let what = format!("add an API token for {}", token.username);
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        require_user(&tx, path, &token.username, &what)?;
        let event = crate::row_audit::with_token_digest(event, digest);
        let event_id = insert_event(&tx, path, &event, &what)?;
        tx.prepare_cached(
            "INSERT INTO api_tokens (token_sha256, username, role, label, created_at_ns, \
             expires_at_ns, revoked, event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                &digest[..],
                token.username,
                token.role,
                token.label,
                token.created_at.as_nanos(),
                token.expires_at.map(Timestamp::as_nanos),
                token.revoked,
                event_id
            ])
        })
        .map_err(&err)?;
        let id = tx.last_insert_rowid();
        commit_audited(tx, path, &what)?;
        Ok(unsigned(id))
    }

    /// Revokes API token `id` with `event`, atomically: it stops working at its next use.
    /// Unknown id: NotFound; revoking a revoked token changes nothing but is still recorded
    /// (callers check first when that matters).
    pub fn revoke_api_token(&mut self, id: u64, event: &Event) -> Result<(), StoreError> {
        let what = format!("revoke API token {id}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        insert_event(&tx, path, event, &what)?;
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        let changed = tx
            .prepare_cached("UPDATE api_tokens SET revoked = 1 WHERE id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map_err(&err)?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
                what: format!("API token {id}"),
            });
        }
        commit_audited(tx, path, &what)
    }

    /// Notes that API token `id` authenticated a request at `at`. Not audited: it records use,
    /// not a change (callers write it at most once a minute per token, like session activity).
    pub fn touch_api_token(&mut self, id: u64, at: Timestamp) -> Result<(), StoreError> {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        self.conn
            .prepare_cached("UPDATE api_tokens SET last_used_ns = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id, at.as_nanos()]))
            .map(|_| ())
            .map_err(sql(&self.path, "note an API token's use"))
    }

    /// The API token with this digest, if any.
    pub fn api_token(&self, digest: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
        self.conn
            .prepare_cached(&format!("{TOKEN_COLUMNS} WHERE token_sha256 = ?1"))
            .and_then(|mut s| s.query_row([&digest[..]], read_token).optional())
            .map_err(sql(&self.path, "read an API token"))
    }

    /// Every API token (without their values, which the store never had), by id.
    pub fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let err = sql(&self.path, "list API tokens");
        let mut stmt =
            self.conn.prepare_cached(&format!("{TOKEN_COLUMNS} ORDER BY id")).map_err(&err)?;
        let rows = stmt.query_map([], read_token).map_err(&err)?;
        rows.map(|row| row.map_err(&err)).collect()
    }
}

/// Refuses to take away the last active admin account (by a demotion or a disable of `name`):
/// without one, only the break-glass admin token could manage users again. Checked inside the
/// change's write transaction, so two changes at once cannot each see the other admin and both
/// pass.
fn keep_an_active_admin(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    name: &str,
    what: &str,
) -> Result<(), StoreError> {
    let (is_active_admin, other_admins): (bool, i64) = tx
        .prepare_cached(
            "SELECT coalesce(sum(name = ?1), 0) > 0, coalesce(sum(name <> ?1), 0) FROM users \
             WHERE role = 'admin' AND disabled = 0",
        )
        .and_then(|mut s| s.query_row([name], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(sql(path, what))?;
    if is_active_admin && other_admins == 0 {
        return Err(StoreError::Conflict {
            path: path.to_path_buf(),
            what: format!("`{name}` is the last active admin; make another admin first"),
        });
    }
    Ok(())
}

fn require_user(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    name: &str,
    what: &str,
) -> Result<(), StoreError> {
    let found = tx
        .prepare_cached("SELECT 1 FROM users WHERE name = ?1")
        .and_then(|mut s| s.query_row([name], |_| Ok(())).optional())
        .map_err(sql(path, what))?;
    found.ok_or_else(|| StoreError::NotFound {
        path: path.to_path_buf(),
        what: format!("user {name}"),
    })
}

fn read_user(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        disabled: r.get(3)?,
        created_at: Timestamp::from_nanos(r.get(4)?),
    })
}

fn read_token(r: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: unsigned(r.get(0)?),
        username: r.get(1)?,
        role: r.get(2)?,
        label: r.get(3)?,
        created_at: Timestamp::from_nanos(r.get(4)?),
        expires_at: r.get::<_, Option<i64>>(5)?.map(Timestamp::from_nanos),
        revoked: r.get(6)?,
        last_used: r.get::<_, Option<i64>>(7)?.map(Timestamp::from_nanos),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn the_last_active_admin_is_kept_whichever_handle_asks() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Store::open(dir.path()).unwrap();
        let mut b = Store::open(dir.path()).unwrap();
        for name in ["ada", "bo"] {
            a.add_user(&user(name, "admin"), &event("user.create")).unwrap();
        }
        a.add_user(&user("cy", "viewer"), &event("user.create")).unwrap();
        // Each handle saw two admins before; the second change is judged inside its own write.
        a.disable_user("ada", &event("user.disable")).unwrap();
        let err = b.disable_user("bo", &event("user.disable")).unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { what, .. } if what.contains("`bo`")),
            "{err}"
        );
        let err = b.set_user_role("bo", "engineer", &event("user.role")).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        // Nothing of a refused change is written, its audit record included.
        assert!(!b.user("bo").unwrap().unwrap().disabled);
        assert_eq!(b.events(100, None).unwrap().len(), 4);
        // Changes that leave an admin (or touch no admin) pass.
        b.set_user_role("bo", "admin", &event("user.role")).unwrap();
        b.set_user_role("cy", "operator", &event("user.role")).unwrap();
        b.disable_user("cy", &event("user.disable")).unwrap();
    }

    #[test]
    fn users_are_created_once_changed_and_disabled_with_audit_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .add_user(&user("bob", "viewer"), &record("user.create", "user/bob", "viewer"))
            .unwrap();
        store
            .add_user(&user("alice", "admin"), &record("user.create", "user/alice", "admin"))
            .unwrap();
        let err = store.add_user(&user("alice", "viewer"), &event("user.create")).unwrap_err();
        assert!(matches!(err, StoreError::Exists { .. }), "{err}");
        assert!(store.add_user(&user("eve", "root"), &event("user.create")).is_err());
        assert!(store.add_user(&user("", "viewer"), &event("user.create")).is_err());
        let mut plain = user("mallory", "viewer");
        plain.password_hash = "hunter2".into();
        assert!(store.add_user(&plain, &event("user.create")).is_err(), "only Argon2id hashes");
        let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, vec!["alice", "bob"]);

        store
            .set_user_role("bob", "engineer", &record("user.role", "user/bob", "engineer"))
            .unwrap();
        assert_eq!(store.user("bob").unwrap().unwrap().role, "engineer");
        let err = store.set_user_role("nobody", "admin", &event("user.role")).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

        let digest = [3u8; 32];
        let session = Session {
            username: "bob".into(),
            created_at: Timestamp::from_nanos(10),
            last_seen: Timestamp::from_nanos(10),
            expires_at: Timestamp::from_nanos(100),
            revoked: false,
        };
        store.start_session(&digest, &session, &event("login.success")).unwrap();
        store.touch_session(&digest, Timestamp::from_nanos(20)).unwrap();
        assert_eq!(store.session(&digest).unwrap().unwrap().last_seen, Timestamp::from_nanos(20));
        let token = ApiToken {
            id: 0,
            username: "bob".into(),
            role: "engineer".into(),
            label: "ci".into(),
            created_at: Timestamp::from_nanos(1),
            expires_at: None,
            revoked: false,
            last_used: Some(Timestamp::from_nanos(99)),
        };
        let created = record("token.create", "user/bob", "role engineer, label ci");
        let id = store.add_api_token(&[4u8; 32], &token, &created).unwrap();
        let stored = store.api_token(&[4u8; 32]).unwrap().unwrap();
        assert_eq!((stored.id, stored.last_used), (id, None), "a new token was never used");
        // Use is noted without an audit record (the count below stays 7).
        store.touch_api_token(id, Timestamp::from_nanos(30)).unwrap();
        let used = store.api_tokens().unwrap()[0].last_used;
        assert_eq!(used, Some(Timestamp::from_nanos(30)));

        // Lowering the role revokes tokens above it.
        store
            .set_user_role("bob", "operator", &record("user.role", "user/bob", "operator"))
            .unwrap();
        assert!(store.api_token(&[4u8; 32]).unwrap().unwrap().revoked);

        store.disable_user("bob", &record("user.disable", "user/bob", "disabled")).unwrap();
        assert!(store.user("bob").unwrap().unwrap().disabled);
        assert!(store.session(&digest).unwrap().unwrap().revoked);
        // Every change above wrote exactly one record, and the chain holds.
        assert_eq!(store.verify_events().unwrap(), 7);
    }

    #[test]
    fn a_new_password_ends_the_other_sessions_and_a_revoked_token_stays_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .add_user(&user("bob", "engineer"), &record("user.create", "user/bob", "engineer"))
            .unwrap();
        let session = |at: i64| Session {
            username: "bob".into(),
            created_at: Timestamp::from_nanos(at),
            last_seen: Timestamp::from_nanos(at),
            expires_at: Timestamp::from_nanos(1_000),
            revoked: false,
        };
        let (here, elsewhere) = ([1u8; 32], [2u8; 32]);
        store.start_session(&here, &session(1), &event("login.success")).unwrap();
        store.start_session(&elsewhere, &session(2), &event("login.success")).unwrap();
        let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA";
        let changed = record("user.password", "user/bob", "password changed by its owner");
        store.set_password("bob", new_hash, Some(&here), &changed).unwrap();
        // The record names the digest of the hash it set, never the hash.
        let events = store.events(100, None).unwrap();
        let (_, change) = events.iter().find(|(_, e)| e.action == "user.password").unwrap();
        let recorded = change.new_value.clone().unwrap();
        assert!(recorded.starts_with("password changed by its owner; password digest sha256:"));
        assert!(!recorded.contains(new_hash), "{recorded}");
        assert_eq!(store.user("bob").unwrap().unwrap().password_hash, new_hash);
        assert!(!store.session(&here).unwrap().unwrap().revoked, "the changing session stays");
        assert!(store.session(&elsewhere).unwrap().unwrap().revoked);
        // A reset by an administrator keeps none.
        let reset =
            record("user.password.reset", "user/bob", "new password set by an administrator");
        store.set_password("bob", new_hash, None, &reset).unwrap();
        assert!(store.session(&here).unwrap().unwrap().revoked);
        let err = store.set_password("nobody", new_hash, None, &event("x")).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

        let token = ApiToken {
            id: 0,
            username: "bob".into(),
            role: "viewer".into(),
            label: "grafana".into(),
            created_at: Timestamp::from_nanos(1),
            expires_at: None,
            revoked: false,
            last_used: None,
        };
        let created = record("token.create", "user/bob", "role viewer, label grafana");
        let id = store.add_api_token(&[5u8; 32], &token, &created).unwrap();
        let revoked = record("token.revoke", "user/bob", &format!("token-{id} revoked"));
        store.revoke_api_token(id, &revoked).unwrap();
        assert!(store.api_token(&[5u8; 32]).unwrap().unwrap().revoked);
        let err = store.revoke_api_token(id + 1, &event("token.revoke")).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        // The refused revocation left no record; every change above left one.
        assert_eq!(store.verify_events().unwrap(), 7);
    }

    #[test]
    fn failed_logins_count_since_the_last_success() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let login = |action: &str, at: i64| {
            Event::new(Timestamp::from_nanos(at), "carol", action, "user/carol")
        };
        for at in [1, 2, 3] {
            store.append_event(&login("login.failure", at)).unwrap();
        }
        assert_eq!(store.failed_logins("carol", Timestamp::from_nanos(2)).unwrap().len(), 2);
        store.append_event(&login("login.success", 4)).unwrap();
        assert!(store.failed_logins("carol", Timestamp::from_nanos(0)).unwrap().is_empty());
        store.append_event(&login("login.failure", 5)).unwrap();
        assert_eq!(
            store.failed_logins("carol", Timestamp::from_nanos(0)).unwrap(),
            vec![Timestamp::from_nanos(5)]
        );
        assert!(store.failed_logins("dave", Timestamp::from_nanos(0)).unwrap().is_empty());
        // A wrong current password when changing it is a guess like a failed login.
        store.append_event(&login("password.failure", 6)).unwrap();
        assert_eq!(store.failed_logins("carol", Timestamp::from_nanos(0)).unwrap().len(), 2);
    }
}
