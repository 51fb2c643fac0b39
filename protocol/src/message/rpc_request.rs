//! `RpcRequest` (type 3, `NC/protocol/RpcRequest.java`): a request expecting exactly one
//! `RpcResponse` or `RpcFailure` with the same id. Shuffle and auth messages ride in its body.
//!
//! `i64 requestId | i32 bodyLen`; the body is in the frame. Spark's decoder skips `bodyLen`
//! and takes the rest of the frame, and so do we.

use bytes::{BufMut, Bytes};

use super::{body_len_i32, BodyKind, Message, MessageType};
use crate::codec::{Decode, Reader};
use crate::error::Result;

/// An RPC with an opaque body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcRequest {
    /// Chosen by the client; echoed verbatim in the reply.
    pub request_id: i64,
    /// Usually a `BlockTransferMessage` or an auth handshake message.
    pub body: Bytes,
}

impl Message for RpcRequest {
    const TYPE: MessageType = MessageType::RpcRequest;
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

impl Decode for RpcRequest {
    fn decode(r: &mut Reader) -> Result<Self> {
        let request_id = r.i64("RpcRequest.requestId")?;
        r.i32("RpcRequest.bodyLen")?;
        Ok(Self { request_id, body: r.rest() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, FRAME_PREFIX_LEN};
    use crate::message::tests::{assert_request_wire, fixture};
    use crate::message::Request;

    #[test]
    fn matches_spark_encoder() {
        let msg = RpcRequest { request_id: 1, body: Bytes::from_static(&[1, 2, 3]) };
        assert_request_wire(&fixture("rpc_request"), msg, b"");
    }

    /// The §2.2 vectors carrying shuffle messages, with the body taken as opaque bytes.
    #[test]
    fn matches_spark_encoder_with_shuffle_bodies() {
        for (name, request_id) in [
            ("rpc_register_executor", 1),
            ("rpc_fetch_shuffle_blocks", 2),
            ("rpc_register_driver", 4),
        ] {
            let wire = fixture(name);
            let body = Bytes::copy_from_slice(&wire[FRAME_PREFIX_LEN + 12..]);
            assert_request_wire(&wire, RpcRequest { request_id, body }, b"");
        }
    }

    #[test]
    fn body_is_the_rest_of_the_frame_whatever_body_len_says() {
        for body_len in [0, -1, 1000] {
            let mut payload = vec![0, 0, 0, 0, 0, 0, 0, 9];
            payload.extend_from_slice(&i32::to_be_bytes(body_len));
            payload.extend_from_slice(b"xy");
            let frame = Frame { msg_type: 3, payload: payload.into() };
            let want = RpcRequest { request_id: 9, body: Bytes::from_static(b"xy") };
            assert_eq!(Request::from_frame(frame).ok(), Some(want.into()), "{body_len}");
        }
    }
}
