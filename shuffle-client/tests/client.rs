//! The client against a scriptable fake service on `127.0.0.1:0` (`support/`): RPC
//! dispatch, pipelined and out-of-order chunks, FIFO streams, retries that resume without
//! duplicates, timeouts, dropping a fetch, and the driver heartbeat loop.

mod support;

use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use shuffle_client::{ClientConfig, Error, FetchOptions, ShuffleClient, Transfer};
use shuffle_protocol::shuffle::{
    BlockTransferMessage, Cause, ExecutorShuffleInfo, FetchShuffleBlocks, RegisterDriver,
    RegisterExecutor,
};
use support::{block_bytes, Behavior, FakeServer, Seen};

/// Test-speed retries; everything else as Spark's defaults.
fn config() -> ClientConfig {
    ClientConfig { retry_wait: Duration::from_millis(10), ..ClientConfig::default() }
}

/// `maps` × `reduces` blocks `shuffle_0_M_R` (M from 10), some empty, one of 300 KiB.
fn shuffle_blocks(maps: i64, reduces: i32) -> Vec<(String, Bytes)> {
    let mut blocks = Vec::new();
    for m in 10..10 + maps {
        for r in 0..reduces {
            let id = format!("shuffle_0_{m}_{r}");
            let len = match (m + i64::from(r)) % 5 {
                0 => 0,
                1 => 300 << 10,
                k => 100 * k as usize,
            };
            blocks.push((id.clone(), block_bytes(&id, len)));
        }
    }
    blocks
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn want(blocks: &[(String, Bytes)], id: &str) -> Bytes {
    blocks.iter().find(|(b, _)| b == id).map(|(_, d)| d.clone()).unwrap_or_default()
}

/// Runs `f` with a 20 s limit so a client bug fails instead of hanging the suite.
async fn limit<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f).await.unwrap_or_else(|_| panic!("timed out"))
}

fn info() -> ExecutorShuffleInfo {
    ExecutorShuffleInfo {
        local_dirs: vec!["/tmp/blockmgr-1".into()],
        sub_dirs_per_local_dir: 64,
        shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
    }
}

#[tokio::test]
async fn register_executor_sends_the_message_and_takes_the_empty_reply() {
    let server = FakeServer::start(Vec::new(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    limit(client.register_executor(server.addr(), "app-1", "7", info()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let want =
        RegisterExecutor { app_id: "app-1".into(), exec_id: "7".into(), executor_info: info() };
    assert_eq!(server.rpcs(), vec![want.into()]);
}

#[tokio::test]
async fn concurrent_rpcs_are_matched_by_request_id() {
    // The fake holds three answers and sends them last first.
    let blocks = vec![("rdd_1_1".to_owned(), Bytes::from_static(b"x"))];
    let server = FakeServer::start(blocks, Behavior { batch_rpcs: 3, ..Behavior::default() }).await;
    let client = ShuffleClient::new(config());
    let addr = server.addr();
    let (removed, dirs, cause) = limit(async {
        tokio::join!(
            client.remove_blocks(addr, "app", "7", ids(&["rdd_1_1", "rdd_9_9"])),
            client.get_local_dirs_for_executors(addr, "app", ids(&["7", "8"])),
            client.diagnose_corruption(addr, "app", "7", "shuffle_0_1_2", 42, "ADLER32"),
        )
    })
    .await;
    assert_eq!(removed.unwrap_or_else(|e| panic!("{e}")), 1);
    let dirs = dirs.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dirs.get("8"), Some(&vec!["/d/8".to_owned()]));
    assert_eq!(dirs.len(), 2);
    assert_eq!(cause.unwrap_or_else(|e| panic!("{e}")), Cause::ChecksumVerifyPass);
    // All three went over the one pooled connection.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn pipelined_chunks_are_yielded_in_chunk_order() {
    // The fake answers only once every chunk of the stream was requested, and last first:
    // this finishes only if the client pipelines, and in order only if it reorders.
    let blocks = shuffle_blocks(3, 4);
    let behavior = Behavior { reverse_chunks: true, ..Behavior::default() };
    let server = FakeServer::start(blocks.clone(), behavior).await;
    let client = ShuffleClient::new(config());
    // Interleaved maps: chunk order groups them by map in order of first appearance.
    let request = ids(&[
        "shuffle_0_11_2",
        "shuffle_0_10_0",
        "shuffle_0_11_0",
        "shuffle_0_12_3",
        "shuffle_0_10_1",
    ]);
    let got: Vec<(String, Bytes)> =
        limit(client.fetch_blocks(server.addr(), "app", "7", request).try_collect())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        order,
        ["shuffle_0_11_2", "shuffle_0_11_0", "shuffle_0_10_0", "shuffle_0_10_1", "shuffle_0_12_3"]
    );
    for (id, data) in &got {
        assert_eq!(data, &want(&blocks, id), "{id}");
    }
    let open = FetchShuffleBlocks {
        app_id: "app".into(),
        exec_id: "7".into(),
        shuffle_id: 0,
        map_ids: vec![11, 10, 12],
        reduce_ids: vec![vec![2, 0], vec![0, 1], vec![3]],
        batch_fetch_enabled: false,
    };
    assert_eq!(server.rpcs(), vec![open.into()]);
}

#[tokio::test]
async fn a_failed_block_does_not_end_the_fetch() {
    let blocks = shuffle_blocks(2, 2);
    let server = FakeServer::start(blocks.clone(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let request = ids(&["shuffle_0_10_1", "shuffle_0_99_0", "shuffle_0_11_1"]);
    let got: Vec<_> =
        limit(client.fetch_blocks(server.addr(), "app", "7", request).collect()).await;
    assert_eq!(got.len(), 3);
    assert!(matches!(&got[0], Ok((id, _)) if id == "shuffle_0_10_1"));
    match &got[1] {
        Err(e) => {
            assert!(e.is_block_failure() && !e.is_retryable(), "{e}");
            assert_eq!(e.block_id(), Some("shuffle_0_99_0"));
        }
        Ok((id, _)) => panic!("{id} should have failed"),
    }
    assert!(matches!(&got[2], Ok((id, d)) if id == "shuffle_0_11_1" && *d == want(&blocks, id)));
}

#[tokio::test]
async fn batch_ids_fetch_reducer_ranges() {
    let blocks = shuffle_blocks(2, 5);
    let server = FakeServer::start(blocks.clone(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let request = ids(&["shuffle_0_11_1_4", "shuffle_0_10_0_5"]);
    let got: Vec<(String, Bytes)> =
        limit(client.fetch_blocks(server.addr(), "app", "7", request).try_collect())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let range = |m: i64, rs: std::ops::Range<i32>| -> Vec<u8> {
        rs.flat_map(|r| want(&blocks, &format!("shuffle_0_{m}_{r}")).to_vec()).collect()
    };
    assert_eq!(got[0].0, "shuffle_0_11_1_4");
    assert_eq!(got[0].1.to_vec(), range(11, 1..4));
    assert_eq!(got[1].1.to_vec(), range(10, 0..5));
}

#[tokio::test]
async fn stream_responses_are_matched_first_in_first_out() {
    let blocks = shuffle_blocks(2, 5);
    let server = FakeServer::start(blocks.clone(), Behavior::default()).await;
    // A tiny threshold: the size hint sends this fetch down the stream path.
    let client =
        ShuffleClient::new(ClientConfig { max_remote_block_size_fetch_to_mem: 10, ..config() });
    let request: Vec<String> =
        ["shuffle_0_10_0", "shuffle_0_10_1", "shuffle_0_10_2", "shuffle_0_77_0", "shuffle_0_11_0"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    let options = FetchOptions { transfer: Transfer::Auto, size_hint: Some(11) };
    let fetch = client.fetch_blocks_with(server.addr(), "app", "7", request.clone(), options);
    let got: Vec<_> = limit(fetch.collect()).await;
    assert_eq!(got.len(), 5);
    for (result, id) in got.iter().zip(&request) {
        match result {
            Ok((got_id, data)) => {
                assert_eq!(got_id, id);
                assert_eq!(data, &want(&blocks, id), "{id}");
            }
            Err(e) => {
                assert_eq!(id, "shuffle_0_77_0", "{e}");
                assert!(matches!(e, Error::StreamFailure { .. }), "{e}");
            }
        }
    }
    // Stream requests only, for chunks 0..5 of the one stream.
    let seen = server.seen();
    assert!(seen.iter().all(|s| !matches!(s, Seen::Chunk(..))));
    let streams: Vec<&str> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Stream(_, id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streams, ["1000_0", "1000_1", "1000_2", "1000_3", "1000_4"]);
}

#[tokio::test]
async fn stream_path_writes_files_and_writers() {
    let blocks = shuffle_blocks(2, 3);
    let server = FakeServer::start(blocks.clone(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let request = ids(&["shuffle_0_10_1", "shuffle_0_10_0", "shuffle_0_11_2"]);
    let files: Vec<_> = limit(
        client
            .fetch_blocks_to_dir(server.addr(), "app", "7", request.clone(), dir.path())
            .try_collect::<Vec<_>>(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.len(), 3);
    for (id, file) in &files {
        let on_disk = std::fs::read(&file.target).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(on_disk, want(&blocks, id).to_vec(), "{id}");
        assert_eq!(file.len, on_disk.len() as u64);
        assert_eq!(file.target, dir.path().join(id));
    }

    let writers =
        client.fetch_blocks_to_writers(server.addr(), "app", "7", request, |_id: &str| async {
            Ok(Vec::<u8>::new())
        });
    let got: Vec<_> =
        limit(writers.try_collect::<Vec<_>>()).await.unwrap_or_else(|e| panic!("{e}"));
    for (id, written) in &got {
        assert_eq!(written.target, want(&blocks, id).to_vec(), "{id}");
    }
}

/// A fetch whose first connection drops after `drop_after` chunks resumes with exactly the
/// rest: every block once, in chunk order.
async fn resumes_exactly_once(transfer: Transfer) {
    let blocks = shuffle_blocks(3, 3);
    let behavior =
        Behavior { drop_after_chunks: Some(4), drop_connections: 1, ..Behavior::default() };
    let server = FakeServer::start(blocks.clone(), behavior).await;
    let client = ShuffleClient::new(config());
    let request: Vec<String> = blocks.iter().map(|(id, _)| id.clone()).collect();
    let options = FetchOptions { transfer, size_hint: None };
    let fetch = client.fetch_blocks_with(server.addr(), "app", "7", request.clone(), options);
    let got: Vec<(String, Bytes)> =
        limit(fetch.try_collect()).await.unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&String> = got.iter().map(|(id, _)| id).collect();
    assert_eq!(order, request.iter().collect::<Vec<_>>());
    for (id, data) in &got {
        assert_eq!(data, &want(&blocks, id), "{id}");
    }
    assert_eq!(server.connections(), 2);
    // The retry asked for the five blocks not yet delivered, and only those.
    let rpcs = server.rpcs();
    assert_eq!(rpcs.len(), 2);
    let BlockTransferMessage::FetchShuffleBlocks(retry) = &rpcs[1] else { panic!("{rpcs:?}") };
    assert_eq!(retry.map_ids, vec![11, 12]);
    assert_eq!(retry.reduce_ids, vec![vec![1, 2], vec![0, 1, 2]]);
}

#[tokio::test]
async fn chunk_fetch_resumes_exactly_once_after_a_dropped_connection() {
    resumes_exactly_once(Transfer::Chunks).await;
}

#[tokio::test]
async fn stream_fetch_resumes_exactly_once_after_a_dropped_connection() {
    resumes_exactly_once(Transfer::Stream).await;
}

#[tokio::test]
async fn retries_run_out() {
    let blocks = shuffle_blocks(2, 3);
    let behavior = Behavior { drop_after_chunks: Some(1), ..Behavior::default() };
    let server = FakeServer::start(blocks, behavior).await;
    let client = ShuffleClient::new(ClientConfig { max_retries: 2, ..config() });
    let request = ids(&[
        "shuffle_0_10_0",
        "shuffle_0_10_1",
        "shuffle_0_10_2",
        "shuffle_0_11_0",
        "shuffle_0_11_1",
    ]);
    let got: Vec<_> =
        limit(client.fetch_blocks(server.addr(), "app", "7", request).collect()).await;
    // One block per connection (three attempts), then the connection error.
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[..3].iter().all(Result::is_ok));
    let Err(e) = &got[3] else { panic!("{got:?}") };
    assert!(e.is_retryable() && !e.is_block_failure(), "{e}");
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn server_failures_are_not_retried() {
    let behavior = Behavior { fail_opens: true, ..Behavior::default() };
    let server = FakeServer::start(shuffle_blocks(1, 2), behavior).await;
    let client = ShuffleClient::new(config());
    let got: Vec<_> =
        limit(client.fetch_blocks(server.addr(), "app", "7", ids(&["shuffle_0_10_0"])).collect())
            .await;
    assert_eq!(got.len(), 1);
    let Err(e) = &got[0] else { panic!("{got:?}") };
    assert!(matches!(e, Error::RpcFailure { request: "FetchShuffleBlocks", .. }), "{e}");
    assert!(!e.is_retryable() && !e.is_block_failure() && !e.is_auth());
    assert_eq!(server.rpcs().len(), 1);
}

#[tokio::test]
async fn invalid_ids_fail_before_connecting() {
    let server = FakeServer::start(Vec::new(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let request = ids(&["shuffle_0_1_0", "shuffle_1_1_0"]);
    let got: Vec<_> =
        limit(client.fetch_blocks(server.addr(), "app", "7", request).collect()).await;
    assert!(matches!(&got[..], [Err(Error::InvalidBlockId { .. })]), "{got:?}");
    assert_eq!(server.connections(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out() {
    let server =
        FakeServer::start(Vec::new(), Behavior { silent: true, ..Behavior::default() }).await;
    let client = ShuffleClient::new(ClientConfig { max_retries: 1, ..config() });
    let started = tokio::time::Instant::now();
    let err = client.remove_blocks(server.addr(), "app", "7", ids(&["rdd_1_1"])).await;
    let Err(e) = err else { panic!("a silent server answered") };
    assert!(e.is_timeout() && e.is_retryable(), "{e}");
    // Two attempts, each closed after the default 120 s of silence.
    assert_eq!(server.connections(), 2);
    assert!(started.elapsed() >= Duration::from_secs(240), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_silent_fetch_times_out_and_registration_has_its_own_limit() {
    let server =
        FakeServer::start(Vec::new(), Behavior { silent: true, ..Behavior::default() }).await;
    let client = ShuffleClient::new(ClientConfig { max_retries: 0, ..config() });
    let got: Vec<_> =
        client.fetch_blocks(server.addr(), "app", "7", ids(&["shuffle_0_1_0"])).collect().await;
    assert!(matches!(&got[..], [Err(Error::Timeout { .. })]), "{got:?}");

    let started = tokio::time::Instant::now();
    let err = client.register_executor(server.addr(), "app", "7", info()).await;
    assert!(
        matches!(err, Err(Error::Timeout { timeout, .. }) if timeout == Duration::from_secs(5))
    );
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().unwrap_or_else(|e| panic!("{e}"))
    };
    let client = ShuffleClient::new(ClientConfig { max_retries: 1, ..config() });
    let err = limit(client.remove_blocks(port, "app", "7", Vec::new())).await;
    assert!(matches!(&err, Err(e @ Error::Connect { .. }) if e.is_retryable()), "{err:?}");
}

#[tokio::test]
async fn dropping_a_fetch_drains_its_stream_and_keeps_the_connection() {
    let blocks = shuffle_blocks(2, 4);
    let server = FakeServer::start(blocks.clone(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let request: Vec<String> = blocks.iter().map(|(id, _)| id.clone()).collect();
    let mut fetch = client.fetch_blocks(server.addr(), "app", "7", request);
    let first = limit(fetch.next()).await;
    assert!(matches!(first, Some(Ok(_))), "{first:?}");
    drop(fetch);
    // Every chunk still gets requested, so the server can release the stream…
    server
        .wait_until("all 8 chunk requests", |seen| {
            seen.iter().filter(|s| matches!(s, Seen::Chunk(..))).count() == 8
        })
        .await;
    // …and the pooled connection keeps serving.
    let dirs = limit(client.get_local_dirs_for_executors(server.addr(), "app", ids(&["7"]))).await;
    assert!(dirs.is_ok(), "{dirs:?}");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn connections_per_peer_are_used_round_robin() {
    let server = FakeServer::start(Vec::new(), Behavior::default()).await;
    let client = ShuffleClient::new(ClientConfig { num_connections_per_peer: 2, ..config() });
    for _ in 0..4 {
        limit(client.remove_blocks(server.addr(), "app", "7", Vec::new()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(server.connections(), 2);
}

#[tokio::test(start_paused = true)]
async fn driver_heartbeats_every_interval_until_closed() {
    let server = FakeServer::start(Vec::new(), Behavior::default()).await;
    let client = ShuffleClient::new(config());
    let registration = client
        .register_driver(server.addr(), "app-1", Duration::from_secs(120))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The first heartbeat right away, then one per 10 s interval.
    tokio::time::sleep(Duration::from_secs(35)).await;
    server
        .wait_until("4 heartbeats", |seen| {
            seen.iter().filter(|s| matches!(s, Seen::OneWay(..))).count() == 4
        })
        .await;
    assert_eq!(registration.heartbeats_sent(), 4);
    assert_eq!(server.heartbeats(), 4);
    let register = RegisterDriver { app_id: "app-1".into(), heartbeat_timeout_ms: 120_000 };
    assert_eq!(server.rpcs(), vec![register.into()]);
    // All on the registration's connection.
    assert!(server.seen().iter().all(|s| matches!(s, Seen::Rpc(0, _) | Seen::OneWay(0, _))));

    registration.close().await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(server.heartbeats(), 4);
}

#[tokio::test(start_paused = true)]
async fn driver_reconnects_and_registers_again() {
    let behavior = Behavior { drop_after_heartbeats: Some(2), ..Behavior::default() };
    let server = FakeServer::start(Vec::new(), behavior).await;
    let client = ShuffleClient::new(config());
    let registration = client
        .register_driver(server.addr(), "app-1", Duration::from_secs(120))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(registration.registrations(), 2);
    assert_eq!(server.connections(), 2);
    assert_eq!(server.rpcs().len(), 2);
    assert!(server.seen().iter().any(|s| matches!(s, Seen::OneWay(1, _))));
    drop(registration);
    let before = server.heartbeats();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(server.heartbeats(), before);
}
