//! `DiagnoseCorruption` (type 16, `NS/protocol/DiagnoseCorruption.java`): ask why a fetched
//! block failed its checksum.
//!
//! `String appId | String execId | i32 shuffleId | i64 mapId | i32 reduceId | i64 checksum |
//! String algorithm`. Answered with `CorruptionCause`.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::Result;

/// A corrupted block and the checksum the reader computed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnoseCorruption {
    /// Application id.
    pub app_id: String,
    /// Executor that wrote the map output.
    pub exec_id: String,
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Map task attempt id.
    pub map_id: i64,
    /// Reduce partition.
    pub reduce_id: i32,
    /// Checksum the reader computed over the bytes it received.
    pub checksum: i64,
    /// Algorithm name as sent (`ADLER32`, `CRC32`; anything else is
    /// `UNSUPPORTED_CHECKSUM_ALGORITHM`, so it stays a string here).
    pub algorithm: String,
}

impl Encode for DiagnoseCorruption {
    fn encoded_len(&self) -> usize {
        string_len(&self.app_id)
            + string_len(&self.exec_id)
            + 4
            + 8
            + 4
            + 8
            + string_len(&self.algorithm)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string(buf, &self.app_id);
        put_string(buf, &self.exec_id);
        buf.put_i32(self.shuffle_id);
        buf.put_i64(self.map_id);
        buf.put_i32(self.reduce_id);
        buf.put_i64(self.checksum);
        put_string(buf, &self.algorithm);
    }
}

impl Decode for DiagnoseCorruption {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            app_id: r.string("DiagnoseCorruption.appId")?,
            exec_id: r.string("DiagnoseCorruption.execId")?,
            shuffle_id: r.i32("DiagnoseCorruption.shuffleId")?,
            map_id: r.i64("DiagnoseCorruption.mapId")?,
            reduce_id: r.i32("DiagnoseCorruption.reduceId")?,
            checksum: r.i64("DiagnoseCorruption.checksum")?,
            algorithm: r.string("DiagnoseCorruption.algorithm")?,
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
            "10000000056170702d3100000001370000000200000000000000050000000300000000000030390000000\
             741444c45523332",
            DiagnoseCorruption {
                app_id: "app-1".into(),
                exec_id: "7".into(),
                shuffle_id: 2,
                map_id: 5,
                reduce_id: 3,
                checksum: 12345,
                algorithm: "ADLER32".into(),
            },
        );
    }
}
