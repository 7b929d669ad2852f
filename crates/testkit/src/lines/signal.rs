//! Building blocks shared by the line models: unit-variance AR(1) latent drivers, white noise, and
//! the envelopes that shape how a fault develops after its onset.

use rand::Rng;
use rand::rngs::SmallRng;
use rand_distr::StandardNormal;

/// One standard-normal draw.
pub(super) fn gauss(rng: &mut SmallRng) -> f64 {
    rng.sample(StandardNormal)
}

/// A latent driver: a stationary AR(1) process with unit variance,
/// `x_t = phi · x_{t−1} + sqrt(1 − phi²) · eta_t`.
#[derive(Debug, Clone)]
pub(super) struct Ar1 {
    phi: f64,
    innovation: f64,
    state: f64,
}

impl Ar1 {
    /// Starts from the stationary distribution, so there is no warm-up transient.
    pub(super) fn new(phi: f64, rng: &mut SmallRng) -> Ar1 {
        debug_assert!((0.0..1.0).contains(&phi));
        Ar1 { phi, innovation: (1.0 - phi * phi).sqrt(), state: gauss(rng) }
    }

    /// Advances one step and returns the new value.
    pub(super) fn step(&mut self, rng: &mut SmallRng) -> f64 {
        self.state = self.phi * self.state + self.innovation * gauss(rng);
        self.state
    }
}

/// Linear envelope: `(age + 1) / steps`, reaching 1 after `steps` samples and staying there.
pub(super) fn ramp(age: u64, steps: u64) -> f64 {
    ((age + 1) as f64 / steps.max(1) as f64).min(1.0)
}

/// First-order envelope: `1 − exp(−(age + 1) / tau)`, a thermal lag with time constant `tau`.
pub(super) fn rise(age: u64, tau: f64) -> f64 {
    1.0 - (-((age + 1) as f64) / tau).exp()
}

/// Envelope of an optional fault tick: the envelope of `tick` when it is the fault `fault`, else 0.
pub(super) fn envelope(tick: Option<super::Tick>, fault: usize, shape: impl Fn(u64) -> f64) -> f64 {
    match tick {
        Some(t) if t.fault == fault => shape(t.age),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ar1_has_unit_variance_and_the_given_autocorrelation() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut x = Ar1::new(0.9, &mut rng);
        let xs: Vec<f64> = (0..50_000).map(|_| x.step(&mut rng)).collect();
        assert!(crate::stats::mean(&xs).abs() < 0.1);
        assert!((crate::stats::std(&xs) - 1.0).abs() < 0.05);
        assert!((crate::stats::lag1_autocorrelation(&xs) - 0.9).abs() < 0.02);
    }

    #[test]
    fn envelopes_start_small_and_saturate() {
        assert_eq!(ramp(0, 4), 0.25);
        assert_eq!(ramp(3, 4), 1.0);
        assert_eq!(ramp(100, 4), 1.0);
        assert!(rise(0, 10.0) > 0.09 && rise(0, 10.0) < 0.1);
        assert!(rise(100, 10.0) > 0.9999);
    }
}
