//! Why a detector could not be fitted.

/// A fitting failure. Each names what to change: more rows, fewer components, a channel to drop.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Fewer training rows than the method needs.
    #[error("{rows} training rows are too few: at least {needed} are needed")]
    TooFewRows {
        /// Rows available after lag embedding.
        rows: usize,
        /// Rows needed.
        needed: usize,
    },
    /// A channel does not vary in the training data, so it cannot be standardised.
    #[error("channel #{channel} is constant in the training data (value {value}); exclude it")]
    ConstantChannel {
        /// Index in the frame (for dynamic PCA, the original channel).
        channel: usize,
        /// Its constant value.
        value: f64,
    },
    /// A training value is NaN or infinite.
    #[error("training row {row}, channel #{channel} is not a finite number")]
    NonFinite {
        /// Row index (0-based) of the lag-embedded data.
        row: usize,
        /// Column index.
        channel: usize,
    },
    /// The requested number of components cannot be used.
    #[error("{requested} components requested, but 1..={max} are possible here")]
    Components {
        /// What was asked.
        requested: usize,
        /// The most that can be kept (one fewer than the frame width, and fewer than the rows).
        max: usize,
    },
    /// A training value is finite but so large that standardising or squaring it overflows (a
    /// sentinel such as `DBL_MAX` for "no reading", most likely).
    #[error(
        "training row {row}, channel #{channel} is {value:e}: too large to use (beyond ±{limit:e}); \
         is it a placeholder for a missing reading?"
    )]
    TooLarge {
        /// Row index (0-based) of the lag-embedded data.
        row: usize,
        /// Column index.
        channel: usize,
        /// The value.
        value: f64,
        /// The largest magnitude accepted.
        limit: f64,
    },
    /// The training channels leave too little independent variation for the model: some are
    /// (almost) exact linear combinations of others, or there are too few rows for the width.
    #[error(
        "the training data has {rank} independent direction(s) among {width} inputs (over \
         {rows} rows), so {wanted} component(s) leave nothing for SPE to measure: drop duplicate \
         or derived channels (a copy, a sum of others), add rows, or keep fewer components"
    )]
    Degenerate {
        /// Directions with variance (numerical rank of the training correlation matrix).
        rank: usize,
        /// Inputs (channels × (lags + 1)).
        width: usize,
        /// Training rows.
        rows: usize,
        /// Components the rule asked for.
        wanted: usize,
    },
    /// A configuration value is out of range.
    #[error("{0}")]
    Config(String),
    /// The fit ran but its result would not pass the checks a loaded model must pass (a
    /// training set without variation in the rows that set the limit, most likely).
    #[error("the fitted model is not usable: {0}")]
    Unusable(String),
    /// The eigen-decomposition did not converge.
    #[error("eigen-decomposition of the training covariance failed to converge")]
    Decomposition,
}
