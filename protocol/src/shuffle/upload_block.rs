//! `UploadBlock` (type 1, `NS/protocol/UploadBlock.java`): executor-to-executor block upload.
//!
//! `String appId | String execId | String blockId | byte[] metadata | byte[] blockData`.
//! Only `NettyBlockTransferService` handles it; the shuffle service answers RpcFailure.

use bytes::{BufMut, Bytes};

use crate::codec::{
    byte_array_len, put_byte_array, put_string, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// A block pushed to another executor's block manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadBlock {
    /// Application id.
    pub app_id: String,
    /// Uploading executor.
    pub exec_id: String,
    /// Block id as sent.
    pub block_id: String,
    /// Serialized `StorageLevel` and class tag (opaque here).
    pub metadata: Bytes,
    /// The block's bytes.
    pub block_data: Bytes,
}

impl Encode for UploadBlock {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id)
            + string_len(&self.exec_id)
            + string_len(&self.block_id)
            + byte_array_len(&self.metadata)
            + byte_array_len(&self.block_data)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        put_string(buf, &self.block_id);
        put_byte_array(buf, &self.metadata);
        put_byte_array(buf, &self.block_data);
    }
}

impl Decode for UploadBlock {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("UploadBlock.appId")?,
            exec_id: r.string("UploadBlock.execId")?,
            block_id: r.string("UploadBlock.blockId")?,
            metadata: r.byte_array("UploadBlock.metadata")?,
            block_data: r.byte_array("UploadBlock.blockData")?,
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
            "01000000056170702d310000000137000000077264645f315f3200000002010200000003030405",
            UploadBlock {
                app_id: "app-1".into(),
                exec_id: "7".into(),
                block_id: "rdd_1_2".into(),
                metadata: Bytes::from_static(&[1, 2]),
                block_data: Bytes::from_static(&[3, 4, 5]),
            },
        );
    }
}
