//! The log sink: one line per alarm transition, for operators who tail a console or a journal.

use std::io::Write;

use faultline_types::AlarmKind;

use crate::{AlarmEvent, Sink, SinkError};

/// Writes `alarm <id> <action> <from> -> <to> (<actor>) on <asset>: <top contributors>` lines;
/// for a silence alarm the channels come after `no data: ` (each with how many of its limits it
/// has been silent).
pub struct LogSink<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> LogSink<W> {
    /// A log sink writing to `out` (standard output in `serve`).
    pub fn new(out: W) -> Self {
        LogSink { out }
    }
}

impl<W: Write + Send> Sink for LogSink<W> {
    fn alarm(&mut self, event: &AlarmEvent<'_>) -> Result<(), SinkError> {
        let alarm = event.alarm;
        let top: Vec<String> =
            alarm.contributors.iter().map(|c| format!("{} {:.1}", c.channel, c.value)).collect();
        let what = match alarm.kind {
            AlarmKind::Process => "",
            AlarmKind::Silence => "no data: ",
        };
        writeln!(
            self.out,
            "alarm {} {} {} -> {} ({}) on {}: {what}{}",
            alarm.id,
            event.action,
            event.from.as_str(),
            event.to.as_str(),
            event.actor,
            alarm.asset,
            top.join(", ")
        )
        .and_then(|()| self.out.flush())
        .map_err(|e| SinkError { sink: "log", message: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use faultline_types::{Alarm, AlarmState, Contributor, Priority, Timestamp};

    use super::*;

    #[test]
    fn one_line_per_transition_with_contributors() {
        let alarm = Alarm {
            id: 7,
            asset: "etch01".into(),
            state: AlarmState::UnackedActive,
            priority: Priority::High,
            raised_at: Timestamp(0),
            cleared_at: None,
            contributors: vec![Contributor { channel: "rf_reflected_power".into(), value: 9.34 }],
            fault_class: None,
            peak: 10.0,
            shelved_until: None,
            kind: AlarmKind::Process,
        };
        let mut sink = LogSink::new(Vec::new());
        let event = AlarmEvent {
            alarm: &alarm,
            from: AlarmState::Normal,
            to: AlarmState::UnackedActive,
            action: "raise",
            actor: "engine",
        };
        sink.alarm(&event).unwrap();
        let text = String::from_utf8(sink.out).unwrap();
        assert_eq!(
            text,
            "alarm 7 raise normal -> unacked_active (engine) on etch01: rf_reflected_power 9.3\n"
        );
        let silence = Alarm {
            kind: AlarmKind::Silence,
            contributors: vec![Contributor { channel: "chamber_pressure".into(), value: 1.25 }],
            ..alarm.clone()
        };
        let mut sink = LogSink::new(Vec::new());
        sink.alarm(&AlarmEvent { alarm: &silence, ..event }).unwrap();
        let text = String::from_utf8(sink.out).unwrap();
        assert!(text.ends_with("on etch01: no data: chamber_pressure 1.2\n"), "{text}");
    }
}
