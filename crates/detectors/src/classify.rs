//! Supervised fault classification: which known fault a run most resembles.
//!
//! # Why this shape
//! Fault signatures in continuous processes are mostly *shifts* of a few channels (means) and
//! changes of their *spread and correlation* (covariances), often small next to the
//! sample-to-sample noise. The classifier therefore
//!
//! 1. standardises channels with the normal run's mean and standard deviation;
//! 2. appends to each frame the EWMA (λ = [`ClassifyConfig::lambda`]) of its standardised
//!    channels, which averages noise away and exposes small shifts (TEP: +5 points of accuracy);
//! 3. fits quadratic discriminant analysis — one Gaussian per class, each with its own
//!    covariance, shrunk towards the identity by [`ClassifyConfig::regularisation`] so that the
//!    104-dimensional covariances of 480-row runs are well conditioned;
//! 4. smooths each class's log-posterior over time with an EWMA
//!    (λ = [`ClassifyConfig::smoothing`]) before taking the most likely class, so that a verdict
//!    rests on the recent history of a run rather than on one frame.
//!
//! Everything is causal (a frame's verdict uses only frames before it), fitted from labelled
//! training runs only. No IO, no clock.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Accum, Mat, MatRef, Par, Side};
use serde::{Deserialize, Serialize};

use crate::FitError;
use crate::multivariate::MAX_MAGNITUDE;

/// Settings of the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassifyConfig {
    /// EWMA weight of the smoothed-channel features.
    pub lambda: f64,
    /// Shrinkage of each class covariance towards the identity, in [0, 1].
    pub regularisation: f64,
    /// EWMA weight of the log-posteriors over time (1 = no smoothing).
    pub smoothing: f64,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig { lambda: 0.1, regularisation: 0.05, smoothing: 0.1 }
    }
}

/// Floor of a class log-posterior before smoothing, so one impossible frame cannot veto a class.
const LOG_POSTERIOR_FLOOR: f64 = -50.0;

/// A fitted classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultClassifier {
    /// Settings.
    pub config: ClassifyConfig,
    /// Channels of a raw frame.
    pub channels: usize,
    /// Standardisation from the normal runs (label 0), or all runs when there is none.
    pub mean: Vec<f64>,
    /// See `mean`.
    pub scale: Vec<f64>,
    /// Class labels, ascending.
    pub labels: Vec<u32>,
    /// Per class: feature mean (`2 × channels`).
    pub class_means: Vec<Vec<f64>>,
    /// Per class: inverse regularised covariance, row-major.
    pub precisions: Vec<Vec<f64>>,
    /// Per class: `log det` of the regularised covariance.
    pub log_dets: Vec<f64>,
    /// Per class: log prior (share of training frames).
    pub log_priors: Vec<f64>,
}

/// One verdict: the most likely class and its smoothed posterior probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Suspected class label.
    pub label: u32,
    /// Its posterior probability after smoothing, in (0, 1].
    pub confidence: f64,
}

impl FaultClassifier {
    /// Fits on labelled runs: `(label, row-major frames of `channels` values)`, each run in time
    /// order (the EWMA features restart at each run).
    pub fn fit(
        runs: &[(u32, &[f64])],
        channels: usize,
        config: ClassifyConfig,
    ) -> Result<Self, FitError> {
        if channels == 0 {
            return Err(FitError::Config("a model needs at least one channel".into()));
        }
        let unit = |v: f64| v > 0.0 && v <= 1.0;
        let valid = (0.0..=1.0).contains(&config.regularisation)
            && unit(config.lambda)
            && unit(config.smoothing);
        if !valid {
            return Err(FitError::Config("classifier settings out of range".into()));
        }
        let normal: Vec<f64> =
            runs.iter().filter(|(l, _)| *l == 0).flat_map(|(_, d)| d.iter().copied()).collect();
        let reference: Vec<f64> = if normal.len() >= 2 * channels {
            normal
        } else {
            runs.iter().flat_map(|(_, d)| d.iter().copied()).collect()
        };
        if let Some(i) = reference.iter().position(|v| !v.is_finite() || v.abs() > MAX_MAGNITUDE) {
            let (row, channel, value) = (i / channels, i % channels, reference[i]);
            return Err(if value.is_finite() {
                FitError::TooLarge { row, channel, value, limit: MAX_MAGNITUDE }
            } else {
                FitError::NonFinite { row, channel }
            });
        }
        let (mean, scale) = moments(&reference, channels);
        // A channel constant in the reference run has no scale: any later jitter on it, divided
        // by the floor, would outweigh every real channel in the verdict (found by review).
        if let Some(channel) =
            scale.iter().zip(&mean).position(|(s, m)| *s <= CONSTANT * m.abs().max(1.0))
        {
            return Err(FitError::ConstantChannel { channel, value: mean[channel] });
        }
        let mut model = FaultClassifier {
            config,
            channels,
            mean,
            scale,
            labels: Vec::new(),
            class_means: Vec::new(),
            precisions: Vec::new(),
            log_dets: Vec::new(),
            log_priors: Vec::new(),
        };
        let mut labels: Vec<u32> = runs.iter().map(|(l, _)| *l).collect();
        labels.sort_unstable();
        labels.dedup();
        let p = 2 * channels;
        let total: usize = runs.iter().map(|(_, d)| d.len() / channels).sum();
        for &label in &labels {
            let features: Vec<f64> = runs
                .iter()
                .filter(|(l, _)| *l == label)
                .flat_map(|(_, d)| model.features(d))
                .collect();
            let n = features.len() / p;
            if n < 2 {
                return Err(FitError::TooFewRows { rows: n, needed: 2 });
            }
            let (m, _) = moments(&features, p);
            let centred = Mat::from_fn(n, p, |i, j| features[i * p + j] - m[j]);
            let r = config.regularisation;
            let cov = centred.transpose() * &centred * ((1.0 - r) / (n - 1) as f64);
            let cov =
                Mat::from_fn(p, p, |i, j| cov[(i, j)] + if i == j { r.max(1e-6) } else { 0.0 });
            let llt = cov.llt(Side::Lower).map_err(|_| FitError::Decomposition)?;
            let log_det = 2.0 * (0..p).map(|i| llt.L()[(i, i)].ln()).sum::<f64>();
            let inverse = llt.inverse();
            model.labels.push(label);
            model.class_means.push(m);
            model.precisions.push((0..p * p).map(|k| inverse[(k / p, k % p)]).collect());
            model.log_dets.push(log_det);
            model.log_priors.push((n as f64 / total as f64).ln());
        }
        Ok(model)
    }

    /// Standardised frames followed by their EWMA, `2 × channels` values per frame.
    fn features(&self, data: &[f64]) -> Vec<f64> {
        let m = self.channels;
        let mut state = vec![0.0; m];
        let mut out = Vec::with_capacity(2 * data.len());
        for row in data.chunks_exact(m) {
            let lambda = self.config.lambda;
            for ((x, (m, sd)), st) in
                row.iter().zip(self.mean.iter().zip(&self.scale)).zip(&mut state)
            {
                let z = (x - m) / sd;
                out.push(z);
                *st = crate::ensemble::ewma_step(lambda, z, *st);
            }
            out.extend_from_slice(&state);
        }
        out
    }

    /// Verdicts for each frame of one run, scored from its first frame on.
    pub fn classify(&self, data: &[f64]) -> Vec<Verdict> {
        let p = 2 * self.channels;
        let x = self.features(data);
        let n = x.len() / p;
        let k = self.labels.len();
        let mut log_lik = vec![0.0; n * k];
        let mut solved = Mat::<f64>::zeros(n, p);
        for c in 0..k {
            let centred = Mat::from_fn(n, p, |i, j| x[i * p + j] - self.class_means[c][j]);
            let precision = MatRef::from_row_major_slice(&self.precisions[c], p, p);
            matmul(solved.as_mut(), Accum::Replace, centred.as_ref(), precision, 1.0, Par::Seq);
            for i in 0..n {
                let q: f64 = (0..p).map(|j| solved[(i, j)] * centred[(i, j)]).sum();
                log_lik[i * k + c] = self.log_priors[c] - 0.5 * (self.log_dets[c] + q);
            }
        }
        let mut state = vec![0.0; k];
        let s = self.config.smoothing;
        log_lik
            .chunks_exact(k)
            .enumerate()
            .map(|(i, row)| {
                let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let norm = top + row.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
                for (st, v) in state.iter_mut().zip(row) {
                    let posterior = (v - norm).max(LOG_POSTERIOR_FLOOR);
                    *st = if i == 0 { posterior } else { s * posterior + (1.0 - s) * *st };
                }
                let best = (0..k).max_by(|&a, &b| state[a].total_cmp(&state[b])).unwrap_or(0);
                let top = state[best];
                let confidence = 1.0 / state.iter().map(|v| (v - top).exp()).sum::<f64>();
                Verdict { label: self.labels[best], confidence }
            })
            .collect()
    }
}

/// Relative standard deviation under which a channel counts as constant (as in PCA fitting).
const CONSTANT: f64 = 1e-12;

fn moments(data: &[f64], width: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (data.len() / width) as f64;
    let mut mean = vec![0.0; width];
    for row in data.chunks_exact(width) {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += x / n);
    }
    let mut var = vec![0.0; width];
    for row in data.chunks_exact(width) {
        for ((v, x), m) in var.iter_mut().zip(row).zip(&mean) {
            *v += (x - m) * (x - m) / (n - 1.0).max(1.0);
        }
    }
    let scale = var.iter().map(|v| v.sqrt()).collect();
    (mean, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rows: usize, seed: u64, shift: [f64; 3]) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        (0..rows).flat_map(|_| shift.map(|s| s + noise())).collect()
    }

    #[test]
    fn a_channel_constant_in_the_normal_run_is_refused() {
        let mut normal = run(300, 1, [0.0; 3]);
        normal.iter_mut().skip(1).step_by(3).for_each(|v| *v = 4.0);
        let f1 = run(300, 2, [0.3, 0.0, 0.0]);
        let fitted = FaultClassifier::fit(&[(0, &normal), (1, &f1)], 3, ClassifyConfig::default());
        assert!(matches!(fitted, Err(FitError::ConstantChannel { channel: 1, .. })), "{fitted:?}");
    }

    #[test]
    fn separates_shifted_runs_and_reports_a_confidence() {
        let normal = run(300, 1, [0.0; 3]);
        let f1 = run(300, 2, [0.3, 0.0, 0.0]);
        let f2 = run(300, 3, [0.0, -0.3, 0.0]);
        let model =
            FaultClassifier::fit(&[(0, &normal), (1, &f1), (2, &f2)], 3, ClassifyConfig::default())
                .unwrap();
        for (label, shift, seed) in
            [(0, [0.0; 3], 4), (1, [0.3, 0.0, 0.0], 5), (2, [0.0, -0.3, 0.0], 6)]
        {
            let verdicts = model.classify(&run(200, seed, shift));
            let right = verdicts[50..].iter().filter(|v| v.label == label).count();
            assert!(right > 140, "class {label}: {right} of 150");
            assert!(verdicts.iter().all(|v| v.confidence > 0.0 && v.confidence <= 1.0 + 1e-12));
        }
    }
}
