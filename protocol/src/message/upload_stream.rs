//! `UploadStream` (type 10, `NC/protocol/UploadStream.java`): a client pushing a block
//! (push-based shuffle, which this service refuses).
//!
//! `i64 requestId | i32 metaLen | meta | i64 bodyByteCount`; then `bodyByteCount` bytes
//! outside the frame, not counted in its length. The decoder hands them over as body pieces,
//! so a refusing server still knows where the next frame starts.

use bytes::{BufMut, Bytes};

use super::{put_byte_count, read_byte_count, BodyKind, Message, MessageType};
use crate::codec::{byte_array_len, put_byte_array, Decode, Reader};
use crate::error::Result;

/// An upload header; the body is never held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStream {
    /// Chosen by the client; echoed in the `RpcResponse`/`RpcFailure`.
    pub request_id: i64,
    /// Usually an encoded `PushBlockStream`.
    pub meta: Bytes,
    /// Bytes that follow the frame.
    pub body_byte_count: u64,
}

impl Message for UploadStream {
    const TYPE: MessageType = MessageType::UploadStream;
    const BODY: BodyKind = BodyKind::OutOfFrame;

    fn header_len(&self) -> usize {
        8 + byte_array_len(&self.meta) + 8
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.request_id);
        put_byte_array(buf, &self.meta);
        put_byte_count(buf, self.body_byte_count);
    }

    fn body_len(&self) -> u64 {
        self.body_byte_count
    }
}

impl Decode for UploadStream {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            request_id: r.i64("UploadStream.requestId")?,
            meta: r.byte_array("UploadStream.meta")?,
            body_byte_count: read_byte_count(r, "UploadStream.bodyByteCount")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::frame::Frame;
    use crate::message::tests::{assert_request_wire, fixture};
    use crate::message::Request;

    #[test]
    fn matches_spark_encoder() {
        let msg = UploadStream {
            request_id: 7,
            meta: Bytes::from_static(&[0xaa, 0xbb]),
            body_byte_count: 4,
        };
        assert_request_wire(&fixture("upload_stream"), msg, b"wxyz");
    }

    #[test]
    fn negative_lengths_are_refused() {
        let frame = |meta_len: i32, count: i64| {
            let mut payload = 7i64.to_be_bytes().to_vec();
            payload.extend_from_slice(&meta_len.to_be_bytes());
            payload.extend_from_slice(&count.to_be_bytes());
            Frame { msg_type: 10, payload: payload.into() }
        };
        assert!(matches!(
            Request::from_frame(frame(0, -5)),
            Err(Error::NegativeLength { what: "UploadStream.bodyByteCount", len: -5 })
        ));
        assert!(matches!(
            Request::from_frame(frame(-1, 0)),
            Err(Error::NegativeLength { what: "UploadStream.meta", len: -1 })
        ));
        assert!(matches!(
            Request::from_frame(frame(1000, 0)),
            Err(Error::LengthTooLarge { what: "UploadStream.meta", .. })
        ));
    }
}
