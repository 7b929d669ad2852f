//! Tests of fitting and scoring on small seeded data made here (no external files).

use super::*;
use crate::FitError;

/// A small deterministic plant: `channels` signals driven by 3 latent AR(1) factors plus
/// noise, with different means and scales per channel.
pub(crate) fn plant(rows: usize, channels: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut gauss = move || {
        // Sum of uniforms: roughly normal, good enough for a test plant.
        (0..12)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .sum::<f64>()
            - 6.0
    };
    let loadings: Vec<f64> = (0..channels * 3).map(|_| gauss()).collect();
    let mut factors = [0.0; 3];
    let mut data = Vec::with_capacity(rows * channels);
    for _ in 0..rows {
        for f in &mut factors {
            *f = 0.7 * *f + 0.71 * gauss();
        }
        for j in 0..channels {
            let latent: f64 = (0..3).map(|k| loadings[j * 3 + k] * factors[k]).sum();
            data.push(10.0 * j as f64 + (1.0 + j as f64) * (latent + 0.2 * gauss()));
        }
    }
    data
}

fn embed(data: &[f64], channels: usize, lags: usize) -> Vec<f64> {
    let rows = data.len() / channels;
    let mut out = Vec::new();
    for t in lags..rows {
        for l in 0..=lags {
            out.extend_from_slice(&data[(t - l) * channels..(t - l + 1) * channels]);
        }
    }
    out
}

fn fitted(lags: usize) -> (PcaModel, Vec<f64>) {
    let m = 8;
    let train = embed(&plant(2000, m, 1), m, lags);
    let config = PcaConfig { lags, ..PcaConfig::default() };
    (PcaModel::fit(&train, m, config).unwrap(), embed(&plant(300, m, 2), m, lags))
}

#[test]
fn each_contribution_is_the_drop_when_that_channel_is_reconstructed() {
    // The defining property of reconstruction-based contributions: SPE after replacing z_j by
    // its best reconstruction equals SPE − RBC_j. Checked by brute force on raw frames.
    let (model, test) = fitted(0);
    let mut scorer = model.scorer();
    let (mut score, mut repaired) = (scorer.new_score(), scorer.new_score());
    for frame in test.chunks_exact(8).take(20) {
        scorer.score(frame, &mut score);
        let spe = &score.statistics[1];
        for j in 0..8 {
            assert!(spe.contributions[j] >= 0.0 && spe.contributions[j] <= spe.value + 1e-9);
            // Line search over the channel's value: the minimum SPE is SPE − RBC_j.
            let mut best = f64::INFINITY;
            for step in -4000..=4000 {
                let mut x = frame.to_vec();
                x[j] += f64::from(step) * 0.005 * model.scale[j];
                scorer.score(&x, &mut repaired);
                best = best.min(repaired.statistics[1].value);
            }
            let expected = spe.value - spe.contributions[j];
            assert!((best - expected).abs() < 1e-3 * spe.value.max(1.0), "{best} vs {expected}");
        }
    }
}

#[test]
fn contributions_cover_every_original_channel_for_dynamic_pca() {
    let (model, test) = fitted(2);
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    scorer.score(&test[..model.width()], &mut score);
    for stat in &score.statistics {
        assert_eq!(stat.contributions.len(), 8);
        assert!(stat.contributions.iter().all(|c| c.is_finite() && *c >= 0.0));
        assert!(stat.contributions.iter().sum::<f64>() > 0.0);
    }
}

#[test]
fn batch_equals_streaming() {
    for lags in [0, 1] {
        let (model, test) = fitted(lags);
        let batch = model.score_batch(&test);
        let mut scorer = model.scorer();
        let mut score = scorer.new_score();
        for (i, frame) in test.chunks_exact(model.width()).enumerate() {
            scorer.score(frame, &mut score);
            let (t2, spe) = (&score.statistics[0], &score.statistics[1]);
            assert!((t2.value - batch.t2[i]).abs() <= 1e-10 * batch.t2[i].max(1.0));
            assert!((spe.value - batch.spe[i]).abs() <= 1e-10 * batch.spe[i].max(1.0));
            let batch_alarm = batch.t2[i] > model.t2_limit() || batch.spe[i] > model.spe_limit();
            assert_eq!(score.alarm, batch_alarm);
        }
    }
}

#[test]
fn empirical_limits_flag_about_the_confidence_share_of_training_rows() {
    let (model, _) = fitted(0);
    let train = plant(2000, 8, 1);
    let stats = model.score_batch(&train);
    let over = stats.t2.iter().filter(|&&v| v > model.t2_limits.empirical).count();
    assert!((15..=25).contains(&over), "{over} of 2000 above the 99 % quantile");
    let over_spe = stats.spe.iter().filter(|&&v| v > model.spe_limits.empirical).count();
    assert!((15..=25).contains(&over_spe), "{over_spe}");
    // The theoretical limits are of the same order on near-normal data.
    let ratio = model.t2_limits.theoretical / model.t2_limits.empirical;
    assert!((0.7..1.4).contains(&ratio), "{ratio}");
}

#[test]
fn a_step_on_one_channel_is_explained_by_that_channel() {
    let m = 20;
    let model = PcaModel::fit(&plant(2000, m, 1), m, PcaConfig::default()).unwrap();
    let mut test = plant(200, m, 3);
    for row in test.chunks_exact_mut(m) {
        row[5] += 10.0 * model.scale[5]; // ten training standard deviations
    }
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    let (mut alarms, mut explained) = (0, 0);
    for frame in test.chunks_exact(m) {
        scorer.score(frame, &mut score);
        alarms += usize::from(score.alarm);
        explained += usize::from(score.top_contributors(1)[0].channel == 5);
    }
    assert!(alarms > 190, "{alarms} of 200 frames alarmed");
    // Reconstruction-based contributions put the faulty channel first.
    assert!(explained > 190, "channel 5 led in {explained} of 200 frames");
}

#[test]
fn variance_rule_keeps_the_fewest_components_reaching_the_fraction() {
    let (model, _) = fitted(0);
    let total: f64 = model.eigenvalues.iter().sum();
    let kept: f64 = model.eigenvalues[..model.components].iter().sum();
    let one_fewer: f64 = model.eigenvalues[..model.components - 1].iter().sum();
    assert!(kept / total >= 0.90 && one_fewer / total < 0.90);
    assert!(model.eigenvalues.windows(2).all(|w| w[0] >= w[1]));
    assert!(model.check().is_ok());
}

#[test]
fn bad_training_data_gives_errors_not_panics() {
    let m = 4;
    let mut data = plant(100, m, 4);
    for row in data.chunks_exact_mut(m) {
        row[2] = 7.5;
    }
    assert_eq!(
        PcaModel::fit(&data, m, PcaConfig::default()),
        Err(FitError::ConstantChannel { channel: 2, value: 7.5 })
    );
    let mut nan = plant(100, m, 4);
    nan[4 * 10 + 1] = f64::NAN;
    assert_eq!(
        PcaModel::fit(&nan, m, PcaConfig::default()),
        Err(FitError::NonFinite { row: 10, channel: 1 })
    );
    assert!(matches!(
        PcaModel::fit(&plant(2, m, 4), m, PcaConfig::default()),
        Err(FitError::TooFewRows { .. })
    ));
    let fixed = PcaConfig { components: ComponentRule::Fixed(4), ..PcaConfig::default() };
    assert_eq!(
        PcaModel::fit(&plant(100, m, 4), m, fixed),
        Err(FitError::Components { requested: 4, max: 3 })
    );
    for confidence in [1.5, 1.0, 0.3, 1e-200, f64::NAN] {
        // 1e-200 used to panic inside the F quantile (found by review).
        let bad = PcaConfig { confidence, ..PcaConfig::default() };
        let fitted = PcaModel::fit(&plant(100, m, 4), m, bad);
        assert!(matches!(fitted, Err(FitError::Config(_))), "{confidence}: {fitted:?}");
    }
}

/// Found by review: each of these used to fit "successfully" into a model that alarms on
/// every row (SPE limit 0) or cannot be loaded (NaN limits written as `null`).
#[test]
fn degenerate_training_data_is_refused_with_the_reason() {
    let m = 4;
    // A channel that is an exact copy of another: 3 directions with variance among 4 inputs.
    let mut copy = plant(200, m, 5);
    for row in copy.chunks_exact_mut(m) {
        row[3] = row[0];
    }
    // The variance rule keeps fewer components than directions, so SPE has one to measure.
    let model = PcaModel::fit(&copy, m, PcaConfig::default()).unwrap();
    assert!(model.components <= 2, "{}", model.components);
    assert!(model.spe_limits.theoretical > 0.0 && model.spe_limits.empirical > 0.0);
    // A fixed count that leaves nothing is refused, naming the cause.
    let three = PcaConfig { components: ComponentRule::Fixed(3), ..PcaConfig::default() };
    let err = PcaModel::fit(&copy, m, three).unwrap_err();
    assert!(matches!(err, FitError::Degenerate { rank: 3, width: 4, .. }), "{err}");
    assert!(err.to_string().contains("duplicate"), "{err}");
    // Fewer rows than inputs: 3 rows of 4 channels have at most 2 directions.
    let few = plant(3, m, 6);
    let err = PcaModel::fit(&few, m, three).unwrap_err();
    assert!(matches!(err, FitError::Degenerate { .. } | FitError::Components { .. }), "{err}");
    // A placeholder for "no reading" (DBL_MAX) overflows the variance: named, not fitted.
    let mut huge = plant(100, m, 7);
    huge[4 * 20 + 2] = f64::MAX;
    let err = PcaModel::fit(&huge, m, PcaConfig::default()).unwrap_err();
    assert!(matches!(err, FitError::TooLarge { row: 20, channel: 2, .. }), "{err}");
}

#[test]
fn refitting_the_same_data_gives_the_same_model() {
    let (a, _) = fitted(1);
    let (b, _) = fitted(1);
    assert_eq!(a, b);
}
