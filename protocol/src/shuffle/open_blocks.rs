//! `OpenBlocks` (type 0, `NS/protocol/OpenBlocks.java`): open a stream over named blocks.
//!
//! `String appId | String execId | String[] blockIds`. Answered with a `StreamHandle`.
//! Stock 3.5 clients send it for `rdd_*` blocks, and for shuffle blocks only with
//! `spark.shuffle.useOldFetchProtocol=true`.

use bytes::BufMut;

use crate::codec::{
    put_string, put_string_array, string_array_len, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// A request to stream the given blocks of one executor, one chunk per block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBlocks {
    /// Application id.
    pub app_id: String,
    /// Executor that wrote the blocks.
    pub exec_id: String,
    /// Block ids as sent; parse each with [`BlockId`](crate::block_id::BlockId) to serve it.
    pub block_ids: Vec<String>,
}

impl Encode for OpenBlocks {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id) + string_len(&self.exec_id) + string_array_len(&self.block_ids)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        put_string_array(buf, &self.block_ids);
    }
}

impl Decode for OpenBlocks {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("OpenBlocks.appId")?,
            exec_id: r.string("OpenBlocks.execId")?,
            block_ids: r.string_array("OpenBlocks.blockIds")?,
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
            "00000000056170702d310000000137000000020000000d73687566666c655f305f355f300000000772646\
             45f315f32",
            OpenBlocks {
                app_id: "app-1".into(),
                exec_id: "7".into(),
                block_ids: vec!["shuffle_0_5_0".into(), "rdd_1_2".into()],
            },
        );
    }
}
