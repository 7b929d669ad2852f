//! `AlarmError`: why an operator action (acknowledge, shelve, unshelve) or a config was refused.
//! A refused action changes nothing.

use faultline_types::{AlarmState, Timestamp};

/// An operator action or a config the alarm engine refused. The engine's state is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlarmError {
    /// No alarm with this id was ever issued.
    #[error("alarm {0} does not exist: no alarm with this id was ever raised; check the id")]
    UnknownAlarm(u64),
    /// The action is not allowed from the alarm's current state (see the transition table).
    #[error(
        "alarm {id} is {}, so it cannot take the action `{action}`; reload the alarm and retry \
         with an action its state allows",
        .from.as_str()
    )]
    IllegalTransition {
        /// The alarm.
        id: u64,
        /// Its current state (`Normal` for an alarm that has closed).
        from: AlarmState,
        /// The refused action label (`ack`, `shelve`, `unshelve`).
        action: &'static str,
    },
    /// A shelf must end after it starts.
    #[error(
        "alarm {id} cannot be shelved until {} ns, which is not after the request time {} ns; \
         choose a later end",
        .until.as_nanos(),
        .at.as_nanos()
    )]
    ShelveInPast {
        /// The alarm.
        id: u64,
        /// The requested end of the shelf.
        until: Timestamp,
        /// When the request was made.
        at: Timestamp,
    },
    /// A config field is out of range ([`AlarmConfig::validate`](crate::AlarmConfig::validate)).
    #[error("alarm config field `{field}` {reason}; fix it in the config file")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
