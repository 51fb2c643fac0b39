//! One connection to a shuffle server (Spark's `TransportClient` + `TransportResponseHandler`).
//!
//! Two tasks own the socket: the **writer** takes [`Command`]s from an unbounded channel,
//! registers what each expects back and writes its frames, one command at a time, so
//! frames are never interleaved and registration order is wire order; the **reader** decodes
//! responses and dispatches them: `RpcResponse`/`RpcFailure` by request id,
//! `ChunkFetchSuccess`/`ChunkFetchFailure` by [`StreamChunkId`], and
//! `StreamResponse`/`StreamFailure` strictly first-in first-out, the out-of-frame body of a
//! `StreamResponse` following as [`FetchEvent::StreamData`] pieces. Reading and writing in
//! separate tasks means a server that blocks writing responses while we write requests
//! cannot deadlock us.
//!
//! Opening a fetch is one chain the connection finishes on its own: on the `StreamHandle`
//! the reader asks the writer to request every chunk (or stream) of it at once, as Spark's
//! `OneForOneBlockFetcher` does. A fetch whose consumer went away is therefore still fully
//! requested and its responses are discarded: the server removes a stream when its last
//! chunk is taken (§4.3 of the protocol notes), so no server-side stream is left behind
//! while the connection stays usable for everyone else.
//!
//! With `spark.authenticate` on, [`Conn::connect`] runs the handshake ([`crate::auth`])
//! before the tasks start; after an AuthEngine handshake the reader decrypts everything it
//! reads and the writer encrypts each command's bytes (one GCM unit per command).
//!
//! The connection closes when its last [`Conn`] handle is dropped, on any socket or
//! protocol error, and when nothing arrives for `request_timeout` while something is
//! outstanding (Spark's idle check). Closing fails every outstanding request with the same
//! error; callers see RPC errors directly and fetch errors as the end of their event channel
//! followed by [`Conn::close_error`].

use std::collections::{HashMap, VecDeque};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use shuffle_protocol::auth::cipher::Encryptor;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::message::{
    ChunkFetchRequest, OneWayMessage, RpcRequest, StreamRequest, StreamResponse,
};
use shuffle_protocol::shuffle::BlockTransferMessage;
use shuffle_protocol::{
    ClientRole, Inbound, MessageReader, MessageWriter, Outbound, Response, SecureRead,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

use crate::auth::Handshake;
use crate::config::ClientConfig;
use crate::error::{AuthFailure, AuthMechanism, Error, Result};

/// The read side of a connection: a TCP socket's, or a TLS stream's.
type ReadSide = Box<dyn AsyncRead + Send + Unpin>;

/// The write side of a connection, matching [`ReadSide`].
type WriteSide = Box<dyn AsyncWrite + Send + Unpin>;

/// How the chunks of an opened stream are requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferPath {
    /// `ChunkFetchRequest`s; each chunk arrives in one `ChunkFetchSuccess` frame.
    Chunks,
    /// `StreamRequest`s; each chunk arrives as a `StreamResponse` and a raw body.
    Stream,
}

/// What a fetch learns from the connection, in order.
#[derive(Debug)]
pub(crate) enum FetchEvent {
    /// The server opened the stream.
    Opened {
        /// Chunks in it, as the `StreamHandle` said.
        num_chunks: i32,
    },
    /// The open RPC failed or was answered with something other than a `StreamHandle`.
    OpenFailed(Error),
    /// A chunk arrived or failed (chunk path); chunks may arrive in any order.
    Chunk {
        /// Chunk index.
        index: i32,
        /// The bytes, or the server's error text.
        result: Result<Bytes, String>,
    },
    /// A `StreamResponse` for chunk `index`; `len` body bytes follow as `StreamData`.
    StreamStart {
        /// Chunk index.
        index: i32,
        /// Body length; nothing follows when zero.
        len: u64,
    },
    /// A piece of the current stream body.
    StreamData {
        /// The bytes, never empty.
        data: Bytes,
        /// Whether this piece ends the body.
        last: bool,
    },
    /// A `StreamFailure` for chunk `index`.
    StreamFailed {
        /// Chunk index.
        index: i32,
        /// The server's error text.
        message: String,
    },
}

/// Where a fetch's events go. Chunk events are unbounded (the caller asked for those bytes
/// in memory, and the reader must never wait on one slow consumer while other requests
/// share the connection); stream bodies, which may be huge, are bounded so the socket is
/// read only as fast as the destination is written.
#[derive(Debug, Clone)]
pub(crate) enum FetchSink {
    /// For the chunk path.
    Unbounded(mpsc::UnboundedSender<FetchEvent>),
    /// For the stream path.
    Bounded(mpsc::Sender<FetchEvent>),
}

impl FetchSink {
    /// Delivers an event; an abandoned fetch just drops it.
    async fn send(&self, event: FetchEvent) {
        let _ = match self {
            Self::Unbounded(tx) => tx.send(event).map_err(drop),
            Self::Bounded(tx) => tx.send(event).await.map_err(drop),
        };
    }
}

/// The receiving end of a [`FetchSink`].
#[derive(Debug)]
pub(crate) enum FetchEvents {
    /// For the chunk path.
    Unbounded(mpsc::UnboundedReceiver<FetchEvent>),
    /// For the stream path.
    Bounded(mpsc::Receiver<FetchEvent>),
}

impl FetchEvents {
    /// Bounded capacity of the stream path, in body pieces (each at most the reader's 64 KiB).
    const STREAM_CAPACITY: usize = 16;

    /// A new channel for `path`.
    pub(crate) fn channel(path: TransferPath) -> (FetchSink, Self) {
        match path {
            TransferPath::Chunks => {
                let (tx, rx) = mpsc::unbounded_channel();
                (FetchSink::Unbounded(tx), Self::Unbounded(rx))
            }
            TransferPath::Stream => {
                let (tx, rx) = mpsc::channel(Self::STREAM_CAPACITY);
                (FetchSink::Bounded(tx), Self::Bounded(rx))
            }
        }
    }

    /// The next event; `None` once the connection has closed and every event sent before
    /// that was received.
    pub(crate) async fn recv(&mut self) -> Option<FetchEvent> {
        match self {
            Self::Unbounded(rx) => rx.recv().await,
            Self::Bounded(rx) => rx.recv().await,
        }
    }
}

/// Who waits for an RPC's answer.
#[derive(Debug)]
enum RpcWaiter {
    /// A caller of [`Conn::rpc`].
    Call {
        /// Spark's name of the request, for errors.
        request: &'static str,
        /// Where the body (or error) goes.
        reply: oneshot::Sender<Result<Bytes>>,
    },
    /// A fetch opened with [`Conn::open_stream`]: on a `StreamHandle` the connection
    /// requests every chunk itself.
    Open {
        /// Spark's name of the request, for errors.
        request: &'static str,
        /// How to request the chunks.
        path: TransferPath,
        /// Where the fetch's events go.
        sink: FetchSink,
    },
}

/// A `StreamRequest` waiting for its `StreamResponse`/`StreamFailure`.
#[derive(Debug)]
struct StreamWaiter {
    index: i32,
    sink: FetchSink,
}

/// Work for the writer task.
#[derive(Debug)]
enum Command {
    /// Send an `RpcRequest` and remember who waits for it.
    Rpc { request_id: i64, body: Bytes, waiter: RpcWaiter },
    /// Send a `OneWayMessage`; `done` learns whether it was written.
    OneWay { body: Bytes, done: oneshot::Sender<Result<()>> },
    /// Request chunks `0..num_chunks` of an opened stream.
    Fetch { stream_id: i64, num_chunks: i32, path: TransferPath, sink: FetchSink },
}

/// What is outstanding on a connection.
#[derive(Debug, Default)]
struct State {
    rpcs: HashMap<i64, RpcWaiter>,
    chunks: HashMap<StreamChunkId, FetchSink>,
    streams: VecDeque<StreamWaiter>,
    /// Set once, when the connection closes; everything later fails with it.
    close_error: Option<Error>,
}

impl State {
    fn has_outstanding(&self) -> bool {
        !self.rpcs.is_empty() || !self.chunks.is_empty() || !self.streams.is_empty()
    }
}

/// When bytes last moved in either direction.
#[derive(Debug)]
struct Activity {
    base: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self { base: Instant::now(), last_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// The read half, noting every successful read in [`Activity`] so a large frame arriving
/// slowly does not count as silence. [`SecureRead`] above it decrypts once an AuthEngine
/// session is on.
struct ActivityRead {
    inner: ReadSide,
    shared: Arc<Shared>,
}

impl AsyncRead for ActivityRead {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            self.shared.activity.touch();
        }
        Poll::Ready(Ok(()))
    }
}

/// State shared by the handles and both tasks.
#[derive(Debug)]
struct Shared {
    addr: String,
    state: Mutex<State>,
    closed: CancellationToken,
    next_request_id: AtomicI64,
    activity: Activity,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the connection with `error` (the first close wins) and fails everything
    /// outstanding with it.
    fn close(&self, error: Error) {
        let (rpcs, chunks, streams) = {
            let mut state = self.lock();
            if state.close_error.is_some() {
                return;
            }
            tracing::debug!(addr = %self.addr, %error, "closing shuffle connection");
            state.close_error = Some(error.clone());
            (
                std::mem::take(&mut state.rpcs),
                std::mem::take(&mut state.chunks),
                std::mem::take(&mut state.streams),
            )
        };
        for waiter in rpcs.into_values() {
            if let RpcWaiter::Call { reply, .. } = waiter {
                let _ = reply.send(Err(error.clone()));
            }
            // An `Open` waiter's sink is dropped: the fetch sees its events end.
        }
        drop((chunks, streams));
        self.closed.cancel();
    }

    fn close_error(&self) -> Error {
        self.lock()
            .close_error
            .clone()
            .unwrap_or_else(|| Error::ConnectionClosed { addr: self.addr.clone() })
    }

    /// Registers what `cmd` expects back and returns the bytes to write (and who to tell
    /// that they were written), or `None` if there is nothing to send.
    fn register(&self, cmd: Command) -> Option<(Bytes, Option<oneshot::Sender<Result<()>>>)> {
        let mut state = self.lock();
        if let Some(error) = &state.close_error {
            match cmd {
                Command::Rpc { waiter: RpcWaiter::Call { reply, .. }, .. } => {
                    let _ = reply.send(Err(error.clone()));
                }
                Command::OneWay { done, .. } => {
                    let _ = done.send(Err(error.clone()));
                }
                // Dropping the sink ends the fetch's events.
                Command::Rpc { .. } | Command::Fetch { .. } => {}
            }
            return None;
        }
        match cmd {
            Command::Rpc { request_id, body, waiter } => {
                if let RpcWaiter::Call { reply, .. } = &waiter {
                    // The caller gave up before we got to it (see `RpcCall`'s drop).
                    if reply.is_closed() {
                        return None;
                    }
                }
                state.rpcs.insert(request_id, waiter);
                Some((RpcRequest { request_id, body }.to_wire_bytes(), None))
            }
            Command::OneWay { body, done } => {
                Some((OneWayMessage { body }.to_wire_bytes(), Some(done)))
            }
            Command::Fetch { stream_id, num_chunks, path, sink } => {
                let mut wire = BytesMut::new();
                for chunk_index in 0..num_chunks {
                    let id = StreamChunkId { stream_id, chunk_index };
                    match path {
                        TransferPath::Chunks => {
                            state.chunks.insert(id, sink.clone());
                            ChunkFetchRequest { stream_chunk_id: id }
                                .encode_frame_header(&mut wire);
                        }
                        TransferPath::Stream => {
                            state
                                .streams
                                .push_back(StreamWaiter { index: chunk_index, sink: sink.clone() });
                            StreamRequest { stream_id: id.to_string() }
                                .encode_frame_header(&mut wire);
                        }
                    }
                }
                Some((wire.freeze(), None))
            }
        }
    }
}

/// A handle to one connection; the connection closes when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct Conn {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        let addr = self.shared.addr.clone();
        self.shared.close(Error::ConnectionClosed { addr });
    }
}

impl Conn {
    /// Connects to `addr` (anything `TcpStream::connect` resolves) within
    /// `config.connect_timeout`, authenticates as `auth_app_id` if `config.auth` is set,
    /// and starts the reader and writer tasks.
    pub(crate) async fn connect(
        addr: &str,
        config: &ClientConfig,
        auth_app_id: Option<&str>,
    ) -> Result<Self> {
        let stream = match timeout(config.connect_timeout, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(Error::ConnectTimeout {
                    addr: addr.to_owned(),
                    timeout: config.connect_timeout,
                })
            }
            Ok(Err(e)) => {
                return Err(Error::Connect { addr: addr.to_owned(), source: Arc::new(e) })
            }
            Ok(Ok(stream)) => stream,
        };
        // Spark disables Nagle too: requests are small and latency-bound.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(addr, error = %e, "could not set TCP_NODELAY");
        }
        let (read_half, write_half): (ReadSide, WriteSide) = match &config.tls {
            None => {
                let (read_half, write_half) = stream.into_split();
                (Box::new(read_half), Box::new(write_half))
            }
            Some(tls) => {
                let Ok(stream) = timeout(config.connect_timeout, tls.connect(addr, stream)).await
                else {
                    return Err(Error::ConnectTimeout {
                        addr: addr.to_owned(),
                        timeout: config.connect_timeout,
                    });
                };
                let (read_half, write_half) = tokio::io::split(stream?);
                (Box::new(read_half), Box::new(write_half))
            }
        };
        tracing::debug!(addr, tls = config.tls.is_some(), "connected to shuffle server");
        let shared = Arc::new(Shared {
            addr: addr.to_owned(),
            state: Mutex::new(State::default()),
            closed: CancellationToken::new(),
            // Spark uses random non-negative ids; any unique ones do, the server echoes them.
            next_request_id: AtomicI64::new(1),
            activity: Activity::new(),
        });
        let mut reader = MessageReader::<_, ClientRole>::new(
            SecureRead::new(ActivityRead { inner: read_half, shared: shared.clone() }),
            config.max_frame_len,
        );
        let mut writer = MessageWriter::new(write_half);
        let mut encryptor = None;
        if let (Some(auth), Some(app_id)) = (&config.auth, auth_app_id) {
            let handshake = Handshake {
                reader: &mut reader,
                writer: &mut writer,
                addr,
                config: auth,
                app_id,
                request_ids: &shared.next_request_id,
            };
            if let Some((enc, dec)) = handshake.run().await? {
                // Nothing may follow the plaintext reply before the encrypted session.
                if reader.buffered() > 0 {
                    return Err(Error::Auth {
                        addr: addr.to_owned(),
                        mechanism: AuthMechanism::AuthEngine,
                        reason: AuthFailure::TrailingPlaintext(reader.buffered()),
                    });
                }
                reader.get_mut().enable(dec);
                encryptor = Some(enc);
            }
            tracing::debug!(addr, app_id, encrypted = encryptor.is_some(), "authenticated");
        }
        let (commands, queue) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(shared.clone(), reader, commands.clone(), config.request_timeout));
        tokio::spawn(write_loop(shared.clone(), writer, encryptor, queue));
        Ok(Self { shared, commands })
    }

    /// The address this connection was made to.
    pub(crate) fn addr(&self) -> &str {
        &self.shared.addr
    }

    /// Whether the connection has closed (a pool then replaces it).
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    /// Completes when the connection closes.
    pub(crate) async fn closed(&self) {
        self.shared.closed.cancelled().await;
    }

    /// Why the connection closed ([`Error::ConnectionClosed`] if it has not).
    pub(crate) fn close_error(&self) -> Error {
        self.shared.close_error()
    }

    /// Sends an RPC and waits for its response body. The `request` name labels errors.
    ///
    /// Dropping the future forgets the request: a late response is ignored.
    pub(crate) async fn rpc(&self, request: &'static str, body: Bytes) -> Result<Bytes> {
        let request_id = self.shared.next_request_id.fetch_add(1, Ordering::Relaxed);
        let (reply, rx) = oneshot::channel();
        let mut call = RpcCall { shared: &self.shared, request_id, rx: Some(rx) };
        let waiter = RpcWaiter::Call { request, reply };
        self.commands
            .send(Command::Rpc { request_id, body, waiter })
            .map_err(|_| self.close_error())?;
        call.wait().await
    }

    /// Sends an RPC that opens a stream (`OpenBlocks`, `FetchShuffleBlocks`); the
    /// connection then requests all its chunks along `path` and reports to `sink`.
    pub(crate) fn open_stream(
        &self,
        request: &'static str,
        body: Bytes,
        path: TransferPath,
        sink: FetchSink,
    ) -> Result<()> {
        let request_id = self.shared.next_request_id.fetch_add(1, Ordering::Relaxed);
        let waiter = RpcWaiter::Open { request, path, sink };
        self.commands
            .send(Command::Rpc { request_id, body, waiter })
            .map_err(|_| self.close_error())
    }

    /// Sends a `OneWayMessage` and waits until it is written (never answered).
    pub(crate) async fn send_one_way(&self, body: Bytes) -> Result<()> {
        let (done, rx) = oneshot::channel();
        self.commands.send(Command::OneWay { body, done }).map_err(|_| self.close_error())?;
        rx.await.unwrap_or_else(|_| Err(self.close_error()))
    }
}

/// An RPC in flight; dropping it before the answer removes its waiter.
struct RpcCall<'a> {
    shared: &'a Shared,
    request_id: i64,
    rx: Option<oneshot::Receiver<Result<Bytes>>>,
}

impl RpcCall<'_> {
    async fn wait(&mut self) -> Result<Bytes> {
        let result = match self.rx.as_mut() {
            Some(rx) => rx.await.unwrap_or_else(|_| Err(self.shared.close_error())),
            None => Err(self.shared.close_error()),
        };
        self.rx = None;
        result
    }
}

impl Drop for RpcCall<'_> {
    fn drop(&mut self) {
        // Drop the receiver before looking at the map: the writer registers only while the
        // receiver is alive (checked under the same lock), so either it registered and we
        // remove the entry here, or it sees the receiver gone and never registers.
        if self.rx.take().is_some() {
            let mut state = self.shared.lock();
            if matches!(state.rpcs.get(&self.request_id), Some(RpcWaiter::Call { .. })) {
                state.rpcs.remove(&self.request_id);
            }
        }
    }
}

/// The writer task: register, then write, one command at a time.
async fn write_loop(
    shared: Arc<Shared>,
    mut writer: MessageWriter<WriteSide>,
    mut encryptor: Option<Encryptor>,
    mut queue: mpsc::UnboundedReceiver<Command>,
) {
    let mut sealed = Vec::new();
    loop {
        let cmd = tokio::select! {
            biased;
            () = shared.closed.cancelled() => break,
            cmd = queue.recv() => match cmd {
                Some(cmd) => cmd,
                None => break,
            },
        };
        let Some((wire, done)) = shared.register(cmd) else { continue };
        let written = match &mut encryptor {
            None => writer.write_raw(&wire).await,
            Some(encryptor) => {
                sealed.clear();
                let seal = encryptor
                    .message(wire.len() as u64)
                    .and_then(|mut message| message.seal(&wire, &mut sealed));
                match seal {
                    Ok(()) => writer.write_raw(&sealed).await,
                    Err(e) => Err(shuffle_protocol::Error::Cipher(e)),
                }
            }
        };
        // TLS holds a request's last record back until flushed; a TCP socket does not.
        let written = match written {
            Ok(()) => writer.flush().await,
            Err(e) => Err(e),
        };
        shared.activity.touch();
        match written {
            Ok(()) => {
                if let Some(done) = done {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) => {
                let error = io_error(&shared.addr, e);
                if let Some(done) = done {
                    let _ = done.send(Err(error.clone()));
                }
                shared.close(error);
                break;
            }
        }
    }
    // Tell the server we are done; the read half goes with the reader task.
    let _ = writer.get_mut().shutdown().await;
}

/// Maps a protocol-crate error on the read or write path.
pub(crate) fn io_error(addr: &str, e: shuffle_protocol::Error) -> Error {
    let addr = addr.to_owned();
    match e {
        shuffle_protocol::Error::Io(e) => Error::Io { addr, source: Arc::new(e) },
        shuffle_protocol::Error::ConnectionReset(_) => Error::ConnectionClosed { addr },
        other => Error::Protocol { addr, source: Arc::new(other) },
    }
}

/// The reader task: dispatch every response until the connection closes.
async fn read_loop(
    shared: Arc<Shared>,
    mut reader: MessageReader<SecureRead<ActivityRead>, ClientRole>,
    commands: mpsc::UnboundedSender<Command>,
    request_timeout: Duration,
) {
    let mut body: Option<FetchSink> = None;
    // When the idle check last found nothing outstanding: silence before that is not a
    // timeout of requests sent after it.
    let mut idle_mark = Instant::now();
    // One timer, moved as traffic goes on, rather than a new one per message.
    let silence = sleep_until(idle_mark + request_timeout);
    tokio::pin!(silence);
    let error = loop {
        silence.as_mut().reset(shared.activity.last().max(idle_mark) + request_timeout);
        let unit = tokio::select! {
            biased;
            () = shared.closed.cancelled() => return,
            unit = reader.read() => unit,
            () = &mut silence => {
                let now = Instant::now();
                if shared.activity.last() + request_timeout <= now {
                    if body.is_some() || shared.lock().has_outstanding() {
                        break Error::Timeout { addr: shared.addr.clone(), timeout: request_timeout };
                    }
                    idle_mark = now;
                }
                continue;
            }
        };
        match unit {
            Ok(Some(Inbound::Message(msg))) => {
                if let Err(e) = dispatch(&shared, &commands, &mut body, msg).await {
                    break e;
                }
            }
            Ok(Some(Inbound::Body { data, last })) => {
                if let Some(sink) = &body {
                    sink.send(FetchEvent::StreamData { data, last }).await;
                }
                if last {
                    body = None;
                }
            }
            Ok(None) => break Error::ConnectionClosed { addr: shared.addr.clone() },
            Err(e) => break io_error(&shared.addr, e),
        }
        // Waiting on a slow destination is not silence from the server.
        shared.activity.touch();
    };
    shared.close(error);
}

/// Hands one response to whoever waits for it.
async fn dispatch(
    shared: &Shared,
    commands: &mpsc::UnboundedSender<Command>,
    body: &mut Option<FetchSink>,
    msg: Response,
) -> Result<()> {
    let addr = &shared.addr;
    match msg {
        Response::RpcResponse(r) => {
            let waiter = shared.lock().rpcs.remove(&r.request_id);
            match waiter {
                Some(RpcWaiter::Call { reply, .. }) => {
                    let _ = reply.send(Ok(r.body));
                }
                Some(RpcWaiter::Open { path, sink, .. }) => {
                    opened(addr, commands, r.body, path, sink).await;
                }
                None => tracing::debug!(addr, id = r.request_id, "ignoring RpcResponse"),
            }
        }
        Response::RpcFailure(f) => {
            let waiter = shared.lock().rpcs.remove(&f.request_id);
            let failure = |request| Error::RpcFailure {
                addr: addr.clone(),
                request,
                message: f.error_string.clone(),
            };
            match waiter {
                Some(RpcWaiter::Call { reply, request }) => {
                    let _ = reply.send(Err(failure(request)));
                }
                Some(RpcWaiter::Open { sink, request, .. }) => {
                    sink.send(FetchEvent::OpenFailed(failure(request))).await;
                }
                None => tracing::debug!(addr, id = f.request_id, "ignoring RpcFailure"),
            }
        }
        Response::ChunkFetchSuccess(c) => {
            let sink = shared.lock().chunks.remove(&c.stream_chunk_id);
            match sink {
                Some(sink) => {
                    let index = c.stream_chunk_id.chunk_index;
                    sink.send(FetchEvent::Chunk { index, result: Ok(c.body) }).await;
                }
                None => tracing::debug!(addr, id = %c.stream_chunk_id, "ignoring chunk"),
            }
        }
        Response::ChunkFetchFailure(c) => {
            let sink = shared.lock().chunks.remove(&c.stream_chunk_id);
            match sink {
                Some(sink) => {
                    let index = c.stream_chunk_id.chunk_index;
                    sink.send(FetchEvent::Chunk { index, result: Err(c.error_string) }).await;
                }
                None => tracing::debug!(addr, id = %c.stream_chunk_id, "ignoring chunk failure"),
            }
        }
        Response::StreamResponse(StreamResponse { byte_count, .. }) => {
            // Matched FIFO, as Spark does: the id in the response is not used.
            let waiter = shared.lock().streams.pop_front();
            let Some(waiter) = waiter else {
                // Its body would be read as frames; nothing sane can follow.
                return Err(unexpected(addr, "StreamResponse"));
            };
            let event = FetchEvent::StreamStart { index: waiter.index, len: byte_count };
            waiter.sink.send(event).await;
            if byte_count > 0 {
                *body = Some(waiter.sink);
            }
        }
        Response::StreamFailure(f) => {
            let waiter = shared.lock().streams.pop_front();
            let Some(waiter) = waiter else {
                return Err(unexpected(addr, "StreamFailure"));
            };
            let event = FetchEvent::StreamFailed { index: waiter.index, message: f.error };
            waiter.sink.send(event).await;
        }
        Response::MergedBlockMetaSuccess(m) => {
            // Never requested by this client (push-based shuffle).
            tracing::debug!(addr, id = m.request_id, "ignoring MergedBlockMetaSuccess");
        }
    }
    Ok(())
}

fn unexpected(addr: &str, got: &'static str) -> Error {
    Error::UnexpectedResponse { addr: addr.to_owned(), expected: "no unrequested stream", got }
}

/// The answer to an open RPC: tell the fetch, then request every chunk, even if the fetch
/// has gone away, so the server can release the stream.
async fn opened(
    addr: &str,
    commands: &mpsc::UnboundedSender<Command>,
    body: Bytes,
    path: TransferPath,
    sink: FetchSink,
) {
    let handle = match BlockTransferMessage::decode(body) {
        Ok(BlockTransferMessage::StreamHandle(handle)) => handle,
        Ok(other) => {
            let error = Error::UnexpectedResponse {
                addr: addr.to_owned(),
                expected: "StreamHandle",
                got: other.name(),
            };
            sink.send(FetchEvent::OpenFailed(error)).await;
            return;
        }
        Err(e) => {
            let error = Error::MalformedResponse {
                addr: addr.to_owned(),
                expected: "StreamHandle",
                source: Arc::new(e),
            };
            sink.send(FetchEvent::OpenFailed(error)).await;
            return;
        }
    };
    sink.send(FetchEvent::Opened { num_chunks: handle.num_chunks }).await;
    if handle.num_chunks > 0 {
        let fetch = Command::Fetch {
            stream_id: handle.stream_id,
            num_chunks: handle.num_chunks,
            path,
            sink,
        };
        // Fails only once the connection is closing, which frees the stream anyway.
        let _ = commands.send(fetch);
    }
}
