//! Fuzz target: the SECS-II item decoder and the trace/event body parsers must never panic, and
//! a decoded item must re-encode to bytes that decode to the same encoding.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run secs2_decode` in `fuzz/`. The corpus in
//! `fuzz/corpus/secs2_decode/` is replayed by `cargo test -p faultline-sources` on stable.
#![no_main]

use faultline_sources::hsms::{EventReport, Item, TraceData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = Item::decode(data) {
        let again = item.encode().expect("a decoded item fits its own length bytes");
        let round = Item::decode(&again).expect("an encoded item decodes");
        assert_eq!(round.encode().expect("re-encode"), again);
        let _ = TraceData::parse(Some(&item));
        let _ = EventReport::parse(Some(&item));
        let _ = item.to_string();
    }
});
