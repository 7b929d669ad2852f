//! Counters of what the engine did, readable at any time without locks. The API renders them
//! as Prometheus text; this crate only counts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use faultline_sources::mqtt::MqttStatus;
use faultline_types::RejectReason;

/// Alarm latencies kept for percentiles (the most recent ones).
const LATENCY_WINDOW: usize = 10_000;

/// Live counters, shared between the processor and readers.
#[derive(Debug, Default)]
pub struct Metrics {
    received: AtomicU64,
    stored: AtomicU64,
    scored: AtomicU64,
    alarms_raised: AtomicU64,
    alarms_suppressed: AtomicU64,
    alarm_changes_unsaved: AtomicU64,
    journal_failures: AtomicU64,
    commits: AtomicU64,
    commit_nanos: AtomicU64,
    rejects: [AtomicU64; RejectReason::ALL.len()],
    /// Nanoseconds from a sample's arrival to the alarm it raised being stored and published.
    alarm_latencies: Mutex<Vec<u64>>,
    /// The MQTT source's own counters, when there is one.
    mqtt: Mutex<Option<MqttStatus>>,
}

/// A consistent-enough copy of the counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsSnapshot {
    /// Samples received from any source (accepted or not).
    pub received: u64,
    /// Samples durably journaled.
    pub stored: u64,
    /// Frames scored by a detector.
    pub scored: u64,
    /// Alarms raised (from normal to unacknowledged-active).
    pub alarms_raised: u64,
    /// Alarms suppressed by flood control instead of being announced.
    pub alarms_suppressed: u64,
    /// Alarm changes made but not yet stored (the store refused them; retried every second).
    pub alarm_changes_unsaved: u64,
    /// Journal writes that failed (their samples were not acknowledged).
    pub journal_failures: u64,
    /// Journal transactions committed (group commits).
    pub commits: u64,
    /// Total time spent in journal commits, seconds.
    pub commit_seconds: f64,
    /// Rejections by reason, every reason listed.
    pub rejects: Vec<(RejectReason, u64)>,
    /// Median arrival-to-alarm latency, seconds, when any alarm was raised.
    pub alarm_latency_p50: Option<f64>,
    /// 99th percentile of the same.
    pub alarm_latency_p99: Option<f64>,
    /// With an MQTT source: whether it is connected to the broker, and how many times it
    /// connected again after losing the connection (a count that keeps rising means a broker,
    /// network or message problem; the log says which).
    pub mqtt: Option<(bool, u64)>,
}

impl Metrics {
    pub(crate) fn received(&self, n: usize) {
        self.received.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn stored(&self, n: usize) {
        self.stored.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn scored(&self) {
        self.scored.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn alarm_raised(&self, latency_nanos: u64) {
        self.alarms_raised.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut window) = self.alarm_latencies.lock() {
            if window.len() == LATENCY_WINDOW {
                window.remove(0);
            }
            window.push(latency_nanos);
        }
    }

    pub(crate) fn alarm_suppressed(&self) {
        self.alarms_suppressed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn alarm_changes_unsaved(&self, n: usize) {
        self.alarm_changes_unsaved.store(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn journal_failed(&self) {
        self.journal_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn watch_mqtt(&self, status: MqttStatus) {
        if let Ok(mut mqtt) = self.mqtt.lock() {
            *mqtt = Some(status);
        }
    }

    pub(crate) fn committed(&self, nanos: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.commit_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts one rejected sample.
    pub fn reject(&self, reason: RejectReason) {
        let index = RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.rejects[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Rejections of one reason so far.
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        let index = RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.rejects[index].load(Ordering::Relaxed)
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (p50, p99) = match self.alarm_latencies.lock() {
            Ok(window) if !window.is_empty() => {
                let mut sorted = window.clone();
                sorted.sort_unstable();
                let at =
                    |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1e9;
                (Some(at(0.5)), Some(at(0.99)))
            }
            _ => (None, None),
        };
        MetricsSnapshot {
            received: load(&self.received),
            stored: load(&self.stored),
            scored: load(&self.scored),
            alarms_raised: load(&self.alarms_raised),
            alarms_suppressed: load(&self.alarms_suppressed),
            alarm_changes_unsaved: load(&self.alarm_changes_unsaved),
            journal_failures: load(&self.journal_failures),
            commits: load(&self.commits),
            commit_seconds: load(&self.commit_nanos) as f64 / 1e9,
            rejects: RejectReason::ALL.iter().map(|r| (*r, self.rejected(*r))).collect(),
            alarm_latency_p50: p50,
            alarm_latency_p99: p99,
            mqtt: self
                .mqtt
                .lock()
                .ok()
                .and_then(|m| m.as_ref().map(|s| (s.is_connected(), s.reconnects()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_reason_and_latency_percentiles() {
        let metrics = Metrics::default();
        metrics.reject(RejectReason::NonFinite);
        metrics.reject(RejectReason::NonFinite);
        metrics.reject(RejectReason::Duplicate);
        for ms in 1..=100 {
            metrics.alarm_raised(ms * 1_000_000);
        }
        let snap = metrics.snapshot();
        assert_eq!(snap.rejects.len(), RejectReason::ALL.len());
        assert!(snap.rejects.contains(&(RejectReason::NonFinite, 2)));
        assert!(snap.rejects.contains(&(RejectReason::Duplicate, 1)));
        assert!(snap.rejects.contains(&(RejectReason::Malformed, 0)));
        assert_eq!(snap.alarms_raised, 100);
        assert!((snap.alarm_latency_p50.unwrap() - 0.050).abs() < 0.0015);
        assert!((snap.alarm_latency_p99.unwrap() - 0.099).abs() < 0.0015);
    }
}
