//! `StreamRequest` (type 6, `NC/protocol/StreamRequest.java`): asks for a whole stream by
//! string id (for the shuffle service, a chunk as `"{streamId}_{chunkIndex}"`).
//!
//! `String streamId`; no body.

use bytes::BufMut;

use super::{BodyKind, Message, MessageType};
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;

/// A stream request, answered (in arrival order) by `StreamResponse` or `StreamFailure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    /// The stream wanted; parse with `StreamChunkId::from_str` for shuffle chunks.
    pub stream_id: String,
}

impl Message for StreamRequest {
    const TYPE: MessageType = MessageType::StreamRequest;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        string_len(&self.stream_id)
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.stream_id);
    }
}

impl Decode for StreamRequest {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { stream_id: r.string("StreamRequest.streamId")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_request_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = StreamRequest { stream_id: "1000_0".into() };
        assert_request_wire(&fixture("stream_request"), msg, b"");
    }
}
