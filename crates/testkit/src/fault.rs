//! Fault injection: the kinds of abnormal behaviour a monitor must catch, applied in place to a
//! recording from an onset row on.
//!
//! Faults are calibrated on the recording itself: a channel's "normal" mean, standard deviation
//! and lag-1 autocorrelation are estimated from the rows before the onset when there are at least
//! [`MIN_REFERENCE_ROWS`] of them, and from all rows (before injection) otherwise.

use faultline_types::Recording;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::stats::{lag1_autocorrelation, mean, std};

/// Fewest rows before the onset for them to serve as the normal reference of a channel.
const MIN_REFERENCE_ROWS: usize = 50;
/// Highest autocorrelation given to a replacement series, so it keeps some innovation.
const MAX_REPLACEMENT_AUTOCORRELATION: f64 = 0.99;

/// What a fault does to each targeted channel, for rows `t >= onset`.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Adds `magnitude × std` of the channel: a bias or offset.
    Step {
        /// Size of the step in channel standard deviations (may be negative).
        magnitude: f64,
    },
    /// Adds `per_sample × (t − onset) × std` of the channel: a slow ramp, zero at the onset.
    Drift {
        /// Growth per row in channel standard deviations (may be negative).
        per_sample: f64,
    },
    /// Multiplies the deviation from the channel's normal mean by `factor`: the spread grows
    /// (factor > 1) or shrinks (factor < 1) around an unchanged mean.
    VarianceChange {
        /// Multiplier of the deviation from the mean.
        factor: f64,
    },
    /// Holds the value found at the onset row: a frozen sensor.
    Stuck,
    /// Replaces the channel by an independent AR(1) series with the channel's normal mean, standard
    /// deviation and lag-1 autocorrelation: each channel looks normal on its own, but its link to
    /// the latent factors, and so to the other channels, is broken.
    CorrelationBreak,
}

/// A fault: one kind, applied to some channels from one row on.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What happens to the channels.
    pub kind: FaultKind,
    /// Column indices of the targeted channels; a repeated index is applied once.
    pub channels: Vec<usize>,
    /// First affected row (0-based); rows before it are left untouched.
    pub onset: usize,
}

/// Applies the fault in place to rows `>= onset` of the targeted channels (seeded where
/// randomness is needed, that is for [`FaultKind::CorrelationBreak`]). Other rows and channels are
/// left bit-identical. An onset at or past the last row changes nothing.
///
/// # Panics
/// When a targeted channel index is not a column of the recording.
pub fn inject(recording: &mut Recording, fault: &Fault, seed: u64) {
    let (m, rows) = (recording.channels(), recording.rows());
    if let Some(&bad) = fault.channels.iter().find(|&&c| c >= m) {
        panic!("fault targets channel {bad}, but the recording has {m} channels");
    }
    if fault.onset >= rows {
        return;
    }
    let mut targets = fault.channels.clone();
    targets.sort_unstable();
    targets.dedup();

    let mut rng = SmallRng::seed_from_u64(seed);
    let onset = fault.onset;
    for &c in &targets {
        let column = recording.column(c);
        let reference = if onset >= MIN_REFERENCE_ROWS { &column[..onset] } else { &column[..] };
        let (mu, sigma) = (mean(reference), std(reference));
        let after = recording.values[onset * m..].chunks_exact_mut(m).map(|row| &mut row[c]);
        match fault.kind {
            FaultKind::Step { magnitude } => {
                let shift = magnitude * sigma;
                after.for_each(|x| *x += shift);
            }
            FaultKind::Drift { per_sample } => {
                let slope = per_sample * sigma;
                after.enumerate().for_each(|(dt, x)| *x += slope * dt as f64);
            }
            FaultKind::VarianceChange { factor } => {
                after.for_each(|x| *x = mu + factor * (*x - mu));
            }
            FaultKind::Stuck => {
                let held = column[onset];
                after.for_each(|x| *x = held);
            }
            FaultKind::CorrelationBreak => {
                let r = lag1_autocorrelation(reference).clamp(0.0, MAX_REPLACEMENT_AUTOCORRELATION);
                let innovation = (1.0 - r * r).sqrt();
                let mut z: f64 = rng.sample(StandardNormal);
                for x in after {
                    *x = mu + sigma * z;
                    let eta: f64 = rng.sample(StandardNormal);
                    z = r * z + innovation * eta;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::correlation;
    use crate::{Plant, PlantConfig};

    const ROWS: usize = 6_000;
    const ONSET: usize = 3_000;
    const TARGETS: [usize; 2] = [3, 17];

    fn plant() -> Plant {
        Plant::new(PlantConfig::default())
    }

    /// Injects `kind` into a normal run; returns (before, after).
    fn faulted(kind: FaultKind) -> (Recording, Recording) {
        let before = plant().normal_run(ROWS, 11);
        let mut after = before.clone();
        inject(&mut after, &Fault { kind, channels: TARGETS.to_vec(), onset: ONSET }, 99);
        (before, after)
    }

    /// Asserts that only targeted channels at rows >= onset changed, and that all of them did
    /// (when `all_change`).
    fn assert_confined(before: &Recording, after: &Recording, all_change: bool) {
        for t in 0..before.rows() {
            for c in 0..before.channels() {
                let (x, y) = (before.row(t)[c], after.row(t)[c]);
                if t < ONSET || !TARGETS.contains(&c) {
                    assert_eq!(x.to_bits(), y.to_bits(), "row {t} channel {c} changed");
                } else if all_change && t > ONSET {
                    assert_ne!(x, y, "row {t} channel {c} unchanged");
                }
            }
        }
    }

    fn post(r: &Recording, c: usize) -> Vec<f64> {
        r.column(c)[ONSET..].to_vec()
    }

    #[test]
    fn step_shifts_the_mean_by_magnitude_stds() {
        let (before, after) = faulted(FaultKind::Step { magnitude: 3.0 });
        assert_confined(&before, &after, true);
        let stds = plant().channel_stds();
        for c in TARGETS {
            let diffs: Vec<f64> =
                post(&after, c).iter().zip(post(&before, c)).map(|(a, b)| a - b).collect();
            let shift = diffs[0];
            assert!(
                diffs.iter().all(|d| (d - shift).abs() < 1e-9 * shift.abs()),
                "not a constant shift"
            );
            assert!(
                (shift / (3.0 * stds[c]) - 1.0).abs() < 0.15,
                "shift {shift} vs std {}",
                stds[c]
            );
            let moved = mean(&post(&after, c)) - mean(&post(&before, c));
            assert!((moved - shift).abs() < 1e-9 * shift.abs());
        }
    }

    #[test]
    fn drift_grows_linearly_from_zero() {
        let (before, after) = faulted(FaultKind::Drift { per_sample: 0.01 });
        assert_confined(&before, &after, true);
        let stds = plant().channel_stds();
        for c in TARGETS {
            let diffs: Vec<f64> =
                post(&after, c).iter().zip(post(&before, c)).map(|(a, b)| a - b).collect();
            assert_eq!(diffs[0], 0.0);
            let slope = diffs[1];
            assert!((slope / (0.01 * stds[c]) - 1.0).abs() < 0.15, "slope {slope}");
            for (dt, d) in diffs.iter().enumerate() {
                assert!((d - slope * dt as f64).abs() < 1e-6 * stds[c], "not linear at {dt}");
            }
        }
    }

    #[test]
    fn variance_change_scales_the_spread_around_the_mean() {
        let (before, after) = faulted(FaultKind::VarianceChange { factor: 3.0 });
        assert_confined(&before, &after, true);
        let stds = plant().channel_stds();
        for c in TARGETS {
            let (old, new) = (post(&before, c), post(&after, c));
            let ratio = std(&new) / std(&old);
            assert!((ratio - 3.0).abs() < 1e-9, "spread ratio {ratio}");
            let pre_mean = mean(&before.column(c)[..ONSET]);
            let shift = mean(&new) - pre_mean - 3.0 * (mean(&old) - pre_mean);
            assert!(shift.abs() < 1e-9 * stds[c], "mean not kept at the reference");
        }
        let (before, after) = faulted(FaultKind::VarianceChange { factor: 0.2 });
        for c in TARGETS {
            assert!(std(&post(&after, c)) < 0.25 * std(&post(&before, c)));
        }
    }

    #[test]
    fn stuck_holds_the_onset_value() {
        let (before, after) = faulted(FaultKind::Stuck);
        assert_confined(&before, &after, true);
        for c in TARGETS {
            let held = before.row(ONSET)[c];
            assert!(post(&after, c).iter().all(|&x| x == held));
        }
    }

    #[test]
    fn correlation_break_keeps_univariate_behaviour_but_not_links() {
        let (before, after) = faulted(FaultKind::CorrelationBreak);
        assert_confined(&before, &after, true);
        let stds = plant().channel_stds();
        let others: Vec<usize> = (0..before.channels()).filter(|c| !TARGETS.contains(c)).collect();
        for c in TARGETS {
            let (old, new) = (post(&before, c), post(&after, c));
            let max_corr = |series: &[f64]| {
                others
                    .iter()
                    .map(|&o| correlation(series, &post(&before, o)).abs())
                    .fold(0.0, f64::max)
            };
            let (linked, broken) = (max_corr(&old), max_corr(&new));
            assert!(linked > 0.5, "channel {c} was only weakly linked: {linked}");
            assert!(broken < 0.15, "channel {c} still linked: {broken}");
            // Same mean, spread and autocorrelation as normal, within sampling error of an AR(1).
            assert!((mean(&new) - mean(&old)).abs() < 0.3 * stds[c]);
            assert!((std(&new) / stds[c] - 1.0).abs() < 0.2);
            assert!(lag1_autocorrelation(&new) > 0.6);
        }
    }

    #[test]
    fn correlation_break_is_seeded() {
        let run = plant().normal_run(500, 1);
        let fault = Fault { kind: FaultKind::CorrelationBreak, channels: vec![0], onset: 100 };
        let with = |seed| {
            let mut r = run.clone();
            inject(&mut r, &fault, seed);
            r
        };
        assert_eq!(with(5), with(5));
        assert_ne!(with(5), with(6));
    }

    #[test]
    fn repeated_channels_apply_once_and_late_onsets_do_nothing() {
        let run = plant().normal_run(200, 1);
        let step = FaultKind::Step { magnitude: 1.0 };
        let mut once = run.clone();
        inject(&mut once, &Fault { kind: step.clone(), channels: vec![2], onset: 10 }, 0);
        let mut twice = run.clone();
        inject(&mut twice, &Fault { kind: step.clone(), channels: vec![2, 2], onset: 10 }, 0);
        assert_eq!(once, twice);

        let mut late = run.clone();
        inject(&mut late, &Fault { kind: step, channels: vec![2], onset: 200 }, 0);
        assert_eq!(late, run);
    }

    #[test]
    fn early_onsets_are_calibrated_on_the_whole_channel() {
        let run = plant().normal_run(2_000, 1);
        let mut r = run.clone();
        inject(
            &mut r,
            &Fault { kind: FaultKind::Step { magnitude: 1.0 }, channels: vec![0], onset: 0 },
            0,
        );
        let shift = r.values[0] - run.values[0];
        assert!((shift - std(&run.column(0))).abs() < 1e-9);
    }

    #[test]
    #[should_panic(expected = "channel 52")]
    fn out_of_range_channels_panic() {
        let mut run = plant().normal_run(10, 1);
        inject(&mut run, &Fault { kind: FaultKind::Stuck, channels: vec![52], onset: 0 }, 0);
    }
}
