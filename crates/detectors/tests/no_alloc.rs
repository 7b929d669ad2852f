//! Proves the streaming scorer's promise: scoring a frame performs no heap allocation.
//!
//! A counting global allocator is the one place this workspace allows `unsafe`: it forwards to
//! the system allocator and only counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use faultline_detectors::{DefaultConfig, DefaultModel, PcaConfig, PcaModel};

struct Counting;

thread_local! {
    /// Allocations made on this thread. Per thread, because the test harness allocates on its
    /// own threads whenever it likes (printing another test's result): a global count once
    /// failed a clean CI run with one such allocation.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: a thread being torn down has no counter left, and is not under test.
        let _torn_down = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn streaming_score_allocates_nothing() {
    let m = 52;
    let data: Vec<f64> =
        (0..600 * m).map(|i| ((i * 7919 % 1009) as f64).sin() + (i % m) as f64).collect();
    let model = PcaModel::fit(&data, m, PcaConfig::default()).unwrap();
    let mut scorer = model.scorer();
    let mut score = scorer.new_score();
    scorer.score(&data[..m], &mut score); // warm any lazy state
    let before = allocations();
    for frame in data.chunks_exact(m) {
        scorer.score(frame, &mut score);
    }
    let after = allocations();
    assert!(score.ready);
    assert_eq!(after - before, 0, "allocations while scoring 600 frames");
}

#[test]
fn default_streaming_score_allocates_nothing() {
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
    let before = allocations();
    for frame in data.chunks_exact(m) {
        scorer.score(frame, &mut score);
    }
    let after = allocations();
    assert!(score.ready);
    assert_eq!(after - before, 0, "allocations while scoring 600 frames");
}
