//! `bioreactor-02`: a fed-batch microbial bioreactor, with compressed time: one batch lasts
//! [`BATCH`] samples and is followed at once by the next.
//!
//! Each batch goes through three phases (context `phase`): `lag` (inoculum adapting, biomass
//! flat), `growth` (logistic growth of biomass `X`, in OD600) and `stationary` (biomass at its
//! plateau). The metabolic activity `R = 4 x (1 − x)`, with `x = X / Xmax`, peaks in mid-growth; CO2
//! evolution, acid production (hence base addition), oxygen demand (DO dips while the agitation
//! cascade speeds up) and metabolic heat follow `R`, feed follows `X`. The growth rate, inoculum
//! and plateau vary a little from batch to batch. Latent drivers (unit-variance AR(1)):
//! `metabolism` (feed, base and CO2 together), `gas` (mass transfer: DO up, agitation down), `ph`
//! (pH loop), `temperature` (jacket loop) and `turbidity` (OD reading).
//!
//! Faults:
//! - `do_probe_fouling`: the DO probe reads up to 18 % low over 12 samples; the cascade answers
//!   with up to +45 rpm of agitation, while CO2 and feed say nothing changed.
//! - `contamination`: an acid-producing contaminant takes hold over 10 samples: off-gas CO2
//!   +1.2 %, base addition +6 mL/h (far more acid per CO2 than the culture makes), DO −2 %,
//!   agitation +5 rpm, and OD climbs off its trend by 0.25 per sample (at most +6) while the feed,
//!   which follows the culture, does not.
//! - `ph_probe_stuck`: the pH reading freezes at its value at the onset; blind, the pH loop's
//!   integrator drives base addition up by 0.6 mL/h per sample (at most +15 mL/h).

use rand::rngs::SmallRng;

use super::signal::{Ar1, envelope, gauss, ramp};
use super::{ChannelSpec, LineSpec, Sector, Tick};

/// Faults, in the order of [`spec`]'s list.
const FAULTS: [&str; 3] = ["do_probe_fouling", "contamination", "ph_probe_stuck"];
const DO_PROBE_FOULING: usize = 0;
const CONTAMINATION: usize = 1;
const PH_PROBE_STUCK: usize = 2;

/// Channels, in frame order.
const CHANNELS: [ChannelSpec; 8] = [
    ChannelSpec { name: "ph", unit: "pH" },
    ChannelSpec { name: "dissolved_oxygen", unit: "%" },
    ChannelSpec { name: "temperature", unit: "°C" },
    ChannelSpec { name: "agitation", unit: "rpm" },
    ChannelSpec { name: "feed_rate", unit: "mL/h" },
    ChannelSpec { name: "base_addition", unit: "mL/h" },
    ChannelSpec { name: "off_gas_co2", unit: "%" },
    ChannelSpec { name: "optical_density", unit: "OD600" },
];
const PH: usize = 0;
const DO: usize = 1;
const TEMPERATURE: usize = 2;
const AGITATION: usize = 3;
const FEED: usize = 4;
const BASE: usize = 5;
const CO2: usize = 6;
const OD: usize = 7;

/// Samples per batch.
const BATCH: u64 = 600;
/// First sample of the growth phase within a batch.
const GROWTH_START: u64 = 90;
/// First sample of the stationary phase within a batch.
const STATIONARY_START: u64 = 420;
/// Nominal inoculum biomass (OD600), plateau biomass and logistic growth rate (per sample).
const INOCULUM: f64 = 0.4;
const PLATEAU: f64 = 24.0;
const GROWTH_RATE: f64 = 0.022;

/// The line's spec.
pub(super) fn spec() -> LineSpec {
    LineSpec {
        asset: "bioreactor-02",
        site: "demo",
        sector: Sector::Bioprocess,
        title: "Fed-batch bioreactor 2",
        channels: CHANNELS.to_vec(),
        faults: FAULTS.to_vec(),
    }
}

/// Phase label of a position within a batch.
fn phase(position: u64) -> &'static str {
    if position < GROWTH_START {
        "lag"
    } else if position < STATIONARY_START {
        "growth"
    } else {
        "stationary"
    }
}

/// State of the bioreactor.
#[derive(Debug, Clone)]
pub(super) struct Bioreactor {
    /// This batch's inoculum, plateau and growth rate.
    inoculum: f64,
    plateau: f64,
    growth_rate: f64,
    metabolism: Ar1,
    gas: Ar1,
    ph: Ar1,
    temperature: Ar1,
    turbidity: Ar1,
    /// The frozen pH reading while the probe is stuck.
    stuck_ph: Option<f64>,
    /// Samples produced so far (history and live).
    step: u64,
}

impl Bioreactor {
    pub(super) fn new(rng: &mut SmallRng) -> Bioreactor {
        Bioreactor {
            inoculum: INOCULUM,
            plateau: PLATEAU,
            growth_rate: GROWTH_RATE,
            metabolism: Ar1::new(0.9, rng),
            gas: Ar1::new(0.85, rng),
            ph: Ar1::new(0.8, rng),
            temperature: Ar1::new(0.9, rng),
            turbidity: Ar1::new(0.9, rng),
            stuck_ph: None,
            step: 0,
        }
    }

    /// Produces one sample into `out` (one value per channel).
    pub(super) fn step(&mut self, rng: &mut SmallRng, tick: Option<Tick>, out: &mut [f64]) {
        let position = self.step % BATCH;
        if position == 0 {
            // A new batch: its own inoculum, plateau and growth rate.
            self.inoculum = INOCULUM * (1.0 + 0.05 * gauss(rng));
            self.plateau = PLATEAU * (1.0 + 0.03 * gauss(rng));
            self.growth_rate = GROWTH_RATE * (1.0 + 0.05 * gauss(rng));
        }
        let biomass = if position < GROWTH_START {
            self.inoculum
        } else {
            let t = (position - GROWTH_START) as f64;
            let ratio = self.plateau / self.inoculum - 1.0;
            self.plateau / (1.0 + ratio * (-self.growth_rate * t).exp())
        };
        let x = biomass / self.plateau;
        let activity = 4.0 * x * (1.0 - x);

        let metabolism = self.metabolism.step(rng);
        let gas = self.gas.step(rng);
        let ph = self.ph.step(rng);
        let temperature = self.temperature.step(rng);
        let turbidity = self.turbidity.step(rng);

        out[PH] = 7.0 - 0.05 * activity + 0.012 * ph + 0.006 * gauss(rng);
        out[DO] = 40.0 - 14.0 * activity - 0.15 * biomass + 1.2 * gas + 0.5 * gauss(rng);
        out[TEMPERATURE] = 37.0 + 0.06 * activity + 0.05 * temperature + 0.02 * gauss(rng);
        out[AGITATION] = 300.0 + 220.0 * activity + 3.0 * biomass - 8.0 * gas + 2.0 * gauss(rng);
        out[FEED] = 2.0 + 1.5 * biomass + 0.3 * metabolism + 0.15 * gauss(rng);
        out[BASE] = 1.2 + 5.0 * activity + 0.03 * biomass + 0.25 * metabolism + 0.12 * gauss(rng);
        out[CO2] = 0.4 + 3.0 * activity + 0.05 * biomass + 0.08 * metabolism + 0.03 * gauss(rng);
        out[OD] = biomass + 0.05 * turbidity + 0.04 * gauss(rng);

        let fouling = envelope(tick, DO_PROBE_FOULING, |age| ramp(age, 12));
        out[DO] -= 18.0 * fouling;
        out[AGITATION] += 45.0 * fouling;

        // An acid-producing contaminant: far more acid per CO2 and per oxygen than the culture.
        let contamination = envelope(tick, CONTAMINATION, |age| ramp(age, 10));
        out[CO2] += 1.2 * contamination;
        out[BASE] += 6.0 * contamination;
        out[DO] -= 2.0 * contamination;
        out[AGITATION] += 5.0 * contamination;
        out[OD] += envelope(tick, CONTAMINATION, |age| (0.25 * (age + 1) as f64).min(6.0));

        match tick {
            Some(t) if t.fault == PH_PROBE_STUCK => {
                out[PH] = *self.stuck_ph.get_or_insert(out[PH]);
                out[BASE] += (0.6 * (t.age + 1) as f64).min(15.0);
            }
            _ => self.stuck_ph = None,
        }

        // Physical floors, reached only under faults.
        out[DO] = out[DO].max(0.0);
        out[BASE] = out[BASE].max(0.0);
        self.step += 1;
    }

    /// Context of the last sample: batch phase and batch id.
    pub(super) fn context(&self, context: &mut Vec<(String, String)>) {
        let last = self.step.saturating_sub(1);
        context.push(("phase".to_owned(), phase(last % BATCH).to_owned()));
        context.push(("batch".to_owned(), format!("FB-{:04}", last / BATCH + 1)));
    }
}
