//! `moulding-07`: an injection moulding station making medical-device parts (syringe barrels in a
//! four-cavity mould), one sample per shot.
//!
//! Latent drivers (unit-variance AR(1) from shot to shot): `melt` (barrel heating: hotter melt
//! flows more easily, so lower injection pressure and more pressure reaching the cavity),
//! `viscosity` (resin lot: more injection pressure, less cavity pressure, a smaller cushion),
//! `mould` (mould temperature control: longer cooling, thermal growth raising clamp force) and
//! `shot` (shot-size and check-ring variation: cavity pressure and cushion together).
//!
//! Faults:
//! - `heater_band_failure`: a barrel heater band fails: melt temperature falls by up to 14 °C
//!   (time constant 6 shots), the stiffer melt needs up to +70 bar of injection pressure and
//!   leaves 20 bar less in the cavity.
//! - `short_shot`: within 2 shots the cavity is no longer filled: cavity pressure −160 bar, the
//!   screw bottoms out (cushion −7.4 mm), clamp force follows the cavity pressure.
//! - `wet_resin`: undried resin: over 5 shots injection pressure drops 25 bar and shot-to-shot
//!   scatter appears on injection pressure (sd 60 bar), cavity pressure (sd 30 bar), cushion
//!   (sd 1.2 mm) and cycle time (erratic screw recovery: up to a second longer, 0.4 s on
//!   average).

use rand::rngs::SmallRng;

use super::signal::{Ar1, envelope, gauss, ramp, rise};
use super::{ChannelSpec, LineSpec, Sector, Tick};

/// Faults, in the order of [`spec`]'s list.
const FAULTS: [&str; 3] = ["heater_band_failure", "short_shot", "wet_resin"];
const HEATER_BAND_FAILURE: usize = 0;
const SHORT_SHOT: usize = 1;
const WET_RESIN: usize = 2;

/// Channels, in frame order.
const CHANNELS: [ChannelSpec; 8] = [
    ChannelSpec { name: "melt_temperature", unit: "°C" },
    ChannelSpec { name: "injection_pressure", unit: "bar" },
    ChannelSpec { name: "cavity_pressure", unit: "bar" },
    ChannelSpec { name: "hold_pressure", unit: "bar" },
    ChannelSpec { name: "cycle_time", unit: "s" },
    ChannelSpec { name: "mould_temperature", unit: "°C" },
    ChannelSpec { name: "screw_position", unit: "mm" },
    ChannelSpec { name: "clamp_force", unit: "kN" },
];
const MELT: usize = 0;
const INJECTION: usize = 1;
const CAVITY: usize = 2;
const HOLD: usize = 3;
const CYCLE_TIME: usize = 4;
const MOULD: usize = 5;
const SCREW: usize = 6;
const CLAMP: usize = 7;

/// Clamp force per bar of cavity pressure above nominal, kN/bar.
const CLAMP_PER_CAVITY_BAR: f64 = 0.08;

/// The line's spec.
pub(super) fn spec() -> LineSpec {
    LineSpec {
        asset: "moulding-07",
        site: "demo",
        sector: Sector::MedicalDevice,
        title: "Injection moulding station 7 (syringe barrels)",
        channels: CHANNELS.to_vec(),
        faults: FAULTS.to_vec(),
    }
}

/// State of the moulding station.
#[derive(Debug, Clone)]
pub(super) struct Moulding {
    melt: Ar1,
    viscosity: Ar1,
    mould: Ar1,
    shot: Ar1,
    /// Shots produced so far (history and live).
    step: u64,
}

impl Moulding {
    pub(super) fn new(rng: &mut SmallRng) -> Moulding {
        Moulding {
            melt: Ar1::new(0.9, rng),
            viscosity: Ar1::new(0.9, rng),
            mould: Ar1::new(0.9, rng),
            shot: Ar1::new(0.5, rng),
            step: 0,
        }
    }

    /// Produces one sample (one shot) into `out` (one value per channel).
    pub(super) fn step(&mut self, rng: &mut SmallRng, tick: Option<Tick>, out: &mut [f64]) {
        let melt = self.melt.step(rng);
        let viscosity = self.viscosity.step(rng);
        let mould = self.mould.step(rng);
        let shot = self.shot.step(rng);
        // Wet-resin scatter, drawn on every shot so the random stream does not depend on faults.
        let scatter = [gauss(rng), gauss(rng), gauss(rng), gauss(rng)];

        let cavity = -6.0 * viscosity + 4.0 * melt + 7.0 * shot + 4.0 * gauss(rng);
        out[MELT] = 230.0 + 1.5 * melt + 0.3 * gauss(rng);
        out[INJECTION] = 1100.0 + 25.0 * viscosity - 8.0 * melt + 5.0 * gauss(rng);
        out[CAVITY] = 450.0 + cavity;
        out[HOLD] = 600.0 + 1.0 * viscosity + 1.5 * gauss(rng);
        out[CYCLE_TIME] = 28.0 + 0.12 * mould + 0.05 * gauss(rng);
        out[MOULD] = 80.0 + 0.8 * mould + 0.15 * melt + 0.1 * gauss(rng);
        out[SCREW] = 8.0 + 0.35 * shot - 0.15 * viscosity + 0.08 * gauss(rng);
        out[CLAMP] = 1500.0 + 4.0 * mould + CLAMP_PER_CAVITY_BAR * cavity + 3.0 * gauss(rng);

        let heater = envelope(tick, HEATER_BAND_FAILURE, |age| rise(age, 6.0));
        out[MELT] -= 14.0 * heater;
        out[INJECTION] += 70.0 * heater;
        out[CAVITY] -= 20.0 * heater;
        out[CLAMP] -= CLAMP_PER_CAVITY_BAR * 20.0 * heater;

        let short = envelope(tick, SHORT_SHOT, |age| ramp(age, 2));
        out[CAVITY] -= 160.0 * short;
        out[SCREW] -= 7.4 * short;
        out[CLAMP] -= CLAMP_PER_CAVITY_BAR * 160.0 * short;

        let wet = envelope(tick, WET_RESIN, |age| ramp(age, 5));
        out[INJECTION] += wet * (60.0 * scatter[0] - 25.0);
        out[CAVITY] += wet * 30.0 * scatter[1];
        out[SCREW] += wet * 1.2 * scatter[2];
        out[CYCLE_TIME] += wet * 0.5 * scatter[3].abs();

        // The screw cannot travel past the front of the barrel.
        out[SCREW] = out[SCREW].max(0.0);
        self.step += 1;
    }

    /// Context of the last sample: mould and shot number.
    pub(super) fn context(&self, context: &mut Vec<(String, String)>) {
        context.push(("mould".to_owned(), "SYR-3ML-4CAV".to_owned()));
        context.push(("shot".to_owned(), self.step.to_string()));
    }
}
