//! HSMS messages: a [`Header`] and, for data messages, an optional SECS-II [`Item`]; their
//! wire form is a 4-byte big-endian length, the header, then the encoded item.

use super::header::{Header, SType};
use super::item::{Item, ItemError};

/// One HSMS message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The header.
    pub header: Header,
    /// The body; `None` for control messages and for data messages without one (`S1F1`).
    pub item: Option<Item>,
}

impl Message {
    /// A data message.
    pub fn data(
        session_id: u16,
        stream: u8,
        function: u8,
        wbit: bool,
        system: u32,
        item: Option<Item>,
    ) -> Message {
        Message { header: Header::data(session_id, stream, function, wbit, system), item }
    }

    /// A control message without body.
    pub fn control(header: Header) -> Message {
        Message { header, item: None }
    }

    /// The whole frame: length, header, body.
    pub fn encode(&self) -> Result<Vec<u8>, ItemError> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.header.encode());
        if let Some(item) = &self.item {
            item.encode_into(&mut out)?;
        }
        let length = u32::try_from(out.len() - 4)
            .map_err(|_| ItemError::TooLong { format: "message", length: out.len() - 4 })?;
        out[..4].copy_from_slice(&length.to_be_bytes());
        Ok(out)
    }

    /// Decodes the body of a frame whose header is already parsed: an empty body is no item.
    pub fn decode(header: Header, body: &[u8]) -> Result<Message, ItemError> {
        let item = if body.is_empty() { None } else { Some(Item::decode(body)?) };
        Ok(Message { header, item })
    }

    /// True for a data message.
    pub fn is_data(&self) -> bool {
        self.header.stype() == Some(SType::Data)
    }

    /// True for a data message whose function is odd (a primary message, not a reply).
    pub fn is_primary(&self) -> bool {
        self.is_data() && self.header.function() % 2 == 1
    }

    /// `SxFy` of a data message.
    pub fn stream_function(&self) -> (u8, u8) {
        (self.header.stream(), self.header.function())
    }
}
