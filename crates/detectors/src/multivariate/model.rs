//! The fitted PCA / dynamic PCA monitor: plain data, serialisable into a model artifact.

use serde::{Deserialize, Serialize};

use super::{LimitMethod, PcaConfig};

/// A fitted model's parameters contradict each other (a damaged or hand-edited artifact).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("model parameters are inconsistent: {0}")]
pub struct InvalidModel(pub String);

/// Both kinds of limit for one statistic, so a model can switch between them without a refit
/// and reports can show both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// From the statistic's distribution.
    pub theoretical: f64,
    /// From the training rows.
    pub empirical: f64,
}

impl Limits {
    /// The limit of the given kind.
    pub fn get(&self, method: LimitMethod) -> f64 {
        match method {
            LimitMethod::Theoretical => self.theoretical,
            LimitMethod::Empirical => self.empirical,
        }
    }
}

/// A fitted PCA (lags = 0) or dynamic PCA (lags > 0) monitor.
///
/// Frames of `channels` values are lag-embedded into `width() = channels × (lags + 1)` values
/// (newest first: `[x_t, x_{t−1}, …, x_{t−L}]`, see `faultline_frames::LagWindow`), standardised
/// with the training mean and standard deviation, and projected on the `components` leading
/// eigenvectors of the training correlation matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaModel {
    /// The configuration it was fitted with.
    pub config: PcaConfig,
    /// Channels of one frame (before lag embedding).
    pub channels: usize,
    /// Training rows after lag embedding.
    pub training_rows: usize,
    /// Mean of each embedded column on the training rows.
    pub mean: Vec<f64>,
    /// Standard deviation (n − 1) of each embedded column on the training rows.
    pub scale: Vec<f64>,
    /// Number of principal components kept (`a`).
    pub components: usize,
    /// Loadings `P`, `width() × components`, row-major: row `j` holds column `j`'s loadings.
    pub loadings: Vec<f64>,
    /// Every eigenvalue of the training correlation matrix, largest first.
    pub eigenvalues: Vec<f64>,
    /// T² limits.
    pub t2_limits: Limits,
    /// SPE limits.
    pub spe_limits: Limits,
}

impl PcaModel {
    /// Width of an embedded frame: `channels × (lags + 1)`.
    pub fn width(&self) -> usize {
        self.channels * (self.config.lags + 1)
    }

    /// Number of lags (0 for static PCA).
    pub fn lags(&self) -> usize {
        self.config.lags
    }

    /// The active T² limit.
    pub fn t2_limit(&self) -> f64 {
        self.t2_limits.get(self.config.limit)
    }

    /// The active SPE limit.
    pub fn spe_limit(&self) -> f64 {
        self.spe_limits.get(self.config.limit)
    }

    /// Share of the training variance explained by the kept components.
    pub fn explained_variance(&self) -> f64 {
        let total: f64 = self.eigenvalues.iter().sum();
        let kept: f64 = self.eigenvalues[..self.components].iter().sum();
        if total > 0.0 { kept / total } else { 0.0 }
    }

    /// The same model alarming on the other kind of limit.
    pub fn with_limit(&self, limit: LimitMethod) -> PcaModel {
        let mut model = self.clone();
        model.config.limit = limit;
        model
    }

    /// Checks internal consistency (lengths, finite values), as a loaded artifact must pass
    /// before it is trusted. Names the first problem.
    pub fn check(&self) -> Result<(), InvalidModel> {
        let w = self.width();
        let a = self.components;
        let lengths = [
            ("mean", self.mean.len(), w),
            ("scale", self.scale.len(), w),
            ("eigenvalues", self.eigenvalues.len(), w),
            ("loadings", self.loadings.len(), w * a),
        ];
        for (name, got, want) in lengths {
            if got != want {
                return Err(InvalidModel(format!("{name} has {got} values, expected {want}")));
            }
        }
        if a == 0 || a > w {
            return Err(InvalidModel(format!("{a} components for width {w}")));
        }
        let all = self.mean.iter().chain(&self.scale).chain(&self.loadings);
        if !all.chain(&self.eigenvalues).all(|v| v.is_finite()) {
            return Err(InvalidModel("non-finite parameter".into()));
        }
        if self.scale.iter().any(|&s| s <= 0.0) {
            return Err(InvalidModel("non-positive scale".into()));
        }
        Ok(())
    }
}
