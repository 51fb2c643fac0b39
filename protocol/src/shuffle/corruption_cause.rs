//! `CorruptionCause` (type 17, `NS/protocol/CorruptionCause.java`): the reply to
//! `DiagnoseCorruption`.
//!
//! `u8 cause`, the ordinal of `NS/checksum/Cause.java`.

use bytes::BufMut;

use crate::codec::{Decode, Encode, Reader};
use crate::error::{Error, Result};

/// Spark's `org.apache.spark.network.shuffle.checksum.Cause`, in ordinal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The stored data no longer matches the writer's checksum.
    DiskIssue = 0,
    /// The data on disk is fine; the reader's copy differs.
    NetworkIssue = 1,
    /// The checksum file or data could not be read.
    UnknownIssue = 2,
    /// All three checksums agree.
    ChecksumVerifyPass = 3,
    /// The algorithm named in the request is not one Spark 3.5 knows.
    UnsupportedChecksumAlgorithm = 4,
}

impl TryFrom<u8> for Cause {
    type Error = Error;

    fn try_from(ordinal: u8) -> Result<Self> {
        Ok(match ordinal {
            0 => Self::DiskIssue,
            1 => Self::NetworkIssue,
            2 => Self::UnknownIssue,
            3 => Self::ChecksumVerifyPass,
            4 => Self::UnsupportedChecksumAlgorithm,
            // Spark indexes `Cause.values()` with the signed byte and throws out of range.
            other => {
                return Err(Error::InvalidEnum {
                    what: "CorruptionCause.cause",
                    value: other.into(),
                })
            }
        })
    }
}

/// The diagnosed cause of a corrupted block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorruptionCause {
    /// What went wrong.
    pub cause: Cause,
}

impl Encode for CorruptionCause {
    fn encoded_len(&self) -> usize {
        1
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.cause as u8);
    }
}

impl Decode for CorruptionCause {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self { cause: Cause::try_from(r.u8("CorruptionCause.cause")?)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    #[test]
    fn matches_spark_encoder() {
        assert_wire("1101", CorruptionCause { cause: Cause::NetworkIssue });
        assert_wire("1104", CorruptionCause { cause: Cause::UnsupportedChecksumAlgorithm });
    }

    #[test]
    fn out_of_range_ordinals_are_refused() {
        for hex in ["1105", "11ff"] {
            assert!(matches!(decode_hex(hex), Err(Error::InvalidEnum { .. })), "{hex}");
        }
        assert!(matches!(decode_hex("11"), Err(Error::Truncated { .. })));
    }
}
