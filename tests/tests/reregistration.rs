//! An executor that registers again while a stream of its blocks is open: the stream's later
//! chunks come from the new registration's dirs, as Spark resolves each chunk with the
//! executor's current registration.

use shuffle_protocol::shuffle::FetchShuffleBlocks;
use shuffle_tests::fixture::{Shape, ShuffleFixture, SUB_DIRS};
use shuffle_tests::server::TestServer;

const APP: &str = "app-reregistration";
const EXEC: &str = "3";

#[tokio::test]
async fn chunks_after_a_reregistration_come_from_the_new_dirs() {
    // One map output each: map 0 only in the old dirs, map 100 only in the new ones.
    let old = Shape { shuffle_id: 0, maps: 1, reduces: 4, map_id_base: 0 };
    let new = Shape { map_id_base: 100, ..old };
    let old = ShuffleFixture::write(old, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let new = ShuffleFixture::write(new, 2).unwrap_or_else(|e| panic!("fixture: {e}"));
    let server = TestServer::start(|_| {});
    let mut client = server.connect().await;
    client.register_executor(APP, EXEC, &old.local_dirs, SUB_DIRS).await;
    let fetch = FetchShuffleBlocks {
        app_id: APP.into(),
        exec_id: EXEC.into(),
        shuffle_id: 0,
        map_ids: vec![0, 100],
        reduce_ids: vec![vec![1], vec![1]],
        batch_fetch_enabled: false,
    };
    let handle = client.open_stream(fetch).await;
    let first = client.fetch_chunk(handle.stream_id, 0).await;
    let first = first.unwrap_or_else(|e| panic!("chunk 0, old registration: {e}"));
    assert!(first == old.block_bytes(0, 1)[..], "chunk 0 differs");

    // On another connection, as an executor restarting would.
    server.connect().await.register_executor(APP, EXEC, &new.local_dirs, SUB_DIRS).await;
    let second = client.fetch_chunk(handle.stream_id, 1).await;
    let second = second.unwrap_or_else(|e| panic!("chunk 1, new registration: {e}"));
    assert!(second == new.block_bytes(100, 1)[..], "chunk 1 differs");
    server.stop().await;
}
