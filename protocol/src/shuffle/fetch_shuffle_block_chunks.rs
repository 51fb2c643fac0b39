//! `FetchShuffleBlockChunks` (type 15, `NS/protocol/FetchShuffleBlockChunks.java`): open a
//! stream over chunks of push-merged partitions.
//!
//! `String appId | String execId | i32 shuffleId | i32 shuffleMergeId | int[] reduceIds |
//! i32 n, n × int[] chunkIds`. Answered with a `StreamHandle` by a merging service; the
//! standalone service fails it.

use bytes::BufMut;

use crate::codec::{
    int_array_array_len, int_array_len, put_int_array, put_int_array_array, put_string, string_len,
    Decode, Encode, Reader,
};
use crate::error::{Error, Result};

/// A request to stream merged chunks; chunks are `(reduce_ids[i], chunk_ids[i][j])` in
/// row-major order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchShuffleBlockChunks {
    /// Application id.
    pub app_id: String,
    /// Executor id (the merger, for merged data).
    pub exec_id: String,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Merge attempt of an indeterminate stage.
    pub shuffle_merge_id: i32,
    /// Merged reduce partitions.
    pub reduce_ids: Vec<i32>,
    /// For each reduce id, its chunk ids; same length as `reduce_ids`.
    pub chunk_ids: Vec<Vec<i32>>,
}

impl FetchShuffleBlockChunks {
    /// Number of chunks the stream will have (Spark's `getNumBlocks`).
    pub fn num_blocks(&self) -> usize {
        self.chunk_ids.iter().map(Vec::len).sum()
    }
}

impl Encode for FetchShuffleBlockChunks {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id)
            + string_len(&self.exec_id)
            + 4
            + 4
            + int_array_len(&self.reduce_ids)
            + int_array_array_len(&self.chunk_ids)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        buf.put_i32(self.shuffle_id);
        buf.put_i32(self.shuffle_merge_id);
        put_int_array(buf, &self.reduce_ids);
        put_int_array_array(buf, &self.chunk_ids);
    }
}

impl Decode for FetchShuffleBlockChunks {
    fn decode(r: &mut Reader) -> Result<Self> {
        let msg = Self {
            app_id: r.string("FetchShuffleBlockChunks.appId")?,
            exec_id: r.string("FetchShuffleBlockChunks.execId")?,
            shuffle_id: r.i32("FetchShuffleBlockChunks.shuffleId")?,
            shuffle_merge_id: r.i32("FetchShuffleBlockChunks.shuffleMergeId")?,
            reduce_ids: r.int_array("FetchShuffleBlockChunks.reduceIds")?,
            chunk_ids: r.int_array_array("FetchShuffleBlockChunks.chunkIds")?,
        };
        // Asserted by Spark's constructor, as for FetchShuffleBlocks.
        if msg.reduce_ids.len() != msg.chunk_ids.len() {
            return Err(Error::Malformed {
                what: "FetchShuffleBlockChunks",
                reason: "reduceIds and chunkIds differ in length",
            });
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    #[test]
    fn matches_spark_encoder() {
        let msg = FetchShuffleBlockChunks {
            app_id: "app-1".into(),
            exec_id: "7".into(),
            shuffle_id: 2,
            shuffle_merge_id: 3,
            reduce_ids: vec![0, 1],
            chunk_ids: vec![vec![0], vec![1, 2]],
        };
        assert_eq!(msg.num_blocks(), 3);
        assert_wire(
            "0f000000056170702d3100000001370000000200000003000000020000000000000001\
             000000020000000100000000000000020000000100000002",
            msg,
        );
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        let body = "0f000000056170702d310000000137000000020000000300000001000000000000000000";
        assert!(matches!(decode_hex(body), Err(Error::Malformed { .. })));
    }
}
