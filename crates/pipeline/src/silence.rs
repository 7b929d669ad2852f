//! Channels that have stopped delivering: a model channel with no measured value for longer
//! than its limit, in data time.
//!
//! The frames stage carries a channel's last usable value forward while the channel is absent
//! from samples or arrives `bad` or `missing` (`faultline_frames::Framer`), so the detector keeps
//! scoring, and the frozen-value check rightly ignores carried values. Without this a sensor
//! whose transmitter died, or a tag dropped from the equipment's report, left the monitor blind
//! on that channel without a word: every statistic stayed quiet because the value it read
//! never moved. Here such a channel is named once it has been silent for longer than its
//! `silent_after_seconds`, and the pipeline feeds the asset's silence alarm condition
//! (`AlarmKind::Silence`), separate from the process condition.
//!
//! Data time, not the wall clock: the asset's other channels keep arriving and their
//! timestamps measure the silence, so a replay gives the same alarms as the live run. A gap
//! between two frames longer than a channel's limit is a stop of the whole asset, not the
//! channel's silence: it is left out of that channel's count. An asset that sends nothing at all
//! produces no frame and is not covered here.

use faultline_types::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// The silence of each channel of one model's schema.
#[derive(Debug, Clone)]
pub(crate) struct Silence {
    /// Per schema channel: the longest gap between measured values it may have (ns), or `None`
    /// where it is not checked (`silent_after_seconds = 0`).
    limits: Vec<Option<i64>>,
    /// Per schema channel: where its silence counts from (its last measured value, moved on by
    /// any stop of the whole asset), once a frame has been seen.
    counted_from: Vec<Timestamp>,
    /// The previous frame's timestamp.
    previous: Option<Timestamp>,
}

/// A channel silent at a frame: its schema position and how many of its limits it has been
/// silent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Silent {
    pub channel: usize,
    pub limits: f64,
}

impl Silence {
    /// A fresh state for channels with these limits (seconds; 0: not checked), in schema order.
    pub fn new(limits_seconds: &[u64]) -> Self {
        let limits = limits_seconds
            .iter()
            .map(|&s| {
                let nanos = i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(NANOS_PER_SECOND);
                (s > 0).then_some(nanos)
            })
            .collect();
        Silence { limits, counted_from: Vec::new(), previous: None }
    }

    /// The longest limit checked, in nanoseconds (0 when none is).
    pub fn longest_limit_ns(&self) -> i64 {
        self.limits.iter().flatten().copied().max().unwrap_or(0)
    }

    /// Forgets what was seen: the state of a fresh start (before a warm-up replays history).
    pub fn reset(&mut self) {
        self.counted_from.clear();
        self.previous = None;
    }

    /// Takes one frame (its timestamp and which of its values were measured, in schema order)
    /// and fills `silent` with the channels silent for longer than their limit at this frame,
    /// in schema order. A channel that has not delivered since the first frame counts from it.
    pub fn observe(&mut self, ts: Timestamp, measured: &[bool], silent: &mut Vec<Silent>) {
        silent.clear();
        if self.counted_from.len() != self.limits.len() {
            self.counted_from = vec![ts; self.limits.len()];
        }
        let gap = self.previous.map_or(0, |previous| ts.nanos_since(previous));
        self.previous = Some(ts);
        for (j, limit) in self.limits.iter().enumerate() {
            if measured.get(j).copied().unwrap_or(false) {
                self.counted_from[j] = ts;
                continue;
            }
            let Some(limit) = *limit else { continue };
            if gap > limit {
                // The whole asset stopped: the stop is not this channel's silence.
                self.counted_from[j] =
                    Timestamp(self.counted_from[j].as_nanos().saturating_add(gap));
            }
            let silent_for = ts.nanos_since(self.counted_from[j]);
            if silent_for > limit {
                silent.push(Silent { channel: j, limits: silent_for as f64 / limit as f64 });
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
    /// and returns the positions of the channels silent at the last one.
    fn run(silence: &mut Silence, from: i64, to: i64, measured: &[bool]) -> Vec<usize> {
        let mut silent = Vec::new();
        for s in from..=to {
            silence.observe(at(s), measured, &mut silent);
        }
        silent.iter().map(|s| s.channel).collect()
    }

    #[test]
    fn a_channel_is_silent_only_after_its_limit_has_passed() {
        let mut silence = Silence::new(&[10, 10]);
        assert!(run(&mut silence, 0, 5, &[true, true]).is_empty());
        // Channel 1 stops at 5: 10 s later it is at its limit, not beyond it.
        assert!(run(&mut silence, 6, 15, &[true, false]).is_empty());
        let mut silent = Vec::new();
        silence.observe(at(16), &[true, false], &mut silent);
        assert_eq!(silent, vec![Silent { channel: 1, limits: 1.1 }]);
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
        assert_eq!(silence.longest_limit_ns(), 60 * NANOS_PER_SECOND);
        assert_eq!(run(&mut silence, 0, 30, &[false, false, false]), vec![0]);
        assert_eq!(run(&mut silence, 31, 61, &[false, false, false]), vec![0, 1]);
        assert_eq!(run(&mut silence, 62, 10_000, &[false, false, false]), vec![0, 1]);
    }

    #[test]
    fn a_stop_of_the_whole_asset_is_not_a_channels_silence() {
        let mut silence = Silence::new(&[10, 10]);
        // Channel 1 is silent from 3 s, channel 0 delivers; at 20 s channel 1 is silent.
        assert!(run(&mut silence, 0, 2, &[true, true]).is_empty());
        assert_eq!(run(&mut silence, 3, 20, &[true, false]), vec![1]);
        // The asset stops for 140 s and comes back with only channel 0 delivering at first: the
        // stop does not count, so channel 1 (silent 18 s before it) stays silent, and channel 0,
        // absent from the first frames after the stop, is not silent until 10 s of them.
        assert_eq!(run(&mut silence, 160, 165, &[false, false]), vec![1]);
        assert_eq!(run(&mut silence, 166, 171, &[false, false]), vec![0, 1]);
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
