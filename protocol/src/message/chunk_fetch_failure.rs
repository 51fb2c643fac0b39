//! `ChunkFetchFailure` (type 2, `NC/protocol/ChunkFetchFailure.java`): a chunk could not be
//! read (unknown stream, missing block file, …).
//!
//! `StreamChunkId | String errorString`; no body.

use bytes::BufMut;

use super::STREAM_CHUNK_ID_LEN;
use super::{put_stream_chunk_id, read_stream_chunk_id, BodyKind, Message, MessageType};
use crate::block_id::StreamChunkId;
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;

/// The failure of one chunk fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFetchFailure {
    /// The chunk that failed.
    pub stream_chunk_id: StreamChunkId,
    /// Free-form reason, shown to the user by the client.
    pub error_string: String,
}

impl Message for ChunkFetchFailure {
    const TYPE: MessageType = MessageType::ChunkFetchFailure;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        STREAM_CHUNK_ID_LEN + string_len(&self.error_string)
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_stream_chunk_id(buf, self.stream_chunk_id);
        put_string(buf, &self.error_string);
    }
}

impl Decode for ChunkFetchFailure {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            stream_chunk_id: read_stream_chunk_id(r)?,
            error_string: r.string("ChunkFetchFailure.errorString")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_response_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = ChunkFetchFailure {
            stream_chunk_id: StreamChunkId { stream_id: 1000, chunk_index: 1 },
            error_string: "x".into(),
        };
        assert_response_wire(&fixture("chunk_fetch_failure"), msg, b"");
    }
}
