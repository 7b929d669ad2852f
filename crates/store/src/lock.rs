//! One engine per data directory. The journal, the alarm log and the audit chain tolerate
//! several handles (SQLite serialises writers), but an engine keeps state in memory — the next
//! alarm id, the open alarms, each asset's newest sample — that a second engine on the same
//! directory would contradict: both hand out the same alarm ids and overwrite each other's
//! alarms. `faultline serve` and `demo` hold this lock while they run; the administration
//! commands (`user`, `audit`) do not need it.
//!
//! The lock is an advisory `flock` on `<data-dir>/faultline.lock`: the operating system releases
//! it when the process ends, however it ends (a `kill -9` leaves no stale lock behind).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::StoreError;
use crate::db::create_private_dir;

/// The lock file in the data directory.
pub const LOCK_FILE: &str = "faultline.lock";

/// Held while an engine runs on a data directory; released when dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the data directory for this process (creating it if needed), or says which
    /// process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, StoreError> {
        create_private_dir(data_dir)
            .map_err(|error| StoreError::Io { path: data_dir.to_path_buf(), error })?;
        let path = data_dir.join(LOCK_FILE);
        let io = |error| StoreError::Io { path: path.clone(), error };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _unreadable = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::InUse {
                    path: data_dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another process".into()
                    } else {
                        holder.into()
                    },
                });
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        // Say who holds it, for the next one to be refused.
        let said = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "faultline pid {}", std::process::id()));
        said.map_err(io)?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_naming_the_first_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = DataDirLock::acquire(&data).unwrap();
        let refused = DataDirLock::acquire(&data).unwrap_err();
        let text = refused.to_string();
        assert!(text.contains(&format!("faultline pid {}", std::process::id())), "{text}");
        assert!(text.contains("data"), "{text}");
        drop(first);
        let again = DataDirLock::acquire(&data).unwrap();
        assert!(again.path().ends_with(LOCK_FILE));
    }
}
