//! One client connection: requests in, replies and chunk bodies out, in arrival order.
//!
//! A connection is served by one task, mini-redis style: read a request, act, write the
//! reply, repeat. That serializes writes (a sendfile body can never interleave with another
//! frame, which Spark's FIFO matching of StreamResponses needs) and keeps each stream's
//! chunks in order for free; concurrency comes from the many connections Spark opens.
//! Requests the client pipelines wait in the socket buffer meanwhile.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::message::{
    ChunkFetchFailure, ChunkFetchSuccess, RpcFailure, RpcResponse, StreamFailure, StreamResponse,
};
use shuffle_protocol::{
    Connection, Inbound, MessageReader, MessageWriter, Outbound, Request, ServerRole,
};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::error::{Error, Result};
use crate::file_region::OpenRegion;
use crate::handler::{self, Client};
use crate::metrics::{self, counter, gauge};
use crate::state::State;
use crate::stream::{Chunk, ConnId};

/// Serves `socket` until the peer closes it, it fails, it idles out or `shutdown` fires;
/// then frees the streams it opened.
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
    let (reader, writer) =
        Connection::<_, ServerRole>::new(socket, state.config().max_frame_len).into_split();
    let mut conn = Conn {
        reader,
        writer,
        client: Client { conn: id, app_id: None },
        idle: state.config().connection_timeout,
        state: state.clone(),
    };
    debug!(conn = id, %peer, "connection opened");
    match conn.run(&shutdown).await {
        Ok(()) => debug!(conn = id, %peer, "connection closed"),
        Err(e) => {
            counter!(metrics::NUM_CAUGHT_EXCEPTIONS).increment(1);
            info!(conn = id, %peer, error = %e, "closing connection");
        }
    }
    state.streams().connection_closed(id);
    gauge!(metrics::NUM_ACTIVE_CONNECTIONS).decrement(1.0);
    gauge!(metrics::NUM_REGISTERED_CONNECTIONS).decrement(1.0);
}

struct Conn {
    reader: MessageReader<OwnedReadHalf, ServerRole>,
    writer: MessageWriter<OwnedWriteHalf>,
    client: Client,
    idle: Option<Duration>,
    state: State,
}

impl Conn {
    async fn run(&mut self, shutdown: &CancellationToken) -> Result<()> {
        loop {
            let inbound = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(()),
                inbound = with_deadline(self.idle, self.reader.read()) => inbound??,
            };
            let Some(inbound) = inbound else { return Ok(()) };
            match inbound {
                Inbound::Message(request) => {
                    if !self.dispatch(request).await? {
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

    async fn rpc_failure(&mut self, request_id: i64, e: &Error) -> Result<()> {
        debug!(conn = self.client.conn, request_id, error = %e, "rpc failed");
        self.write(&RpcFailure { request_id, error_string: e.to_string() }).await
    }

    /// ChunkFetchRequest → ChunkFetchSuccess with the chunk's bytes, or ChunkFetchFailure.
    async fn fetch_chunk(&mut self, id: StreamChunkId) -> Result<()> {
        match self.prepare(id).await {
            Ok(region) => {
                let header = ChunkFetchSuccess::header_for(id, region.region.len());
                self.send(&header, region).await
            }
            Err(reason) => {
                debug!(conn = self.client.conn, chunk = %id, %reason, "chunk fetch failed");
                self.write(&ChunkFetchFailure { stream_chunk_id: id, error_string: reason }).await
            }
        }
    }

    /// StreamRequest("<stream>_<chunk>") → StreamResponse and the bytes, or StreamFailure.
    async fn stream(&mut self, stream_id: String) -> Result<()> {
        let prepared = match stream_id.parse::<StreamChunkId>() {
            Ok(id) => self.prepare(id).await,
            Err(e) => Err(e.to_string()),
        };
        match prepared {
            Ok(region) => {
                let header = StreamResponse::header_for(&stream_id, region.region.len());
                self.send(&header, region).await
            }
            Err(error) => {
                debug!(conn = self.client.conn, stream_id, %error, "stream request failed");
                self.write(&StreamFailure { stream_id, error }).await
            }
        }
    }

    /// Takes the chunk from its stream and opens its file region; `Err` is the failure text.
    async fn prepare(&self, id: StreamChunkId) -> Result<Sending, String> {
        let auth = self.client.app_id.as_deref();
        let Chunk { exec, block } = self
            .state
            .streams()
            .next_chunk(id.stream_id, id.chunk_index, auth)
            .map_err(|e| e.to_string())?;
        // The chunk was taken even if it is refused, so the rest of the stream stays usable.
        let in_flight = self.state.begin_chunk().ok_or_else(|| {
            format!(
                "The number of chunks being transferred is above the limit {} \
                 (spark.shuffle.maxChunksBeingTransferred)",
                self.state.config().max_chunks_being_transferred
            )
        })?;
        let resolver = self.state.resolver();
        let region = resolver.resolve(&exec, &block).await.map_err(|e| e.to_string())?;
        let open = region.open(resolver.files()).await.map_err(|e| {
            format!("Error opening block {block} of {exec}: {}: {e}", region.path.display())
        })?;
        metrics::mark_chunk(&block, open.len());
        Ok(Sending { region: open, _in_flight: in_flight })
    }

    /// Writes a frame header, then its body from the file with sendfile.
    async fn send(&mut self, header: &Bytes, body: Sending) -> Result<()> {
        with_deadline(self.idle, self.writer.write_raw(header)).await??;
        let socket = self.writer.get_ref().as_ref();
        // Part of the body may be out; the stream can no longer be framed, so any error
        // closes the connection.
        body.region.send_to(socket, self.idle).await?;
        Ok(())
    }

    async fn write(&mut self, msg: &impl Outbound) -> Result<()> {
        with_deadline(self.idle, self.writer.write_message(msg)).await??;
        Ok(())
    }
}

/// An opened chunk, counted as being transferred until it is sent.
struct Sending {
    region: OpenRegion,
    _in_flight: crate::state::ChunkInFlight,
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
