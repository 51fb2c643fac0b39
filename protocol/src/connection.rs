//! The protocol over tokio I/O: the only module of this crate that touches a runtime.
//!
//! - [`MessageCodec`]: a `tokio_util::codec` decoder/encoder over [`Decoder`], for
//!   `FramedRead`/`FramedWrite`.
//! - [`MessageReader`]: reads [`Inbound`] units from an `AsyncRead`, mini-redis style.
//! - [`MessageWriter`]: writes a frame header and its body without concatenating them, and
//!   lends out the inner writer so a body can be sent by other means (`sendfile`).
//! - [`Connection`]: both over one stream; a `TcpStream` one splits into a reader and a
//!   writer so a connection can read requests while another task writes responses.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::decoder::{Decoder, Inbound, Role};
use crate::error::{Error, Result};
use crate::message::Outbound;

/// Free space offered to each socket read, so a read is never just a few bytes of a large
/// frame or body.
const READ_CHUNK: usize = 64 * 1024;

/// At end of stream: fine between units, a reset inside a frame or an out-of-frame body.
fn check_clean_eof<R: Role>(buf: &BytesMut, decoder: &Decoder<R>) -> Result<()> {
    if buf.is_empty() && decoder.body_remaining() == 0 {
        Ok(())
    } else {
        Err(Error::ConnectionReset(buf.len()))
    }
}

/// A `tokio_util::codec` codec: decodes role `R`'s [`Inbound`] units and encodes any
/// [`Outbound`] message (header and in-memory body).
#[derive(Debug)]
pub struct MessageCodec<R> {
    decoder: Decoder<R>,
}

impl<R: Role> MessageCodec<R> {
    /// A codec refusing frames longer than `max_frame_len`.
    pub fn new(max_frame_len: u64) -> Self {
        Self { decoder: Decoder::new(max_frame_len) }
    }
}

impl<R: Role> tokio_util::codec::Decoder for MessageCodec<R> {
    type Item = Inbound<R::Incoming>;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>> {
        self.decoder.decode(src)
    }

    /// Ends the stream cleanly only between units; otherwise [`Error::ConnectionReset`].
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>> {
        match self.decoder.decode(src)? {
            Some(unit) => Ok(Some(unit)),
            None => check_clean_eof(src, &self.decoder).map(|()| None),
        }
    }
}

impl<R, M: Outbound> tokio_util::codec::Encoder<M> for MessageCodec<R> {
    type Error = Error;

    fn encode(&mut self, msg: M, dst: &mut BytesMut) -> Result<()> {
        let body = msg.in_memory_body();
        dst.reserve(msg.frame_header_len() + body.len());
        msg.encode_frame_header(dst);
        dst.extend_from_slice(body);
        Ok(())
    }
}

/// Reads role `R`'s [`Inbound`] units from `S`.
#[derive(Debug)]
pub struct MessageReader<S, R> {
    inner: S,
    buf: BytesMut,
    decoder: Decoder<R>,
}

impl<S: AsyncRead + Unpin, R: Role> MessageReader<S, R> {
    /// A reader refusing frames longer than `max_frame_len`.
    pub fn new(inner: S, max_frame_len: u64) -> Self {
        Self { inner, buf: BytesMut::new(), decoder: Decoder::new(max_frame_len) }
    }

    /// The next unit; `Ok(None)` when the peer closed the stream between units, and
    /// [`Error::ConnectionReset`] when it closed inside a frame or body.
    ///
    /// Cancel-safe: all state lives in `self`, so it can be a `select!` branch.
    pub async fn read(&mut self) -> Result<Option<Inbound<R::Incoming>>> {
        loop {
            if let Some(unit) = self.decoder.decode(&mut self.buf)? {
                return Ok(Some(unit));
            }
            self.buf.reserve(READ_CHUNK);
            if self.inner.read_buf(&mut self.buf).await? == 0 {
                check_clean_eof(&self.buf, &self.decoder)?;
                return Ok(None);
            }
        }
    }

    /// The next unit if it is already buffered, without reading: `Ok(None)` means
    /// [`Self::read`] would have to wait for the peer. A server uses it to tell pipelined
    /// requests (answer them, then write all replies at once) from the end of a batch.
    pub fn try_read_buffered(&mut self) -> Result<Option<Inbound<R::Incoming>>> {
        self.decoder.decode(&mut self.buf)
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The underlying reader; reading from it directly loses the frame position.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Bytes read from the underlying reader but not yet decoded. A client that switches
    /// the reader to decryption after a handshake checks this is zero, so no plaintext an
    /// attacker appended to the handshake reply is taken as part of the encrypted session.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Writes messages to `W`, unbuffered: when a write returns, its bytes have been handed to
/// `W`, so the caller may write to `W` directly next (a `sendfile` of a body after its header).
#[derive(Debug)]
pub struct MessageWriter<W> {
    inner: W,
}

impl<W: AsyncWrite + Unpin> MessageWriter<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// Writes `msg`'s frame header and in-memory body in one (vectored) `write_all`, without
    /// copying the body. An out-of-frame body must follow with [`Self::write_raw`] or directly
    /// on the inner writer, before any other message.
    pub async fn write_message<M: Outbound>(&mut self, msg: &M) -> Result<()> {
        self.write_header_then_body(&msg.frame_header(), msg.in_memory_body()).await
    }

    /// Writes a prebuilt frame header (from `ChunkFetchSuccess::header_for`, say) and then
    /// `body`, in one vectored `write_all`.
    pub async fn write_header_then_body(&mut self, header: &[u8], body: &[u8]) -> Result<()> {
        self.inner.write_all_buf(&mut Buf::chain(header, body)).await?;
        Ok(())
    }

    /// Writes raw bytes: an out-of-frame body, or a body piece after its header.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.inner.write_all(bytes).await?;
        Ok(())
    }

    /// Flushes the inner writer (needed only if it buffers).
    pub async fn flush(&mut self) -> Result<()> {
        self.inner.flush().await?;
        Ok(())
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer, to send a body by other means after its header.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Unwraps the writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Both directions of one stream: reads role `R`'s units and writes any message.
#[derive(Debug)]
pub struct Connection<S, R> {
    reader: MessageReader<S, R>,
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Role> Connection<S, R> {
    /// A connection refusing incoming frames longer than `max_frame_len`.
    pub fn new(stream: S, max_frame_len: u64) -> Self {
        Self { reader: MessageReader::new(stream, max_frame_len) }
    }

    /// The next unit; see [`MessageReader::read`].
    pub async fn read(&mut self) -> Result<Option<Inbound<R::Incoming>>> {
        self.reader.read().await
    }

    /// The write side, borrowed: every [`MessageWriter`] method, on this stream.
    pub fn writer(&mut self) -> MessageWriter<&mut S> {
        MessageWriter::new(self.reader.get_mut())
    }

    /// Writes one message; see [`MessageWriter::write_message`].
    pub async fn write_message<M: Outbound>(&mut self, msg: &M) -> Result<()> {
        self.writer().write_message(msg).await
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &S {
        self.reader.get_ref()
    }

    /// The underlying stream; reading from it directly loses the frame position.
    pub fn get_mut(&mut self) -> &mut S {
        self.reader.get_mut()
    }
}

impl<R: Role> Connection<TcpStream, R> {
    /// Splits into an owned reader and writer (no lock between them), keeping any bytes
    /// already read and the position inside an out-of-frame body.
    pub fn into_split(self) -> (MessageReader<OwnedReadHalf, R>, MessageWriter<OwnedWriteHalf>) {
        let MessageReader { inner, buf, decoder } = self.reader;
        let (read_half, write_half) = inner.into_split();
        (MessageReader { inner: read_half, buf, decoder }, MessageWriter::new(write_half))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_id::StreamChunkId;
    use crate::decoder::{ClientRole, ServerRole};
    use crate::frame::DEFAULT_MAX_FRAME_LEN;
    use crate::message::tests::fixture;
    use crate::message::{
        ChunkFetchRequest, ChunkFetchSuccess, Request, Response, RpcRequest, RpcResponse,
        StreamRequest, StreamResponse,
    };
    use bytes::Bytes;
    use futures::{SinkExt, StreamExt};
    use tokio::net::TcpListener;
    use tokio_util::codec::{FramedRead, FramedWrite};

    const ID: StreamChunkId = StreamChunkId { stream_id: 1000, chunk_index: 0 };

    fn body(bytes: &'static [u8], last: bool) -> Inbound<Response> {
        Inbound::Body { data: Bytes::from_static(bytes), last }
    }

    fn stream_response() -> Inbound<Response> {
        Inbound::Message(StreamResponse { stream_id: "1000_0".into(), byte_count: 3 }.into())
    }

    #[tokio::test]
    async fn framed_read_yields_messages_and_body_pieces() {
        let mut wire = fixture("stream_response");
        wire.extend_from_slice(&fixture("rpc_response"));
        let mut frames =
            FramedRead::new(&wire[..], MessageCodec::<ClientRole>::new(DEFAULT_MAX_FRAME_LEN));
        let mut got = Vec::new();
        while let Some(unit) = frames.next().await {
            got.push(unit.unwrap_or_else(|e| panic!("{e}")));
        }
        let rpc = RpcResponse { request_id: 1, body: Bytes::new() };
        assert_eq!(got, vec![stream_response(), body(b"abc", true), Inbound::Message(rpc.into())]);
    }

    #[tokio::test]
    async fn framed_read_eof_inside_a_frame_or_body_is_a_reset() {
        let wire = fixture("stream_response");
        for cut in [1, 8, 20, wire.len() - 3, wire.len() - 1] {
            let codec = MessageCodec::<ClientRole>::new(DEFAULT_MAX_FRAME_LEN);
            let mut frames = FramedRead::new(&wire[..cut], codec);
            let mut last = None;
            while let Some(unit) = frames.next().await {
                last = Some(unit);
            }
            assert!(matches!(last, Some(Err(Error::ConnectionReset(_)))), "cut {cut}: {last:?}");
        }
    }

    #[tokio::test]
    async fn framed_write_encodes_spark_bytes() {
        let mut out = FramedWrite::new(Vec::new(), MessageCodec::<ServerRole>::new(0));
        let msg = ChunkFetchSuccess { stream_chunk_id: ID, body: Bytes::from_static(b"abc") };
        out.send(msg).await.unwrap_or_else(|e| panic!("{e}"));
        out.send(Response::from(RpcResponse { request_id: 1, body: Bytes::new() }))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut want = fixture("chunk_fetch_success");
        want.extend_from_slice(&fixture("rpc_response"));
        assert_eq!(out.get_ref(), &want);
    }

    #[tokio::test]
    async fn connection_round_trip_over_a_one_byte_pipe() {
        // A one-byte pipe makes every read return a single byte.
        let (client, server) = tokio::io::duplex(1);
        let mut client = Connection::<_, ClientRole>::new(client, DEFAULT_MAX_FRAME_LEN);
        let mut server = Connection::<_, ServerRole>::new(server, DEFAULT_MAX_FRAME_LEN);

        let serve = async move {
            let mut got = Vec::new();
            while let Some(unit) = server.read().await? {
                got.push(unit);
                if got.len() == 2 {
                    let header = ChunkFetchSuccess::header_for(ID, 3);
                    server.writer().write_header_then_body(&header, b"abc").await?;
                    let header = StreamResponse::header_for("1000_0", 3);
                    server.writer().write_raw(&header).await?;
                    server.writer().write_raw(b"abc").await?;
                    // Dropping the server closes the pipe: the client sees a clean end.
                    break;
                }
            }
            Ok::<_, Error>(got)
        };
        let fetch = async move {
            client.write_message(&ChunkFetchRequest { stream_chunk_id: ID }).await?;
            client.write_message(&StreamRequest { stream_id: "1000_0".into() }).await?;
            let mut got = Vec::new();
            while let Some(unit) = client.read().await? {
                got.push(unit);
            }
            Ok::<_, Error>(got)
        };
        let (served, fetched) = tokio::join!(serve, fetch);

        let served = served.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            served,
            vec![
                Inbound::Message(Request::from(ChunkFetchRequest { stream_chunk_id: ID })),
                Inbound::Message(StreamRequest { stream_id: "1000_0".into() }.into()),
            ]
        );
        let fetched = fetched.unwrap_or_else(|e| panic!("{e}"));
        let success = ChunkFetchSuccess { stream_chunk_id: ID, body: Bytes::from_static(b"abc") };
        assert_eq!(
            fetched,
            vec![
                Inbound::Message(success.into()),
                stream_response(),
                body(b"a", false),
                body(b"b", false),
                body(b"c", true),
            ]
        );
    }

    #[tokio::test]
    async fn connection_eof_inside_a_frame_is_a_reset() {
        let (mut peer, ours) = tokio::io::duplex(64);
        let mut conn = Connection::<_, ServerRole>::new(ours, DEFAULT_MAX_FRAME_LEN);
        let wire = fixture("chunk_fetch_request");
        peer.write_all(&wire[..10]).await.unwrap_or_else(|e| panic!("{e}"));
        drop(peer);
        assert!(matches!(conn.read().await, Err(Error::ConnectionReset(10))));
    }

    #[tokio::test]
    async fn tcp_split_keeps_buffered_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let client = async move {
            let stream = TcpStream::connect(addr).await?;
            let mut conn = Connection::<_, ClientRole>::new(stream, DEFAULT_MAX_FRAME_LEN);
            // Both requests in one write, so the server reads them in one go.
            let mut wire = ChunkFetchRequest { stream_chunk_id: ID }.to_wire_bytes().to_vec();
            wire.extend_from_slice(
                &RpcRequest { request_id: 7, body: Bytes::from_static(b"x") }.to_wire_bytes(),
            );
            conn.writer().write_raw(&wire).await?;
            conn.read().await
        };
        let server = async move {
            let (stream, _) = listener.accept().await?;
            let mut conn = Connection::<_, ServerRole>::new(stream, DEFAULT_MAX_FRAME_LEN);
            let first = conn.read().await?;
            let (mut reader, mut writer) = conn.into_split();
            let second = reader.read().await?;
            writer.write_message(&RpcResponse { request_id: 7, body: Bytes::new() }).await?;
            writer.flush().await?;
            Ok::<_, Error>((first, second))
        };
        let (reply, requests) = tokio::join!(client, server);
        let (first, second) = requests.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first, Some(Inbound::Message(ChunkFetchRequest { stream_chunk_id: ID }.into())));
        let rpc = RpcRequest { request_id: 7, body: Bytes::from_static(b"x") };
        assert_eq!(second, Some(Inbound::Message(rpc.into())));
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        let want = RpcResponse { request_id: 7, body: Bytes::new() };
        assert_eq!(reply, Some(Inbound::Message(want.into())));
    }
}
