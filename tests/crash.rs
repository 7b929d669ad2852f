//! Crash safety: sequence-numbered QoS 1 samples (the sequence number is the timestamp) flow while `faultline serve` is killed with
//! SIGKILL at random moments and restarted, again and again. Afterwards every sample the broker
//! accepted is in the journal exactly once: 0 missing, 0 duplicates.
//!
//! Why this proves the rule "acknowledged ⇒ durable": faultline's PUBACK to the broker is what
//! removes a message from its persistent session. A sample acknowledged but not yet durable
//! would be lost at the next kill; a sample durable but not yet acknowledged is redelivered and
//! must be recognised as a duplicate.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use faultline_store::Store;
use faultline_testkit::broker::Mosquitto;
use faultline_types::Timestamp;
use support::{Publisher, Server, fit_model, payload, plant, wait_until, write_config};

const SAMPLES: usize = 100_000;
const KILLS: usize = 10;
const BASE_NS: i64 = 1_760_000_000_000_000_000;

#[test]
fn no_acknowledged_sample_is_lost_or_stored_twice_across_kill_9() {
    let broker = match Mosquitto::start() {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() => {
            println!("notice: {e}; crash test skipped (scripts/test installs mosquitto)");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let model = fit_model(dir.path());
    let config = write_config(dir.path(), broker.port(), "crash-test", &[("crash01", &model)]);
    let mut server = Server::start(&config);

    // The publisher runs in its own thread at a steady pace, so kills land mid-stream.
    let port = broker.port();
    let publisher = std::thread::spawn(move || {
        let plant = plant();
        let names = plant.channel_names();
        let run = plant.normal_run(SAMPLES, 5);
        let publisher = Publisher::connect(port, "crash-publisher");
        for (seq, row) in run.iter_rows().enumerate() {
            // The sequence number is the timestamp: BASE + seq milliseconds.
            let ts = BASE_NS + seq as i64 * 1_000_000;
            publisher.publish("faultline/test/crash01", payload(ts, &names, row));
            if seq % 2_000 == 1_999 {
                std::thread::sleep(Duration::from_millis(150));
            }
        }
        publisher.wait_acked(SAMPLES);
    });

    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let started = Instant::now();
    for kill in 0..KILLS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let pause = Duration::from_millis(300 + seed % 900);
        std::thread::sleep(pause);
        server.kill();
        println!("kill {} after {:.1} s", kill + 1, started.elapsed().as_secs_f64());
        server = Server::start(&config);
    }
    publisher.join().unwrap();

    let data_dir = server.data_dir.clone();
    let stored = wait_until(Duration::from_secs(180), "every sample in the journal", || {
        let store = Store::open(&data_dir).ok()?;
        let n = store.sample_count(Some("crash01")).ok()?;
        (n as usize >= SAMPLES).then_some(n)
    });
    drop(server);

    let store = Store::open(&data_dir).unwrap();
    let samples = store
        .samples(
            "crash01",
            Timestamp(BASE_NS),
            Timestamp(BASE_NS + SAMPLES as i64 * 1_000_000),
            SAMPLES * 2,
        )
        .unwrap();
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    for stored in &samples {
        let seq = ((stored.sample.ts.as_nanos() - BASE_NS) / 1_000_000) as u64;
        if !seen.insert(seq) {
            duplicates += 1;
        }
    }
    let missing = (0..SAMPLES as u64).filter(|s| !seen.contains(s)).count();
    println!(
        "crash test: {SAMPLES} published, {KILLS} kills, {} stored rows, {missing} missing, {duplicates} duplicates",
        stored
    );
    assert_eq!(missing, 0);
    assert_eq!(duplicates, 0);
    assert_eq!(samples.len(), SAMPLES);
}
