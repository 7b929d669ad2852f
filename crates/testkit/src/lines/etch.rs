//! `hbm-etch-01`: the main etch step of a CF4/O2/Ar plasma etch chamber cutting through-silicon
//! vias for HBM stacks, sampled once a second.
//!
//! Latent drivers (unit-variance AR(1)):
//! - `gas`: gas-delivery fluctuation, moving the three mass-flow controllers together; the
//!   pressure loop opens the throttle valve a little for more flow.
//! - `load`: chamber gas load and pumping speed; the pressure loop answers it with the throttle
//!   valve, so pressure and valve position move together.
//! - `impedance`: plasma impedance seen by the matching network: reflected power up and DC bias
//!   less negative (less power delivered).
//! - `conditioning`: slow polymer build-up on the walls: wall temperature, reflected power, bias.
//! - `heat`: chiller and thermal load: ESC and wall temperatures.
//! - `generator`: RF generator regulation error: forward power, bias, a touch of ESC heating.
//!
//! Faults:
//! - `rf_matching_drift`: the match network drifts off tune over 10 s: reflected power +18 W, DC
//!   bias +25 V (less negative) while forward power holds.
//! - `chamber_leak`: an air leak over 8 s: pressure +3 mTorr although the throttle valve opens by
//!   12 points, bias +5 V.
//! - `esc_cooling_loss`: helium backside cooling lost: ESC temperature rises by up to 12 °C with a
//!   10 s time constant, the wall follows by 1.5 °C.

use rand::rngs::SmallRng;

use super::signal::{Ar1, envelope, gauss, ramp, rise};
use super::{ChannelSpec, LineSpec, Sector, Tick};

/// Faults, in the order of [`spec`]'s list.
const FAULTS: [&str; 3] = ["rf_matching_drift", "chamber_leak", "esc_cooling_loss"];
const RF_MATCHING_DRIFT: usize = 0;
const CHAMBER_LEAK: usize = 1;
const ESC_COOLING_LOSS: usize = 2;

/// Channels, in frame order.
const CHANNELS: [ChannelSpec; 10] = [
    ChannelSpec { name: "chamber_pressure", unit: "mTorr" },
    ChannelSpec { name: "rf_forward_power", unit: "W" },
    ChannelSpec { name: "rf_reflected_power", unit: "W" },
    ChannelSpec { name: "cf4_flow", unit: "sccm" },
    ChannelSpec { name: "o2_flow", unit: "sccm" },
    ChannelSpec { name: "ar_flow", unit: "sccm" },
    ChannelSpec { name: "esc_temperature", unit: "°C" },
    ChannelSpec { name: "wall_temperature", unit: "°C" },
    ChannelSpec { name: "dc_bias", unit: "V" },
    ChannelSpec { name: "throttle_valve_position", unit: "%" },
];
const PRESSURE: usize = 0;
const FORWARD: usize = 1;
const REFLECTED: usize = 2;
const CF4: usize = 3;
const O2: usize = 4;
const AR: usize = 5;
const ESC: usize = 6;
const WALL: usize = 7;
const BIAS: usize = 8;
const VALVE: usize = 9;

/// Seconds of main etch per wafer.
const SAMPLES_PER_WAFER: u64 = 60;
/// Wafers in a lot (one FOUP).
const WAFERS_PER_LOT: u64 = 25;

/// The line's spec.
pub(super) fn spec() -> LineSpec {
    LineSpec {
        asset: "hbm-etch-01",
        site: "demo",
        sector: Sector::Semiconductor,
        title: "HBM etch chamber 1",
        channels: CHANNELS.to_vec(),
        faults: FAULTS.to_vec(),
    }
}

/// State of the etch chamber.
#[derive(Debug, Clone)]
pub(super) struct Etch {
    gas: Ar1,
    load: Ar1,
    impedance: Ar1,
    conditioning: Ar1,
    heat: Ar1,
    generator: Ar1,
    /// Samples produced so far (history and live).
    step: u64,
}

impl Etch {
    pub(super) fn new(rng: &mut SmallRng) -> Etch {
        Etch {
            gas: Ar1::new(0.9, rng),
            load: Ar1::new(0.85, rng),
            impedance: Ar1::new(0.9, rng),
            conditioning: Ar1::new(0.9, rng),
            heat: Ar1::new(0.9, rng),
            generator: Ar1::new(0.6, rng),
            step: 0,
        }
    }

    /// Produces one sample into `out` (one value per channel).
    pub(super) fn step(&mut self, rng: &mut SmallRng, tick: Option<Tick>, out: &mut [f64]) {
        let gas = self.gas.step(rng);
        let load = self.load.step(rng);
        let impedance = self.impedance.step(rng);
        let conditioning = self.conditioning.step(rng);
        let heat = self.heat.step(rng);
        let generator = self.generator.step(rng);

        out[PRESSURE] = 30.0 + 0.30 * load + 0.10 * gas + 0.04 * gauss(rng);
        out[FORWARD] = 1500.0 + 4.0 * generator + 1.5 * gauss(rng);
        out[REFLECTED] = 12.0 + 1.6 * impedance + 0.8 * conditioning + 0.3 * gauss(rng);
        out[CF4] = 80.0 + 0.35 * gas + 0.12 * gauss(rng);
        out[O2] = 10.0 + 0.045 * gas + 0.03 * gauss(rng);
        out[AR] = 150.0 + 0.65 * gas + 0.25 * gauss(rng);
        out[ESC] = 20.0 + 0.25 * heat + 0.03 * generator + 0.05 * gauss(rng);
        out[WALL] = 60.0 + 0.6 * conditioning + 0.4 * heat + 0.1 * gauss(rng);
        out[BIAS] =
            -420.0 - 1.2 * generator + 3.0 * impedance - 3.0 * conditioning + 1.0 * gauss(rng);
        out[VALVE] = 35.0 + 1.5 * load + 0.9 * gas + 0.2 * gauss(rng);

        let drift = envelope(tick, RF_MATCHING_DRIFT, |age| ramp(age, 10));
        out[REFLECTED] += 18.0 * drift;
        out[BIAS] += 25.0 * drift;

        let leak = envelope(tick, CHAMBER_LEAK, |age| ramp(age, 8));
        out[PRESSURE] += 3.0 * leak;
        out[VALVE] = (out[VALVE] + 12.0 * leak).min(100.0);
        out[BIAS] += 5.0 * leak;

        let cooling = envelope(tick, ESC_COOLING_LOSS, |age| rise(age, 10.0));
        out[ESC] += 12.0 * cooling;
        out[WALL] += 1.5 * cooling;

        self.step += 1;
    }

    /// Context of the last sample: recipe, lot and wafer slot.
    pub(super) fn context(&self, context: &mut Vec<(String, String)>) {
        let wafer = self.step.saturating_sub(1) / SAMPLES_PER_WAFER;
        let lot = wafer / WAFERS_PER_LOT;
        let slot = wafer % WAFERS_PER_LOT + 1;
        context.push(("recipe".to_owned(), "HBM_TSV_MAIN_ETCH_V4".to_owned()));
        context.push(("lot".to_owned(), format!("HB24{:05}", 1730 + lot)));
        context.push(("wafer".to_owned(), format!("{slot:02}")));
    }
}
