//! Fuzz target: the SECS-II item decoder and the trace/event body parsers must never panic, and
//! a decoded item must re-encode to bytes that decode to the same encoding (the checks live in
//! `faultline_sources::hsms::fuzzing::secs2_decode`, shared with the stable corpus replay).
//! Run in `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run secs2_decode` (docs/hsms.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faultline_sources::hsms::fuzzing::secs2_decode(data));
