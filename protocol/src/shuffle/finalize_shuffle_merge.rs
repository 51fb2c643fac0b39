//! `FinalizeShuffleMerge` (type 13, `NS/protocol/FinalizeShuffleMerge.java`): the driver
//! closes merging of a shuffle (push-based shuffle).
//!
//! `String appId | i32 appAttemptId | i32 shuffleId | i32 shuffleMergeId`. Answered with
//! `MergeStatuses` by a merging service; the standalone service fails it.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// A request to finalize the merge of one shuffle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalizeShuffleMerge {
    /// Application id.
    pub app_id: String,
    /// Application attempt.
    pub app_attempt_id: i32,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Merge attempt of an indeterminate stage.
    pub shuffle_merge_id: i32,
}

impl Encode for FinalizeShuffleMerge {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + 3 * 4
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        buf.put_i32(self.app_attempt_id);
        buf.put_i32(self.shuffle_id);
        buf.put_i32(self.shuffle_merge_id);
    }
}

impl Decode for FinalizeShuffleMerge {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("FinalizeShuffleMerge.appId")?,
            app_attempt_id: r.i32("FinalizeShuffleMerge.appAttemptId")?,
            shuffle_id: r.i32("FinalizeShuffleMerge.shuffleId")?,
            shuffle_merge_id: r.i32("FinalizeShuffleMerge.shuffleMergeId")?,
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
            "0d000000056170702d31000000010000000200000003",
            FinalizeShuffleMerge {
                app_id: "app-1".into(),
                app_attempt_id: 1,
                shuffle_id: 2,
                shuffle_merge_id: 3,
            },
        );
    }
}
