//! `StreamHandle` (type 3, `NS/protocol/StreamHandle.java`): the reply to `OpenBlocks`,
//! `FetchShuffleBlocks` and `FetchShuffleBlockChunks`.
//!
//! `i64 streamId | i32 numChunks`.

use bytes::BufMut;

use crate::codec::{Decode, Encode, Reader};
use crate::error::Result;

/// A registered stream the client then reads chunk by chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamHandle {
    /// Id to use in `ChunkFetchRequest`/`StreamRequest`.
    pub stream_id: i64,
    /// Number of chunks, fetched as indices `0..num_chunks`.
    pub num_chunks: i32,
}

impl Encode for StreamHandle {
    fn encoded_len(&self) -> usize {
        8 + 4
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.stream_id);
        buf.put_i32(self.num_chunks);
    }
}

impl Decode for StreamHandle {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            stream_id: r.i64("StreamHandle.streamId")?,
            num_chunks: r.i32("StreamHandle.numChunks")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire("0300000000000003e800000002", StreamHandle { stream_id: 1000, num_chunks: 2 });
    }
}
