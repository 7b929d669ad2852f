//! Control limits for T² and SPE, from training data only.
//!
//! Theoretical limits assume the standardised training data are multivariate normal:
//! - T² of a *new* observation, with `a` components fitted on `n` rows, follows
//!   `a (n−1)(n+1) / (n (n−a)) · F(a, n−a)` (Tracy, Young & Mason 1992; MacGregor & Kourti 1995).
//! - SPE follows the Jackson–Mudholkar (1979) approximation from the residual eigenvalues.
//!
//! Empirical limits are the `confidence` quantile of the statistic on the training rows (linear
//! interpolation between order statistics, numpy's default), for data that are not normal.

use statrs::distribution::{ContinuousCDF, FisherSnedecor, Normal};

use crate::FitError;

/// The T² limit at `confidence` for `components` components fitted on `rows` rows.
pub fn t2_theoretical(components: usize, rows: usize, confidence: f64) -> Result<f64, FitError> {
    if components == 0 || components >= rows {
        return Err(FitError::Components { requested: components, max: rows.saturating_sub(1) });
    }
    let (a, n) = (components as f64, rows as f64);
    let f = FisherSnedecor::new(a, n - a)
        .map_err(|e| FitError::Config(format!("F distribution: {e}")))?
        .inverse_cdf(confidence);
    Ok(a * (n - 1.0) * (n + 1.0) / (n * (n - a)) * f)
}

/// The Jackson–Mudholkar SPE limit at `confidence` from the eigenvalues of the residual
/// subspace (those not kept as components). Returns 0 when there is no residual variance.
pub fn spe_jackson_mudholkar(residual_eigenvalues: &[f64], confidence: f64) -> f64 {
    let theta = |power: i32| residual_eigenvalues.iter().map(|l| l.max(0.0).powi(power)).sum();
    let (t1, t2, t3): (f64, f64, f64) = (theta(1), theta(2), theta(3));
    if t1 <= 0.0 || t2 <= 0.0 {
        return 0.0;
    }
    let h0 = 1.0 - 2.0 * t1 * t3 / (3.0 * t2 * t2);
    let c = Normal::standard().inverse_cdf(confidence);
    let inner = c * (2.0 * t2 * h0 * h0).sqrt() / t1 + 1.0 + t2 * h0 * (h0 - 1.0) / (t1 * t1);
    t1 * inner.max(0.0).powf(1.0 / h0)
}

/// The `confidence` quantile of `values` with linear interpolation (numpy's default method).
/// Returns NaN for an empty slice.
pub fn empirical_quantile(values: &[f64], confidence: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = confidence.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let weight = position - below as f64;
    sorted[below] + weight * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t2_limit_matches_reference_value() {
        // F(0.99; 10, 490) = 2.3572 (checked with statrs and scipy); the limit for n = 500,
        // a = 10 is 10·499·501/(500·490)·F = 24.05.
        let limit = t2_theoretical(10, 500, 0.99).unwrap();
        assert!((limit - 24.05).abs() < 0.01, "{limit}");
    }

    #[test]
    fn t2_limit_rejects_too_many_components() {
        assert!(matches!(t2_theoretical(500, 500, 0.99), Err(FitError::Components { .. })));
    }

    #[test]
    fn spe_limit_grows_with_confidence_and_matches_chi_square_case() {
        let eig = [1.0, 0.5, 0.25, 0.1];
        let l95 = spe_jackson_mudholkar(&eig, 0.95);
        let l99 = spe_jackson_mudholkar(&eig, 0.99);
        assert!(l99 > l95 && l95 > 0.0);
        // Equal residual eigenvalues λ: SPE/λ ~ χ²(k), and Jackson–Mudholkar is the
        // Wilson–Hilferty approximation of it: χ²₀.₉₉(10) = 23.209.
        let flat = [1.0; 10];
        let limit = spe_jackson_mudholkar(&flat, 0.99);
        assert!((limit - 23.209).abs() < 0.1, "{limit}");
    }

    #[test]
    fn empirical_quantile_interpolates_like_numpy() {
        let v: Vec<f64> = (1..=5).map(f64::from).collect();
        assert_eq!(empirical_quantile(&v, 0.5), 3.0);
        assert!((empirical_quantile(&v, 0.99) - 4.96).abs() < 1e-12);
        assert!(empirical_quantile(&[], 0.99).is_nan());
    }
}
