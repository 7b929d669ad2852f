//! Flood control: at most `flood_per_asset` alarms annunciated per asset and `flood_per_site`
//! per site in any sliding flood window; beyond that, new alarms are raised `Suppressed`.
//!
//! Only annunciated raises are counted, so in every window of `flood_window_ns` (data time) an
//! operator sees at most the configured number of new alarms per asset and per site, and
//! annunciation resumes as soon as old raises slide out of the window. Each counter holds at most
//! its limit of timestamps, so memory is bounded by the number of assets and sites. Windows are
//! pruned in data time, when a raise is judged; never by the wall clock, which data stamped
//! long ago (a back-fill) would always be behind.

use std::collections::{BTreeMap, VecDeque};

use faultline_types::Timestamp;

use crate::AlarmConfig;

/// Recent annunciated raises per asset and per site.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Flood {
    per_asset: BTreeMap<String, VecDeque<Timestamp>>,
    per_site: BTreeMap<String, VecDeque<Timestamp>>,
}

impl Flood {
    /// Whether a new alarm on `asset` at `site` raised at `ts` may be annunciated; if so, it is
    /// counted. `false` means it must be raised suppressed.
    pub(crate) fn admit(
        &mut self,
        config: &AlarmConfig,
        asset: &str,
        site: &str,
        ts: Timestamp,
    ) -> bool {
        let window = config.flood_window_ns;
        let asset_full = recent(&mut self.per_asset, asset, ts, window) >= config.flood_per_asset;
        let site_full = recent(&mut self.per_site, site, ts, window) >= config.flood_per_site;
        if asset_full || site_full {
            return false;
        }
        for (map, key) in [(&mut self.per_asset, asset), (&mut self.per_site, site)] {
            map.entry(key.to_owned()).or_default().push_back(ts);
        }
        true
    }
}

/// How many raises under `key` are still inside the window that ends at `ts`, after forgetting
/// the older ones. A raise stamped later than `ts` (data from another asset ran ahead) counts.
fn recent(
    map: &mut BTreeMap<String, VecDeque<Timestamp>>,
    key: &str,
    ts: Timestamp,
    window: i64,
) -> usize {
    map.get_mut(key).map_or(0, |times| {
        forget_old(times, ts, window);
        times.len()
    })
}

fn forget_old(times: &mut VecDeque<Timestamp>, now: Timestamp, window: i64) {
    times.retain(|&t| now.nanos_since(t) < window);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_asset: usize, per_site: usize) -> AlarmConfig {
        AlarmConfig {
            flood_per_asset: per_asset,
            flood_per_site: per_site,
            flood_window_ns: 100,
            ..AlarmConfig::default()
        }
    }

    #[test]
    fn admits_up_to_the_limit_per_window_then_again_when_raises_slide_out() {
        let config = config(2, 10);
        let mut flood = Flood::default();
        assert!(flood.admit(&config, "a", "s", Timestamp(0)));
        assert!(flood.admit(&config, "a", "s", Timestamp(10)));
        assert!(!flood.admit(&config, "a", "s", Timestamp(99)));
        assert!(flood.admit(&config, "b", "s", Timestamp(99)), "another asset has its own count");
        assert!(flood.admit(&config, "a", "s", Timestamp(100)), "the raise at 0 slid out");
        assert!(!flood.admit(&config, "a", "s", Timestamp(109)));
    }

    #[test]
    fn the_site_limit_spans_assets() {
        let config = config(10, 2);
        let mut flood = Flood::default();
        assert!(flood.admit(&config, "a", "s", Timestamp(0)));
        assert!(flood.admit(&config, "b", "s", Timestamp(1)));
        assert!(!flood.admit(&config, "c", "s", Timestamp(2)));
        assert!(flood.admit(&config, "c", "t", Timestamp(2)), "another site has its own count");
    }
}
