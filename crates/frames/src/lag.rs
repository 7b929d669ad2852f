//! Lag embedding: each frame is extended with the `lags` frames before it, newest first
//! (`[x_t, x_{t−1}, …, x_{t−L}]`), so a static model can see dynamics (Ku, Storer & Georgakis
//! 1995, dynamic PCA).
//!
//! The first `lags` frames of a recording have no complete history and produce no embedded row:
//! a model needs `lags` frames of warm-up before it can score.

/// Embeds row-major `values` (`channels` per row): returns `rows − lags` rows of
/// `channels × (lags + 1)` values, row `i` being the embedding of input row `i + lags`.
pub fn lag_embed(values: &[f64], channels: usize, lags: usize) -> Vec<f64> {
    if channels == 0 {
        return Vec::new();
    }
    let rows = values.len() / channels;
    let width = channels * (lags + 1);
    let mut out = Vec::with_capacity(rows.saturating_sub(lags) * width);
    for t in lags..rows {
        for l in 0..=lags {
            out.extend_from_slice(&values[(t - l) * channels..(t - l + 1) * channels]);
        }
    }
    out
}

/// Streaming lag embedding with a fixed buffer: [`LagWindow::push`] allocates nothing.
#[derive(Debug, Clone)]
pub struct LagWindow {
    channels: usize,
    buffer: Vec<f64>,
    seen: usize,
}

impl LagWindow {
    /// A window for frames of `channels` values and `lags` lags.
    pub fn new(channels: usize, lags: usize) -> Self {
        LagWindow { channels, buffer: vec![0.0; channels * (lags + 1)], seen: 0 }
    }

    /// Width of an embedded frame.
    pub fn width(&self) -> usize {
        self.buffer.len()
    }

    /// Adds the next frame (exactly `channels` values; anything else restarts the warm-up, as a
    /// gap would) and returns the embedded frame once `lags` earlier frames have been seen.
    pub fn push(&mut self, frame: &[f64]) -> Option<&[f64]> {
        if frame.len() != self.channels {
            self.reset();
            return None;
        }
        let m = self.channels;
        let w = self.buffer.len();
        self.buffer.copy_within(0..w - m, m);
        self.buffer[..m].copy_from_slice(frame);
        self.seen += 1;
        (self.seen * m >= w).then_some(self.buffer.as_slice())
    }

    /// Forgets history, for a gap in the data: the next `lags` frames warm up again.
    pub fn reset(&mut self) {
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_puts_the_newest_frame_first() {
        let values = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0];
        assert_eq!(lag_embed(&values, 2, 1), vec![2.0, 20.0, 1.0, 10.0, 3.0, 30.0, 2.0, 20.0]);
        assert_eq!(lag_embed(&values, 2, 0), values.to_vec());
        assert!(lag_embed(&values, 2, 3).is_empty());
    }

    #[test]
    fn window_matches_batch_embedding() {
        let values: Vec<f64> = (0..40).map(f64::from).collect();
        let batch = lag_embed(&values, 4, 2);
        let mut window = LagWindow::new(4, 2);
        let streamed: Vec<f64> = values
            .chunks_exact(4)
            .filter_map(|f| window.push(f).map(<[f64]>::to_vec))
            .flatten()
            .collect();
        assert_eq!(streamed, batch);
    }

    #[test]
    fn a_malformed_frame_restarts_the_warm_up() {
        let mut window = LagWindow::new(2, 1);
        assert!(window.push(&[1.0, 2.0]).is_none());
        assert!(window.push(&[3.0, 4.0]).is_some());
        assert!(window.push(&[5.0]).is_none());
        assert!(window.push(&[5.0, 6.0]).is_none());
        assert_eq!(window.push(&[7.0, 8.0]), Some(&[7.0, 8.0, 5.0, 6.0][..]));
    }
}
