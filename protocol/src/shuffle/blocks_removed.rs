//! `BlocksRemoved` (type 8, `NS/protocol/BlocksRemoved.java`): the reply to `RemoveBlocks`.
//!
//! `i32 numRemovedBlocks`.

use bytes::BufMut;

use crate::codec::{Decode, Encode, Reader};
use crate::error::Result;

/// How many of the requested files were deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlocksRemoved {
    /// Count of successful deletions.
    pub num_removed_blocks: i32,
}

impl Encode for BlocksRemoved {
    fn encoded_len(&self) -> usize {
        4
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i32(self.num_removed_blocks);
    }
}

impl Decode for BlocksRemoved {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { num_removed_blocks: r.i32("BlocksRemoved.numRemovedBlocks")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::assert_wire;

    #[test]
    fn matches_spark_encoder() {
        assert_wire("0800000002", BlocksRemoved { num_removed_blocks: 2 });
    }
}
