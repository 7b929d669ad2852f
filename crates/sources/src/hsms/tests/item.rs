//! The SECS-II codec: every format round-trips, lengths use 1–3 bytes, and hostile bytes give
//! typed errors without panics or large allocations.

use proptest::prelude::*;

use super::super::item::{Item, ItemError, MAX_DEPTH};

fn leaf() -> impl Strategy<Value = Item> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        bytes().prop_map(Item::Binary),
        proptest::collection::vec(any::<bool>(), 0..8).prop_map(Item::Boolean),
        bytes().prop_map(Item::Ascii),
        bytes().prop_map(Item::Jis8),
        proptest::collection::vec(any::<i8>(), 0..8).prop_map(Item::I1),
        proptest::collection::vec(any::<i16>(), 0..8).prop_map(Item::I2),
        proptest::collection::vec(any::<i32>(), 0..8).prop_map(Item::I4),
        proptest::collection::vec(any::<i64>(), 0..8).prop_map(Item::I8),
        bytes().prop_map(Item::U1),
        proptest::collection::vec(any::<u16>(), 0..8).prop_map(Item::U2),
        proptest::collection::vec(any::<u32>(), 0..8).prop_map(Item::U4),
        proptest::collection::vec(any::<u64>(), 0..8).prop_map(Item::U8),
        proptest::collection::vec(any::<f32>(), 0..8).prop_map(Item::F4),
        proptest::collection::vec(any::<f64>(), 0..8).prop_map(Item::F8),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    leaf().prop_recursive(6, 64, 8, |inner| {
        proptest::collection::vec(inner, 0..8).prop_map(Item::List)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// decode(encode(x)) encodes to the same bytes (bitwise, so NaN payloads count too).
    #[test]
    fn every_item_round_trips(item in item()) {
        let bytes = item.encode().unwrap();
        let decoded = Item::decode(&bytes).unwrap();
        prop_assert_eq!(decoded.encode().unwrap(), bytes);
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Item::decode(&bytes);
    }

    /// Every strict prefix of a valid encoding is an error, never a panic or a wrong item.
    #[test]
    fn truncations_are_errors(item in item(), cut in any::<prop::sample::Index>()) {
        let bytes = item.encode().unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(Item::decode(&bytes[..cut]).is_err());
    }
}

#[test]
fn lengths_use_one_two_or_three_bytes() {
    let short = Item::Binary(vec![7; 255]).encode().unwrap();
    assert_eq!(&short[..2], &[0o10 << 2 | 1, 255]);
    let medium = Item::Binary(vec![7; 256]).encode().unwrap();
    assert_eq!(&medium[..3], &[0o10 << 2 | 2, 1, 0]);
    let long = Item::U1(vec![7; 70_000]).encode().unwrap();
    assert_eq!(&long[..4], &[0o51 << 2 | 3, 0x01, 0x11, 0x70]);
    assert_eq!(Item::decode(&long).unwrap(), Item::U1(vec![7; 70_000]));
    // A non-minimal length (2 bytes for a short item) is still valid E5.
    assert_eq!(Item::decode(&[0o20 << 2 | 2, 0, 1, b'x']).unwrap(), Item::ascii("x"));
    let too_long = Item::Binary(vec![0; 0x100_0000]).encode();
    assert!(matches!(too_long, Err(ItemError::TooLong { length: 0x100_0000, .. })));
}

#[test]
fn known_encodings() {
    let item = Item::List(vec![Item::u4(1), Item::ascii("ok"), Item::Boolean(vec![true])]);
    let bytes = item.encode().unwrap();
    assert_eq!(
        bytes,
        [0x01, 3, 0xB1, 4, 0, 0, 0, 1, 0x41, 2, b'o', b'k', 0x25, 1, 1],
        "L[3] U4 1, A \"ok\", BOOLEAN true"
    );
    assert_eq!(Item::decode(&[0x25, 1, 9]).unwrap(), Item::Boolean(vec![true]));
    assert_eq!(Item::decode(&[0x65, 2, 0xFF, 0xFE]).unwrap(), Item::I1(vec![-1, -2]));
    assert_eq!(item.to_string(), "<L [3] <U4 1> <A \"ok\"> <BOOLEAN true>>");
}

#[test]
fn malformed_bytes_are_typed_errors() {
    use ItemError::*;
    let cases: &[(&[u8], ItemError)] = &[
        (&[], Truncated { offset: 0, needed: 1 }),
        (&[0x41], Truncated { offset: 1, needed: 1 }),
        (&[0x41, 3, b'a'], Truncated { offset: 2, needed: 2 }),
        (&[0x40, 1, b'a'], NoLengthBytes { offset: 0 }),
        (&[0o77 << 2 | 1, 0], UnknownFormat { offset: 0, code: 0o77 }),
        (&[0o22 << 2 | 1, 0], UnknownFormat { offset: 0, code: 0o22 }),
        (&[0xB1, 3, 0, 0, 0], Misaligned { offset: 0, format: "U4", length: 3, size: 4 }),
        (&[0x21, 0, 0], TrailingBytes { offset: 2, count: 1 }),
        (&[0x01, 2, 0x01, 0], Truncated { offset: 4, needed: 1 }),
    ];
    for (bytes, expected) in cases {
        assert_eq!(&Item::decode(bytes).unwrap_err(), expected, "{bytes:?}");
    }
}

#[test]
fn nesting_is_limited() {
    let mut ok = [0x01, 1].repeat(MAX_DEPTH - 1);
    ok.extend([0x01, 0]);
    assert!(Item::decode(&ok).is_ok(), "{MAX_DEPTH} nested lists");
    let mut deep = [0x01, 1].repeat(MAX_DEPTH);
    deep.extend([0x01, 0]);
    assert!(matches!(Item::decode(&deep), Err(ItemError::TooDeep { .. })));
    // Far deeper than the stack could take without the limit.
    let hostile = [0x01u8, 1].repeat(1_000_000);
    assert!(matches!(Item::decode(&hostile), Err(ItemError::TooDeep { .. })));
}

#[test]
fn a_huge_claimed_list_allocates_nothing() {
    // L with 16,777,215 items and no bytes behind it: fails at once.
    let error = Item::decode(&[0x03, 0xFF, 0xFF, 0xFF]).unwrap_err();
    assert_eq!(error, ItemError::Truncated { offset: 4, needed: 1 });
}

#[test]
fn values_as_numbers_and_text() {
    assert_eq!(Item::F4(vec![1.5]).as_f64(), Some(1.5));
    assert_eq!(Item::I8(vec![-3]).as_f64(), Some(-3.0));
    assert_eq!(Item::Boolean(vec![true]).as_f64(), Some(1.0));
    assert_eq!(Item::U4(vec![1, 2]).as_f64(), None);
    assert_eq!(Item::ascii("x").as_f64(), None);
    assert_eq!(Item::I2(vec![-1]).as_u64(), None);
    assert_eq!(Item::Jis8(b"abc".to_vec()).as_text().as_deref(), Some("abc"));
    assert_eq!(Item::Ascii(vec![0xFF]).as_text().as_deref(), Some("\u{FFFD}"));
}
