//! Refusals per client address: the guard against an unauthenticated flood growing the audit
//! trail.
//!
//! Every refusal (a denied request, a failed or malformed login) is one audit record, which is
//! what an auditor wants — until a script sends thousands a second and each costs a row and a
//! few fsyncs. So refusals are counted per client address (the TCP peer) in windows of one
//! minute: the first `max_refusals_per_minute` of a window are refused and recorded as always;
//! the next is answered `429 throttled` and recorded once as `access.throttled`; the rest of the
//! window are answered 429 and only counted, and the count is recorded as one
//! `access.unrecorded` record when the window has ended. Nothing is silently dropped: the trail
//! says how many refusals it holds no row for, from which address, in which minute.
//!
//! Requests with valid credentials are never throttled — only what would be refused anyway —
//! so a flood from behind the same proxy or NAT cannot lock out the people working there. A
//! throttled address cannot try passwords either: its logins are answered 429 before the
//! password is checked, which also spares the Argon2 work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faultline_types::Timestamp;

/// How long one counting window lasts.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once; beyond this, new addresses share one window (`None`), so a flood
/// from many addresses cannot grow the table without bound.
const MAX_CLIENTS: usize = 10_000;

/// What to do with one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Within the budget: refuse as usual and record it.
    Record,
    /// The first refusal over the budget: answer 429 and record that throttling started.
    Throttle {
        /// Seconds until the window ends (`Retry-After`).
        retry_after: u64,
    },
    /// Over the budget, already recorded as throttled: answer 429, count, do not record.
    Count {
        /// Seconds until the window ends (`Retry-After`).
        retry_after: u64,
    },
}

/// A finished window whose refusals were counted but not recorded one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrecorded {
    /// The client address (`None`: the shared window of addresses beyond the table's size, or
    /// requests that came without a peer address).
    pub client: Option<IpAddr>,
    /// How many refusals were answered 429 without a record each.
    pub count: u64,
    /// When the window started and ended (wall clock).
    pub from: Timestamp,
    /// See `from`.
    pub to: Timestamp,
}

struct Window {
    started: Instant,
    started_at: Timestamp,
    refusals: u64,
    unrecorded: u64,
}

impl Window {
    fn new(now: Instant, at: Timestamp) -> Window {
        Window { started: now, started_at: at, refusals: 0, unrecorded: 0 }
    }

    fn ended(&self, now: Instant) -> bool {
        now.duration_since(self.started) >= WINDOW
    }

    /// What an ended window has to report, if anything.
    fn report(&self, client: Option<IpAddr>, at: Timestamp) -> Option<Unrecorded> {
        let end = self.started_at.as_nanos().saturating_add(nanos(WINDOW));
        (self.unrecorded > 0).then(|| Unrecorded {
            client,
            count: self.unrecorded,
            from: self.started_at,
            to: Timestamp::from_nanos(end.min(at.as_nanos().max(self.started_at.as_nanos()))),
        })
    }
}

#[derive(Default)]
struct Windows {
    open: HashMap<Option<IpAddr>, Window>,
    /// Ended windows with something to report, not yet taken.
    ended: Vec<Unrecorded>,
}

/// The per-address refusal counter. `max_per_minute == 0` turns throttling off.
pub(crate) struct Throttle {
    max_per_minute: u64,
    windows: Mutex<Windows>,
    unrecorded_total: AtomicU64,
}

impl Throttle {
    pub(crate) fn new(max_per_minute: u32) -> Throttle {
        Throttle {
            max_per_minute: u64::from(max_per_minute),
            windows: Mutex::new(Windows::default()),
            unrecorded_total: AtomicU64::new(0),
        }
    }

    /// Refusals answered 429 without a record of their own since the start.
    pub(crate) fn unrecorded_total(&self) -> u64 {
        self.unrecorded_total.load(Ordering::Relaxed)
    }

    /// Counts one refusal from `client` and says how to answer it.
    pub(crate) fn refusal(&self, client: Option<IpAddr>, now: Instant, at: Timestamp) -> Verdict {
        self.count(client, now, at, false)
    }

    /// Counts one refusal that has its own record already (a failed login): `Some(retry_after)`
    /// when it is the one that crossed the budget (record that throttling started), else
    /// `None`. It is never counted as unrecorded.
    pub(crate) fn recorded_refusal(
        &self,
        client: Option<IpAddr>,
        now: Instant,
        at: Timestamp,
    ) -> Option<u64> {
        match self.count(client, now, at, true) {
            Verdict::Throttle { retry_after } => Some(retry_after),
            Verdict::Record | Verdict::Count { .. } => None,
        }
    }

    fn count(
        &self,
        client: Option<IpAddr>,
        now: Instant,
        at: Timestamp,
        recorded: bool,
    ) -> Verdict {
        if self.max_per_minute == 0 {
            return Verdict::Record;
        }
        let Ok(mut windows) = self.windows.lock() else { return Verdict::Record };
        let Windows { open, ended } = &mut *windows;
        let key =
            if open.len() >= MAX_CLIENTS && !open.contains_key(&client) { None } else { client };
        let window = open.entry(key).or_insert_with(|| Window::new(now, at));
        if window.ended(now) {
            ended.extend(window.report(key, at));
            *window = Window::new(now, at);
        }
        window.refusals += 1;
        let retry_after = retry_after(window.started, now);
        if window.refusals <= self.max_per_minute {
            Verdict::Record
        } else if window.refusals == self.max_per_minute + 1 {
            Verdict::Throttle { retry_after }
        } else {
            if !recorded {
                window.unrecorded += 1;
                self.unrecorded_total.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Count { retry_after }
        }
    }

    /// For a request refused only because its address is throttled (a login, which must not
    /// reach the password check): if `client` is throttled now, counts the refusal as
    /// unrecorded and returns the seconds until its window ends; else changes nothing. Check
    /// and count are one step, so a window that ends in between cannot turn the request into
    /// a refusal nobody counted.
    pub(crate) fn refuse_if_throttled(&self, client: Option<IpAddr>, now: Instant) -> Option<u64> {
        if self.max_per_minute == 0 {
            return None;
        }
        let mut windows = self.windows.lock().ok()?;
        let open = &mut windows.open;
        // An address beyond the table's size is judged by the shared window.
        let key =
            if open.len() >= MAX_CLIENTS && !open.contains_key(&client) { None } else { client };
        let window = open.get_mut(&key)?;
        if window.refusals <= self.max_per_minute || window.ended(now) {
            return None;
        }
        window.refusals += 1;
        window.unrecorded += 1;
        self.unrecorded_total.fetch_add(1, Ordering::Relaxed);
        Some(retry_after(window.started, now))
    }

    /// Takes the windows that have ended: forgets them, and returns those that counted
    /// refusals without recording them, for one summary record each.
    pub(crate) fn take_finished(&self, now: Instant, at: Timestamp) -> Vec<Unrecorded> {
        let Ok(mut windows) = self.windows.lock() else { return Vec::new() };
        let Windows { open, ended } = &mut *windows;
        if open.is_empty() && ended.is_empty() {
            return Vec::new();
        }
        open.retain(|client, window| {
            if !window.ended(now) {
                return true;
            }
            ended.extend(window.report(*client, at));
            false
        });
        std::mem::take(ended)
    }

    /// Returns reports taken by [`Throttle::take_finished`] whose record could not be written,
    /// so the next call tries again.
    pub(crate) fn put_back(&self, finished: Vec<Unrecorded>) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.ended.extend(finished);
        }
    }
}

fn retry_after(started: Instant, now: Instant) -> u64 {
    WINDOW.saturating_sub(now.duration_since(started)).as_secs() + 1
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// The address as recorded: `client/<ip>`, or `client/unknown` for the shared window.
pub(crate) fn client_target(client: Option<IpAddr>) -> String {
    match client {
        Some(ip) => format!("client/{ip}"),
        None => "client/unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn refusals_over_the_budget_are_throttled_once_then_counted_and_reported_when_the_window_ends()
    {
        let throttle = Throttle::new(3);
        let t0 = Instant::now();
        let at = Timestamp::from_nanos(1_000);
        let verdicts: Vec<Verdict> =
            (0..6).map(|i| throttle.refusal(ip(1), t0 + Duration::from_secs(i), at)).collect();
        assert_eq!(&verdicts[..3], &[Verdict::Record; 3]);
        assert_eq!(verdicts[3], Verdict::Throttle { retry_after: 58 });
        assert_eq!(verdicts[4], Verdict::Count { retry_after: 57 });
        assert_eq!(verdicts[5], Verdict::Count { retry_after: 56 });
        assert_eq!(throttle.unrecorded_total(), 2);
        // Another address has its own budget.
        assert_eq!(throttle.refusal(ip(2), t0, at), Verdict::Record);
        // A login from the throttled address is refused and counted; the other is left alone.
        assert_eq!(throttle.refuse_if_throttled(ip(1), t0 + Duration::from_secs(10)), Some(51));
        assert_eq!(throttle.refuse_if_throttled(ip(2), t0), None);
        assert_eq!(throttle.unrecorded_total(), 3);
        // Nothing to report while the window runs.
        assert!(throttle.take_finished(t0 + Duration::from_secs(59), at).is_empty());
        let end = t0 + WINDOW;
        assert_eq!(throttle.refuse_if_throttled(ip(1), end), None);
        let finished = throttle.take_finished(end, Timestamp::from_nanos(70_000_000_000));
        assert_eq!(
            finished,
            vec![Unrecorded {
                client: ip(1),
                count: 3,
                from: at,
                to: Timestamp::from_nanos(1_000 + 60_000_000_000),
            }]
        );
        // Reported windows are forgotten: the address starts a fresh budget.
        assert!(throttle.take_finished(end, at).is_empty());
        assert_eq!(throttle.refusal(ip(1), end, at), Verdict::Record);
    }

    #[test]
    fn a_finished_window_that_counted_nothing_restarts_without_a_report() {
        let throttle = Throttle::new(2);
        let t0 = Instant::now();
        let at = Timestamp::from_nanos(0);
        for _ in 0..3 {
            throttle.refusal(ip(1), t0, at);
        }
        // Throttled (the third), but nothing counted unrecorded.
        let later = t0 + WINDOW + Duration::from_secs(1);
        assert_eq!(throttle.refusal(ip(1), later, at), Verdict::Record);
        assert!(throttle.take_finished(later, at).is_empty());
    }

    #[test]
    fn a_window_that_ended_with_counted_refusals_is_reported_even_when_the_address_goes_on() {
        let throttle = Throttle::new(1);
        let t0 = Instant::now();
        let at = Timestamp::from_nanos(0);
        for _ in 0..4 {
            throttle.refusal(ip(1), t0, at);
        }
        // The address comes back after its window: a fresh budget, and the old count is kept.
        let later = t0 + WINDOW;
        assert_eq!(throttle.refusal(ip(1), later, Timestamp::from_nanos(5)), Verdict::Record);
        let finished = throttle.take_finished(later, Timestamp::from_nanos(5));
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].count, 2);
        // A report that could not be written comes back on the next take.
        throttle.put_back(finished.clone());
        assert_eq!(throttle.take_finished(later, at), finished);
    }

    #[test]
    fn refusals_recorded_elsewhere_cross_the_budget_but_are_never_counted_as_unrecorded() {
        let throttle = Throttle::new(2);
        let t0 = Instant::now();
        let at = Timestamp::from_nanos(0);
        assert_eq!(throttle.recorded_refusal(ip(1), t0, at), None);
        assert_eq!(throttle.recorded_refusal(ip(1), t0, at), None);
        assert_eq!(throttle.recorded_refusal(ip(1), t0, at), Some(61));
        assert_eq!(throttle.recorded_refusal(ip(1), t0, at), None);
        assert_eq!(throttle.unrecorded_total(), 0);
        assert_eq!(throttle.refuse_if_throttled(ip(1), t0), Some(61));
        assert_eq!(throttle.refusal(ip(1), t0, at), Verdict::Count { retry_after: 61 });
        assert_eq!(throttle.unrecorded_total(), 2);
    }

    #[test]
    fn zero_turns_throttling_off() {
        let throttle = Throttle::new(0);
        let t0 = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(throttle.refusal(ip(1), t0, Timestamp::from_nanos(0)), Verdict::Record);
        }
        assert_eq!(throttle.refuse_if_throttled(ip(1), t0), None);
    }

    #[test]
    fn addresses_beyond_the_table_share_one_window() {
        let throttle = Throttle::new(1);
        let t0 = Instant::now();
        let at = Timestamp::from_nanos(0);
        for i in 0..MAX_CLIENTS {
            let client = Some(IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]));
            assert_eq!(throttle.refusal(client, t0, at), Verdict::Record);
        }
        // Two new addresses, one shared budget of one.
        assert_eq!(throttle.refusal(Some(IpAddr::from([192, 168, 0, 1])), t0, at), Verdict::Record);
        assert_eq!(
            throttle.refusal(Some(IpAddr::from([192, 168, 0, 2])), t0, at),
            Verdict::Throttle { retry_after: 61 }
        );
        assert_eq!(
            throttle.refuse_if_throttled(Some(IpAddr::from([192, 168, 0, 3])), t0),
            Some(61)
        );
    }
}
