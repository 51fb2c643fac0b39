//! `MergeStatuses` (type 14, `NS/protocol/MergeStatuses.java`): the reply to
//! `FinalizeShuffleMerge` (push-based shuffle).
//!
//! `i32 shuffleId | i32 shuffleMergeId | RoaringBitmap[] bitmaps | int[] reduceIds |
//! long[] sizes`; the three arrays run in parallel, one entry per merged reduce partition.

use bytes::BufMut;

use crate::bitmap::{bitmap_array_len, put_bitmap_array, read_bitmap_array, RoaringBitmap};
use crate::codec::{
    int_array_len, long_array_len, put_int_array, put_long_array, Decode, Encode, Reader,
};
use crate::error::Result;

/// Which map outputs were merged into each reduce partition, and the merged sizes.
///
/// Spark does not check that the three arrays have the same length, so neither does decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeStatuses {
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Merge attempt of an indeterminate stage.
    pub shuffle_merge_id: i32,
    /// Per reduce partition: the map indices merged into it.
    pub bitmaps: Vec<RoaringBitmap>,
    /// The reduce partitions.
    pub reduce_ids: Vec<i32>,
    /// Per reduce partition: merged size in bytes.
    pub sizes: Vec<i64>,
}

impl Encode for MergeStatuses {
    fn encoded_len(&self) -> usize {
        4 + 4
            + bitmap_array_len(&self.bitmaps)
            + int_array_len(&self.reduce_ids)
            + long_array_len(&self.sizes)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i32(self.shuffle_id);
        buf.put_i32(self.shuffle_merge_id);
        put_bitmap_array(buf, &self.bitmaps);
        put_int_array(buf, &self.reduce_ids);
        put_long_array(buf, &self.sizes);
    }
}

impl Decode for MergeStatuses {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            shuffle_id: r.i32("MergeStatuses.shuffleId")?,
            shuffle_merge_id: r.i32("MergeStatuses.shuffleMergeId")?,
            bitmaps: read_bitmap_array(r, "MergeStatuses.bitmaps")?,
            reduce_ids: r.int_array("MergeStatuses.reduceIds")?,
            sizes: r.long_array("MergeStatuses.sizes")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    #[test]
    fn matches_spark_encoder() {
        // Bitmaps {1,2,3} (array), {0..=9} (run after runOptimize) and {} (empty).
        assert_wire(
            "0e0000000200000003000000033a300000010000000000020010000000010002000300\
             3b30000001000009000100000009003a30000000000000\
             00000003000000000000000100000002\
             00000003000000000000000a0000000000000014000000000000001e",
            MergeStatuses {
                shuffle_id: 2,
                shuffle_merge_id: 3,
                bitmaps: vec![
                    [1, 2, 3].into_iter().collect(),
                    (0..10).collect(),
                    RoaringBitmap::default(),
                ],
                reduce_ids: vec![0, 1, 2],
                sizes: vec![10, 20, 30],
            },
        );
    }

    #[test]
    fn bad_bitmaps_are_typed_errors() {
        // Bitmap count 1, then a cookie that is neither 12346 nor 12347.
        let body = "0e00000002000000030000000139300000000000000000000000000000";
        assert!(matches!(decode_hex(body), Err(Error::Malformed { what: "RoaringBitmap", .. })));
        // Bitmap count 2 but only one (empty) bitmap and nothing after it.
        let body = "0e0000000200000003000000023a30000000000000";
        assert!(matches!(
            decode_hex(body),
            Err(Error::LengthTooLarge { .. } | Error::Truncated { .. })
        ));
    }
}
