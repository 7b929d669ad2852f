//! Detectors: learn what normal looks like from history, then score frames against it.
//!
//! The core is multivariate statistical process monitoring: principal component analysis (PCA)
//! and dynamic PCA (PCA on lag-embedded frames), each with Hotelling's T² in the principal
//! subspace and the squared prediction error (SPE, Q) in the residual subspace, control limits
//! that are either theoretical (F distribution, Jackson–Mudholkar) or empirical (quantiles of the
//! training statistic), and per-channel contributions for every scored frame.
//!
//! A fitted model ([`PcaModel`]) is plain, serialisable data. Scoring comes in two forms that
//! give the same numbers (see the `batch_equals_streaming` test):
//! - [`PcaScorer`]: one frame in, one [`Score`](faultline_types::Score) out, with contributions,
//!   and no heap allocation per frame — the live path.
//! - [`PcaModel::score_batch`]: many rows at once through blocked matrix products — files and
//!   benchmarks.
//!
//! **Architecture Invariant:** no IO and no clock. Time arrives with the data, so a replay gives
//! exactly the live result. Matrix work (covariance, eigen-decomposition, products) goes through
//! `faer`; the only hand-written loops are element-wise.
#![deny(missing_docs)]

pub mod classify;
pub mod ensemble;
mod error;
pub mod limits;
pub mod multivariate;

pub use ensemble::{
    Calibration, DefaultConfig, DefaultModel, DefaultScorer, FrozenRule, MAX_AHEAD_RATIO,
};
pub use error::FitError;
pub use multivariate::{
    BatchStatistics, ComponentRule, InvalidModel, LimitMethod, Limits, PcaConfig, PcaModel,
    PcaScorer,
};
