//! Simulated production lines for `faultline demo` and `bench ingest`: one streaming simulator per
//! sector faultline serves (semiconductor, robotics, bioprocess, medical devices).
//!
//! Each line is a small physical model: a few latent drivers (unit-variance AR(1) processes, plus
//! the deterministic motion cycle of the robot and the batch phases of the bioreactor) drive
//! channels with real names, units and operating points, and every channel adds its own white
//! measurement noise. Channels are linear in the drivers, so a linear monitor (PCA) can learn
//! normal operation from a history that covers every cycle position and batch phase.
//!
//! A [`LineSimulator`] first draws [`LineSimulator::normal_history`] for fitting, then streams live
//! [`Sample`]s with [`LineSimulator::next_sample`]; faults are scheduled by name with
//! [`LineSimulator::schedule_fault`] and last a given number of samples.
//!
//! Determinism: everything follows from the seed. Every step draws the same random numbers whether
//! a fault is active or not, and a fault's effect never feeds back into the line's state, so two
//! simulators with the same seed, one with a fault scheduled, give bit-identical samples before the
//! onset and again after the fault ends.

mod bioreactor;
mod etch;
mod moulding;
mod robot;
mod signal;

#[cfg(test)]
mod check;
#[cfg(test)]
mod tests;

use std::fmt;

use faultline_types::{
    Channel, ChannelSchema, ChannelValue, Quality, Recording, Sample, Timestamp,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// The industry a demo line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sector {
    /// Semiconductor fabrication (the HBM plasma etch chamber).
    Semiconductor,
    /// Industrial robotics (a robot joint).
    Robotics,
    /// Biopharmaceutical processing (a fed-batch bioreactor).
    Bioprocess,
    /// Medical-device manufacturing (an injection moulding station).
    MedicalDevice,
}

impl Sector {
    /// Stable lower-case label (`semiconductor`, `robotics`, `bioprocess`, `medical_device`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Semiconductor => "semiconductor",
            Sector::Robotics => "robotics",
            Sector::Bioprocess => "bioprocess",
            Sector::MedicalDevice => "medical_device",
        }
    }
}

/// One channel of a line: its name in the data and its engineering unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelSpec {
    /// Channel name, as it appears in samples and recordings.
    pub name: &'static str,
    /// Engineering unit (`mTorr`, `°C`, `N·m`, …).
    pub unit: &'static str,
}

/// What a simulated line is: its identity, its channels in frame order and the faults it can
/// simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// Asset name carried by every sample (`hbm-etch-01`, …).
    pub asset: &'static str,
    /// Site name; `demo` for the demo lines.
    pub site: &'static str,
    /// The industry the line belongs to; it selects the simulation model.
    pub sector: Sector,
    /// Human-readable title (`HBM etch chamber 1`, …).
    pub title: &'static str,
    /// Channels in frame order.
    pub channels: Vec<ChannelSpec>,
    /// Names of the faults [`LineSimulator::schedule_fault`] accepts.
    pub faults: Vec<&'static str>,
}

impl LineSpec {
    /// The channels as a schema (names in frame order, with units).
    pub fn schema(&self) -> ChannelSchema {
        ChannelSchema {
            channels: self
                .channels
                .iter()
                .map(|c| Channel { name: c.name.to_owned(), unit: Some(c.unit.to_owned()) })
                .collect(),
        }
    }
}

/// The four demo lines, one per sector: `hbm-etch-01` (semiconductor), `robot-j3-01` (robotics),
/// `bioreactor-02` (bioprocess) and `moulding-07` (medical devices), all at site `demo`.
pub fn demo_lines() -> Vec<LineSpec> {
    vec![etch::spec(), robot::spec(), bioreactor::spec(), moulding::spec()]
}

/// [`LineSimulator::schedule_fault`] was given a name the line does not simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault {
    /// The line's asset name.
    pub asset: &'static str,
    /// The name that was asked for.
    pub fault: String,
    /// The fault names the line accepts.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line `{}` has no fault `{}` (known: {})",
            self.asset,
            self.fault,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownFault {}

/// A fault as the model sees it at one step: which one (index into the model's fault list) and
/// how many steps since its onset (0 at the onset sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tick {
    fault: usize,
    age: u64,
}

/// A fault waiting or running, on the simulator's live-sample clock.
#[derive(Debug, Clone)]
struct Scheduled {
    name: &'static str,
    model_index: usize,
    onset: u64,
    end: u64,
}

/// A channel left out of live samples from `onset` to before `end` (live sample counts).
#[derive(Debug, Clone)]
struct Dropout {
    channel: usize,
    onset: u64,
    end: u64,
}

/// [`LineSimulator::schedule_dropout`] was given a channel the line does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChannel {
    /// The line's asset name.
    pub asset: &'static str,
    /// The name that was asked for.
    pub channel: String,
}

impl fmt::Display for UnknownChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line `{}` has no channel `{}`", self.asset, self.channel)
    }
}

impl std::error::Error for UnknownChannel {}

/// The simulation model behind a line, chosen by its sector.
#[derive(Debug, Clone)]
enum Model {
    Etch(Box<etch::Etch>),
    Robot(Box<robot::Robot>),
    Bioreactor(Box<bioreactor::Bioreactor>),
    Moulding(Box<moulding::Moulding>),
}

impl Model {
    fn new(sector: Sector, rng: &mut SmallRng) -> Model {
        match sector {
            Sector::Semiconductor => Model::Etch(Box::new(etch::Etch::new(rng))),
            Sector::Robotics => Model::Robot(Box::new(robot::Robot::new(rng))),
            Sector::Bioprocess => Model::Bioreactor(Box::new(bioreactor::Bioreactor::new(rng))),
            Sector::MedicalDevice => Model::Moulding(Box::new(moulding::Moulding::new(rng))),
        }
    }

    /// The built-in spec of a sector's line.
    fn builtin(sector: Sector) -> LineSpec {
        match sector {
            Sector::Semiconductor => etch::spec(),
            Sector::Robotics => robot::spec(),
            Sector::Bioprocess => bioreactor::spec(),
            Sector::MedicalDevice => moulding::spec(),
        }
    }

    /// Salt mixed into the seed so the four lines use unrelated random streams for one seed.
    fn salt(sector: Sector) -> u64 {
        match sector {
            Sector::Semiconductor => 0x5EC7_0A11_E7C4_0001,
            Sector::Robotics => 0x2B07_0A11_0153_0002,
            Sector::Bioprocess => 0xB102_EAC7_0B00_0003,
            Sector::MedicalDevice => 0x3ED1_CA1D_E71C_0004,
        }
    }

    fn step(&mut self, rng: &mut SmallRng, tick: Option<Tick>, out: &mut [f64]) {
        match self {
            Model::Etch(m) => m.step(rng, tick, out),
            Model::Robot(m) => m.step(rng, tick, out),
            Model::Bioreactor(m) => m.step(rng, tick, out),
            Model::Moulding(m) => m.step(rng, tick, out),
        }
    }

    fn context(&self, context: &mut Vec<(String, String)>) {
        match self {
            Model::Etch(m) => m.context(context),
            Model::Robot(m) => m.context(context),
            Model::Bioreactor(m) => m.context(context),
            Model::Moulding(m) => m.context(context),
        }
    }
}

/// A streaming simulator of one line, deterministic from its seed.
///
/// The line runs on one clock: [`normal_history`](LineSimulator::normal_history) rows and
/// [`next_sample`](LineSimulator::next_sample) samples both advance it, so the live stream
/// continues the history (same cycle position, batch phase and latent states). Faults count only
/// live samples.
#[derive(Debug, Clone)]
pub struct LineSimulator {
    spec: LineSpec,
    model: Model,
    rng: SmallRng,
    /// The row being produced, reused for every live sample.
    row: Vec<f64>,
    /// For each name of `spec.faults`, its index in the model's fault list.
    fault_indices: Vec<usize>,
    scheduled: Vec<Scheduled>,
    dropouts: Vec<Dropout>,
    /// Live samples produced so far.
    clock: u64,
    active: Option<&'static str>,
}

impl LineSimulator {
    /// A simulator of the line `spec` (normally one of [`demo_lines`]; the asset, site and title
    /// may be changed, and `faults` may be narrowed), seeded with `seed`.
    ///
    /// # Panics
    /// When `spec.channels` differ from the built-in line of `spec.sector`, or `spec.faults` names
    /// a fault that line does not simulate.
    pub fn new(spec: &LineSpec, seed: u64) -> LineSimulator {
        let builtin = Model::builtin(spec.sector);
        assert_eq!(
            spec.channels,
            builtin.channels,
            "the channels of `{}` must be those of the built-in {} line `{}`",
            spec.asset,
            spec.sector.as_str(),
            builtin.asset
        );
        let fault_indices = spec
            .faults
            .iter()
            .map(|name| {
                builtin.faults.iter().position(|f| f == name).unwrap_or_else(|| {
                    panic!("the {} line simulates no fault `{name}`", spec.sector.as_str())
                })
            })
            .collect();
        let mut rng = SmallRng::seed_from_u64(seed ^ Model::salt(spec.sector));
        let model = Model::new(spec.sector, &mut rng);
        LineSimulator {
            spec: spec.clone(),
            model,
            rng,
            row: vec![0.0; spec.channels.len()],
            fault_indices,
            scheduled: Vec::new(),
            dropouts: Vec::new(),
            clock: 0,
            active: None,
        }
    }

    /// The line simulated.
    pub fn spec(&self) -> &LineSpec {
        &self.spec
    }

    /// Normal operation history for fitting: `rows` consecutive samples as a
    /// [`Recording`] (channel names and units in spec order, no time column). Scheduled faults
    /// neither apply to these rows nor count them.
    ///
    /// A model fitted on the history must have seen every operating state: the robot's cycle is
    /// 12 samples and the bioreactor's batch 600 (90 lag, 330 growth, 180 stationary), so 2,000
    /// rows cover three batches and more than 160 cycles.
    pub fn normal_history(&mut self, rows: usize) -> Recording {
        let m = self.spec.channels.len();
        let mut values = vec![0.0; rows * m];
        for row in values.chunks_exact_mut(m) {
            self.model.step(&mut self.rng, None, row);
        }
        self.active = None;
        Recording::new(
            format!("{} normal history ({rows} rows)", self.spec.asset),
            self.spec.schema(),
            None,
            values,
        )
        .expect("whole rows of at least one channel")
    }

    /// Schedules a fault by name (one of `spec().faults`) starting `after` live samples from now
    /// (0: the next sample is faulty) and lasting `duration` samples, after which the line is
    /// normal again. When fault windows overlap, the one with the earliest onset applies (the one
    /// scheduled first on a tie).
    pub fn schedule_fault(
        &mut self,
        fault: &str,
        after: u64,
        duration: u64,
    ) -> Result<(), UnknownFault> {
        let Some(position) = self.spec.faults.iter().position(|f| *f == fault) else {
            return Err(UnknownFault {
                asset: self.spec.asset,
                fault: fault.to_owned(),
                known: self.spec.faults.clone(),
            });
        };
        let onset = self.clock.saturating_add(after);
        self.scheduled.push(Scheduled {
            name: self.spec.faults[position],
            model_index: self.fault_indices[position],
            onset,
            end: onset.saturating_add(duration),
        });
        Ok(())
    }

    /// Leaves `channel` out of the live samples starting `after` live samples from now and
    /// lasting `duration` samples: a transmitter that stops reporting while the process runs on
    /// (the line itself is unchanged, only the sample lacks the value).
    pub fn schedule_dropout(
        &mut self,
        channel: &str,
        after: u64,
        duration: u64,
    ) -> Result<(), UnknownChannel> {
        let Some(index) = self.spec.channels.iter().position(|c| c.name == channel) else {
            return Err(UnknownChannel { asset: self.spec.asset, channel: channel.to_owned() });
        };
        let onset = self.clock.saturating_add(after);
        self.dropouts.push(Dropout { channel: index, onset, end: onset.saturating_add(duration) });
        Ok(())
    }

    /// The next live sample at data time `ts` (all qualities `Good`, without the channels a
    /// dropout leaves out), with the line's context (`phase` and `batch` for the bioreactor,
    /// `recipe`, `lot` and `wafer` for etch, …).
    pub fn next_sample(&mut self, ts: Timestamp) -> Sample {
        let tick = self.tick();
        let now = self.clock;
        self.dropouts.retain(|d| d.end > now);
        let dropped = |j: usize| self.dropouts.iter().any(|d| d.channel == j && d.onset <= now);
        self.model.step(&mut self.rng, tick, &mut self.row);
        self.clock += 1;
        let values = self
            .spec
            .channels
            .iter()
            .zip(&self.row)
            .enumerate()
            .filter(|&(j, _)| !dropped(j))
            .map(|(_, (c, &value))| ChannelValue {
                channel: c.name.to_owned(),
                value,
                quality: Quality::Good,
            })
            .collect();
        let mut context = Vec::with_capacity(3);
        self.model.context(&mut context);
        Sample { asset: self.spec.asset.to_owned(), ts, values, context }
    }

    /// Name of the fault active at the last sample, if any.
    pub fn active_fault(&self) -> Option<&'static str> {
        self.active
    }

    /// Drops finished faults and finds the one that applies to the next live sample.
    fn tick(&mut self) -> Option<Tick> {
        let now = self.clock;
        self.scheduled.retain(|s| s.end > now);
        let active = self.scheduled.iter().filter(|s| s.onset <= now).min_by_key(|s| s.onset);
        self.active = active.map(|s| s.name);
        active.map(|s| Tick { fault: s.model_index, age: now - s.onset })
    }
}
