//! Our `shuffle-client` against Spark 3.5.6's own JVM external shuffle service and against
//! our daemon.
//!
//! [`check_client_against`] and [`check_driver_registration_against`] take only a server
//! address, so the same scenarios run against both services: the JVM one (standalone, and
//! Mesos for driver registration) and our `shuffle-server` binary.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use shuffle_client::{ClientConfig, FetchOptions, ShuffleClient, Transfer};
use shuffle_protocol::shuffle::Cause;
use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{adler32, Shape, ShuffleFixture};
use shuffle_tests::jvm_service::{JvmShuffleService, ServiceKind};
use shuffle_tests::{limit, require_real_spark};

const APP: &str = "app-client-interop";
/// A second application whose driver stays alive in the driver scenario.
const APP_B: &str = "app-client-interop-b";
const EXEC: &str = "1";

/// 24 maps × 10 reduces, map ids 1000.., with 3 blocks of 2–5 MiB and 32 empty ones.
const SHAPE: Shape = Shape { shuffle_id: 4, maps: 24, reduces: 10, map_id_base: 1000 };

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

/// A client with test-speed retries.
fn client(configure: impl FnOnce(&mut ClientConfig)) -> ShuffleClient {
    let mut config =
        ClientConfig { retry_wait: Duration::from_millis(200), ..ClientConfig::default() };
    configure(&mut config);
    ShuffleClient::new(config)
}

/// The whole client scenario against the service at `addr`: register an executor whose
/// local dirs hold a fresh [`ShuffleFixture`], then fetch every block one by one (eight
/// fetches at a time over the pooled connection), all in one request, as batches, over the
/// stream path into memory and into files, with the old protocol; check block failures, an
/// RDD block, RemoveBlocks, GetLocalDirsForExecutors and DiagnoseCorruption. Every byte is
/// compared with the fixture.
pub async fn check_client_against(addr: SocketAddr) {
    let fixture = ShuffleFixture::write(SHAPE, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let all: Vec<(i64, i32)> =
        fixture.map_ids().flat_map(|m| (0..SHAPE.reduces).map(move |r| (m, r))).collect();
    let lens: Vec<usize> = all.iter().map(|&(m, r)| fixture.block_len(m, r)).collect();
    assert!(lens.contains(&0), "the fixture should have empty blocks");
    assert!(lens.iter().any(|&l| l >= 2 << 20), "the fixture should have multi-MiB blocks");

    let client = client(|_| {});
    limit("register", client.register_executor(addr, APP, EXEC, fixture.executor_info()))
        .await
        .unwrap_or_else(|e| panic!("RegisterExecutor: {e}"));

    // One block per request, eight requests in flight.
    let fixture_ref = &fixture;
    let single = futures::stream::iter(all.clone())
        .map(|(m, r)| {
            let (client, fixture) = (client.clone(), fixture_ref);
            async move {
                let got: Vec<(String, Bytes)> = client
                    .fetch_blocks(addr, APP, EXEC, vec![block_id(m, r)])
                    .try_collect()
                    .await
                    .unwrap_or_else(|e| panic!("fetching {}: {e}", block_id(m, r)));
                assert_eq!(got.len(), 1);
                assert_eq!(got[0].0, block_id(m, r));
                assert!(got[0].1 == fixture.block_bytes(m, r), "bytes of {}", block_id(m, r));
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>();
    limit("single-block fetches", single).await;

    // Everything in one request, reducer-major: yielded grouped by map, in map order.
    let request: Vec<String> =
        (0..SHAPE.reduces).flat_map(|r| fixture.map_ids().map(move |m| block_id(m, r))).collect();
    let got: Vec<(String, Bytes)> =
        limit("one big fetch", client.fetch_blocks(addr, APP, EXEC, request).try_collect())
            .await
            .unwrap_or_else(|e| panic!("fetching all blocks: {e}"));
    let order: Vec<String> = all.iter().map(|&(m, r)| block_id(m, r)).collect();
    assert_eq!(got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), order);
    for (id, data) in &got {
        let (m, r) = map_reduce(id);
        assert!(*data == fixture.block_bytes(m, r), "bytes of {id}");
    }

    // Batches: whole map outputs and partial ranges, one chunk per map.
    let batches: Vec<(i64, i32, i32)> = fixture
        .map_ids()
        .enumerate()
        .map(|(i, m)| if i % 2 == 0 { (m, 0, SHAPE.reduces) } else { (m, 3, 7) })
        .collect();
    let request: Vec<String> = batches
        .iter()
        .map(|&(m, start, end)| format!("shuffle_{}_{m}_{start}_{end}", SHAPE.shuffle_id))
        .collect();
    let got: Vec<(String, Bytes)> =
        limit("batch fetch", client.fetch_blocks(addr, APP, EXEC, request.clone()).try_collect())
            .await
            .unwrap_or_else(|e| panic!("batch fetch: {e}"));
    assert_eq!(got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), request);
    for ((id, data), &(m, start, end)) in got.iter().zip(&batches) {
        assert!(*data == fixture.range_bytes(m, start, end), "bytes of {id}");
    }

    // The stream path, into memory and into files: the largest blocks, an empty one, small ones.
    let mut by_size: Vec<(usize, (i64, i32))> =
        lens.iter().copied().zip(all.iter().copied()).collect();
    by_size.sort_by_key(|&(len, _)| std::cmp::Reverse(len));
    let empty = all[lens.iter().position(|&l| l == 0).unwrap_or(0)];
    let mut picked: Vec<(i64, i32)> = by_size.iter().take(3).map(|&(_, b)| b).collect();
    picked.extend([empty, all[1], all[2]]);
    let request: Vec<String> = picked.iter().map(|&(m, r)| block_id(m, r)).collect();
    let options = FetchOptions { transfer: Transfer::Stream, size_hint: None };
    let got: Vec<(String, Bytes)> = limit(
        "stream fetch",
        client.fetch_blocks_with(addr, APP, EXEC, request.clone(), options).try_collect(),
    )
    .await
    .unwrap_or_else(|e| panic!("stream fetch: {e}"));
    assert_eq!(got.len(), request.len());
    for (id, data) in &got {
        let (m, r) = map_reduce(id);
        assert!(*data == fixture.block_bytes(m, r), "bytes of {id} (stream path)");
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<_> = limit(
        "stream fetch to files",
        client.fetch_blocks_to_dir(addr, APP, EXEC, request, dir.path()).try_collect::<Vec<_>>(),
    )
    .await
    .unwrap_or_else(|e| panic!("stream fetch to files: {e}"));
    assert_eq!(files.len(), picked.len());
    for (id, file) in &files {
        let (m, r) = map_reduce(id);
        let on_disk = std::fs::read(&file.target).unwrap_or_else(|e| panic!("{e}"));
        assert!(on_disk == fixture.block_bytes(m, r), "bytes of {id} (file)");
        assert_eq!(file.len, on_disk.len() as u64);
    }

    // A missing map output fails its block (lazily, at chunk time) and the fetch goes on.
    // It is the last block here because the JVM's stream iterator does not move past a block
    // it failed to open: every later chunk of that stream fails with the same error.
    let (m0, m1) = (SHAPE.map_id_base, SHAPE.map_id_base + 1);
    let request = vec![block_id(m0, 1), block_id(m1, 1), block_id(99_999, 0)];
    let got: Vec<_> = limit(
        "fetch with a missing block",
        client.fetch_blocks(addr, APP, EXEC, request.clone()).collect(),
    )
    .await;
    assert_eq!(got.len(), 3, "{got:?}");
    for (result, id) in got.iter().zip(&request).take(2) {
        let (m, r) = map_reduce(id);
        assert!(
            matches!(result, Ok((got_id, d)) if got_id == id && *d == fixture.block_bytes(m, r)),
            "{id}: {:?}",
            result.as_ref().map(|(id, _)| id)
        );
    }
    match &got[2] {
        Err(e) => {
            assert!(e.is_block_failure() && !e.is_retryable(), "{e}");
            assert_eq!(e.block_id(), Some(request[2].as_str()));
        }
        Ok((id, _)) => panic!("{id} does not exist but was fetched"),
    }

    // The old protocol: OpenBlocks for shuffle blocks, in the given order.
    let old = self::client(|c| c.use_old_fetch_protocol = true);
    let request = vec![block_id(m1, 2), block_id(m0, 5), block_id(m1, 0)];
    let got: Vec<(String, Bytes)> = limit(
        "old-protocol fetch",
        old.fetch_blocks(addr, APP, EXEC, request.clone()).try_collect(),
    )
    .await
    .unwrap_or_else(|e| panic!("old-protocol fetch: {e}"));
    assert_eq!(got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), request);
    for (id, data) in &got {
        let (m, r) = map_reduce(id);
        assert!(*data == fixture.block_bytes(m, r), "bytes of {id} (OpenBlocks)");
    }

    // An RDD block: fetched whole with OpenBlocks, then removed.
    let rdd: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let rdd_path = fixture.put("rdd_7_3", &rdd).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, Bytes)> = limit(
        "rdd fetch",
        client.fetch_blocks(addr, APP, EXEC, vec!["rdd_7_3".into()]).try_collect(),
    )
    .await
    .unwrap_or_else(|e| panic!("rdd fetch: {e}"));
    assert!(got.len() == 1 && got[0].1 == rdd, "rdd_7_3 bytes");
    let removed = limit(
        "remove",
        client.remove_blocks(addr, APP, EXEC, vec!["rdd_7_3".into(), "rdd_7_4".into()]),
    )
    .await
    .unwrap_or_else(|e| panic!("RemoveBlocks: {e}"));
    assert_eq!(removed, 1);
    assert!(!rdd_path.exists());

    let dirs =
        limit("local dirs", client.get_local_dirs_for_executors(addr, APP, vec![EXEC.into()]))
            .await
            .unwrap_or_else(|e| panic!("GetLocalDirsForExecutors: {e}"));
    assert_eq!(dirs.get(EXEC), Some(&fixture.local_dirs));
    let unknown =
        limit("local dirs", client.get_local_dirs_for_executors(addr, APP, vec!["nope".into()]))
            .await;
    assert!(matches!(&unknown, Err(e) if !e.is_retryable()), "{unknown:?}");

    // DiagnoseCorruption: the writer's checksum file agrees with the data, so the right
    // checksum passes and a wrong one points at the network.
    let (m, r) = all.iter().copied().find(|&(m, r)| fixture.block_len(m, r) > 0).unwrap_or(all[0]);
    let checksum = i64::from(adler32(&fixture.block_bytes(m, r)));
    let id = block_id(m, r);
    let pass =
        limit("diagnose", client.diagnose_corruption(addr, APP, EXEC, &id, checksum, "ADLER32"))
            .await;
    assert_eq!(
        pass.unwrap_or_else(|e| panic!("DiagnoseCorruption: {e}")),
        Cause::ChecksumVerifyPass
    );
    let network = limit(
        "diagnose",
        client.diagnose_corruption(addr, APP, EXEC, &id, checksum + 1, "ADLER32"),
    )
    .await;
    assert_eq!(network.unwrap_or_else(|e| panic!("DiagnoseCorruption: {e}")), Cause::NetworkIssue);
}

/// Heartbeat timeout the driver check registers with.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(2);

/// Two applications register executors and drivers with the (Mesos) service at `addr`, with
/// a [`DRIVER_TIMEOUT`] heartbeat timeout. While both heartbeat, their files stay; when
/// app A's driver closes, A's local dirs are deleted and B's files stay, fetchable.
pub async fn check_driver_registration_against(addr: SocketAddr) {
    let small = Shape { shuffle_id: 0, maps: 3, reduces: 4, map_id_base: 0 };
    let a = ShuffleFixture::write(small, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let b = ShuffleFixture::write(small, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let client = client(|c| c.driver_heartbeat_interval = Duration::from_millis(200));
    for (app, fixture) in [(APP, &a), (APP_B, &b)] {
        limit("register", client.register_executor(addr, app, EXEC, fixture.executor_info()))
            .await
            .unwrap_or_else(|e| panic!("RegisterExecutor of {app}: {e}"));
    }
    let register =
        |app| limit("register driver", client.register_driver(addr, app, DRIVER_TIMEOUT));
    let driver_a = register(APP).await.unwrap_or_else(|e| panic!("RegisterDriver: {e}"));
    let driver_b = register(APP_B).await.unwrap_or_else(|e| panic!("RegisterDriver: {e}"));
    tokio::time::sleep(DRIVER_TIMEOUT * 3 / 2).await;
    assert!(driver_a.heartbeats_sent() >= 10, "{} heartbeats", driver_a.heartbeats_sent());
    // The service never answers heartbeats, and keeps the connection.
    assert_eq!(driver_a.registrations(), 1);
    let exist = |f: &ShuffleFixture| f.local_dirs.iter().all(|d| std::path::Path::new(d).exists());
    assert!(exist(&a) && exist(&b), "heartbeats keep both applications' files");

    // A's driver goes silent: its files go within timeout + cleaner interval; B's stay.
    driver_a.close().await;
    let deadline = tokio::time::Instant::now() + DRIVER_TIMEOUT + Duration::from_secs(15);
    while a.local_dirs.iter().any(|d| std::path::Path::new(d).exists()) {
        assert!(tokio::time::Instant::now() < deadline, "app A's dirs were never deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exist(&b), "app B's files are untouched");
    let ids: Vec<String> =
        b.map_ids().flat_map(|m| (0..4).map(move |r| format!("shuffle_0_{m}_{r}"))).collect();
    let got: Vec<(String, Bytes)> =
        limit("fetch B", client.fetch_blocks(addr, APP_B, EXEC, ids).try_collect())
            .await
            .unwrap_or_else(|e| panic!("fetching app B: {e}"));
    assert_eq!(got.len(), 12);
    for (id, bytes) in got {
        let parts: Vec<&str> = id.split('_').collect();
        let (m, r) = (parts[2].parse().unwrap_or(-1), parts[3].parse().unwrap_or(-1));
        assert_eq!(bytes, b.block_bytes(m, r), "{id}");
    }
    driver_b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_jvm_external_shuffle_service() {
    if !require_real_spark() {
        return;
    }
    let service = JvmShuffleService::start(ServiceKind::Standalone, &[])
        .unwrap_or_else(|e| panic!("starting the JVM service: {e}"));
    check_client_against(service.addr()).await;
}

/// An application that registers a driver only to see the JVM service's cleaner run.
const PROBE_APP: &str = "app-cleaner-probe";

/// Starts Spark's Mesos shuffle service, cleaner every second (so a missed heartbeat shows
/// within the test), and restarts it until its cleaner is seen to expire an application.
///
/// Spark 3.5.6's `MesosExternalBlockHandler` schedules its first cleaner pass at delay 0
/// before its constructor has created the map of registered apps. When that pass wins the
/// race it throws, the scheduled executor silently cancels every later pass, and no
/// application ever times out on that JVM. A CI run hit this; the reference must not fail
/// our test for its own bug, so a probe driver with a 1 ms timeout checks the cleaner first.
async fn start_jvm_mesos_service_with_live_cleaner() -> JvmShuffleService {
    const ATTEMPTS: usize = 3;
    let expired = format!("Application {PROBE_APP} timed out");
    let client = client(|_| {});
    for attempt in 1..=ATTEMPTS {
        let service = tokio::task::block_in_place(|| {
            JvmShuffleService::start(
                ServiceKind::Mesos,
                &[("spark.shuffle.cleaner.interval", "1s")],
            )
        })
        .unwrap_or_else(|e| panic!("starting the JVM Mesos service: {e}"));
        let probe = limit(
            "register probe driver",
            client.register_driver(service.addr(), PROBE_APP, Duration::from_millis(1)),
        )
        .await
        .unwrap_or_else(|e| panic!("RegisterDriver of the probe: {e}"));
        probe.close().await;
        // Three cleaner intervals: one pass may run just before the registration lands.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while !service.log().contains(&expired) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if service.log().contains(&expired) {
            return service;
        }
        eprintln!("attempt {attempt}: the JVM service's cleaner never ran; restarting it");
    }
    panic!("the JVM Mesos service's cleaner did not run in {ATTEMPTS} starts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_registration_against_jvm_mesos_shuffle_service() {
    if !require_real_spark() {
        return;
    }
    let service = start_jvm_mesos_service_with_live_cleaner().await;
    check_driver_registration_against(service.addr()).await;
    let log = service.log();
    assert!(log.contains(&format!("Received registration request from app {APP}")), "{log}");
    assert!(log.contains(&format!("Application {APP} timed out")), "{log}");
    assert!(!log.contains(&format!("Application {APP_B} timed out")), "{log}");
}

/// Our daemon on a fresh state dir, started without blocking the runtime's other tasks.
fn start_daemon(conf: &[&str]) -> (Daemon, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("state dir: {e}"));
    let daemon = tokio::task::block_in_place(|| Daemon::start(state.path(), conf));
    (daemon, state)
}

/// Reads a metric of `daemon` (a blocking scrape) from async code.
fn metric(daemon: &Daemon, name: &str) -> Option<f64> {
    tokio::task::block_in_place(|| daemon.metric(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_our_daemon() {
    let (daemon, _state) = start_daemon(&[]);
    check_client_against(daemon.addr).await;
    assert_eq!(metric(&daemon, "registeredExecutorsSize"), Some(1.0), "{}", daemon.log());
    assert_eq!(metric(&daemon, "activeStreams"), Some(0.0), "{}", daemon.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_registration_against_our_daemon() {
    // Expiry checks every second, as in the JVM variant.
    let (daemon, _state) = start_daemon(&["spark.shuffle.cleaner.interval=1s"]);
    check_driver_registration_against(daemon.addr).await;
    let log = daemon.log();
    assert!(log.contains(&format!("Received registration request from app {APP}")), "{log}");
    assert!(log.contains(&format!("Application {APP} timed out")), "{log}");
    assert!(!log.contains(&format!("Application {APP_B} timed out")), "{log}");
    assert_eq!(metric(&daemon, "appsCleaned"), Some(1.0), "{log}");
    assert_eq!(metric(&daemon, "registeredExecutorsSize"), Some(1.0), "{log}");
}
