//! `robot-j3-01`: joint 3 (elbow) of a six-axis industrial robot running a pick-and-place program,
//! sampled every 0.5 s.
//!
//! The motion repeats every [`CYCLE`] samples: accelerate out, cruise, decelerate, dwell at the
//! place position, and back. Speed, acceleration and the elbow angle (through the gravity torque
//! `cos θ`) follow the cycle exactly, so torque, current, following error and vibration are
//! correlated through them. Latent drivers (unit-variance AR(1)): `payload` (part mass, adds
//! gravity torque and a little following error), `heat` (motor and gearbox warm-up), `ambient`
//! (cell temperature, gearbox only) and `vibration` (floor and neighbouring machines).
//!
//! Faults:
//! - `gearbox_wear`: over 6 samples vibration rises by 2 mm/s plus 0.02 mm/s per deg/s of speed,
//!   and the motor current needed for the same output torque rises (friction losses: +0.9 A plus
//!   0.004 A per deg/s): the torque-to-current relation changes.
//! - `encoder_fault`: the following error jumps by 0.12° and, on about a third of the samples, by
//!   a further ±0.5° glitch that also corrupts the measured speed (±25 deg/s).
//! - `lubrication_loss`: the gearbox temperature drifts up by about 0.4 °C per sample (25 °C after
//!   63 samples) while the motor stays put; friction adds up to 0.3 A and 0.2 mm/s.

use rand::Rng;
use rand::rngs::SmallRng;

use super::signal::{Ar1, envelope, gauss, ramp};
use super::{ChannelSpec, LineSpec, Sector, Tick};

/// Faults, in the order of [`spec`]'s list.
const FAULTS: [&str; 3] = ["gearbox_wear", "encoder_fault", "lubrication_loss"];
const GEARBOX_WEAR: usize = 0;
const ENCODER_FAULT: usize = 1;
const LUBRICATION_LOSS: usize = 2;

/// Channels, in frame order.
const CHANNELS: [ChannelSpec; 7] = [
    ChannelSpec { name: "joint_torque", unit: "N·m" },
    ChannelSpec { name: "motor_current", unit: "A" },
    ChannelSpec { name: "motor_temperature", unit: "°C" },
    ChannelSpec { name: "gearbox_temperature", unit: "°C" },
    ChannelSpec { name: "vibration_rms", unit: "mm/s" },
    ChannelSpec { name: "joint_speed", unit: "deg/s" },
    ChannelSpec { name: "following_error", unit: "deg" },
];
const TORQUE: usize = 0;
const CURRENT: usize = 1;
const MOTOR_TEMP: usize = 2;
const GEARBOX_TEMP: usize = 3;
const VIBRATION: usize = 4;
const SPEED: usize = 5;
const FOLLOWING_ERROR: usize = 6;

/// Samples per pick-and-place cycle.
const CYCLE: usize = 12;
/// Sample period, in seconds.
const DT: f64 = 0.5;
/// Commanded joint speed over one cycle, deg/s: out to the place position, dwell, and back.
const SPEED_PROFILE: [f64; CYCLE] =
    [0.0, 45.0, 90.0, 90.0, 45.0, 0.0, 0.0, -45.0, -90.0, -90.0, -45.0, 0.0];
/// Elbow angle at the start of the cycle, degrees.
const START_ANGLE: f64 = 20.0;
/// Probability that an encoder glitch hits a sample while the encoder fault is active.
const GLITCH_PROBABILITY: f64 = 0.35;

/// The line's spec.
pub(super) fn spec() -> LineSpec {
    LineSpec {
        asset: "robot-j3-01",
        site: "demo",
        sector: Sector::Robotics,
        title: "Pick-and-place robot, joint 3",
        channels: CHANNELS.to_vec(),
        faults: FAULTS.to_vec(),
    }
}

/// The commanded motion at one cycle position.
#[derive(Debug, Clone, Copy, Default)]
struct Motion {
    speed: f64,
    acceleration: f64,
    /// `cos θ` of the elbow angle: the gravity-torque arm.
    gravity: f64,
}

/// State of the robot joint.
#[derive(Debug, Clone)]
pub(super) struct Robot {
    cycle: [Motion; CYCLE],
    payload: Ar1,
    heat: Ar1,
    ambient: Ar1,
    vibration: Ar1,
    /// Samples produced so far (history and live).
    step: u64,
}

impl Robot {
    pub(super) fn new(rng: &mut SmallRng) -> Robot {
        let mut cycle = [Motion::default(); CYCLE];
        let mut angle = START_ANGLE;
        for (i, m) in cycle.iter_mut().enumerate() {
            let (previous, next) =
                (SPEED_PROFILE[(i + CYCLE - 1) % CYCLE], SPEED_PROFILE[(i + 1) % CYCLE]);
            if i > 0 {
                angle += DT * 0.5 * (previous + SPEED_PROFILE[i]);
            }
            *m = Motion {
                speed: SPEED_PROFILE[i],
                acceleration: (next - previous) / (2.0 * DT),
                gravity: angle.to_radians().cos(),
            };
        }
        Robot {
            cycle,
            payload: Ar1::new(0.9, rng),
            heat: Ar1::new(0.9, rng),
            ambient: Ar1::new(0.9, rng),
            vibration: Ar1::new(0.7, rng),
            step: 0,
        }
    }

    /// Produces one sample into `out` (one value per channel).
    pub(super) fn step(&mut self, rng: &mut SmallRng, tick: Option<Tick>, out: &mut [f64]) {
        let motion = self.cycle[(self.step % CYCLE as u64) as usize];
        let (speed, acceleration) = (motion.speed, motion.acceleration);
        let payload = self.payload.step(rng);
        let heat = self.heat.step(rng);
        let ambient = self.ambient.step(rng);
        let vibration = self.vibration.step(rng);
        // Drawn on every sample so the random stream does not depend on faults.
        let glitch_draw: f64 = rng.random();
        let (glitch_error, glitch_speed) = (gauss(rng), gauss(rng));

        let torque = 0.12 * acceleration + 0.15 * speed + 85.0 * motion.gravity + 5.0 * payload;
        out[TORQUE] = torque + 1.0 * gauss(rng);
        out[CURRENT] = 0.085 * (torque + 0.06 * speed) + 0.05 * gauss(rng);
        out[MOTOR_TEMP] = 58.0 + 1.2 * heat + 0.1 * gauss(rng);
        out[GEARBOX_TEMP] = 46.0 + 0.7 * heat + 0.5 * ambient + 0.1 * gauss(rng);
        out[VIBRATION] = 0.9 + 0.015 * speed.abs() + 0.08 * vibration + 0.06 * gauss(rng);
        out[SPEED] = speed + 0.6 * gauss(rng);
        out[FOLLOWING_ERROR] =
            0.0009 * acceleration + 0.0003 * speed + 0.004 * payload + 0.004 * gauss(rng);

        let wear = envelope(tick, GEARBOX_WEAR, |age| ramp(age, 6));
        out[VIBRATION] += (2.0 + 0.02 * speed.abs()) * wear;
        out[CURRENT] += (0.9 + 0.004 * speed.abs()) * wear;

        if envelope(tick, ENCODER_FAULT, |_| 1.0) > 0.0 {
            out[FOLLOWING_ERROR] += 0.12;
            if glitch_draw < GLITCH_PROBABILITY {
                out[FOLLOWING_ERROR] += 0.5 * glitch_error;
                out[SPEED] += 25.0 * glitch_speed;
            }
        }

        let lubrication = envelope(tick, LUBRICATION_LOSS, |age| ramp(age, 63));
        out[GEARBOX_TEMP] += 25.0 * lubrication;
        out[CURRENT] += 0.3 * lubrication;
        out[VIBRATION] += 0.2 * lubrication;

        self.step += 1;
    }

    /// Context of the last sample: program and cycle number.
    pub(super) fn context(&self, context: &mut Vec<(String, String)>) {
        let cycle = self.step.saturating_sub(1) / CYCLE as u64 + 1;
        context.push(("program".to_owned(), "PNP_TRAY_A".to_owned()));
        context.push(("cycle".to_owned(), cycle.to_string()));
    }
}
