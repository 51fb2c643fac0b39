//! One client connection: requests in, replies and chunk bodies out, in arrival order.
//!
//! A connection is served by one task, mini-redis style: read a request, act, write the
//! reply, repeat. That serializes writes (a sendfile body can never interleave with another
//! frame, which Spark's FIFO matching of StreamResponses needs) and keeps each stream's
//! chunks in order for free; concurrency comes from the many connections Spark opens.
//! Requests the client pipelines wait in the socket buffer meanwhile. Their replies are
//! queued and written together once no further request is buffered: a small block (up to
//! [`SMALL_BODY`]) is read straight into the output behind its header and leaves in one
//! write with its neighbours' replies (read on the runtime thread from a kept file in the
//! page cache; otherwise with the batch's other such blocks, in one blocking-pool trip); a larger one is queued as its open file region, and
//! the output then goes in one blocking-pool trip, each such body by `sendfile` in its place.
//!
//! With `spark.authenticate` on, a connection first has to pass its [`Gate`]: until the
//! handshake completes only handshake RPCs are answered and every other request is refused;
//! afterwards the connection acts only for the application it authenticated as. An
//! AuthEngine handshake also switches the connection to encryption: reads go through
//! [`SecureRead`], and each reply is sealed before it is written, chunk bodies included (read
//! from the file in pieces instead of sent by `sendfile`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::block_id::{AppExecId, BlockId, StreamChunkId};
use shuffle_protocol::message::{
    ChunkFetchFailure, ChunkFetchSuccess, RpcFailure, RpcResponse, StreamFailure, StreamResponse,
};
use shuffle_protocol::shuffle::ExecutorShuffleInfo;
use shuffle_protocol::{
    Inbound, MessageReader, MessageWriter, Outbound, Request, SecureRead, ServerRole,
};
use tokio::io::{AsyncRead, AsyncWrite, WriteHalf};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::auth::cipher::Encryptor;
use crate::auth::{self, Gate};
use crate::error::{Error, Result};
use crate::file_region::{read_queued, send_spliced, FileRegion, OpenRegion, QueuedRead, Splice};
use crate::handler::{self, Client};
use crate::metrics::{self, counter, gauge, ChunkMeters};
use crate::state::State;
use crate::stream::{Chunk, ConnId};
use crate::tls::TLS_HANDSHAKE_RECORD;

/// Serves `socket` until the peer closes it, it fails, it idles out or `shutdown` fires;
/// the streams it opened are freed before the socket closes.
pub async fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    id: ConnId,
    state: State,
    shutdown: CancellationToken,
) {
    gauge!(metrics::NUM_ACTIVE_CONNECTIONS).increment(1.0);
    gauge!(metrics::NUM_REGISTERED_CONNECTIONS).increment(1.0);
    // Replies are small frames written whole; waiting for more to coalesce only adds latency.
    if let Err(e) = socket.set_nodelay(true) {
        debug!(%peer, error = %e, "cannot set TCP_NODELAY");
    }
    debug!(conn = id, %peer, "connection opened");
    match serve_socket(socket, id, &state, &shutdown).await {
        Ok(()) => debug!(conn = id, %peer, "connection closed"),
        Err(e) => {
            counter!(metrics::NUM_CAUGHT_EXCEPTIONS).increment(1);
            info!(conn = id, %peer, error = %e, "closing connection");
        }
    }
    gauge!(metrics::NUM_ACTIVE_CONNECTIONS).decrement(1.0);
    gauge!(metrics::NUM_REGISTERED_CONNECTIONS).decrement(1.0);
}

/// Tells TLS from plaintext by the first byte when TLS is on (see [`crate::tls`]), then
/// serves the connection's requests.
async fn serve_socket(
    socket: TcpStream,
    id: ConnId,
    state: &State,
    shutdown: &CancellationToken,
) -> Result<()> {
    let idle = state.config().connection_timeout;
    let Some(tls) = &state.config().tls else {
        let (read_half, write_half) = socket.into_split();
        return Conn::new(read_half, write_half, id, state).run(shutdown).await;
    };
    let mut first = [0u8; 1];
    let peeked = tokio::select! {
        () = shutdown.cancelled() => return Ok(()),
        peeked = with_deadline(idle, socket.peek(&mut first)) => peeked??,
    };
    if peeked == 0 {
        return Ok(());
    }
    if first[0] == TLS_HANDSHAKE_RECORD {
        let stream = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            stream = with_deadline(idle, tls.acceptor().accept(socket)) => stream??,
        };
        debug!(conn = id, "TLS handshake complete");
        let (read_half, write_half) = tokio::io::split(stream);
        return Conn::new(read_half, write_half, id, state).run(shutdown).await;
    }
    if tls.required {
        return Err(Error::TlsRequired);
    }
    let (read_half, write_half) = socket.into_split();
    Conn::new(read_half, write_half, id, state).run(shutdown).await
}

/// The write side of a connection: a plain socket takes chunk bodies by `sendfile`, a TLS
/// stream only through user space.
trait ReplySink: AsyncWrite + Unpin + Send {
    /// The socket to `sendfile` into, when bytes written here reach the wire unchanged.
    fn sendfile_socket(&self) -> Option<&TcpStream>;
}

impl ReplySink for OwnedWriteHalf {
    fn sendfile_socket(&self) -> Option<&TcpStream> {
        Some(self.as_ref())
    }
}

impl ReplySink for WriteHalf<TlsStream<TcpStream>> {
    fn sendfile_socket(&self) -> Option<&TcpStream> {
        None
    }
}

struct Conn<R, W> {
    reader: MessageReader<SecureRead<R>, ServerRole>,
    writer: MessageWriter<W>,
    client: Client,
    gate: Gate,
    /// Seals replies once an AuthEngine session is on.
    encryptor: Option<Encryptor>,
    /// Wire bytes of the requests read before authentication, to check at the switch to
    /// encryption that no unread plaintext is buffered.
    plaintext_used: u64,
    /// Replies (sealed, once encrypted) not yet written: the replies to pipelined requests
    /// leave together when no further request is buffered, or at [`OUT_FLUSH`] bytes.
    out: Vec<u8>,
    /// File bodies queued in `out` (plaintext sockets only), sent with it by `sendfile`.
    bodies: Vec<QueuedBody>,
    /// Small bodies whose place in `out` waits for their bytes, read together before `out`
    /// is written.
    reads: Vec<PendingRead>,
    /// Their bytes.
    queued_read_bytes: usize,
    idle: Option<Duration>,
    /// The executor of the last chunk located, kept while the registry is unchanged.
    last_exec: Option<RegisteredExec>,
    state: State,
}

/// An executor's registration as looked up at registry generation `generation`. A stream's
/// chunks all name one executor, and looking it up (SipHash of both ids, twice, under a
/// lock) was a tenth of a small block's instructions.
struct RegisteredExec {
    generation: u64,
    exec: Arc<AppExecId>,
    info: Arc<ExecutorShuffleInfo>,
}

impl<R, W> Drop for Conn<R, W> {
    /// Frees the streams the connection opened before its socket closes (the fields drop
    /// after this), so a peer that sees the close can rely on them being gone.
    fn drop(&mut self) {
        self.state.streams().connection_closed(self.client.conn);
    }
}

impl<R: AsyncRead + Unpin + Send, W: ReplySink> Conn<R, W> {
    fn new(read_half: R, write_half: W, id: ConnId, state: &State) -> Self {
        Self {
            reader: MessageReader::new(SecureRead::new(read_half), state.config().max_frame_len),
            writer: MessageWriter::new(write_half),
            client: Client { conn: id, app_id: None },
            gate: Gate::new(state.config()),
            encryptor: None,
            plaintext_used: 0,
            out: Vec::new(),
            bodies: Vec::new(),
            reads: Vec::new(),
            queued_read_bytes: 0,
            idle: state.config().connection_timeout,
            last_exec: None,
            state: state.clone(),
        }
    }

    async fn run(&mut self, shutdown: &CancellationToken) -> Result<()> {
        loop {
            let inbound = match self.reader.try_read_buffered()? {
                Some(inbound) => inbound,
                None => {
                    // Nothing more is pipelined: the replies so far go out before waiting.
                    self.flush_out().await?;
                    let inbound = tokio::select! {
                        biased;
                        () = shutdown.cancelled() => return Ok(()),
                        inbound = with_deadline(self.idle, self.reader.read()) => inbound??,
                    };
                    let Some(inbound) = inbound else { return Ok(()) };
                    inbound
                }
            };
            if !self.gate.is_open() {
                self.plaintext_used += match &inbound {
                    Inbound::Message(m) => (m.frame_header_len() + m.in_memory_body().len()) as u64,
                    Inbound::Body { data, .. } => data.len() as u64,
                };
            }
            match inbound {
                Inbound::Message(request) => {
                    if !self.dispatch(request).await? {
                        self.flush_out().await?;
                        return Ok(());
                    }
                }
                // Only an UploadStream has a body, and the connection closes right after it.
                Inbound::Body { .. } => {}
            }
        }
    }

    /// Acts on one request; `false` means close the connection.
    async fn dispatch(&mut self, request: Request) -> Result<bool> {
        if !self.gate.is_open() {
            return self.dispatch_unauthenticated(request).await;
        }
        match request {
            Request::ChunkFetchRequest(m) => self.fetch_chunk(m.stream_chunk_id).await?,
            Request::StreamRequest(m) => self.stream(m.stream_id).await?,
            Request::RpcRequest(m) => {
                let request_id = m.request_id;
                match handler::handle_rpc(&self.state, &self.client, m.body).await {
                    Ok(body) => self.write(&RpcResponse { request_id, body }).await?,
                    Err(e) => self.rpc_failure(request_id, &e).await?,
                }
            }
            Request::OneWayMessage(m) => {
                handler::handle_one_way(&self.state, &self.client, m.body).await;
            }
            Request::UploadStream(m) => {
                // The body that follows is never read, so nothing after it could be framed.
                let e = handler::refuse_upload_stream(m.meta);
                self.rpc_failure(m.request_id, &e).await?;
                info!(conn = self.client.conn, error = %e, "closing connection after UploadStream");
                return Ok(false);
            }
            Request::MergedBlockMetaRequest(m) => {
                let e = Error::PushUnsupported("MergedBlockMetaRequest");
                self.rpc_failure(m.request_id, &e).await?;
            }
        }
        Ok(true)
    }

    /// Before authentication completes: handshake RPCs go to the [`Gate`], every other
    /// request is refused (Spark fails unauthenticated RPCs and one-way messages; it would
    /// serve a chunk of a guessed stream id, which we refuse too).
    async fn dispatch_unauthenticated(&mut self, request: Request) -> Result<bool> {
        let refused = auth::AuthError::Unauthenticated;
        match request {
            Request::RpcRequest(m) => {
                let request_id = m.request_id;
                match self.gate.handshake(self.state.config(), m.body) {
                    Ok(auth::Step::Continue(body)) => {
                        self.write(&RpcResponse { request_id, body }).await?;
                    }
                    Ok(auth::Step::Done { reply, app_id, keys }) => {
                        self.write(&RpcResponse { request_id, body: reply }).await?;
                        if let Some(keys) = keys {
                            // The client sends nothing more until it has the reply; anything
                            // already buffered was not encrypted and must not be trusted.
                            let read = self.reader.get_ref().plaintext_passed();
                            if read != self.plaintext_used {
                                info!(conn = self.client.conn, "plaintext after the handshake");
                                return Ok(false);
                            }
                            let (encryptor, decryptor) =
                                keys.server(self.state.config().crypto_cipher);
                            self.reader.get_mut().enable(decryptor);
                            self.encryptor = Some(encryptor);
                        }
                        info!(
                            conn = self.client.conn,
                            app_id,
                            encrypted = self.encryptor.is_some(),
                            "connection authenticated"
                        );
                        self.client.app_id = Some(app_id);
                    }
                    Err(e) => {
                        info!(conn = self.client.conn, error = %e, "authentication refused");
                        counter!(metrics::NUM_AUTH_FAILURES).increment(1);
                        let error_string = e.to_string();
                        self.write(&RpcFailure { request_id, error_string }).await?;
                        return Ok(!e.closes_connection());
                    }
                }
            }
            Request::ChunkFetchRequest(m) => {
                let id = m.stream_chunk_id;
                let failure =
                    ChunkFetchFailure { stream_chunk_id: id, error_string: refused.to_string() };
                self.write(&failure).await?;
            }
            Request::StreamRequest(m) => {
                let failure = StreamFailure { stream_id: m.stream_id, error: refused.to_string() };
                self.write(&failure).await?;
            }
            Request::OneWayMessage(_) => {
                info!(conn = self.client.conn, "ignoring an unauthenticated one-way message");
            }
            Request::UploadStream(m) => {
                let failure =
                    RpcFailure { request_id: m.request_id, error_string: refused.to_string() };
                self.write(&failure).await?;
                return Ok(false);
            }
            Request::MergedBlockMetaRequest(m) => {
                let failure =
                    RpcFailure { request_id: m.request_id, error_string: refused.to_string() };
                self.write(&failure).await?;
            }
        }
        Ok(true)
    }

    async fn rpc_failure(&mut self, request_id: i64, e: &Error) -> Result<()> {
        debug!(conn = self.client.conn, request_id, error = %e, "rpc failed");
        self.write(&RpcFailure { request_id, error_string: e.to_string() }).await
    }

    /// ChunkFetchRequest → ChunkFetchSuccess with the chunk's bytes, or ChunkFetchFailure.
    async fn fetch_chunk(&mut self, id: StreamChunkId) -> Result<()> {
        self.flush_if_no_free_slot().await?;
        let located = match self.locate(id).await {
            Ok(located) => located,
            Err(reason) => return self.chunk_failure(id, reason).await,
        };
        if located.region.len <= SMALL_BODY && self.encryptor.is_none() {
            return self.queue_small_chunk(id, located).await;
        }
        match self.load(located).await {
            Ok(sending) => {
                let header = ChunkFetchSuccess::header_for(id, sending.body.len());
                self.send(&header, sending).await
            }
            Err(reason) => self.chunk_failure(id, reason).await,
        }
    }

    /// Queues a ChunkFetchSuccess whose small body is read straight into the output, right
    /// behind its header: no buffer of its own, no copy. A body that cannot be read on this
    /// thread (its file is not kept open, or its bytes are not in memory) is queued with the
    /// others of the batch, read in one blocking-pool trip before the output is written.
    async fn queue_small_chunk(&mut self, id: StreamChunkId, located: Located) -> Result<()> {
        let start = self.out.len();
        ChunkFetchSuccess::put_header_for(&mut self.out, id, located.region.len);
        let files = self.state.resolver().files();
        let Some(read) = located.region.read_kept(files, &mut self.out) else {
            self.queued_read_bytes += located.region.len as usize;
            let read = QueuedRead { reply: start, at: self.out.len(), region: located.region };
            let Located { exec, block, in_flight, .. } = located;
            self.reads.push(PendingRead { read, id, exec, block, in_flight });
            if self.flush_due() {
                self.flush_out().await?;
            }
            return Ok(());
        };
        match located.loaded(read, self.state.chunk_meters()) {
            Ok(((), _in_flight)) if self.flush_due() => self.flush_out().await,
            Ok(_) => Ok(()),
            Err(reason) => {
                self.out.truncate(start);
                self.chunk_failure(id, reason).await
            }
        }
    }

    /// Whether the queued output, small bodies to read included, is due to be written: at
    /// [`OUT_FLUSH`] bytes, or with bodies to read at [`MAX_QUEUED_READS`] of them or
    /// [`READ_BATCH`] bytes, whichever comes first.
    fn flush_due(&self) -> bool {
        let limit = if self.reads.is_empty() { OUT_FLUSH } else { READ_BATCH };
        self.reads.len() >= MAX_QUEUED_READS || self.pending_len() >= limit
    }

    /// Bytes of output queued, the bodies still to be read included.
    fn pending_len(&self) -> usize {
        self.out.len() + self.queued_read_bytes
    }

    /// Reads the queued small bodies into their places in the output, all in one
    /// blocking-pool trip; a body that cannot be read has its reply replaced by a
    /// ChunkFetchFailure.
    async fn read_queued(&mut self) -> Result<()> {
        if self.reads.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.reads);
        self.queued_read_bytes = 0;
        let mut reads = Vec::with_capacity(pending.len());
        let mut chunks = Vec::with_capacity(pending.len());
        for PendingRead { read, id, exec, block, in_flight } in pending {
            chunks.push((id, exec, block, in_flight, read.region.len));
            reads.push(read);
        }
        let names: Vec<_> =
            chunks.iter().map(|(id, exec, block, ..)| (*id, exec.clone(), *block)).collect();
        let conn = self.client.conn;
        let failed = move |i: usize, region: &FileRegion, e: std::io::Error, out: &mut Vec<u8>| {
            let Some((id, exec, block)) = names.get(i) else { return };
            let reason = failure_text(block, exec, region, &e);
            debug!(conn, chunk = %id, %reason, "chunk fetch failed");
            let failure = ChunkFetchFailure { stream_chunk_id: *id, error_string: reason };
            out.extend_from_slice(&failure.frame_header());
            out.extend_from_slice(failure.in_memory_body());
        };
        let out = std::mem::take(&mut self.out);
        let files = self.state.resolver().files();
        let (filled, done) = read_queued(files, out, reads, failed).await?;
        for ((_, _, block, in_flight, len), ok) in chunks.into_iter().zip(done) {
            if ok {
                self.state.chunk_meters().mark(&block, len);
            }
            drop(in_flight);
        }
        self.out = filled;
        Ok(())
    }

    async fn chunk_failure(&mut self, id: StreamChunkId, reason: String) -> Result<()> {
        debug!(conn = self.client.conn, chunk = %id, %reason, "chunk fetch failed");
        self.write(&ChunkFetchFailure { stream_chunk_id: id, error_string: reason }).await
    }

    /// StreamRequest("<stream>_<chunk>") → StreamResponse and the bytes, or StreamFailure.
    async fn stream(&mut self, stream_id: String) -> Result<()> {
        let prepared = match stream_id.parse::<StreamChunkId>() {
            Ok(id) => {
                self.flush_if_no_free_slot().await?;
                match self.locate(id).await {
                    Ok(located) => self.load(located).await,
                    Err(reason) => Err(reason),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match prepared {
            Ok(sending) => {
                let header = StreamResponse::header_for(&stream_id, sending.body.len());
                self.send(&header, sending).await
            }
            Err(error) => {
                debug!(conn = self.client.conn, stream_id, %error, "stream request failed");
                self.write(&StreamFailure { stream_id, error }).await
            }
        }
    }

    /// Reads (small) or opens the located chunk's file region; `Err` is the failure text.
    async fn load(&self, located: Located) -> Result<Sending, String> {
        let files = self.state.resolver().files();
        let body = if located.region.len <= SMALL_BODY {
            located.region.read_all(files).await.map(Body::Memory)
        } else {
            located.region.open(files).await.map(Body::File)
        };
        let (body, in_flight) = located.loaded(body, self.state.chunk_meters())?;
        Ok(Sending { body, in_flight })
    }

    /// Sends the queued file bodies before finding and reading a chunk (an index or data file
    /// read may wait for a file slot) while no slot is free: kept files evicted meanwhile
    /// still hold theirs until sent, and connections waiting while holding them could
    /// otherwise starve one another.
    async fn flush_if_no_free_slot(&mut self) -> Result<()> {
        if !self.bodies.is_empty() && !self.state.resolver().files().has_free_slot() {
            self.flush_out().await?;
        }
        Ok(())
    }

    /// Takes the chunk from its stream and finds its file region; `Err` is the failure text.
    async fn locate(&mut self, id: StreamChunkId) -> Result<Located, String> {
        let auth = self.client.app_id.as_deref();
        let Chunk { exec, block } = self
            .state
            .streams()
            .next_chunk(id.stream_id, id.chunk_index, auth)
            .map_err(|e| e.to_string())?;
        self.state.activity().touch(&exec.app_id);
        self.state.drivers().executor_activity(&exec.app_id);
        // The chunk was taken even if it is refused, so the rest of the stream stays usable.
        let in_flight = self.state.begin_chunk().ok_or_else(|| {
            format!(
                "The number of chunks being transferred is above the limit {} \
                 (spark.shuffle.maxChunksBeingTransferred)",
                self.state.config().max_chunks_being_transferred
            )
        })?;
        let info = self.registered(&exec).map_err(|e| e.to_string())?;
        let resolver = self.state.resolver();
        let region = match resolver.resolve_cached(&info, &block) {
            Some(region) => region,
            None => {
                // Its index is not cached, and likely neither are those of the stream's
                // next chunks (a request names many map outputs; a wave sweeps them all):
                // read them together rather than one trip per chunk.
                let mut blocks = self.state.streams().upcoming(id.stream_id, INDEXES_AHEAD - 1);
                blocks.insert(0, block);
                resolver.load_indexes(&info, &blocks).await;
                resolver.resolve_registered(&info, &block).await
            }
        }
        .map_err(|e| e.to_string())?;
        Ok(Located { exec, block, region, in_flight })
    }

    /// Where `exec` keeps its files: the last answer if it was for the same executor and
    /// the registry has not changed since, else a fresh lookup.
    fn registered(&mut self, exec: &Arc<AppExecId>) -> Result<Arc<ExecutorShuffleInfo>> {
        let registry = self.state.resolver().registry();
        // Read before the lookup: a change after it bumps the generation past this one.
        let generation = registry.generation();
        if let Some(last) = &self.last_exec {
            // `Arc`'s equality compares the addresses first, the ids only if they differ.
            if last.generation == generation && last.exec == *exec {
                return Ok(last.info.clone());
            }
        }
        let info = registry.get(exec)?;
        self.last_exec =
            Some(RegisteredExec { generation, exec: exec.clone(), info: info.clone() });
        Ok(info)
    }

    /// Queues a frame header and its body: an in-memory body with it; a file body in its
    /// place in the output, sent by sendfile when the output is written (encrypted or over
    /// TLS, it goes through user space once everything queued before it is written).
    async fn send(&mut self, header: &Bytes, body: Sending) -> Result<()> {
        let Sending { body, in_flight } = body;
        let region = match body {
            Body::Memory(bytes) => return self.queue(&[header, &bytes]).await,
            Body::File(region) => region,
        };
        let encrypted = self.encryptor.is_some();
        if !encrypted && self.writer.get_ref().sendfile_socket().is_some() {
            // Splices are placed by offset, which filling in the queued reads would move.
            self.read_queued().await?;
            self.out.extend_from_slice(header);
            // A region holding a slot of its own is sent at once, so that queues never hold
            // the slots others wait for (see `flush_if_no_free_slot` for kept files').
            let holds_slot = region.holds_slot();
            let splice = Splice { at: self.out.len(), region };
            self.bodies.push(QueuedBody { splice, in_flight });
            if holds_slot || self.bodies.len() >= MAX_QUEUED_BODIES {
                self.flush_out().await?;
            }
            return Ok(());
        }
        if !encrypted {
            self.queue(&[header]).await?;
        }
        self.flush_out().await?;
        // Part of the body may be out after an error; the stream can no longer be framed,
        // so any error closes the connection.
        self.send_in_pieces(encrypted.then_some(header), region).await
    }

    /// Reads the body in pieces on the blocking pool and writes each: sealed, with
    /// `sealed_header` first, as one message of the AuthEngine cipher; as it is otherwise
    /// (over TLS, which encrypts it itself).
    async fn send_in_pieces(
        &mut self,
        sealed_header: Option<&Bytes>,
        region: OpenRegion,
    ) -> Result<()> {
        let len = region.len();
        let (idle, writer) = (self.idle, &mut self.writer);
        let mut out = Vec::new();
        let mut sealer = match (&mut self.encryptor, sealed_header) {
            (Some(encryptor), Some(header)) => {
                let mut sealer =
                    encryptor.message(header.len() as u64 + len).map_err(std::io::Error::other)?;
                sealer.seal(header, &mut out).map_err(std::io::Error::other)?;
                with_deadline(idle, writer.write_raw(&out)).await??;
                Some(sealer)
            }
            _ => None,
        };
        let (mut region, mut pos) = (region, 0u64);
        while pos < len {
            let n = (len - pos).min(USER_SPACE_PIECE as u64) as usize;
            let (back, piece) = region.read_piece(pos, n).await?;
            region = back;
            pos += n as u64;
            let wire = match &mut sealer {
                Some(sealer) => {
                    out.clear();
                    sealer.seal(&piece, &mut out).map_err(std::io::Error::other)?;
                    &out
                }
                None => &piece,
            };
            with_deadline(idle, writer.write_raw(wire)).await??;
        }
        Ok(())
    }

    /// Queues a reply with an in-memory body.
    async fn write(&mut self, msg: &impl Outbound) -> Result<()> {
        self.queue(&[&msg.frame_header(), msg.in_memory_body()]).await
    }

    /// Appends one message, given as consecutive parts, to the output (sealed as one
    /// message when encrypted); writes the output out once it reaches [`OUT_FLUSH`].
    async fn queue(&mut self, parts: &[&[u8]]) -> Result<()> {
        match &mut self.encryptor {
            Some(encryptor) => {
                let len = parts.iter().map(|p| p.len() as u64).sum();
                let mut sealer = encryptor.message(len).map_err(std::io::Error::other)?;
                for part in parts {
                    sealer.seal(part, &mut self.out).map_err(std::io::Error::other)?;
                }
            }
            None => parts.iter().for_each(|part| self.out.extend_from_slice(part)),
        }
        if self.out.len() >= OUT_FLUSH {
            self.flush_out().await?;
        }
        Ok(())
    }

    /// Writes the queued output and flushes the writer (TLS holds back its last record
    /// until flushed; a plain socket has nothing to flush).
    async fn flush_out(&mut self) -> Result<()> {
        self.read_queued().await?;
        if !self.bodies.is_empty() {
            let socket = self.writer.get_ref().sendfile_socket().ok_or_else(|| {
                std::io::Error::other("file bodies queued for a socket that cannot take them")
            })?;
            let (splices, in_flight): (Vec<_>, Vec<_>) = std::mem::take(&mut self.bodies)
                .into_iter()
                .map(|body| (body.splice, body.in_flight))
                .unzip();
            let out = std::mem::take(&mut self.out);
            // Part of a body may be out after an error; the stream can no longer be framed,
            // so any error closes the connection.
            let written = send_spliced(socket, out, splices, self.idle).await?;
            drop(in_flight);
            self.reuse_out(written);
            return Ok(());
        }
        if !self.out.is_empty() {
            with_deadline(self.idle, self.writer.write_raw(&self.out)).await??;
            let written = std::mem::take(&mut self.out);
            self.reuse_out(written);
        }
        with_deadline(self.idle, self.writer.flush()).await??;
        Ok(())
    }

    /// Takes back the output buffer once written, emptied.
    fn reuse_out(&mut self, mut written: Vec<u8>) {
        written.clear();
        // One large reply should not pin its size for the connection's life.
        if written.capacity() <= 2 * READ_BATCH {
            self.out = written;
        }
    }
}

/// Blocks up to this size are read whole into the output, behind their header, and leave
/// with the replies around them in one write; larger ones go by sendfile. At 4 KiB a write
/// and a `sendfile` per block cost more than copying the bytes.
const SMALL_BODY: u64 = 64 * 1024;

/// Queued output written at once when reached, bounding each connection's buffer.
const OUT_FLUSH: usize = 64 * 1024;

/// Queued output, small bodies still to be read included, written at once when reached
/// while some bodies wait to be read: each batch of reads is a blocking-pool trip (two
/// thread switches), and at [`OUT_FLUSH`] a batch of 4 KiB blocks held only 15 of them.
const READ_BATCH: usize = 256 * 1024;

/// File bodies a connection queues at most before it writes its output: each holds an
/// open file and counts as a chunk being transferred until sent.
const MAX_QUEUED_BODIES: usize = 16;

/// Small bodies a connection queues at most for one blocking-pool trip (the trip also ends
/// at [`READ_BATCH`] bytes of output).
const MAX_QUEUED_READS: usize = 64;

/// Chunks of a stream, the one asked for included, whose index files are read together when
/// the first of them is not cached.
const INDEXES_AHEAD: usize = 64;

/// Bytes read from a block file per piece when a body cannot go by `sendfile`.
const USER_SPACE_PIECE: usize = 256 * 1024;

/// A chunk taken from its stream and located, not yet read or opened.
struct Located {
    exec: Arc<AppExecId>,
    block: BlockId,
    region: FileRegion,
    in_flight: crate::state::ChunkInFlight,
}

impl Located {
    /// What reading or opening the chunk's file gave, with the guard that counts the chunk
    /// as being transferred; or the failure text for a file that could not be read.
    fn loaded<T>(
        self,
        body: std::io::Result<T>,
        meters: &ChunkMeters,
    ) -> Result<(T, crate::state::ChunkInFlight), String> {
        let Self { exec, block, region, in_flight } = self;
        let body = body.map_err(|e| failure_text(&block, &exec, &region, &e))?;
        meters.mark(&block, region.len);
        Ok((body, in_flight))
    }
}

/// Why a chunk's file could not be read, for its failure reply.
fn failure_text(
    block: &BlockId,
    exec: &AppExecId,
    region: &FileRegion,
    e: &std::io::Error,
) -> String {
    format!("Error opening block {block} of {exec}: {}: {e}", region.path.display())
}

/// A small chunk whose body waits in the output for its bytes, counted as being
/// transferred until they are read.
struct PendingRead {
    read: QueuedRead,
    id: StreamChunkId,
    exec: Arc<AppExecId>,
    block: BlockId,
    in_flight: crate::state::ChunkInFlight,
}

/// A chunk ready to go, counted as being transferred until it is sent (or queued).
struct Sending {
    body: Body,
    in_flight: crate::state::ChunkInFlight,
}

/// A file body queued in the output behind its header, counted as a chunk being
/// transferred until sent.
struct QueuedBody {
    splice: Splice,
    in_flight: crate::state::ChunkInFlight,
}

/// A chunk's bytes: read already, or an open file region.
enum Body {
    Memory(Bytes),
    File(OpenRegion),
}

impl Body {
    /// The chunk's length in bytes.
    fn len(&self) -> u64 {
        match self {
            Self::Memory(bytes) => bytes.len() as u64,
            Self::File(region) => region.len(),
        }
    }
}

/// Runs `fut` within `limit`, if there is one.
async fn with_deadline<T>(
    limit: Option<Duration>,
    fut: impl std::future::Future<Output = T>,
) -> Result<T> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut).await.map_err(|_| Error::Idle(limit)),
        None => Ok(fut.await),
    }
}
