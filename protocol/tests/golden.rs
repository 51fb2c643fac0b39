//! Byte-for-byte agreement with Spark 3.5.6, without Java.
//!
//! `fixtures/spark-3.5.6-vectors.txt` holds the bytes Spark's own classes produce for fixed
//! values (see `tests/java/golden/GoldenVectors.java`; the full test run regenerates it live
//! and fails on drift). Here every vector must encode byte-identically from the same Rust
//! value and decode back to it.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use shuffle_protocol::auth::{AuthMessage, RpcBody, SaslMessage};
use shuffle_protocol::bitmap::RoaringBitmap;
use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{
    ChunkFetchFailure, ChunkFetchRequest, ChunkFetchSuccess, MergedBlockMetaRequest,
    MergedBlockMetaSuccess, OneWayMessage, RpcFailure, RpcRequest, RpcResponse, StreamFailure,
    StreamRequest, StreamResponse, UploadStream,
};
use shuffle_protocol::shuffle::{
    BlockPushReturnCode, BlockTransferMessage, BlocksRemoved, Cause, CorruptionCause,
    DiagnoseCorruption, ExecutorLocalDirs, ExecutorShuffleInfo, FetchShuffleBlockChunks,
    FetchShuffleBlocks, FinalizeShuffleMerge, GetLocalDirsForExecutors, LocalDirsForExecutors,
    MergeStatuses, OpenBlocks, PushBlockStream, RegisterDriver, RegisterExecutor, RemoveBlocks,
    RemoveShuffleMerge, ReturnCode, ShuffleServiceHeartbeat, StreamHandle, UploadBlock,
    UploadBlockStream,
};
use shuffle_protocol::{ClientRole, Decoder, Inbound, Outbound, Request, Response, ServerRole};

const FIXTURE: &str = include_str!("fixtures/spark-3.5.6-vectors.txt");

/// What a vector holds, as a Rust value.
enum Golden {
    /// A message a client sends, with any out-of-frame body.
    Request(Request, &'static [u8]),
    /// A message a server sends, with any out-of-frame body.
    Response(Response, &'static [u8]),
    /// A `BlockTransferMessage.toByteBuffer()`.
    Shuffle(BlockTransferMessage),
    /// An RPC body of the auth bootstraps.
    Auth(RpcBody),
}

fn s(x: &str) -> String {
    x.to_owned()
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| s(x)).collect()
}

fn bytes(xs: &'static [u8]) -> Bytes {
    Bytes::from_static(xs)
}

fn btm(m: impl Into<BlockTransferMessage>) -> Bytes {
    m.into().to_bytes()
}

fn register_executor(dirs: &[&str], manager: &str) -> RegisterExecutor {
    RegisterExecutor {
        app_id: s("app-1"),
        exec_id: s("7"),
        executor_info: ExecutorShuffleInfo {
            local_dirs: strings(dirs),
            sub_dirs_per_local_dir: 64,
            shuffle_manager: s(manager),
        },
    }
}

fn fetch_shuffle_blocks(map_ids: &[i64], reduce_ids: &[&[i32]], batch: bool) -> FetchShuffleBlocks {
    FetchShuffleBlocks {
        app_id: s("app-1"),
        exec_id: s("7"),
        shuffle_id: 0,
        map_ids: map_ids.to_vec(),
        reduce_ids: reduce_ids.iter().map(|r| r.to_vec()).collect(),
        batch_fetch_enabled: batch,
    }
}

/// The values `GoldenVectors.java` encodes, under the same names.
fn expected() -> Vec<(String, Golden)> {
    use Golden::{Auth, Request as Req, Response as Resp, Shuffle};
    let chunk = |index| StreamChunkId { stream_id: 1000, chunk_index: index };
    let heartbeat = btm(ShuffleServiceHeartbeat { app_id: s("app-1") });
    let mut v: Vec<(&str, Golden)> = vec![
        ("chunk_fetch_request", Req(ChunkFetchRequest { stream_chunk_id: chunk(0) }.into(), b"")),
        (
            "chunk_fetch_success",
            Resp(ChunkFetchSuccess { stream_chunk_id: chunk(0), body: bytes(b"abc") }.into(), b""),
        ),
        (
            "chunk_fetch_failure",
            Resp(ChunkFetchFailure { stream_chunk_id: chunk(1), error_string: s("x") }.into(), b""),
        ),
        ("rpc_request", Req(RpcRequest { request_id: 1, body: bytes(&[1, 2, 3]) }.into(), b"")),
        ("rpc_response", Resp(RpcResponse { request_id: 1, body: Bytes::new() }.into(), b"")),
        ("rpc_failure", Resp(RpcFailure { request_id: 3, error_string: s("x") }.into(), b"")),
        ("stream_request", Req(StreamRequest { stream_id: s("1000_0") }.into(), b"")),
        (
            "stream_response",
            Resp(StreamResponse { stream_id: s("1000_0"), byte_count: 3 }.into(), b"abc"),
        ),
        (
            "stream_failure",
            Resp(StreamFailure { stream_id: s("1000_0"), error: s("boom") }.into(), b""),
        ),
        ("one_way_message", Req(OneWayMessage { body: heartbeat }.into(), b"")),
        (
            "upload_stream",
            Req(
                UploadStream { request_id: 7, meta: bytes(&[0xaa, 0xbb]), body_byte_count: 4 }
                    .into(),
                b"wxyz",
            ),
        ),
        (
            "merged_block_meta_request",
            Req(
                MergedBlockMetaRequest {
                    request_id: 9,
                    app_id: s("app-1"),
                    shuffle_id: 2,
                    shuffle_merge_id: 3,
                    reduce_id: 4,
                }
                .into(),
                b"",
            ),
        ),
        (
            "merged_block_meta_success",
            Resp(
                MergedBlockMetaSuccess { request_id: 9, num_chunks: 2, body: bytes(&[1, 2, 3, 4]) }
                    .into(),
                b"",
            ),
        ),
        (
            "rpc_register_executor",
            Req(
                RpcRequest { request_id: 1, body: btm(register_executor(&["/d"], "S")) }.into(),
                b"",
            ),
        ),
        (
            "rpc_fetch_shuffle_blocks",
            Req(
                RpcRequest {
                    request_id: 2,
                    body: btm(fetch_shuffle_blocks(&[5], &[&[0, 1]], false)),
                }
                .into(),
                b"",
            ),
        ),
        (
            "rpc_stream_handle",
            Resp(
                RpcResponse {
                    request_id: 2,
                    body: btm(StreamHandle { stream_id: 1000, num_chunks: 2 }),
                }
                .into(),
                b"",
            ),
        ),
        (
            "rpc_register_driver",
            Req(
                RpcRequest {
                    request_id: 4,
                    body: btm(RegisterDriver { app_id: s("app-1"), heartbeat_timeout_ms: 120_000 }),
                }
                .into(),
                b"",
            ),
        ),
        (
            "open_blocks",
            Shuffle(
                OpenBlocks {
                    app_id: s("app-1"),
                    exec_id: s("7"),
                    block_ids: strings(&["shuffle_0_1_2", "shuffle_0_1_3"]),
                }
                .into(),
            ),
        ),
        (
            "upload_block",
            Shuffle(
                UploadBlock {
                    app_id: s("app-1"),
                    exec_id: s("7"),
                    block_id: s("rdd_1_2"),
                    metadata: bytes(&[1, 2, 3]),
                    block_data: bytes(&[4, 5]),
                }
                .into(),
            ),
        ),
        (
            "register_executor",
            Shuffle(
                register_executor(
                    &["/d1", "/d2"],
                    "org.apache.spark.shuffle.sort.SortShuffleManager",
                )
                .into(),
            ),
        ),
        ("stream_handle", Shuffle(StreamHandle { stream_id: 1000, num_chunks: 2 }.into())),
        (
            "register_driver",
            Shuffle(RegisterDriver { app_id: s("app-1"), heartbeat_timeout_ms: 120_000 }.into()),
        ),
        (
            "shuffle_service_heartbeat",
            Shuffle(ShuffleServiceHeartbeat { app_id: s("app-1") }.into()),
        ),
        (
            "upload_block_stream",
            Shuffle(UploadBlockStream { block_id: s("rdd_1_2"), metadata: bytes(&[9]) }.into()),
        ),
        (
            "remove_blocks",
            Shuffle(
                RemoveBlocks {
                    app_id: s("app-1"),
                    exec_id: s("7"),
                    block_ids: strings(&["rdd_1_2", "rdd_1_3"]),
                }
                .into(),
            ),
        ),
        ("blocks_removed", Shuffle(BlocksRemoved { num_removed_blocks: 2 }.into())),
        (
            "fetch_shuffle_blocks",
            Shuffle(fetch_shuffle_blocks(&[5, 6], &[&[0, 1], &[2]], false).into()),
        ),
        (
            "fetch_shuffle_blocks_batch",
            Shuffle(fetch_shuffle_blocks(&[5], &[&[0, 3]], true).into()),
        ),
        (
            "get_local_dirs_for_executors",
            Shuffle(
                GetLocalDirsForExecutors { app_id: s("app-1"), exec_ids: strings(&["7", "8"]) }
                    .into(),
            ),
        ),
        (
            "local_dirs_for_executors",
            Shuffle(
                LocalDirsForExecutors {
                    executors: vec![
                        ExecutorLocalDirs { exec_id: s("7"), local_dirs: strings(&["/a", "/b"]) },
                        ExecutorLocalDirs { exec_id: s("8"), local_dirs: strings(&["/c"]) },
                    ],
                }
                .into(),
            ),
        ),
        (
            "push_block_stream",
            Shuffle(
                PushBlockStream {
                    app_id: s("app-1"),
                    app_attempt_id: 1,
                    shuffle_id: 0,
                    shuffle_merge_id: 2,
                    map_index: 3,
                    reduce_id: 4,
                    index: 5,
                }
                .into(),
            ),
        ),
        (
            "finalize_shuffle_merge",
            Shuffle(
                FinalizeShuffleMerge {
                    app_id: s("app-1"),
                    app_attempt_id: 1,
                    shuffle_id: 0,
                    shuffle_merge_id: 2,
                }
                .into(),
            ),
        ),
        (
            "merge_statuses",
            Shuffle(
                MergeStatuses {
                    shuffle_id: 0,
                    shuffle_merge_id: 2,
                    bitmaps: vec![
                        [1, 2, 3].into_iter().collect(),
                        RoaringBitmap::default(),
                        [0, 100_000].into_iter().chain(65_536..=65_600).collect(),
                    ],
                    reduce_ids: vec![0, 1, 2],
                    sizes: vec![100, 0, 7],
                }
                .into(),
            ),
        ),
        (
            "fetch_shuffle_block_chunks",
            Shuffle(
                FetchShuffleBlockChunks {
                    app_id: s("app-1"),
                    exec_id: s("7"),
                    shuffle_id: 0,
                    shuffle_merge_id: 2,
                    reduce_ids: vec![0, 1],
                    chunk_ids: vec![vec![0, 1], vec![0]],
                }
                .into(),
            ),
        ),
        (
            "diagnose_corruption",
            Shuffle(
                DiagnoseCorruption {
                    app_id: s("app-1"),
                    exec_id: s("7"),
                    shuffle_id: 0,
                    map_id: 5,
                    reduce_id: 1,
                    checksum: 123_456_789,
                    algorithm: s("ADLER32"),
                }
                .into(),
            ),
        ),
        (
            "block_push_return_code",
            Shuffle(
                BlockPushReturnCode {
                    return_code: ReturnCode::TooLateBlockPush,
                    failure_block_id: s("shuffle_0_1_2"),
                }
                .into(),
            ),
        ),
        (
            "remove_shuffle_merge",
            Shuffle(
                RemoveShuffleMerge {
                    app_id: s("app-1"),
                    app_attempt_id: 1,
                    shuffle_id: 0,
                    shuffle_merge_id: 2,
                }
                .into(),
            ),
        ),
        ("sasl_message", Auth(SaslMessage { app_id: s("app-1"), payload: bytes(b"abc") }.into())),
        (
            "sasl_message_empty",
            Auth(SaslMessage { app_id: s("app-1"), payload: Bytes::new() }.into()),
        ),
        (
            "auth_message",
            Auth(
                AuthMessage {
                    app_id: s("app-1"),
                    salt: Bytes::from((0u8..16).collect::<Vec<_>>()),
                    ciphertext: Bytes::from((0x10u8..0x20).collect::<Vec<_>>()),
                }
                .into(),
            ),
        ),
    ];
    let causes = [
        Cause::DiskIssue,
        Cause::NetworkIssue,
        Cause::UnknownIssue,
        Cause::ChecksumVerifyPass,
        Cause::UnsupportedChecksumAlgorithm,
    ];
    let mut out: Vec<(String, Golden)> = v.drain(..).map(|(n, g)| (s(n), g)).collect();
    for (i, cause) in causes.into_iter().enumerate() {
        out.push((format!("corruption_cause_{i}"), Shuffle(CorruptionCause { cause }.into())));
    }
    out
}

fn fixture() -> BTreeMap<String, Vec<u8>> {
    FIXTURE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, hex) = l.split_once(' ').unwrap_or((l, ""));
            (s(name), decode_hex(hex.trim()))
        })
        .collect()
}

fn decode_hex(hex: &str) -> Vec<u8> {
    assert!(hex.len() % 2 == 0, "odd hex length");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Encodes `msg` as a sender would: frame header, in-memory body, then the raw body.
fn wire(msg: &impl Outbound, raw_body: &[u8]) -> Vec<u8> {
    let mut out = msg.to_wire_bytes().to_vec();
    out.extend_from_slice(raw_body);
    out
}

/// Decodes all of `bytes` as one message and its out-of-frame body.
fn decode_one<R: shuffle_protocol::Role>(bytes: &[u8]) -> (R::Incoming, Vec<u8>)
where
    R::Incoming: std::fmt::Debug,
{
    let mut buf = BytesMut::from(bytes);
    let mut decoder = Decoder::<R>::new(u64::MAX);
    let msg = match decoder.decode(&mut buf) {
        Ok(Some(Inbound::Message(m))) => m,
        other => panic!("expected a message, got {other:?}"),
    };
    let mut body = Vec::new();
    while decoder.body_remaining() > 0 {
        match decoder.decode(&mut buf) {
            Ok(Some(Inbound::Body { data, .. })) => body.extend_from_slice(&data),
            other => panic!("expected body bytes, got {other:?}"),
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    (msg, body)
}

#[test]
fn every_vector_encodes_and_decodes_like_spark() {
    let fixture = fixture();
    let expected = expected();
    let names: Vec<&String> = expected.iter().map(|(n, _)| n).collect();
    let fixture_names: Vec<&String> = fixture.keys().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, fixture_names, "fixture and expected values name different vectors");

    for (name, golden) in &expected {
        let spark = &fixture[name];
        match golden {
            Golden::Request(msg, raw) => {
                assert_eq!(&wire(msg, raw), spark, "{name}: encoding");
                assert_eq!(decode_one::<ServerRole>(spark), (msg.clone(), raw.to_vec()), "{name}");
            }
            Golden::Response(msg, raw) => {
                assert_eq!(&wire(msg, raw), spark, "{name}: encoding");
                assert_eq!(decode_one::<ClientRole>(spark), (msg.clone(), raw.to_vec()), "{name}");
            }
            Golden::Shuffle(msg) => {
                assert_eq!(&msg.to_bytes().to_vec(), spark, "{name}: encoding");
                let back = BlockTransferMessage::decode(Bytes::from(spark.clone()));
                assert_eq!(&back.expect(name), msg, "{name}: decoding");
                let as_rpc = RpcBody::decode(Bytes::from(spark.clone()));
                assert_eq!(as_rpc.expect(name), RpcBody::Shuffle(msg.clone()), "{name}: as RPC");
            }
            Golden::Auth(body) => {
                assert_eq!(&body.to_bytes().to_vec(), spark, "{name}: encoding");
                let back = RpcBody::decode(Bytes::from(spark.clone()));
                assert_eq!(&back.expect(name), body, "{name}: decoding");
            }
        }
    }
}

#[test]
fn every_message_type_has_a_vector() {
    let fixture = fixture();
    let mut transport = [false; 13];
    let mut shuffle = [false; 20];
    for (name, golden) in expected() {
        assert!(fixture.contains_key(&name));
        match golden {
            Golden::Request(m, _) => transport[usize::from(u8::from(m.message_type()))] = true,
            Golden::Response(m, _) => transport[usize::from(u8::from(m.message_type()))] = true,
            Golden::Shuffle(m) => shuffle[usize::from(m.type_id())] = true,
            Golden::Auth(_) => {}
        }
    }
    assert!(transport.iter().all(|&t| t), "transport types without a vector: {transport:?}");
    assert!(shuffle.iter().all(|&t| t), "BlockTransferMessage types without a vector: {shuffle:?}");
}
