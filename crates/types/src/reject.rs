//! Why a sample was not accepted. Every rejection is counted under one of these reasons, never
//! under free text, so counters stay bounded and dashboards can group them.

use serde::{Deserialize, Serialize};

/// The closed set of reasons a sample or value can be rejected or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The payload could not be decoded.
    Malformed,
    /// A value was NaN or infinite.
    NonFinite,
    /// The asset is not configured.
    UnknownAsset,
    /// The channel is not in the asset's schema.
    UnknownChannel,
    /// The timestamp is older than the newest accepted one.
    OutOfOrder,
    /// The timestamp was already accepted.
    Duplicate,
    /// The sample arrived later than the late-data policy allows.
    Stale,
    /// A queue was full and the sample could not be taken.
    Overload,
    /// The timestamp is further ahead of the server's clock than the configuration allows:
    /// accepted, it would make every real sample after it `out_of_order` until the clock
    /// caught up.
    Future,
}

impl RejectReason {
    /// Every reason, for exhaustive counters.
    pub const ALL: [RejectReason; 9] = [
        RejectReason::Malformed,
        RejectReason::NonFinite,
        RejectReason::UnknownAsset,
        RejectReason::UnknownChannel,
        RejectReason::OutOfOrder,
        RejectReason::Duplicate,
        RejectReason::Stale,
        RejectReason::Overload,
        RejectReason::Future,
    ];

    /// The stable snake_case label used in metrics and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed",
            RejectReason::NonFinite => "non_finite",
            RejectReason::UnknownAsset => "unknown_asset",
            RejectReason::UnknownChannel => "unknown_channel",
            RejectReason::OutOfOrder => "out_of_order",
            RejectReason::Duplicate => "duplicate",
            RejectReason::Stale => "stale",
            RejectReason::Overload => "overload",
            RejectReason::Future => "future",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_snake_case() {
        let mut labels: Vec<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        assert!(labels.iter().all(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), RejectReason::ALL.len());
    }
}
