//! The audit anchor `<data_dir>/audit.head`: the id and hash of the newest audit record, kept
//! outside the database so that cutting records off the end of the trail is detected.
//!
//! A hash chain alone cannot see its tail removed: what is left is still a valid chain. The
//! anchor is written after every commit that adds a record (to a temporary file, fsynced, then
//! renamed, then the directory fsynced), so it is never *ahead* of the committed trail: a trail
//! shorter than its anchor has lost records. It may be *behind* (a crash between the commit and
//! the anchor write, or a failed anchor write), which verification accepts.
//!
//! Limits, stated in docs/security.md: someone who can write both the database and this file
//! can rewrite the tail consistently (recompute the chain, rewrite the anchor). The anchor turns
//! "delete some rows" into "understand the format and forge two files"; copying it off the
//! machine (backups, a log shipper) is what makes it hard to forge.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Name of the anchor file inside the data directory.
pub const ANCHOR_FILE: &str = "audit.head";
const MAGIC: &str = "faultline-audit-head v1";

/// What the anchor says: the newest record's id (0 before the first record) and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub id: u64,
    pub hash: [u8; 32],
}

/// The anchor's path for a database file (`<data_dir>/faultline.db`).
pub(crate) fn anchor_path(db: &Path) -> PathBuf {
    db.with_file_name(ANCHOR_FILE)
}

/// Reads the anchor: `Ok(None)` when the file does not exist, `Err` with a reason when it
/// exists but is not an anchor.
pub(crate) fn read(db: &Path) -> Result<Option<Anchor>, String> {
    let path = anchor_path(db);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    parse(&text).map(Some).ok_or_else(|| format!("{}: not an audit anchor", path.display()))
}

fn parse(text: &str) -> Option<Anchor> {
    let rest = text.trim_end().strip_prefix(MAGIC)?;
    let mut id = None;
    let mut hash = None;
    for field in rest.split_whitespace() {
        match field.split_once('=')? {
            ("id", v) => id = v.parse().ok(),
            ("hash", v) => hash = unhex(v),
            _ => return None,
        }
    }
    Some(Anchor { id: id?, hash: hash? })
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Moves an existing anchor forward to `anchor`. An anchor already at or beyond it is left
/// alone (a slower writer never moves it back), and a missing or unreadable anchor is *not*
/// recreated: that would let someone who deleted it together with the end of the trail hide
/// the cut at the next write. The store creates the anchor once, with the schema.
pub(crate) fn advance(db: &Path, anchor: Anchor) -> std::io::Result<()> {
    match read(db) {
        Ok(Some(current)) if current.id < anchor.id => write(db, anchor),
        _ => Ok(()),
    }
}

/// Writes the anchor atomically and durably.
pub(crate) fn write(db: &Path, anchor: Anchor) -> std::io::Result<()> {
    // Unique per process and call: several handles (and processes) may write at once.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let path = anchor_path(db);
    let tmp = path.with_extension(format!(
        "tmp.{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let hex: String = anchor.hash.iter().map(|b| format!("{b:02x}")).collect();
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(format!("{MAGIC} id={} hash={hex}\n", anchor.id).as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        if let Some(dir) = path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _best_effort = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_round_trip_and_only_move_forward() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("faultline.db");
        assert_eq!(read(&db).unwrap(), None);
        advance(&db, Anchor { id: 5, hash: [7; 32] }).unwrap();
        assert_eq!(read(&db).unwrap(), None, "a missing anchor is not recreated");
        write(&db, Anchor { id: 5, hash: [7; 32] }).unwrap();
        advance(&db, Anchor { id: 4, hash: [1; 32] }).unwrap();
        assert_eq!(read(&db).unwrap(), Some(Anchor { id: 5, hash: [7; 32] }));
        advance(&db, Anchor { id: 6, hash: [2; 32] }).unwrap();
        assert_eq!(read(&db).unwrap().unwrap().id, 6);
        fs::write(anchor_path(&db), "garbage").unwrap();
        assert!(read(&db).unwrap_err().contains("not an audit anchor"));
        advance(&db, Anchor { id: 9, hash: [2; 32] }).unwrap();
        assert!(read(&db).is_err(), "a damaged anchor is left for verification to report");
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
