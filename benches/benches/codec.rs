//! Codec cost per message kind: encoding to bytes and decoding from bytes, for the messages
//! on the fetch path (per chunk and per request) and registration.
#![allow(missing_docs)]

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shuffle_protocol::block_id::{BlockId, StreamChunkId};
use shuffle_protocol::codec::Encode;
use shuffle_protocol::message::{ChunkFetchRequest, ChunkFetchSuccess, RpcRequest};
use shuffle_protocol::shuffle::{
    BlockTransferMessage, ExecutorShuffleInfo, FetchShuffleBlocks, OpenBlocks, RegisterExecutor,
    StreamHandle,
};
use shuffle_protocol::{Decoder, Outbound, ServerRole};

fn messages() -> Vec<(&'static str, BlockTransferMessage)> {
    let app = "app-20261122000000-0001".to_owned();
    vec![
        (
            "fetch_shuffle_blocks_100",
            FetchShuffleBlocks {
                app_id: app.clone(),
                exec_id: "17".into(),
                shuffle_id: 3,
                map_ids: (0..10).map(|m| 7_000_000_000 + m).collect(),
                reduce_ids: (0..10).map(|_| (0..10).collect()).collect(),
                batch_fetch_enabled: false,
            }
            .into(),
        ),
        (
            "open_blocks_100",
            OpenBlocks {
                app_id: app.clone(),
                exec_id: "17".into(),
                block_ids: (0..100).map(|i| format!("shuffle_3_{}_{}", i / 10, i % 10)).collect(),
            }
            .into(),
        ),
        (
            "register_executor",
            RegisterExecutor {
                app_id: app,
                exec_id: "17".into(),
                executor_info: ExecutorShuffleInfo {
                    local_dirs: vec!["/mnt/disk1/spark/blockmgr-5f3c0a6e".into()],
                    sub_dirs_per_local_dir: 64,
                    shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
                },
            }
            .into(),
        ),
        ("stream_handle", StreamHandle { stream_id: 123_456_789, num_chunks: 100 }.into()),
    ]
}

fn block_transfer_messages(c: &mut Criterion) {
    let mut g = c.benchmark_group("block_transfer_message");
    for (name, msg) in messages() {
        let bytes = msg.to_bytes();
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("encode/{name}"), |b| b.iter(|| black_box(&msg).to_bytes()));
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| BlockTransferMessage::decode(black_box(bytes.clone())))
        });
    }
    g.finish();
}

fn chunk_path(c: &mut Criterion) {
    const N: usize = 1000;
    let mut wire = BytesMut::new();
    for i in 0..N {
        let id = StreamChunkId { stream_id: 42, chunk_index: i as i32 };
        wire.extend_from_slice(&ChunkFetchRequest { stream_chunk_id: id }.to_wire_bytes());
    }
    let wire = wire.freeze();
    let mut g = c.benchmark_group("chunk_path");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("decode/chunk_fetch_request_x1000", |b| {
        b.iter_batched(
            || BytesMut::from(&wire[..]),
            |mut buf| {
                let mut decoder = Decoder::<ServerRole>::new(16 << 20);
                let mut n = 0;
                while let Ok(Some(_)) = decoder.decode(&mut buf) {
                    n += 1;
                }
                assert_eq!(n, N);
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("encode/chunk_fetch_success_header_x1000", |b| {
        b.iter(|| {
            for i in 0..N {
                let id = StreamChunkId { stream_id: 42, chunk_index: i as i32 };
                black_box(ChunkFetchSuccess::header_for(id, 4096));
            }
        })
    });
    g.bench_function("parse/block_id_x1000", |b| {
        let ids: Vec<String> =
            (0..N).map(|i| format!("shuffle_3_{}_{}", 7_000_000 + i, i % 50)).collect();
        b.iter(|| {
            for id in &ids {
                black_box(id.parse::<BlockId>().ok());
            }
        })
    });
    let rpc = RpcRequest { request_id: 9, body: messages().remove(0).1.to_bytes() };
    let rpc_wire: Bytes = rpc.to_wire_bytes();
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode/rpc_fetch_shuffle_blocks_100", |b| {
        b.iter_batched(
            || BytesMut::from(&rpc_wire[..]),
            |mut buf| Decoder::<ServerRole>::new(16 << 20).decode(&mut buf),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, block_transfer_messages, chunk_path);
criterion_main!(benches);
