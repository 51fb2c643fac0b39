//! `RemoveBlocks` (type 7, `NS/protocol/RemoveBlocks.java`): delete block files of an
//! executor.
//!
//! `String appId | String execId | String[] blockIds`. Answered with `BlocksRemoved`. Spark
//! uses each id verbatim as a file name (`rdd_3_7`, `shuffle_0_5_0.data`, `…index`).

use bytes::BufMut;

use crate::codec::{
    put_string, put_string_array, string_array_len, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// A request to delete the named files of one executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveBlocks {
    /// Application id.
    pub app_id: String,
    /// Executor that wrote the files.
    pub exec_id: String,
    /// Block ids as sent; [`BlockId::file_name`](crate::block_id::BlockId::file_name) gives
    /// the file of those that parse.
    pub block_ids: Vec<String>,
}

impl Encode for RemoveBlocks {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + string_len(&self.exec_id) + string_array_len(&self.block_ids)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        put_string_array(buf, &self.block_ids);
    }
}

impl Decode for RemoveBlocks {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("RemoveBlocks.appId")?,
            exec_id: r.string("RemoveBlocks.execId")?,
            block_ids: r.string_array("RemoveBlocks.blockIds")?,
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
            "07000000056170702d31000000013700000002000000077264645f335f37\
             0000001273687566666c655f305f355f302e64617461",
            RemoveBlocks {
                app_id: "app-1".into(),
                exec_id: "7".into(),
                block_ids: vec!["rdd_3_7".into(), "shuffle_0_5_0.data".into()],
            },
        );
    }
}
