//! A stream whose map outputs' indexes are not cached reads them together, a few trips for
//! the whole request, rather than one blocking-pool trip per chunk (a wave sweeping a host's
//! map outputs meets uncached indexes all the time); a missing index still fails only its
//! own chunk.

use shuffle_protocol::block_id::StreamChunkId;
use shuffle_protocol::message::{ChunkFetchFailure, ChunkFetchRequest, ChunkFetchSuccess};
use shuffle_protocol::shuffle::FetchShuffleBlocks;
use shuffle_protocol::{Outbound, Response};
use shuffle_server::index::INDEXES_PER_TRIP;
use shuffle_tests::fixture::{Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::server::TestServer;

const APP: &str = "app-20240101000000-0003";
const EXEC: &str = "1";
const SHAPE: Shape = Shape { shuffle_id: 0, maps: 40, reduces: 8, map_id_base: 0 };

#[tokio::test]
async fn a_stream_reads_the_indexes_of_its_chunks_in_a_few_trips() {
    let fixture = ShuffleFixture::write(SHAPE, 2).expect("writing the shuffle");
    let server = TestServer::start(|_| {});
    let mut client = server.connect().await;
    client.register_executor(APP, EXEC, &fixture.local_dirs, SUB_DIRS).await;
    // A reduce partition without large blocks, so that every body is read in batches.
    let reduce = (0..SHAPE.reduces)
        .find(|&r| (0..SHAPE.maps).all(|m| fixture.block_len(m, r) < 64 * 1024))
        .expect("a reduce partition of small blocks");
    let missing = 17;
    std::fs::remove_file(fixture.path_of(&format!("shuffle_0_{missing}_0.index")))
        .expect("remove an index");

    let request = FetchShuffleBlocks {
        app_id: APP.to_owned(),
        exec_id: EXEC.to_owned(),
        shuffle_id: 0,
        map_ids: (0..SHAPE.maps).collect(),
        reduce_ids: vec![vec![reduce]; SHAPE.maps as usize],
        batch_fetch_enabled: false,
    };
    let handle = client.open_stream(request).await;
    let files = server.state.resolver().files();
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
                assert_ne!(m, missing, "the block without an index was served");
                assert!(body == fixture.block_bytes(m, reduce), "map {m} differs");
            }
            Response::ChunkFetchFailure(ChunkFetchFailure { stream_chunk_id, error_string }) => {
                assert_eq!(stream_chunk_id.chunk_index, m as i32);
                assert_eq!(m, missing, "map {m} failed: {error_string}");
            }
            other => panic!("expected a chunk fetch reply, got {other:?}"),
        }
    }
    // The 40 indexes in trips of INDEXES_PER_TRIP; the missing one read again by its own
    // chunk; the bodies (40 × < 20 KB) in at most a few batches. One trip per chunk would be
    // 40 for the indexes alone.
    let index_trips = (SHAPE.maps as usize).div_ceil(INDEXES_PER_TRIP) as u64 + 1;
    let trips = files.blocking_trips() - before;
    assert!(trips <= index_trips + 4, "{trips} blocking-pool trips for 40 chunks");
    server.assert_no_panics();
}
