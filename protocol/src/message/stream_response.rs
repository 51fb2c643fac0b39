//! `StreamResponse` (type 7, `NC/protocol/StreamResponse.java`): the header of a stream whose
//! bytes follow the frame raw.
//!
//! `String streamId | i64 byteCount`; then `byteCount` bytes outside the frame, not counted in
//! its length. No other frame may come between the header and the last of those bytes.

use bytes::{BufMut, Bytes, BytesMut};

use super::{put_byte_count, read_byte_count, BodyKind, Message, MessageType};
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;
use crate::frame::{put_frame_header, FRAME_PREFIX_LEN};

/// A stream header; the body is never held here. Senders write it after the header,
/// receivers get it from the decoder as `Inbound::Body` pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamResponse {
    /// The stream requested.
    pub stream_id: String,
    /// Bytes that follow the frame.
    pub byte_count: u64,
}

impl StreamResponse {
    /// The frame header of a `StreamResponse` for `stream_id` whose `byte_count`-byte body the
    /// caller sends right after it; the same bytes as `frame_header()` without building the
    /// struct.
    pub fn header_for(stream_id: &str, byte_count: u64) -> Bytes {
        let header_len = string_len(stream_id) + 8;
        let mut buf = BytesMut::with_capacity(FRAME_PREFIX_LEN + header_len);
        put_frame_header(&mut buf, Self::TYPE.into(), header_len, 0);
        put_string(&mut buf, stream_id);
        put_byte_count(&mut buf, byte_count);
        buf.freeze()
    }
}

impl Message for StreamResponse {
    const TYPE: MessageType = MessageType::StreamResponse;
    const BODY: BodyKind = BodyKind::OutOfFrame;

    fn header_len(&self) -> usize {
        string_len(&self.stream_id) + 8
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.stream_id);
        put_byte_count(buf, self.byte_count);
    }

    fn body_len(&self) -> u64 {
        self.byte_count
    }
}

impl Decode for StreamResponse {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            stream_id: r.string("StreamResponse.streamId")?,
            byte_count: read_byte_count(r, "StreamResponse.byteCount")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::frame::Frame;
    use crate::message::tests::{assert_response_wire, fixture};
    use crate::message::{Outbound, Response};

    #[test]
    fn matches_spark_encoder() {
        let msg = StreamResponse { stream_id: "1000_0".into(), byte_count: 3 };
        assert_eq!(StreamResponse::header_for("1000_0", 3), msg.frame_header());
        assert_response_wire(&fixture("stream_response"), msg, b"abc");
    }

    #[test]
    fn negative_byte_count_is_refused() {
        let mut payload = vec![0, 0, 0, 1, b'a'];
        payload.extend_from_slice(&(-1i64).to_be_bytes());
        let frame = Frame { msg_type: 7, payload: payload.into() };
        assert!(matches!(
            Response::from_frame(frame),
            Err(Error::NegativeLength { what: "StreamResponse.byteCount", len: -1 })
        ));
    }
}
