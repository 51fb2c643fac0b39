//! `ChunkFetchSuccess` (type 1, `NC/protocol/ChunkFetchSuccess.java`): one chunk's bytes.
//!
//! `StreamChunkId`; the chunk is the in-frame body.

use bytes::{BufMut, Bytes, BytesMut};

use super::STREAM_CHUNK_ID_LEN;
use super::{put_stream_chunk_id, read_stream_chunk_id, BodyKind, Message, MessageType};
use crate::block_id::StreamChunkId;
use crate::codec::{Decode, Reader};
use crate::error::Result;
use crate::frame::{put_frame_header, FRAME_PREFIX_LEN};

/// A chunk, held in memory. A server sending a file region builds the frame header with
/// [`ChunkFetchSuccess::header_for`] and sends the region after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFetchSuccess {
    /// The chunk this is.
    pub stream_chunk_id: StreamChunkId,
    /// The chunk's bytes.
    pub body: Bytes,
}

impl ChunkFetchSuccess {
    /// The frame header of a `ChunkFetchSuccess` whose `body_len`-byte body the caller sends
    /// right after it (with `sendfile`, say) without holding it in memory.
    pub fn header_for(stream_chunk_id: StreamChunkId, body_len: u64) -> Bytes {
        let mut buf = BytesMut::with_capacity(FRAME_PREFIX_LEN + STREAM_CHUNK_ID_LEN);
        Self::put_header_for(&mut buf, stream_chunk_id, body_len);
        buf.freeze()
    }

    /// [`ChunkFetchSuccess::header_for`] appended to `buf`, for a body the caller appends
    /// right after it.
    pub fn put_header_for(buf: &mut impl BufMut, stream_chunk_id: StreamChunkId, body_len: u64) {
        put_frame_header(buf, Self::TYPE.into(), STREAM_CHUNK_ID_LEN, body_len);
        put_stream_chunk_id(buf, stream_chunk_id);
    }
}

impl Message for ChunkFetchSuccess {
    const TYPE: MessageType = MessageType::ChunkFetchSuccess;
    const BODY: BodyKind = BodyKind::InFrame;

    fn header_len(&self) -> usize {
        STREAM_CHUNK_ID_LEN
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        put_stream_chunk_id(buf, self.stream_chunk_id);
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Decode for ChunkFetchSuccess {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { stream_chunk_id: read_stream_chunk_id(r)?, body: r.rest() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_response_wire, fixture};
    use crate::message::Outbound;

    const ID: StreamChunkId = StreamChunkId { stream_id: 1000, chunk_index: 0 };

    #[test]
    fn matches_spark_encoder() {
        let msg = ChunkFetchSuccess { stream_chunk_id: ID, body: Bytes::from_static(b"abc") };
        assert_response_wire(&fixture("chunk_fetch_success"), msg, b"");
    }

    #[test]
    fn header_for_an_unread_body_counts_the_body() {
        let msg = ChunkFetchSuccess { stream_chunk_id: ID, body: Bytes::from_static(b"abc") };
        assert_eq!(ChunkFetchSuccess::header_for(ID, 3), msg.frame_header());
        let mut appended = b"before".to_vec();
        ChunkFetchSuccess::put_header_for(&mut appended, ID, 3);
        assert_eq!(appended[6..], msg.frame_header()[..]);
        let mut wire = ChunkFetchSuccess::header_for(ID, 3).to_vec();
        wire.extend_from_slice(b"abc");
        assert_eq!(wire, fixture("chunk_fetch_success"));
    }
}
