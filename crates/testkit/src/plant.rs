//! A synthetic plant: a fixed random latent-factor process with AR(1) factors, and the normal runs
//! drawn from it.
//!
//! Model, for row `t`:
//!
//! ```text
//! f_t = phi · f_{t-1} + sqrt(1 − phi²) · eta_t          (k independent factors, unit variance)
//! x_t = mean + scale ⊙ (L f_t + noise · e_t)             (eta_t, e_t white standard normal)
//! ```
//!
//! Each row of the loadings `L` is normalised to unit length, so every channel's latent part has
//! unit variance and its total standard deviation is `scale · sqrt(1 + noise²)`. Factor `j` is
//! weighted by `1 / sqrt(1 + j)` before that normalisation, so the factors have decreasing
//! strength, as in real plants where a few directions dominate.

use faultline_types::{ChannelSchema, Recording};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Lowest and highest channel mean.
const MEAN_RANGE: (f64, f64) = (-50.0, 150.0);
/// Lowest and highest channel scale (drawn log-uniformly).
const SCALE_RANGE: (f64, f64) = (0.5, 20.0);
/// Mixed into the plant seed so that a plant's structure and its runs use unrelated streams.
const RUN_STREAM: u64 = 0x9E37_79B9_7F4A_7C15;

/// Shape and seed of a synthetic plant.
#[derive(Debug, Clone)]
pub struct PlantConfig {
    /// Number of channels (at least 1). Default 52, like the Tennessee Eastman process.
    pub channels: usize,
    /// Number of latent factors driving the channels (at least 1). Default 6.
    pub factors: usize,
    /// AR(1) coefficient of the latent factors, in `[0, 1)`. Default 0.8.
    pub autocorrelation: f64,
    /// Measurement-noise standard deviation relative to the unit-variance latent part (finite,
    /// `>= 0`). Default 0.1.
    pub noise: f64,
    /// Seed of the plant's structure (loadings, means, scales). Default 7.
    pub seed: u64,
}

impl Default for PlantConfig {
    fn default() -> Self {
        PlantConfig { channels: 52, factors: 6, autocorrelation: 0.8, noise: 0.1, seed: 7 }
    }
}

/// A synthetic plant: fixed random loadings (channels × factors) and per-channel means and scales,
/// all drawn from [`PlantConfig::seed`].
#[derive(Debug, Clone)]
pub struct Plant {
    config: PlantConfig,
    schema: ChannelSchema,
    /// Row-major `channels × factors`, each row of unit length.
    loadings: Vec<f64>,
    means: Vec<f64>,
    scales: Vec<f64>,
}

impl Plant {
    /// Draws the plant's structure from the config.
    ///
    /// # Panics
    /// When `channels` or `factors` is 0, `autocorrelation` is outside `[0, 1)`, or `noise` is
    /// negative or not finite.
    pub fn new(config: PlantConfig) -> Plant {
        assert!(config.channels >= 1, "a plant needs at least one channel");
        assert!(config.factors >= 1, "a plant needs at least one latent factor");
        assert!(
            (0.0..1.0).contains(&config.autocorrelation),
            "autocorrelation must be in [0, 1), got {}",
            config.autocorrelation
        );
        assert!(
            config.noise.is_finite() && config.noise >= 0.0,
            "noise must be finite and >= 0, got {}",
            config.noise
        );

        let (m, k) = (config.channels, config.factors);
        let mut rng = SmallRng::seed_from_u64(config.seed);
        let mut loadings = Vec::with_capacity(m * k);
        for _ in 0..m {
            let start = loadings.len();
            loadings.extend((0..k).map(|j| {
                let z: f64 = rng.sample(StandardNormal);
                z / ((1 + j) as f64).sqrt()
            }));
            let row = &mut loadings[start..];
            let norm = row.iter().map(|l| l * l).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|l| *l /= norm);
            } else {
                // Probability zero, but keep the unit-variance promise regardless.
                row[0] = 1.0;
            }
        }
        let means = (0..m).map(|_| rng.random_range(MEAN_RANGE.0..MEAN_RANGE.1)).collect();
        let (lo, hi) = (SCALE_RANGE.0.ln(), SCALE_RANGE.1.ln());
        let scales = (0..m).map(|_| rng.random_range(lo..hi).exp()).collect();

        let schema = ChannelSchema::from_names(channel_names(m))
            .expect("generated channel names are unique");
        Plant { config, schema, loadings, means, scales }
    }

    /// The config the plant was built from.
    pub fn config(&self) -> &PlantConfig {
        &self.config
    }

    /// The schema of every run: [`Plant::channel_names`] in order.
    pub fn schema(&self) -> &ChannelSchema {
        &self.schema
    }

    /// Channel names `ch1`, `ch2`, … zero-padded to the width of the channel count (`ch01` …
    /// `ch52` for 52 channels, `ch001` … for 100 or more).
    pub fn channel_names(&self) -> Vec<String> {
        self.schema.names().map(str::to_owned).collect()
    }

    /// The true mean of each channel in normal operation.
    pub fn channel_means(&self) -> &[f64] {
        &self.means
    }

    /// The true standard deviation of each channel in normal operation,
    /// `scale · sqrt(1 + noise²)`.
    pub fn channel_stds(&self) -> Vec<f64> {
        let inflation = (1.0 + self.config.noise * self.config.noise).sqrt();
        self.scales.iter().map(|s| s * inflation).collect()
    }

    /// `rows` samples of normal operation; `run_seed` picks the random stream so two runs of the
    /// same plant differ but are reproducible. The first row is drawn from the stationary
    /// distribution, so there is no warm-up transient. The recording has no time column.
    pub fn normal_run(&self, rows: usize, run_seed: u64) -> Recording {
        let (m, k) = (self.config.channels, self.config.factors);
        let phi = self.config.autocorrelation;
        let innovation = (1.0 - phi * phi).sqrt();
        let noise = self.config.noise;
        let mut rng = SmallRng::seed_from_u64(
            self.config.seed.wrapping_mul(RUN_STREAM) ^ run_seed.rotate_left(29) ^ RUN_STREAM,
        );

        let mut values = vec![0.0; rows * m];
        let mut factors: Vec<f64> = (0..k).map(|_| rng.sample(StandardNormal)).collect();
        for row in values.chunks_exact_mut(m) {
            let per_channel = row
                .iter_mut()
                .zip(self.loadings.chunks_exact(k))
                .zip(self.means.iter().zip(&self.scales));
            for ((x, loading), (mean, scale)) in per_channel {
                let latent: f64 = loading.iter().zip(&factors).map(|(l, f)| l * f).sum();
                let e: f64 = if noise > 0.0 { rng.sample(StandardNormal) } else { 0.0 };
                *x = mean + scale * (latent + noise * e);
            }
            for f in &mut factors {
                let eta: f64 = rng.sample(StandardNormal);
                *f = phi * *f + innovation * eta;
            }
        }
        Recording::new(
            format!("synthetic plant (seed {}, run {run_seed})", self.config.seed),
            self.schema.clone(),
            None,
            values,
        )
        .expect("rows of `channels` values, channels >= 1")
    }
}

/// `ch` followed by the 1-based index zero-padded to the width of `count`.
fn channel_names(count: usize) -> Vec<String> {
    let width = count.to_string().len();
    (1..=count).map(|i| format!("ch{i:0width$}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{correlation, lag1_autocorrelation, mean, std};

    fn plant() -> Plant {
        Plant::new(PlantConfig::default())
    }

    fn columns(r: &Recording) -> Vec<Vec<f64>> {
        (0..r.channels()).map(|c| r.column(c)).collect()
    }

    fn mean_abs_correlation(cols: &[Vec<f64>]) -> f64 {
        let mut total = 0.0;
        let mut pairs = 0;
        for i in 0..cols.len() {
            for j in i + 1..cols.len() {
                total += correlation(&cols[i], &cols[j]).abs();
                pairs += 1;
            }
        }
        total / pairs as f64
    }

    #[test]
    fn names_are_zero_padded_to_the_width_of_the_count() {
        let names = plant().channel_names();
        assert_eq!(names.len(), 52);
        assert_eq!(names[0], "ch01");
        assert_eq!(names[51], "ch52");
        assert_eq!(channel_names(5), ["ch1", "ch2", "ch3", "ch4", "ch5"]);
        let hundred = channel_names(100);
        assert_eq!((hundred[0].as_str(), hundred[99].as_str()), ("ch001", "ch100"));
    }

    #[test]
    fn run_has_the_requested_shape_and_schema() {
        let p = plant();
        let r = p.normal_run(123, 1);
        assert_eq!(r.rows(), 123);
        assert_eq!(r.channels(), 52);
        assert_eq!(&r.schema, p.schema());
        assert!(r.time.is_none());
        assert!(r.values.iter().all(|v| v.is_finite()));
        assert_eq!(p.normal_run(0, 1).rows(), 0);
    }

    #[test]
    fn runs_are_reproducible_and_seeds_matter() {
        let p = plant();
        let a = p.normal_run(500, 1);
        assert_eq!(a.values, p.normal_run(500, 1).values);
        assert_eq!(a.values, Plant::new(PlantConfig::default()).normal_run(500, 1).values);
        let b = p.normal_run(500, 2);
        assert!(a.values.iter().zip(&b.values).all(|(x, y)| x != y));
        let other = Plant::new(PlantConfig { seed: 8, ..PlantConfig::default() });
        assert_ne!(other.channel_means(), p.channel_means());
        assert_ne!(other.normal_run(500, 1).values, a.values);
        // A shorter run is a prefix of a longer one with the same seeds.
        assert_eq!(p.normal_run(100, 1).values, a.values[..100 * 52]);
    }

    #[test]
    fn channels_have_their_configured_mean_and_std() {
        let p = plant();
        let r = p.normal_run(200_000, 3);
        let stds = p.channel_stds();
        for (c, col) in columns(&r).iter().enumerate() {
            let (m, s) = (mean(col), std(col));
            assert!((m - p.channel_means()[c]).abs() < 0.05 * stds[c], "channel {c} mean {m}");
            assert!((s / stds[c] - 1.0).abs() < 0.05, "channel {c} std {s} vs {}", stds[c]);
        }
        // Means and scales differ widely, so standardisation matters.
        let (lo, hi) = stds.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        assert!(hi / lo > 5.0);
        assert!(p.channel_means().iter().all(|m| (-50.0..150.0).contains(m)));
    }

    #[test]
    fn channels_are_correlated_unlike_noise() {
        let p = plant();
        let cols = columns(&p.normal_run(20_000, 4));
        let plant_corr = mean_abs_correlation(&cols);
        assert!(plant_corr > 0.2, "mean |corr| {plant_corr}");

        let pure_noise = Plant::new(PlantConfig { noise: 100.0, ..PlantConfig::default() });
        let noise_corr = mean_abs_correlation(&columns(&pure_noise.normal_run(20_000, 4)));
        assert!(noise_corr < 0.05, "mean |corr| of noise {noise_corr}");
    }

    #[test]
    fn channels_are_autocorrelated_as_configured() {
        let p = plant();
        for (c, col) in columns(&p.normal_run(20_000, 5)).iter().enumerate() {
            let r1 = lag1_autocorrelation(col);
            // Theory: phi / (1 + noise²) = 0.792.
            assert!(r1 > 0.7, "channel {c} lag-1 autocorrelation {r1}");
        }
        let white = Plant::new(PlantConfig { autocorrelation: 0.0, ..PlantConfig::default() });
        for col in columns(&white.normal_run(20_000, 5)) {
            assert!(lag1_autocorrelation(&col).abs() < 0.05);
        }
    }

    #[test]
    #[should_panic(expected = "autocorrelation")]
    fn unit_root_is_rejected() {
        Plant::new(PlantConfig { autocorrelation: 1.0, ..PlantConfig::default() });
    }

    #[test]
    #[should_panic(expected = "at least one channel")]
    fn zero_channels_are_rejected() {
        Plant::new(PlantConfig { channels: 0, ..PlantConfig::default() });
    }
}
