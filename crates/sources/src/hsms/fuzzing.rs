//! Entry points of the cargo-fuzz targets in `fuzz/` (feature `fuzzing`), also replayed on
//! stable over the stored corpora by `hsms::tests::corpus`. Each panics only when an invariant
//! breaks, which is what the fuzzer looks for; bad input itself must give an error.

use super::frame::{FrameError, FrameReader, Incoming};
use super::gem::{EventReport, TraceData};
use super::item::Item;

/// SECS-II items: decoding never panics, and a decoded item re-encodes to bytes that decode to
/// the same encoding; the trace and event parsers take any item.
pub fn secs2_decode(data: &[u8]) {
    if let Ok(item) = Item::decode(data) {
        let again = item.encode().expect("a decoded item fits its own length bytes");
        let round = Item::decode(&again).expect("an encoded item decodes");
        assert_eq!(round.encode().expect("re-encode"), again);
        let _ = TraceData::parse(Some(&item));
        let _ = EventReport::parse(Some(&item));
        let _ = item.to_string();
    }
}

/// HSMS framing: the first byte picks the read size (1–64 bytes, so frames split everywhere)
/// and the second the message size limit (64 bytes to 16 KiB, so the skipping of oversize
/// frames runs too); the rest is the byte stream. The reader never panics, stops at the first
/// broken length, and every message it returns re-encodes to a frame it reads back the same.
pub fn hsms_frames(data: &[u8]) {
    let [chunk, limit, stream @ ..] = data else { return };
    let chunk = usize::from(chunk % 64) + 1;
    let max_len = 64 + u32::from(*limit) * 64;
    let mut reader = FrameReader::new(tokio::io::empty(), max_len);
    let mut messages = Vec::new();
    for piece in stream.chunks(chunk) {
        match reader.feed(piece) {
            Ok(incoming) => messages.extend(incoming),
            Err(FrameError::TooShort(length)) => {
                assert!(length < 10);
                break;
            }
            Err(error) => panic!("only a short length can fail a fed reader: {error:?}"),
        }
    }
    for incoming in messages {
        let Incoming::Message(message) = incoming else { continue };
        let bytes = message.encode().expect("a read message encodes");
        assert!(bytes.len() - 4 <= max_len as usize, "a message over the limit was returned");
        let mut again = FrameReader::new(tokio::io::empty(), max_len);
        match again.feed(&bytes).expect("an encoded frame reads").as_slice() {
            [Incoming::Message(round)] => {
                assert_eq!(round.encode().expect("re-encode"), bytes);
            }
            other => panic!("an encoded frame read back as {other:?}"),
        }
    }
}
