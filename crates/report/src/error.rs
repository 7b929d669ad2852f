//! Why a report could not be made.

/// A report failed: a peers file is malformed, or a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A line of a peers CSV does not have the expected shape.
    #[error("{origin}:{line}: {message}")]
    Peers {
        /// The file, as the user named it.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The plotting library refused a chart (a bug here, not a data problem).
    #[error("drawing the chart `{chart}` failed: {message}")]
    Draw {
        /// The chart's title.
        chart: String,
        /// The library's message.
        message: String,
    },
}
