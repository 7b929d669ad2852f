//! Fitting: standardise, decompose the correlation matrix, pick components, set limits.

use faer::{Mat, Side};

use super::score::BatchStatistics;
use super::{ComponentRule, Limits, PcaConfig, PcaModel};
use crate::{FitError, limits};

/// A column is constant when its standard deviation is this small relative to its magnitude:
/// standardising it would divide by (almost) zero and turn rounding noise into alarms.
const CONSTANT_RELATIVE_STD: f64 = 1e-12;

/// Largest training value magnitude: beyond it a variance or a squared score can overflow, and
/// no physical reading is that large (a `DBL_MAX` placeholder is).
pub(crate) const MAX_MAGNITUDE: f64 = 1e150;

/// An eigenvalue below this share of the total is no independent direction (rounding of an
/// exact linear combination, or rows fewer than the width).
const RANK_TOLERANCE: f64 = 1e-10;

impl PcaModel {
    /// Fits a monitor on training rows that are already lag-embedded (for `config.lags = 0`,
    /// plain frames). `data` is row-major with `channels × (config.lags + 1)` values per row.
    ///
    /// Everything — scaling, components and both kinds of limit — comes from these rows alone.
    pub fn fit(data: &[f64], channels: usize, config: PcaConfig) -> Result<PcaModel, FitError> {
        config.validate()?;
        let width = channels * (config.lags + 1);
        if width == 0 {
            return Err(FitError::Config("a model needs at least one channel".into()));
        }
        let rows = data.len() / width;
        if rows < 3 || !data.len().is_multiple_of(width) {
            return Err(FitError::TooFewRows { rows, needed: 3 });
        }
        check_finite(data, width)?;
        let (mean, scale) = column_moments(data, width, channels)?;
        let z = standardised(data, width, &mean, &scale);
        let covariance = z.transpose() * &z * (1.0 / (rows - 1) as f64);
        let (eigenvalues, vectors) = descending_eigen(&covariance)?;
        let wanted = choose_components(&eigenvalues, config.components, rows)?;
        let components = within_rank(&eigenvalues, wanted, config.components, rows)?;
        let loadings = loadings_row_major(&vectors, components);

        let mut model = PcaModel {
            config,
            channels,
            training_rows: rows,
            mean,
            scale,
            components,
            loadings,
            t2_limits: Limits { theoretical: 0.0, empirical: 0.0 },
            spe_limits: Limits { theoretical: 0.0, empirical: 0.0 },
            eigenvalues,
        };
        set_limits(&mut model, data)?;
        let limits = [model.t2_limits, model.spe_limits];
        if limits.iter().any(|l| !(l.theoretical > 0.0 && l.empirical > 0.0))
            || limits.iter().any(|l| !l.theoretical.is_finite() || !l.empirical.is_finite())
        {
            return Err(FitError::Config(format!(
                "the fitted limits are not usable (T² {:?}, SPE {:?}): the training data has too \
                 little variation left outside the model; drop redundant channels or add rows",
                model.t2_limits, model.spe_limits
            )));
        }
        Ok(model)
    }
}

fn check_finite(data: &[f64], width: usize) -> Result<(), FitError> {
    match data.iter().position(|v| !v.is_finite() || v.abs() > MAX_MAGNITUDE) {
        Some(i) if data[i].is_finite() => Err(FitError::TooLarge {
            row: i / width,
            channel: i % width,
            value: data[i],
            limit: MAX_MAGNITUDE,
        }),
        Some(i) => Err(FitError::NonFinite { row: i / width, channel: i % width }),
        None => Ok(()),
    }
}

/// The components to keep, so that every kept one has variance and at least one direction
/// with variance is left for SPE. Duplicated or derived channels (a copy, a sum of others) and
/// fewer rows than inputs leave directions without variance; a model that keeps every direction
/// with variance has an SPE limit of 0 and alarms on almost every row. A variance rule is held
/// to the rank; a fixed count beyond it is refused.
fn within_rank(
    eigenvalues: &[f64],
    wanted: usize,
    rule: ComponentRule,
    rows: usize,
) -> Result<usize, FitError> {
    let total: f64 = eigenvalues.iter().sum();
    let rank = eigenvalues.iter().filter(|&&l| l > RANK_TOLERANCE * total).count();
    let degenerate = || FitError::Degenerate { rank, width: eigenvalues.len(), rows, wanted };
    if wanted < rank {
        return Ok(wanted);
    }
    match rule {
        ComponentRule::Variance(_) if rank >= 2 => Ok(rank - 1),
        _ => Err(degenerate()),
    }
}

/// Column means and sample standard deviations (n − 1), rejecting constant columns.
fn column_moments(
    data: &[f64],
    width: usize,
    channels: usize,
) -> Result<(Vec<f64>, Vec<f64>), FitError> {
    let rows = (data.len() / width) as f64;
    let mut mean = vec![0.0; width];
    for row in data.chunks_exact(width) {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += x);
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut var = vec![0.0; width];
    for row in data.chunks_exact(width) {
        for ((v, x), m) in var.iter_mut().zip(row).zip(&mean) {
            *v += (x - m) * (x - m);
        }
    }
    let scale: Vec<f64> = var.iter().map(|v| (v / (rows - 1.0)).sqrt()).collect();
    for (j, (&s, &m)) in scale.iter().zip(&mean).enumerate() {
        if s <= CONSTANT_RELATIVE_STD * m.abs().max(1.0) {
            return Err(FitError::ConstantChannel { channel: j % channels, value: m });
        }
    }
    Ok((mean, scale))
}

fn standardised(data: &[f64], width: usize, mean: &[f64], scale: &[f64]) -> Mat<f64> {
    let rows = data.len() / width;
    Mat::from_fn(rows, width, |i, j| (data[i * width + j] - mean[j]) / scale[j])
}

/// Eigenvalues (clamped at 0: the correlation matrix is positive semi-definite, tiny negative
/// values are rounding) and eigenvectors, largest eigenvalue first.
fn descending_eigen(covariance: &Mat<f64>) -> Result<(Vec<f64>, Mat<f64>), FitError> {
    let evd = covariance.self_adjoint_eigen(Side::Lower).map_err(|_| FitError::Decomposition)?;
    let n = covariance.nrows();
    let ascending = evd.S().column_vector();
    let eigenvalues = (0..n).map(|k| ascending[n - 1 - k].max(0.0)).collect();
    let u = evd.U();
    // Reverse the column order and fix each vector's sign (largest entry positive) so that a
    // refit on the same data gives the same artifact bytes.
    let vectors = Mat::from_fn(n, n, |i, k| {
        let col = u.col(n - 1 - k);
        let pivot = (0..n).max_by(|&a, &b| col[a].abs().total_cmp(&col[b].abs())).unwrap_or(0);
        col[i] * col[pivot].signum()
    });
    Ok((eigenvalues, vectors))
}

fn choose_components(
    eigenvalues: &[f64],
    rule: ComponentRule,
    rows: usize,
) -> Result<usize, FitError> {
    let width = eigenvalues.len();
    // Keep at least one residual direction (so SPE means something) and fewer components than
    // rows (so the F limit exists).
    let max = (width.saturating_sub(1)).min(rows - 1).max(1);
    match rule {
        ComponentRule::Fixed(a) if a > max => Err(FitError::Components { requested: a, max }),
        ComponentRule::Fixed(a) => Ok(a),
        ComponentRule::Variance(fraction) => {
            let total: f64 = eigenvalues.iter().sum();
            let mut cumulative = 0.0;
            for (k, l) in eigenvalues.iter().enumerate() {
                cumulative += l;
                // The small tolerance keeps "exactly 90 %" on the side of fewer components.
                if cumulative >= fraction * total - 1e-12 * total {
                    return Ok((k + 1).min(max));
                }
            }
            Ok(max)
        }
    }
}

fn loadings_row_major(vectors: &Mat<f64>, components: usize) -> Vec<f64> {
    let width = vectors.nrows();
    let mut p = Vec::with_capacity(width * components);
    for j in 0..width {
        p.extend((0..components).map(|k| vectors[(j, k)]));
    }
    p
}

fn set_limits(model: &mut PcaModel, training: &[f64]) -> Result<(), FitError> {
    let confidence = model.config.confidence;
    let a = model.components;
    model.t2_limits.theoretical = limits::t2_theoretical(a, model.training_rows, confidence)?;
    model.spe_limits.theoretical =
        limits::spe_jackson_mudholkar(&model.eigenvalues[a..], confidence);
    let BatchStatistics { t2, spe } = model.score_batch(training);
    model.t2_limits.empirical = limits::empirical_quantile(&t2, confidence);
    model.spe_limits.empirical = limits::empirical_quantile(&spe, confidence);
    Ok(())
}
