//! Fuzz target: the HSMS frame reader over a byte stream split into reads of every size, with a
//! message size limit that makes oversize frames common; it must never panic, and each message
//! it returns must read back the same after encoding (checks in
//! `faultline_sources::hsms::fuzzing::hsms_frames`, shared with the stable corpus replay).
//! Run in `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run hsms_frames` (docs/hsms.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faultline_sources::hsms::fuzzing::hsms_frames(data));
