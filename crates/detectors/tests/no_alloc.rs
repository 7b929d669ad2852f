//! Proves the streaming scorer's promise: scoring a frame performs no heap allocation.
//!
//! A counting global allocator is the one place this workspace allows `unsafe`: it forwards to
//! the system allocator and only counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use faultline_detectors::{DefaultConfig, DefaultModel, PcaConfig, PcaModel};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counter is global: tests that count take this lock so they do not count each other's
/// allocations (the test harness runs tests on parallel threads).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn streaming_score_allocates_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = 52;
    let data: Vec<f64> =
        (0..600 * m).map(|i| ((i * 7919 % 1009) as f64).sin() + (i % m) as f64).collect();
    let model = PcaModel::fit(&data, m, PcaConfig::default()).unwrap();
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    scorer.score(&data[..m], &mut score); // warm any lazy state
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for frame in data.chunks_exact(m) {
        scorer.score(frame, &mut score);
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(score.ready);
    assert_eq!(after - before, 0, "allocations while scoring 600 frames");
}

#[test]
fn default_streaming_score_allocates_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = 12;
    // Channel 0 walks (so it is differenced and the scorer keeps the previous frame).
    let data: Vec<f64> = (0..600 * m)
        .map(|i| {
            let (row, j) = (i / m, i % m);
            let wave = ((i * 7919 % 1009) as f64).sin() + j as f64;
            if j == 0 { row as f64 * 0.05 + wave } else { wave }
        })
        .collect();
    let model = DefaultModel::fit(&data, m, DefaultConfig::default()).unwrap();
    assert!(model.differenced[0]);
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    scorer.score(&data[..m], &mut score);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for frame in data.chunks_exact(m) {
        scorer.score(frame, &mut score);
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(score.ready);
    assert_eq!(after - before, 0, "allocations while scoring 600 frames");
}
