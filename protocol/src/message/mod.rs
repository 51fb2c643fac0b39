//! Transport messages (`NC/protocol/Message.java` and one class per type).
//!
//! A frame's payload is the header fields of its [`MessageType`], then any in-frame body.
//! One file per message, named after Spark's class. Each struct implements [`Message`]
//! (how it is framed) and [`Decode`] (its fields, read from the payload), and
//! [`Request`]/[`Response`] sort frames by direction, hyper-style: a server only ever
//! decodes requests and a client only responses.

mod chunk_fetch_failure;
mod chunk_fetch_request;
mod chunk_fetch_success;
mod merged_block_meta_request;
mod merged_block_meta_success;
mod one_way_message;
mod rpc_failure;
mod rpc_request;
mod rpc_response;
mod stream_failure;
mod stream_request;
mod stream_response;
mod upload_stream;

use bytes::{BufMut, Bytes, BytesMut};

pub use chunk_fetch_failure::ChunkFetchFailure;
pub use chunk_fetch_request::ChunkFetchRequest;
pub use chunk_fetch_success::ChunkFetchSuccess;
pub use merged_block_meta_request::MergedBlockMetaRequest;
pub use merged_block_meta_success::MergedBlockMetaSuccess;
pub use one_way_message::OneWayMessage;
pub use rpc_failure::RpcFailure;
pub use rpc_request::RpcRequest;
pub use rpc_response::RpcResponse;
pub use stream_failure::StreamFailure;
pub use stream_request::StreamRequest;
pub use stream_response::StreamResponse;
pub use upload_stream::UploadStream;

use crate::block_id::StreamChunkId;
use crate::codec::{Decode, Reader};
use crate::error::{Error, Result};
use crate::frame::{put_frame_header, Frame, FRAME_PREFIX_LEN};

/// Declares [`MessageType`] and its byte table from one list, so they cannot drift apart.
macro_rules! message_types {
    ($($id:literal => $name:ident,)*) => {
        /// Spark's `Message.Type`: the byte after the frame length.
        ///
        /// `User` (`-1`) is absent on purpose: it never appears on the wire and decoding it
        /// is an error, as in Spark.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum MessageType {
            $(
                #[doc = concat!("Type ", stringify!($id), ".")]
                $name = $id,
            )*
        }

        impl MessageType {
            /// Spark's class name of the message, for logs and errors.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$name => stringify!($name),)*
                }
            }
        }

        impl TryFrom<u8> for MessageType {
            type Error = Error;

            fn try_from(byte: u8) -> Result<Self> {
                match byte {
                    $($id => Ok(Self::$name),)*
                    other => Err(Error::UnknownMessageType(other)),
                }
            }
        }
    };
}

message_types! {
    0 => ChunkFetchRequest,
    1 => ChunkFetchSuccess,
    2 => ChunkFetchFailure,
    3 => RpcRequest,
    4 => RpcResponse,
    5 => RpcFailure,
    6 => StreamRequest,
    7 => StreamResponse,
    8 => StreamFailure,
    9 => OneWayMessage,
    10 => UploadStream,
    11 => MergedBlockMetaRequest,
    12 => MergedBlockMetaSuccess,
}

impl From<MessageType> for u8 {
    fn from(t: MessageType) -> Self {
        t as Self
    }
}

/// Where a message's body travels (Spark's `isBodyInFrame`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body at all.
    None,
    /// Inside the frame and counted in its length.
    InFrame,
    /// Raw bytes right after the frame, not counted in its length; a header field gives
    /// their number.
    OutOfFrame,
}

/// One transport message type: how it is framed.
///
/// Decoding is [`Decode`] over the frame payload (the header fields, then any in-frame body,
/// which runs to the end of the frame).
pub trait Message: Decode {
    /// The type byte.
    const TYPE: MessageType;
    /// Where the body travels.
    const BODY: BodyKind;

    /// Size of the header fields after the type byte.
    fn header_len(&self) -> usize;

    /// Writes the header fields (not the length prefix or type byte).
    fn encode_header(&self, buf: &mut impl BufMut);

    /// The body held in memory; empty for messages without one and for out-of-frame bodies,
    /// which the sender streams itself.
    fn body(&self) -> &[u8] {
        &[]
    }

    /// Size of the body, in memory or not.
    fn body_len(&self) -> u64 {
        self.body().len() as u64
    }
}

/// Anything written as one frame: every [`Message`], and [`Request`] and [`Response`].
///
/// The frame header (length prefix, type byte, header fields) and the in-memory body are kept
/// apart so writers can send them without concatenating, and so a body that is not in memory
/// (a file region) can follow a header built without it.
pub trait Outbound {
    /// The type byte.
    fn message_type(&self) -> MessageType;

    /// Size of the length prefix, type byte and header fields.
    fn frame_header_len(&self) -> usize;

    /// Writes the length prefix (counting any in-frame body), type byte and header fields.
    fn encode_frame_header(&self, buf: &mut impl BufMut);

    /// The in-memory body that follows the frame header (see [`Message::body`]).
    fn in_memory_body(&self) -> &[u8];

    /// The frame header in a buffer of its own.
    fn frame_header(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.frame_header_len());
        self.encode_frame_header(&mut buf);
        buf.freeze()
    }

    /// Frame header and in-memory body in one buffer: the complete wire bytes, except an
    /// out-of-frame body, which is never in memory. For tests and small messages; large
    /// bodies are better written after the header without copying.
    fn to_wire_bytes(&self) -> Bytes {
        let body = self.in_memory_body();
        let mut buf = BytesMut::with_capacity(self.frame_header_len() + body.len());
        self.encode_frame_header(&mut buf);
        buf.extend_from_slice(body);
        buf.freeze()
    }
}

impl<M: Message> Outbound for M {
    fn message_type(&self) -> MessageType {
        M::TYPE
    }

    fn frame_header_len(&self) -> usize {
        FRAME_PREFIX_LEN + self.header_len()
    }

    fn encode_frame_header(&self, buf: &mut impl BufMut) {
        let in_frame = match M::BODY {
            BodyKind::InFrame => self.body_len(),
            BodyKind::None | BodyKind::OutOfFrame => 0,
        };
        put_frame_header(buf, M::TYPE.into(), self.header_len(), in_frame);
        self.encode_header(buf);
    }

    fn in_memory_body(&self) -> &[u8] {
        self.body()
    }
}

/// Decodes a whole payload as `M`; bytes left over are an error (Spark's encoders never
/// leave any, so they mean a peer speaking something else).
fn decode_payload<M: Message>(payload: Bytes) -> Result<M> {
    let mut r = Reader::new(payload);
    let msg = M::decode(&mut r)?;
    r.finish(M::TYPE.name())?;
    Ok(msg)
}

/// Bytes that follow `msg`'s frame raw on the wire.
fn out_of_frame_len<M: Message>(msg: &M) -> u64 {
    match M::BODY {
        BodyKind::OutOfFrame => msg.body_len(),
        BodyKind::None | BodyKind::InFrame => 0,
    }
}

/// Encoded size of a `StreamChunkId`.
const STREAM_CHUNK_ID_LEN: usize = 8 + 4;

/// Writes a `StreamChunkId` (`i64 streamId | i32 chunkIndex`).
fn put_stream_chunk_id(buf: &mut impl BufMut, id: StreamChunkId) {
    buf.put_i64(id.stream_id);
    buf.put_i32(id.chunk_index);
}

/// Reads a `StreamChunkId`.
fn read_stream_chunk_id(r: &mut Reader) -> Result<StreamChunkId> {
    Ok(StreamChunkId {
        stream_id: r.i64("StreamChunkId.streamId")?,
        chunk_index: r.i32("StreamChunkId.chunkIndex")?,
    })
}

/// The `i32` body length RpcRequest/RpcResponse/OneWayMessage carry. A body that does not
/// fit cannot be in a frame a peer accepts, so saturating changes nothing real.
fn body_len_i32(body: &[u8]) -> i32 {
    i32::try_from(body.len()).unwrap_or(i32::MAX)
}

/// Reads an `i64` byte count of an out-of-frame body, refusing negative ones.
fn read_byte_count(r: &mut Reader, what: &'static str) -> Result<u64> {
    let len = r.i64(what)?;
    u64::try_from(len).map_err(|_| Error::NegativeLength { what, len })
}

/// Writes an out-of-frame byte count as Spark's `i64`. Counts past `i64::MAX` cannot exist
/// (no file or buffer is that large), so saturating changes nothing real.
fn put_byte_count(buf: &mut impl BufMut, count: u64) {
    buf.put_i64(i64::try_from(count).unwrap_or(i64::MAX));
}

/// Declares a direction enum over some message types, with its frame decoding and
/// [`Outbound`] dispatch, from one list.
macro_rules! direction {
    ($(#[$doc:meta])* $enum:ident { $($name:ident,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $enum {
            $(
                #[doc = concat!("A `", stringify!($name), "`.")]
                $name($name),
            )*
        }

        impl $enum {
            /// Decodes a frame's payload by its type byte.
            ///
            /// A known type that travels the other way is [`Error::UnexpectedDirection`];
            /// an unknown one is [`Error::UnknownMessageType`].
            pub fn from_frame(frame: Frame) -> Result<Self> {
                match MessageType::try_from(frame.msg_type)? {
                    $(MessageType::$name => decode_payload(frame.payload).map(Self::$name),)*
                    _ => Err(Error::UnexpectedDirection(frame.msg_type)),
                }
            }

            /// Bytes that follow this message's frame raw on the wire (UploadStream and
            /// StreamResponse bodies); zero for all others.
            pub fn out_of_frame_body_len(&self) -> u64 {
                match self {
                    $(Self::$name(m) => out_of_frame_len(m),)*
                }
            }
        }

        impl Outbound for $enum {
            fn message_type(&self) -> MessageType {
                match self {
                    $(Self::$name(m) => m.message_type(),)*
                }
            }

            fn frame_header_len(&self) -> usize {
                match self {
                    $(Self::$name(m) => m.frame_header_len(),)*
                }
            }

            fn encode_frame_header(&self, buf: &mut impl BufMut) {
                match self {
                    $(Self::$name(m) => m.encode_frame_header(buf),)*
                }
            }

            fn in_memory_body(&self) -> &[u8] {
                match self {
                    $(Self::$name(m) => m.in_memory_body(),)*
                }
            }
        }

        $(
            impl From<$name> for $enum {
                fn from(m: $name) -> Self {
                    Self::$name(m)
                }
            }
        )*
    };
}

direction! {
    /// A message a client sends and a server decodes.
    Request {
        ChunkFetchRequest,
        RpcRequest,
        StreamRequest,
        OneWayMessage,
        UploadStream,
        MergedBlockMetaRequest,
    }
}

direction! {
    /// A message a server sends and a client decodes.
    Response {
        ChunkFetchSuccess,
        ChunkFetchFailure,
        RpcResponse,
        RpcFailure,
        StreamResponse,
        StreamFailure,
        MergedBlockMetaSuccess,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt::Debug;

    use super::*;
    use proptest::prelude::*;

    /// Hex to bytes, skipping spaces and `|` so vectors can be laid out as in the docs.
    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> =
            s.bytes().filter_map(|c| char::from(c).to_digit(16)).map(|d| d as u8).collect();
        assert!(digits.len() % 2 == 0, "odd hex: {s}");
        digits.chunks(2).map(|p| p.iter().fold(0, |acc, d| acc << 4 | d)).collect()
    }

    const FIXTURE: &str = include_str!("../../tests/fixtures/spark-3.5.6-vectors.txt");

    /// A vector from the committed Spark 3.5.6 fixture, by name.
    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        FIXTURE
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(n, _)| *n == name)
            .map(|(_, hex)| unhex(hex))
            .unwrap_or_else(|| panic!("no fixture vector {name}"))
    }

    /// `msg` followed by `out_of_frame` encodes to exactly `wire`, and `wire` decodes back to
    /// `msg` leaving exactly `out_of_frame`, in `decode`'s direction only.
    fn assert_wire<T: Outbound + Debug + PartialEq>(
        wire: &[u8],
        msg: &T,
        out_of_frame: &[u8],
        decode: fn(Frame) -> Result<T>,
        body_len: fn(&T) -> u64,
        wrong_way: fn(Frame) -> Result<()>,
    ) {
        let mut encoded = msg.to_wire_bytes().to_vec();
        assert_eq!(msg.frame_header_len(), msg.frame_header().len(), "{msg:?}");
        encoded.extend_from_slice(out_of_frame);
        assert_eq!(encoded, wire, "{msg:?}: encoding");

        let mut buf = BytesMut::from(wire);
        let frame = match Frame::decode(&mut buf, crate::frame::DEFAULT_MAX_FRAME_LEN) {
            Ok(Some(frame)) => frame,
            other => panic!("{msg:?}: {other:?}"),
        };
        assert_eq!(&buf[..], out_of_frame, "{msg:?}: left after the frame");
        let ty = frame.msg_type;
        assert_eq!(ty, u8::from(msg.message_type()));
        assert!(
            matches!(wrong_way(frame.clone()), Err(Error::UnexpectedDirection(t)) if t == ty),
            "{msg:?} decoded the wrong way"
        );
        match decode(frame) {
            Ok(back) => {
                assert_eq!(&back, msg);
                assert_eq!(body_len(&back), out_of_frame.len() as u64);
            }
            Err(e) => panic!("{msg:?}: {e}"),
        }
    }

    /// See `assert_wire`, for a client → server message.
    pub(crate) fn assert_request_wire(wire: &[u8], msg: impl Into<Request>, out_of_frame: &[u8]) {
        assert_wire(
            wire,
            &msg.into(),
            out_of_frame,
            Request::from_frame,
            Request::out_of_frame_body_len,
            |f| Response::from_frame(f).map(drop),
        );
    }

    /// See `assert_wire`, for a server → client message.
    pub(crate) fn assert_response_wire(wire: &[u8], msg: impl Into<Response>, out_of_frame: &[u8]) {
        assert_wire(
            wire,
            &msg.into(),
            out_of_frame,
            Response::from_frame,
            Response::out_of_frame_body_len,
            |f| Request::from_frame(f).map(drop),
        );
    }

    /// Every §2.2 vector of the protocol document is the committed fixture vector of the same
    /// message, so the per-message tests against the fixture cover the document too.
    #[test]
    fn protocol_doc_vectors_are_the_fixture_vectors() {
        let doc = [
            (
                "rpc_register_executor",
                "0000000000000037 03 0000000000000001 00000022
                 02 00000005 6170702d31 00000001 37 00000001 00000002 2f64 00000040 00000001 53",
            ),
            ("rpc_response", "0000000000000015 04 0000000000000001 00000000"),
            (
                "rpc_fetch_shuffle_blocks",
                "0000000000000045 03 0000000000000002 00000030
                 09 00000005 6170702d31 00000001 37 00000000 00000001 0000000000000005
                 00000001 00000002 00000000 00000001 00",
            ),
            (
                "rpc_stream_handle",
                "0000000000000022 04 0000000000000002 0000000d 03 00000000000003e8 00000002",
            ),
            ("chunk_fetch_request", "0000000000000015 00 00000000000003e8 00000000"),
            ("chunk_fetch_success", "0000000000000018 01 00000000000003e8 00000000 616263"),
            ("chunk_fetch_failure", "000000000000001a 02 00000000000003e8 00000001 00000001 78"),
            ("stream_request", "0000000000000013 06 00000006 313030305f30"),
            (
                "stream_response",
                "000000000000001b 07 00000006 313030305f30 0000000000000003 | 616263",
            ),
            ("rpc_failure", "0000000000000016 05 0000000000000003 00000001 78"),
            ("one_way_message", "0000000000000017 09 0000000a 05 00000005 6170702d31"),
            (
                "rpc_register_driver",
                "0000000000000027 03 0000000000000004 00000012 04 00000005 6170702d31 \
                 000000000001d4c0",
            ),
        ];
        for (name, hex) in doc {
            assert_eq!(unhex(hex), fixture(name), "{name}");
        }
    }

    #[test]
    fn type_bytes_match_spark() {
        for byte in 0..=12u8 {
            match MessageType::try_from(byte) {
                Ok(t) => assert_eq!(u8::from(t), byte),
                Err(e) => panic!("{byte}: {e}"),
            }
        }
        for byte in [13, 0x7f, 0xfe, 0xff] {
            assert!(
                matches!(MessageType::try_from(byte), Err(Error::UnknownMessageType(b)) if b == byte)
            );
        }
    }

    #[test]
    fn unknown_types_are_refused_both_ways() {
        for byte in [0x0d, 0xff] {
            let frame = || Frame { msg_type: byte, payload: Bytes::from_static(&[0; 16]) };
            assert!(
                matches!(Request::from_frame(frame()), Err(Error::UnknownMessageType(b)) if b == byte)
            );
            assert!(
                matches!(Response::from_frame(frame()), Err(Error::UnknownMessageType(b)) if b == byte)
            );
        }
    }

    #[test]
    fn trailing_bytes_after_a_bodiless_message_are_refused() {
        let mut wire = fixture("chunk_fetch_request");
        wire.push(0);
        // Bump the length prefix to cover the extra byte.
        wire[7] += 1;
        let frame = Frame::decode(&mut BytesMut::from(&wire[..]), u64::MAX);
        let frame = frame.ok().flatten().unwrap_or_else(|| panic!("no frame"));
        assert!(matches!(
            Request::from_frame(frame),
            Err(Error::TrailingBytes { what: "ChunkFetchRequest", count: 1 })
        ));
    }

    #[test]
    fn every_truncated_header_is_an_error() {
        let requests = [
            "chunk_fetch_request",
            "rpc_request",
            "stream_request",
            "one_way_message",
            "upload_stream",
            "merged_block_meta_request",
        ];
        let responses = [
            "chunk_fetch_failure",
            "rpc_failure",
            "stream_response",
            "stream_failure",
            "rpc_response",
            "chunk_fetch_success",
            "merged_block_meta_success",
        ];
        // Shortening the payload inside the header (the fixed-size fields, or a string's
        // bytes) must fail: never a panic, never a message made from missing fields.
        let cut = |name: &str, header_len: usize| {
            let wire = fixture(name);
            let ty = wire[8];
            (0..header_len).map(move |n| Frame {
                msg_type: ty,
                payload: Bytes::copy_from_slice(&wire[9..9 + n]),
            })
        };
        let header_len = |name: &str| {
            let wire = fixture(name);
            let frame = Frame::decode(&mut BytesMut::from(&wire[..]), u64::MAX);
            let frame = frame.ok().flatten().unwrap_or_else(|| panic!("{name}"));
            match (Request::from_frame(frame.clone()), Response::from_frame(frame)) {
                (Ok(m), _) => m.frame_header_len() - FRAME_PREFIX_LEN,
                (_, Ok(m)) => m.frame_header_len() - FRAME_PREFIX_LEN,
                _ => panic!("{name} does not decode"),
            }
        };
        for name in requests {
            for frame in cut(name, header_len(name)) {
                assert!(Request::from_frame(frame.clone()).is_err(), "{name} {frame:?}");
            }
        }
        for name in responses {
            for frame in cut(name, header_len(name)) {
                assert!(Response::from_frame(frame.clone()).is_err(), "{name} {frame:?}");
            }
        }
    }

    fn stream_chunk_id() -> impl Strategy<Value = StreamChunkId> {
        (any::<i64>(), any::<i32>())
            .prop_map(|(stream_id, chunk_index)| StreamChunkId { stream_id, chunk_index })
    }

    fn body() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
    }

    fn byte_count() -> impl Strategy<Value = u64> {
        prop_oneof![0..1024u64, 0..=i64::MAX as u64]
    }

    pub(crate) fn request() -> impl Strategy<Value = Request> {
        prop_oneof![
            stream_chunk_id()
                .prop_map(|stream_chunk_id| ChunkFetchRequest { stream_chunk_id }.into()),
            (any::<i64>(), body())
                .prop_map(|(request_id, body)| RpcRequest { request_id, body }.into()),
            any::<String>().prop_map(|stream_id| StreamRequest { stream_id }.into()),
            body().prop_map(|body| OneWayMessage { body }.into()),
            (any::<i64>(), body(), byte_count()).prop_map(|(request_id, meta, body_byte_count)| {
                UploadStream { request_id, meta, body_byte_count }.into()
            }),
            (any::<i64>(), any::<String>(), any::<i32>(), any::<i32>(), any::<i32>()).prop_map(
                |(request_id, app_id, shuffle_id, shuffle_merge_id, reduce_id)| {
                    MergedBlockMetaRequest {
                        request_id,
                        app_id,
                        shuffle_id,
                        shuffle_merge_id,
                        reduce_id,
                    }
                    .into()
                }
            ),
        ]
    }

    pub(crate) fn response() -> impl Strategy<Value = Response> {
        prop_oneof![
            (stream_chunk_id(), body()).prop_map(|(stream_chunk_id, body)| ChunkFetchSuccess {
                stream_chunk_id,
                body
            }
            .into()),
            (stream_chunk_id(), any::<String>()).prop_map(|(stream_chunk_id, error_string)| {
                ChunkFetchFailure { stream_chunk_id, error_string }.into()
            }),
            (any::<i64>(), body())
                .prop_map(|(request_id, body)| RpcResponse { request_id, body }.into()),
            (any::<i64>(), any::<String>()).prop_map(|(request_id, error_string)| RpcFailure {
                request_id,
                error_string
            }
            .into()),
            (any::<String>(), byte_count()).prop_map(|(stream_id, byte_count)| StreamResponse {
                stream_id,
                byte_count
            }
            .into()),
            (any::<String>(), any::<String>()).prop_map(|(stream_id, error)| StreamFailure {
                stream_id,
                error
            }
            .into()),
            (any::<i64>(), any::<i32>(), body()).prop_map(|(request_id, num_chunks, body)| {
                MergedBlockMetaSuccess { request_id, num_chunks, body }.into()
            }),
        ]
    }

    /// Frames `msg`, then decodes it back, checking the frame length on the way.
    fn round_trip<T: Outbound>(msg: &T, decode: fn(Frame) -> Result<T>) -> T {
        let wire = msg.to_wire_bytes();
        let mut buf = BytesMut::from(&wire[..]);
        let frame = Frame::decode(&mut buf, u64::MAX);
        let frame = frame.ok().flatten().unwrap_or_else(|| panic!("no frame"));
        assert!(buf.is_empty());
        decode(frame).unwrap_or_else(|e| panic!("{e}"))
    }

    proptest! {
        #[test]
        fn requests_round_trip(msg in request()) {
            prop_assert_eq!(round_trip(&msg, Request::from_frame), msg);
        }

        #[test]
        fn responses_round_trip(msg in response()) {
            prop_assert_eq!(round_trip(&msg, Response::from_frame), msg);
        }

        #[test]
        fn arbitrary_payloads_never_panic(ty in 0..=14u8, payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let frame = Frame { msg_type: ty, payload: Bytes::from(payload) };
            let _ = Request::from_frame(frame.clone());
            let _ = Response::from_frame(frame);
        }
    }
}
