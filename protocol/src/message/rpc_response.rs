//! `RpcResponse` (type 4, `NC/protocol/RpcResponse.java`): the successful reply to an
//! `RpcRequest`.
//!
//! `i64 requestId | i32 bodyLen`; the body is in the frame and, as in Spark, decoded as the
//! rest of the frame.

use bytes::{BufMut, Bytes};

use super::{body_len_i32, BodyKind, Message, MessageType};
use crate::codec::{Decode, Reader};
use crate::error::Result;

/// An RPC reply with an opaque body (empty for registrations, a `StreamHandle` for opens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcResponse {
    /// The id of the request answered.
    pub request_id: i64,
    /// The reply.
    pub body: Bytes,
}

impl Message for RpcResponse {
    const TYPE: MessageType = MessageType::RpcResponse;
    const BODY: BodyKind = BodyKind::InFrame;

    fn header_len(&self) -> usize {
        8 + 4
    }

    fn encode_header(&self, buf: &mut impl BufMut) {
        buf.put_i64(self.request_id);
        buf.put_i32(body_len_i32(&self.body));
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Decode for RpcResponse {
    fn decode(r: &mut Reader) -> Result<Self> {
        let request_id = r.i64("RpcResponse.requestId")?;
        r.i32("RpcResponse.bodyLen")?;
        Ok(Self { request_id, body: r.rest() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FRAME_PREFIX_LEN;
    use crate::message::tests::{assert_response_wire, fixture};

    #[test]
    fn matches_spark_encoder() {
        let msg = RpcResponse { request_id: 1, body: Bytes::new() };
        assert_response_wire(&fixture("rpc_response"), msg, b"");
    }

    #[test]
    fn matches_spark_encoder_with_a_stream_handle_body() {
        let wire = fixture("rpc_stream_handle");
        let body = Bytes::copy_from_slice(&wire[FRAME_PREFIX_LEN + 12..]);
        assert_response_wire(&wire, RpcResponse { request_id: 2, body }, b"");
    }
}
