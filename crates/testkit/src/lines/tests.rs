//! Tests of the simulated lines: specs, determinism, context, fault windows and detectability.

use super::check::{AlarmRule, Monitor};
use super::*;
use crate::stats::{mean, std};

/// Rows of normal history, as the demo fits on.
const HISTORY: usize = 2_000;

fn ts(i: u64) -> Timestamp {
    Timestamp::from_millis(1_767_225_600_000 + i as i64 * 1_000)
}

fn line(asset: &str) -> LineSpec {
    demo_lines().into_iter().find(|l| l.asset == asset).expect("a demo line")
}

fn values(sample: &Sample) -> Vec<f64> {
    sample.values.iter().map(|v| v.value).collect()
}

/// `n` live samples as rows of values.
fn run(sim: &mut LineSimulator, n: usize) -> Vec<Vec<f64>> {
    (0..n as u64).map(|i| values(&sim.next_sample(ts(i)))).collect()
}

fn context<'a>(sample: &'a Sample, key: &str) -> Option<&'a str> {
    sample.context.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn history_stats(history: &Recording) -> (Vec<f64>, Vec<f64>) {
    let columns: Vec<Vec<f64>> = (0..history.channels()).map(|c| history.column(c)).collect();
    (columns.iter().map(|c| mean(c)).collect(), columns.iter().map(|c| std(c)).collect())
}

#[test]
fn demo_lines_have_the_specified_channels_units_and_faults() {
    type Expected =
        (&'static str, Sector, &'static [(&'static str, &'static str)], [&'static str; 3]);
    let expected: [Expected; 4] = [
        (
            "hbm-etch-01",
            Sector::Semiconductor,
            &[
                ("chamber_pressure", "mTorr"),
                ("rf_forward_power", "W"),
                ("rf_reflected_power", "W"),
                ("cf4_flow", "sccm"),
                ("o2_flow", "sccm"),
                ("ar_flow", "sccm"),
                ("esc_temperature", "°C"),
                ("wall_temperature", "°C"),
                ("dc_bias", "V"),
                ("throttle_valve_position", "%"),
            ],
            ["rf_matching_drift", "chamber_leak", "esc_cooling_loss"],
        ),
        (
            "robot-j3-01",
            Sector::Robotics,
            &[
                ("joint_torque", "N·m"),
                ("motor_current", "A"),
                ("motor_temperature", "°C"),
                ("gearbox_temperature", "°C"),
                ("vibration_rms", "mm/s"),
                ("joint_speed", "deg/s"),
                ("following_error", "deg"),
            ],
            ["gearbox_wear", "encoder_fault", "lubrication_loss"],
        ),
        (
            "bioreactor-02",
            Sector::Bioprocess,
            &[
                ("ph", "pH"),
                ("dissolved_oxygen", "%"),
                ("temperature", "°C"),
                ("agitation", "rpm"),
                ("feed_rate", "mL/h"),
                ("base_addition", "mL/h"),
                ("off_gas_co2", "%"),
                ("optical_density", "OD600"),
            ],
            ["do_probe_fouling", "contamination", "ph_probe_stuck"],
        ),
        (
            "moulding-07",
            Sector::MedicalDevice,
            &[
                ("melt_temperature", "°C"),
                ("injection_pressure", "bar"),
                ("cavity_pressure", "bar"),
                ("hold_pressure", "bar"),
                ("cycle_time", "s"),
                ("mould_temperature", "°C"),
                ("screw_position", "mm"),
                ("clamp_force", "kN"),
            ],
            ["heater_band_failure", "short_shot", "wet_resin"],
        ),
    ];
    let lines = demo_lines();
    assert_eq!(lines.len(), expected.len());
    for (spec, (asset, sector, channels, faults)) in lines.iter().zip(expected) {
        assert_eq!(spec.asset, asset);
        assert_eq!(spec.sector, sector);
        assert_eq!(spec.site, "demo");
        assert!(!spec.title.is_empty());
        let got: Vec<(&str, &str)> = spec.channels.iter().map(|c| (c.name, c.unit)).collect();
        assert_eq!(got, channels, "{asset}");
        assert_eq!(spec.faults, faults, "{asset}");

        let mut sim = LineSimulator::new(spec, 1);
        assert_eq!(sim.spec(), spec);
        let history = sim.normal_history(10);
        assert_eq!(history.rows(), 10);
        assert_eq!(history.schema, spec.schema());
        let names: Vec<&str> = history.schema.names().collect();
        assert_eq!(names, channels.iter().map(|c| c.0).collect::<Vec<_>>());
        assert_eq!(history.schema.channels[0].unit.as_deref(), Some(channels[0].1));

        let sample = sim.next_sample(ts(7));
        assert_eq!(sample.asset, asset);
        assert_eq!(sample.ts, ts(7));
        let names: Vec<&str> = sample.values.iter().map(|v| v.channel.as_str()).collect();
        assert_eq!(names, channels.iter().map(|c| c.0).collect::<Vec<_>>());
        assert!(sample.values.iter().all(|v| v.quality == Quality::Good && v.value.is_finite()));
        assert!(!sample.context.is_empty());
    }
}

#[test]
fn the_same_seed_gives_the_same_line_and_another_seed_another() {
    for spec in demo_lines() {
        let (mut a, mut b, mut c) = (
            LineSimulator::new(&spec, 42),
            LineSimulator::new(&spec, 42),
            LineSimulator::new(&spec, 43),
        );
        let (ha, hb, hc) = (a.normal_history(300), b.normal_history(300), c.normal_history(300));
        assert_eq!(ha, hb, "{}", spec.asset);
        assert_ne!(ha.values, hc.values, "{}", spec.asset);
        a.schedule_fault(spec.faults[0], 10, 20).unwrap();
        b.schedule_fault(spec.faults[0], 10, 20).unwrap();
        for i in 0..100 {
            assert_eq!(a.next_sample(ts(i)), b.next_sample(ts(i)), "{} sample {i}", spec.asset);
            assert_eq!(a.active_fault(), b.active_fault());
        }
    }
}

#[test]
fn the_history_is_the_same_process_as_the_live_stream() {
    for spec in demo_lines() {
        let mut batch = LineSimulator::new(&spec, 8);
        let mut live = batch.clone();
        let history = batch.normal_history(50);
        let streamed: Vec<f64> = run(&mut live, 50).concat();
        assert_eq!(history.values, streamed, "{}", spec.asset);
        assert_eq!(batch.next_sample(ts(0)).values, live.next_sample(ts(0)).values);
    }
}

#[test]
fn the_bioreactor_cycles_through_its_phases_batch_after_batch() {
    let mut sim = LineSimulator::new(&line("bioreactor-02"), 5);
    let samples: Vec<Sample> = (0..1_300).map(|i| sim.next_sample(ts(i))).collect();
    let phases: Vec<&str> = samples.iter().map(|s| context(s, "phase").unwrap()).collect();
    let mut runs: Vec<(&str, usize)> = Vec::new();
    for p in &phases {
        match runs.last_mut() {
            Some((q, n)) if q == p => *n += 1,
            _ => runs.push((p, 1)),
        }
    }
    assert_eq!(
        runs,
        [
            ("lag", 90),
            ("growth", 330),
            ("stationary", 180),
            ("lag", 90),
            ("growth", 330),
            ("stationary", 180),
            ("lag", 90),
            ("growth", 10)
        ]
    );
    assert_eq!(context(&samples[0], "batch"), Some("FB-0001"));
    assert_eq!(context(&samples[599], "batch"), Some("FB-0001"));
    assert_eq!(context(&samples[600], "batch"), Some("FB-0002"));

    // Biomass grows through the batch and restarts with the next one.
    let od = |i: usize| values(&samples[i])[7];
    assert!(od(50) < 1.0 && od(300) > 5.0 && od(550) > 20.0 && od(650) < 1.0);

    // The live stream continues the history's clock: 2,000 rows end in the growth phase.
    let mut sim = LineSimulator::new(&line("bioreactor-02"), 5);
    sim.normal_history(HISTORY);
    let next = sim.next_sample(ts(0));
    assert_eq!(context(&next, "phase"), Some("growth"));
    assert_eq!(context(&next, "batch"), Some("FB-0004"));
}

#[test]
fn other_lines_carry_their_context() {
    let mut etch = LineSimulator::new(&line("hbm-etch-01"), 1);
    let samples: Vec<Sample> = (0..61).map(|i| etch.next_sample(ts(i))).collect();
    assert!(context(&samples[0], "recipe").is_some());
    assert!(context(&samples[0], "lot").is_some());
    assert_eq!(context(&samples[0], "wafer"), Some("01"));
    assert_eq!(context(&samples[59], "wafer"), Some("01"));
    assert_eq!(context(&samples[60], "wafer"), Some("02"));

    let mut robot = LineSimulator::new(&line("robot-j3-01"), 1);
    let samples: Vec<Sample> = (0..13).map(|i| robot.next_sample(ts(i))).collect();
    assert_eq!(context(&samples[11], "cycle"), Some("1"));
    assert_eq!(context(&samples[12], "cycle"), Some("2"));
    // The commanded speed repeats with the cycle.
    let speed = |s: &Sample| values(s)[5];
    assert!((speed(&samples[0]) - speed(&samples[12])).abs() < 5.0);
    assert!(speed(&samples[2]) > 80.0 && speed(&samples[8]) < -80.0);

    let mut moulding = LineSimulator::new(&line("moulding-07"), 1);
    let shot = moulding.next_sample(ts(0));
    assert_eq!(context(&shot, "shot"), Some("1"));
}

/// What a fault does to one channel, compared with the same line without the fault, over the
/// settled part of the fault window, in standard deviations of the channel in the history.
#[derive(Debug, Clone, Copy)]
enum Effect {
    /// The mean difference is above this many standard deviations.
    Up(f64),
    /// The mean difference is below minus this many standard deviations.
    Down(f64),
    /// The difference's standard deviation is above this many standard deviations.
    Scatter(f64),
    /// The channel holds one value for the whole fault window.
    Frozen,
}

struct FaultCase {
    asset: &'static str,
    fault: &'static str,
    /// Exactly the channels the fault touches.
    changed: &'static [&'static str],
    /// The stated symptoms.
    effects: &'static [(&'static str, Effect)],
}

const FAULT_CASES: [FaultCase; 12] = {
    use Effect::*;
    [
        FaultCase {
            asset: "hbm-etch-01",
            fault: "rf_matching_drift",
            changed: &["rf_reflected_power", "dc_bias"],
            effects: &[("rf_reflected_power", Up(4.0)), ("dc_bias", Up(3.0))],
        },
        FaultCase {
            asset: "hbm-etch-01",
            fault: "chamber_leak",
            changed: &["chamber_pressure", "throttle_valve_position", "dc_bias"],
            effects: &[("chamber_pressure", Up(4.0)), ("throttle_valve_position", Up(4.0))],
        },
        FaultCase {
            asset: "hbm-etch-01",
            fault: "esc_cooling_loss",
            changed: &["esc_temperature", "wall_temperature"],
            effects: &[("esc_temperature", Up(10.0)), ("wall_temperature", Up(1.0))],
        },
        FaultCase {
            asset: "robot-j3-01",
            fault: "gearbox_wear",
            changed: &["motor_current", "vibration_rms"],
            effects: &[("vibration_rms", Up(4.0)), ("motor_current", Up(0.1))],
        },
        FaultCase {
            asset: "robot-j3-01",
            fault: "encoder_fault",
            changed: &["joint_speed", "following_error"],
            effects: &[("following_error", Up(1.5)), ("joint_speed", Scatter(0.1))],
        },
        FaultCase {
            asset: "robot-j3-01",
            fault: "lubrication_loss",
            changed: &["motor_current", "gearbox_temperature", "vibration_rms"],
            effects: &[("gearbox_temperature", Up(8.0))],
        },
        FaultCase {
            asset: "bioreactor-02",
            fault: "do_probe_fouling",
            changed: &["dissolved_oxygen", "agitation"],
            effects: &[("dissolved_oxygen", Down(2.5)), ("agitation", Up(0.3))],
        },
        FaultCase {
            asset: "bioreactor-02",
            fault: "contamination",
            changed: &[
                "dissolved_oxygen",
                "agitation",
                "base_addition",
                "off_gas_co2",
                "optical_density",
            ],
            effects: &[
                ("off_gas_co2", Up(1.0)),
                ("base_addition", Up(1.0)),
                ("optical_density", Up(0.2)),
            ],
        },
        FaultCase {
            asset: "bioreactor-02",
            fault: "ph_probe_stuck",
            changed: &["ph", "base_addition"],
            effects: &[("ph", Frozen), ("base_addition", Up(3.0))],
        },
        FaultCase {
            asset: "moulding-07",
            fault: "heater_band_failure",
            changed: &["melt_temperature", "injection_pressure", "cavity_pressure", "clamp_force"],
            effects: &[("melt_temperature", Down(6.0)), ("injection_pressure", Up(2.0))],
        },
        FaultCase {
            asset: "moulding-07",
            fault: "short_shot",
            changed: &["cavity_pressure", "screw_position", "clamp_force"],
            effects: &[("cavity_pressure", Down(8.0)), ("screw_position", Down(8.0))],
        },
        FaultCase {
            asset: "moulding-07",
            fault: "wet_resin",
            changed: &["injection_pressure", "cavity_pressure", "screw_position", "cycle_time"],
            effects: &[
                ("injection_pressure", Scatter(1.5)),
                ("cavity_pressure", Scatter(1.5)),
                ("screw_position", Scatter(1.5)),
                ("cycle_time", Scatter(1.5)),
            ],
        },
    ]
};

#[test]
fn every_line_has_a_case_for_each_of_its_faults() {
    for spec in demo_lines() {
        for fault in &spec.faults {
            assert!(
                FAULT_CASES.iter().any(|c| c.asset == spec.asset && c.fault == *fault),
                "{} {fault}",
                spec.asset
            );
        }
    }
}

#[test]
fn each_fault_changes_its_channels_from_onset_until_it_ends() {
    const AFTER: u64 = 40;
    const DURATION: u64 = 120;
    /// Samples after the onset before the fault counts as developed.
    const SETTLE: usize = 30;
    const TOTAL: usize = 200;
    let (onset, end) = (AFTER as usize, (AFTER + DURATION) as usize);
    for case in &FAULT_CASES {
        let spec = line(case.asset);
        let name = format!("{} {}", case.asset, case.fault);
        let mut clean = LineSimulator::new(&spec, 11);
        let history = clean.normal_history(HISTORY);
        let (_, sigma) = history_stats(&history);
        let mut faulty = clean.clone();
        faulty.schedule_fault(case.fault, AFTER, DURATION).unwrap();
        let mut reference = Vec::with_capacity(TOTAL);
        let mut observed = Vec::with_capacity(TOTAL);
        for t in 0..TOTAL {
            reference.push(values(&clean.next_sample(ts(t as u64))));
            observed.push(values(&faulty.next_sample(ts(t as u64))));
            let expected = (onset..end).contains(&t).then_some(case.fault);
            assert_eq!(faulty.active_fault(), expected, "{name} at {t}");
            assert_eq!(clean.active_fault(), None);
        }
        for (c, channel) in spec.channels.iter().enumerate() {
            let diff: Vec<f64> = (0..TOTAL).map(|t| observed[t][c] - reference[t][c]).collect();
            let outside = diff[..onset].iter().chain(&diff[end..]);
            assert!(outside.clone().all(|d| *d == 0.0), "{name}: {} outside", channel.name);
            let touched = diff[onset..end].iter().any(|d| *d != 0.0);
            assert_eq!(touched, case.changed.contains(&channel.name), "{name}: {}", channel.name);
        }
        for &(channel, effect) in case.effects {
            let c = spec.channels.iter().position(|s| s.name == channel).unwrap();
            let settled: Vec<f64> =
                (onset + SETTLE..end).map(|t| observed[t][c] - reference[t][c]).collect();
            let (m, s) = (mean(&settled) / sigma[c], std(&settled) / sigma[c]);
            match effect {
                Effect::Up(k) => assert!(m > k, "{name}: {channel} up by {m:.2} sd, want {k}"),
                Effect::Down(k) => {
                    assert!(m < -k, "{name}: {channel} down by {:.2} sd, want {k}", -m)
                }
                Effect::Scatter(k) => {
                    assert!(s > k, "{name}: {channel} scatter {s:.2} sd, want {k}")
                }
                Effect::Frozen => {
                    let held = observed[onset][c];
                    assert!(observed[onset..end].iter().all(|row| row[c] == held), "{name}");
                    assert!(observed[end][c] != held, "{name}: {channel} still frozen");
                }
            }
        }
    }
}

#[test]
fn a_dropout_leaves_one_channel_out_of_its_window_and_nothing_else_changes() {
    let spec = line("moulding-07");
    let (mut plain, mut dropped) = (LineSimulator::new(&spec, 5), LineSimulator::new(&spec, 5));
    dropped.schedule_dropout("mould_temperature", 3, 4).unwrap();
    for i in 0..10 {
        let (a, b) = (plain.next_sample(ts(i)), dropped.next_sample(ts(i)));
        let out = (3..7).contains(&i);
        let expected: Vec<_> =
            a.values.iter().filter(|v| !out || v.channel != "mould_temperature").cloned().collect();
        assert_eq!(b.values, expected, "sample {i}");
        assert_eq!(b.values.len(), spec.channels.len() - usize::from(out));
    }
    let err = dropped.schedule_dropout("flux_capacitor", 0, 1).unwrap_err();
    assert_eq!(err, UnknownChannel { asset: "moulding-07", channel: "flux_capacitor".into() });
    assert!(err.to_string().contains("flux_capacitor"));
}

#[test]
fn an_unknown_fault_is_an_error_naming_the_known_ones() {
    for spec in demo_lines() {
        let mut sim = LineSimulator::new(&spec, 3);
        let err = sim.schedule_fault("meteor_strike", 0, 10).unwrap_err();
        assert_eq!(
            err,
            UnknownFault {
                asset: spec.asset,
                fault: "meteor_strike".into(),
                known: spec.faults.clone()
            }
        );
        let message = err.to_string();
        assert!(message.contains("meteor_strike") && message.contains(spec.faults[2]));
        // Another line's fault is unknown too, and nothing got scheduled.
        let other = if spec.asset == "moulding-07" { "chamber_leak" } else { "short_shot" };
        assert!(sim.schedule_fault(other, 0, 10).is_err());
        sim.next_sample(ts(0));
        assert_eq!(sim.active_fault(), None);
    }
}

#[test]
fn overlapping_faults_apply_earliest_onset_first_and_history_does_not_count() {
    let mut sim = LineSimulator::new(&line("hbm-etch-01"), 9);
    sim.schedule_fault("esc_cooling_loss", 10, 20).unwrap();
    sim.schedule_fault("chamber_leak", 5, 10).unwrap();
    sim.schedule_fault("rf_matching_drift", 0, 0).unwrap();
    // History rows neither carry nor consume scheduled faults.
    sim.normal_history(100);
    assert_eq!(sim.active_fault(), None);
    let active: Vec<Option<&str>> = (0..35)
        .map(|i| {
            sim.next_sample(ts(i));
            sim.active_fault()
        })
        .collect();
    let expected: Vec<Option<&str>> = (0..35)
        .map(|t| match t {
            5..15 => Some("chamber_leak"),
            15..30 => Some("esc_cooling_loss"),
            _ => None,
        })
        .collect();
    assert_eq!(active, expected);
}

#[test]
fn a_customised_spec_keeps_its_identity_and_fault_list() {
    let mut spec = line("moulding-07");
    spec.asset = "moulding-12";
    spec.title = "Injection moulding station 12";
    spec.faults = vec!["short_shot"];
    let mut sim = LineSimulator::new(&spec, 1);
    assert_eq!(sim.next_sample(ts(0)).asset, "moulding-12");
    assert!(sim.schedule_fault("wet_resin", 0, 5).is_err());
    sim.schedule_fault("short_shot", 0, 5).unwrap();
    sim.next_sample(ts(1));
    assert_eq!(sim.active_fault(), Some("short_shot"));
}

#[test]
#[should_panic(expected = "must be those of the built-in")]
fn a_spec_with_other_channels_is_refused() {
    let mut spec = line("robot-j3-01");
    spec.channels.pop();
    LineSimulator::new(&spec, 1);
}

#[test]
fn the_live_stream_looks_like_the_history() {
    for spec in demo_lines() {
        for seed in 1..=5 {
            let mut sim = LineSimulator::new(&spec, seed);
            let history = sim.normal_history(HISTORY);
            let (mu, sigma) = history_stats(&history);
            let live = run(&mut sim, HISTORY);
            for (c, channel) in spec.channels.iter().enumerate() {
                let column: Vec<f64> = live.iter().map(|r| r[c]).collect();
                let shift = (mean(&column) - mu[c]) / sigma[c];
                let ratio = std(&column) / sigma[c];
                assert!(
                    shift.abs() < 0.5,
                    "{} seed {seed} {}: mean moved {shift:.2} sd",
                    spec.asset,
                    channel.name
                );
                assert!(
                    (0.7..1.4).contains(&ratio),
                    "{} seed {seed} {}: sd ratio {ratio:.2}",
                    spec.asset,
                    channel.name
                );
            }
        }
    }
}

/// Onsets (live samples after the history) at which each fault is tried: they fall at different
/// robot cycle positions and in the bioreactor's growth, stationary and lag phases.
const ONSETS: [u64; 3] = [50, 250, 455];
/// Samples within which the alarm must come.
const MAX_DELAY: u64 = 20;

#[test]
fn a_pca_monitor_fitted_on_the_history_stays_quiet_and_catches_every_fault() {
    for spec in demo_lines() {
        for seed in 1..=3 {
            let mut sim = LineSimulator::new(&spec, seed);
            let history = sim.normal_history(HISTORY);
            let monitor = Monitor::fit(&history);

            let mut fresh = sim.clone();
            let mut rule = AlarmRule::default();
            let (mut flagged, mut alarmed) = (0, 0);
            for row in run(&mut fresh, HISTORY) {
                let out = monitor.out_of_control(&row);
                flagged += usize::from(out);
                alarmed += usize::from(rule.push(out));
            }
            let (flag_rate, alarm_rate) =
                (flagged as f64 / HISTORY as f64, alarmed as f64 / HISTORY as f64);
            println!(
                "{} seed {seed}: out of control {:.2} %, in alarm {:.2} %",
                spec.asset,
                100.0 * flag_rate,
                100.0 * alarm_rate
            );
            assert!(alarm_rate < 0.03, "{} seed {seed}: false alarms {alarm_rate}", spec.asset);

            for fault in &spec.faults {
                let mut delays = Vec::new();
                for onset in ONSETS {
                    let mut faulty = sim.clone();
                    faulty.schedule_fault(fault, onset, 100).unwrap();
                    let mut rule = AlarmRule::default();
                    let mut delay = None;
                    for t in 0..onset + MAX_DELAY + 1 {
                        let row = values(&faulty.next_sample(ts(t)));
                        if rule.push(monitor.out_of_control(&row)) && t >= onset {
                            delay = Some(t - onset);
                            break;
                        }
                    }
                    let delay = delay.unwrap_or_else(|| {
                        panic!("{} seed {seed}: {fault} at {onset} not detected", spec.asset)
                    });
                    delays.push(delay);
                }
                println!("{} seed {seed}: {fault} detected after {delays:?} samples", spec.asset);
            }
        }
    }
}
