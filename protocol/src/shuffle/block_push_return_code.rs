//! `BlockPushReturnCode` (type 18, `NS/protocol/BlockPushReturnCode.java`): the reply to a
//! pushed block (push-based shuffle).
//!
//! `u8 returnCode | String failureBlockId`; codes are
//! `NC/server/BlockPushNonFatalFailure.ReturnCode` ids.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::{Error, Result};

/// Spark's `BlockPushNonFatalFailure.ReturnCode`, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnCode {
    /// The block was merged.
    Success = 0,
    /// The shuffle was already finalized.
    TooLateBlockPush = 1,
    /// Another block of the partition was being appended; gave up.
    BlockAppendCollisionDetected = 2,
    /// The push belongs to an older merge attempt of an indeterminate stage.
    StaleBlockPush = 3,
    /// The push comes from an older application attempt.
    TooOldAttemptPush = 4,
}

impl TryFrom<u8> for ReturnCode {
    type Error = Error;

    fn try_from(id: u8) -> Result<Self> {
        Ok(match id {
            0 => Self::Success,
            1 => Self::TooLateBlockPush,
            2 => Self::BlockAppendCollisionDetected,
            3 => Self::StaleBlockPush,
            4 => Self::TooOldAttemptPush,
            // Spark's constructor rejects unknown codes (`getReturnCode` throws).
            other => {
                return Err(Error::InvalidEnum {
                    what: "BlockPushReturnCode.returnCode",
                    value: other.into(),
                })
            }
        })
    }
}

/// The outcome of one pushed block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockPushReturnCode {
    /// Outcome.
    pub return_code: ReturnCode,
    /// The block that failed; empty on success.
    pub failure_block_id: String,
}

impl Encode for BlockPushReturnCode {
    fn encoded_len(&self) -> usize {
        1 + string_len(&self.failure_block_id)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.return_code as u8);
        put_string(buf, &self.failure_block_id);
    }
}

impl Decode for BlockPushReturnCode {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            return_code: ReturnCode::try_from(r.u8("BlockPushReturnCode.returnCode")?)?,
            failure_block_id: r.string("BlockPushReturnCode.failureBlockId")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    #[test]
    fn matches_spark_encoder() {
        assert_wire(
            "12020000001373687566666c65507573685f315f325f335f34",
            BlockPushReturnCode {
                return_code: ReturnCode::BlockAppendCollisionDetected,
                failure_block_id: "shufflePush_1_2_3_4".into(),
            },
        );
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(matches!(decode_hex("120500000000"), Err(Error::InvalidEnum { value: 5, .. })));
    }
}
