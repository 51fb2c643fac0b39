//! `RpcFailure` (type 5, `NC/protocol/RpcFailure.java`): the error reply to an `RpcRequest`.
//!
//! `i64 requestId | String errorString`; no body.

use bytes::BufMut;

use super::{BodyKind, Message, MessageType};
use crate::codec::{put_string, string_len, Decode, Reader};
use crate::error::Result;

/// A failed RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcFailure {
    /// The id of the request answered.
    pub request_id: i64,
    /// Free-form reason (a Java stack trace when the JVM sends it).
    pub error_string: String,
}

impl Message for RpcFailure {
    const TYPE: MessageType = MessageType::RpcFailure;
    const BODY: BodyKind = BodyKind::None;

    fn header_len(&self) -> usize {
        8 + string_len(&self.error_string)
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.request_id);
        put_string(buf, &self.error_string);
    }
}

impl Decode for RpcFailure {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            request_id: r.i64("RpcFailure.requestId")?,
            error_string: r.string("RpcFailure.errorString")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{assert_response_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = RpcFailure { request_id: 3, error_string: "x".into() };
        assert_response_wire(&fixture("rpc_failure"), msg, b"");
    }
}
