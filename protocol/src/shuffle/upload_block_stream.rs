//! `UploadBlockStream` (type 6, `NS/protocol/UploadBlockStream.java`): the metadata of an
//! executor-to-executor block upload whose bytes follow as an UploadStream body.
//!
//! `String blockId | byte[] metadata`. The shuffle service rejects it.

use bytes::{BufMut, Bytes};

use crate::codec::{
    byte_array_len, put_byte_array, put_string, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// Header of a streamed block upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadBlockStream {
    /// Block id as sent.
    pub block_id: String,
    /// Serialized `StorageLevel` and class tag (opaque here).
    pub metadata: Bytes,
}

impl Encode for UploadBlockStream {
    fn encoded_len(&self) -> usize {
        string_len(&self.block_id) + byte_array_len(&self.metadata)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.block_id);
        put_byte_array(buf, &self.metadata);
    }
}

impl Decode for UploadBlockStream {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            block_id: r.string("UploadBlockStream.blockId")?,
            metadata: r.byte_array("UploadBlockStream.metadata")?,
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
            "06000000077264645f315f320000000109",
            UploadBlockStream { block_id: "rdd_1_2".into(), metadata: Bytes::from_static(&[9]) },
        );
    }
}
