//! The ISA-18.2 transition table: the one source of truth for which state changes are legal.
//!
//! The engine never writes a state by hand. It asks [`next_state`] where an action leads, and
//! [`is_legal`] answers from the same [`TABLE`], so an update the engine emits is legal by
//! construction and the property test checks it again from the outside.

use faultline_types::AlarmState::{self, *};

/// What happened to an alarm. Its [`Action::as_str`] label is the `action` of an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The condition became active (a new alarm, or a re-alarm of an unacked-returned one).
    Raise,
    /// The condition cleared.
    Return,
    /// An operator acknowledged the alarm.
    Ack,
    /// An operator shelved the alarm.
    Shelve,
    /// An operator took the alarm off the shelf.
    Unshelve,
    /// The shelf's deadline passed (seen by `tick`).
    ShelveExpired,
    /// Flood control raised a new alarm hidden.
    Suppress,
    /// The flood ended while a suppressed alarm's condition is still active: it is annunciated.
    Release,
    /// The record changed without a state change (new peak, or the condition moved while shelved).
    Update,
}

impl Action {
    /// The label carried by [`AlarmUpdate::action`](crate::AlarmUpdate::action).
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Action::Raise => "raise",
            Action::Return => "return",
            Action::Ack => "ack",
            Action::Shelve => "shelve",
            Action::Unshelve => "unshelve",
            Action::ShelveExpired => "shelve_expired",
            Action::Suppress => "suppress",
            Action::Release => "release",
            Action::Update => "update",
        }
    }
}

/// When a row applies, beyond its `from` state and action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// Always.
    Any,
    /// Only while the asset's alarm condition is active.
    Active,
    /// Only while the asset's alarm condition is clear.
    Clear,
}

impl Guard {
    const fn admits(self, condition_active: bool) -> bool {
        match self {
            Guard::Any => true,
            Guard::Active => condition_active,
            Guard::Clear => !condition_active,
        }
    }
}

/// Every legal transition: `(from, action, guard, to)`. A `(from, action)` pair that is not here
/// is an illegal transition.
pub(crate) const TABLE: &[(AlarmState, Action, Guard, AlarmState)] = &[
    (Normal, Action::Raise, Guard::Any, UnackedActive),
    (Normal, Action::Suppress, Guard::Any, Suppressed),
    (UnackedActive, Action::Ack, Guard::Any, AckedActive),
    (UnackedActive, Action::Return, Guard::Any, UnackedReturned),
    (AckedActive, Action::Return, Guard::Any, Normal),
    (UnackedReturned, Action::Ack, Guard::Any, Normal),
    (UnackedReturned, Action::Raise, Guard::Any, UnackedActive),
    (UnackedActive, Action::Shelve, Guard::Any, Shelved),
    (AckedActive, Action::Shelve, Guard::Any, Shelved),
    (UnackedReturned, Action::Shelve, Guard::Any, Shelved),
    (Shelved, Action::Unshelve, Guard::Active, UnackedActive),
    (Shelved, Action::Unshelve, Guard::Clear, Normal),
    (Shelved, Action::ShelveExpired, Guard::Active, UnackedActive),
    (Shelved, Action::ShelveExpired, Guard::Clear, Normal),
    (Suppressed, Action::Return, Guard::Any, Normal),
    (Suppressed, Action::Release, Guard::Active, UnackedActive),
    (UnackedActive, Action::Update, Guard::Any, UnackedActive),
    (AckedActive, Action::Update, Guard::Any, AckedActive),
    (Shelved, Action::Update, Guard::Any, Shelved),
    (Suppressed, Action::Update, Guard::Any, Suppressed),
];

/// Whether `from → to` by `action` is a legal ISA-18.2 transition of faultline's alarm
/// lifecycle. `action` is one of the labels of [`AlarmUpdate::action`](crate::AlarmUpdate):
/// an unknown label is never legal. The table is in the crate documentation.
pub fn is_legal(from: AlarmState, to: AlarmState, action: &str) -> bool {
    TABLE.iter().any(|&(f, a, _, t)| f == from && t == to && a.as_str() == action)
}

/// Where `action` takes an alarm in state `from`, given whether its condition is active; `None`
/// when the transition is illegal.
pub(crate) fn next_state(
    from: AlarmState,
    action: Action,
    condition_active: bool,
) -> Option<AlarmState> {
    TABLE
        .iter()
        .find(|&&(f, a, guard, _)| f == from && a == action && guard.admits(condition_active))
        .map(|&(_, _, _, to)| to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [AlarmState; 6] =
        [Normal, UnackedActive, AckedActive, UnackedReturned, Shelved, Suppressed];
    const ACTIONS: [Action; 9] = [
        Action::Raise,
        Action::Return,
        Action::Ack,
        Action::Shelve,
        Action::Unshelve,
        Action::ShelveExpired,
        Action::Suppress,
        Action::Release,
        Action::Update,
    ];

    #[test]
    fn every_row_is_legal_and_reachable_by_next_state() {
        for &(from, action, guard, to) in TABLE {
            assert!(is_legal(from, to, action.as_str()));
            let active = guard != Guard::Clear;
            assert_eq!(next_state(from, action, active), Some(to), "{from:?} {action:?}");
        }
    }

    #[test]
    fn next_state_is_a_function_of_state_action_and_condition() {
        for from in STATES {
            for action in ACTIONS {
                for active in [false, true] {
                    let rows = TABLE
                        .iter()
                        .filter(|&&(f, a, g, _)| f == from && a == action && g.admits(active))
                        .count();
                    assert!(rows <= 1, "{from:?} {action:?} active={active}: {rows} rows");
                }
            }
        }
    }

    #[test]
    fn the_rules_from_the_brief() {
        assert!(is_legal(Normal, UnackedActive, "raise"));
        assert!(is_legal(UnackedActive, AckedActive, "ack"));
        assert!(is_legal(UnackedActive, UnackedReturned, "return"));
        assert!(is_legal(AckedActive, Normal, "return"));
        assert!(is_legal(UnackedReturned, Normal, "ack"));
        assert!(is_legal(UnackedReturned, UnackedActive, "raise"));
        assert!(is_legal(Shelved, UnackedActive, "shelve_expired"));
        assert!(is_legal(Normal, Suppressed, "suppress"));
        assert!(is_legal(Suppressed, Normal, "return"));
        assert!(is_legal(Suppressed, UnackedActive, "release"));
        assert!(!is_legal(Normal, AckedActive, "ack"));
        assert!(!is_legal(Normal, Shelved, "shelve"));
        assert!(!is_legal(AckedActive, AckedActive, "ack"));
        assert!(!is_legal(UnackedActive, Normal, "return"));
        assert!(!is_legal(Normal, Normal, "update"));
        assert!(!is_legal(UnackedActive, AckedActive, "acknowledge"));
    }

    #[test]
    fn labels_are_distinct() {
        for (i, a) in ACTIONS.iter().enumerate() {
            for b in &ACTIONS[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }
}
