//! `ChunkFetchRequest` (type 0, `NC/protocol/ChunkFetchRequest.java`): asks for one chunk of
//! a registered stream.
//!
//! `StreamChunkId`; no body.

use bytes::BufMut;

use super::STREAM_CHUNK_ID_LEN;
use super::{put_stream_chunk_id, read_stream_chunk_id, BodyKind, Message, MessageType};
use crate::block_id::StreamChunkId;
use crate::codec::{Decode, Reader};
use crate::error::Result;

/// A request for one chunk, answered by `ChunkFetchSuccess` or `ChunkFetchFailure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkFetchRequest {
    /// The chunk wanted.
    pub stream_chunk_id: StreamChunkId,
}

impl Message for ChunkFetchRequest {
    const TYPE: MessageType = MessageType::ChunkFetchRequest;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        STREAM_CHUNK_ID_LEN
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_stream_chunk_id(buf, self.stream_chunk_id);
    }
}

impl Decode for ChunkFetchRequest {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { stream_chunk_id: read_stream_chunk_id(r)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_request_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = ChunkFetchRequest {
            stream_chunk_id: StreamChunkId { stream_id: 1000, chunk_index: 0 },
        };
        assert_request_wire(&fixture("chunk_fetch_request"), msg, b"");
    }
}
