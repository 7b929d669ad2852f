//! A tiny PCA monitor for the tests, standing in for faultline's real one (which this crate cannot
//! depend on): standardise, keep the components explaining 90 % of the variance, T² and SPE with
//! empirical 99 % limits, and an alarm when 3 of the last 5 samples are out of control.

use faultline_types::Recording;

/// Explained variance kept.
const VARIANCE: f64 = 0.90;
/// Confidence of the (empirical) control limits.
const CONFIDENCE: f64 = 0.99;

/// A fitted PCA monitor.
pub(super) struct Monitor {
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// Row-major `m × a`.
    loadings: Vec<f64>,
    eigenvalues: Vec<f64>,
    t2_limit: f64,
    spe_limit: f64,
}

impl Monitor {
    /// Fits on every row of `history`.
    pub(super) fn fit(history: &Recording) -> Monitor {
        let (m, n) = (history.channels(), history.rows());
        let mut mean = vec![0.0; m];
        for row in history.iter_rows() {
            mean.iter_mut().zip(row).for_each(|(mu, x)| *mu += x / n as f64);
        }
        let mut scale = vec![0.0; m];
        for row in history.iter_rows() {
            for ((s, x), mu) in scale.iter_mut().zip(row).zip(&mean) {
                *s += (x - mu) * (x - mu) / (n - 1) as f64;
            }
        }
        scale.iter_mut().for_each(|s| *s = s.sqrt().max(1e-12));

        let mut corr = vec![0.0; m * m];
        let mut z = vec![0.0; m];
        for row in history.iter_rows() {
            standardise(row, &mean, &scale, &mut z);
            for i in 0..m {
                for j in 0..m {
                    corr[i * m + j] += z[i] * z[j] / (n - 1) as f64;
                }
            }
        }
        let (values, vectors) = jacobi(corr, m);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let total: f64 = values.iter().sum();
        let mut kept = 0;
        let mut cumulative = 0.0;
        while kept < m && cumulative < VARIANCE * total {
            cumulative += values[order[kept]];
            kept += 1;
        }
        let mut loadings = vec![0.0; m * kept];
        for i in 0..m {
            for (k, &c) in order[..kept].iter().enumerate() {
                loadings[i * kept + k] = vectors[i * m + c];
            }
        }
        let eigenvalues = order[..kept].iter().map(|&c| values[c].max(1e-12)).collect();
        let mut monitor =
            Monitor { mean, scale, loadings, eigenvalues, t2_limit: 0.0, spe_limit: 0.0 };
        let (mut t2s, mut spes): (Vec<f64>, Vec<f64>) =
            history.iter_rows().map(|r| monitor.statistics(r)).unzip();
        monitor.t2_limit = quantile(&mut t2s, CONFIDENCE);
        monitor.spe_limit = quantile(&mut spes, CONFIDENCE);
        monitor
    }

    /// (T², SPE) of one row.
    pub(super) fn statistics(&self, row: &[f64]) -> (f64, f64) {
        let (m, a) = (self.mean.len(), self.eigenvalues.len());
        let mut z = vec![0.0; m];
        standardise(row, &self.mean, &self.scale, &mut z);
        let mut t2 = 0.0;
        let mut projected = 0.0;
        for k in 0..a {
            let t: f64 = (0..m).map(|i| z[i] * self.loadings[i * a + k]).sum();
            t2 += t * t / self.eigenvalues[k];
            projected += t * t;
        }
        let spe = (z.iter().map(|v| v * v).sum::<f64>() - projected).max(0.0);
        (t2, spe)
    }

    /// True when either statistic is over its limit.
    pub(super) fn out_of_control(&self, row: &[f64]) -> bool {
        let (t2, spe) = self.statistics(row);
        t2 > self.t2_limit || spe > self.spe_limit
    }
}

/// The 3-of-5 alarm rule over a stream of out-of-control flags.
#[derive(Default)]
pub(super) struct AlarmRule {
    recent: [bool; 5],
    next: usize,
}

impl AlarmRule {
    /// Adds one flag; true when at least 3 of the last 5 flags are set.
    pub(super) fn push(&mut self, out_of_control: bool) -> bool {
        self.recent[self.next] = out_of_control;
        self.next = (self.next + 1) % self.recent.len();
        self.recent.iter().filter(|&&f| f).count() >= 3
    }
}

fn standardise(row: &[f64], mean: &[f64], scale: &[f64], z: &mut [f64]) {
    for (((z, x), mu), s) in z.iter_mut().zip(row).zip(mean).zip(scale) {
        *z = (x - mu) / s;
    }
}

fn quantile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let index = ((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1;
    xs[index]
}

/// Eigen-decomposition of a symmetric `m × m` row-major matrix by cyclic Jacobi rotations:
/// (eigenvalues, eigenvectors as the columns of a row-major `m × m` matrix).
fn jacobi(mut a: Vec<f64>, m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; m * m];
    (0..m).for_each(|i| v[i * m + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (0..m).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|(i, j)| a[i * m + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                let apq = a[p * m + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * m + q] - a[p * m + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..m {
                    let (akp, akq) = (a[k * m + p], a[k * m + q]);
                    a[k * m + p] = c * akp - s * akq;
                    a[k * m + q] = s * akp + c * akq;
                }
                for k in 0..m {
                    let (apk, aqk) = (a[p * m + k], a[q * m + k]);
                    a[p * m + k] = c * apk - s * aqk;
                    a[q * m + k] = s * apk + c * aqk;
                }
                for k in 0..m {
                    let (vkp, vkq) = (v[k * m + p], v[k * m + q]);
                    v[k * m + p] = c * vkp - s * vkq;
                    v[k * m + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..m).map(|i| a[i * m + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises_a_symmetric_matrix() {
        let a = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let (values, vectors) = jacobi(a.clone(), 3);
        for c in 0..3 {
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[i * 3 + j] * vectors[j * 3 + c]).sum();
                assert!((av - values[c] * vectors[i * 3 + c]).abs() < 1e-9);
            }
        }
        assert!((values.iter().sum::<f64>() - 8.0).abs() < 1e-9);
    }
}
