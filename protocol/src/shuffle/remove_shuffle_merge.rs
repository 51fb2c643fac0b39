//! `RemoveShuffleMerge` (type 19, `NS/protocol/RemoveShuffleMerge.java`, since 3.4): drop
//! the merged data of a shuffle (push-based shuffle).
//!
//! `String appId | i32 appAttemptId | i32 shuffleId | i32 shuffleMergeId`. Sent one-way in
//! 3.5, so failures are only logged.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// A request to delete one shuffle's merged files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveShuffleMerge {
    /// Application id.
    pub app_id: String,
    /// Application attempt.
    pub app_attempt_id: i32,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Merge attempt of an indeterminate stage.
    pub shuffle_merge_id: i32,
}

impl Encode for RemoveShuffleMerge {
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

impl Decode for RemoveShuffleMerge {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("RemoveShuffleMerge.appId")?,
            app_attempt_id: r.i32("RemoveShuffleMerge.appAttemptId")?,
            shuffle_id: r.i32("RemoveShuffleMerge.shuffleId")?,
            shuffle_merge_id: r.i32("RemoveShuffleMerge.shuffleMergeId")?,
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
            "13000000056170702d31000000010000000200000003",
            RemoveShuffleMerge {
                app_id: "app-1".into(),
                app_attempt_id: 1,
                shuffle_id: 2,
                shuffle_merge_id: 3,
            },
        );
    }
}
