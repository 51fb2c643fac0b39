//! Our daemon driven by Spark 3.5.6's own `ExternalBlockStoreClient`
//! (`tests/java/interop/SparkShuffleDriver.java`): registration, every block of a generated
//! shuffle one by one, batched and through the stream path, RDD blocks, removal, local dirs,
//! corruption diagnosis, and registrations surviving kill -9.

use std::collections::BTreeMap;

use shuffle_tests::daemon::Daemon;
use shuffle_tests::fixture::{adler32, sha256_hex, Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::require_real_spark;
use shuffle_tests::spark_driver::{FetchOutcome, SparkDriver};

/// Registers executor `exec` with `dirs`, which must succeed.
fn register(spark: &mut SparkDriver, daemon: &Daemon, exec: &str, dirs: &[String]) {
    assert_eq!(spark.register(daemon.port(), exec, SUB_DIRS, dirs), "registered");
}

/// Fetches `ids`, which must run (each block may still fail on its own).
fn fetch(
    spark: &mut SparkDriver,
    daemon: &Daemon,
    exec: &str,
    mode: &str,
    ids: &[String],
) -> BTreeMap<String, FetchOutcome> {
    spark.fetch(daemon.port(), exec, mode, ids).expect("the fetch runs")
}

fn expect_bytes(got: &BTreeMap<String, FetchOutcome>, id: &str, bytes: &[u8]) {
    match got.get(id) {
        Some(Ok((len, sha))) => {
            assert_eq!(*len, bytes.len(), "{id}: length");
            assert_eq!(sha, &sha256_hex(bytes), "{id}: bytes");
        }
        other => panic!("{id}: expected {} bytes, got {other:?}", bytes.len()),
    }
}

fn shuffle_ids(fixture: &ShuffleFixture, maps: &[i64]) -> Vec<String> {
    let s = fixture.shape.shuffle_id;
    maps.iter()
        .flat_map(|&m| (0..fixture.shape.reduces).map(move |r| format!("shuffle_{s}_{m}_{r}")))
        .collect()
}

#[test]
fn spark_client_fetches_every_block_byte_exact() {
    if !require_real_spark() {
        return;
    }
    let state = tempfile::tempdir().expect("state dir");
    let daemon = Daemon::start(state.path(), &[]);
    let shape = Shape { shuffle_id: 3, maps: 100, reduces: 50, map_id_base: 7_000_000_000 };
    let fixture = ShuffleFixture::write(shape, 3).expect("writing the shuffle");
    let mut spark = SparkDriver::start("app-20261122-0001", &[]);
    register(&mut spark, &daemon, "1", &fixture.local_dirs);

    // One block per chunk, ten map outputs (500 blocks) per request.
    let maps: Vec<i64> = fixture.map_ids().collect();
    let mut largest = (0, 0, 0);
    for group in maps.chunks(10) {
        let got = fetch(&mut spark, &daemon, "1", "mem", &shuffle_ids(&fixture, group));
        assert_eq!(got.len(), group.len() * 50);
        for &m in group {
            for r in 0..shape.reduces {
                let bytes = fixture.block_bytes(m, r);
                largest = largest.max((bytes.len(), m, r));
                expect_bytes(&got, &format!("shuffle_3_{m}_{r}"), &bytes);
            }
        }
    }
    assert!(largest.0 > 2 << 20, "the fixture should hold multi-MiB blocks");

    // Batch fetch: whole map outputs and partial ranges, one chunk per map.
    let batches: Vec<(i64, i32, i32)> = maps
        .iter()
        .enumerate()
        .map(|(i, &m)| match i % 3 {
            0 => (m, 0, 50),
            1 => (m, 10, 11),
            _ => (m, 5, 37),
        })
        .collect();
    for group in batches.chunks(25) {
        let ids: Vec<String> =
            group.iter().map(|(m, a, b)| format!("shuffle_3_{m}_{a}_{b}")).collect();
        let got = fetch(&mut spark, &daemon, "1", "mem", &ids);
        for (id, &(m, a, b)) in ids.iter().zip(group) {
            expect_bytes(&got, id, &fixture.range_bytes(m, a, b));
        }
    }

    // The stream path (what Spark uses above maxRemoteBlockSizeFetchToMem), for the largest
    // block and an empty one.
    let (_, m, r) = largest;
    let empty = (0..shape.reduces).find(|&r| fixture.block_len(maps[0], r) == 0).expect("empty");
    let ids = vec![format!("shuffle_3_{m}_{r}"), format!("shuffle_3_{}_{empty}", maps[0])];
    let got = fetch(&mut spark, &daemon, "1", "stream", &ids);
    expect_bytes(&got, &ids[0], &fixture.block_bytes(m, r));
    expect_bytes(&got, &ids[1], &[]);

    // The daemon counted what it served.
    let chunks = daemon.metric("blockTransferMessageRate").expect("blockTransferMessageRate");
    assert!(chunks >= 5000.0 + 100.0 + 2.0, "blockTransferMessageRate {chunks}");
    assert_eq!(daemon.metric("registeredExecutorsSize"), Some(1.0));
}

#[test]
fn spark_client_rdd_blocks_remove_local_dirs_and_diagnosis() {
    if !require_real_spark() {
        return;
    }
    let state = tempfile::tempdir().expect("state dir");
    let daemon = Daemon::start(state.path(), &[]);
    let shape = Shape { shuffle_id: 0, maps: 2, reduces: 4, map_id_base: 0 };
    let fixture = ShuffleFixture::write(shape, 2).expect("writing the shuffle");
    let rdd: Vec<Vec<u8>> = [0usize, 1, 70_000, 3 << 20]
        .iter()
        .map(|&len| (0..len).map(|i| (i % 251) as u8).collect())
        .collect();
    for (i, bytes) in rdd.iter().enumerate() {
        fixture.put(&format!("rdd_9_{i}"), bytes).expect("writing an RDD block");
    }
    let mut spark = SparkDriver::start("app-rdd", &[]);
    register(&mut spark, &daemon, "4", &fixture.local_dirs);
    register(&mut spark, &daemon, "5", &fixture.local_dirs[..1]);

    let ids: Vec<String> = (0..4).map(|i| format!("rdd_9_{i}")).collect();
    let got = fetch(&mut spark, &daemon, "4", "mem", &ids);
    for (id, bytes) in ids.iter().zip(&rdd) {
        expect_bytes(&got, id, bytes);
    }
    let got = fetch(&mut spark, &daemon, "4", "mem", &["rdd_9_7".to_owned()]);
    assert!(matches!(&got["rdd_9_7"], Err(m) if m.contains("rdd_9_7")), "{got:?}");

    let removed =
        spark.one(&format!("remove 127.0.0.1 {} 4 rdd_9_3,rdd_9_8,../rdd_9_0", daemon.port()));
    assert_eq!(removed, "removed 1");
    assert!(!fixture.path_of("rdd_9_3").exists());
    assert!(fixture.path_of("rdd_9_0").exists());

    spark.send(&format!("localdirs 127.0.0.1 {} 4,5", daemon.port()));
    let mut dirs = [spark.line(), spark.line()];
    dirs.sort();
    assert_eq!(dirs[0], format!("dirs 4 {}", fixture.local_dirs.join(",")));
    assert_eq!(dirs[1], format!("dirs 5 {}", fixture.local_dirs[0]));
    let unknown = spark.one(&format!("localdirs 127.0.0.1 {} 4,6", daemon.port()));
    assert!(unknown.starts_with("error ") && unknown.contains('6'), "{unknown}");

    let block = fixture.block_bytes(1, 2);
    let good = adler32(&block);
    let diagnose = |spark: &mut SparkDriver, checksum: i64, algo: &str| {
        spark.one(&format!("diagnose 127.0.0.1 {} 4 0 1 2 {checksum} {algo}", daemon.port()))
    };
    assert_eq!(diagnose(&mut spark, good.into(), "ADLER32"), "cause CHECKSUM_VERIFY_PASS");
    assert_eq!(diagnose(&mut spark, i64::from(good) + 1, "ADLER32"), "cause NETWORK_ISSUE");
    assert_eq!(diagnose(&mut spark, good.into(), "MD5"), "cause UNSUPPORTED_CHECKSUM_ALGORITHM");
    // Corrupt the data on disk: the writer's checksum no longer matches the file.
    let data = fixture.path_of("shuffle_0_1_0.data");
    let mut bytes = std::fs::read(&data).expect("data file");
    let offset = (0..2).map(|r| fixture.block_len(1, r)).sum::<usize>();
    if !block.is_empty() {
        bytes[offset] ^= 0xff;
        std::fs::write(&data, bytes).expect("corrupting");
        assert_eq!(diagnose(&mut spark, good.into(), "ADLER32"), "cause DISK_ISSUE");
    }
}

#[test]
fn registrations_survive_kill_9() {
    if !require_real_spark() {
        return;
    }
    let state = tempfile::tempdir().expect("state dir");
    let shape = Shape { shuffle_id: 1, maps: 4, reduces: 6, map_id_base: 40 };
    let fixture = ShuffleFixture::write(shape, 2).expect("writing the shuffle");
    let ids = shuffle_ids(&fixture, &fixture.map_ids().collect::<Vec<_>>());

    let mut daemon = Daemon::start(state.path(), &[]);
    let mut spark = SparkDriver::start("app-restart", &[]);
    register(&mut spark, &daemon, "2", &fixture.local_dirs);
    daemon.kill9();

    let daemon = Daemon::start(state.path(), &[]);
    assert!(daemon.log().contains("executors=1"), "{}", daemon.log());
    let got = fetch(&mut spark, &daemon, "2", "mem", &ids);
    for m in fixture.map_ids() {
        for r in 0..shape.reduces {
            expect_bytes(&got, &format!("shuffle_1_{m}_{r}"), &fixture.block_bytes(m, r));
        }
    }
}

#[test]
fn sigterm_stops_the_daemon_with_status_0() {
    let state = tempfile::tempdir().expect("state dir");
    let mut daemon = Daemon::start(state.path(), &[]);
    let status = daemon.terminate();
    assert!(status.success(), "{status}; log:\n{}", daemon.log());
}
