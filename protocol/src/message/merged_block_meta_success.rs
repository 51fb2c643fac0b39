//! `MergedBlockMetaSuccess` (type 12, `NC/protocol/MergedBlockMetaSuccess.java`): the chunk
//! bitmaps of a merged block.
//!
//! `i64 requestId | i32 numChunks`; the serialized bitmaps are the in-frame body (the rest of
//! the frame).

use bytes::{BufMut, Bytes};

use super::{BodyKind, Message, MessageType};
use crate::codec::{Decode, Reader};
use crate::error::Result;

/// A merged block's meta, its bitmaps kept opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedBlockMetaSuccess {
    /// The id of the request answered.
    pub request_id: i64,
    /// Number of chunks (and bitmaps) of the merged block.
    pub num_chunks: i32,
    /// The bitmaps, serialized.
    pub body: Bytes,
}

impl Message for MergedBlockMetaSuccess {
    const TYPE: MessageType = MessageType::MergedBlockMetaSuccess;
    const BODY: BodyKind = BodyKind::InFrame;

    fn header_len(&self) -> usize {
        8 + 4
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.request_id);
        buf.put_i32(self.num_chunks);
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Decode for MergedBlockMetaSuccess {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            request_id: r.i64("MergedBlockMetaSuccess.requestId")?,
            num_chunks: r.i32("MergedBlockMetaSuccess.numChunks")?,
            body: r.rest(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_response_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = MergedBlockMetaSuccess {
            request_id: 9,
            num_chunks: 2,
            body: Bytes::from_static(&[1, 2, 3, 4]),
        };
        assert_response_wire(&fixture("merged_block_meta_success"), msg, b"");
    }
}
