//! `FetchShuffleBlocks` (type 9, `NS/protocol/FetchShuffleBlocks.java`): the 3.x way to open
//! a stream over shuffle blocks of one shuffle.
//!
//! `String appId | String execId | i32 shuffleId | long[] mapIds | i32 n, n × int[] reduceIds
//! | bool batchFetchEnabled`. Answered with a `StreamHandle`.

use bytes::BufMut;

use crate::codec::{
    int_array_array_len, long_array_len, put_int_array_array, put_long_array, put_string,
    string_len, Decode, Encode, Reader,
};
use crate::error::{Error, Result};

/// A request to stream shuffle blocks, grouped by map output.
///
/// Chunks are `(map_ids[i], reduce_ids[i][j])` in row-major order; with
/// `batch_fetch_enabled`, each `reduce_ids[i]` is `[start, end)` and one chunk per map output
/// covers that range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchShuffleBlocks {
    /// Application id.
    pub app_id: String,
    /// Executor that wrote the map outputs.
    pub exec_id: String,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Map task attempt ids.
    pub map_ids: Vec<i64>,
    /// For each map id, its reduce ids (or `[start, end)` in batch mode); same length as
    /// `map_ids`.
    pub reduce_ids: Vec<Vec<i32>>,
    /// Whether `reduce_ids` holds ranges.
    pub batch_fetch_enabled: bool,
}

impl FetchShuffleBlocks {
    /// Number of chunks the stream will have (Spark's `getNumBlocks`).
    pub fn num_blocks(&self) -> usize {
        if self.batch_fetch_enabled {
            self.map_ids.len()
        } else {
            self.reduce_ids.iter().map(Vec::len).sum()
        }
    }
}

impl Encode for FetchShuffleBlocks {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id)
            + string_len(&self.exec_id)
            + 4
            + long_array_len(&self.map_ids)
            + int_array_array_len(&self.reduce_ids)
            + 1
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        buf.put_i32(self.shuffle_id);
        put_long_array(buf, &self.map_ids);
        put_int_array_array(buf, &self.reduce_ids);
        buf.put_u8(u8::from(self.batch_fetch_enabled));
    }
}

impl Decode for FetchShuffleBlocks {
    fn decode(r: &mut Reader) -> Result<Self> {
        let msg = Self {
            app_id: r.string("FetchShuffleBlocks.appId")?,
            exec_id: r.string("FetchShuffleBlocks.execId")?,
            shuffle_id: r.i32("FetchShuffleBlocks.shuffleId")?,
            map_ids: r.long_array("FetchShuffleBlocks.mapIds")?,
            reduce_ids: r.int_array_array("FetchShuffleBlocks.reduceIds")?,
            batch_fetch_enabled: r.bool("FetchShuffleBlocks.batchFetchEnabled")?,
        };
        // Spark's constructor asserts this (assertions are off in production, where the
        // handler would then fail mid-iteration); refusing it here fails the RPC cleanly.
        if msg.map_ids.len() != msg.reduce_ids.len() {
            return Err(Error::Malformed {
                what: "FetchShuffleBlocks",
                reason: "mapIds and reduceIds differ in length",
            });
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    fn app(batch: bool, map_ids: Vec<i64>, reduce_ids: Vec<Vec<i32>>) -> FetchShuffleBlocks {
        FetchShuffleBlocks {
            app_id: "app-1".into(),
            exec_id: "7".into(),
            shuffle_id: 0,
            map_ids,
            reduce_ids,
            batch_fetch_enabled: batch,
        }
    }

    #[test]
    fn matches_spark_encoder() {
        // The body of the protocol doc's §2.2 "RpcRequest id=2" vector.
        assert_wire(
            "09000000056170702d310000000137000000000000000100000000000000050000000100000002\
             000000000000000100",
            app(false, vec![5], vec![vec![0, 1]]),
        );
        assert_wire(
            "09000000056170702d3100000001370000000300000002000000000000000500000100000000\
             000000000200000002000000000000000400000002000000020000000301",
            FetchShuffleBlocks {
                shuffle_id: 3,
                ..app(true, vec![5, 1 << 40], vec![vec![0, 4], vec![2, 3]])
            },
        );
    }

    #[test]
    fn chunk_count() {
        assert_eq!(app(false, vec![1, 2], vec![vec![0, 1, 2], vec![4]]).num_blocks(), 4);
        assert_eq!(app(true, vec![1, 2], vec![vec![0, 3], vec![0, 9]]).num_blocks(), 2);
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        // One mapId, zero reduceId arrays.
        let body = "09000000056170702d310000000137000000000000000100000000000000050000000000";
        assert!(matches!(
            decode_hex(body),
            Err(Error::Malformed { what: "FetchShuffleBlocks", .. })
        ));
    }

    #[test]
    fn negative_inner_count_is_refused() {
        let body =
            "09000000056170702d3100000001370000000000000001000000000000000500000001ffffffff00";
        assert!(matches!(decode_hex(body), Err(Error::NegativeLength { len: -1, .. })));
    }
}
