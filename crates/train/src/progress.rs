//! Progress reporting by callback, so long work shows a bar on a terminal without this crate
//! knowing about terminals.

/// Receives progress of long work. The command line implements it with a progress bar.
pub trait Progress {
    /// A new phase of `total` steps begins.
    fn start(&self, message: &str, total: u64);
    /// `steps` more steps are done.
    fn advance(&self, steps: u64);
    /// The phase is over.
    fn finish(&self);
}

/// Ignores progress: for tests and piped output.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _message: &str, _total: u64) {}
    fn advance(&self, _steps: u64) {}
    fn finish(&self) {}
}
