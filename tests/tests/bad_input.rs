//! Bad input against the in-process daemon: every case gets its specified reply or loses
//! only its own connection, while a well-behaved client keeps being served byte-exact.
//!
//! Each table row runs on a connection of its own. After a row that keeps its connection, a
//! valid request on that same connection must get the right answer. After every row a
//! long-lived witness connection, opened before the first row, must still fetch blocks
//! byte-exact. The last test hammers the daemon with seeded random garbage on many
//! connections while a well-behaved client fetches throughout.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{
    ChunkFetchRequest, MergedBlockMetaRequest, OneWayMessage, RpcFailure, RpcRequest, RpcResponse,
    StreamRequest, UploadStream,
};
use shuffle_protocol::shuffle::{
    BlockPushReturnCode, BlockTransferMessage, BlocksRemoved, Cause, CorruptionCause,
    DiagnoseCorruption, ExecutorLocalDirs, ExecutorShuffleInfo, FetchShuffleBlockChunks,
    FetchShuffleBlocks, FinalizeShuffleMerge, GetLocalDirsForExecutors, LocalDirsForExecutors,
    OpenBlocks, PushBlockStream, RegisterExecutor, RemoveBlocks, RemoveShuffleMerge, ReturnCode,
    StreamHandle, UploadBlock, UploadBlockStream,
};
use shuffle_protocol::{Outbound, Request, Response};
use shuffle_tests::fixture::{Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::server::{RawClient, TestServer, SORT_SHUFFLE_MANAGER};

/// The registered application and executor; the fixture's shuffle 0 is theirs.
const APP: &str = "app-20240101000000-0001";
const EXEC: &str = "1";
/// Map ids 100, 101, 102 with 40 reduce partitions each; blocks (100, 4) and (102, 39) are
/// several MiB.
const SHAPE: Shape = Shape { shuffle_id: 0, maps: 3, reduces: 40, map_id_base: 100 };
/// Shuffle 1 of the same executor holds the damaged map outputs of [`write_bad_files`].
const BAD: i32 = 1;
/// Inbound frame limit of the framing test's daemon.
const MAX_FRAME: u64 = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Environment and helpers
// ---------------------------------------------------------------------------------------

/// A daemon with [`APP`]/[`EXEC`] registered over the fixture, plus a witness connection.
struct Env {
    server: TestServer,
    fixture: Arc<ShuffleFixture>,
    witness: RawClient,
}

impl Env {
    async fn start(configure: impl FnOnce(&mut shuffle_server::Config)) -> Self {
        let fixture = ShuffleFixture::write(SHAPE, 2).expect("writing the shuffle fixture");
        write_bad_files(&fixture);
        let server = TestServer::start(configure);
        let mut setup = server.connect().await;
        setup.register_executor(APP, EXEC, &fixture.local_dirs, SUB_DIRS).await;
        let witness = server.connect().await;
        Self { server, fixture: Arc::new(fixture), witness }
    }

    async fn connect(&self) -> RawClient {
        self.server.connect().await
    }

    /// The witness connection still fetches byte-exact over both paths.
    async fn check_witness(&mut self, case: &str) {
        let what = format!("witness after {case}");
        let blocks = [(100, vec![0, 1, 2]), (101, vec![3, 5])];
        fetch_good(&mut self.witness, &self.fixture, &blocks, false, Via::Chunk, &what).await;
        fetch_good(
            &mut self.witness,
            &self.fixture,
            &[(102, vec![0, 6])],
            true,
            Via::Stream,
            &what,
        )
        .await;
    }

    /// `client`'s connection still answers a valid RPC correctly.
    async fn check_usable(&self, client: &mut RawClient, case: &str) {
        let dirs = client.local_dirs(APP, &[EXEC]).await;
        assert_eq!(dirs, vec![self.fixture.local_dirs.clone()], "{case}: GetLocalDirs afterwards");
    }

    /// The registry holds exactly our executor, as registered, and the daemon never panicked.
    fn check_intact(&self) {
        self.server.assert_no_panics();
        let registry = self.server.state.registry();
        assert_eq!(registry.len(), 1, "registered executors");
        let info = registry
            .get(&shuffle_protocol::block_id::AppExecId::new(APP, EXEC))
            .expect("our executor is registered");
        assert_eq!(*info, self.fixture.executor_info(), "our executor's registration");
    }
}

/// The big-endian `i64` offsets of an index file.
fn index(offsets: &[i64]) -> Vec<u8> {
    offsets.iter().flat_map(|o| o.to_be_bytes()).collect()
}

/// Damaged map outputs of shuffle [`BAD`], one defect per map id.
fn write_bad_files(f: &ShuffleFixture) {
    let put = |name: String, bytes: &[u8]| {
        f.put(&name, bytes).expect("writing a damaged file");
    };
    // 200: nothing at all.
    // 201: an index, no data file.
    put(format!("shuffle_{BAD}_201_0.index"), &index(&[0, 5, 10]));
    // 202: an index of odd length.
    put(format!("shuffle_{BAD}_202_0.index"), &[0u8; 12]);
    put(format!("shuffle_{BAD}_202_0.data"), &[7u8; 10]);
    // 203: decreasing offsets.
    put(format!("shuffle_{BAD}_203_0.index"), &index(&[0, 10, 5]));
    put(format!("shuffle_{BAD}_203_0.data"), &[7u8; 10]);
    // 204: a data file shorter than the index says (reduce 0 fits, reduce 1 does not).
    put(format!("shuffle_{BAD}_204_0.index"), &index(&[0, 10, 20]));
    put(format!("shuffle_{BAD}_204_0.data"), b"0123456789abcde");
    // 205: a valid map output of two partitions.
    put(format!("shuffle_{BAD}_205_0.index"), &index(&[0, 3, 6]));
    put(format!("shuffle_{BAD}_205_0.data"), b"abcdef");
    // 206: a first offset that is not 0.
    put(format!("shuffle_{BAD}_206_0.index"), &index(&[4, 8]));
    put(format!("shuffle_{BAD}_206_0.data"), &[7u8; 8]);
    // 207: an empty index.
    put(format!("shuffle_{BAD}_207_0.index"), &[]);
    put(format!("shuffle_{BAD}_207_0.data"), &[]);
    // 208: a valid map output of partitions too large to be read into a reply (sendfile).
    let lens = (0..LARGE_PARTITIONS).map(large_partition_len);
    let offsets: Vec<i64> = std::iter::once(0)
        .chain(lens.scan(0, |end, len| {
            *end += len as i64;
            Some(*end)
        }))
        .collect();
    put(format!("shuffle_{BAD}_208_0.index"), &index(&offsets));
    put(format!("shuffle_{BAD}_208_0.data"), &large_map_output());
    // 209: two large partitions, the data file cut inside the second.
    put(format!("shuffle_{BAD}_209_0.index"), &index(&[0, 100_000, 200_000]));
    put(format!("shuffle_{BAD}_209_0.data"), &vec![9u8; 150_000]);
}

/// Partitions of map output 208 of shuffle [`BAD`]: more than a connection queues file bodies.
const LARGE_PARTITIONS: usize = 20;

/// Length of partition `r` of map output 208: above the size read into a reply (64 KiB).
fn large_partition_len(r: usize) -> usize {
    70_000 + r * 5_003
}

/// The data file of map output 208.
fn large_map_output() -> Vec<u8> {
    let len: usize = (0..LARGE_PARTITIONS).map(large_partition_len).sum();
    (0..len).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect()
}

/// How chunks are fetched: ChunkFetchRequest, or StreamRequest (Spark's path for large
/// fetch requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Chunk,
    Stream,
}

const BOTH: [Via; 2] = [Via::Chunk, Via::Stream];

async fn fetch(
    client: &mut RawClient,
    via: Via,
    stream_id: i64,
    index: i32,
) -> Result<Bytes, String> {
    match via {
        Via::Chunk => client.fetch_chunk(stream_id, index).await,
        Via::Stream => client.stream_request(&format!("{stream_id}_{index}")).await,
    }
}

fn fsb(exec: &str, shuffle_id: i32, map_ids: &[i64], reduce_ids: &[&[i32]], batch: bool) -> Btm {
    FetchShuffleBlocks {
        app_id: APP.to_owned(),
        exec_id: exec.to_owned(),
        shuffle_id,
        map_ids: map_ids.to_vec(),
        reduce_ids: reduce_ids.iter().map(|r| r.to_vec()).collect(),
        batch_fetch_enabled: batch,
    }
    .into()
}

fn open_blocks(app_id: &str, block_ids: &[&str]) -> Btm {
    OpenBlocks {
        app_id: app_id.to_owned(),
        exec_id: EXEC.to_owned(),
        block_ids: block_ids.iter().map(|&b| b.to_owned()).collect(),
    }
    .into()
}

type Btm = BlockTransferMessage;

/// Fetches blocks of the good shuffle (`(map_id, reduce_ids)`, or `(map_id, [start, end))`
/// with `batch`) in one stream and checks every chunk byte-exact.
async fn fetch_good(
    client: &mut RawClient,
    fixture: &ShuffleFixture,
    blocks: &[(i64, Vec<i32>)],
    batch: bool,
    via: Via,
    what: &str,
) {
    let map_ids: Vec<i64> = blocks.iter().map(|(m, _)| *m).collect();
    let reduce_ids: Vec<&[i32]> = blocks.iter().map(|(_, r)| r.as_slice()).collect();
    let mut want = Vec::new();
    for (map_id, reduces) in blocks {
        if batch {
            want.push(fixture.range_bytes(*map_id, reduces[0], reduces[1]));
        } else {
            want.extend(reduces.iter().map(|&r| fixture.block_bytes(*map_id, r)));
        }
    }
    let handle = client.open_stream(fsb(EXEC, 0, &map_ids, &reduce_ids, batch)).await;
    assert_eq!(handle.num_chunks as usize, want.len(), "{what}: numChunks");
    for (i, want) in want.iter().enumerate() {
        let got = fetch(client, via, handle.stream_id, i as i32).await;
        match got {
            Ok(got) => assert!(got == want[..], "{what}: chunk {i} differs ({} bytes)", got.len()),
            Err(e) => panic!("{what}: chunk {i} ({via:?}) failed: {e}"),
        }
    }
}

/// A frame: length prefix, type byte, payload.
fn frame(msg_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = ((9 + payload.len()) as i64).to_be_bytes().to_vec();
    out.push(msg_type);
    out.extend_from_slice(payload);
    out
}

fn wire(msg: &impl Outbound) -> Vec<u8> {
    msg.to_wire_bytes().to_vec()
}

fn assert_contains(text: &str, want: &str, case: &str) {
    assert!(text.contains(want), "{case}: {text:?} does not contain {want:?}");
}

// ---------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------

/// Bytes that break the framing: the daemon closes that connection and nothing else.
#[tokio::test]
async fn broken_framing_closes_only_its_connection() {
    let mut env = Env::start(|c| c.max_frame_len = MAX_FRAME).await;
    let valid = wire(&ChunkFetchRequest {
        stream_chunk_id: shuffle_protocol::block_id::StreamChunkId { stream_id: 1, chunk_index: 0 },
    });
    let rpc = wire(&RpcRequest { request_id: 9, body: open_blocks(APP, &["rdd_1_1"]).to_bytes() });
    let prefix = |len: i64| len.to_be_bytes().to_vec();
    let mut trailing = valid.clone();
    trailing[7] += 1;
    trailing.push(0);
    let negative_string = frame(6, &(-1i32).to_be_bytes());
    let mut negative_upload = Vec::new();
    negative_upload.extend_from_slice(&7i64.to_be_bytes());
    negative_upload.extend_from_slice(&0i32.to_be_bytes());
    negative_upload.extend_from_slice(&(-5i64).to_be_bytes());

    // (case, bytes, then half-close). Length prefixes out of bounds are sent alone: the
    // daemon must give up on the 8 bytes, without waiting for (or reserving) what they claim.
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("3 bytes of a length prefix, then EOF", vec![0, 0, 0], true),
        ("a frame cut in its header, then EOF", valid[..15].to_vec(), true),
        ("an RpcRequest cut in its body, then EOF", rpc[..rpc.len() - 1].to_vec(), true),
        ("a length prefix only, then EOF", valid[..8].to_vec(), true),
        ("frame length 0", prefix(0), false),
        ("frame length 1", prefix(1), false),
        ("frame length 8 (no type byte)", prefix(8), false),
        ("frame length 9: an RpcRequest without its header", frame(3, &[]), false),
        ("frame length -1", prefix(-1), false),
        ("frame length i64::MIN", prefix(i64::MIN), false),
        ("frame length 1 TiB", prefix(1 << 40), false),
        ("frame length i64::MAX", prefix(i64::MAX), false),
        ("frame length maxFrameLength + 1", prefix(MAX_FRAME as i64 + 1), false),
        ("unknown Message.Type 0x7f", frame(0x7f, &[0; 12]), false),
        ("Message.Type 0xff (User)", frame(0xff, &[0; 12]), false),
        ("unknown Message.Type 13", frame(13, &[]), false),
        (
            "RpcResponse sent to the server",
            wire(&RpcResponse { request_id: 1, body: Bytes::new() }),
            false,
        ),
        (
            "RpcFailure sent to the server",
            wire(&RpcFailure { request_id: 1, error_string: "x".into() }),
            false,
        ),
        ("ChunkFetchSuccess sent to the server", frame(1, &[0; 15]), false),
        ("StreamResponse sent to the server", frame(7, &[0; 12]), false),
        ("a ChunkFetchRequest with trailing bytes in its frame", trailing, false),
        ("a ChunkFetchRequest frame too short for its header", frame(0, &[0; 5]), false),
        ("a StreamRequest with a negative string length", negative_string, false),
        ("an UploadStream with a negative body byte count", frame(10, &negative_upload), false),
    ];
    for (case, bytes, half_close) in cases {
        let mut client = env.connect().await;
        client.send_raw(&bytes).await;
        if half_close {
            client.finish_sending().await;
        }
        client.expect_closed().await;
        env.check_witness(case).await;
    }

    // Exactly maxFrameLength is still a frame: an RpcRequest with an undecodable body gets
    // its RpcFailure, a OneWayMessage none, and the connection stays usable.
    let mut client = env.connect().await;
    let body = Bytes::from(vec![99u8; MAX_FRAME as usize - 9 - 12]);
    let at_max = RpcRequest { request_id: 5, body };
    assert_eq!(at_max.to_wire_bytes().len() as u64, MAX_FRAME);
    client.send(&at_max).await;
    match client.response().await {
        Response::RpcFailure(f) if f.request_id == 5 => {
            assert_contains(&f.error_string, "unknown block transfer message type 99", "at max")
        }
        other => panic!("RpcRequest of maxFrameLength: got {other:?}"),
    }
    let one_way = OneWayMessage { body: Bytes::from(vec![99u8; MAX_FRAME as usize - 9 - 4]) };
    assert_eq!(one_way.to_wire_bytes().len() as u64, MAX_FRAME);
    client.send(&one_way).await;
    env.check_usable(&mut client, "frames of exactly maxFrameLength").await;
    env.check_witness("frames of exactly maxFrameLength").await;
    env.check_intact();
}

// ---------------------------------------------------------------------------------------
// RPCs that fail
// ---------------------------------------------------------------------------------------

/// RPC bodies that fail the RPC with a reason; the connection stays usable.
#[tokio::test]
async fn bad_rpcs_fail_and_keep_the_connection() {
    let mut env = Env::start(|_| {}).await;
    let local_dirs = |app: &str, execs: &[&str]| -> Bytes {
        Btm::from(GetLocalDirsForExecutors {
            app_id: app.to_owned(),
            exec_ids: execs.iter().map(|&e| e.to_owned()).collect(),
        })
        .to_bytes()
    };
    let open = open_blocks(APP, &["shuffle_0_100_1", "shuffle_0_100_2"]).to_bytes();
    let mut trailing = BytesMut::from(&local_dirs(APP, &[EXEC])[..]);
    trailing.put_u8(0);
    let mut too_long = BytesMut::new();
    too_long.put_u8(0);
    too_long.put_i32(100);
    too_long.put_slice(b"a");
    let mut negative_count = BytesMut::new();
    negative_count.put_u8(0);
    negative_count.put_slice(&[0, 0, 0, 1, b'a', 0, 0, 0, 1, b'1']);
    negative_count.put_i32(-1);
    let mut bad_utf8 = BytesMut::new();
    bad_utf8.put_u8(10);
    bad_utf8.put_i32(2);
    bad_utf8.put_slice(&[0xff, 0xfe]);
    bad_utf8.put_i32(0);
    let mut mismatched = FetchShuffleBlocks {
        app_id: APP.to_owned(),
        exec_id: EXEC.to_owned(),
        shuffle_id: 0,
        map_ids: vec![100, 101],
        reduce_ids: vec![vec![0], vec![1]],
        batch_fetch_enabled: false,
    };
    mismatched.reduce_ids.pop();
    let unknown_exec = |exec: &str| -> Bytes {
        Btm::from(RemoveBlocks {
            app_id: APP.to_owned(),
            exec_id: exec.to_owned(),
            block_ids: vec!["rdd_1_1".into()],
        })
        .to_bytes()
    };
    let diagnose = Btm::from(DiagnoseCorruption {
        app_id: APP.to_owned(),
        exec_id: "404".to_owned(),
        shuffle_id: 0,
        map_id: 100,
        reduce_id: 0,
        checksum: 1,
        algorithm: "ADLER32".to_owned(),
    });
    let b = |m: Btm| m.to_bytes();

    // (case, RPC body, text the RpcFailure must contain)
    let cases: Vec<(&str, Bytes, &str)> = vec![
        // Bodies that do not decode.
        ("BlockTransferMessage type 99", Bytes::from_static(&[99]), "message type 99"),
        ("BlockTransferMessage type 20", Bytes::from_static(&[20, 0, 0]), "message type 20"),
        ("BlockTransferMessage type 0x7f", Bytes::from_static(&[0x7f]), "message type 127"),
        ("BlockTransferMessage type 0xff", Bytes::from_static(&[0xff; 9]), "message type 255"),
        ("an empty body", Bytes::new(), "truncated"),
        ("an OpenBlocks cut short", open.slice(..open.len() - 3), "OpenBlocks.blockIds"),
        ("an OpenBlocks with only its type byte", open.slice(..1), "truncated"),
        ("a string longer than the body", too_long.freeze(), "claims 100"),
        ("a negative array count", negative_count.freeze(), "negative length -1"),
        ("an app id that is not UTF-8", bad_utf8.freeze(), "not valid UTF-8"),
        ("a valid message with trailing bytes", trailing.freeze(), "trailing bytes"),
        // OpenBlocks ids.
        ("OpenBlocks broadcast_1", b(open_blocks(APP, &["broadcast_1"])), "broadcast_1"),
        ("OpenBlocks shuffle_0_x_1", b(open_blocks(APP, &["shuffle_0_x_1"])), "shuffle_0_x_1"),
        ("OpenBlocks shuffle_0_1", b(open_blocks(APP, &["shuffle_0_1"])), "shuffle_0_1"),
        ("OpenBlocks an empty id", b(open_blocks(APP, &[""])), "invalid block id"),
        ("OpenBlocks shuffle_-1_1_2", b(open_blocks(APP, &["shuffle_-1_1_2"])), "invalid block"),
        (
            "OpenBlocks shuffle then rdd",
            b(open_blocks(APP, &["shuffle_0_100_1", "rdd_1_2"])),
            "same form as shuffle_0_100_1, got rdd_1_2",
        ),
        (
            "OpenBlocks rdd then shuffle",
            b(open_blocks(APP, &["rdd_1_2", "shuffle_0_100_1"])),
            "same form",
        ),
        (
            "OpenBlocks two shuffle ids",
            b(open_blocks(APP, &["shuffle_0_100_1", "shuffle_1_100_1"])),
            "same form",
        ),
        (
            "OpenBlocks a good id then a bad one",
            b(open_blocks(APP, &["shuffle_0_100_1", "broadcast_7"])),
            "broadcast_7",
        ),
        (
            "OpenBlocks a batch id",
            b(open_blocks(APP, &["shuffle_0_100_0_5"])),
            "Unexpected block id format for OpenBlocks: shuffle_0_100_0_5",
        ),
        (
            "OpenBlocks a shuffle and a batch id",
            b(open_blocks(APP, &["shuffle_0_100_0", "shuffle_0_100_0_5"])),
            "shuffle_0_100_0_5",
        ),
        (
            "OpenBlocks a data file id",
            b(open_blocks(APP, &["shuffle_0_100_0.data"])),
            "Unexpected block id format",
        ),
        (
            "OpenBlocks a map id beyond i32",
            b(open_blocks(APP, &["shuffle_0_2147483648_0"])),
            "map id of shuffle_0_2147483648_0 is not an int",
        ),
        (
            "OpenBlocks a good id then a map id beyond i32",
            b(open_blocks(APP, &["shuffle_0_100_0", "shuffle_0_4294967296_0"])),
            "not an int",
        ),
        // FetchShuffleBlocks shapes.
        ("FetchShuffleBlocks 2 map ids, 1 reduce list", b(mismatched.into()), "differ in length"),
        (
            "FetchShuffleBlocks 1 map id, 2 reduce lists",
            encode_fsb_raw(&[100], &[&[0], &[1]], false),
            "differ in length",
        ),
        (
            "batch FetchShuffleBlocks with 1 reduce id",
            b(fsb(EXEC, 0, &[100], &[&[0]], true)),
            "needs [start, end) reduce ids",
        ),
        (
            "batch FetchShuffleBlocks with 3 reduce ids",
            b(fsb(EXEC, 0, &[100, 101], &[&[0, 2], &[0, 1, 2]], true)),
            "batch fetch of map 101",
        ),
        (
            "batch FetchShuffleBlocks with no reduce ids",
            b(fsb(EXEC, 0, &[100], &[&[]], true)),
            "needs [start, end)",
        ),
        // Unknown executors.
        ("RemoveBlocks, unknown executor", unknown_exec("404"), "Executor is not registered"),
        (
            "GetLocalDirsForExecutors, unknown executor",
            local_dirs(APP, &["404"]),
            "Executor is not registered",
        ),
        (
            "GetLocalDirsForExecutors, known then unknown executor",
            local_dirs(APP, &[EXEC, "404"]),
            "execId=404",
        ),
        (
            "GetLocalDirsForExecutors, unknown app",
            local_dirs("app-unknown", &[EXEC]),
            "appId=app-unknown",
        ),
        ("DiagnoseCorruption, unknown executor", b(diagnose), "Executor is not registered"),
        // Messages the service refuses.
        (
            "FinalizeShuffleMerge",
            b(FinalizeShuffleMerge {
                app_id: APP.to_owned(),
                app_attempt_id: 0,
                shuffle_id: 0,
                shuffle_merge_id: 0,
            }
            .into()),
            "FinalizeShuffleMerge is not supported",
        ),
        (
            "FetchShuffleBlockChunks",
            b(FetchShuffleBlockChunks {
                app_id: APP.to_owned(),
                exec_id: EXEC.to_owned(),
                shuffle_id: 0,
                shuffle_merge_id: 0,
                reduce_ids: vec![0],
                chunk_ids: vec![vec![0]],
            }
            .into()),
            "FetchShuffleBlockChunks is not supported",
        ),
        ("PushBlockStream as an RPC", b(push_block_stream(APP).into()), "not supported"),
        (
            "RemoveShuffleMerge as an RPC",
            b(RemoveShuffleMerge {
                app_id: APP.to_owned(),
                app_attempt_id: 0,
                shuffle_id: 0,
                shuffle_merge_id: 0,
            }
            .into()),
            "not supported",
        ),
        (
            "UploadBlock",
            b(UploadBlock {
                app_id: APP.to_owned(),
                exec_id: EXEC.to_owned(),
                block_id: "rdd_1_1".to_owned(),
                metadata: Bytes::from_static(b"meta"),
                block_data: Bytes::from_static(b"data"),
            }
            .into()),
            "Unexpected message: UploadBlock",
        ),
        (
            "UploadBlockStream as an RPC",
            b(UploadBlockStream { block_id: "rdd_1_1".into(), metadata: Bytes::new() }.into()),
            "Unexpected message: UploadBlockStream",
        ),
        (
            "StreamHandle (a response)",
            b(StreamHandle { stream_id: 1, num_chunks: 1 }.into()),
            "Unexpected message: StreamHandle",
        ),
        (
            "BlocksRemoved (a response)",
            b(BlocksRemoved { num_removed_blocks: 1 }.into()),
            "Unexpected message: BlocksRemoved",
        ),
        (
            "LocalDirsForExecutors (a response)",
            b(LocalDirsForExecutors {
                executors: vec![ExecutorLocalDirs { exec_id: EXEC.into(), local_dirs: vec![] }],
            }
            .into()),
            "Unexpected message: LocalDirsForExecutors",
        ),
        (
            "CorruptionCause (a response)",
            b(CorruptionCause { cause: Cause::DiskIssue }.into()),
            "Unexpected message: CorruptionCause",
        ),
        (
            "BlockPushReturnCode (a response)",
            b(BlockPushReturnCode {
                return_code: ReturnCode::Success,
                failure_block_id: String::new(),
            }
            .into()),
            "Unexpected message: BlockPushReturnCode",
        ),
    ];
    for (case, body, want) in cases {
        let mut client = env.connect().await;
        let reason = client.rpc_failure(body).await;
        assert_contains(&reason, want, case);
        env.check_usable(&mut client, case).await;
        env.check_witness(case).await;
    }
    env.check_intact();
}

/// A FetchShuffleBlocks body written field by field, so that lengths may disagree.
fn encode_fsb_raw(map_ids: &[i64], reduce_ids: &[&[i32]], batch: bool) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_u8(9);
    for s in [APP, EXEC] {
        buf.put_i32(s.len() as i32);
        buf.put_slice(s.as_bytes());
    }
    buf.put_i32(0);
    buf.put_i32(map_ids.len() as i32);
    map_ids.iter().for_each(|&m| buf.put_i64(m));
    buf.put_i32(reduce_ids.len() as i32);
    for r in reduce_ids {
        buf.put_i32(r.len() as i32);
        r.iter().for_each(|&x| buf.put_i32(x));
    }
    buf.put_u8(u8::from(batch));
    buf.freeze()
}

fn push_block_stream(app_id: &str) -> PushBlockStream {
    PushBlockStream {
        app_id: app_id.to_owned(),
        app_attempt_id: 0,
        shuffle_id: 0,
        shuffle_merge_id: 0,
        map_index: 0,
        reduce_id: 0,
        index: 0,
    }
}

/// Transport requests of push-based shuffle: RpcFailure; an UploadStream also closes its
/// connection, since its body is never read.
#[tokio::test]
async fn push_requests_are_refused() {
    let mut env = Env::start(|_| {}).await;
    let upload = |meta: Bytes, body_byte_count: u64| -> Request {
        UploadStream { request_id: 77, meta, body_byte_count }.into()
    };
    let push_meta = Btm::from(push_block_stream(APP)).to_bytes();
    let other_meta =
        Btm::from(UploadBlockStream { block_id: "rdd_1_1".into(), metadata: Bytes::new() })
            .to_bytes();
    // (case, request, text the RpcFailure must contain, whether the connection then closes).
    // UploadStream bodies are announced but not sent: the daemon must answer the header alone.
    let cases: Vec<(&str, Request, &str, bool)> = vec![
        (
            "MergedBlockMetaRequest",
            MergedBlockMetaRequest {
                request_id: 77,
                app_id: APP.to_owned(),
                shuffle_id: 0,
                shuffle_merge_id: 0,
                reduce_id: 0,
            }
            .into(),
            "MergedBlockMetaRequest is not supported",
            false,
        ),
        (
            "UploadStream of a PushBlockStream",
            upload(push_meta.clone(), 1000),
            "PushBlockStream is not supported",
            true,
        ),
        (
            "UploadStream of a PushBlockStream, empty body",
            upload(push_meta, 0),
            "PushBlockStream is not supported",
            true,
        ),
        (
            "UploadStream of an UploadBlockStream",
            upload(other_meta, 10),
            "Unexpected message",
            true,
        ),
        (
            "UploadStream with undecodable meta",
            upload(Bytes::from_static(&[99, 1, 2]), 10),
            "message type 99",
            true,
        ),
        ("UploadStream with empty meta", upload(Bytes::new(), 10), "truncated", true),
    ];
    for (case, request, want, closes) in cases {
        let mut client = env.connect().await;
        client.send(&request).await;
        match client.response().await {
            Response::RpcFailure(f) => {
                assert_eq!(f.request_id, 77, "{case}: request id");
                assert_contains(&f.error_string, want, case);
            }
            other => panic!("{case}: expected an RpcFailure, got {other:?}"),
        }
        if closes {
            client.expect_closed().await;
        } else {
            env.check_usable(&mut client, case).await;
        }
        env.check_witness(case).await;
    }
    env.check_intact();
}

/// OneWayMessages are never answered, whatever they hold, and never act.
#[tokio::test]
async fn one_way_garbage_gets_no_reply() {
    let mut env = Env::start(|_| {}).await;
    let open = open_blocks(APP, &["shuffle_0_100_1"]).to_bytes();
    let register = Btm::from(RegisterExecutor {
        app_id: "app-one-way".into(),
        exec_id: "9".into(),
        executor_info: ExecutorShuffleInfo {
            local_dirs: vec!["/nonexistent".into()],
            sub_dirs_per_local_dir: 64,
            shuffle_manager: SORT_SHUFFLE_MANAGER.into(),
        },
    })
    .to_bytes();
    let remove_merge = Btm::from(RemoveShuffleMerge {
        app_id: APP.to_owned(),
        app_attempt_id: 0,
        shuffle_id: 0,
        shuffle_merge_id: 0,
    })
    .to_bytes();
    let cases: Vec<(&str, Bytes)> = vec![
        ("an empty body", Bytes::new()),
        ("type 99", Bytes::from_static(&[99])),
        ("0xff garbage", Bytes::from_static(&[0xff; 40])),
        ("an OpenBlocks cut short", open.slice(..open.len() - 2)),
        ("a whole OpenBlocks", open),
        ("a RegisterExecutor", register),
        ("a RemoveShuffleMerge", remove_merge),
    ];
    for (case, body) in cases {
        let mut client = env.connect().await;
        client.send(&OneWayMessage { body }).await;
        // Replies go out in request order, so the next reply must answer this RPC.
        env.check_usable(&mut client, case).await;
        env.check_witness(case).await;
    }
    // Nothing was registered, and no stream was opened on behalf of a one-way message.
    env.check_intact();
    assert_eq!(env.server.state.streams().len(), 0, "open streams");
}

// ---------------------------------------------------------------------------------------
// Chunk fetch failures
// ---------------------------------------------------------------------------------------

/// What one chunk of a stream must give.
#[derive(Debug, Clone)]
enum Want {
    Bytes(Vec<u8>),
    Fails(&'static str),
}

/// Streams open fine whatever their blocks (lookup is lazy, as in Spark); each bad block
/// fails its own chunk with a reason, over both fetch paths, and the connection goes on.
#[tokio::test]
async fn bad_blocks_fail_their_chunks() {
    let mut env = Env::start(|_| {}).await;
    let good = |m: i64, r: i32| Want::Bytes(env.fixture.block_bytes(m, r));
    let unregistered = "Executor is not registered";
    let cases: Vec<(&str, Btm, Vec<Want>)> = vec![
        (
            "FetchShuffleBlocks, unregistered executor",
            fsb("404", 0, &[100], &[&[0, 1]], false),
            vec![Want::Fails(unregistered), Want::Fails(unregistered)],
        ),
        (
            "batch FetchShuffleBlocks, unregistered executor",
            fsb("404", 0, &[100], &[&[0, 2]], true),
            vec![Want::Fails(unregistered)],
        ),
        (
            "OpenBlocks, unregistered application",
            open_blocks("app-unknown", &["shuffle_0_100_0"]),
            vec![Want::Fails("appId=app-unknown")],
        ),
        (
            "missing index file",
            fsb(EXEC, BAD, &[200], &[&[0]], false),
            vec![Want::Fails("shuffle_1_200_0.index")],
        ),
        (
            "missing data file",
            fsb(EXEC, BAD, &[201], &[&[0, 1]], false),
            vec![Want::Fails("shuffle_1_201_0.data"), Want::Fails("No such file")],
        ),
        (
            "index file of odd length",
            fsb(EXEC, BAD, &[202], &[&[0]], false),
            vec![Want::Fails("length 12 is not a positive multiple of 8")],
        ),
        (
            "empty index file",
            fsb(EXEC, BAD, &[207], &[&[0]], false),
            vec![Want::Fails("length 0 is not a positive multiple of 8")],
        ),
        (
            "index offsets decreasing",
            fsb(EXEC, BAD, &[203], &[&[0]], false),
            vec![Want::Fails("smaller than the one before")],
        ),
        (
            "index not starting at 0",
            fsb(EXEC, BAD, &[206], &[&[0]], false),
            vec![Want::Fails("first offset is 4")],
        ),
        (
            "data file shorter than the index says",
            fsb(EXEC, BAD, &[204], &[&[0, 1]], false),
            vec![Want::Bytes(b"0123456789".to_vec()), Want::Fails("has 15 bytes")],
        ),
        (
            "batch past the data file's end",
            fsb(EXEC, BAD, &[204], &[&[0, 2]], true),
            vec![Want::Fails("has 15 bytes")],
        ),
        (
            "reduce id beyond the index",
            fsb(EXEC, BAD, &[205], &[&[1, 2, 1]], false),
            vec![
                Want::Bytes(b"def".to_vec()),
                Want::Fails("outside the 2 partitions"),
                Want::Bytes(b"def".to_vec()),
            ],
        ),
        (
            "negative reduce id",
            fsb(EXEC, BAD, &[205], &[&[-1]], false),
            vec![Want::Fails("outside the 2 partitions")],
        ),
        (
            "batch range beyond the index",
            fsb(EXEC, BAD, &[205], &[&[0, 3]], true),
            vec![Want::Fails("[0, 3)")],
        ),
        (
            "batch range backwards",
            fsb(EXEC, BAD, &[205], &[&[2, 1]], true),
            vec![Want::Fails("[2, 1)")],
        ),
        (
            "map id with no output",
            fsb(EXEC, 0, &[999], &[&[0]], false),
            vec![Want::Fails("shuffle_0_999_0.index")],
        ),
        (
            "good and bad maps in one stream",
            fsb(EXEC, 0, &[100, 999, 101], &[&[1], &[0], &[2]], false),
            vec![good(100, 1), Want::Fails("shuffle_0_999_0.index"), good(101, 2)],
        ),
        (
            "OpenBlocks good and out-of-range shuffle blocks",
            open_blocks(APP, &["shuffle_0_100_40", "shuffle_0_100_3"]),
            vec![Want::Fails("outside the 40 partitions"), good(100, 3)],
        ),
        (
            "OpenBlocks a missing RDD block",
            open_blocks(APP, &["rdd_9_9"]),
            vec![Want::Fails("Chunk was not found")],
        ),
        (
            "OpenBlocks a merged shuffle chunk",
            open_blocks(APP, &["shuffleChunk_0_0_0_0"]),
            vec![Want::Fails("cannot be served")],
        ),
    ];
    for (case, open, chunks) in cases {
        for via in BOTH {
            let what = format!("{case} ({via:?})");
            let mut client = env.connect().await;
            let handle = client.open_stream(open.clone()).await;
            assert_eq!(handle.num_chunks as usize, chunks.len(), "{what}: numChunks");
            for (i, want) in chunks.iter().enumerate() {
                let got = fetch(&mut client, via, handle.stream_id, i as i32).await;
                match (got, want) {
                    (Ok(got), Want::Bytes(want)) => {
                        assert!(got == want[..], "{what}: chunk {i} differs")
                    }
                    (Err(reason), Want::Fails(text)) => assert_contains(&reason, text, &what),
                    (got, want) => panic!("{what}: chunk {i}: wanted {want:?}, got {got:?}"),
                }
            }
            // The same connection keeps fetching good blocks.
            fetch_good(&mut client, &env.fixture, &[(101, vec![7, 8])], false, via, &what).await;
            env.check_witness(&what).await;
        }
    }
    env.check_intact();
}

/// A chunk request that does not fit a stream the connection may read.
#[derive(Debug, Clone, Copy)]
enum BadFetch {
    /// A stream id never handed out.
    UnknownStream(i64),
    /// Chunk `index` of a fresh stream of 3 chunks, before chunk 0.
    OutOfOrder(i32),
    /// The chunk after the last of a 3-chunk stream, once all 3 were taken.
    PastTheEnd,
    /// A stream of another connection, which has closed since.
    ClosedConnection,
    /// A StreamRequest id that is not `<streamId>_<chunkIndex>`.
    Malformed(&'static str),
}

/// Chunk fetches pipelined on one connection, most large enough to go by sendfile, come back
/// in order and byte-exact around a chunk whose file is cut short: past the number of file
/// bodies a connection queues, and with files kept open or not.
#[tokio::test]
async fn pipelined_fetches_answer_in_order_around_bad_blocks() {
    for max_open_files in [1024, 2] {
        let mut env = Env::start(|c| c.max_open_files = Some(max_open_files)).await;
        let case = format!("maxOpenFiles {max_open_files}");
        let data = large_map_output();
        let mut want = Vec::new();
        let mut start = 0;
        for r in 0..LARGE_PARTITIONS {
            let end = start + large_partition_len(r);
            want.push(Want::Bytes(data[start..end].to_vec()));
            start = end;
        }
        want.push(Want::Bytes(vec![9u8; 100_000]));
        want.push(Want::Fails("has 150000 bytes"));
        want.push(Want::Bytes(b"abc".to_vec()));
        want.push(Want::Bytes(b"def".to_vec()));
        let all: Vec<i32> = (0..LARGE_PARTITIONS as i32).collect();
        let mut client = env.connect().await;
        for _ in 0..2 {
            let blocks = fsb(EXEC, BAD, &[208, 209, 205], &[&all, &[0, 1], &[0, 1]], false);
            let handle = client.open_stream(blocks).await;
            assert_eq!(handle.num_chunks as usize, want.len(), "{case}: numChunks");
            for i in 0..want.len() {
                let id = StreamChunkId { stream_id: handle.stream_id, chunk_index: i as i32 };
                client.send(&ChunkFetchRequest { stream_chunk_id: id }).await;
            }
            for (i, want) in want.iter().enumerate() {
                let id = StreamChunkId { stream_id: handle.stream_id, chunk_index: i as i32 };
                match (client.response().await, want) {
                    (Response::ChunkFetchSuccess(got), Want::Bytes(bytes)) => {
                        assert_eq!(got.stream_chunk_id, id, "{case}: chunk order");
                        assert!(got.body == bytes[..], "{case}: chunk {i} differs");
                    }
                    (Response::ChunkFetchFailure(got), Want::Fails(reason)) => {
                        assert_eq!(got.stream_chunk_id, id, "{case}: chunk order");
                        assert_contains(&got.error_string, reason, &case);
                    }
                    (got, _) => panic!("{case}: chunk {i}: unexpected {got:?}"),
                }
            }
        }
        env.check_usable(&mut client, &case).await;
        env.check_witness(&case).await;
        env.check_intact();
    }
}

/// Wrong stream ids and chunk indexes fail with ChunkFetchFailure or StreamFailure; a
/// refused request leaves the stream as it was.
#[tokio::test]
async fn bad_stream_and_chunk_ids_fail() {
    let mut env = Env::start(|_| {}).await;
    let three = || fsb(EXEC, 0, &[100], &[&[5, 6, 7]], false);
    let cases: Vec<(&str, Via, BadFetch, &str)> = vec![
        ("unknown stream -1", Via::Chunk, BadFetch::UnknownStream(-1), "streamId -1 is closed"),
        ("unknown stream MIN", Via::Chunk, BadFetch::UnknownStream(i64::MIN), "is closed"),
        ("unknown stream -5", Via::Stream, BadFetch::UnknownStream(-5), "streamId -5 is closed"),
        ("chunk 1 first", Via::Chunk, BadFetch::OutOfOrder(1), "out-of-order chunk index 1"),
        ("chunk 1 first", Via::Stream, BadFetch::OutOfOrder(1), "out-of-order chunk index 1"),
        ("chunk 7 of 3", Via::Chunk, BadFetch::OutOfOrder(7), "out-of-order chunk index 7"),
        ("chunk 7 of 3", Via::Stream, BadFetch::OutOfOrder(7), "out-of-order"),
        ("chunk -1", Via::Chunk, BadFetch::OutOfOrder(-1), "out-of-order chunk index -1"),
        ("chunk i32::MAX", Via::Stream, BadFetch::OutOfOrder(i32::MAX), "out-of-order"),
        ("chunk 3 of 3", Via::Chunk, BadFetch::PastTheEnd, "is closed"),
        ("chunk 3 of 3", Via::Stream, BadFetch::PastTheEnd, "is closed"),
        ("closed connection's stream", Via::Chunk, BadFetch::ClosedConnection, "is closed"),
        ("closed connection's stream", Via::Stream, BadFetch::ClosedConnection, "is closed"),
        ("id abc", Via::Stream, BadFetch::Malformed("abc"), "invalid stream chunk id \"abc\""),
        ("id 1_x", Via::Stream, BadFetch::Malformed("1_x"), "invalid stream chunk id"),
        ("id x_1", Via::Stream, BadFetch::Malformed("x_1"), "invalid stream chunk id"),
        ("empty id", Via::Stream, BadFetch::Malformed(""), "invalid stream chunk id"),
        ("id _", Via::Stream, BadFetch::Malformed("_"), "invalid stream chunk id"),
        ("id 1_2_3", Via::Stream, BadFetch::Malformed("1_2_3"), "invalid stream chunk id"),
        (
            "id beyond i64",
            Via::Stream,
            BadFetch::Malformed("9223372036854775808_0"),
            "invalid stream chunk id",
        ),
        ("id with spaces", Via::Stream, BadFetch::Malformed(" 1_0"), "invalid stream chunk id"),
    ];
    for (case, via, bad, want) in cases {
        let what = format!("{case} ({via:?})");
        let mut client = env.connect().await;
        let reason = match bad {
            BadFetch::UnknownStream(id) => fetch(&mut client, via, id, 0).await,
            BadFetch::OutOfOrder(index) => {
                let handle = client.open_stream(three()).await;
                let reason = fetch(&mut client, via, handle.stream_id, index).await;
                // Refusing it did not move the stream: chunks 0, 1, 2 still come in order.
                for (i, r) in [5, 6, 7].into_iter().enumerate() {
                    let got = fetch(&mut client, via, handle.stream_id, i as i32).await;
                    let got = got.unwrap_or_else(|e| panic!("{what}: chunk {i} afterwards: {e}"));
                    assert!(got == env.fixture.block_bytes(100, r)[..], "{what}: chunk {i}");
                }
                reason
            }
            BadFetch::PastTheEnd => {
                let handle = client.open_stream(three()).await;
                for i in 0..3 {
                    let got = fetch(&mut client, via, handle.stream_id, i).await;
                    assert!(got.is_ok(), "{what}: chunk {i}: {got:?}");
                }
                fetch(&mut client, via, handle.stream_id, 3).await
            }
            BadFetch::ClosedConnection => {
                let mut owner = env.connect().await;
                let handle = owner.open_stream(three()).await;
                // The daemon drops a connection's streams before it closes the socket, so
                // once the close is seen here, the stream is gone.
                owner.finish_sending().await;
                owner.expect_closed().await;
                fetch(&mut client, via, handle.stream_id, 0).await
            }
            BadFetch::Malformed(id) => client.stream_request(id).await,
        };
        match reason {
            Err(reason) => assert_contains(&reason, want, &what),
            Ok(bytes) => panic!("{what}: expected a failure, got {} bytes", bytes.len()),
        }
        fetch_good(&mut client, &env.fixture, &[(101, vec![9])], false, via, &what).await;
        env.check_witness(&what).await;
    }
    env.check_intact();
}

// ---------------------------------------------------------------------------------------
// Garbage under load
// ---------------------------------------------------------------------------------------

/// splitmix64: a tiny seeded generator, so every run sends the same garbage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The application garbage names. Its id has another length than [`APP`], so no single
/// byte mutation can turn one into the other.
const GARBAGE_APP: &str = "garbage";

/// Valid requests for garbage to start from. None names [`APP`], and none registers or
/// removes anything, even after a byte or two changes: RegisterExecutor and RemoveBlocks are
/// left out.
fn garbage_bases(rng: &mut Rng) -> Vec<Vec<u8>> {
    let rpc = |m: Btm| wire(&RpcRequest { request_id: 3, body: m.to_bytes() });
    let garbage_fsb = FetchShuffleBlocks {
        app_id: GARBAGE_APP.into(),
        exec_id: EXEC.into(),
        shuffle_id: 0,
        map_ids: vec![100, 101],
        reduce_ids: vec![vec![0, 1], vec![2]],
        batch_fetch_enabled: false,
    };
    vec![
        rpc(open_blocks(GARBAGE_APP, &["shuffle_0_100_1", "shuffle_0_100_2"])),
        rpc(garbage_fsb.into()),
        rpc(GetLocalDirsForExecutors { app_id: GARBAGE_APP.into(), exec_ids: vec![EXEC.into()] }
            .into()),
        rpc(push_block_stream(GARBAGE_APP).into()),
        wire(&ChunkFetchRequest {
            stream_chunk_id: shuffle_protocol::block_id::StreamChunkId {
                stream_id: rng.next() as i64,
                chunk_index: 0,
            },
        }),
        wire(&StreamRequest { stream_id: format!("{}_0", rng.next() as i64) }),
        wire(&OneWayMessage { body: open_blocks(GARBAGE_APP, &["rdd_1_1"]).to_bytes() }),
        wire(&UploadStream {
            request_id: 4,
            meta: Btm::from(push_block_stream(GARBAGE_APP)).to_bytes(),
            body_byte_count: 16,
        }),
        wire(&MergedBlockMetaRequest {
            request_id: 5,
            app_id: GARBAGE_APP.into(),
            shuffle_id: 0,
            shuffle_merge_id: 0,
            reduce_id: 0,
        }),
    ]
}

/// One piece of garbage: random bytes, wild length prefixes, well-framed random messages,
/// RPCs with random bodies, or valid requests with a few bytes changed.
fn garbage_piece(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => rng.bytes(48),
        1 => {
            let lens = [0, 1, 8, -1, i64::MIN, i64::MAX, 1 << 40, (16 << 20) + 1];
            let mut out = lens[rng.below(lens.len() as u64) as usize].to_be_bytes().to_vec();
            out.extend(rng.bytes(8));
            out
        }
        2 => {
            let payload = rng.bytes(40);
            frame(rng.below(16) as u8, &payload)
        }
        3 => {
            // Never RegisterExecutor (2) or RemoveBlocks (7), even at random.
            let mut body = vec![
                [0u8, 1, 3, 4, 5, 6, 8, 9, 10, 12, 13, 15, 16, 19, 20, 99][rng.below(16) as usize],
            ];
            body.extend(rng.bytes(40));
            wire(&RpcRequest { request_id: rng.next() as i64, body: body.into() })
        }
        _ => {
            let bases = garbage_bases(rng);
            let mut out = bases[rng.below(bases.len() as u64) as usize].clone();
            for _ in 0..=rng.below(3) {
                if out.is_empty() {
                    break;
                }
                let at = rng.below(out.len() as u64) as usize;
                match rng.below(4) {
                    0 => out[at] ^= 1 << rng.below(8),
                    1 => out[at] = rng.next() as u8,
                    2 => out.truncate(at),
                    _ => out.insert(at, rng.next() as u8),
                }
            }
            out
        }
    }
}

/// Rounds the good client has completed; `usize::MAX` once it stopped, however it stopped,
/// so that hammers never wait for a client that failed.
#[derive(Debug, Default)]
struct Progress(AtomicUsize);

/// Sets [`Progress`] to `usize::MAX` when dropped (also when the task panics).
struct StopOnDrop(Arc<Progress>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0 .0.store(usize::MAX, Ordering::Release);
    }
}

/// Opens connections one after another, each sending 1–4 pieces of garbage in random splits,
/// then closing its sending side and reading until the daemon closes it. Goes on for at
/// least `min_connections`, and until the good client has done `rounds` rounds, so that the
/// two overlap by construction rather than by timing. The garbage is always a prefix of the
/// one sequence `seed` gives. Returns (connections, replies the daemon sent).
async fn hammer(
    addr: std::net::SocketAddr,
    seed: u64,
    min_connections: usize,
    good: Arc<Progress>,
    rounds: usize,
) -> (usize, usize) {
    let mut rng = Rng(seed);
    let (mut connections, mut replies) = (0, 0);
    while connections < min_connections || good.0.load(Ordering::Acquire) < rounds {
        let mut client = RawClient::connect(addr).await;
        let mut bytes = Vec::new();
        for _ in 0..=rng.below(4) {
            bytes.extend(garbage_piece(&mut rng));
        }
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len() as u64) as usize;
            if client.try_send_raw(&rest[..n]).await.is_err() {
                break; // The daemon already closed this one.
            }
            rest = &rest[n..];
        }
        client.finish_sending().await;
        replies += client.drain().await;
        connections += 1;
    }
    (connections, replies)
}

/// Hammering garbage on many connections never disturbs a well-behaved client, which keeps
/// fetching byte-exact the whole time; afterwards the daemon serves, registrations intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_under_load_never_disturbs_a_good_client() {
    const HAMMERS: u64 = 8;
    const MIN_CONNECTIONS_EACH: usize = 400;
    /// Good rounds while the hammers run (they wait for these).
    const ROUNDS: usize = 15;
    const SEED: u64 = 0x5eed_0fba_d14b;

    let mut env = Env::start(|_| {}).await;
    let hammering = Arc::new(AtomicBool::new(true));
    let progress = Arc::new(Progress::default());

    let good = {
        let (hammering, fixture) = (hammering.clone(), env.fixture.clone());
        let progress = StopOnDrop(progress.clone());
        let mut client = env.connect().await;
        tokio::spawn(async move {
            let mut rounds = 0;
            // Rounds go on until the hammers are done, which they are only after ROUNDS.
            while hammering.load(Ordering::Acquire) {
                let map_id = 100 + (rounds as i64 % SHAPE.maps);
                let what = format!("good client, round {rounds}");
                let all: Vec<i32> = (0..SHAPE.reduces).collect();
                fetch_good(&mut client, &fixture, &[(map_id, all)], false, Via::Chunk, &what).await;
                let batch = [(map_id, vec![0, SHAPE.reduces])];
                fetch_good(&mut client, &fixture, &batch, true, Via::Stream, &what).await;
                let dirs = client.local_dirs(APP, &[EXEC]).await;
                assert_eq!(dirs, vec![fixture.local_dirs.clone()], "{what}: local dirs");
                rounds += 1;
                progress.0 .0.store(rounds, Ordering::Release);
            }
            rounds
        })
    };

    let hammers: Vec<_> = (0..HAMMERS)
        .map(|h| {
            let seed = SEED ^ (h << 48);
            tokio::spawn(hammer(
                env.server.addr,
                seed,
                MIN_CONNECTIONS_EACH,
                progress.clone(),
                ROUNDS,
            ))
        })
        .collect();
    let (mut connections, mut replies) = (0, 0);
    for h in hammers {
        let (c, r) = h.await.expect("a hammer task panicked");
        connections += c;
        replies += r;
    }
    hammering.store(false, Ordering::Release);
    let rounds = good.await.expect("the good client failed");
    assert!(rounds >= ROUNDS, "the hammers stopped before the good client's rounds");
    assert!(connections >= HAMMERS as usize * MIN_CONNECTIONS_EACH);
    // Some garbage was well-formed enough to be answered, so requests got past the framing.
    assert!(replies > 0, "the daemon answered none of the garbage");

    env.check_witness("the hammering").await;
    let mut fresh = env.connect().await;
    env.check_usable(&mut fresh, "the hammering").await;
    fetch_good(&mut fresh, &env.fixture, &[(102, vec![39, 0])], false, Via::Chunk, "fresh").await;
    env.check_intact();
    // Every garbage connection is closed, and its streams went with it.
    assert_eq!(env.server.state.streams().len(), 0, "open streams after the hammering");
    env.server.stop().await;
}
