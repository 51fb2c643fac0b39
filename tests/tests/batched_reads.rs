//! Small blocks whose files are not kept open go to the blocking pool together: a batch of
//! pipelined requests mixing kept and unkept files makes one trip, and a file that fails
//! its read fails only its own chunk. The files not kept are mapped after their first read
//! unless mapping is off; a mapped file cut short fails its chunk like any other (the copy
//! from its mapping fails, no SIGBUS), and the rest of the batch is served.

use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::message::{ChunkFetchFailure, ChunkFetchRequest, ChunkFetchSuccess};
use shuffle_protocol::shuffle::FetchShuffleBlocks;
use shuffle_protocol::{Outbound, Response};
use shuffle_tests::fixture::{Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::server::TestServer;

const APP: &str = "app-20240101000000-0002";
const EXEC: &str = "1";
const SHAPE: Shape = Shape { shuffle_id: 0, maps: 6, reduces: 40, map_id_base: 0 };

fn fetch_shuffle_blocks(reduce: i32) -> FetchShuffleBlocks {
    FetchShuffleBlocks {
        app_id: APP.to_owned(),
        exec_id: EXEC.to_owned(),
        shuffle_id: 0,
        map_ids: (0..SHAPE.maps).collect(),
        reduce_ids: vec![vec![reduce]; SHAPE.maps as usize],
        batch_fetch_enabled: false,
    }
}

#[tokio::test]
async fn a_batch_mixing_kept_and_mapped_files_makes_one_blocking_pool_trip() {
    mixed_batch(None).await;
}

#[tokio::test]
async fn a_batch_mixing_kept_and_unkept_files_makes_one_blocking_pool_trip() {
    mixed_batch(Some(0)).await;
}

/// Serves a batch over six map outputs, two of them kept open, with `max_mapped_files`.
async fn mixed_batch(max_mapped_files: Option<usize>) {
    let fixture = ShuffleFixture::write(SHAPE, 1).expect("writing the shuffle");
    // Eight slots keep two data files open: two of the six map outputs at most.
    let server = TestServer::start(|c| {
        c.max_open_files = Some(8);
        c.max_mapped_files = max_mapped_files;
    });
    let mut client = server.connect().await;
    client.register_executor(APP, EXEC, &fixture.local_dirs, SUB_DIRS).await;
    // Two reduce partitions whose blocks are all small and, together, under one output's
    // worth (64 KiB), so that nothing but the batch's end sends them.
    let small: Vec<i32> = (0..SHAPE.reduces)
        .filter(|&r| {
            let lens: Vec<usize> = (0..SHAPE.maps).map(|m| fixture.block_len(m, r)).collect();
            lens.iter().all(|&len| len > 0) && lens.iter().sum::<usize>() < 50_000
        })
        .take(2)
        .collect();
    let [warm, measured] = small[..] else { panic!("no two small reduce partitions: {small:?}") };

    // Warm up: every index parsed and cached, two data files kept.
    let handle = client.open_stream(fetch_shuffle_blocks(warm)).await;
    for m in 0..SHAPE.maps {
        let got = client.fetch_chunk(handle.stream_id, m as i32).await.expect("warm-up fetch");
        assert!(got == fixture.block_bytes(m, warm), "map {m} differs");
    }
    let files = server.state.resolver().files();
    assert_eq!(files.kept_count(), 2);
    // Every file read on the blocking pool was mapped after its read (the kept ones too: a
    // file leaves the kept set without notice).
    let mapped = if max_mapped_files == Some(0) { 0 } else { SHAPE.maps as usize };
    assert_eq!(files.mapped_count(), mapped);

    // A map output whose data file is now shorter than its index says fails its read.
    let cut = (0..SHAPE.maps)
        .map(|m| {
            let info = fixture.executor_info();
            let name = format!("shuffle_0_{m}_0.data");
            shuffle_server::resolver::file_path(&info, &name).expect("path")
        })
        .enumerate()
        .find(|(_, path)| files.kept(&path.as_path().into()).is_none())
        .map(|(m, path)| (m as i64, path))
        .expect("a file not kept");
    std::fs::File::options().write(true).open(&cut.1).expect("open").set_len(0).expect("cut");

    let handle = client.open_stream(fetch_shuffle_blocks(measured)).await;
    let before = files.blocking_trips();
    let mut pipelined = Vec::new();
    for m in 0..SHAPE.maps {
        let stream_chunk_id = StreamChunkId { stream_id: handle.stream_id, chunk_index: m as i32 };
        pipelined.extend_from_slice(&ChunkFetchRequest { stream_chunk_id }.to_wire_bytes());
    }
    client.send_raw(&pipelined).await;
    for m in 0..SHAPE.maps {
        match client.response().await {
            Response::ChunkFetchSuccess(ChunkFetchSuccess { stream_chunk_id, body }) => {
                assert_eq!(stream_chunk_id.chunk_index, m as i32);
                assert_ne!(m, cut.0, "the cut file's block was served");
                assert!(body == fixture.block_bytes(m, measured), "map {m} differs");
            }
            Response::ChunkFetchFailure(ChunkFetchFailure { stream_chunk_id, error_string }) => {
                assert_eq!(stream_chunk_id.chunk_index, m as i32);
                assert_eq!(m, cut.0, "map {m} failed: {error_string}");
                assert!(error_string.contains("Error opening block"), "{error_string}");
            }
            other => panic!("expected a chunk fetch reply, got {other:?}"),
        }
    }
    assert_eq!(files.blocking_trips() - before, 1, "file trips for one pipelined batch");
    assert_eq!(files.mapped_count(), mapped.saturating_sub(1), "the cut file is unmapped");
    server.assert_no_panics();
}
