//! Replays the fuzz corpus of the SECS-II decoder (`fuzz/corpus/secs2_decode/`) through the same
//! checks as the fuzz target, so `scripts/test` covers it on stable Rust.

use std::path::Path;

use super::super::gem::{EventReport, TraceData};
use super::super::item::Item;

#[test]
fn fuzz_corpus_decodes_without_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/secs2_decode");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let (mut files, mut decoded) = (0, 0);
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        if let Ok(item) = Item::decode(&bytes) {
            decoded += 1;
            // What the fuzz target checks: a decoded item re-encodes to the same bytes when its
            // lengths were minimal, and decodes again to the same encoding in any case.
            let again = item.encode().unwrap();
            assert_eq!(
                Item::decode(&again).unwrap().encode().unwrap(),
                again,
                "{}",
                path.display()
            );
            let _ = TraceData::parse(Some(&item));
            let _ = EventReport::parse(Some(&item));
            let _ = item.to_string();
        }
    }
    assert!(files >= 24, "the corpus has {files} files; expected a few dozen");
    assert!(decoded > 0 && decoded < files, "the corpus holds both valid and invalid inputs");
}
