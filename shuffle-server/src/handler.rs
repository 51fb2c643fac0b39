//! BlockTransferMessage → action: what the daemon does for each RPC and one-way message
//! (Spark's `ExternalBlockHandler`).
//!
//! Every message of 3.5 has an arm in one exhaustive match, so a new variant cannot be
//! forgotten. Block lookups are lazy, as in Spark: opening a stream only checks the shape
//! of the request, and a missing executor or file fails its chunk later.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use shuffle_protocol::auth::RpcBody;
use shuffle_protocol::block_id::{AppExecId, BlockId};
use shuffle_protocol::codec::Encode;
use shuffle_protocol::shuffle::{
    BlockTransferMessage as Btm, BlocksRemoved, CorruptionCause, FetchShuffleBlocks, OpenBlocks,
    RegisterDriver, StreamHandle,
};
use tracing::{debug, info, trace, warn};

use crate::error::{Error, Result};
use crate::metrics::{self, histogram};
use crate::state::State;
use crate::stream::{Chunk, ConnId};

/// The connection a message arrived on, as far as the handler cares.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Identifies the connection, which owns the streams it opens.
    pub conn: ConnId,
    /// The application the connection authenticated as, if authentication is on.
    pub app_id: Option<String>,
}

impl Client {
    /// Spark's `checkAuth`: an authenticated connection may only act for its own app.
    fn check_auth(&self, app_id: &str) -> Result<()> {
        match &self.app_id {
            Some(client) if client != app_id => {
                Err(Error::NotAuthorized { client: client.clone(), app_id: app_id.to_owned() })
            }
            _ => Ok(()),
        }
    }
}

/// Handles one RpcRequest body; `Ok` is the RpcResponse body, `Err` becomes an RpcFailure
/// whose text is the error's display.
pub async fn handle_rpc(state: &State, client: &Client, body: Bytes) -> Result<Bytes> {
    let msg = match RpcBody::decode(body)? {
        RpcBody::Shuffle(msg) => msg,
        // Handshakes after authentication finished (or with it off) are out of place.
        RpcBody::Sasl(_) => return Err(Error::UnexpectedMessage("SaslMessage")),
        RpcBody::Auth(_) => return Err(Error::UnexpectedMessage("AuthMessage")),
    };
    let name = msg.name();
    debug!(conn = client.conn, message = name, "rpc");
    note_activity(state, client, &msg);
    match msg {
        Btm::RegisterExecutor(m) => {
            client.check_auth(&m.app_id)?;
            crate::confine::check_local_dirs(
                &m.executor_info,
                &state.config().allowed_local_dir_roots,
            )
            .await?;
            let started = Instant::now();
            let id = AppExecId::new(m.app_id, m.exec_id);
            state.registry().register(id, m.executor_info).await;
            record_ms(metrics::REGISTER_EXECUTOR_REQUEST_LATENCY_MILLIS, started);
            Ok(Bytes::new())
        }
        Btm::OpenBlocks(m) => {
            client.check_auth(&m.app_id)?;
            let started = Instant::now();
            let handle = open_blocks(state, client, m)?;
            record_ms(metrics::OPEN_BLOCK_REQUEST_LATENCY_MILLIS, started);
            Ok(Btm::from(handle).to_bytes())
        }
        Btm::FetchShuffleBlocks(m) => {
            client.check_auth(&m.app_id)?;
            let started = Instant::now();
            let handle = fetch_shuffle_blocks(state, client, m)?;
            record_ms(metrics::OPEN_BLOCK_REQUEST_LATENCY_MILLIS, started);
            Ok(Btm::from(handle).to_bytes())
        }
        Btm::RemoveBlocks(m) => {
            client.check_auth(&m.app_id)?;
            let id = AppExecId::new(m.app_id, m.exec_id);
            let num_removed_blocks = state.resolver().remove_blocks(&id, &m.block_ids).await?;
            Ok(Btm::from(BlocksRemoved { num_removed_blocks }).to_bytes())
        }
        Btm::GetLocalDirsForExecutors(m) => {
            client.check_auth(&m.app_id)?;
            let executors = state.registry().local_dirs(&m.app_id, &m.exec_ids)?;
            let reply = shuffle_protocol::shuffle::LocalDirsForExecutors { executors };
            Ok(Btm::from(reply).to_bytes())
        }
        Btm::DiagnoseCorruption(m) => {
            client.check_auth(&m.app_id)?;
            let id = AppExecId::new(m.app_id, m.exec_id);
            let cause = state
                .resolver()
                .diagnose_corruption(
                    &id,
                    m.shuffle_id,
                    m.map_id,
                    m.reduce_id,
                    m.checksum,
                    &m.algorithm,
                )
                .await?;
            Ok(Btm::from(CorruptionCause { cause }).to_bytes())
        }
        Btm::FinalizeShuffleMerge(_) | Btm::FetchShuffleBlockChunks(_) => {
            Err(Error::PushUnsupported(name))
        }
        Btm::RegisterDriver(m) => {
            // Spark exempts the Mesos messages from checkAuth; an authenticated connection
            // may still only register its own application.
            client.check_auth(&m.app_id)?;
            register_driver(state, client, m).await;
            Ok(Bytes::new())
        }
        Btm::ShuffleServiceHeartbeat(m) => {
            // Sent as an RPC (stock clients never do), Spark handles it but never answers,
            // leaving the client to time out; an empty reply changes nothing else.
            heartbeat(state, client, &m.app_id);
            Ok(Bytes::new())
        }
        Btm::PushBlockStream(_) | Btm::RemoveShuffleMerge(_) => Err(Error::PushUnsupported(name)),
        Btm::UploadBlock(_)
        | Btm::UploadBlockStream(_)
        | Btm::StreamHandle(_)
        | Btm::BlocksRemoved(_)
        | Btm::LocalDirsForExecutors(_)
        | Btm::MergeStatuses(_)
        | Btm::CorruptionCause(_)
        | Btm::BlockPushReturnCode(_) => Err(Error::UnexpectedMessage(name)),
    }
}

/// Handles one OneWayMessage body. There is no reply, so problems are only logged.
pub async fn handle_one_way(state: &State, client: &Client, body: Bytes) {
    match RpcBody::decode(body) {
        Ok(RpcBody::Shuffle(Btm::ShuffleServiceHeartbeat(m))) => {
            heartbeat(state, client, &m.app_id);
        }
        // Spark's handler registers a driver from a one-way message too (without a reply).
        Ok(RpcBody::Shuffle(Btm::RegisterDriver(m))) => match client.check_auth(&m.app_id) {
            Ok(()) => register_driver(state, client, m).await,
            Err(e) => warn!(conn = client.conn, error = %e, "ignoring RegisterDriver"),
        },
        Ok(RpcBody::Shuffle(Btm::RemoveShuffleMerge(m))) => {
            info!(conn = client.conn, app_id = %m.app_id, shuffle_id = m.shuffle_id,
                "ignoring RemoveShuffleMerge: push-based shuffle is not supported");
        }
        Ok(RpcBody::Shuffle(msg)) => {
            warn!(conn = client.conn, message = msg.name(), "ignoring unexpected one-way message");
        }
        Ok(_) => warn!(conn = client.conn, "ignoring a handshake sent as a one-way message"),
        Err(e) => warn!(conn = client.conn, error = %e, "undecodable one-way message"),
    }
}

/// Why an UploadStream is refused: the only one 3.5 sends carries a PushBlockStream.
pub fn refuse_upload_stream(meta: Bytes) -> Error {
    match Btm::decode(meta) {
        Ok(msg @ Btm::PushBlockStream(_)) => Error::PushUnsupported(msg.name()),
        Ok(msg) => Error::UnexpectedMessage(msg.name()),
        Err(e) => e.into(),
    }
}

/// RegisterDriver: (re)starts the heartbeat clock of the app's driver; persisted before the
/// caller replies.
async fn register_driver(state: &State, client: &Client, m: RegisterDriver) {
    let (app_id, timeout) = (m.app_id, m.heartbeat_timeout_ms);
    info!(
        conn = client.conn,
        app_id,
        heartbeat_timeout_ms = timeout,
        "Received registration request from app {app_id} (heartbeat timeout {timeout} ms)."
    );
    if state.drivers().register(&app_id, timeout).await {
        warn!(
            conn = client.conn,
            app_id,
            "Received a registration request from app {app_id}, but it was already registered"
        );
    }
    debug!(conn = client.conn, "Driver of app {app_id} registered (stored).");
}

/// ShuffleServiceHeartbeat: refreshes the app's driver; an unknown app is only logged, as in
/// Spark. An authenticated connection cannot keep another application alive.
fn heartbeat(state: &State, client: &Client, app_id: &str) {
    if let Err(e) = client.check_auth(app_id) {
        warn!(conn = client.conn, error = %e, "ignoring ShuffleServiceHeartbeat");
    } else if state.drivers().heartbeat(app_id) {
        trace!(conn = client.conn, app_id, "Received ShuffleServiceHeartbeat from app '{app_id}'");
    } else {
        warn!(
            conn = client.conn,
            app_id, "Received ShuffleServiceHeartbeat from an unknown app (appId '{app_id}')."
        );
    }
}

/// Notes a request naming an application: for the opt-in idle rule, and as a heartbeat of a
/// driver reloaded after a restart (an authenticated connection only counts for its own
/// application).
fn note_activity(state: &State, client: &Client, msg: &Btm) {
    let app_id = match msg {
        Btm::RegisterExecutor(m) => &m.app_id,
        Btm::OpenBlocks(m) => &m.app_id,
        Btm::FetchShuffleBlocks(m) => &m.app_id,
        Btm::RemoveBlocks(m) => &m.app_id,
        Btm::GetLocalDirsForExecutors(m) => &m.app_id,
        Btm::DiagnoseCorruption(m) => &m.app_id,
        _ => return,
    };
    if client.check_auth(app_id).is_ok() {
        state.drivers().executor_activity(app_id);
        state.activity().touch(app_id);
    }
}

fn record_ms(metric: &'static str, started: Instant) {
    histogram!(metric).record(started.elapsed().as_secs_f64() * 1000.0);
}

/// OpenBlocks: every id must have the form of the first, and shuffle ids one shuffle id.
fn open_blocks(state: &State, client: &Client, m: OpenBlocks) -> Result<StreamHandle> {
    let exec = Arc::new(AppExecId::new(m.app_id, m.exec_id));
    let mut chunks = Vec::with_capacity(m.block_ids.len());
    let mut first: Option<BlockId> = None;
    for id in &m.block_ids {
        let block: BlockId = id.parse()?;
        let same_form = match (first, block) {
            (None, _) => true,
            (
                Some(BlockId::Shuffle { shuffle_id: a, .. }),
                BlockId::Shuffle { shuffle_id: b, .. },
            ) => a == b,
            (
                Some(BlockId::ShuffleChunk { shuffle_id: a, shuffle_merge_id: x, .. }),
                BlockId::ShuffleChunk { shuffle_id: b, shuffle_merge_id: y, .. },
            ) => a == b && x == y,
            (Some(BlockId::Rdd { .. }), BlockId::Rdd { .. }) => true,
            _ => false,
        };
        if !same_form {
            return Err(Error::InvalidRequest(format!(
                "Expected block id of the same form as {}, got {id}",
                m.block_ids[0]
            )));
        }
        match block {
            // Spark parses the map id of an OpenBlocks shuffle id as an int.
            BlockId::Shuffle { map_id, .. } if i32::try_from(map_id).is_err() => {
                return Err(Error::InvalidRequest(format!("map id of {id} is not an int")));
            }
            BlockId::Shuffle { .. } | BlockId::ShuffleChunk { .. } | BlockId::Rdd { .. } => {}
            _ => {
                return Err(Error::InvalidRequest(format!(
                    "Unexpected block id format for OpenBlocks: {id}"
                )));
            }
        }
        first.get_or_insert(block);
        chunks.push(Chunk { exec: exec.clone(), block });
    }
    Ok(register(state, client, &exec.app_id, chunks))
}

/// FetchShuffleBlocks: one chunk per (map, reduce), or per map for a batch range.
fn fetch_shuffle_blocks(
    state: &State,
    client: &Client,
    m: FetchShuffleBlocks,
) -> Result<StreamHandle> {
    if m.map_ids.len() != m.reduce_ids.len() {
        return Err(Error::InvalidRequest(format!(
            "FetchShuffleBlocks has {} map ids but {} reduce id lists",
            m.map_ids.len(),
            m.reduce_ids.len()
        )));
    }
    let mut chunks = Vec::with_capacity(m.num_blocks());
    let exec = Arc::new(AppExecId::new(m.app_id, m.exec_id));
    let shuffle_id = m.shuffle_id;
    for (&map_id, reduce_ids) in m.map_ids.iter().zip(&m.reduce_ids) {
        if m.batch_fetch_enabled {
            let &[start_reduce_id, end_reduce_id] = reduce_ids.as_slice() else {
                return Err(Error::InvalidRequest(format!(
                    "batch fetch of map {map_id} needs [start, end) reduce ids, got {reduce_ids:?}"
                )));
            };
            let block =
                BlockId::ShuffleBatch { shuffle_id, map_id, start_reduce_id, end_reduce_id };
            chunks.push(Chunk { exec: exec.clone(), block });
        } else {
            chunks.extend(reduce_ids.iter().map(|&reduce_id| Chunk {
                exec: exec.clone(),
                block: BlockId::Shuffle { shuffle_id, map_id, reduce_id },
            }));
        }
    }
    Ok(register(state, client, &exec.app_id, chunks))
}

fn register(state: &State, client: &Client, app_id: &str, chunks: Vec<Chunk>) -> StreamHandle {
    let num_chunks = i32::try_from(chunks.len()).unwrap_or(i32::MAX);
    let stream_id = state.streams().register(client.conn, app_id, chunks);
    debug!(conn = client.conn, stream_id, num_chunks, "stream opened");
    StreamHandle { stream_id, num_chunks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::registry::Registry;
    use crate::stream::StreamError;
    use shuffle_protocol::shuffle::{ExecutorShuffleInfo, RegisterExecutor};

    fn state() -> State {
        State::new(Config::default(), Registry::in_memory())
    }

    fn client(app_id: Option<&str>) -> Client {
        Client { conn: 7, app_id: app_id.map(str::to_owned) }
    }

    fn open(state: &State, ids: &[&str]) -> Result<StreamHandle> {
        let block_ids = ids.iter().map(|&s| s.to_owned()).collect();
        let m = OpenBlocks { app_id: "app".into(), exec_id: "1".into(), block_ids };
        open_blocks(state, &client(None), m)
    }

    fn fsb(map_ids: &[i64], reduce_ids: &[&[i32]], batch: bool) -> FetchShuffleBlocks {
        FetchShuffleBlocks {
            app_id: "app".into(),
            exec_id: "1".into(),
            shuffle_id: 2,
            map_ids: map_ids.to_vec(),
            reduce_ids: reduce_ids.iter().map(|r| r.to_vec()).collect(),
            batch_fetch_enabled: batch,
        }
    }

    /// Every chunk of the stream, taken in order; the stream is gone afterwards.
    fn take_all(state: &State, handle: StreamHandle) -> Vec<Chunk> {
        let chunks = (0..handle.num_chunks)
            .map(|i| state.streams().next_chunk(handle.stream_id, i, None).expect("next chunk"))
            .collect();
        assert!(state.streams().is_empty(), "stream left open after its last chunk");
        chunks
    }

    fn blocks(chunks: &[Chunk]) -> Vec<BlockId> {
        chunks.iter().map(|c| c.block).collect()
    }

    fn shuffle(map_id: i64, reduce_id: i32) -> BlockId {
        BlockId::Shuffle { shuffle_id: 2, map_id, reduce_id }
    }

    #[test]
    fn open_blocks_takes_ids_of_the_first_ids_form() {
        let state = state();
        let accepted: [&[&str]; 5] = [
            &["shuffle_3_1_0", "shuffle_3_2_5", "shuffle_3_1_0"],
            &["rdd_1_0", "rdd_2_9"],
            &["shuffleChunk_3_1_0_0", "shuffleChunk_3_1_4_2"],
            &["shuffle_0_2147483647_2147483647"],
            // No ids: a stream of no chunks, as Spark opens one.
            &[],
        ];
        for ids in accepted {
            let handle = open(&state, ids).unwrap_or_else(|e| panic!("{ids:?}: {e}"));
            assert_eq!(handle.num_chunks as usize, ids.len(), "{ids:?}");
            if ids.is_empty() {
                continue;
            }
            let chunks = take_all(&state, handle);
            let want: Vec<BlockId> =
                ids.iter().map(|s| s.parse().expect("valid block id")).collect();
            assert_eq!(blocks(&chunks), want, "{ids:?}");
            assert!(chunks.iter().all(|c| *c.exec == AppExecId::new("app", "1")), "{ids:?}");
        }
    }

    #[test]
    fn open_blocks_refuses_mixed_forms_and_other_kinds() {
        let state = state();
        let invalid: [&[&str]; 12] = [
            &["shuffle_3_1_0", "shuffle_4_1_0"],
            &["shuffle_3_1_0", "rdd_1_0"],
            &["rdd_1_0", "shuffle_3_1_0"],
            &["shuffleChunk_3_1_0_0", "shuffleChunk_3_2_0_0"],
            &["shuffleChunk_3_1_0_0", "shuffleChunk_4_1_0_0"],
            &["shuffle_3_1_0", "shuffleChunk_3_1_0_0"],
            &["shuffle_3_1_0_2"],
            &["shuffle_3_1_0", "shuffle_3_1_0_2"],
            &["shuffle_3_1_0.data"],
            &["shuffle_3_1_0.index"],
            // Spark parses the map id of an OpenBlocks shuffle id as an int.
            &["shuffle_0_2147483648_0"],
            &["shuffle_0_1_0", "shuffle_0_2147483648_0"],
        ];
        for ids in invalid {
            let err = open(&state, ids).expect_err("refused");
            assert!(matches!(err, Error::InvalidRequest(_)), "{ids:?}: {err}");
        }
        let unparsable: [&[&str]; 4] =
            [&["broadcast_1"], &["shuffle_0_x_1"], &["shuffle_0_1"], &["rdd_1_0", "bogus"]];
        for ids in unparsable {
            let err = open(&state, ids).expect_err("refused");
            assert!(matches!(err, Error::Protocol(_)), "{ids:?}: {err}");
        }
        assert!(state.streams().is_empty(), "a refused request opened a stream");
    }

    #[test]
    fn fetch_shuffle_blocks_chunks_are_map_then_reduce() {
        let state = state();
        let m = fsb(&[5, 1 << 40, 7], &[&[0, 3], &[], &[2]], false);
        let handle = fetch_shuffle_blocks(&state, &client(None), m).expect("opened");
        assert_eq!(handle.num_chunks, 3);
        let chunks = take_all(&state, handle);
        assert_eq!(blocks(&chunks), [shuffle(5, 0), shuffle(5, 3), shuffle(7, 2)]);
        assert!(chunks.iter().all(|c| *c.exec == AppExecId::new("app", "1")));
    }

    #[test]
    fn batch_fetch_is_one_chunk_per_map_range() {
        let state = state();
        let m = fsb(&[5, 1 << 40], &[&[0, 3], &[2, 2]], true);
        let handle = fetch_shuffle_blocks(&state, &client(None), m).expect("opened");
        assert_eq!(handle.num_chunks, 2);
        let batch = |map_id, start_reduce_id, end_reduce_id| BlockId::ShuffleBatch {
            shuffle_id: 2,
            map_id,
            start_reduce_id,
            end_reduce_id,
        };
        assert_eq!(blocks(&take_all(&state, handle)), [batch(5, 0, 3), batch(1 << 40, 2, 2)]);
    }

    #[test]
    fn fetch_shuffle_blocks_refuses_bad_shapes() {
        let state = state();
        let refused = [
            fsb(&[5], &[&[0]], true),
            fsb(&[5], &[&[]], true),
            fsb(&[5, 6], &[&[0, 1], &[0, 1, 2]], true),
            fsb(&[5, 6], &[&[0]], false),
            fsb(&[5], &[&[0], &[1]], false),
            fsb(&[5, 6], &[&[0, 1]], true),
        ];
        for m in refused {
            let what = format!("{m:?}");
            let err = fetch_shuffle_blocks(&state, &client(None), m).expect_err("refused");
            assert!(matches!(err, Error::InvalidRequest(_)), "{what}: {err}");
        }
        assert!(state.streams().is_empty(), "a refused request opened a stream");
    }

    #[test]
    fn check_auth_binds_an_authenticated_connection_to_its_app() {
        assert!(client(None).check_auth("any").is_ok());
        assert!(client(None).check_auth("").is_ok());
        assert!(client(Some("app")).check_auth("app").is_ok());
        match client(Some("app")).check_auth("other") {
            Err(Error::NotAuthorized { client, app_id }) => {
                assert_eq!((client.as_str(), app_id.as_str()), ("app", "other"));
            }
            other => panic!("expected NotAuthorized, got {other:?}"),
        }
        // Exact comparison: no case folding, no prefixes.
        for app_id in ["App", "app-1", "ap", ""] {
            assert!(client(Some("app")).check_auth(app_id).is_err(), "{app_id:?}");
        }
    }

    #[tokio::test]
    async fn rpcs_for_another_app_are_refused_before_they_act() {
        let state = state();
        let stranger = client(Some("other"));
        let open = Btm::from(OpenBlocks {
            app_id: "app".into(),
            exec_id: "1".into(),
            block_ids: vec!["shuffle_2_5_0".into()],
        })
        .to_bytes();
        let register = Btm::from(RegisterExecutor {
            app_id: "app".into(),
            exec_id: "1".into(),
            executor_info: ExecutorShuffleInfo {
                local_dirs: vec!["/tmp".into()],
                sub_dirs_per_local_dir: 64,
                shuffle_manager: "sort".into(),
            },
        })
        .to_bytes();
        let fetch = Btm::from(fsb(&[5], &[&[0]], false)).to_bytes();
        for body in [open.clone(), register, fetch] {
            let err = handle_rpc(&state, &stranger, body).await.expect_err("refused");
            assert!(matches!(err, Error::NotAuthorized { .. }), "{err}");
        }
        assert!(state.streams().is_empty() && state.registry().is_empty());

        // The app's own connection is served, and only it may read the stream.
        let reply = handle_rpc(&state, &client(Some("app")), open).await.expect("own app");
        let Ok(Btm::StreamHandle(handle)) = Btm::decode(reply) else {
            panic!("expected a StreamHandle")
        };
        assert_eq!(handle.num_chunks, 1);
        assert_eq!(
            state.streams().next_chunk(handle.stream_id, 0, Some("other")),
            Err(StreamError::NotOwner(handle.stream_id))
        );
        assert!(state.streams().next_chunk(handle.stream_id, 0, Some("app")).is_ok());
    }
}
