//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same functions the cargo-fuzz
//! targets call (`hsms::fuzzing`), so `scripts/test` covers them on stable Rust, including every
//! input a fuzzing run found crashing once.

use std::path::{Path, PathBuf};

use super::super::fuzzing::{hsms_frames, secs2_decode};
use super::super::item::Item;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_none_or(|e| e != "py"))
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn secs2_corpus_decodes_without_panics() {
    let files = corpus("secs2_decode");
    let decoded = files.iter().filter(|(_, bytes)| Item::decode(bytes).is_ok()).count();
    for (path, bytes) in &files {
        eprintln!("{}", path.display());
        secs2_decode(bytes);
    }
    assert!(files.len() >= 24, "the corpus has {} files; expected a few dozen", files.len());
    assert!(decoded > 0 && decoded < files.len(), "the corpus holds valid and invalid inputs");
}

#[test]
fn hsms_frames_corpus_reads_without_panics() {
    let files = corpus("hsms_frames");
    for (path, bytes) in &files {
        eprintln!("{}", path.display());
        hsms_frames(bytes);
    }
    assert!(files.len() >= 8, "the corpus has {} files; expected a few dozen", files.len());
}
