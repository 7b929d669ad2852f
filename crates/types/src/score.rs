//! The outcome of scoring one frame: each monitoring statistic against its control limit, with
//! the share of every channel in it, and the combined verdict.

use serde::{Deserialize, Serialize};

/// Which monitoring statistic a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatisticKind {
    /// Hotelling's T² in the principal subspace: variation along normal directions, too large.
    T2,
    /// Squared prediction error (Q) in the residual subspace: a break of normal correlation.
    Spe,
}

impl StatisticKind {
    /// Stable lower-case label used in file headers (`t2`, `spe`).
    pub fn as_str(self) -> &'static str {
        match self {
            StatisticKind::T2 => "t2",
            StatisticKind::Spe => "spe",
        }
    }
}

/// One statistic of one scored frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistic {
    /// Which statistic.
    pub kind: StatisticKind,
    /// Its value for this frame.
    pub value: f64,
    /// Its control limit (from training data only).
    pub limit: f64,
    /// Per-channel contributions, one per schema channel, in schema order.
    pub contributions: Vec<f64>,
}

impl Statistic {
    /// True when the value exceeds its limit.
    pub fn exceeds(&self) -> bool {
        self.value > self.limit
    }
}

/// One channel's share in a statistic, for "which sensors moved" displays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    /// Channel index in the schema.
    pub channel: usize,
    /// Contribution in the statistic's units.
    pub value: f64,
}

/// Everything a detector says about one frame.
///
/// A `Score` is reused by streaming scorers (buffers are overwritten, not reallocated), so it is
/// built once per stream with [`Score::with_capacity`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// The statistics, in the detector's fixed order.
    pub statistics: Vec<Statistic>,
    /// The detector's combined verdict: true when the frame is out of control.
    pub alarm: bool,
    /// False while a detector that needs history (dynamic PCA) is still warming up; such a score
    /// carries zeros and never alarms.
    pub ready: bool,
}

impl Score {
    /// A score with room for the given statistics over `channels` channels.
    pub fn with_capacity(kinds: &[StatisticKind], channels: usize) -> Self {
        Score {
            statistics: kinds
                .iter()
                .map(|&kind| Statistic {
                    kind,
                    value: 0.0,
                    limit: f64::INFINITY,
                    contributions: vec![0.0; channels],
                })
                .collect(),
            alarm: false,
            ready: false,
        }
    }

    /// A statistic by kind.
    pub fn statistic(&self, kind: StatisticKind) -> Option<&Statistic> {
        self.statistics.iter().find(|s| s.kind == kind)
    }

    /// The `k` channels with the largest combined contribution, largest first. Each statistic's
    /// contributions are divided by its limit first, so T² and SPE weigh in the same currency
    /// ("how many limits' worth").
    pub fn top_contributors(&self, k: usize) -> Vec<Contribution> {
        let channels = self.statistics.first().map_or(0, |s| s.contributions.len());
        let mut combined: Vec<Contribution> = (0..channels)
            .map(|channel| Contribution {
                channel,
                value: self
                    .statistics
                    .iter()
                    .map(|s| s.contributions[channel] / s.limit.max(f64::MIN_POSITIVE))
                    .sum(),
            })
            .collect();
        combined.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.channel.cmp(&b.channel)));
        combined.truncate(k);
        combined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_contributors_weigh_statistics_by_their_limits() {
        let mut s = Score::with_capacity(&[StatisticKind::T2, StatisticKind::Spe], 3);
        s.statistics[0].limit = 10.0;
        s.statistics[0].contributions = vec![5.0, 0.0, 1.0];
        s.statistics[1].limit = 1.0;
        s.statistics[1].contributions = vec![0.0, 0.8, 0.0];
        let top = s.top_contributors(2);
        assert_eq!(top.iter().map(|c| c.channel).collect::<Vec<_>>(), vec![1, 0]);
        assert!((top[0].value - 0.8).abs() < 1e-12);
    }
}
