//! Opening the store: the one SQLite file `<data_dir>/faultline.db`, its pragmas, its schema and
//! the schema version check. Every other module adds methods to [`Store`].
//!
//! # Durability
//! The file runs in WAL mode with `synchronous=FULL`: a commit returns only after its WAL frames
//! were fsynced, so whatever a write method has returned `Ok` for survives `kill -9` and power
//! loss. That is the rule the pipeline relies on before it acknowledges a sample to its sender.
//! Each write method is exactly one transaction, so a batch is one fsync (group commit).
//!
//! # Several handles
//! WAL lets one writer and any number of readers work at once, so the pipeline's writer thread
//! and the API's reader threads each open their own `Store` on the same directory. Writes start
//! with `BEGIN IMMEDIATE`: they take the write lock before reading anything, so a write never
//! fails half-way because another handle committed in between, and they wait up to
//! [`BUSY_TIMEOUT`] for that lock instead of failing at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::StoreError;

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "faultline.db";
/// The schema version this build creates and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;
/// The first version with an audit anchor file: opening an older file writes one.
const ANCHORED_SINCE: i64 = 2;
/// `PRAGMA application_id` of a faultline store (`FLT1`), so a foreign SQLite file is never
/// mistaken for one.
pub const APPLICATION_ID: i64 = 0x464C_5431;
/// How long a handle waits for another handle's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Version 1 of the schema. `docs/storage.md` describes it; a fresh file gets it and then the
/// migrations to the current version, so fresh and migrated files are the same.
///
/// Tables are `STRICT`, so a value of the wrong type is an error instead of being stored as
/// text. Uniqueness lives in the schema, not in Rust, so it holds for every handle at once:
/// `UNIQUE (asset, ts_ns)` on samples is what turns a broker's redelivery after a crash into a
/// `Duplicate` instead of a second copy.
const SCHEMA_V1: &str = "
CREATE TABLE samples (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: replay cursors stay valid
    asset    TEXT    NOT NULL,
    ts_ns    INTEGER NOT NULL,
    payload  BLOB    NOT NULL,                  -- serde_json of faultline_types::Sample
    checksum BLOB    NOT NULL CHECK (length(checksum) = 32), -- SHA-256 of payload
    UNIQUE (asset, ts_ns)
) STRICT;

CREATE TABLE scores (
    id        INTEGER PRIMARY KEY,
    asset     TEXT    NOT NULL,
    ts_ns     INTEGER NOT NULL,
    t2        REAL    NOT NULL,
    t2_limit  REAL    NOT NULL,
    spe       REAL    NOT NULL,
    spe_limit REAL    NOT NULL,
    alarm     INTEGER NOT NULL CHECK (alarm IN (0, 1)),
    imputed   INTEGER NOT NULL CHECK (imputed >= 0),
    top       TEXT    NOT NULL,                 -- JSON array of Contributor
    UNIQUE (asset, ts_ns)
) STRICT;

CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns     INTEGER NOT NULL,
    actor     TEXT    NOT NULL CHECK (actor <> ''),
    action    TEXT    NOT NULL CHECK (action <> ''),
    target    TEXT    NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason    TEXT,
    hash      BLOB    NOT NULL CHECK (length(hash) = 32) -- SHA-256 chain, see events.rs
) STRICT;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE alarms (
    id           INTEGER PRIMARY KEY,
    asset        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    raised_at_ns INTEGER NOT NULL,
    body         TEXT    NOT NULL,              -- JSON of faultline_types::Alarm
    event_id     INTEGER NOT NULL REFERENCES events (id)
) STRICT;
CREATE INDEX alarms_by_raised ON alarms (raised_at_ns);
CREATE INDEX alarms_by_asset ON alarms (asset, raised_at_ns);
CREATE INDEX alarms_by_state ON alarms (state);

CREATE TABLE models (
    asset              TEXT    NOT NULL CHECK (asset <> ''),
    version            INTEGER NOT NULL CHECK (version >= 1),
    kind               TEXT    NOT NULL CHECK (kind <> ''),
    sha256             TEXT    NOT NULL CHECK (length(sha256) = 64),
    created_at_ns      INTEGER NOT NULL,
    active             INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    bytes              BLOB    NOT NULL,
    event_id           INTEGER NOT NULL REFERENCES events (id),
    activated_event_id INTEGER REFERENCES events (id),
    PRIMARY KEY (asset, version)
) STRICT;
-- At most one active version per asset, enforced for every handle by the file itself.
CREATE UNIQUE INDEX models_one_active ON models (asset) WHERE active = 1;

CREATE TABLE settings (
    key      TEXT    PRIMARY KEY CHECK (key <> ''),
    value    TEXT    NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id)
) STRICT;
";

/// The migration from version 1 to 2: electronic signatures on audit events, an index for
/// per-target audit queries (the login lockout count), users, sessions and API tokens.
///
/// Secrets are never stored: users keep an Argon2id PHC string, sessions and tokens only the
/// SHA-256 of the random value their holder has. Role names are checked by the file itself so
/// that no handle can store a role the policy table does not know.
const MIGRATE_V1_TO_V2: &str = "
ALTER TABLE events ADD COLUMN signer TEXT;
ALTER TABLE events ADD COLUMN signed_at_ns INTEGER;
ALTER TABLE events ADD COLUMN meaning TEXT;
CREATE INDEX events_by_target ON events (target, action, id);

CREATE TABLE users (
    name          TEXT    PRIMARY KEY CHECK (name <> ''),
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'engineer', 'admin')),
    password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at_ns INTEGER NOT NULL,
    event_id      INTEGER NOT NULL REFERENCES events (id)
) STRICT;

CREATE TABLE sessions (
    token_sha256  BLOB    PRIMARY KEY CHECK (length(token_sha256) = 32),
    username      TEXT    NOT NULL REFERENCES users (name),
    created_at_ns INTEGER NOT NULL,
    last_seen_ns  INTEGER NOT NULL,
    expires_at_ns INTEGER NOT NULL,             -- absolute end; idle end is checked by the API
    revoked       INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX sessions_by_user ON sessions (username);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256  BLOB    NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    username      TEXT    NOT NULL REFERENCES users (name),
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'engineer', 'admin')),
    label         TEXT    NOT NULL,
    created_at_ns INTEGER NOT NULL,
    expires_at_ns INTEGER,
    revoked       INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    event_id      INTEGER NOT NULL REFERENCES events (id)
) STRICT;
";

/// The migration from version 2 to 3: when each API token was last used (updated at most once
/// a minute), so an administrator can see which tokens are still in service.
const MIGRATE_V2_TO_V3: &str = "
ALTER TABLE api_tokens ADD COLUMN last_used_ns INTEGER;
";

/// Each migration: the version it starts from and its SQL.
const MIGRATIONS: &[(i64, &str)] = &[(1, MIGRATE_V1_TO_V2), (2, MIGRATE_V2_TO_V3)];

/// faultline's embedded store: the sample journal, scores, alarms, the audit trail, the model
/// registry and settings, in one SQLite file.
///
/// A `Store` is one SQLite connection: `Send` but not `Sync`. Give each thread its own (open the
/// same directory again); they see each other's commits.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Store {
    /// Opens (creating the directory and the file if needed) the store in `data_dir`.
    ///
    /// A fresh file gets schema version [`SCHEMA_VERSION`]; a file of another version, or an
    /// SQLite file that is not a faultline store, is refused with a clear error.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        create_private_dir(data_dir)
            .map_err(|error| StoreError::Io { path: data_dir.to_path_buf(), error })?;
        let path = data_dir.join(DB_FILE);
        create_private_file(&path).map_err(|error| StoreError::Io { path: path.clone(), error })?;
        let mut conn = Connection::open(&path).map_err(sql(&path, "open"))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(&path, "set the busy timeout"))?;
        // Enough for every statement the store prepares, so the hot ones are never re-parsed.
        conn.set_prepared_statement_cache_capacity(64);
        // Refuse a newer file before changing anything in it.
        let found = user_version(&conn, &path)?;
        if !(0..=SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::UnsupportedVersion { path, found });
        }
        pragmas(&conn, &path)?;
        if found == 0 {
            create_schema(&mut conn, &path)?;
        } else {
            check_application_id(&conn, &path)?;
        }
        if found < SCHEMA_VERSION {
            migrate(&mut conn, &path)?;
        }
        let store = Store { conn, path };
        // A file from before anchors gets one; a newer file whose anchor is gone does not (a
        // deleted anchor is what verification must report).
        store.ensure_anchor(found < ANCHORED_SINCE)?;
        Ok(store)
    }

    /// Opens an existing store for reading only, for verification: nothing in the directory is
    /// created or changed (no migration, no anchor, no pragma that writes), so an auditor can
    /// check an evidence copy, or a store they may not write. A store written by another
    /// schema version is refused: migrating it is a change, and verifying it as it is needs
    /// the release that wrote it.
    pub fn open_read_only(data_dir: &Path) -> Result<Store, StoreError> {
        let path = data_dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Io {
                path,
                error: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no faultline store here; check the data directory",
                ),
            });
        }
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // With a log still to apply (a running server, or a copy taken with its -wal) SQLite
        // must read it through its shared memory. Without one (a checkpointed copy, on media
        // the auditor cannot write), open the file as immutable: nothing is created beside it.
        let wal = data_dir.join(format!("{DB_FILE}-wal"));
        let pending_log = fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
        let conn = if pending_log {
            Connection::open_with_flags(&path, flags)
        } else {
            let uri = format!("file:{}?immutable=1", uri_path(&path));
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        .map_err(sql(&path, "open for reading"))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(&path, "set the busy timeout"))?;
        let found = user_version(&conn, &path)?;
        if (1..SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::OlderVersion { path, found });
        }
        if found != SCHEMA_VERSION {
            return Err(StoreError::UnsupportedVersion { path, found });
        }
        check_application_id(&conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `path` for an SQLite `file:` URI: the characters a URI gives a meaning are escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Creates the data directory (and missing parents) readable by its owner only: the store holds
/// password hashes and plant data. An existing directory keeps its mode (the operator's choice).
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the database file, if missing, readable by its owner only; SQLite gives its `-wal`
/// and `-shm` files the same mode.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// Starts a write transaction that holds the write lock from its first statement on (see the
/// module docs). A free function so callers can borrow `Store::path` beside it.
pub(crate) fn write_tx<'c>(
    conn: &'c mut Connection,
    path: &Path,
    what: &str,
) -> Result<Transaction<'c>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, what))
}

/// The pragmas durability rests on. `journal_mode` is stored in the file; the others must be set
/// by every connection, which is why they are set here, on every open, and nowhere else.
fn pragmas(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let err = sql(path, "configure the connection");
    let mode: String =
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(&err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        // For example a file system without shared memory: without WAL the durability and
        // concurrency rules above do not hold, so do not run at all.
        return Err(StoreError::Setup {
            path: path.to_path_buf(),
            what: format!("cannot switch to WAL mode (journal_mode stays {mode})"),
        });
    }
    // FULL: fsync the WAL on every commit. NORMAL would lose the last commits on power loss,
    // which breaks "acknowledged means durable".
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(&err)
}

fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql(path, "read the schema version"))
}

fn check_application_id(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let id: i64 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(sql(path, "read the application id"))?;
    if id == APPLICATION_ID {
        Ok(())
    } else {
        Err(StoreError::Foreign { path: path.to_path_buf() })
    }
}

/// Creates schema version 1 in an empty file. The version is re-read under the write lock, so
/// two handles opening a fresh directory at once create the schema exactly once.
fn create_schema(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = sql(path, "create the schema");
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&err)?;
    match user_version(&tx, path)? {
        0 => {}
        1..=SCHEMA_VERSION => return check_application_id(&tx, path),
        found => return Err(StoreError::UnsupportedVersion { path: path.to_path_buf(), found }),
    }
    let tables: i64 =
        tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0)).map_err(&err)?;
    if tables != 0 {
        return Err(StoreError::Foreign { path: path.to_path_buf() });
    }
    tx.execute_batch(SCHEMA_V1).map_err(&err)?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    ))
    .map_err(&err)?;
    tx.commit().map_err(&err)
}

/// Brings an older file to [`SCHEMA_VERSION`] in one transaction, one migration after the
/// other. The version is re-read under the write lock, so two handles opening an old file at
/// once migrate it exactly once.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let what = format!("migrate the schema to version {SCHEMA_VERSION}");
    let err = sql(path, &what);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&err)?;
    let found = user_version(&tx, path)?;
    if !(1..=SCHEMA_VERSION).contains(&found) {
        return Err(StoreError::UnsupportedVersion { path: path.to_path_buf(), found });
    }
    for (from, step) in MIGRATIONS.iter().filter(|(from, _)| *from >= found) {
        let step_what = format!("migrate the schema from version {from} to {}", from + 1);
        tx.execute_batch(step).map_err(sql(path, &step_what))?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};")).map_err(&err)?;
    tx.commit().map_err(&err)
}

/// Maps an SQLite error to [`StoreError::Sqlite`] naming the file and the operation.
pub(crate) fn sql<'a>(
    path: &'a Path,
    what: &'a str,
) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    move |error| StoreError::Sqlite { path: path.to_path_buf(), what: what.to_string(), error }
}

/// A caller's `limit` as an SQL `LIMIT` (anything beyond `i64::MAX` means "no limit").
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A stored id or sequence number. They are positive by construction (AUTOINCREMENT, or checked
/// on write), so the fallback is never taken.
pub(crate) fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// A caller's id or cursor as an SQL integer; ids beyond `i64::MAX` cannot exist in the file.
pub(crate) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    /// Verification opens read-only and changes nothing (it used to migrate older files and
    /// write anchors, and failed on a copy the auditor could not write; found by review).
    #[test]
    fn a_read_only_open_verifies_without_changing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        for _ in 0..3 {
            store.append_event(&event("x.y")).unwrap();
        }
        drop(store);
        let snapshot = || {
            let mut files: Vec<(String, usize, u64)> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap())
                .map(|e| {
                    let bytes = fs::read(e.path()).unwrap();
                    let sum = bytes.iter().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
                    (e.file_name().to_string_lossy().into_owned(), bytes.len(), sum)
                })
                .collect();
            files.sort();
            files
        };
        let before = snapshot();
        let store = Store::open_read_only(dir.path()).unwrap();
        let report = store.audit_report().unwrap();
        assert!(report.ok() && report.records == 3, "{report:?}");
        drop(store);
        assert_eq!(snapshot(), before);
        // Beside a running writer (its log not yet checkpointed) it reads the log too.
        let mut writer = Store::open(dir.path()).unwrap();
        writer.append_event(&event("x.z")).unwrap();
        let report = Store::open_read_only(dir.path()).unwrap().audit_report().unwrap();
        assert!(report.ok() && report.records == 4, "{report:?}");
        drop(writer);
        // An older store is refused as it is, not migrated.
        let old = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        fs::copy(fixtures.join("store_v2.db"), old.path().join(DB_FILE)).unwrap();
        let refused = Store::open_read_only(old.path()).expect_err("a v2 store is refused");
        assert!(matches!(refused, StoreError::OlderVersion { found: 2, .. }), "{refused}");
        assert_eq!(
            fs::read(old.path().join(DB_FILE)).unwrap(),
            fs::read(fixtures.join("store_v2.db")).unwrap()
        );
        assert!(Store::open_read_only(&old.path().join("missing")).is_err());
    }

    /// The store holds password hashes: other local users may not read it (it used to be
    /// created 0755 / 0644).
    #[cfg(unix)]
    #[test]
    fn a_fresh_store_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut store = Store::open(&data).unwrap();
        store.append_event(&event("x.y")).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for file in [DB_FILE.to_string(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm")] {
            assert_eq!(mode(&data.join(&file)), 0o600, "{file}");
        }
    }

    #[test]
    fn fresh_directory_gets_the_current_version_in_wal_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let store = Store::open(&data).unwrap();
        assert_eq!(store.path(), data.join(DB_FILE));
        let pragma = |name: &str| -> String {
            store
                .conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)"); // FULL
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
        assert_eq!(pragma("user_version"), format!("Integer({SCHEMA_VERSION})"));
        drop(store);
        // Reopening an existing store keeps it.
        Store::open(&data).unwrap();
    }

    #[test]
    fn newer_schema_version_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let newer = SCHEMA_VERSION + 1;
        raw(dir.path()).execute_batch(&format!("PRAGMA user_version = {newer}")).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedVersion { found, .. } if found == newer));
        let message = err.to_string();
        assert!(
            message.contains("faultline.db") && message.contains(&format!("version {newer}")),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn foreign_sqlite_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        raw(dir.path()).execute_batch("CREATE TABLE other (x)").unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");

        let dir = tempfile::tempdir().unwrap();
        raw(dir.path()).execute_batch("PRAGMA user_version = 1").unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    }

    #[test]
    fn a_file_that_is_not_sqlite_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(DB_FILE), vec![7u8; 4096]).unwrap();
        let message = Store::open(dir.path()).unwrap_err().to_string();
        assert!(message.contains("faultline.db: ") && !message.contains('\n'), "{message}");
    }

    #[test]
    fn data_dir_that_cannot_be_created_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = Store::open(&file.join("sub")).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
    }

    /// The stored version-1 store (written by this crate when version 1 was made) must keep
    /// opening and reading: opening migrates it to the current version (and anchors its audit
    /// trail), and everything it held still reads and verifies.
    #[test]
    fn stored_v1_fixture_migrates_and_still_reads() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store_v1.db");
        let dir = tempfile::tempdir().unwrap();
        fs::copy(&fixture, dir.path().join(DB_FILE)).unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let version: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(dir.path().join(crate::anchor::ANCHOR_FILE).exists());
        assert_eq!(store.audit_report().unwrap().anchored_id, Some(6));
        assert!(store.users().unwrap().is_empty());
        use faultline_types::{AlarmState, Timestamp};
        let ts = Timestamp::from_nanos;

        let pump = store.samples("pump-1", ts(0), ts(i64::MAX), 10).unwrap();
        assert_eq!(pump.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(pump[1].sample.values[2].value, 200.66666666666666);
        let press = store.samples_after(2, 10).unwrap();
        assert_eq!(press[0].sample.context, vec![("lot".to_string(), "L42".to_string())]);
        assert_eq!(store.latest_scores("pump-1", 5).unwrap().len(), 2);
        let open = store.open_alarms().unwrap();
        assert_eq!((open.len(), open[0].id, open[0].state), (1, 1, AlarmState::UnackedActive));
        assert_eq!(store.next_alarm_id().unwrap(), 3);
        let (active, bytes) = store.active_model("pump-1").unwrap().unwrap();
        assert_eq!(
            (active.version, active.kind.as_str(), bytes),
            (2, "dpca", b"model two".to_vec())
        );
        assert_eq!(store.setting("admin_token_hash").unwrap().as_deref(), Some("argon2id$fixture"));
        assert_eq!(fixture_records(&store), 6);

        // And it takes new writes: the sequence and the chain continue.
        let next = store.append_samples(&[sample("pump-1", 3_000, 3)]).unwrap();
        assert_eq!(next[0], crate::AppendOutcome::Stored { seq: 4 });
        store.append_event(&event("config.load")).unwrap();
        assert_eq!(fixture_records(&store), 7);
        drop(store);
        // A second open finds the current version and changes nothing.
        assert_eq!(fixture_records(&Store::open(dir.path()).unwrap()), 7);
    }

    /// The stored version-2 store (written by this crate when version 2 was current) opens,
    /// is migrated to the current version, keeps its anchor, and its API token reads with no
    /// last use until one is noted.
    #[test]
    fn stored_v2_fixture_migrates_and_still_reads() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dir = tempfile::tempdir().unwrap();
        fs::copy(fixtures.join("store_v2.db"), dir.path().join(DB_FILE)).unwrap();
        let head = dir.path().join(crate::anchor::ANCHOR_FILE);
        fs::copy(fixtures.join("store_v2.head"), &head).unwrap();
        let anchor_before = fs::read(&head).unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let version: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(fs::read(&head).unwrap(), anchor_before, "the migration writes no event");
        assert_eq!(fixture_records(&store), 2);
        assert_eq!(store.user("bob").unwrap().unwrap().role, "engineer");
        let token = store.api_token(&[7u8; 32]).unwrap().unwrap();
        assert_eq!((token.id, token.label.as_str(), token.last_used), (1, "prometheus", None));
        store.touch_api_token(1, faultline_types::Timestamp::from_nanos(5)).unwrap();
        assert_eq!(
            store.api_tokens().unwrap()[0].last_used,
            Some(faultline_types::Timestamp::from_nanos(5))
        );
        let pump = store
            .samples(
                "pump-1",
                faultline_types::Timestamp::from_nanos(0),
                faultline_types::Timestamp::from_nanos(i64::MAX),
                10,
            )
            .unwrap();
        assert_eq!(pump.len(), 1);
    }

    /// A version-2 (or later) file whose anchor was deleted does not get a new one on opening:
    /// verification must report the missing anchor, and a migration must not hide it.
    #[test]
    fn a_migration_does_not_recreate_a_deleted_anchor() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dir = tempfile::tempdir().unwrap();
        fs::copy(fixtures.join("store_v2.db"), dir.path().join(DB_FILE)).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(!dir.path().join(crate::anchor::ANCHOR_FILE).exists());
        let detail = store.audit_report().unwrap().detail.unwrap_or_default();
        assert!(detail.contains("anchor file"), "{detail}");
    }

    /// The number of records of a migrated fixture's trail, checking that its chain, anchor and
    /// links verify. The fixtures' records are the unit tests' placeholders (about `target`,
    /// naming no value), so the row checks that come last find their users and alarms
    /// unexplained; a store the product wrote names the rows in its records.
    fn fixture_records(store: &Store) -> u64 {
        let report = store.audit_report().unwrap();
        let detail = report.detail.unwrap_or_default();
        let placeholder =
            detail.contains("which is about target") || detail.contains("no record created");
        assert!(detail.is_empty() || placeholder, "{detail}");
        report.records
    }
}
