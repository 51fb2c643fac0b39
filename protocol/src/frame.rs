//! Spark's transport framing (`NC/util/TransportFrameDecoder.java`, `NC/protocol/MessageEncoder.java`).
//!
//! ```text
//! frame := i64 frameLength | u8 msgType | header fields | [in-frame body]
//! ```
//!
//! `frameLength` counts everything, its own 8 bytes included. Bodies sent "out of frame"
//! (StreamResponse, UploadStream) follow the frame raw and are not counted; the
//! [`decoder`](crate::decoder) handles them.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

/// Size of the `i64` frame length prefix.
pub const LENGTH_FIELD_LEN: usize = 8;

/// Length prefix plus the type byte: the smallest frame there can be.
pub const FRAME_PREFIX_LEN: usize = LENGTH_FIELD_LEN + 1;

/// Largest frame length accepted by default.
///
/// Spark refuses a frame whose size without the prefix reaches `Integer.MAX_VALUE`; bounding
/// the whole frame by `i32::MAX` is a hair stricter and keeps every valid frame addressable
/// by a Java `int`, which is all a Spark peer can send anyway.
pub const DEFAULT_MAX_FRAME_LEN: u64 = i32::MAX as u64;

/// The most [`Frame::decode`] reserves at once for a frame still arriving. Reserving the
/// whole claimed length would let an 8-byte prefix pin up to `max_frame_len` of memory; with
/// this cap memory grows only as bytes actually arrive (`BytesMut` growth stays amortised).
const MAX_RESERVE: usize = 1 << 20;

/// One complete frame, its length prefix stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The transport `Message.Type` byte, not yet validated.
    pub msg_type: u8,
    /// Everything after the type byte up to the end of the frame: header fields and any
    /// in-frame body.
    pub payload: Bytes,
}

impl Frame {
    /// Splits one frame off the front of `buf`.
    ///
    /// Returns `Ok(None)` when the frame is not complete yet (having reserved room for more
    /// of it), and [`Error::FrameLength`] for a length prefix below [`FRAME_PREFIX_LEN`] or above
    /// `max_frame_len`, checked before anything is reserved. The frame shares `buf`'s
    /// allocation; nothing is copied.
    pub fn decode(buf: &mut BytesMut, max_frame_len: u64) -> Result<Option<Self>> {
        let Some(prefix) = buf.first_chunk::<LENGTH_FIELD_LEN>() else {
            return Ok(None);
        };
        let len = i64::from_be_bytes(*prefix);
        let frame_len = u64::try_from(len)
            .ok()
            .filter(|&l| l >= FRAME_PREFIX_LEN as u64 && l <= max_frame_len)
            .and_then(|l| usize::try_from(l).ok())
            .ok_or(Error::FrameLength { len, max: max_frame_len })?;
        if buf.len() < frame_len {
            buf.reserve((frame_len - buf.len()).min(MAX_RESERVE));
            return Ok(None);
        }
        let mut payload = buf.split_to(frame_len).freeze();
        payload.advance(LENGTH_FIELD_LEN);
        // The bound above guarantees the type byte is there.
        let msg_type = payload.get_u8();
        Ok(Some(Self { msg_type, payload }))
    }
}

/// Writes a frame's length prefix and type byte.
///
/// `header_len` is the size of the header fields the caller writes next; `in_frame_body_len`
/// is the size of a body counted in the frame (zero for no body or an out-of-frame one).
pub fn put_frame_header(
    buf: &mut impl BufMut,
    msg_type: u8,
    header_len: usize,
    in_frame_body_len: u64,
) {
    let len = (FRAME_PREFIX_LEN as u64)
        .saturating_add(header_len as u64)
        .saturating_add(in_frame_body_len);
    // Anything near i64::MAX is far past every frame limit, so saturating cannot make a
    // frame a peer would accept.
    buf.put_i64(i64::try_from(len).unwrap_or(i64::MAX));
    buf.put_u8(msg_type);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(bytes: &[u8]) -> BytesMut {
        BytesMut::from(bytes)
    }

    fn decode(bytes: &[u8]) -> Result<Option<Frame>> {
        Frame::decode(&mut buf(bytes), DEFAULT_MAX_FRAME_LEN)
    }

    const CHUNK_FETCH_REQUEST: &[u8] =
        &[0, 0, 0, 0, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 0, 0, 0];

    #[test]
    fn decodes_a_complete_frame_and_leaves_the_rest() {
        let mut b = buf(CHUNK_FETCH_REQUEST);
        b.extend_from_slice(&[0xaa, 0xbb]);
        let frame = Frame::decode(&mut b, DEFAULT_MAX_FRAME_LEN);
        let frame = frame.ok().flatten();
        assert_eq!(
            frame,
            Some(Frame { msg_type: 0, payload: Bytes::copy_from_slice(&CHUNK_FETCH_REQUEST[9..]) })
        );
        assert_eq!(&b[..], &[0xaa, 0xbb]);
    }

    #[test]
    fn every_truncation_needs_more() {
        for n in 0..CHUNK_FETCH_REQUEST.len() {
            let mut b = buf(&CHUNK_FETCH_REQUEST[..n]);
            assert!(matches!(Frame::decode(&mut b, DEFAULT_MAX_FRAME_LEN), Ok(None)), "{n}");
            assert_eq!(b.len(), n, "nothing consumed at {n}");
        }
    }

    #[test]
    fn bad_lengths_are_refused_before_the_body_arrives() {
        for len in [i64::MIN, -1, 0, 1, 8] {
            let got = decode(&len.to_be_bytes());
            assert!(matches!(got, Err(Error::FrameLength { len: l, .. }) if l == len), "{len}");
        }
        let too_big = DEFAULT_MAX_FRAME_LEN as i64 + 1;
        for len in [too_big, i64::MAX] {
            let got = decode(&len.to_be_bytes());
            assert!(matches!(got, Err(Error::FrameLength { len: l, .. }) if l == len), "{len}");
        }
        let got = Frame::decode(&mut buf(CHUNK_FETCH_REQUEST), 20);
        assert!(matches!(got, Err(Error::FrameLength { len: 21, max: 20 })));
    }

    #[test]
    fn smallest_frame_is_just_a_type_byte() {
        let got = decode(&[0, 0, 0, 0, 0, 0, 0, 9, 7]).ok().flatten();
        assert_eq!(got, Some(Frame { msg_type: 7, payload: Bytes::new() }));
    }

    #[test]
    fn max_length_frame_is_accepted_but_reserves_little() {
        let mut b = buf(&(DEFAULT_MAX_FRAME_LEN as i64).to_be_bytes());
        assert!(matches!(Frame::decode(&mut b, DEFAULT_MAX_FRAME_LEN), Ok(None)));
        assert!(b.capacity() <= 2 * (MAX_RESERVE + LENGTH_FIELD_LEN), "{}", b.capacity());
    }

    #[test]
    fn header_counts_prefix_type_header_and_body() {
        let mut b = BytesMut::new();
        put_frame_header(&mut b, 1, 12, 3);
        assert_eq!(&b[..], &[0, 0, 0, 0, 0, 0, 0, 0x18, 1]);
    }
}
