//! Channels that have stopped delivering: a model channel with no measured value for longer
//! than its limit, in data time.
//!
//! The frames stage carries a channel's last usable value forward while the channel is absent
//! from samples or arrives `bad` or `missing` (`faultline_frames::Framer`), so the detector keeps
//! scoring, and the frozen-value check rightly ignores carried values. Without this a sensor
//! whose transmitter died, or a tag dropped from the equipment's report, left the monitor blind
//! on that channel without a word: every statistic stayed quiet because the value it read
//! never moved. Here such a channel is named once it has been silent for longer than its
//! `silent_after_seconds`, and the pipeline counts the sample as out of control, so the asset's
//! alarm is raised and names the channel (`Alarm::silent_channels`).
//!
//! Data time, not the wall clock: the asset's other channels keep arriving and their
//! timestamps measure the silence, so a replay gives the same alarms as the live run. An asset
//! that sends nothing at all produces no frame and is not covered here.

use faultline_types::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// The silence of each channel of one model's schema.
#[derive(Debug, Clone)]
pub(crate) struct Silence {
    /// Per schema channel: the longest gap between measured values it may have (ns), or `None`
    /// where it is not checked (`silent_after_seconds = 0`).
    limits: Vec<Option<i64>>,
    /// Per schema channel: when it last delivered a measured value, if it has since this
    /// state was created.
    last_measured: Vec<Option<Timestamp>>,
    /// The first frame seen: a channel that has not delivered since counts from here.
    since: Option<Timestamp>,
}

impl Silence {
    /// A fresh state for channels with these limits (seconds; 0: not checked), in schema order.
    pub fn new(limits_seconds: &[u64]) -> Self {
        let limits = limits_seconds
            .iter()
            .map(|&s| {
                (s > 0)
                    .then(|| i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(NANOS_PER_SECOND))
            })
            .collect();
        Silence { limits, last_measured: vec![None; limits_seconds.len()], since: None }
    }

    /// Forgets what was seen: the state of a fresh start (before a warm-up replays history).
    pub fn reset(&mut self) {
        self.last_measured.iter_mut().for_each(|last| *last = None);
        self.since = None;
    }

    /// Takes one frame (its timestamp and which of its values were measured, in schema order)
    /// and fills `silent` with the schema positions of the channels silent for longer than
    /// their limit at this frame, in schema order.
    pub fn observe(&mut self, ts: Timestamp, measured: &[bool], silent: &mut Vec<usize>) {
        silent.clear();
        let since = *self.since.get_or_insert(ts);
        for (j, limit) in self.limits.iter().enumerate() {
            if measured.get(j).copied().unwrap_or(false) {
                self.last_measured[j] = Some(ts);
                continue;
            }
            let Some(limit) = limit else { continue };
            let from = self.last_measured[j].unwrap_or(since);
            if ts.nanos_since(from) > *limit {
                silent.push(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp(seconds * NANOS_PER_SECOND)
    }

    /// Feeds one frame per second from `from` to `to` (inclusive) with the given measured mask
    /// and returns the silent channels at the last one.
    fn run(silence: &mut Silence, from: i64, to: i64, measured: &[bool]) -> Vec<usize> {
        let mut silent = Vec::new();
        for s in from..=to {
            silence.observe(at(s), measured, &mut silent);
        }
        silent
    }

    #[test]
    fn a_channel_is_silent_only_after_its_limit_has_passed() {
        let mut silence = Silence::new(&[10, 10]);
        assert!(run(&mut silence, 0, 5, &[true, true]).is_empty());
        // Channel 1 stops at 5: 10 s later it is at its limit, not beyond it.
        assert!(run(&mut silence, 6, 15, &[true, false]).is_empty());
        assert_eq!(run(&mut silence, 16, 16, &[true, false]), vec![1]);
        // One measured value ends its silence at once.
        assert!(run(&mut silence, 17, 17, &[true, true]).is_empty());
    }

    #[test]
    fn a_channel_that_never_delivered_counts_from_the_first_frame() {
        let mut silence = Silence::new(&[5, 5]);
        assert!(run(&mut silence, 100, 105, &[true, false]).is_empty());
        assert_eq!(run(&mut silence, 106, 106, &[true, false]), vec![1]);
    }

    #[test]
    fn each_channel_has_its_own_limit_and_zero_turns_the_check_off() {
        // A report-by-exception channel with a long limit, one that is never checked.
        let mut silence = Silence::new(&[5, 60, 0]);
        assert_eq!(run(&mut silence, 0, 30, &[false, false, false]), vec![0]);
        assert_eq!(run(&mut silence, 31, 61, &[false, false, false]), vec![0, 1]);
        assert_eq!(run(&mut silence, 62, 10_000, &[false, false, false]), vec![0, 1]);
    }

    #[test]
    fn a_limit_beyond_the_clock_never_overflows() {
        let mut silence = Silence::new(&[u64::MAX]);
        let mut silent = Vec::new();
        silence.observe(Timestamp(i64::MIN), &[false], &mut silent);
        silence.observe(Timestamp(i64::MAX), &[false], &mut silent);
        assert!(silent.is_empty());
    }
}
