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
    StreamHandle,
};
use tracing::{debug, info, warn};

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
    match msg {
        Btm::RegisterExecutor(m) => {
            client.check_auth(&m.app_id)?;
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
        Btm::RegisterDriver(_) | Btm::ShuffleServiceHeartbeat(_) => {
            Err(Error::UnexpectedMessage(name))
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
pub async fn handle_one_way(_state: &State, client: &Client, body: Bytes) {
    match RpcBody::decode(body) {
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
