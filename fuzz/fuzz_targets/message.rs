//! Arbitrary frame payloads through every message decoder.
//!
//! Input: `[msg_type, payload...]`. The payload is decoded as a transport `Request` and
//! `Response` (type from the first byte), and also as an RPC body (`RpcBody`, which covers
//! the SASL and AuthEngine messages and falls through to `BlockTransferMessage`), and as the
//! block and stream-chunk id strings those messages carry. Properties: no panic, and
//! whatever decodes re-encodes to something that decodes to the same value (block ids, which
//! have one spelling, to the very input).

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use shuffle_protocol::auth::RpcBody;
use shuffle_protocol::block_id::{BlockId, StreamChunkId};
use shuffle_protocol::codec::Encode;
use shuffle_protocol::shuffle::BlockTransferMessage;
use shuffle_protocol::{Frame, Outbound, Request, Response};

/// Frames `msg` and decodes it back with `decode`.
fn reframe<T: Outbound>(msg: &T, decode: fn(Frame) -> shuffle_protocol::Result<T>) -> T {
    let mut wire = BytesMut::from(&msg.to_wire_bytes()[..]);
    let frame = match Frame::decode(&mut wire, u64::MAX) {
        Ok(Some(frame)) => frame,
        other => panic!("re-encoded frame does not decode: {other:?}"),
    };
    assert!(wire.is_empty(), "frame length disagrees with the bytes written");
    match decode(frame) {
        Ok(back) => back,
        Err(e) => panic!("re-encoded message does not decode: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [msg_type, payload @ ..] = data else {
        return;
    };
    let frame = Frame { msg_type: *msg_type, payload: Bytes::copy_from_slice(payload) };

    if let Ok(req) = Request::from_frame(frame.clone()) {
        assert_eq!(reframe(&req, Request::from_frame), req);
    }
    if let Ok(resp) = Response::from_frame(frame) {
        assert_eq!(reframe(&resp, Response::from_frame), resp);
    }

    // The whole input as an RPC body: its first byte is the body's own type tag.
    let body = Bytes::copy_from_slice(data);
    if let Ok(msg) = BlockTransferMessage::decode(body.clone()) {
        match BlockTransferMessage::decode(msg.to_bytes()) {
            Ok(back) => assert_eq!(back, msg),
            Err(e) => panic!("re-encoded {} does not decode: {e}", msg.name()),
        }
    }
    if let Ok(rpc) = RpcBody::decode(body) {
        let bytes = match &rpc {
            RpcBody::Sasl(m) => m.to_bytes(),
            RpcBody::Auth(m) => m.to_bytes(),
            RpcBody::Shuffle(m) => m.to_bytes(),
        };
        match RpcBody::decode(bytes) {
            Ok(back) => assert_eq!(back, rpc),
            Err(e) => panic!("re-encoded RPC body does not decode: {e}"),
        }
    }

    // Ids travel as strings (OpenBlocks, FetchShuffleBlocks' ids, StreamRequest).
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = text.parse::<BlockId>() {
            assert_eq!(id.to_string(), text);
        }
        if let Ok(id) = text.parse::<StreamChunkId>() {
            assert_eq!(id.to_string().parse::<StreamChunkId>().ok(), Some(id));
        }
    }
});
