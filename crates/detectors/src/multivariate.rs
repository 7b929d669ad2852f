//! Multivariate statistical monitoring: PCA and dynamic PCA with T², SPE and contributions.

mod config;
mod fit;
mod model;
mod score;

pub use config::{ComponentRule, LimitMethod, PcaConfig};
pub(crate) use fit::MAX_MAGNITUDE;
pub use model::{InvalidModel, Limits, PcaModel};
pub use score::{BatchStatistics, PcaScorer};

#[cfg(test)]
mod tests;
