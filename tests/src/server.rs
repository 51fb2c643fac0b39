//! Our daemon in-process, and a bare protocol client to poke it with.
//!
//! [`TestServer`] runs `shuffle_server::run` on a runtime of its own (so a test's runtime and
//! the daemon's never share a scheduler), listening on a free loopback port, with the
//! executor registry in memory. [`RawClient`] is one connection speaking the wire protocol
//! one request at a time, for tests that choose every byte they send, garbage included.
//!
//! Every wait for the daemon is bounded by [`REPLY_GUARD`]. The bound only turns a hang into a
//! failure; no test outcome depends on timing.
//!
//! The runtime catches a panicking connection task, and its client only sees a close; so the
//! daemon's threads are named after their server, and a panic hook records panics on them for
//! [`TestServer::panics`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{
    ChunkFetchFailure, ChunkFetchRequest, ChunkFetchSuccess, RpcFailure, RpcRequest, RpcResponse,
    StreamFailure, StreamRequest, StreamResponse,
};
use shuffle_protocol::shuffle::{
    BlockTransferMessage, ExecutorShuffleInfo, GetLocalDirsForExecutors, RegisterExecutor,
    StreamHandle,
};
use shuffle_protocol::{
    ClientRole, Connection, Error, Inbound, Outbound, Response, DEFAULT_MAX_FRAME_LEN,
};
use shuffle_server::registry::Registry;
use shuffle_server::{Config, State};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Longest wait for anything from the daemon before a test fails as hung.
pub const REPLY_GUARD: Duration = Duration::from_secs(30);

/// The shuffle manager executors register with.
pub const SORT_SHUFFLE_MANAGER: &str = "org.apache.spark.shuffle.sort.SortShuffleManager";

/// Panics seen on any test daemon's threads: (thread name, message).
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Installs (once) a panic hook that records panics on test daemon threads, then runs the
/// previous hook as usual.
fn record_daemon_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or_default().to_owned();
            if thread.starts_with(THREAD_PREFIX) {
                if let Ok(mut panics) = PANICS.lock() {
                    panics.push((thread, info.to_string()));
                }
            }
            previous(info);
        }));
    });
}

const THREAD_PREFIX: &str = "test-shuffle-server-";

/// A daemon serving on `127.0.0.1:<free port>` until stopped or dropped.
#[derive(Debug)]
pub struct TestServer {
    /// Where it serves.
    pub addr: SocketAddr,
    /// Its shared state: registered executors, open streams, configuration.
    pub state: State,
    /// Name of its runtime's threads.
    thread_name: String,
    shutdown: Option<oneshot::Sender<()>>,
    done: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    /// Starts a daemon with the default configuration changed by `configure`, an in-memory
    /// registry and no metrics endpoint. Callable from sync code and from inside a runtime.
    pub fn start(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            host: "127.0.0.1".to_owned(),
            port: 0,
            metrics_port: None,
            db_enabled: false,
            ..Config::default()
        };
        configure(&mut config);
        record_daemon_panics();
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let thread_name = format!("{THREAD_PREFIX}{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        listener.set_nonblocking(true).expect("making the listener non-blocking");
        let addr = listener.local_addr().expect("listener address");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(thread_name.clone())
            .enable_all()
            .build()
            .expect("building the daemon's runtime");
        let state = State::new(config, Registry::in_memory());
        let (shutdown, signal) = oneshot::channel::<()>();
        let serving = state.clone();
        let done = runtime.spawn(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("registering the listener");
            shuffle_server::run(listener, serving, async {
                // A dropped sender means the same as a sent signal.
                let _ = signal.await;
            })
            .await;
        });
        Self {
            addr,
            state,
            thread_name,
            shutdown: Some(shutdown),
            done: Some(done),
            runtime: Some(runtime),
        }
    }

    /// Panic messages from this daemon's threads so far (connection tasks, file work).
    pub fn panics(&self) -> Vec<String> {
        let panics = PANICS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        panics.iter().filter(|(t, _)| *t == self.thread_name).map(|(_, m)| m.clone()).collect()
    }

    /// Fails the test if any of this daemon's threads panicked.
    pub fn assert_no_panics(&self) {
        let panics = self.panics();
        assert!(panics.is_empty(), "the daemon panicked:\n{}", panics.join("\n"));
    }

    /// A new [`RawClient`] connection to this daemon.
    pub async fn connect(&self) -> RawClient {
        RawClient::connect(self.addr).await
    }

    /// Signals shutdown and waits for `run` to return (open connections are closed then).
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(done) = self.done.take() {
            tokio::time::timeout(REPLY_GUARD, done)
                .await
                .expect("the daemon did not stop (hang guard)")
                .expect("the daemon task panicked");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Not waiting: a drop may happen inside another runtime, where blocking is refused.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One connection speaking the wire protocol, one request at a time.
///
/// Methods panic (with context) on anything a test did not ask for: a hang past
/// [`REPLY_GUARD`], a closed connection, a reply of the wrong kind or for another id.
#[derive(Debug)]
pub struct RawClient {
    conn: Connection<TcpStream, ClientRole>,
    next_request_id: i64,
}

impl RawClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Self {
        let socket = TcpStream::connect(addr).await.expect("connecting to the daemon");
        socket.set_nodelay(true).expect("TCP_NODELAY");
        Self { conn: Connection::new(socket, DEFAULT_MAX_FRAME_LEN), next_request_id: 1 }
    }

    /// A request id not used before on this connection (deliberately large, as Spark's are).
    pub fn next_request_id(&mut self) -> i64 {
        self.next_request_id += 1;
        0x1234_5678_0000 + self.next_request_id
    }

    /// Writes one message.
    pub async fn send(&mut self, msg: &impl Outbound) {
        self.conn.write_message(msg).await.expect("writing a message to the daemon");
    }

    /// Writes raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.try_send_raw(bytes).await.expect("writing to the daemon");
    }

    /// Writes raw bytes, returning the error if the daemon already closed the connection.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.conn.get_mut().write_all(bytes).await
    }

    /// Closes the sending direction (the daemon reads end of stream); replies still arrive.
    /// Errors are ignored: the daemon may have closed the connection already.
    pub async fn finish_sending(&mut self) {
        let _ = self.conn.get_mut().shutdown().await;
    }

    /// The next unit from the daemon, as the protocol crate decodes it.
    pub async fn read(&mut self) -> shuffle_protocol::Result<Option<Inbound<Response>>> {
        tokio::time::timeout(REPLY_GUARD, self.conn.read())
            .await
            .expect("no reply from the daemon (hang guard)")
    }

    /// The next message; panics on a close, an error or a stray body piece.
    pub async fn response(&mut self) -> Response {
        match self.read().await {
            Ok(Some(Inbound::Message(msg))) => msg,
            Ok(Some(Inbound::Body { data, .. })) => {
                panic!("expected a message, got {} body bytes", data.len())
            }
            Ok(None) => panic!("the daemon closed the connection instead of replying"),
            Err(e) => panic!("reading the reply failed: {e}"),
        }
    }

    /// Sends an RpcRequest with `body` and returns its reply, checking the echoed request id
    /// of an RpcResponse or RpcFailure (any other reply is returned for the test to refuse).
    pub async fn rpc(&mut self, body: impl Into<Bytes>) -> Response {
        let request_id = self.next_request_id();
        self.send(&RpcRequest { request_id, body: body.into() }).await;
        let reply = self.response().await;
        match &reply {
            Response::RpcResponse(RpcResponse { request_id: id, .. })
            | Response::RpcFailure(RpcFailure { request_id: id, .. }) => {
                assert_eq!(*id, request_id, "reply for another request: {reply:?}");
            }
            _ => {}
        }
        reply
    }

    /// Sends `msg` as an RPC and returns the RpcResponse body; panics on anything else.
    pub async fn rpc_ok(&mut self, msg: impl Into<BlockTransferMessage>) -> Bytes {
        let msg = msg.into();
        let name = msg.name();
        match self.rpc(msg.to_bytes()).await {
            Response::RpcResponse(r) => r.body,
            other => panic!("{name}: expected an RpcResponse, got {other:?}"),
        }
    }

    /// Sends `body` as an RPC and returns the RpcFailure text; panics on anything else.
    pub async fn rpc_failure(&mut self, body: impl Into<Bytes>) -> String {
        match self.rpc(body).await {
            Response::RpcFailure(f) => f.error_string,
            other => panic!("expected an RpcFailure, got {other:?}"),
        }
    }

    /// Registers executor `exec_id` of `app_id` with `local_dirs`; the reply must be an
    /// RpcResponse with an empty body, as Spark's.
    pub async fn register_executor(
        &mut self,
        app_id: &str,
        exec_id: &str,
        local_dirs: &[String],
        sub_dirs_per_local_dir: i32,
    ) {
        let body = self
            .rpc_ok(RegisterExecutor {
                app_id: app_id.to_owned(),
                exec_id: exec_id.to_owned(),
                executor_info: ExecutorShuffleInfo {
                    local_dirs: local_dirs.to_vec(),
                    sub_dirs_per_local_dir,
                    shuffle_manager: SORT_SHUFFLE_MANAGER.to_owned(),
                },
            })
            .await;
        assert!(body.is_empty(), "RegisterExecutor must be answered with an empty body");
    }

    /// The local dirs the daemon has for `exec_ids` of `app_id` (GetLocalDirsForExecutors),
    /// in reply order.
    pub async fn local_dirs(&mut self, app_id: &str, exec_ids: &[&str]) -> Vec<Vec<String>> {
        let request = GetLocalDirsForExecutors {
            app_id: app_id.to_owned(),
            exec_ids: exec_ids.iter().map(|&e| e.to_owned()).collect(),
        };
        let body = self.rpc_ok(request).await;
        match BlockTransferMessage::decode(body) {
            Ok(BlockTransferMessage::LocalDirsForExecutors(reply)) => {
                let got: Vec<&str> = reply.executors.iter().map(|e| e.exec_id.as_str()).collect();
                assert_eq!(got, exec_ids, "LocalDirsForExecutors for other executors");
                reply.executors.into_iter().map(|e| e.local_dirs).collect()
            }
            other => panic!("expected LocalDirsForExecutors, got {other:?}"),
        }
    }

    /// Opens a stream with OpenBlocks or FetchShuffleBlocks; panics unless the reply is a
    /// StreamHandle.
    pub async fn open_stream(&mut self, msg: impl Into<BlockTransferMessage>) -> StreamHandle {
        let body = self.rpc_ok(msg).await;
        match BlockTransferMessage::decode(body) {
            Ok(BlockTransferMessage::StreamHandle(handle)) => handle,
            other => panic!("expected a StreamHandle, got {other:?}"),
        }
    }

    /// ChunkFetchRequest → the chunk's bytes, or the ChunkFetchFailure text. The reply must
    /// name the chunk asked for.
    pub async fn fetch_chunk(&mut self, stream_id: i64, chunk_index: i32) -> Result<Bytes, String> {
        let id = StreamChunkId { stream_id, chunk_index };
        self.send(&ChunkFetchRequest { stream_chunk_id: id }).await;
        match self.response().await {
            Response::ChunkFetchSuccess(ChunkFetchSuccess { stream_chunk_id, body }) => {
                assert_eq!(stream_chunk_id, id, "ChunkFetchSuccess for another chunk");
                Ok(body)
            }
            Response::ChunkFetchFailure(ChunkFetchFailure { stream_chunk_id, error_string }) => {
                assert_eq!(stream_chunk_id, id, "ChunkFetchFailure for another chunk");
                Err(error_string)
            }
            other => panic!("expected a chunk fetch reply for {id}, got {other:?}"),
        }
    }

    /// StreamRequest(`stream_id`) → the streamed bytes, or the StreamFailure text. The reply
    /// must echo the id.
    pub async fn stream_request(&mut self, stream_id: &str) -> Result<Bytes, String> {
        self.send(&StreamRequest { stream_id: stream_id.to_owned() }).await;
        match self.response().await {
            Response::StreamResponse(StreamResponse { stream_id: id, byte_count }) => {
                assert_eq!(id, stream_id, "StreamResponse for another stream");
                let mut body = Vec::new();
                while (body.len() as u64) < byte_count {
                    match self.read().await {
                        Ok(Some(Inbound::Body { data, .. })) => body.extend_from_slice(&data),
                        other => panic!(
                            "stream {stream_id}: {} of {byte_count} bytes, then {other:?}",
                            body.len()
                        ),
                    }
                }
                Ok(body.into())
            }
            Response::StreamFailure(StreamFailure { stream_id: id, error }) => {
                assert_eq!(id, stream_id, "StreamFailure for another stream");
                Err(error)
            }
            other => panic!("expected a stream reply for {stream_id:?}, got {other:?}"),
        }
    }

    /// Waits for the daemon to close the connection, failing if anything else arrives first.
    /// A reset counts as a close.
    pub async fn expect_closed(&mut self) {
        match self.read().await {
            Ok(None) => {}
            Err(Error::Io(e)) if is_reset(&e) => {}
            Ok(Some(unit)) => panic!("expected the daemon to close the connection, got {unit:?}"),
            Err(e) => panic!("expected a clean close, got {e}"),
        }
    }

    /// Reads everything until the daemon closes the connection and returns the number of
    /// messages, failing on any frame that does not decode as a response: whatever a client
    /// sends, the daemon must only ever send well-formed frames. A reset ends it like a close,
    /// and so does an end of stream inside a frame (a reset can cut one short).
    pub async fn drain(&mut self) -> usize {
        let mut messages = 0;
        loop {
            match self.read().await {
                Ok(Some(Inbound::Message(_))) => messages += 1,
                Ok(Some(Inbound::Body { .. })) => {}
                Ok(None) | Err(Error::ConnectionReset(_)) => return messages,
                Err(Error::Io(e)) if is_reset(&e) => return messages,
                Err(e) => panic!("the daemon sent a frame that does not decode: {e}"),
            }
        }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
