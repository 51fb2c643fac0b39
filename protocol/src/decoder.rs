//! Bytes → role-typed messages, including out-of-frame bodies.
//!
//! After a StreamResponse or UploadStream frame, Spark's `TransportFrameDecoder` hands the
//! next `byteCount` raw bytes to an interceptor before it parses frames again. [`Decoder`]
//! does the same as a small state machine: it yields [`Inbound::Body`] pieces as bytes arrive
//! (bodies can be gigabytes, so it never waits for a whole one), then resumes framing.

use std::marker::PhantomData;

use bytes::{Bytes, BytesMut};

use crate::error::Result;
use crate::frame::Frame;
use crate::message::{Request, Response};

/// Which side of a connection decodes, and so which messages it accepts (hyper's
/// `Http1Transaction::Incoming`): a server decodes [`Request`]s, a client [`Response`]s.
pub trait Role {
    /// The messages this side receives.
    type Incoming;

    /// Decodes one frame; a message that travels the other way is an error.
    fn parse(frame: Frame) -> Result<Self::Incoming>;

    /// Bytes that follow `msg`'s frame raw on the wire.
    fn out_of_frame_body_len(msg: &Self::Incoming) -> u64;
}

/// The server side: decodes [`Request`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerRole;

impl Role for ServerRole {
    type Incoming = Request;

    fn parse(frame: Frame) -> Result<Request> {
        Request::from_frame(frame)
    }

    fn out_of_frame_body_len(msg: &Request) -> u64 {
        msg.out_of_frame_body_len()
    }
}

/// The client side: decodes [`Response`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientRole;

impl Role for ClientRole {
    type Incoming = Response;

    fn parse(frame: Frame) -> Result<Response> {
        Response::from_frame(frame)
    }

    fn out_of_frame_body_len(msg: &Response) -> u64 {
        msg.out_of_frame_body_len()
    }
}

/// One unit decoded from a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound<M> {
    /// A complete message.
    Message(M),
    /// The next piece of the out-of-frame body of the last message. A zero-length body has
    /// no pieces: the next unit is the next message.
    Body {
        /// The bytes, never empty.
        data: Bytes,
        /// Whether this piece ends the body.
        last: bool,
    },
}

/// Turns a byte buffer into [`Inbound`] units for role `R`.
///
/// After an `Err` the stream position is lost; the connection must be closed, as Spark does.
#[derive(Debug)]
pub struct Decoder<R> {
    max_frame_len: u64,
    /// Out-of-frame body bytes still to hand out before the next frame.
    body_remaining: u64,
    // `fn() -> R` keeps the decoder Send + Sync whatever the role marker is.
    role: PhantomData<fn() -> R>,
}

impl<R: Role> Decoder<R> {
    /// A decoder refusing frames longer than `max_frame_len` (see
    /// [`DEFAULT_MAX_FRAME_LEN`](crate::frame::DEFAULT_MAX_FRAME_LEN)).
    pub fn new(max_frame_len: u64) -> Self {
        Self { max_frame_len, body_remaining: 0, role: PhantomData }
    }

    /// Decodes the next unit from the front of `buf`; `Ok(None)` means more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound<R::Incoming>>> {
        if self.body_remaining > 0 {
            return Ok(self.body_piece(buf));
        }
        let Some(frame) = Frame::decode(buf, self.max_frame_len)? else {
            return Ok(None);
        };
        let msg = R::parse(frame)?;
        self.body_remaining = R::out_of_frame_body_len(&msg);
        Ok(Some(Inbound::Message(msg)))
    }

    /// Out-of-frame body bytes still expected; non-zero means the stream is in the middle of
    /// a body, so an end of stream now is a reset, not a clean close.
    pub fn body_remaining(&self) -> u64 {
        self.body_remaining
    }

    /// Hands out whatever part of the current body is buffered.
    fn body_piece(&mut self, buf: &mut BytesMut) -> Option<Inbound<R::Incoming>> {
        if buf.is_empty() {
            return None;
        }
        // A remaining count past usize::MAX just means "take everything buffered".
        let n = usize::try_from(self.body_remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let data = buf.split_to(n).freeze();
        self.body_remaining -= n as u64;
        Some(Inbound::Body { data, last: self.body_remaining == 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_id::StreamChunkId;
    use crate::error::Error;
    use crate::frame::DEFAULT_MAX_FRAME_LEN;
    use crate::message::tests::{fixture, request, response};
    use crate::message::{
        ChunkFetchRequest, ChunkFetchSuccess, Outbound, RpcRequest, StreamResponse,
    };
    use proptest::prelude::*;

    /// Feeds `wire` to a fresh decoder `step` bytes at a time and collects every unit, with
    /// body pieces merged, failing on leftover bytes.
    fn feed<R: Role>(wire: &[u8], step: usize) -> Result<Vec<Inbound<R::Incoming>>> {
        let mut decoder = Decoder::<R>::new(DEFAULT_MAX_FRAME_LEN);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in wire.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(unit) = decoder.decode(&mut buf)? {
                push_merged(&mut out, unit);
            }
        }
        assert!(buf.is_empty(), "{} bytes left", buf.len());
        assert_eq!(decoder.body_remaining(), 0);
        Ok(out)
    }

    /// Appends `unit`, merging a body piece into a previous unfinished piece so that
    /// different chunkings give comparable results.
    fn push_merged<M>(out: &mut Vec<Inbound<M>>, unit: Inbound<M>) {
        if let Inbound::Body { data: more, last } = &unit {
            assert!(!more.is_empty(), "empty body piece");
            if let Some(Inbound::Body { data, last: open @ false }) = out.last_mut() {
                let mut joined = data.to_vec();
                joined.extend_from_slice(more);
                *data = joined.into();
                *open = *last;
                return;
            }
        }
        out.push(unit);
    }

    fn body(bytes: &'static [u8]) -> Inbound<Response> {
        Inbound::Body { data: Bytes::from_static(bytes), last: true }
    }

    #[test]
    fn stream_response_then_body_then_next_frame_at_every_chunking() {
        let mut wire = fixture("stream_response");
        wire.extend_from_slice(&fixture("chunk_fetch_success"));
        let want = vec![
            Inbound::Message(StreamResponse { stream_id: "1000_0".into(), byte_count: 3 }.into()),
            body(b"abc"),
            Inbound::Message(
                ChunkFetchSuccess {
                    stream_chunk_id: StreamChunkId { stream_id: 1000, chunk_index: 0 },
                    body: Bytes::from_static(b"abc"),
                }
                .into(),
            ),
        ];
        for step in 1..=wire.len() {
            assert_eq!(feed::<ClientRole>(&wire, step).ok(), Some(want.clone()), "step {step}");
        }
    }

    #[test]
    fn body_pieces_come_as_they_arrive() {
        let mut decoder = Decoder::<ClientRole>::new(DEFAULT_MAX_FRAME_LEN);
        let header = StreamResponse::header_for("s", 5);
        let mut buf = BytesMut::from(&header[..]);
        buf.extend_from_slice(b"ab");
        assert!(matches!(decoder.decode(&mut buf), Ok(Some(Inbound::Message(_)))));
        let piece = decoder.decode(&mut buf).ok().flatten();
        assert_eq!(piece, Some(Inbound::Body { data: Bytes::from_static(b"ab"), last: false }));
        assert!(matches!(decoder.decode(&mut buf), Ok(None)));
        assert_eq!(decoder.body_remaining(), 3);
        buf.extend_from_slice(b"cdeXY");
        let piece = decoder.decode(&mut buf).ok().flatten();
        assert_eq!(piece, Some(Inbound::Body { data: Bytes::from_static(b"cde"), last: true }));
        assert_eq!(&buf[..], b"XY", "the next frame's bytes are left alone");
    }

    #[test]
    fn zero_length_stream_has_no_body_pieces() {
        let wire = StreamResponse::header_for("s", 0);
        let got = feed::<ClientRole>(&wire, 1).ok();
        let want = StreamResponse { stream_id: "s".into(), byte_count: 0 };
        assert_eq!(got, Some(vec![Inbound::Message(want.into())]));
    }

    #[test]
    fn upload_stream_body_is_skipped_over_on_the_server() {
        let mut wire = fixture("upload_stream");
        wire.extend_from_slice(&fixture("chunk_fetch_request"));
        for step in 1..=wire.len() {
            let got = feed::<ServerRole>(&wire, step).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got.len(), 3, "step {step}");
            assert_eq!(
                got.get(1),
                Some(&Inbound::Body { data: Bytes::from_static(b"wxyz"), last: true })
            );
            assert!(matches!(got.get(2), Some(Inbound::Message(Request::ChunkFetchRequest(_)))));
        }
    }

    #[test]
    fn roles_refuse_the_other_direction() {
        let got = feed::<ServerRole>(&fixture("rpc_response"), 64);
        assert!(matches!(got, Err(Error::UnexpectedDirection(4))));
        let got = feed::<ClientRole>(&fixture("rpc_request"), 64);
        assert!(matches!(got, Err(Error::UnexpectedDirection(3))));
    }

    #[test]
    fn unknown_types_and_bad_lengths_are_errors() {
        for ty in [0x0d, 0xff] {
            let wire = [0, 0, 0, 0, 0, 0, 0, 9, ty];
            assert!(
                matches!(feed::<ServerRole>(&wire, 1), Err(Error::UnknownMessageType(t)) if t == ty)
            );
            assert!(
                matches!(feed::<ClientRole>(&wire, 1), Err(Error::UnknownMessageType(t)) if t == ty)
            );
        }
        for len in [-1i64, 0, 8, i64::MAX] {
            let got = feed::<ServerRole>(&len.to_be_bytes(), 3);
            assert!(matches!(got, Err(Error::FrameLength { .. })), "{len}");
        }
    }

    #[test]
    fn a_type_byte_without_header_is_truncated() {
        let got = feed::<ServerRole>(&[0, 0, 0, 0, 0, 0, 0, 9, 0], 1);
        assert!(matches!(got, Err(Error::Truncated { .. })));
    }

    #[test]
    fn several_frames_in_one_buffer() {
        let a =
            ChunkFetchRequest { stream_chunk_id: StreamChunkId { stream_id: 1, chunk_index: 2 } };
        let b = RpcRequest { request_id: 5, body: Bytes::from_static(b"hi") };
        let mut wire = a.to_wire_bytes().to_vec();
        wire.extend_from_slice(&b.to_wire_bytes());
        let got = feed::<ServerRole>(&wire, wire.len()).ok();
        assert_eq!(got, Some(vec![Inbound::Message(a.into()), Inbound::Message(b.into())]));
    }

    /// Wire bytes of `msgs`, each followed by an out-of-frame body of its declared length.
    fn wire_of<T: Outbound>(msgs: &[T], body_len: fn(&T) -> u64) -> Vec<u8> {
        let mut wire = Vec::new();
        for m in msgs {
            wire.extend_from_slice(&m.to_wire_bytes());
            wire.extend((0..body_len(m)).map(|i| i as u8));
        }
        wire
    }

    /// Keeps out-of-frame bodies small enough to materialise in a test.
    fn small_bodies<T>(msg: T, body_len: fn(&T) -> u64) -> bool {
        body_len(&msg) < 4096
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_units(
            reqs in proptest::collection::vec(
                request().prop_filter("small body", |m| small_bodies(m.clone(), Request::out_of_frame_body_len)),
                1..5,
            ),
            resps in proptest::collection::vec(
                response().prop_filter("small body", |m| small_bodies(m.clone(), Response::out_of_frame_body_len)),
                1..5,
            ),
            step in 1..40usize,
        ) {
            let wire = wire_of(&reqs, Request::out_of_frame_body_len);
            let whole = feed::<ServerRole>(&wire, wire.len());
            let pieces = feed::<ServerRole>(&wire, step);
            prop_assert!(whole.is_ok());
            prop_assert_eq!(whole.ok(), pieces.ok());

            let wire = wire_of(&resps, Response::out_of_frame_body_len);
            let whole = feed::<ClientRole>(&wire, wire.len());
            let pieces = feed::<ClientRole>(&wire, step);
            prop_assert!(whole.is_ok());
            prop_assert_eq!(whole.ok(), pieces.ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(wire in proptest::collection::vec(any::<u8>(), 0..256), step in 1..17usize) {
            let _ = feed_lenient::<ServerRole>(&wire, step);
            let _ = feed_lenient::<ClientRole>(&wire, step);
        }
    }

    /// Like `feed`, but tolerates leftovers: arbitrary input rarely ends on a boundary.
    fn feed_lenient<R: Role>(wire: &[u8], step: usize) -> Result<usize> {
        let mut decoder = Decoder::<R>::new(DEFAULT_MAX_FRAME_LEN);
        let mut buf = BytesMut::new();
        let mut units = 0;
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            while decoder.decode(&mut buf)?.is_some() {
                units += 1;
            }
        }
        Ok(units)
    }
}
