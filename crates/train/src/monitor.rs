//! A monitor for a stream of raw frames: lag window (for dynamic PCA) plus PCA scorer.

use faultline_detectors::{PcaModel, PcaScorer};
use faultline_frames::LagWindow;
use faultline_types::{Recording, Score};

/// Scores raw frames (one value per schema channel) one at a time. For dynamic PCA the first
/// `lags` frames only warm the window up and give a score with `ready == false`.
#[derive(Debug, Clone)]
pub struct Monitor {
    window: LagWindow,
    scorer: PcaScorer,
}

impl Monitor {
    /// A monitor over a fitted model.
    pub fn new(model: &PcaModel) -> Self {
        Monitor { window: LagWindow::new(model.channels, model.lags()), scorer: model.scorer() }
    }

    /// A reusable score for [`Monitor::score`].
    pub fn new_score(&self) -> Score {
        self.scorer.new_score()
    }

    /// Scores the next frame into `out` without allocating.
    pub fn score(&mut self, frame: &[f64], out: &mut Score) {
        match self.window.push(frame) {
            Some(embedded) => self.scorer.score(embedded, out),
            None => {
                out.ready = false;
                out.alarm = false;
            }
        }
    }

    /// Share of a recording's scored rows that alarm, in %.
    pub fn alarm_rate(model: &PcaModel, recording: &Recording) -> f64 {
        let mut monitor = Monitor::new(model);
        let mut score = monitor.new_score();
        let (mut scored, mut alarms) = (0usize, 0usize);
        for row in recording.iter_rows() {
            monitor.score(row, &mut score);
            scored += usize::from(score.ready);
            alarms += usize::from(score.alarm);
        }
        if scored == 0 { 0.0 } else { 100.0 * alarms as f64 / scored as f64 }
    }
}
