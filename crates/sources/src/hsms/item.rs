//! SECS-II items (SEMI E5 §9): the typed values of a message body, their encoding (format
//! byte, 1–3 length bytes, big-endian data) and a decoder that never panics.
//!
//! Decoding is bounded: nesting deeper than [`MAX_DEPTH`] lists, a length that runs past the
//! input, an element size that does not divide the length, an unknown format code and trailing
//! bytes are all [`ItemError`]s. Nothing is allocated on the strength of a length field alone:
//! a list's capacity is capped by the bytes that remain, so a hostile `L,16777215` costs nothing.

use std::fmt;

/// Deepest list nesting the decoder accepts (E5 sets no limit; real messages use 3–5 levels).
pub const MAX_DEPTH: usize = 32;

/// Most list elements reserved before they decode (the list grows past it as items arrive).
const MAX_RESERVED_ITEMS: usize = 256;

/// Largest length an item's length bytes can hold (3 bytes).
pub const MAX_ITEM_LENGTH: usize = 0xFF_FFFF;

/// One SECS-II item. Text formats keep their bytes: E5 `A` is 7-bit ASCII and `J` is JIS-8,
/// but tools send other bytes too, and a monitoring host must not refuse them.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `L`: an ordered list of items.
    List(Vec<Item>),
    /// `B`: binary bytes.
    Binary(Vec<u8>),
    /// `BOOLEAN`: one byte each, non-zero is true.
    Boolean(Vec<bool>),
    /// `A`: ASCII text.
    Ascii(Vec<u8>),
    /// `J`: JIS-8 text, kept as bytes.
    Jis8(Vec<u8>),
    /// `I1`.
    I1(Vec<i8>),
    /// `I2`.
    I2(Vec<i16>),
    /// `I4`.
    I4(Vec<i32>),
    /// `I8`.
    I8(Vec<i64>),
    /// `U1`.
    U1(Vec<u8>),
    /// `U2`.
    U2(Vec<u16>),
    /// `U4`.
    U4(Vec<u32>),
    /// `U8`.
    U8(Vec<u64>),
    /// `F4`.
    F4(Vec<f32>),
    /// `F8`.
    F8(Vec<f64>),
}

/// Why bytes are not a SECS-II item, or an item cannot be encoded. Offsets count from the start
/// of the message body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// The input ended inside an item.
    #[error("SECS-II item truncated at byte {offset}: {needed} more bytes needed")]
    Truncated {
        /// Where the missing bytes should have been.
        offset: usize,
        /// How many were missing.
        needed: usize,
    },
    /// The format code is not one of E5's.
    #[error("unknown SECS-II format code {code:#o} at byte {offset}")]
    UnknownFormat {
        /// Offset of the format byte.
        offset: usize,
        /// The 6-bit format code.
        code: u8,
    },
    /// The format byte says zero length bytes.
    #[error("SECS-II format byte at byte {offset} has zero length bytes")]
    NoLengthBytes {
        /// Offset of the format byte.
        offset: usize,
    },
    /// The length is not a multiple of the format's element size.
    #[error("SECS-II {format} item at byte {offset} has length {length}, not a multiple of {size}")]
    Misaligned {
        /// Offset of the format byte.
        offset: usize,
        /// Format name.
        format: &'static str,
        /// The length in bytes.
        length: usize,
        /// The element size.
        size: usize,
    },
    /// Lists are nested deeper than [`MAX_DEPTH`].
    #[error("SECS-II lists nested deeper than {limit} at byte {offset}")]
    TooDeep {
        /// Offset of the list that went too deep.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// Bytes follow the one top-level item.
    #[error("{count} bytes follow the SECS-II item at byte {offset}")]
    TrailingBytes {
        /// Where they start.
        offset: usize,
        /// How many.
        count: usize,
    },
    /// An item is too long for 3 length bytes (encoding).
    #[error(
        "SECS-II {format} item of length {length} exceeds the 3-byte limit of {MAX_ITEM_LENGTH}"
    )]
    TooLong {
        /// Format name.
        format: &'static str,
        /// Its length (elements for lists, bytes otherwise).
        length: usize,
    },
}

/// E5 format codes (6 bits, octal as in the standard).
mod code {
    pub const LIST: u8 = 0o00;
    pub const BINARY: u8 = 0o10;
    pub const BOOLEAN: u8 = 0o11;
    pub const ASCII: u8 = 0o20;
    pub const JIS8: u8 = 0o21;
    pub const I8: u8 = 0o30;
    pub const I1: u8 = 0o31;
    pub const I2: u8 = 0o32;
    pub const I4: u8 = 0o34;
    pub const F8: u8 = 0o40;
    pub const F4: u8 = 0o44;
    pub const U8: u8 = 0o50;
    pub const U1: u8 = 0o51;
    pub const U2: u8 = 0o52;
    pub const U4: u8 = 0o54;
}

impl Item {
    /// An `A` item from text.
    pub fn ascii(text: impl AsRef<str>) -> Item {
        Item::Ascii(text.as_ref().as_bytes().to_vec())
    }

    /// A one-element `U4`.
    pub fn u4(value: u32) -> Item {
        Item::U4(vec![value])
    }

    /// A one-element `B`.
    pub fn binary(value: u8) -> Item {
        Item::Binary(vec![value])
    }

    /// An empty list.
    pub fn empty_list() -> Item {
        Item::List(Vec::new())
    }

    /// The format's name as E5 writes it (`L`, `U4`, `BOOLEAN` …).
    pub fn format_name(&self) -> &'static str {
        match self {
            Item::List(_) => "L",
            Item::Binary(_) => "B",
            Item::Boolean(_) => "BOOLEAN",
            Item::Ascii(_) => "A",
            Item::Jis8(_) => "J",
            Item::I1(_) => "I1",
            Item::I2(_) => "I2",
            Item::I4(_) => "I4",
            Item::I8(_) => "I8",
            Item::U1(_) => "U1",
            Item::U2(_) => "U2",
            Item::U4(_) => "U4",
            Item::U8(_) => "U8",
            Item::F4(_) => "F4",
            Item::F8(_) => "F8",
        }
    }

    /// Whether the item holds no element (a zero-length item of any format).
    pub fn is_empty(&self) -> bool {
        match self {
            Item::List(v) => v.is_empty(),
            Item::Binary(v) | Item::Ascii(v) | Item::Jis8(v) | Item::U1(v) => v.is_empty(),
            Item::Boolean(v) => v.is_empty(),
            Item::I1(v) => v.is_empty(),
            Item::I2(v) => v.is_empty(),
            Item::I4(v) => v.is_empty(),
            Item::I8(v) => v.is_empty(),
            Item::U2(v) => v.is_empty(),
            Item::U4(v) => v.is_empty(),
            Item::U8(v) => v.is_empty(),
            Item::F4(v) => v.is_empty(),
            Item::F8(v) => v.is_empty(),
        }
    }

    /// The elements of a list, `None` for other formats.
    pub fn as_list(&self) -> Option<&[Item]> {
        match self {
            Item::List(items) => Some(items),
            _ => None,
        }
    }

    /// Text of an `A` or `J` item (invalid UTF-8 replaced), `None` for other formats.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Item::Ascii(bytes) | Item::Jis8(bytes) => Some(String::from_utf8_lossy(bytes).into()),
            _ => None,
        }
    }

    /// The single value of a one-element numeric, boolean or binary item as `f64`
    /// (`U8`/`I8` beyond 2⁵³ lose precision). `None` for lists, text and arrays of other sizes.
    pub fn as_f64(&self) -> Option<f64> {
        fn one<T: Copy>(values: &[T]) -> Option<T> {
            match values {
                [value] => Some(*value),
                _ => None,
            }
        }
        match self {
            Item::Binary(v) | Item::U1(v) => one(v).map(f64::from),
            Item::Boolean(v) => one(v).map(|b| if b { 1.0 } else { 0.0 }),
            Item::I1(v) => one(v).map(f64::from),
            Item::I2(v) => one(v).map(f64::from),
            Item::I4(v) => one(v).map(f64::from),
            #[allow(clippy::cast_precision_loss)]
            Item::I8(v) => one(v).map(|x| x as f64),
            Item::U2(v) => one(v).map(f64::from),
            Item::U4(v) => one(v).map(f64::from),
            #[allow(clippy::cast_precision_loss)]
            Item::U8(v) => one(v).map(|x| x as f64),
            Item::F4(v) => one(v).map(f64::from),
            Item::F8(v) => one(v),
            Item::List(_) | Item::Ascii(_) | Item::Jis8(_) => None,
        }
    }

    /// The single value of a one-element integer or binary item as `u64`; `None` for negative
    /// numbers, floats, text, lists and arrays of other sizes.
    pub fn as_u64(&self) -> Option<u64> {
        fn one<T: Copy>(values: &[T]) -> Option<T> {
            match values {
                [value] => Some(*value),
                _ => None,
            }
        }
        match self {
            Item::Binary(v) | Item::U1(v) => one(v).map(u64::from),
            Item::U2(v) => one(v).map(u64::from),
            Item::U4(v) => one(v).map(u64::from),
            Item::U8(v) => one(v),
            Item::I1(v) => one(v).and_then(|x| u64::try_from(x).ok()),
            Item::I2(v) => one(v).and_then(|x| u64::try_from(x).ok()),
            Item::I4(v) => one(v).and_then(|x| u64::try_from(x).ok()),
            Item::I8(v) => one(v).and_then(|x| u64::try_from(x).ok()),
            _ => None,
        }
    }

    /// Appends the encoding to `out`. Fails only when an item is longer than 3 length bytes
    /// can say ([`MAX_ITEM_LENGTH`]).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), ItemError> {
        fn header(
            out: &mut Vec<u8>,
            code: u8,
            length: usize,
            format: &'static str,
        ) -> Result<(), ItemError> {
            let (count, bytes) = match length {
                0..=0xFF => (1u8, &(length as u32).to_be_bytes()[3..]),
                0x100..=0xFFFF => (2, &(length as u32).to_be_bytes()[2..]),
                0x1_0000..=MAX_ITEM_LENGTH => (3, &(length as u32).to_be_bytes()[1..]),
                _ => return Err(ItemError::TooLong { format, length }),
            };
            out.push((code << 2) | count);
            out.extend_from_slice(bytes);
            Ok(())
        }
        macro_rules! numbers {
            ($code:expr, $values:expr, $size:expr) => {{
                header(out, $code, $values.len() * $size, self.format_name())?;
                for value in $values {
                    out.extend_from_slice(&value.to_be_bytes());
                }
            }};
        }
        match self {
            Item::List(items) => {
                header(out, code::LIST, items.len(), "L")?;
                for item in items {
                    item.encode_into(out)?;
                }
            }
            Item::Binary(bytes) => {
                header(out, code::BINARY, bytes.len(), "B")?;
                out.extend_from_slice(bytes);
            }
            Item::Boolean(values) => {
                header(out, code::BOOLEAN, values.len(), "BOOLEAN")?;
                out.extend(values.iter().map(|&b| u8::from(b)));
            }
            Item::Ascii(bytes) => {
                header(out, code::ASCII, bytes.len(), "A")?;
                out.extend_from_slice(bytes);
            }
            Item::Jis8(bytes) => {
                header(out, code::JIS8, bytes.len(), "J")?;
                out.extend_from_slice(bytes);
            }
            Item::I1(v) => numbers!(code::I1, v, 1),
            Item::I2(v) => numbers!(code::I2, v, 2),
            Item::I4(v) => numbers!(code::I4, v, 4),
            Item::I8(v) => numbers!(code::I8, v, 8),
            Item::U1(v) => numbers!(code::U1, v, 1),
            Item::U2(v) => numbers!(code::U2, v, 2),
            Item::U4(v) => numbers!(code::U4, v, 4),
            Item::U8(v) => numbers!(code::U8, v, 8),
            Item::F4(v) => numbers!(code::F4, v, 4),
            Item::F8(v) => numbers!(code::F8, v, 8),
        }
        Ok(())
    }

    /// The encoding as a new buffer.
    pub fn encode(&self) -> Result<Vec<u8>, ItemError> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Decodes exactly one item that fills `bytes`. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Item, ItemError> {
        let mut reader = Reader { bytes, pos: 0 };
        let item = reader.item(0)?;
        if reader.pos < bytes.len() {
            return Err(ItemError::TrailingBytes {
                offset: reader.pos,
                count: bytes.len() - reader.pos,
            });
        }
        Ok(item)
    }
}

/// A cursor over the input.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ItemError> {
        let remaining = self.bytes.len() - self.pos;
        if n > remaining {
            return Err(ItemError::Truncated { offset: self.pos, needed: n - remaining });
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn item(&mut self, depth: usize) -> Result<Item, ItemError> {
        let start = self.pos;
        let format = self.take(1)?[0];
        let code = format >> 2;
        let count = usize::from(format & 0b11);
        if count == 0 {
            return Err(ItemError::NoLengthBytes { offset: start });
        }
        let length = self.take(count)?.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if code == code::LIST {
            if depth >= MAX_DEPTH {
                return Err(ItemError::TooDeep { offset: start, limit: MAX_DEPTH });
            }
            // Every item takes at least 2 bytes: never reserve more than the input can hold, and
            // never much up front: the 32 nested levels of a hostile message are all alive at
            // once, and each would otherwise reserve for half of what is left (the list grows
            // as its items decode).
            let cap = length.min((self.bytes.len() - self.pos) / 2).min(MAX_RESERVED_ITEMS);
            let mut items = Vec::with_capacity(cap);
            for _ in 0..length {
                items.push(self.item(depth + 1)?);
            }
            return Ok(Item::List(items));
        }
        let data = self.take(length)?;
        let aligned = |size: usize, format: &'static str| {
            if length % size == 0 {
                Ok(())
            } else {
                Err(ItemError::Misaligned { offset: start, format, length, size })
            }
        };
        macro_rules! numbers {
            ($variant:ident, $ty:ty, $size:expr) => {{
                aligned($size, stringify!($variant))?;
                Item::$variant(
                    data.chunks_exact($size)
                        .map(|c| {
                            let mut a = [0u8; $size];
                            a.copy_from_slice(c);
                            <$ty>::from_be_bytes(a)
                        })
                        .collect(),
                )
            }};
        }
        Ok(match code {
            code::BINARY => Item::Binary(data.to_vec()),
            code::BOOLEAN => Item::Boolean(data.iter().map(|&b| b != 0).collect()),
            code::ASCII => Item::Ascii(data.to_vec()),
            code::JIS8 => Item::Jis8(data.to_vec()),
            code::I1 => Item::I1(data.iter().map(|&b| b as i8).collect()),
            code::U1 => Item::U1(data.to_vec()),
            code::I2 => numbers!(I2, i16, 2),
            code::I4 => numbers!(I4, i32, 4),
            code::I8 => numbers!(I8, i64, 8),
            code::U2 => numbers!(U2, u16, 2),
            code::U4 => numbers!(U4, u32, 4),
            code::U8 => numbers!(U8, u64, 8),
            code::F4 => numbers!(F4, f32, 4),
            code::F8 => numbers!(F8, f64, 8),
            _ => return Err(ItemError::UnknownFormat { offset: start, code }),
        })
    }
}

/// SML-like text (`<L [2] <U4 1> <A "x">>`), for logs and error messages. Long arrays and
/// lists are shortened.
impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        fn values<T: fmt::Display>(f: &mut fmt::Formatter<'_>, v: &[T]) -> fmt::Result {
            for value in v.iter().take(SHOWN) {
                write!(f, " {value}")?;
            }
            if v.len() > SHOWN {
                write!(f, " … ({} values)", v.len())?;
            }
            Ok(())
        }
        write!(f, "<{}", self.format_name())?;
        match self {
            Item::List(items) => {
                write!(f, " [{}]", items.len())?;
                for item in items.iter().take(SHOWN) {
                    write!(f, " {item}")?;
                }
                if items.len() > SHOWN {
                    write!(f, " …")?;
                }
            }
            Item::Ascii(bytes) | Item::Jis8(bytes) => {
                let text: String = String::from_utf8_lossy(bytes).chars().take(64).collect();
                write!(f, " {text:?}")?;
            }
            Item::Binary(v) | Item::U1(v) => values(f, v)?,
            Item::Boolean(v) => values(f, v)?,
            Item::I1(v) => values(f, v)?,
            Item::I2(v) => values(f, v)?,
            Item::I4(v) => values(f, v)?,
            Item::I8(v) => values(f, v)?,
            Item::U2(v) => values(f, v)?,
            Item::U4(v) => values(f, v)?,
            Item::U8(v) => values(f, v)?,
            Item::F4(v) => values(f, v)?,
            Item::F8(v) => values(f, v)?,
        }
        write!(f, ">")
    }
}
