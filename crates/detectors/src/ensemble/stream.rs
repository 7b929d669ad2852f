//! The `default` detector one frame at a time: causal state per stream, contributions, no heap
//! allocation per frame, and the same numbers as [`DefaultModel::score_batch`].
//!
//! # How the combined statistic fills a [`Score`]
//! The live path and `faultline score` speak in two statistics, T² and SPE, each against its
//! limit (the store, the API and the CSV columns are contracts). The combined statistic is the
//! maximum of normalised branches, so it splits into two maxima without loss:
//! - the **T² slot** is the largest of the smoothed T² branches (one per λ), the per-channel
//!   EWMA branch, the per-sensor check, the gross-level check of differenced channels and the
//!   frozen-value check — statistics of the process *moving* (along its
//!   normal correlation directions, one channel's level shifting, or one channel far out);
//! - the **SPE slot** is the largest of the smoothed SPE branches — normal correlation *broken*.
//!
//! Both are in units of the combined statistic (dimensionless, each branch divided by its
//! in-sample 99 % quantile) and both carry the model's one held-out limit, so the combined
//! statistic is `max(T² slot, SPE slot)` and the detector's verdict, `combined > limit`, is
//! exactly "either slot over its limit" — the rule every PCA consumer already applies.
//!
//! # Contributions: those of the branch that sets the slot's value
//! Each slot reports the per-channel contributions of whichever branch is currently largest:
//! - a smoothed T² or SPE branch: the EWMA (same λ) of the reconstruction-based contributions
//!   (RBC, see `multivariate/score.rs`) of the raw statistic, divided by the branch's
//!   normaliser. RBC of one frame lies in `[0, statistic]`; an EWMA is a convex combination, and
//!   its state starts at 0 (below the statistic's start), so the smoothed contribution stays in
//!   `[0, smoothed statistic]` — the same reading as for PCA: "the statistic with this channel
//!   repaired falls by at most this much".
//! - the per-channel EWMA branch: `|EWMA_j| / sd_j` over the branch's normaliser, which *is*
//!   channel `j`'s term (the branch is the maximum of these), so the largest equals the slot;
//!   likewise the per-sensor check: `|z_j|` in units of the combined statistic, and the level
//!   check: each differenced channel's `|x_j − level_j| / sd_j` in the same units, and the
//!   frozen-value check: each channel's run of one repeated value over its limit.
//!
//! Taking the dominant branch's contributions rather than summing all branches keeps the units
//! of the number that raised the alarm: an engineer reading "ch10 contributes 3.1" can compare
//! it with the limit printed beside it.

use faultline_types::{Score, StatisticKind};

use super::{DefaultModel, bounded, ewma_step};

/// The statistics the default detector reports, in `Score::statistics` order.
pub const STATISTICS: [StatisticKind; 2] = [StatisticKind::T2, StatisticKind::Spe];

/// Floor of a reconstruction weight (`D_jj`, `C̃_jj`), against division by ~0 (as in PCA).
const MIN_RECONSTRUCTION_WEIGHT: f64 = 1e-12;

/// Which branch currently sets a slot's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Branch {
    /// The per-channel EWMA.
    Channel,
    /// Smoothed T² or SPE at the λ of this index.
    Smoothed(usize),
    /// The per-sensor check (`max_j |z_j|`).
    Sensor,
    /// The gross-level check of differenced channels.
    Level,
    /// The frozen-value check.
    Frozen,
}

/// Scores raw frames of a [`DefaultModel`] one at a time into a [`Score`] (T² slot, SPE slot,
/// one shared limit; see the module documentation). All buffers are allocated in
/// [`DefaultScorer::new`]; [`DefaultScorer::score`] allocates nothing.
///
/// State per stream: the previous raw frame (for differenced channels), the EWMA of T² and SPE
/// per λ, the EWMA of every channel, and the EWMA of the contributions. A new stream starts
/// where [`DefaultModel::score_batch`] starts: EWMA of T² and SPE at their in-sample means,
/// channel EWMAs at 0.
#[derive(Debug, Clone)]
pub struct DefaultScorer {
    /// The model's constants (boxed: a scorer is moved around inside monitors, the model is
    /// only read).
    model: Box<DefaultModel>,
    needs_previous: bool,
    /// [`DefaultModel::sensor_scale`]: 0 without a per-sensor limit (the check then never leads).
    sensor_scale: f64,
    /// [`DefaultModel::level_scale`]: 0 without the level check.
    level_scale: f64,
    /// `1 / D_jj` and `1 / C̃_jj` per channel.
    inv_d: Vec<f64>,
    inv_c: Vec<f64>,
    /// The previous raw frame, valid once `has_previous`.
    previous: Vec<f64>,
    has_previous: bool,
    z: Vec<f64>,
    t: Vec<f64>,
    rbc_t2: Vec<f64>,
    rbc_spe: Vec<f64>,
    /// Per λ: EWMA of T² and of SPE.
    t2_state: Vec<f64>,
    spe_state: Vec<f64>,
    /// Per λ (λ-major, `channels` each): EWMA of the T² and SPE contributions.
    t2_rbc_state: Vec<f64>,
    spe_rbc_state: Vec<f64>,
    /// EWMA of each standardised channel.
    channel_state: Vec<f64>,
    /// Per raw channel: consecutive frames holding its current value (0 before the first).
    runs: Vec<u32>,
}

impl DefaultScorer {
    /// Precomputes the scorer's constants and allocates its buffers.
    pub fn new(model: &DefaultModel) -> Self {
        let core = &model.core;
        let (m, a) = (model.channels, core.eigenvalues.len());
        let (inv_d, inv_c) = core
            .loadings
            .chunks_exact(a.max(1))
            .map(|p| {
                let d: f64 = p.iter().zip(&core.eigenvalues).map(|(p, l)| p * p / l).sum();
                let c: f64 = 1.0 - p.iter().map(|p| p * p).sum::<f64>();
                (1.0 / d.max(MIN_RECONSTRUCTION_WEIGHT), 1.0 / c.max(MIN_RECONSTRUCTION_WEIGHT))
            })
            .unzip();
        let lambdas = model.config.lambdas.len();
        DefaultScorer {
            model: Box::new(model.clone()),
            needs_previous: model.warm_up() > 0,
            sensor_scale: model.sensor_scale().unwrap_or(0.0),
            level_scale: model.level_scale().unwrap_or(0.0),
            inv_d,
            inv_c,
            previous: vec![0.0; m],
            has_previous: false,
            z: vec![0.0; m],
            t: vec![0.0; a],
            rbc_t2: vec![0.0; m],
            rbc_spe: vec![0.0; m],
            t2_state: vec![core.t2_mean; lambdas],
            spe_state: vec![core.spe_mean; lambdas],
            t2_rbc_state: vec![0.0; lambdas * m],
            spe_rbc_state: vec![0.0; lambdas * m],
            channel_state: vec![0.0; m],
            runs: vec![0; m],
        }
    }

    /// A score with buffers sized for this model, to pass to [`DefaultScorer::score`].
    pub fn new_score(&self) -> Score {
        Score::with_capacity(&STATISTICS, self.model.channels)
    }

    /// The combined statistic of the latest scored frame (`max` of both slots of `score`).
    pub fn combined(score: &Score) -> f64 {
        score.statistics.iter().map(|s| s.value).fold(0.0, f64::max)
    }

    /// Scores the next raw frame (one finite value per channel) into `out`, which must come
    /// from [`DefaultScorer::new_score`]. The first frame of a model with differenced channels
    /// only warms up (`out.ready == false`). A frame of the wrong width leaves `out.ready`
    /// false, raises no alarm and does not advance the state.
    pub fn score(&mut self, frame: &[f64], out: &mut Score) {
        self.score_measured(frame, &[], out);
    }

    /// [`DefaultScorer::score`] for a frame some of whose values were imputed: where
    /// `measured[j]` is false, channel `j`'s value was carried forward, so it neither extends
    /// nor ends its run of repeats (frozen-value check); a carried value is not the sensor
    /// repeating itself. Empty: every value measured.
    pub fn score_measured(&mut self, frame: &[f64], measured: &[bool], out: &mut Score) {
        let m = self.model.channels;
        out.ready = false;
        out.alarm = false;
        let [t2_slot, spe_slot] = &mut out.statistics[..] else { return };
        if frame.len() != m || t2_slot.contributions.len() != m || spe_slot.contributions.len() != m
        {
            return;
        }
        self.count_runs(frame, measured);
        if self.needs_previous && !self.has_previous {
            self.previous.copy_from_slice(frame);
            self.has_previous = true;
            return;
        }
        self.standardise(frame);
        let (t2, spe) = self.statistics();
        self.update_states(t2, spe);

        let core = &self.model.core;
        let lambdas = &self.model.config.lambdas;
        let channel_value = self.channel_value(None);
        let (mut t2_value, mut t2_branch) = (channel_value, Branch::Channel);
        let sensor_value = self.z.iter().fold(0.0, |m, z| z.abs().max(m)) * self.sensor_scale;
        if sensor_value > t2_value {
            (t2_value, t2_branch) = (sensor_value, Branch::Sensor);
        }
        if self.level_scale > 0.0 {
            let level_value = self.model.level_deviation(frame, None) * self.level_scale;
            if level_value > t2_value {
                (t2_value, t2_branch) = (level_value, Branch::Level);
            }
        }
        let frozen_value = self.model.frozen_value(&self.runs, None);
        if frozen_value > t2_value {
            (t2_value, t2_branch) = (frozen_value, Branch::Frozen);
        }
        let (mut spe_value, mut spe_branch) = (f64::NEG_INFINITY, Branch::Smoothed(0));
        for (i, &(nt, ns)) in core.normalisers.iter().enumerate().take(lambdas.len()) {
            if self.t2_state[i] / nt > t2_value {
                (t2_value, t2_branch) = (self.t2_state[i] / nt, Branch::Smoothed(i));
            }
            if self.spe_state[i] / ns > spe_value {
                (spe_value, spe_branch) = (self.spe_state[i] / ns, Branch::Smoothed(i));
            }
        }
        match t2_branch {
            Branch::Channel => {
                for (j, c) in t2_slot.contributions.iter_mut().enumerate() {
                    *c = self.channel_value(Some(j));
                }
            }
            Branch::Smoothed(i) => {
                let state = &self.t2_rbc_state[i * m..(i + 1) * m];
                let nt = core.normalisers[i].0;
                t2_slot.contributions.iter_mut().zip(state).for_each(|(c, s)| *c = s / nt);
            }
            Branch::Sensor => {
                let scale = self.sensor_scale;
                t2_slot
                    .contributions
                    .iter_mut()
                    .zip(&self.z)
                    .for_each(|(c, z)| *c = z.abs() * scale);
            }
            Branch::Level => {
                for (j, c) in t2_slot.contributions.iter_mut().enumerate() {
                    *c = self.model.level_deviation(frame, Some(j)) * self.level_scale;
                }
            }
            Branch::Frozen => {
                for (j, c) in t2_slot.contributions.iter_mut().enumerate() {
                    *c = self.model.frozen_value(&self.runs, Some(j));
                }
            }
        }
        if let Branch::Smoothed(i) = spe_branch {
            let state = &self.spe_rbc_state[i * m..(i + 1) * m];
            let ns = core.normalisers[i].1;
            spe_slot.contributions.iter_mut().zip(state).for_each(|(c, s)| *c = s / ns);
        }
        // Finite however far out: a statistic over its limit's normaliser can still overflow.
        t2_slot.value = bounded(t2_value);
        spe_slot.value = bounded(spe_value);
        for c in t2_slot.contributions.iter_mut().chain(spe_slot.contributions.iter_mut()) {
            *c = bounded(*c);
        }
        t2_slot.limit = self.model.limit;
        spe_slot.limit = self.model.limit;
        out.ready = true;
        out.alarm = t2_slot.exceeds() || spe_slot.exceeds();
    }

    /// Counts, per channel, the frames that have held its current value (the arithmetic of
    /// `ensemble::runs`); `self.previous` is still the previous frame here.
    fn count_runs(&mut self, frame: &[f64], measured: &[bool]) {
        let values = self.runs.iter_mut().zip(frame).zip(&self.previous).enumerate();
        for (j, ((run, x), previous)) in values {
            if !measured.get(j).copied().unwrap_or(true) && *run > 0 {
                continue;
            }
            *run = if *run > 0 && x == previous { run.saturating_add(1) } else { 1 };
        }
    }

    /// Model inputs (differenced where flagged) and their standardised values, into `self.z`;
    /// the same arithmetic as `transform` and `DefaultCore::standardise`.
    fn standardise(&mut self, frame: &[f64]) {
        let core = &self.model.core;
        let inputs = frame.iter().zip(&self.previous).zip(&self.model.differenced);
        for (j, ((x, previous), differenced)) in inputs.enumerate() {
            let input = if *differenced { x - previous } else { *x };
            self.z[j] =
                if core.scale[j] > 0.0 { (input - core.mean[j]) / core.scale[j] } else { 0.0 };
        }
        self.previous.copy_from_slice(frame);
    }

    /// T² and SPE of `self.z` (the arithmetic of `DefaultCore::t2_spe`, operation for
    /// operation) and the per-channel RBC contributions of both.
    fn statistics(&mut self) -> (f64, f64) {
        let core = &self.model.core;
        let a = core.eigenvalues.len();
        self.t.iter_mut().for_each(|v| *v = 0.0);
        for (x, p) in self.z.iter().zip(core.loadings.chunks_exact(a)) {
            self.t.iter_mut().zip(p).for_each(|(tk, pk)| *tk += x * pk);
        }
        let norm2: f64 = self.z.iter().map(|x| x * x).sum();
        let scores2: f64 = self.t.iter().map(|x| x * x).sum();
        let t2: f64 = self.t.iter().zip(&core.eigenvalues).map(|(x, l)| x * x / l).sum();
        let spe = (norm2 - scores2).max(0.0);
        let rows = core.loadings.chunks_exact(a).zip(&self.z);
        let weights = self.inv_d.iter().zip(&self.inv_c);
        let outputs = self.rbc_t2.iter_mut().zip(self.rbc_spe.iter_mut());
        for (((p, z), (inv_d, inv_c)), (rbc_t2, rbc_spe)) in rows.zip(weights).zip(outputs) {
            let (mut recon, mut dz) = (0.0, 0.0);
            for ((p, t), l) in p.iter().zip(&self.t).zip(&core.eigenvalues) {
                recon += p * t;
                dz += p * t / l;
            }
            let residual = z - recon;
            *rbc_t2 = dz * dz * inv_d;
            *rbc_spe = residual * residual * inv_c;
        }
        (t2, spe)
    }

    /// Advances every EWMA by one frame (the recursion of `ewma` and `channel_ewma`).
    ///
    /// With caps, a smoothed branch takes in `min(statistic, cap)` and its contributions are
    /// scaled by the same factor, so they stay within the smoothed statistic.
    fn update_states(&mut self, t2: f64, spe: f64) {
        let (t2, spe) = (bounded(t2), bounded(spe));
        let m = self.model.channels;
        let caps = self.model.core.caps.as_ref();
        for (i, &l) in self.model.config.lambdas.iter().enumerate() {
            let capped = |v: f64, cap: Option<f64>| match cap.filter(|_| l < 1.0) {
                Some(cap) if v > cap => (cap, cap / v),
                _ => (v, 1.0),
            };
            let (t2_in, t2_scale) = capped(t2, caps.map(|c| c.t2));
            let (spe_in, spe_scale) = capped(spe, caps.map(|c| c.spe));
            self.t2_state[i] = ewma_step(l, t2_in, self.t2_state[i]);
            self.spe_state[i] = ewma_step(l, spe_in, self.spe_state[i]);
            let t2_rbc = &mut self.t2_rbc_state[i * m..(i + 1) * m];
            for (s, v) in t2_rbc.iter_mut().zip(&self.rbc_t2) {
                *s = ewma_step(l, v * t2_scale, *s);
            }
            let spe_rbc = &mut self.spe_rbc_state[i * m..(i + 1) * m];
            for (s, v) in spe_rbc.iter_mut().zip(&self.rbc_spe) {
                *s = ewma_step(l, v * spe_scale, *s);
            }
        }
        let l = self.model.config.channel_lambda;
        let channel_caps = caps.map(|c| &c.channels[..]);
        for (j, (s, x)) in self.channel_state.iter_mut().zip(&self.z).enumerate() {
            let x = channel_caps.map_or(*x, |c| bounded(*x).clamp(-c[j], c[j]));
            *s = ewma_step(l, x, *s);
        }
    }

    /// The normalised per-channel branch: channel `j`'s term, or the maximum over channels.
    fn channel_value(&self, channel: Option<usize>) -> f64 {
        let core = &self.model.core;
        let term = |j: usize| (self.channel_state[j] / core.channel_sd[j]).abs();
        let raw = match channel {
            Some(j) => term(j),
            None => (0..self.model.channels).map(term).fold(0.0, f64::max),
        };
        raw / core.channel_normaliser
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::plant;
    use super::*;
    use crate::DefaultConfig;

    fn stream(model: &DefaultModel, data: &[f64]) -> Vec<Score> {
        let mut scorer = model.scorer();
        let mut score = scorer.new_score();
        data.chunks_exact(model.channels)
            .map(|frame| {
                scorer.score(frame, &mut score);
                score.clone()
            })
            .collect()
    }

    /// The batch path gives every streamed frame's combined statistic, to 1e-9.
    fn assert_batch_scores_the_same(model: &DefaultModel, data: &[f64], streamed: &[Score]) {
        let batch = model.score_batch(data);
        for (row, (b, s)) in batch.iter().zip(streamed).enumerate() {
            let Some(b) = b else { continue };
            let combined = DefaultScorer::combined(s);
            assert!((b - combined).abs() <= 1e-9 * b.abs().max(1.0), "row {row}: {b} {combined}");
        }
    }

    #[test]
    fn batch_equals_streaming() {
        let model = DefaultModel::fit(&plant(400, 11), 4, DefaultConfig::default()).unwrap();
        assert!(model.warm_up() == 1, "the plant has a drifting channel to difference");
        let mut test = plant(800, 12);
        for row in test.chunks_exact_mut(4).skip(500) {
            row[1] += 0.5;
        }
        let batch = model.score_batch(&test);
        let streamed = stream(&model, &test);
        let mut alarms = 0;
        for (row, (b, s)) in batch.iter().zip(&streamed).enumerate() {
            assert_eq!(b.is_some(), s.ready, "row {row}");
            let Some(b) = b else { continue };
            let combined = DefaultScorer::combined(s);
            assert!((b - combined).abs() <= 1e-9 * b.abs().max(1.0), "row {row}: {b} {combined}");
            assert_eq!(*b > model.limit, s.alarm, "row {row}");
            assert!(s.statistics.iter().all(|st| st.limit == model.limit));
            alarms += usize::from(s.alarm);
        }
        assert!(alarms > 100, "the shift must be scored as alarms ({alarms})");
    }

    #[test]
    fn contributions_are_bounded_by_their_slot_and_name_the_shifted_channel() {
        let model = DefaultModel::fit(&plant(400, 13), 4, DefaultConfig::default()).unwrap();
        let mut test = plant(600, 14);
        for row in test.chunks_exact_mut(4).skip(300) {
            row[2] += 0.6;
        }
        let scores = stream(&model, &test);
        for score in scores.iter().filter(|s| s.ready) {
            for statistic in &score.statistics {
                let bound = statistic.value * (1.0 + 1e-12) + 1e-12;
                assert!(
                    statistic.contributions.iter().all(|c| *c >= 0.0 && *c <= bound),
                    "{statistic:?}"
                );
            }
        }
        let alarmed: Vec<&Score> = scores[320..].iter().filter(|s| s.alarm).collect();
        assert!(alarmed.len() > 200, "{} of 280 rows alarm", alarmed.len());
        let named = alarmed.iter().filter(|s| s.top_contributors(1)[0].channel == 2).count();
        assert!(named * 10 >= alarmed.len() * 9, "channel 2 leads {named} of {}", alarmed.len());
    }

    #[test]
    fn one_sensor_beyond_its_held_out_range_alarms_at_once_and_is_named() {
        let model = DefaultModel::fit(&plant(400, 21), 4, DefaultConfig::default()).unwrap();
        let sensor_limit = model.sensor_limit.expect("the default settings check each sensor");
        let (row, channel) = (200, 2);
        assert!(!model.differenced[channel]);
        let at = |z: f64| {
            let mut test = plant(400, 22);
            test[row * 4 + channel] = model.core.mean[channel] + z * model.core.scale[channel];
            test
        };
        let beyond = stream(&model, &at(1.02 * sensor_limit));
        let hit = &beyond[row];
        assert!(hit.alarm, "{hit:?}");
        let top = hit.top_contributors(1)[0];
        assert_eq!(top.channel, channel);
        let expected = 1.02 * sensor_limit * model.sensor_scale().unwrap();
        assert!((hit.statistics[0].value - expected).abs() < 1e-9 * expected, "{hit:?}");
        // Without the per-sensor check the other branches let this frame pass: the check is
        // what raises it.
        let mut without = model.clone();
        (without.sensor_limit, without.config.sensor_quantile) = (None, None);
        assert_eq!(without.check(), Ok(()));
        assert!(!stream(&without, &at(1.02 * sensor_limit))[row].alarm);
        // Just inside the limit the check stays quiet.
        let inside = stream(&model, &at(0.98 * sensor_limit));
        assert!(inside[row].statistics[0].value < model.limit, "{:?}", inside[row]);
    }

    /// A differenced channel that jumps far from its training level and stays there is seen by
    /// the model only at the jump (its differences are normal again afterwards); the gross-level
    /// check keeps it alarming, names it, and scores the same in batch and streaming.
    #[test]
    fn a_differenced_channel_that_stays_far_from_its_training_level_keeps_alarming() {
        let model = DefaultModel::fit(&plant(400, 25), 4, DefaultConfig::default()).unwrap();
        let channel = 3;
        assert!(model.differenced[channel], "the plant's random walk is differenced");
        let sigmas = model.config.level_sigmas.expect("the default settings check levels");
        let far = model.level[channel] + 1.5 * sigmas * model.level_sd[channel];
        let mut test = plant(400, 26);
        for row in test.chunks_exact_mut(4).skip(200).take(100) {
            row[channel] += far - model.level[channel];
        }
        let scores = stream(&model, &test);
        let plateau = &scores[220..300];
        assert!(plateau.iter().all(|s| s.alarm), "every row of the plateau alarms");
        assert!(plateau.iter().all(|s| s.top_contributors(1)[0].channel == channel));
        assert_batch_scores_the_same(&model, &test, &scores);
        // Without the check (a model fitted before it) the plateau mostly passes: the check is
        // what keeps it alarming.
        let mut without = model.clone();
        (without.config.level_sigmas, without.level_sd) = (None, Vec::new());
        assert_eq!(without.check(), Ok(()));
        let quiet = stream(&without, &test)[220..300].iter().filter(|s| !s.alarm).count();
        assert!(quiet > 40, "only {quiet} of 80 plateau rows pass without the check");
        // Back inside the bound, the check is quiet again.
        let back = scores[310..].iter().filter(|s| s.alarm).count();
        assert!(back < 10, "{back} of 90 rows alarm after the plateau");
    }

    /// A sensor that freezes at a normal value leaves every statistic inside its limits; the
    /// frozen-value check alarms once the value has repeated longer than training allows,
    /// names the channel, and scores the same in batch and streaming.
    #[test]
    fn a_channel_that_stops_changing_alarms_once_it_repeats_longer_than_training_allows() {
        let model = DefaultModel::fit(&plant(400, 27), 4, DefaultConfig::default()).unwrap();
        let channel = 2;
        // A continuous channel never repeats a value in training: its limit is 2 × 1 + 8.
        assert_eq!(model.frozen_limit[channel], 10);
        let (from, held) = (200, 10);
        let mut test = plant(400, 28);
        let value = test[from * 4 + channel];
        for row in test.chunks_exact_mut(4).skip(from) {
            row[channel] = value;
        }
        let scores = stream(&model, &test);
        // The 10th frame holding the value is still within the limit, the 11th is not.
        let frozen = |s: &Score| s.statistics[0].contributions[channel] / model.limit;
        assert!((frozen(&scores[from + held - 1]) - 1.0).abs() < 1e-12);
        assert!(scores[from + held..].iter().all(|s| s.alarm), "every later frame alarms");
        let named =
            scores[from + held..].iter().all(|s| s.top_contributors(1)[0].channel == channel);
        assert!(named, "the frozen channel leads every alarm");
        assert_batch_scores_the_same(&model, &test, &scores);
        // Without the check (a model fitted before it) the frozen value mostly passes.
        let mut without = model.clone();
        (without.config.frozen, without.frozen_limit) = (None, Vec::new());
        assert_eq!(without.check(), Ok(()));
        let passed = stream(&without, &test)[from + held..].iter().filter(|s| !s.alarm).count();
        assert!(passed > 150, "only {passed} of 190 frozen frames pass without the check");
        // The same values carried forward by the live path (not measured: a channel sent less
        // often, or only on change) are not the sensor repeating itself.
        let mut scorer = model.scorer();
        let mut score = scorer.new_score();
        let mut measured = [true; 4];
        let mut carried_leads = 0;
        for (row, frame) in test.chunks_exact(4).enumerate() {
            measured[channel] = row <= from;
            scorer.score_measured(frame, &measured, &mut score);
            let leads = score.alarm && score.top_contributors(1)[0].channel == channel;
            carried_leads += usize::from(row >= from + held && leads);
        }
        assert!(carried_leads < 10, "{carried_leads} alarms led by a carried-forward channel");
    }

    /// A setpoint, mode or status channel holds its values by design: one that held a value for
    /// more than 5 % of the training rows is not checked, however long it holds one later.
    #[test]
    fn a_channel_held_by_design_in_training_is_not_checked_for_freezing() {
        let setpoint = |rows: usize, seed: u64, hold: usize| {
            let mut data = plant(rows, seed);
            for (i, row) in data.chunks_exact_mut(4).enumerate() {
                row[0] = [50.0, 51.0, 52.0][(i / hold) % 3];
            }
            data
        };
        let model =
            DefaultModel::fit(&setpoint(600, 29, 150), 4, DefaultConfig::default()).unwrap();
        assert_eq!(model.frozen_limit[0], 0, "{:?}", model.frozen_limit);
        assert_eq!(model.frozen_limit[2], 10);
        // Held for 600 rows live: scored exactly as without the check.
        let held = setpoint(600, 30, 600);
        let mut without = model.clone();
        (without.config.frozen, without.frozen_limit) = (None, Vec::new());
        assert_eq!(model.score_batch(&held), without.score_batch(&held));
        let streamed =
            |m: &DefaultModel| stream(m, &held).iter().map(|s| s.alarm).collect::<Vec<_>>();
        assert_eq!(streamed(&model), streamed(&without));
    }

    /// A finite value so large that T² overflows (a historian's `DBL_MAX` "bad value") used to
    /// leave NaN in the raw branch's state (`0 · ∞`) for good: no later frame could alarm. It
    /// now alarms itself, the state stays finite, and a real excursion later still alarms.
    #[test]
    fn an_overflowing_frame_alarms_and_leaves_the_detector_working() {
        let model = DefaultModel::fit(&plant(400, 23), 4, DefaultConfig::default()).unwrap();
        let mut test = plant(400, 24);
        test[10 * 4 + 2] = f64::MAX;
        for row in test.chunks_exact_mut(4).skip(300) {
            row[1] += 5.0 * model.core.scale[1];
        }
        let scores = stream(&model, &test);
        assert!(scores[10].alarm, "{:?}", scores[10]);
        for score in scores.iter().filter(|s| s.ready) {
            for statistic in &score.statistics {
                assert!(statistic.value.is_finite(), "{statistic:?}");
                assert!(statistic.contributions.iter().all(|c| c.is_finite()), "{statistic:?}");
            }
        }
        let alarmed = scores[310..].iter().filter(|s| s.alarm).count();
        assert!(alarmed > 80, "the later shift alarms on {alarmed} of 90 rows");
        // The batch path agrees, the overflowing frame included (it read ∞ there).
        let batch = model.score_batch(&test);
        assert!(batch.iter().flatten().all(|b| b.is_finite()));
        assert_eq!(batch[10], Some(DefaultScorer::combined(&scores[10])));
        assert!(batch[310..].iter().flatten().filter(|b| **b > model.limit).count() > 80);
    }

    #[test]
    fn a_frame_of_the_wrong_width_is_not_ready_and_keeps_the_state() {
        let model = DefaultModel::fit(&plant(400, 15), 4, DefaultConfig::default()).unwrap();
        let test = plant(50, 16);
        let mut scorer = model.scorer();
        let mut score = scorer.new_score();
        let mut reference = model.scorer();
        let mut expected = reference.new_score();
        for (i, frame) in test.chunks_exact(4).enumerate() {
            if i == 10 {
                scorer.score(&frame[..3], &mut score);
                assert!(!score.ready && !score.alarm);
            }
            scorer.score(frame, &mut score);
            reference.score(frame, &mut expected);
            assert_eq!(score, expected, "row {i}");
        }
    }

    #[test]
    fn loaded_models_are_checked() {
        let mut model = DefaultModel::fit(&plant(400, 17), 4, DefaultConfig::default()).unwrap();
        assert_eq!(model.check(), Ok(()));
        assert_eq!(model.fallback().len(), 4);
        model.core.channel_sd.pop();
        assert!(model.check().unwrap_err().0.contains("channel_sd"));
        let mut model = DefaultModel::fit(&plant(400, 17), 4, DefaultConfig::default()).unwrap();
        model.level_sd.pop();
        assert!(model.check().unwrap_err().0.contains("level"));
        model.config.level_sigmas = None;
        assert!(model.check().unwrap_err().0.contains("without their setting"));
        let mut model = DefaultModel::fit(&plant(400, 17), 4, DefaultConfig::default()).unwrap();
        model.frozen_limit.pop();
        assert!(model.check().unwrap_err().0.contains("frozen"));
    }
}
