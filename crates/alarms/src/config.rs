//! `AlarmConfig`: the knobs of the alarm lifecycle (persistence, delays, deadband, priority,
//! flood control), with ISA-18.2-minded defaults, validation for config files, and the
//! normalisation the engine applies so that it never panics on a bad value.

use serde::{Deserialize, Serialize};

use crate::AlarmError;

/// Severity at or above which an alarm is at least [`Priority::Medium`](faultline_types::Priority).
pub const MEDIUM_PRIORITY_SEVERITY: f64 = 1.5;

/// How raw out-of-control verdicts become alarms. Every duration is data time in nanoseconds.
///
/// A config file names only the fields it changes (`#[serde(default)]`); an unknown field is an
/// error, so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmConfig {
    /// Raise only when at least `persistence_n` of the last `persistence_m` samples are out of
    /// control (default 3 of 5).
    pub persistence_n: usize,
    /// The persistence window, in samples (default 5).
    pub persistence_m: usize,
    /// The persistence filter must have held this long (data time) before the alarm is raised
    /// (ISA-18.2 on-delay; default 0).
    pub on_delay_ns: i64,
    /// The clear filter must have held this long before the alarm returns (off-delay; default 0).
    pub off_delay_ns: i64,
    /// Consecutive clear samples needed before the alarm returns (default 5).
    pub clear_after: usize,
    /// Hysteresis: while the condition is active, a sample counts as clear only when it is in
    /// control and its severity is below `1 - deadband` (default 0.1).
    pub deadband: f64,
    /// Severity (multiples of the control limit) at or above which an alarm is
    /// [`Priority::High`](faultline_types::Priority) (default 3.0); from
    /// [`MEDIUM_PRIORITY_SEVERITY`] it is `Medium`, below that `Low`.
    pub high_priority_severity: f64,
    /// At most this many alarms are annunciated per asset per flood window; later ones are
    /// raised `Suppressed` (default 5).
    pub flood_per_asset: usize,
    /// At most this many alarms are annunciated per site per flood window (default 20).
    pub flood_per_site: usize,
    /// The sliding flood window (default 10 minutes).
    pub flood_window_ns: i64,
}

impl Default for AlarmConfig {
    fn default() -> Self {
        AlarmConfig {
            persistence_n: 3,
            persistence_m: 5,
            on_delay_ns: 0,
            off_delay_ns: 0,
            clear_after: 5,
            deadband: 0.1,
            high_priority_severity: 3.0,
            flood_per_asset: 5,
            flood_per_site: 20,
            flood_window_ns: 10 * 60 * 1_000_000_000,
        }
    }
}

impl AlarmConfig {
    /// Checks every field; config loading calls this and reports the error to the user.
    ///
    /// Rules: `1 <= persistence_n <= persistence_m`, `clear_after >= 1`, delays and the flood
    /// window are not negative, `deadband` is in `[0, 1)`, `high_priority_severity` is finite.
    pub fn validate(&self) -> Result<(), AlarmError> {
        let invalid = |field: &'static str, reason: &str| {
            Err(AlarmError::InvalidConfig { field, reason: reason.to_owned() })
        };
        if self.persistence_m == 0 {
            return invalid("persistence_m", "must be at least 1 sample");
        }
        if self.persistence_n == 0 || self.persistence_n > self.persistence_m {
            return invalid("persistence_n", "must be between 1 and persistence_m");
        }
        if self.clear_after == 0 {
            return invalid("clear_after", "must be at least 1 sample");
        }
        for (field, value) in [
            ("on_delay_ns", self.on_delay_ns),
            ("off_delay_ns", self.off_delay_ns),
            ("flood_window_ns", self.flood_window_ns),
        ] {
            if value < 0 {
                return invalid(field, "must not be negative");
            }
        }
        if !(0.0..1.0).contains(&self.deadband) {
            return invalid("deadband", "must be at least 0 and below 1");
        }
        if !self.high_priority_severity.is_finite() {
            return invalid("high_priority_severity", "must be a finite number");
        }
        Ok(())
    }

    /// The config the engine runs with: each invalid field replaced by the nearest valid value
    /// (a NaN or out-of-range `deadband` or priority threshold by its default), so that the
    /// engine never panics. A valid config comes back unchanged.
    pub fn normalized(&self) -> AlarmConfig {
        let defaults = AlarmConfig::default();
        let persistence_m = self.persistence_m.max(1);
        AlarmConfig {
            persistence_n: self.persistence_n.clamp(1, persistence_m),
            persistence_m,
            on_delay_ns: self.on_delay_ns.max(0),
            off_delay_ns: self.off_delay_ns.max(0),
            clear_after: self.clear_after.max(1),
            deadband: if (0.0..1.0).contains(&self.deadband) {
                self.deadband
            } else {
                defaults.deadband
            },
            high_priority_severity: if self.high_priority_severity.is_finite() {
                self.high_priority_severity
            } else {
                defaults.high_priority_severity
            },
            flood_per_asset: self.flood_per_asset,
            flood_per_site: self.flood_per_site,
            flood_window_ns: self.flood_window_ns.max(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_normalize_to_themselves() {
        let config = AlarmConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.normalized(), config);
        assert_eq!(config.flood_window_ns, 600_000_000_000);
    }

    #[test]
    fn invalid_fields_are_named_and_normalized() {
        let config = AlarmConfig {
            persistence_n: 7,
            persistence_m: 0,
            clear_after: 0,
            deadband: f64::NAN,
            on_delay_ns: -5,
            ..AlarmConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(AlarmError::InvalidConfig { field: "persistence_m", .. })
        ));
        let fixed = config.normalized();
        assert_eq!((fixed.persistence_n, fixed.persistence_m, fixed.clear_after), (1, 1, 1));
        assert_eq!((fixed.deadband, fixed.on_delay_ns), (0.1, 0));
        assert_eq!(fixed.validate(), Ok(()));
        let negative = AlarmConfig { off_delay_ns: -1, ..AlarmConfig::default() };
        assert!(matches!(
            negative.validate(),
            Err(AlarmError::InvalidConfig { field: "off_delay_ns", .. })
        ));
    }
}
