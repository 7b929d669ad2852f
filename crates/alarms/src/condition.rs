//! The alarm condition of one asset: turns a stream of scored samples into two edges, raise
//! and return, through the persistence filter, the on/off delays and the deadband.
//!
//! Each direction is a count filter on samples followed by a delay in data time on the filter's
//! output (ISA-18.2 alarm filtering and on/off delays):
//! - raise: at least `n` of the last `m` samples out of control, held for `on_delay_ns`, and
//!   the raising sample is itself out of control;
//! - return: `clear_after` consecutive clear samples, held for `off_delay_ns`, where a sample is
//!   clear only when it is in control and its severity is below `1 - deadband` (hysteresis). A
//!   NaN severity is never clear.

use std::collections::VecDeque;

use faultline_types::Timestamp;

use crate::AlarmConfig;

/// An edge of the alarm condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// The condition became active.
    Raise,
    /// The condition cleared.
    Return,
}

/// The filter state of one asset's alarm condition.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Condition {
    /// Whether the condition is active (it raised and has not returned).
    active: bool,
    /// Out-of-control verdicts of the last `persistence_m` samples while clear; emptied on each
    /// edge so that a new raise needs fresh evidence.
    window: VecDeque<bool>,
    /// When the persistence filter started to hold (the on-delay runs from here).
    pending_since: Option<Timestamp>,
    /// Consecutive clear samples while active.
    clear_run: usize,
    /// When the clear filter started to hold (the off-delay runs from here).
    clearing_since: Option<Timestamp>,
}

impl Condition {
    /// A condition restored after a restart: filters empty, active as the stored alarm says.
    pub(crate) fn restored(active: bool) -> Self {
        Condition { active, ..Condition::default() }
    }

    /// Whether the condition is active.
    pub(crate) fn is_active(&self) -> bool {
        self.active
    }

    /// Feeds one scored sample; returns the edge it causes, if any.
    pub(crate) fn step(
        &mut self,
        config: &AlarmConfig,
        ts: Timestamp,
        severity: f64,
        out_of_control: bool,
    ) -> Option<Edge> {
        if self.active {
            self.step_active(config, ts, severity, out_of_control)
        } else {
            self.step_clear(config, ts, out_of_control)
        }
    }

    fn step_clear(
        &mut self,
        config: &AlarmConfig,
        ts: Timestamp,
        out_of_control: bool,
    ) -> Option<Edge> {
        self.window.push_back(out_of_control);
        while self.window.len() > config.persistence_m {
            self.window.pop_front();
        }
        let outs = self.window.iter().filter(|&&out| out).count();
        if outs < config.persistence_n {
            self.pending_since = None;
            return None;
        }
        let since = *self.pending_since.get_or_insert(ts);
        if !out_of_control || ts.nanos_since(since) < config.on_delay_ns {
            return None;
        }
        *self = Condition::restored(true);
        Some(Edge::Raise)
    }

    fn step_active(
        &mut self,
        config: &AlarmConfig,
        ts: Timestamp,
        severity: f64,
        out_of_control: bool,
    ) -> Option<Edge> {
        let clear = !out_of_control && severity < 1.0 - config.deadband;
        if !clear {
            self.clear_run = 0;
            self.clearing_since = None;
            return None;
        }
        self.clear_run = self.clear_run.saturating_add(1);
        if self.clear_run < config.clear_after {
            return None;
        }
        let since = *self.clearing_since.get_or_insert(ts);
        if ts.nanos_since(since) < config.off_delay_ns {
            return None;
        }
        *self = Condition::restored(false);
        Some(Edge::Return)
    }
}
