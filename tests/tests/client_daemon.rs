//! Our `shuffle-client` against our daemon when things go wrong: the daemon killed with
//! SIGKILL and restarted in the middle of a large fetch, a server that never answers, and
//! block streams dropped by their consumer.
//!
//! Where a test needs the transfer stopped at a known point, the client talks to the daemon
//! through a [`Relay`] that forwards the server's bytes up to a budget and then holds them,
//! so nothing depends on how fast the machine is.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, StreamExt, TryStreamExt};
use shuffle_client::{ClientConfig, FetchOptions, ShuffleClient, Transfer};
use shuffle_protocol::shuffle::ExecutorShuffleInfo;
use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::limit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::{block_in_place, JoinHandle};
use tokio::time::Instant;

const APP: &str = "app-client-daemon";
const EXEC: &str = "3";

/// 40 maps × 20 reduces, about 26 MiB: nine blocks of just over 2 MiB, the rest up to 20 KB
/// or empty.
const SHAPE: Shape = Shape { shuffle_id: 7, maps: 40, reduces: 20, map_id_base: 5000 };

/// The client's request timeout while the relay holds a connection: long enough that the
/// hold does not look like a dead connection.
const HOLD_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a daemon metric may take to reach its expected value.
const SETTLE: Duration = Duration::from_secs(20);

fn block_id(map_id: i64, reduce_id: i32) -> String {
    format!("shuffle_{}_{map_id}_{reduce_id}", SHAPE.shuffle_id)
}

/// Parses `shuffle_S_M_R` back into (M, R).
fn map_reduce(id: &str) -> (i64, i32) {
    let parts: Vec<&str> = id.split('_').collect();
    let map_id = parts[2].parse().unwrap_or_else(|e| panic!("{id}: {e}"));
    let reduce_id = parts[3].parse().unwrap_or_else(|e| panic!("{id}: {e}"));
    (map_id, reduce_id)
}

/// Every block of the fixture in one request, reducer-major over a permutation of the maps,
/// so the client has to reorder it.
fn whole_shuffle_request(fixture: &ShuffleFixture) -> Vec<String> {
    let maps: Vec<i64> =
        (0..SHAPE.maps).map(|i| SHAPE.map_id_base + (i * 17) % SHAPE.maps).collect();
    assert_eq!(maps.iter().collect::<std::collections::BTreeSet<_>>().len(), maps.len());
    assert!(fixture.map_ids().all(|m| maps.contains(&m)));
    (0..SHAPE.reduces).flat_map(|r| maps.iter().map(move |&m| block_id(m, r))).collect()
}

/// The order the client documents for shuffle block ids: grouped by map id in order of first
/// appearance, each group in the order requested.
fn documented_order(request: &[String]) -> Vec<String> {
    let mut maps = Vec::new();
    let mut groups: HashMap<i64, Vec<String>> = HashMap::new();
    for id in request {
        let (m, _) = map_reduce(id);
        groups
            .entry(m)
            .or_insert_with(|| {
                maps.push(m);
                Vec::new()
            })
            .push(id.clone());
    }
    maps.iter().flat_map(|m| groups.remove(m).unwrap_or_default()).collect()
}

/// Asserts that `got` holds every block of `order`, once each, in that order, with the
/// fixture's bytes.
fn assert_delivered(fixture: &ShuffleFixture, order: &[String], got: &[(String, Bytes)]) {
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    let want: Vec<&str> = order.iter().map(String::as_str).collect();
    if ids != want {
        let first = ids.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(ids.len());
        panic!(
            "got {} blocks for {} requested; first difference at position {first}: {:?} vs {:?}",
            ids.len(),
            want.len(),
            ids.get(first),
            want.get(first)
        );
    }
    for (id, data) in got {
        let (m, r) = map_reduce(id);
        assert!(*data == fixture.block_bytes(m, r), "bytes of {id}");
    }
}

/// A client with test-speed retries.
fn client(configure: impl FnOnce(&mut ClientConfig)) -> ShuffleClient {
    let mut config =
        ClientConfig { retry_wait: Duration::from_millis(100), ..ClientConfig::default() };
    configure(&mut config);
    ShuffleClient::new(config)
}

/// A fixture, a daemon on a fresh state dir, and a client that registered the executor
/// directly with the daemon.
async fn setup(
    configure: impl FnOnce(&mut ClientConfig),
) -> (ShuffleFixture, tempfile::TempDir, Daemon, ShuffleClient) {
    let fixture = ShuffleFixture::write(SHAPE, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("state dir: {e}"));
    let daemon = block_in_place(|| Daemon::start(state.path(), &[]));
    let client = client(configure);
    limit("register", client.register_executor(daemon.addr, APP, EXEC, fixture.executor_info()))
        .await
        .unwrap_or_else(|e| panic!("RegisterExecutor: {e}\n{}", daemon.log()));
    (fixture, state, daemon, client)
}

/// Reads a metric of `daemon` (a blocking scrape) from async code.
fn metric(daemon: &Daemon, name: &str) -> Option<f64> {
    block_in_place(|| daemon.metric(name))
}

/// Polls `name` on `daemon` until it equals `want`, for at most [`SETTLE`].
async fn await_metric(daemon: &Daemon, name: &str, want: f64) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let got = metric(daemon, name);
        if got == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} is {got:?}, not {want}, after {SETTLE:?}; daemon log:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Receive buffer of the relay's connections to the server: small and fixed (no
/// autotuning), so a held connection stops the server after little more than the budget.
const RELAY_RECV_BUFFER: u32 = 64 << 10;

/// A TCP relay in front of a server that can stop the server's bytes at a known point.
///
/// Each connection to [`Relay::addr`] is relayed to `upstream`. On the first one the
/// server-to-client direction forwards `budget` bytes, then stops reading from the server
/// (which soon blocks writing) and reports [`Relay::held`] until [`Relay::resume`]. When
/// the server's side ends, the client's connection is closed, as the server's would be.
struct Relay {
    addr: SocketAddr,
    shared: Arc<RelayShared>,
    task: JoinHandle<()>,
}

struct RelayShared {
    upstream: SocketAddr,
    budget: u64,
    connections: AtomicUsize,
    held: Notify,
    resume: Notify,
}

impl Relay {
    async fn start(upstream: SocketAddr, budget: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let shared = Arc::new(RelayShared {
            upstream,
            budget,
            connections: AtomicUsize::new(0),
            held: Notify::new(),
            resume: Notify::new(),
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = accepting.connections.fetch_add(1, Ordering::SeqCst);
                let budget = (n == 0).then_some(accepting.budget);
                tokio::spawn(relay(accepting.clone(), client, budget));
            }
        });
        Self { addr, shared, task }
    }

    /// Completes once the first connection has forwarded its budget and holds.
    async fn held(&self) {
        self.shared.held.notified().await;
    }

    /// Lets the held connection go on.
    fn resume(&self) {
        self.shared.resume.notify_one();
    }

    /// Connections accepted so far.
    fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one connection; `budget` bytes of the server's side before holding, if any.
async fn relay(shared: Arc<RelayShared>, client: TcpStream, budget: Option<u64>) {
    let connect = async {
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(RELAY_RECV_BUFFER)?;
        socket.connect(shared.upstream).await
    };
    // A server that is not there: the client's connection just closes.
    let Ok(server) = connect.await else { return };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
        // The server may still be answering; the other direction decides the end.
        std::future::pending::<()>().await;
    };
    let responses = async move {
        let mut left = budget;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            if left == Some(0) {
                shared.held.notify_one();
                shared.resume.notified().await;
                left = None;
            }
            let max = left.map_or(buf.len(), |l| buf.len().min(usize::try_from(l).unwrap_or(0)));
            match server_read.read(&mut buf[..max]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    if let Some(l) = left.as_mut() {
                        *l -= n as u64;
                    }
                }
            }
        }
    };
    // Dropping both sockets closes the client's connection.
    tokio::select! {
        () = responses => {}
        () = requests => {}
    }
}

/// Upper bound on the bytes of one block's response beyond its data: a `ChunkFetchSuccess`
/// header is 21 bytes, a `StreamResponse` header 21 plus its stream id string.
const RESPONSE_OVERHEAD: u64 = 128;

/// Upper bound on the bytes of the open RPC's `StreamHandle` response.
const OPEN_OVERHEAD: u64 = 1024;

/// The whole shuffle in one fetch through a relay that holds the daemon's bytes after about
/// a quarter of the data. Once the stream has yielded every block wholly inside that budget
/// and the relay holds, the daemon is killed with SIGKILL and started again on the same
/// port and state dir, and the relay lets the rest of the dead connection through. The
/// client must notice, retry the blocks it has not received on a new connection to the new
/// daemon, and deliver every block exactly once, in its documented order, byte-exact.
async fn fetch_across_daemon_restart(transfer: Transfer) {
    let (fixture, state, mut daemon, client) = setup(|c| {
        c.max_retries = 3;
        c.request_timeout = HOLD_TIMEOUT;
    })
    .await;
    let port = daemon.port();
    let request = whole_shuffle_request(&fixture);
    let order = documented_order(&request);
    let lens: Vec<u64> = order
        .iter()
        .map(|id| {
            let (m, r) = map_reduce(id);
            fixture.block_len(m, r) as u64
        })
        .collect();
    let total: u64 = lens.iter().sum();
    let (mut budget, mut whole) = (OPEN_OVERHEAD, 0);
    while budget < total / 4 {
        budget += lens[whole] + RESPONSE_OVERHEAD;
        whole += 1;
    }
    // The hold leaves most of the data behind, far more than the daemon's socket buffers
    // and the relay's receive buffer can take, so the daemon dies mid-transfer.
    assert!(total - budget > 16 << 20, "{total} bytes, budget {budget}");

    let relay = Relay::start(daemon.addr, budget).await;
    let options = FetchOptions { transfer, size_hint: None };
    let mut stream = client.fetch_blocks_with(relay.addr, APP, EXEC, request, options);
    let mut got = Vec::with_capacity(order.len());
    while got.len() < whole {
        let item = limit("a block before the hold", stream.next()).await;
        match item {
            Some(Ok(block)) => got.push(block),
            Some(Err(e)) => panic!("block {} before the hold: {e}", got.len()),
            None => panic!("the stream ended after {} blocks", got.len()),
        }
    }
    limit("the relay holding", relay.held()).await;

    block_in_place(|| {
        daemon.kill9();
        daemon = Daemon::start_on(state.path(), port, &[]);
    });
    assert_eq!(daemon.port(), port);
    relay.resume();

    while let Some(item) = limit("the rest of the fetch", stream.next()).await {
        match item {
            Ok(block) => got.push(block),
            Err(e) => panic!("after {} blocks: {e}\ndaemon log:\n{}", got.len(), daemon.log()),
        }
    }
    assert_delivered(&fixture, &order, &got);

    // One retry, on a new connection, served by the restarted daemon (which reloaded the
    // executor from its state dir): the blocks not received before the kill, and only those.
    assert_eq!(relay.connections(), 2, "connections through the relay");
    assert_eq!(metric(&daemon, "registeredExecutorsSize"), Some(1.0), "{}", daemon.log());
    let served = metric(&daemon, "blockTransferMessageRate").unwrap_or(0.0);
    assert!(
        served >= 1.0 && served <= (order.len() - whole) as f64,
        "the restarted daemon served {served} chunks; {whole} of {} were received before",
        order.len()
    );
    await_metric(&daemon, "activeStreams", 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_fetch_survives_daemon_kill_9_and_restart() {
    fetch_across_daemon_restart(Transfer::Chunks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_fetch_survives_daemon_kill_9_and_restart() {
    fetch_across_daemon_restart(Transfer::Stream).await;
}

/// A server that accepts connections and reads requests but never answers: every operation
/// fails with a timeout error, after its retries, well within a generous bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let (count, bytes) = (accepted.clone(), received.clone());
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(n @ 1..) = socket.read(&mut buf).await {
                    bytes.fetch_add(n as u64, Ordering::SeqCst);
                }
            });
        }
    });

    let timeout = Duration::from_millis(500);
    let client = client(|c| {
        c.request_timeout = timeout;
        c.registration_timeout = timeout;
        c.max_retries = 1;
        c.retry_wait = Duration::from_millis(50);
    });
    let info = ExecutorShuffleInfo {
        local_dirs: vec!["/nonexistent/blockmgr-0".into()],
        sub_dirs_per_local_dir: SUB_DIRS,
        shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
    };
    let started = Instant::now();
    let (fetched, dirs, registered, driver) = limit("the operations", async {
        tokio::join!(
            client.fetch_blocks(addr, APP, EXEC, vec![block_id(5000, 0)]).collect::<Vec<_>>(),
            client.get_local_dirs_for_executors(addr, APP, vec![EXEC.into()]),
            client.register_executor(addr, APP, EXEC, info),
            client.register_driver(addr, APP, Duration::from_secs(10)),
        )
    })
    .await;
    let elapsed = started.elapsed();
    server.abort();

    match &fetched[..] {
        [Err(e)] => assert!(e.is_timeout() && e.block_id().is_none(), "fetch: {e}"),
        other => panic!("fetch: expected one timeout error, got {other:?}"),
    }
    assert!(matches!(&dirs, Err(e) if e.is_timeout()), "GetLocalDirsForExecutors: {dirs:?}");
    assert!(matches!(&registered, Err(e) if e.is_timeout()), "RegisterExecutor: {registered:?}");
    assert!(matches!(&driver, Err(e) if e.is_timeout()), "RegisterDriver: {:?}", driver.err());
    // Two attempts of 0.5 s each and a pause; the bound only catches a hang.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    // The requests did go out, and the retries went out on a new connection (a timed-out
    // connection is closed).
    assert!(received.load(Ordering::SeqCst) > 0);
    assert!(
        accepted.load(Ordering::SeqCst) >= 2,
        "{} connections",
        accepted.load(Ordering::SeqCst)
    );
}

/// Dropping a block stream after its first block leaves no stream open on the daemon, and
/// the pooled connection stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_block_stream_leaves_no_stream_behind() {
    let (fixture, _state, daemon, client) = setup(|_| {}).await;
    let request = whole_shuffle_request(&fixture);
    let order = documented_order(&request);
    let mut stream = client.fetch_blocks(daemon.addr, APP, EXEC, request);
    let first = limit("the first block", stream.next()).await;
    match first {
        Some(Ok(block)) => assert_delivered(&fixture, &order[..1], &[block]),
        Some(Err(e)) => panic!("first block: {e}"),
        None => panic!("the stream ended before its first block"),
    }
    drop(stream);
    await_metric(&daemon, "activeStreams", 0.0).await;

    let again: Vec<(String, Bytes)> = limit(
        "a fetch after the drop",
        client.fetch_blocks(daemon.addr, APP, EXEC, order[..5].to_vec()).try_collect(),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch after the drop: {e}"));
    assert_delivered(&fixture, &order[..5], &again);
    assert_eq!(metric(&daemon, "numActiveConnections"), Some(1.0), "{}", daemon.log());
    await_metric(&daemon, "activeStreams", 0.0).await;
}

/// A block stream dropped before the daemon's answer to its open RPC arrived: the daemon has
/// opened the stream, the client still requests (and discards) every chunk once the answer
/// comes, so the daemon releases it, and the connection stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_stream_dropped_before_it_opened_leaves_no_stream_behind() {
    let (fixture, _state, daemon, client) = setup(|_| {}).await;
    let request = whole_shuffle_request(&fixture);
    let order = documented_order(&request);
    // Holds everything the daemon sends on the first connection through it.
    let relay = Relay::start(daemon.addr, 0).await;
    let mut stream = client.fetch_blocks(relay.addr, APP, EXEC, request);
    // The first poll starts the fetch, which sends the open RPC.
    assert!(stream.next().now_or_never().is_none());
    limit("the relay holding", relay.held()).await;
    await_metric(&daemon, "activeStreams", 1.0).await;
    drop(stream);
    relay.resume();
    await_metric(&daemon, "activeStreams", 0.0).await;

    let again: Vec<(String, Bytes)> = limit(
        "a fetch after the drop",
        client.fetch_blocks(relay.addr, APP, EXEC, order[..5].to_vec()).try_collect(),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch after the drop: {e}"));
    assert_delivered(&fixture, &order[..5], &again);
    assert_eq!(relay.connections(), 1, "the pooled connection was replaced");
}
