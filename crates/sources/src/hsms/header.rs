//! The 10-byte HSMS message header (SEMI E37 §8.2): session id, two header bytes (W-bit,
//! stream and function for data messages; status or reason codes for control messages),
//! PType, SType and the system bytes that pair a reply with its request.

/// Session id of control messages that belong to no device (select, linktest, separate).
pub const CONTROL_SESSION: u16 = 0xFFFF;

/// The session type (SType, header byte 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SType {
    /// A SECS-II data message.
    Data,
    /// `Select.req`: ask to start communication.
    SelectReq,
    /// `Select.rsp`, with a [`SelectStatus`] in byte 3.
    SelectRsp,
    /// `Deselect.req`: ask to end communication, keeping the TCP connection.
    DeselectReq,
    /// `Deselect.rsp`.
    DeselectRsp,
    /// `Linktest.req`: is the link alive?
    LinktestReq,
    /// `Linktest.rsp`.
    LinktestRsp,
    /// `Reject.req`: a message was refused; byte 3 holds the [`RejectReason`] code.
    RejectReq,
    /// `Separate.req`: end communication now; the connection is closed, with no reply.
    SeparateReq,
}

impl SType {
    /// From header byte 5; `None` for codes E37 does not define.
    pub fn from_byte(byte: u8) -> Option<SType> {
        Some(match byte {
            0 => SType::Data,
            1 => SType::SelectReq,
            2 => SType::SelectRsp,
            3 => SType::DeselectReq,
            4 => SType::DeselectRsp,
            5 => SType::LinktestReq,
            6 => SType::LinktestRsp,
            7 => SType::RejectReq,
            9 => SType::SeparateReq,
            _ => return None,
        })
    }

    /// Header byte 5.
    pub fn byte(self) -> u8 {
        match self {
            SType::Data => 0,
            SType::SelectReq => 1,
            SType::SelectRsp => 2,
            SType::DeselectReq => 3,
            SType::DeselectRsp => 4,
            SType::LinktestReq => 5,
            SType::LinktestRsp => 6,
            SType::RejectReq => 7,
            SType::SeparateReq => 9,
        }
    }
}

/// `Reject.req` reason codes (E37 Table 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// 1: the SType is not supported.
    STypeNotSupported = 1,
    /// 2: the PType is not supported (only 0, SECS-II, is).
    PTypeNotSupported = 2,
    /// 3: a control response arrived for no open transaction.
    TransactionNotOpen = 3,
    /// 4: a data message arrived while not selected.
    EntityNotSelected = 4,
}

/// `Select.rsp` status codes (E37 Table 6). 0 is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectStatus {
    /// 0: communication established.
    Ok = 0,
    /// 1: communication already active.
    AlreadyActive = 1,
}

/// One HSMS header, as sent on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Session id: the device id for data messages, [`CONTROL_SESSION`] for most control ones.
    pub session_id: u16,
    /// Byte 2: W-bit and stream for data messages; for `Reject.req` the rejected SType or stream.
    pub byte2: u8,
    /// Byte 3: function for data messages; status or reason code for control messages.
    pub byte3: u8,
    /// Presentation type; 0 (SECS-II) is the only one defined.
    pub ptype: u8,
    /// Session type, raw (see [`SType::from_byte`]).
    pub stype: u8,
    /// System bytes: a reply carries those of its request.
    pub system: u32,
}

impl Header {
    /// Encoded size.
    pub const LEN: usize = 10;

    /// A data message header.
    pub fn data(session_id: u16, stream: u8, function: u8, wbit: bool, system: u32) -> Header {
        Header {
            session_id,
            byte2: (stream & 0x7F) | if wbit { 0x80 } else { 0 },
            byte3: function,
            ptype: 0,
            stype: SType::Data.byte(),
            system,
        }
    }

    /// A control message header with status byte 3 (0 for requests).
    pub fn control(stype: SType, status: u8, system: u32) -> Header {
        Header {
            session_id: CONTROL_SESSION,
            byte2: 0,
            byte3: status,
            ptype: 0,
            stype: stype.byte(),
            system,
        }
    }

    /// A `Reject.req` answering `rejected` for `reason`.
    pub fn reject(rejected: &Header, reason: RejectReason) -> Header {
        let byte2 =
            if reason == RejectReason::PTypeNotSupported { rejected.ptype } else { rejected.stype };
        Header {
            session_id: rejected.session_id,
            byte2,
            byte3: reason as u8,
            ptype: 0,
            stype: SType::RejectReq.byte(),
            system: rejected.system,
        }
    }

    /// The session type, `None` when undefined.
    pub fn stype(&self) -> Option<SType> {
        SType::from_byte(self.stype)
    }

    /// Stream of a data message (W-bit masked off).
    pub fn stream(&self) -> u8 {
        self.byte2 & 0x7F
    }

    /// Function of a data message.
    pub fn function(&self) -> u8 {
        self.byte3
    }

    /// W-bit of a data message: the sender waits for a reply.
    pub fn wbit(&self) -> bool {
        self.byte2 & 0x80 != 0
    }

    /// Big-endian wire form.
    pub fn encode(&self) -> [u8; Header::LEN] {
        let s = self.session_id.to_be_bytes();
        let y = self.system.to_be_bytes();
        [s[0], s[1], self.byte2, self.byte3, self.ptype, self.stype, y[0], y[1], y[2], y[3]]
    }

    /// From the wire form.
    pub fn decode(bytes: &[u8; Header::LEN]) -> Header {
        Header {
            session_id: u16::from_be_bytes([bytes[0], bytes[1]]),
            byte2: bytes[2],
            byte3: bytes[3],
            ptype: bytes[4],
            stype: bytes[5],
            system: u32::from_be_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]),
        }
    }

    /// `S1F13 W`-style name of a data message, `select.req`-style for control ones.
    pub fn name(&self) -> String {
        match self.stype() {
            Some(SType::Data) => format!(
                "S{}F{}{}",
                self.stream(),
                self.function(),
                if self.wbit() { " W" } else { "" }
            ),
            Some(stype) => format!("{stype:?}"),
            None => format!("SType {}", self.stype),
        }
    }
}
