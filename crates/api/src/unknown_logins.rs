//! Failed logins of names that are no user's: counted here, in memory, for the lockout.
//!
//! A name typed at the login form that is not a user's is often a password typed into the
//! wrong box, so the audit trail does not keep it: such a failure is recorded with the actor
//! [`UNKNOWN_USER`]. The lockout of known names counts their failures from the trail; to keep
//! unknown names locked out like known ones (so that the lockout does not tell which names
//! exist), their failures are counted here instead, keyed by the SHA-256 of the name, never
//! the name. The count does not survive a restart, and the table holds at most
//! [`MAX_NAMES`] names: beyond that the name whose last failure is oldest is forgotten.

use std::collections::HashMap;
use std::sync::Mutex;

use faultline_types::Timestamp;
use sha2::{Digest, Sha256};

/// The actor (and `user/<actor>` the target) of records about a login name that is no user's.
/// It cannot be a user's name (those are `a-z 0-9 . _ -`).
pub(crate) const UNKNOWN_USER: &str = "(unknown user)";

/// Names tracked at once.
const MAX_NAMES: usize = 10_000;

/// Failure times per unknown name (by its SHA-256), oldest first.
#[derive(Default)]
pub(crate) struct UnknownLogins {
    failures: Mutex<HashMap<[u8; 32], Vec<Timestamp>>>,
}

fn key(name: &str) -> [u8; 32] {
    Sha256::digest(name.as_bytes()).into()
}

impl UnknownLogins {
    /// The failed logins of `name` at or after `since`, oldest first (as
    /// `Store::failed_logins` gives them for known names).
    pub(crate) fn failures(&self, name: &str, since: Timestamp) -> Vec<Timestamp> {
        let Ok(failures) = self.failures.lock() else { return Vec::new() };
        failures
            .get(&key(name))
            .map(|times| times.iter().copied().filter(|t| *t >= since).collect())
            .unwrap_or_default()
    }

    /// Counts a failed login of `name` at `at`; failures before `since` are forgotten.
    pub(crate) fn failed(&self, name: &str, at: Timestamp, since: Timestamp) {
        let Ok(mut failures) = self.failures.lock() else { return };
        let key = key(name);
        if failures.len() >= MAX_NAMES && !failures.contains_key(&key) {
            failures.retain(|_, times| times.last().is_some_and(|t| *t >= since));
            if failures.len() >= MAX_NAMES {
                let oldest = failures.iter().min_by_key(|(_, times)| times.last().copied());
                if let Some(oldest) = oldest.map(|(k, _)| *k) {
                    failures.remove(&oldest);
                }
            }
        }
        let times = failures.entry(key).or_default();
        times.retain(|t| *t >= since);
        times.push(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_nanos(seconds * 1_000_000_000)
    }

    #[test]
    fn failures_are_counted_per_name_within_the_window() {
        let logins = UnknownLogins::default();
        logins.failed("hunter2", t(10), t(0));
        logins.failed("hunter2", t(20), t(0));
        logins.failed("other", t(20), t(0));
        assert_eq!(logins.failures("hunter2", t(0)), vec![t(10), t(20)]);
        assert_eq!(logins.failures("hunter2", t(15)), vec![t(20)]);
        assert!(logins.failures("nobody", t(0)).is_empty());
        // Failures that left the window are forgotten at the next one.
        logins.failed("hunter2", t(100), t(50));
        assert_eq!(logins.failures("hunter2", t(0)), vec![t(100)]);
    }

    #[test]
    fn a_full_table_forgets_stale_names_first_then_the_oldest() {
        let logins = UnknownLogins::default();
        for i in 0..MAX_NAMES {
            logins.failed(&format!("name{i}"), t(i64::try_from(i).unwrap() + 1), t(0));
        }
        // Nothing stale: the name whose last failure is oldest goes.
        logins.failed("new", t(20_000), t(0));
        assert!(logins.failures("name0", t(0)).is_empty());
        assert_eq!(logins.failures("name1", t(0)), vec![t(2)]);
        assert_eq!(logins.failures("new", t(0)), vec![t(20_000)]);
        // Stale names (last failure before the window) go first, all of them.
        logins.failed("newer", t(20_001), t(5_000));
        assert!(logins.failures("name4000", t(0)).is_empty());
        assert_eq!(logins.failures("name9000", t(0)), vec![t(9_001)]);
        assert_eq!(logins.failures("newer", t(0)), vec![t(20_001)]);
    }
}
