//! The HSMS timers (SEMI E37 §10.2) and the linktest interval, with the standard's defaults.

use std::fmt;
use std::time::Duration;

/// The timers of one HSMS connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T3, reply timeout: how long a request waits for its reply. Default 45 s.
    pub t3: Duration,
    /// T5, connect separation: the least time between two connection attempts. Default 10 s.
    pub t5: Duration,
    /// T6, control transaction: how long select, deselect and linktest wait for their
    /// response; on expiry the connection is dropped. Default 5 s.
    pub t6: Duration,
    /// T7, not selected: how long a passive host waits for `Select.req` after the TCP
    /// connection opens. Default 10 s.
    pub t7: Duration,
    /// T8, network intercharacter: the longest pause between two bytes of one message; on
    /// expiry the connection is dropped. Default 5 s.
    pub t8: Duration,
    /// Interval of `Linktest.req` while selected (`None`: no linktest). Default 30 s.
    pub linktest: Option<Duration>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t3: Duration::from_secs(45),
            t5: Duration::from_secs(10),
            t6: Duration::from_secs(5),
            t7: Duration::from_secs(10),
            t8: Duration::from_secs(5),
            linktest: Some(Duration::from_secs(30)),
        }
    }
}

/// Which timer expired, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Reply timeout.
    T3,
    /// Connect separation (never an error; listed for completeness).
    T5,
    /// Control transaction timeout.
    T6,
    /// Not-selected timeout.
    T7,
    /// Network intercharacter timeout.
    T8,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::T3 => "T3 (reply timeout)",
            Timer::T5 => "T5 (connect separation)",
            Timer::T6 => "T6 (control transaction timeout)",
            Timer::T7 => "T7 (not selected timeout)",
            Timer::T8 => "T8 (network intercharacter timeout)",
        })
    }
}
