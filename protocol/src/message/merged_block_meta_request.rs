//! `MergedBlockMetaRequest` (type 11, `NC/protocol/MergedBlockMetaRequest.java`): asks for the
//! chunk bitmaps of a merged (push-based shuffle) block.
//!
//! `i64 requestId | String appId | i32 shuffleId | i32 shuffleMergeId | i32 reduceId`; no
//! body.

use bytes::BufMut;

use super::{BodyKind, Message, MessageType};
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;

/// A request for a merged block's meta, answered by `MergedBlockMetaSuccess` or `RpcFailure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedBlockMetaRequest {
    /// Chosen by the client; echoed in the reply.
    pub request_id: i64,
    /// The application.
    pub app_id: String,
    /// The shuffle.
    pub shuffle_id: i32,
    /// The merge attempt of that shuffle.
    pub shuffle_merge_id: i32,
    /// The reduce partition.
    pub reduce_id: i32,
}

impl Message for MergedBlockMetaRequest {
    const TYPE: MessageType = MessageType::MergedBlockMetaRequest;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        8 + string_len(&self.app_id) + 4 + 4 + 4
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.request_id);
        put_string(buf, &self.app_id);
        buf.put_i32(self.shuffle_id);
        buf.put_i32(self.shuffle_merge_id);
        buf.put_i32(self.reduce_id);
    }
}

impl Decode for MergedBlockMetaRequest {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            request_id: r.i64("MergedBlockMetaRequest.requestId")?,
            app_id: r.string("MergedBlockMetaRequest.appId")?,
            shuffle_id: r.i32("MergedBlockMetaRequest.shuffleId")?,
            shuffle_merge_id: r.i32("MergedBlockMetaRequest.shuffleMergeId")?,
            reduce_id: r.i32("MergedBlockMetaRequest.reduceId")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_request_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = MergedBlockMetaRequest {
            request_id: 9,
            app_id: "app-1".into(),
            shuffle_id: 2,
            shuffle_merge_id: 3,
            reduce_id: 4,
        };
        assert_request_wire(&fixture("merged_block_meta_request"), msg, b"");
    }
}
