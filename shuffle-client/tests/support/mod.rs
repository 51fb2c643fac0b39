//! A scriptable fake shuffle service for the client tests: real TCP on `127.0.0.1:0`, the
//! protocol crate's codec with `ServerRole`, an in-memory block table, a log of everything
//! received, and switches for the misbehaviour a test needs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{
    ChunkFetchFailure, ChunkFetchSuccess, RpcFailure, RpcResponse, StreamFailure, StreamResponse,
};
use shuffle_protocol::shuffle::{
    BlockTransferMessage, BlocksRemoved, Cause, CorruptionCause, ExecutorLocalDirs,
    LocalDirsForExecutors, StreamHandle,
};
use shuffle_protocol::{
    Connection, Inbound, MessageWriter, Request, ServerRole, DEFAULT_MAX_FRAME_LEN,
};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the fake does wrong, or differently from the JVM.
#[derive(Debug, Clone, Default)]
pub(crate) struct Behavior {
    /// Close a connection after it sent this many chunk or stream responses…
    pub(crate) drop_after_chunks: Option<usize>,
    /// …but only the first this many connections (0 = all).
    pub(crate) drop_connections: usize,
    /// Never answer anything.
    pub(crate) silent: bool,
    /// Answer the chunk requests of a stream only once all have arrived, last first.
    pub(crate) reverse_chunks: bool,
    /// Hold RPC answers until this many are pending, then send them last first.
    pub(crate) batch_rpcs: usize,
    /// Answer every stream-opening RPC with an RpcFailure.
    pub(crate) fail_opens: bool,
    /// Close the first connection after it received this many heartbeats.
    pub(crate) drop_after_heartbeats: Option<usize>,
}

/// Something the fake received, with the number of the connection it came on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// An RpcRequest's message.
    Rpc(usize, BlockTransferMessage),
    /// A OneWayMessage's message.
    OneWay(usize, BlockTransferMessage),
    /// A ChunkFetchRequest.
    Chunk(usize, StreamChunkId),
    /// A StreamRequest.
    Stream(usize, String),
}

#[derive(Debug, Default)]
struct State {
    blocks: HashMap<String, Bytes>,
    streams: HashMap<i64, Vec<Option<Bytes>>>,
    next_stream: i64,
    connections: usize,
    seen: Vec<Seen>,
}

/// A running fake service; stops when dropped.
#[derive(Debug)]
pub(crate) struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Test blocks: `shuffle_S_M_R` → bytes derived from the id, `len` long.
pub(crate) fn block_bytes(id: &str, len: usize) -> Bytes {
    id.bytes().cycle().take(len).collect::<Vec<u8>>().into()
}

impl FakeServer {
    /// Starts a fake serving `blocks` (id → bytes) with `behavior`.
    pub(crate) async fn start(blocks: Vec<(String, Bytes)>, behavior: Behavior) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let state = Arc::new(Mutex::new(State {
            blocks: blocks.into_iter().collect(),
            next_stream: 1000,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let number = {
                    let mut s = lock(&shared);
                    s.connections += 1;
                    s.connections - 1
                };
                let conn = ConnTask {
                    state: shared.clone(),
                    behavior: behavior.clone(),
                    number,
                    sent_chunks: 0,
                    heartbeats: 0,
                    held_rpcs: Vec::new(),
                    held_chunks: Vec::new(),
                };
                tokio::spawn(conn.run(socket));
            }
        });
        Self { addr, state, task }
    }

    /// The address to connect to.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        lock(&self.state).connections
    }

    /// Everything received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    /// The RPC messages received so far.
    pub(crate) fn rpcs(&self) -> Vec<BlockTransferMessage> {
        self.seen()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Rpc(_, m) => Some(m),
                _ => None,
            })
            .collect()
    }

    /// Heartbeats received so far.
    pub(crate) fn heartbeats(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| {
                matches!(s, Seen::OneWay(_, BlockTransferMessage::ShuffleServiceHeartbeat(_)))
            })
            .count()
    }

    /// Waits (up to 10 s) until `cond` holds on what was received.
    pub(crate) async fn wait_until(&self, what: &str, cond: impl Fn(&[Seen]) -> bool) {
        for _ in 0..1000 {
            if cond(&lock(&self.state).seen) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("fake server never saw {what}: {:?}", self.seen());
    }
}

/// One accepted connection, served serially.
struct ConnTask {
    state: Arc<Mutex<State>>,
    behavior: Behavior,
    number: usize,
    sent_chunks: usize,
    heartbeats: usize,
    held_rpcs: Vec<shuffle_protocol::Response>,
    held_chunks: Vec<StreamChunkId>,
}

type Writer = MessageWriter<OwnedWriteHalf>;

impl ConnTask {
    async fn run(mut self, socket: TcpStream) {
        let conn = Connection::<_, ServerRole>::new(socket, DEFAULT_MAX_FRAME_LEN);
        let (mut reader, mut writer) = conn.into_split();
        while let Ok(Some(unit)) = reader.read().await {
            let Inbound::Message(request) = unit else { continue };
            match self.handle(request, &mut writer).await {
                Ok(true) => {}
                // Closing: dropping both halves ends the connection.
                Ok(false) | Err(_) => return,
            }
        }
    }

    fn drops_this_connection(&self) -> bool {
        self.behavior.drop_connections == 0 || self.number < self.behavior.drop_connections
    }

    /// Handles one request; `Ok(false)` closes the connection.
    async fn handle(&mut self, request: Request, w: &mut Writer) -> shuffle_protocol::Result<bool> {
        match request {
            Request::RpcRequest(rpc) => {
                let msg = BlockTransferMessage::decode(rpc.body)?;
                lock(&self.state).seen.push(Seen::Rpc(self.number, msg.clone()));
                if self.behavior.silent {
                    return Ok(true);
                }
                let reply = self.answer(rpc.request_id, msg);
                if self.behavior.batch_rpcs > 0 {
                    self.held_rpcs.push(reply);
                    if self.held_rpcs.len() >= self.behavior.batch_rpcs {
                        while let Some(reply) = self.held_rpcs.pop() {
                            w.write_message(&reply).await?;
                        }
                    }
                } else {
                    w.write_message(&reply).await?;
                }
            }
            Request::OneWayMessage(one_way) => {
                let msg = BlockTransferMessage::decode(one_way.body)?;
                lock(&self.state).seen.push(Seen::OneWay(self.number, msg));
                self.heartbeats += 1;
                if self.number == 0 && Some(self.heartbeats) == self.behavior.drop_after_heartbeats
                {
                    return Ok(false);
                }
            }
            Request::ChunkFetchRequest(req) => {
                let id = req.stream_chunk_id;
                lock(&self.state).seen.push(Seen::Chunk(self.number, id));
                if self.behavior.silent {
                    return Ok(true);
                }
                if !self.behavior.reverse_chunks {
                    return self.send_chunk(id, w).await;
                }
                self.held_chunks.push(id);
                let total = lock(&self.state).streams.get(&id.stream_id).map_or(0, Vec::len);
                if self.held_chunks.len() == total {
                    while let Some(id) = self.held_chunks.pop() {
                        if !self.send_chunk(id, w).await? {
                            return Ok(false);
                        }
                    }
                }
            }
            Request::StreamRequest(req) => {
                lock(&self.state).seen.push(Seen::Stream(self.number, req.stream_id.clone()));
                if self.behavior.silent {
                    return Ok(true);
                }
                let chunk =
                    req.stream_id.parse::<StreamChunkId>().ok().and_then(|id| self.take(id));
                match chunk {
                    Some(Some(body)) => {
                        let header = StreamResponse::header_for(&req.stream_id, body.len() as u64);
                        w.write_raw(&header).await?;
                        // In two writes, so the client sees the body in pieces.
                        let half = body.len() / 2;
                        w.write_raw(&body[..half]).await?;
                        w.write_raw(&body[half..]).await?;
                    }
                    _ => {
                        let error = format!("Stream '{}' was not found.", req.stream_id);
                        w.write_message(&StreamFailure { stream_id: req.stream_id, error }).await?;
                    }
                }
                return Ok(self.count_chunk());
            }
            _ => {}
        }
        Ok(true)
    }

    /// Sends chunk `id` (or its failure); `Ok(false)` if the connection must now close.
    async fn send_chunk(
        &mut self,
        id: StreamChunkId,
        w: &mut Writer,
    ) -> shuffle_protocol::Result<bool> {
        match self.take(id) {
            Some(Some(body)) => {
                w.write_message(&ChunkFetchSuccess { stream_chunk_id: id, body }).await?;
            }
            _ => {
                let error_string = format!("Failure while fetching {id}: block not found");
                w.write_message(&ChunkFetchFailure { stream_chunk_id: id, error_string }).await?;
            }
        }
        Ok(self.count_chunk())
    }

    /// Counts a chunk response; false once this connection should drop.
    fn count_chunk(&mut self) -> bool {
        self.sent_chunks += 1;
        !(self.drops_this_connection() && Some(self.sent_chunks) == self.behavior.drop_after_chunks)
    }

    /// Chunk `id` of a registered stream: `Some(None)` for a missing block.
    fn take(&self, id: StreamChunkId) -> Option<Option<Bytes>> {
        let state = lock(&self.state);
        let chunks = state.streams.get(&id.stream_id)?;
        chunks.get(usize::try_from(id.chunk_index).ok()?).cloned()
    }

    fn open(&self, chunks: Vec<Option<Bytes>>) -> BlockTransferMessage {
        let mut state = lock(&self.state);
        let stream_id = state.next_stream;
        state.next_stream += 1;
        let num_chunks = chunks.len() as i32;
        state.streams.insert(stream_id, chunks);
        StreamHandle { stream_id, num_chunks }.into()
    }

    fn answer(&self, request_id: i64, msg: BlockTransferMessage) -> shuffle_protocol::Response {
        let ok = |m: Option<BlockTransferMessage>| {
            let body = m.map(|m| m.to_bytes()).unwrap_or_default();
            RpcResponse { request_id, body }.into()
        };
        let opens = matches!(
            msg,
            BlockTransferMessage::FetchShuffleBlocks(_) | BlockTransferMessage::OpenBlocks(_)
        );
        if opens && self.behavior.fail_opens {
            let error_string = "java.lang.IllegalArgumentException: no".to_owned();
            return RpcFailure { request_id, error_string }.into();
        }
        let block = |id: &str| lock(&self.state).blocks.get(id).cloned();
        match msg {
            BlockTransferMessage::RegisterExecutor(_) | BlockTransferMessage::RegisterDriver(_) => {
                ok(None)
            }
            BlockTransferMessage::FetchShuffleBlocks(f) => {
                let mut chunks = Vec::new();
                for (map_id, reduce_ids) in f.map_ids.iter().zip(&f.reduce_ids) {
                    let id = |r: i32| format!("shuffle_{}_{map_id}_{r}", f.shuffle_id);
                    if f.batch_fetch_enabled {
                        let range = reduce_ids[0]..reduce_ids[1];
                        let bytes: Vec<u8> =
                            range.filter_map(|r| block(&id(r))).flat_map(|b| b.to_vec()).collect();
                        chunks.push(Some(bytes.into()));
                    } else {
                        chunks.extend(reduce_ids.iter().map(|&r| block(&id(r))));
                    }
                }
                ok(Some(self.open(chunks)))
            }
            BlockTransferMessage::OpenBlocks(o) => {
                ok(Some(self.open(o.block_ids.iter().map(|id| block(id)).collect())))
            }
            BlockTransferMessage::RemoveBlocks(r) => {
                let mut state = lock(&self.state);
                let removed = r.block_ids.iter().filter(|id| state.blocks.remove(*id).is_some());
                let num_removed_blocks = removed.count() as i32;
                ok(Some(BlocksRemoved { num_removed_blocks }.into()))
            }
            BlockTransferMessage::GetLocalDirsForExecutors(g) => {
                let executors = g
                    .exec_ids
                    .into_iter()
                    .map(|e| ExecutorLocalDirs { local_dirs: vec![format!("/d/{e}")], exec_id: e })
                    .collect();
                ok(Some(LocalDirsForExecutors { executors }.into()))
            }
            BlockTransferMessage::DiagnoseCorruption(_) => {
                ok(Some(CorruptionCause { cause: Cause::ChecksumVerifyPass }.into()))
            }
            other => {
                let error_string = format!("Unexpected message: {}", other.name());
                RpcFailure { request_id, error_string }.into()
            }
        }
    }
}
