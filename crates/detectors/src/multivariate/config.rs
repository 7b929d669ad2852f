//! How a PCA or dynamic PCA monitor is fitted.

use serde::{Deserialize, Serialize};

use crate::FitError;

/// How many principal components to keep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentRule {
    /// The fewest components whose cumulative explained variance reaches this fraction.
    Variance(f64),
    /// Exactly this many.
    Fixed(usize),
}

/// Which control limit raises alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitMethod {
    /// From distributions: F for T², Jackson–Mudholkar for SPE.
    Theoretical,
    /// The confidence quantile of each statistic on the training rows.
    Empirical,
}

impl LimitMethod {
    /// Stable label (`theoretical`, `empirical`), as used on the command line and in CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitMethod::Theoretical => "theoretical",
            LimitMethod::Empirical => "empirical",
        }
    }
}

/// Everything that decides a fit. Defaults follow the textbook: 90 % explained variance, 99 %
/// confidence, theoretical limits, no lags (static PCA).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PcaConfig {
    /// Component selection.
    pub components: ComponentRule,
    /// Confidence level of the control limits, in (0, 1).
    pub confidence: f64,
    /// Which limit alarms.
    pub limit: LimitMethod,
    /// Number of past frames appended to each frame (0 = static PCA, L > 0 = dynamic PCA).
    pub lags: usize,
}

impl Default for PcaConfig {
    fn default() -> Self {
        PcaConfig {
            components: ComponentRule::Variance(0.90),
            confidence: 0.99,
            limit: LimitMethod::Theoretical,
            lags: 0,
        }
    }
}

/// Highest confidence accepted: beyond it the quantiles of the theoretical limits lose all
/// precision.
const MAX_CONFIDENCE: f64 = 1.0 - 1e-9;

impl PcaConfig {
    /// Checks ranges, so a fit never starts with a configuration it cannot honour.
    pub fn validate(&self) -> Result<(), FitError> {
        // Below 0.5 a control limit sits under the median of normal operation (and the F and
        // normal quantiles behind the theoretical limits are out of range far below it).
        if !(0.5..=MAX_CONFIDENCE).contains(&self.confidence) {
            return Err(FitError::Config(format!(
                "confidence must be from 0.5 to {MAX_CONFIDENCE} (a share of normal rows inside \
                 the limit, such as 0.99), got {}",
                self.confidence
            )));
        }
        match self.components {
            ComponentRule::Variance(v) if !(v > 0.0 && v <= 1.0) => {
                Err(FitError::Config(format!("explained variance must be in (0, 1], got {v}")))
            }
            ComponentRule::Fixed(0) => {
                Err(FitError::Config("at least one component is needed".into()))
            }
            _ => Ok(()),
        }
    }
}
