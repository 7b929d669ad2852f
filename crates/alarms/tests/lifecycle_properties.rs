//! Property test of the alarm engine's public API: random sequences of samples, operator
//! actions (on real, closed and unknown ids) and ticks never panic, every update is a legal
//! transition that continues the alarm's previous state, ids are unique and increasing, each
//! asset has at most one open alarm of each kind (process, silence), silence alarms are at
//! least Medium, and a refused action leaves the engine unchanged.

use std::collections::{BTreeMap, BTreeSet};

use faultline_alarms::{AlarmConfig, AlarmEngine, AlarmUpdate, Observation, is_legal};
use faultline_types::{AlarmKind, AlarmState, Contributor, FaultClass, Priority, Timestamp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const SECOND: i64 = 1_000_000_000;
const ASSETS: [&str; 4] = ["pump", "valve", "reactor", "stripper"];
const FIRST_ID: u64 = 100;

#[derive(Debug, Clone)]
enum Op {
    /// `silence`: a sample of the asset's silence condition (kind `silence`) instead.
    Observe {
        asset: usize,
        severity: f64,
        out: bool,
        silence: bool,
    },
    Ack {
        id: u64,
    },
    Shelve {
        id: u64,
        for_s: i64,
    },
    Unshelve {
        id: u64,
    },
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    // Ids around the issued range: closed ones, open ones, and some never issued.
    let id = FIRST_ID - 2..FIRST_ID + 30;
    let severity = prop_oneof![0.0..0.95, 0.85..1.2, 1.0..6.0, Just(f64::NAN)];
    prop_oneof![
        8 => (0..ASSETS.len(), severity, any::<bool>(), prop::bool::weighted(0.3))
            .prop_map(|(asset, severity, out, silence)| Op::Observe { asset, severity, out, silence }),
        1 => id.clone().prop_map(|id| Op::Ack { id }),
        1 => (id.clone(), -2..40i64).prop_map(|(id, for_s)| Op::Shelve { id, for_s }),
        1 => id.prop_map(|id| Op::Unshelve { id }),
        1 => Just(Op::Tick),
    ]
}

fn config() -> impl Strategy<Value = AlarmConfig> {
    (1..4usize, 0..3usize, 0..3i64, 0..3i64, 1..4usize, 0..4usize, 1..6usize).prop_map(
        |(n, extra_m, on_s, off_s, clear_after, per_asset, per_site)| AlarmConfig {
            persistence_n: n,
            persistence_m: n + extra_m,
            on_delay_ns: on_s * SECOND,
            off_delay_ns: off_s * SECOND,
            clear_after,
            flood_per_asset: per_asset,
            flood_per_site: per_site,
            flood_window_ns: 30 * SECOND,
            ..AlarmConfig::default()
        },
    )
}

/// What the test knows from the updates alone: the state of every alarm it has seen.
#[derive(Default)]
struct Model {
    states: BTreeMap<u64, AlarmState>,
    last_new_id: Option<u64>,
}

impl Model {
    fn check(&mut self, update: &AlarmUpdate) -> Result<(), TestCaseError> {
        let id = update.alarm.id;
        prop_assert!(is_legal(update.from, update.to, update.action), "illegal: {update:?}");
        prop_assert_eq!(update.alarm.state, update.to);
        prop_assert!(
            update.alarm.kind == AlarmKind::Process || update.alarm.priority >= Priority::Medium,
            "a silence alarm below Medium: {update:?}"
        );
        match self.states.get(&id) {
            Some(&state) => {
                prop_assert_eq!(state, update.from, "update does not continue alarm {}", id);
                prop_assert!(state != AlarmState::Normal, "closed alarm {} came back", id);
            }
            None => {
                prop_assert_eq!(update.from, AlarmState::Normal);
                prop_assert!(id >= FIRST_ID);
                prop_assert!(self.last_new_id.is_none_or(|last| id > last), "id {} reused", id);
                self.last_new_id = Some(id);
            }
        }
        self.states.insert(id, update.to);
        Ok(())
    }

    fn open(&self) -> Vec<(u64, AlarmState)> {
        self.states
            .iter()
            .filter(|(_, s)| **s != AlarmState::Normal)
            .map(|(&i, &s)| (i, s))
            .collect()
    }
}

/// Runs `ops`, checking the invariants after each; returns the update actions seen.
fn run(config: AlarmConfig, ops: Vec<(Op, i64)>) -> Result<BTreeSet<&'static str>, TestCaseError> {
    let mut engine = AlarmEngine::new(config, FIRST_ID);
    let mut model = Model::default();
    let contributors = [Contributor { channel: "flow".into(), value: 1.5 }];
    let class = FaultClass { label: "leak".into(), confidence: 0.7 };
    let mut now = 0i64;
    let mut seen = BTreeSet::new();
    for (op, step) in ops {
        now += step;
        let at = Timestamp(now);
        let before = engine.clone();
        let result: Result<Vec<AlarmUpdate>, _> = match op {
            Op::Observe { asset, severity, out, silence } => Ok(engine.observe(&Observation {
                asset: ASSETS[asset],
                site: if asset % 2 == 0 { "north" } else { "south" },
                ts: at,
                severity,
                out_of_control: out,
                contributors: &contributors,
                fault_class: (asset == 0 && !silence).then_some(&class),
                kind: if silence { AlarmKind::Silence } else { AlarmKind::Process },
            })),
            Op::Ack { id } => engine.acknowledge(id, at).map(|u| vec![u]),
            Op::Shelve { id, for_s } => {
                engine.shelve(id, Timestamp(now + for_s * SECOND / 4), at).map(|u| vec![u])
            }
            Op::Unshelve { id } => engine.unshelve(id, at).map(|u| vec![u]),
            Op::Tick => Ok(engine.tick(at)),
        };
        match result {
            Ok(updates) => {
                for update in &updates {
                    model.check(update)?;
                    seen.insert(update.action);
                }
            }
            Err(error) => {
                prop_assert_eq!(&engine, &before, "error {} changed the engine", error);
            }
        }
        let active = engine.active();
        let open: Vec<(u64, AlarmState)> = active.iter().map(|a| (a.id, a.state)).collect();
        prop_assert_eq!(open, model.open(), "engine and updates disagree");
        let mut assets: Vec<(&str, AlarmKind)> =
            active.iter().map(|a| (a.asset.as_str(), a.kind)).collect();
        assets.sort_unstable();
        let total = assets.len();
        assets.dedup();
        prop_assert_eq!(assets.len(), total, "two open alarms of one kind on one asset");
        prop_assert!(active.iter().all(|a| a.id < engine.next_id()));
    }
    Ok(seen)
}

fn case() -> impl Strategy<Value = (AlarmConfig, Vec<(Op, i64)>)> {
    (config(), prop::collection::vec((op(), 0..2 * SECOND), 1..250))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences_keep_the_lifecycle_invariants((config, ops) in case()) {
        run(config, ops)?;
    }
}

/// The generator must reach every rule, or the property above proves little.
#[test]
fn the_generated_sequences_reach_every_action() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let (config, ops) = case().new_tree(&mut runner).expect("strategy").current();
        seen.extend(run(config, ops).expect("invariants hold"));
    }
    let all = [
        "ack",
        "raise",
        "release",
        "return",
        "shelve",
        "shelve_expired",
        "suppress",
        "unshelve",
        "update",
    ];
    assert_eq!(seen, BTreeSet::from(all));
}
