//! `PushBlockStream` (type 12, `NS/protocol/PushBlockStream.java`): the UploadStream
//! metadata of a block pushed for merging (push-based shuffle).
//!
//! `String appId | i32 appAttemptId | i32 shuffleId | i32 shuffleMergeId | i32 mapIndex |
//! i32 reduceId | i32 index`. The standalone service has no merger and fails it.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// Header of one pushed shuffle block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushBlockStream {
    /// Application id.
    pub app_id: String,
    /// Application attempt.
    pub app_attempt_id: i32,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Merge attempt of an indeterminate stage.
    pub shuffle_merge_id: i32,
    /// Index of the map task within the stage.
    pub map_index: i32,
    /// Reduce partition.
    pub reduce_id: i32,
    /// Position of this block in the client's push batch.
    pub index: i32,
}

impl Encode for PushBlockStream {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + 6 * 4
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        buf.put_i32(self.app_attempt_id);
        buf.put_i32(self.shuffle_id);
        buf.put_i32(self.shuffle_merge_id);
        buf.put_i32(self.map_index);
        buf.put_i32(self.reduce_id);
        buf.put_i32(self.index);
    }
}

impl Decode for PushBlockStream {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("PushBlockStream.appId")?,
            app_attempt_id: r.i32("PushBlockStream.appAttemptId")?,
            shuffle_id: r.i32("PushBlockStream.shuffleId")?,
            shuffle_merge_id: r.i32("PushBlockStream.shuffleMergeId")?,
            map_index: r.i32("PushBlockStream.mapIndex")?,
            reduce_id: r.i32("PushBlockStream.reduceId")?,
            index: r.i32("PushBlockStream.index")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire(
            "0c000000056170702d31000000010000000200000003000000040000000500000006",
            PushBlockStream {
                app_id: "app-1".into(),
                app_attempt_id: 1,
                shuffle_id: 2,
                shuffle_merge_id: 3,
                map_index: 4,
                reduce_id: 5,
                index: 6,
            },
        );
    }
}
