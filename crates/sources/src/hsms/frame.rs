//! Reading HSMS frames from a byte stream: 4-byte length, header, body, with a size limit.
//!
//! [`FrameReader::next`] is cancel-safe (its only await is a `read_buf` into the reader's own
//! buffer) and returns after every read, so the connection task can wait on it in `select!`
//! beside its timers and restart T8 whenever a message is incomplete. A frame longer
//! than the limit is not buffered: its header is kept, its body read and thrown away, and it is
//! reported as [`Incoming::Oversize`] so the session survives one huge message.

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::header::Header;
use super::item::ItemError;
use super::message::Message;

/// One thing read from the connection.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A well-formed message.
    Message(Message),
    /// The framing was intact but the SECS-II body was not an item.
    BadBody { header: Header, error: ItemError },
    /// The frame exceeded the size limit; its body was skipped.
    Oversize { header: Header, length: u32 },
}

/// Why no frame could be read; the connection cannot continue after any of these.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The peer closed the connection; `mid_frame` when part of a frame was read.
    Closed { mid_frame: bool },
    /// A length below the 10 header bytes.
    TooShort(u32),
    /// The socket failed.
    Io(std::io::Error),
}

/// Buffered frame reader.
pub(crate) struct FrameReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of unparsed bytes in `buf`.
    start: usize,
    max_len: u32,
    /// Header and body bytes still to skip of an oversize frame.
    skipping: Option<(Header, u32, u64)>,
    /// When bytes last arrived (for T8).
    last_read: Instant,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader that accepts frames of at most `max_len` bytes after the length field.
    pub(crate) fn new(reader: R, max_len: u32) -> Self {
        FrameReader {
            reader,
            buf: Vec::with_capacity(16 * 1024),
            start: 0,
            max_len,
            skipping: None,
            last_read: Instant::now(),
        }
    }

    /// True while part of a frame has been read: T8 runs from [`FrameReader::last_read`].
    pub(crate) fn mid_frame(&self) -> bool {
        self.start < self.buf.len() || self.skipping.is_some()
    }

    /// When bytes last arrived.
    pub(crate) fn last_read(&self) -> Instant {
        self.last_read
    }

    /// Restarts T8 when the caller reads again after holding off on purpose (its consumer was
    /// full): the peer was not silent, this end was not listening.
    pub(crate) fn restart_t8(&mut self) {
        self.last_read = Instant::now();
    }

    /// The next frame, or `None` after a read that did not complete one (so the caller can
    /// look at its timers again: T8 runs while [`FrameReader::mid_frame`]). Cancel-safe.
    pub(crate) async fn next(&mut self) -> Result<Option<Incoming>, FrameError> {
        if let Some(incoming) = self.parse()? {
            return Ok(Some(incoming));
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(16 * 1024);
        let n = self.reader.read_buf(&mut self.buf).await.map_err(FrameError::Io)?;
        if n == 0 {
            return Err(FrameError::Closed { mid_frame: self.mid_frame() });
        }
        self.last_read = Instant::now();
        self.parse()
    }

    /// Appends bytes as a read would (after dropping what was parsed): the synchronous way in
    /// for the fuzz target and its corpus replay, which must not need a socket.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Incoming>, FrameError> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(incoming) = self.parse()? {
            out.push(incoming);
        }
        Ok(out)
    }

    /// One frame from the buffer, if a whole one is there.
    fn parse(&mut self) -> Result<Option<Incoming>, FrameError> {
        let available = &self.buf[self.start..];
        if let Some((header, length, left)) = self.skipping {
            let take = left.min(available.len() as u64);
            // `take` is at most `available.len()`, a usize.
            self.start += take as usize;
            let left = left - take;
            if left == 0 {
                self.skipping = None;
                return Ok(Some(Incoming::Oversize { header, length }));
            }
            self.skipping = Some((header, length, left));
            return Ok(None);
        }
        let Some(prefix) = available.first_chunk::<4>() else { return Ok(None) };
        let length = u32::from_be_bytes(*prefix);
        if (length as usize) < Header::LEN {
            return Err(FrameError::TooShort(length));
        }
        let Some(header_bytes) = available[4..].first_chunk::<{ Header::LEN }>() else {
            return Ok(None);
        };
        let header = Header::decode(header_bytes);
        if length > self.max_len {
            self.start += 4 + Header::LEN;
            self.skipping = Some((header, length, u64::from(length) - Header::LEN as u64));
            return self.parse();
        }
        let total = 4 + length as usize;
        if available.len() < total {
            return Ok(None);
        }
        let body = &available[4 + Header::LEN..total];
        let incoming = match Message::decode(header, body) {
            Ok(message) => Incoming::Message(message),
            Err(error) => Incoming::BadBody { header, error },
        };
        self.start += total;
        Ok(Some(incoming))
    }
}
