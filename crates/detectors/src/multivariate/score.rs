//! Scoring: T², SPE and their per-channel contributions, one frame at a time or in blocks.
//!
//! # Contributions: reconstruction-based (RBC)
//! With the standardised frame `z`, loadings `P`, kept eigenvalues `Λ`, `D = P Λ⁻¹ Pᵀ` and
//! `C̃ = I − P Pᵀ`, a statistic is a quadratic form `zᵀ M z` (T²: `M = D`; SPE: `M = C̃`). The
//! contribution of column `j` is how much the statistic falls when that column alone is
//! reconstructed as well as possible (Alcala & Qin 2009, "Reconstruction-based contribution for
//! process monitoring", Automatica 45:1593):
//!
//! `RBC_j = (M z)_j² / M_jj`
//!
//! We use RBC rather than the classic "complete decomposition" `z_j (M z)_j` because the classic
//! one smears: a large fault on one sensor can show up mostly on *other*, correlated sensors (a
//! test in this crate reproduced it: the faulty channel led in only 58 of 200 frames). RBC
//! ranks a single-sensor fault of large enough size first, which is what an engineer reading
//! "these sensors moved" needs. The price: contributions do not add up to the statistic; each one
//! is bounded by it (`0 ≤ RBC_j ≤ statistic`), and `statistic − RBC_j` is the statistic with
//! sensor `j` repaired.
//!
//! For dynamic PCA the contributions of a channel's lagged copies are summed, so each original
//! channel gets one number.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use faultline_types::{Score, StatisticKind};

use super::PcaModel;

/// Rows scored per block in [`PcaModel::score_batch`]: large enough for efficient matrix
/// products, small enough to stay in cache.
const BLOCK_ROWS: usize = 1024;

/// Floor of a reconstruction weight (`D_jj`, `C̃_jj`), against division by ~0.
const MIN_RECONSTRUCTION_WEIGHT: f64 = 1e-12;

/// The statistics the PCA monitor reports, in `Score::statistics` order.
pub const STATISTICS: [StatisticKind; 2] = [StatisticKind::T2, StatisticKind::Spe];

/// T² and SPE for many rows, without contributions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchStatistics {
    /// Hotelling's T² per row.
    pub t2: Vec<f64>,
    /// Squared prediction error per row.
    pub spe: Vec<f64>,
}

impl PcaModel {
    /// Scores row-major, already lag-embedded rows (`width()` values each) in blocks. Gives the
    /// same T² and SPE as [`PcaScorer`] (to rounding), without contributions.
    ///
    /// Per block: standardise, project with one faer matrix product `T = Z P`, then per row
    /// T² = Σ t²/λ and SPE = ‖z‖² − ‖t‖² (the loadings are orthonormal, so the residual's
    /// squared norm is the frame's minus the scores'; this skips the reconstruction product).
    pub fn score_batch(&self, data: &[f64]) -> BatchStatistics {
        let (w, a) = (self.width(), self.components);
        let rows = data.len() / w;
        let p = MatRef::from_row_major_slice(&self.loadings, w, a);
        let inv_scale: Vec<f64> = self.scale.iter().map(|s| 1.0 / s).collect();
        let inv_eigenvalues: Vec<f64> = self.eigenvalues[..a].iter().map(|l| 1.0 / l).collect();
        let mut out = BatchStatistics { t2: vec![0.0; rows], spe: vec![0.0; rows] };
        let mut z = vec![0.0; BLOCK_ROWS * w];
        let mut t = vec![0.0; BLOCK_ROWS * a];
        let blocks = data[..rows * w].chunks(BLOCK_ROWS * w);
        let outputs = out.t2.chunks_mut(BLOCK_ROWS).zip(out.spe.chunks_mut(BLOCK_ROWS));
        for (block, (t2, spe)) in blocks.zip(outputs) {
            let n = block.len() / w;
            let (z, t) = (&mut z[..n * w], &mut t[..n * a]);
            pulp::Arch::new().dispatch(Standardise {
                raw: block,
                z,
                mean: &self.mean,
                inv_scale: &inv_scale,
            });
            let zm = MatRef::from_row_major_slice(z, n, w);
            matmul(MatMut::from_row_major_slice_mut(t, n, a), Accum::Replace, zm, p, 1.0, Par::Seq);
            pulp::Arch::new().dispatch(RowStatistics {
                z,
                t,
                inv_eigenvalues: &inv_eigenvalues,
                t2,
                spe,
            });
        }
        out
    }

    /// A streaming scorer over this model.
    pub fn scorer(&self) -> PcaScorer {
        PcaScorer::new(self)
    }
}

/// `z = (x − mean) / scale` for a block of rows, under CPU-feature dispatch.
struct Standardise<'a> {
    raw: &'a [f64],
    z: &'a mut [f64],
    mean: &'a [f64],
    inv_scale: &'a [f64],
}

impl pulp::WithSimd for Standardise<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let w = self.mean.len();
        for (zr, xr) in self.z.chunks_exact_mut(w).zip(self.raw.chunks_exact(w)) {
            for (((z, x), m), inv) in zr.iter_mut().zip(xr).zip(self.mean).zip(self.inv_scale) {
                *z = (x - m) * inv;
            }
        }
    }
}

/// T² and SPE of a block of rows from standardised values and component scores.
struct RowStatistics<'a> {
    z: &'a [f64],
    t: &'a [f64],
    inv_eigenvalues: &'a [f64],
    t2: &'a mut [f64],
    spe: &'a mut [f64],
}

impl pulp::WithSimd for RowStatistics<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let (w, a) = (self.z.len() / self.t2.len().max(1), self.inv_eigenvalues.len());
        let rows = self.z.chunks_exact(w).zip(self.t.chunks_exact(a));
        for ((z, t), (t2, spe)) in rows.zip(self.t2.iter_mut().zip(self.spe.iter_mut())) {
            *t2 = t.iter().zip(self.inv_eigenvalues).map(|(t, inv)| t * t * inv).sum();
            // Rounding can take an in-control SPE a hair below zero.
            *spe = (dot(z, z) - dot(t, t)).max(0.0);
        }
    }
}

/// Scores one lag-embedded frame at a time with contributions. All buffers are allocated once,
/// in [`PcaScorer::new`]; [`PcaScorer::score`] allocates nothing. The scorer owns copies of the
/// constants it needs, so it can live as long as a stream does, independent of the model value.
///
/// # Why hand-written kernels here
/// The per-frame work is tiny (52 channels × 5 components is ~1,000 flops), and a profile of
/// the first version, which called faer's general matrix product per frame, spent most of its
/// time packing and dispatching (`nano_gemm::copy_millikernel`). The kernel below is fused and
/// register-blocked: component scores by dot products with eight partial sums, then eight
/// columns at a time the reconstruction, the residual, both statistics and both contributions,
/// without storing intermediates. It runs under `pulp`'s runtime CPU dispatch (faer's own SIMD
/// layer), so it is compiled for AVX2/FMA when the CPU has them and for baseline x86-64
/// otherwise. Fitting and the batch scorer keep using faer.
#[derive(Debug, Clone)]
pub struct PcaScorer {
    /// Channels of a frame before lag embedding.
    channels: usize,
    t2_limit: f64,
    spe_limit: f64,
    kernel: Kernel,
    z: Vec<f64>,
    /// Per embedded column: T² and SPE contributions before folding lags into channels.
    t2_columns: Vec<f64>,
    spe_columns: Vec<f64>,
    /// Component scores `t` and `Λ⁻¹ t`.
    t: Vec<f64>,
    g: Vec<f64>,
}

/// The scorer's constants, laid out for the kernel.
#[derive(Debug, Clone)]
struct Kernel {
    width: usize,
    mean: Vec<f64>,
    inv_scale: Vec<f64>,
    /// Loadings transposed, component-major: `components × width`, each component contiguous.
    by_component: Vec<f64>,
    inv_eigenvalues: Vec<f64>,
    /// `1 / D_jj`, the T² reconstruction weights (`D = P Λ⁻¹ Pᵀ`).
    inv_d: Vec<f64>,
    /// `1 / C̃_jj`, the SPE reconstruction weights (`C̃ = I − P Pᵀ`).
    inv_c: Vec<f64>,
}

/// Columns handled together in the fused pass: one AVX2 register pair.
const LANES: usize = 8;

impl PcaScorer {
    /// Precomputes the scorer's constants and allocates its buffers.
    pub fn new(model: &PcaModel) -> Self {
        let (w, a) = (model.width(), model.components);
        let by_component =
            (0..a).flat_map(|k| (0..w).map(move |j| model.loadings[j * a + k])).collect();
        let (inv_d, inv_c) = model
            .loadings
            .chunks_exact(a.max(1))
            .map(|p| {
                let d: f64 = p.iter().zip(&model.eigenvalues).map(|(p, l)| p * p / l).sum();
                let c: f64 = 1.0 - p.iter().map(|p| p * p).sum::<f64>();
                // A column lying entirely in one subspace cannot be reconstructed in the
                // other; the floor keeps its contribution finite (and ~0).
                (1.0 / d.max(MIN_RECONSTRUCTION_WEIGHT), 1.0 / c.max(MIN_RECONSTRUCTION_WEIGHT))
            })
            .unzip();
        let kernel = Kernel {
            width: w,
            mean: model.mean.clone(),
            inv_scale: model.scale.iter().map(|s| 1.0 / s).collect(),
            by_component,
            inv_eigenvalues: model.eigenvalues[..a].iter().map(|l| 1.0 / l).collect(),
            inv_d,
            inv_c,
        };
        PcaScorer {
            channels: model.channels,
            t2_limit: model.t2_limit(),
            spe_limit: model.spe_limit(),
            kernel,
            z: vec![0.0; w],
            t2_columns: vec![0.0; w],
            spe_columns: vec![0.0; w],
            t: vec![0.0; a],
            g: vec![0.0; a],
        }
    }

    /// A score with buffers sized for this model, to pass to [`PcaScorer::score`].
    pub fn new_score(&self) -> Score {
        Score::with_capacity(&STATISTICS, self.channels)
    }

    /// Scores one lag-embedded frame (`model.width()` finite values) into `out`, which must come
    /// from [`PcaScorer::new_score`]. A frame of the wrong width leaves `out.ready` false and
    /// raises no alarm: callers line frames up with the schema before this point.
    pub fn score(&mut self, frame: &[f64], out: &mut Score) {
        let (w, m) = (self.kernel.width, self.channels);
        let [t2, spe] = &mut out.statistics[..] else {
            out.ready = false;
            out.alarm = false;
            return;
        };
        if frame.len() != w || t2.contributions.len() != m || spe.contributions.len() != m {
            out.ready = false;
            out.alarm = false;
            return;
        }
        // Static PCA writes contributions straight into the score; dynamic PCA writes per
        // embedded column, then folds: column j belongs to channel j mod m, and lagged copies
        // add into their channel.
        let folded = w != m;
        let (t2_columns, spe_columns) = if folded {
            (&mut self.t2_columns[..], &mut self.spe_columns[..])
        } else {
            (&mut t2.contributions[..], &mut spe.contributions[..])
        };
        let (t2_value, spe_value) = pulp::Arch::new().dispatch(KernelCall {
            kernel: &self.kernel,
            frame,
            z: &mut self.z,
            t: &mut self.t,
            g: &mut self.g,
            t2_columns,
            spe_columns,
        });
        if folded {
            t2.contributions.copy_from_slice(&self.t2_columns[..m]);
            spe.contributions.copy_from_slice(&self.spe_columns[..m]);
            for block in 1..w / m {
                let range = block * m..(block + 1) * m;
                add_into(&mut t2.contributions, &self.t2_columns[range.clone()]);
                add_into(&mut spe.contributions, &self.spe_columns[range]);
            }
        }
        t2.value = t2_value;
        spe.value = spe_value;
        t2.limit = self.t2_limit;
        spe.limit = self.spe_limit;
        out.ready = true;
        out.alarm = t2.exceeds() || spe.exceeds();
    }
}

/// One kernel invocation, in the shape `pulp` dispatches: `with_simd` is inlined into a function
/// compiled for the detected CPU features, and so is everything it calls (`#[inline(always)]`).
/// A closure would not do: its body is not inlined there and stays baseline code.
struct KernelCall<'a> {
    kernel: &'a Kernel,
    frame: &'a [f64],
    z: &'a mut [f64],
    t: &'a mut [f64],
    g: &'a mut [f64],
    t2_columns: &'a mut [f64],
    spe_columns: &'a mut [f64],
}

impl pulp::WithSimd for KernelCall<'_> {
    type Output = (f64, f64);

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> (f64, f64) {
        self.kernel.run(self.frame, self.z, self.t, self.g, self.t2_columns, self.spe_columns)
    }
}

fn add_into(sum: &mut [f64], part: &[f64]) {
    sum.iter_mut().zip(part).for_each(|(s, p)| *s += p);
}

impl Kernel {
    /// Scores one frame; returns (T², SPE) and fills per-column contributions.
    #[inline(always)]
    fn run(
        &self,
        frame: &[f64],
        z: &mut [f64],
        t: &mut [f64],
        g: &mut [f64],
        t2_columns: &mut [f64],
        spe_columns: &mut [f64],
    ) -> (f64, f64) {
        let w = self.width;
        for (((z, x), mean), inv) in z.iter_mut().zip(frame).zip(&self.mean).zip(&self.inv_scale) {
            *z = (x - mean) * inv;
        }
        let mut t2 = 0.0;
        for (((p, inv_l), t), g) in self
            .by_component
            .chunks_exact(w)
            .zip(&self.inv_eigenvalues)
            .zip(t.iter_mut())
            .zip(g.iter_mut())
        {
            *t = dot(p, z);
            *g = *t * inv_l;
            t2 += *t * *g;
        }
        let mut spe_lanes = [0.0; LANES];
        let full = w - w % LANES;
        for start in (0..full).step_by(LANES) {
            self.columns::<LANES>(start, z, t, g, t2_columns, spe_columns, &mut spe_lanes);
        }
        let mut tail = [0.0; LANES];
        for start in full..w {
            self.columns::<1>(start, z, t, g, t2_columns, spe_columns, &mut tail[..1]);
        }
        (t2, spe_lanes.iter().sum::<f64>() + tail[0])
    }

    /// The fused pass over `N` columns from `start`: reconstruction `P t`, `D z = P Λ⁻¹ t`, the
    /// residual, squared residuals into `spe_lanes`, and both contributions.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn columns<const N: usize>(
        &self,
        start: usize,
        z: &[f64],
        t: &[f64],
        g: &[f64],
        t2_columns: &mut [f64],
        spe_columns: &mut [f64],
        spe_lanes: &mut [f64],
    ) {
        let w = self.width;
        let mut recon = [0.0; N];
        let mut dz = [0.0; N];
        for ((p, t), g) in self.by_component.chunks_exact(w).zip(t).zip(g) {
            let p = &p[start..start + N];
            for l in 0..N {
                recon[l] += t * p[l];
                dz[l] += g * p[l];
            }
        }
        let z = &z[start..start + N];
        let (inv_d, inv_c) = (&self.inv_d[start..start + N], &self.inv_c[start..start + N]);
        let (ct2, cspe) = (&mut t2_columns[start..start + N], &mut spe_columns[start..start + N]);
        for l in 0..N {
            let residual = z[l] - recon[l];
            let squared = residual * residual;
            spe_lanes[l] += squared;
            ct2[l] = dz[l] * dz[l] * inv_d[l];
            cspe[l] = squared * inv_c[l];
        }
    }
}

/// Dot product with eight independent partial sums. A plain `iter().sum()` is one serial chain
/// of dependent additions (the compiler may not reassociate floating-point addition), which made
/// the scorer latency-bound; eight lanes let it vectorise.
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for k in 0..LANES {
            lanes[k] += x[k] * y[k];
        }
    }
    lanes.iter().sum::<f64>() + tail
}
