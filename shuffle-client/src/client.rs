//! [`ShuffleClient`]: the operations of Spark's `ExternalBlockStoreClient` and
//! `MesosExternalBlockStoreClient`.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use shuffle_protocol::block_id::BlockId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::shuffle::{
    BlockTransferMessage, Cause, DiagnoseCorruption, ExecutorShuffleInfo, GetLocalDirsForExecutors,
    RegisterExecutor, RemoveBlocks,
};
use tokio::io::AsyncWrite;
use tokio::time::timeout;

use crate::config::ClientConfig;
use crate::driver::{register_driver, DriverRegistration};
use crate::error::{Error, Result};
use crate::fetcher::{fetch, BlockStream, Directory, Downloaded, FetchJob, Memory, Writers};
use crate::pool::{PeerAddr, Pool};
use crate::retry::with_retries;
use crate::transport::TransferPath;

/// How a fetch moves block bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transfer {
    /// [`Transfer::Stream`] if the size hint exceeds
    /// `ClientConfig::max_remote_block_size_fetch_to_mem`, else [`Transfer::Chunks`]
    /// (Spark's choice in `ShuffleBlockFetcherIterator`).
    #[default]
    Auto,
    /// `ChunkFetchRequest`s: each block in one frame, requested all at once.
    Chunks,
    /// `StreamRequest`s: each block as a raw stream body (needed for blocks of 2 GiB and
    /// more, which no frame can hold).
    Stream,
}

/// Options of [`ShuffleClient::fetch_blocks_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchOptions {
    /// The transfer path.
    pub transfer: Transfer,
    /// Expected total size of the request in bytes, for [`Transfer::Auto`].
    pub size_hint: Option<u64>,
}

impl FetchOptions {
    /// The path these options pick under `config`.
    fn path(&self, config: &ClientConfig) -> TransferPath {
        match self.transfer {
            Transfer::Chunks => TransferPath::Chunks,
            Transfer::Stream => TransferPath::Stream,
            Transfer::Auto => match self.size_hint {
                Some(size) if size > config.max_remote_block_size_fetch_to_mem => {
                    TransferPath::Stream
                }
                _ => TransferPath::Chunks,
            },
        }
    }
}

/// An async client for Spark 3.5's external shuffle service (and this project's
/// replacement), with Spark's authentication if `ClientConfig::auth` is set (every new
/// connection runs SASL or the AuthEngine handshake before its first request).
///
/// Cheap to clone; clones share one connection pool (`num_connections_per_peer`
/// connections per server address, reused until they close). Operations retry connection
/// errors by the configured policy and may be called concurrently; they multiplex over the
/// pooled connections. Must be used within a Tokio runtime.
#[derive(Debug, Clone)]
pub struct ShuffleClient {
    pool: Arc<Pool>,
}

impl Default for ShuffleClient {
    fn default() -> Self {
        Self::new(ClientConfig::default())
    }
}

impl ShuffleClient {
    /// A client with `config`.
    pub fn new(config: ClientConfig) -> Self {
        Self { pool: Arc::new(Pool::new(config)) }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        self.pool.config()
    }

    /// Drops every pooled connection; each closes once operations still using it finish.
    /// The client stays usable and connects again when needed.
    pub fn close_connections(&self) {
        self.pool.clear();
    }

    /// Sends one RPC of application `app_id` (with retries) and decodes the response as a
    /// `BlockTransferMessage`; `limit` bounds each attempt.
    async fn rpc(
        &self,
        addr: &PeerAddr,
        app_id: &str,
        msg: BlockTransferMessage,
        limit: Option<Duration>,
    ) -> Result<Bytes> {
        let name = msg.name();
        let body = msg.to_bytes();
        with_retries(self.config(), name, || async {
            let conn = self.pool.get(addr, app_id).await?;
            let call = conn.rpc(name, body.clone());
            match limit {
                None => call.await,
                Some(limit) => timeout(limit, call).await.unwrap_or_else(|_| {
                    Err(Error::Timeout { addr: addr.to_string(), timeout: limit })
                }),
            }
        })
        .await
    }

    /// Decodes an RPC response body as the message `expected`.
    fn decode(
        addr: &PeerAddr,
        expected: &'static str,
        body: Bytes,
    ) -> Result<BlockTransferMessage> {
        BlockTransferMessage::decode(body).map_err(|e| Error::MalformedResponse {
            addr: addr.to_string(),
            expected,
            source: Arc::new(e),
        })
    }

    fn unexpected(addr: &PeerAddr, expected: &'static str, got: &BlockTransferMessage) -> Error {
        Error::UnexpectedResponse { addr: addr.to_string(), expected, got: got.name() }
    }

    /// Registers executor `exec_id` of `app_id` and where its shuffle files are
    /// (`RegisterExecutor`), within `registration_timeout` per attempt. The service answers
    /// with an empty body, which Spark ignores and so does this.
    pub async fn register_executor(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        executor_info: ExecutorShuffleInfo,
    ) -> Result<()> {
        let addr = addr.into();
        let msg = RegisterExecutor {
            app_id: app_id.to_owned(),
            exec_id: exec_id.to_owned(),
            executor_info,
        };
        let limit = self.config().registration_timeout;
        let body = self.rpc(&addr, app_id, msg.into(), Some(limit)).await?;
        if !body.is_empty() {
            tracing::debug!(%addr, len = body.len(), "RegisterExecutor answered with a body");
        }
        Ok(())
    }

    /// Fetches blocks of executor `exec_id` into memory over the chunk path.
    ///
    /// Yields `(block_id, bytes)` per block in **chunk order**: shuffle block ids
    /// (`shuffle_S_M_R`, all of one shuffle) are fetched with `FetchShuffleBlocks` and
    /// reordered, as Spark's `OneForOneBlockFetcher` does, by grouping them by map id in
    /// order of first appearance (`[m1r0, m2r0, m1r1]` yields `m1r0, m1r1, m2r0`); batch ids
    /// `shuffle_S_M_START_END` (all batch, at most one per map) fetch reducers
    /// `START..END` of map `M` as one block; merged chunk ids `shuffleChunk_*` use
    /// `FetchShuffleBlockChunks` grouped by reduce id; anything else (`rdd_*`, mixtures, or
    /// `use_old_fetch_protocol`) uses `OpenBlocks` in the given order. A block the server
    /// fails yields an error with [`Error::is_block_failure`] and the fetch goes on; any
    /// other error ends the stream. Ids one request cannot carry fail the stream with
    /// [`Error::InvalidBlockId`] before anything is sent.
    ///
    /// Connection errors are retried (`max_retries`, `retry_wait`) with a new request for
    /// the blocks not yet yielded, so every block is yielded exactly once.
    ///
    /// Dropping the stream early discards the remaining blocks. Every chunk was requested
    /// right after the server opened the stream (pipelined, like Spark), so the connection
    /// keeps taking and discarding them until the server has sent the last one and released
    /// the stream; the pooled connection stays open for other requests meanwhile. A fetch
    /// dropped before the server answered the open RPC is completed the same way.
    pub fn fetch_blocks(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
    ) -> BlockStream<Bytes> {
        self.fetch_blocks_with(addr, app_id, exec_id, block_ids, FetchOptions::default())
    }

    /// [`fetch_blocks`](Self::fetch_blocks) with a choice of transfer path: the stream
    /// path (`StreamRequest`s for the whole request) when asked for, or by default when the
    /// size hint exceeds `max_remote_block_size_fetch_to_mem`. Blocks still end up in
    /// memory; to keep large blocks out of memory use
    /// [`fetch_blocks_to_writers`](Self::fetch_blocks_to_writers) or
    /// [`fetch_blocks_to_dir`](Self::fetch_blocks_to_dir).
    pub fn fetch_blocks_with(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
        options: FetchOptions,
    ) -> BlockStream<Bytes> {
        let path = options.path(self.config());
        fetch(self.job(addr.into(), app_id, exec_id, block_ids, path), Memory)
    }

    /// Fetches blocks over the stream path, writing each to a writer that `open` makes for
    /// its block id, and yields `(block_id, Downloaded { target: writer, len })` once the
    /// block is complete and the writer flushed, in chunk order (see
    /// [`fetch_blocks`](Self::fetch_blocks) for order, failures, retries and dropping).
    ///
    /// If the connection fails in the middle of a block, that block's writer is dropped and
    /// `open` is called again for it on the retry, so `open` should start from scratch
    /// (create or truncate). An error from `open` or a writer ends the stream with
    /// [`Error::Sink`].
    pub fn fetch_blocks_to_writers<F, Fut, W>(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
        open: F,
    ) -> BlockStream<Downloaded<W>>
    where
        F: FnMut(&str) -> Fut + Send + 'static,
        Fut: Future<Output = io::Result<W>> + Send,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let job = self.job(addr.into(), app_id, exec_id, block_ids, TransferPath::Stream);
        fetch(job, Writers { open })
    }

    /// Fetches blocks over the stream path into files of `dir` named after the block ids
    /// (created or truncated; characters other than ASCII letters, digits, `_`, `-` and `.`
    /// become `_`), yielding `(block_id, Downloaded { target: path, len })` per block; see
    /// [`fetch_blocks_to_writers`](Self::fetch_blocks_to_writers). A file being written when
    /// the stream is dropped or fails is left as it is; the caller owns `dir`.
    pub fn fetch_blocks_to_dir(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
        dir: impl Into<PathBuf>,
    ) -> BlockStream<Downloaded<PathBuf>> {
        let job = self.job(addr.into(), app_id, exec_id, block_ids, TransferPath::Stream);
        fetch(job, Directory { dir: dir.into() })
    }

    fn job(
        &self,
        addr: PeerAddr,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
        path: TransferPath,
    ) -> FetchJob {
        FetchJob {
            pool: self.pool.clone(),
            addr,
            app_id: app_id.to_owned(),
            exec_id: exec_id.to_owned(),
            block_ids,
            path,
        }
    }

    /// Deletes files of executor `exec_id` by block id (`RemoveBlocks`: `rdd_*` blocks, or
    /// `shuffle_S_M_0.data`/`.index` files) and returns how many the service deleted.
    pub async fn remove_blocks(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_ids: Vec<String>,
    ) -> Result<i32> {
        let addr = addr.into();
        let msg =
            RemoveBlocks { app_id: app_id.to_owned(), exec_id: exec_id.to_owned(), block_ids };
        let body = self.rpc(&addr, app_id, msg.into(), None).await?;
        match Self::decode(&addr, "BlocksRemoved", body)? {
            BlockTransferMessage::BlocksRemoved(removed) => Ok(removed.num_removed_blocks),
            other => Err(Self::unexpected(&addr, "BlocksRemoved", &other)),
        }
    }

    /// The registered local dirs of executors `exec_ids` of `app_id`
    /// (`GetLocalDirsForExecutors`), by executor id. The service fails the whole request if
    /// any executor is unknown.
    pub async fn get_local_dirs_for_executors(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_ids: Vec<String>,
    ) -> Result<HashMap<String, Vec<String>>> {
        let addr = addr.into();
        let msg = GetLocalDirsForExecutors { app_id: app_id.to_owned(), exec_ids };
        let body = self.rpc(&addr, app_id, msg.into(), None).await?;
        match Self::decode(&addr, "LocalDirsForExecutors", body)? {
            BlockTransferMessage::LocalDirsForExecutors(dirs) => {
                Ok(dirs.executors.into_iter().map(|e| (e.exec_id, e.local_dirs)).collect())
            }
            other => Err(Self::unexpected(&addr, "LocalDirsForExecutors", &other)),
        }
    }

    /// Asks the service why shuffle block `block_id` (`shuffle_S_M_R`) arrived corrupted
    /// (`DiagnoseCorruption`): `checksum` is what the reader computed with `algorithm`
    /// (`ADLER32`, `CRC32`). Spark turns a failed RPC into `UNKNOWN_ISSUE`; this returns the
    /// error instead.
    pub async fn diagnose_corruption(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        exec_id: &str,
        block_id: &str,
        checksum: i64,
        algorithm: &str,
    ) -> Result<Cause> {
        let addr = addr.into();
        let Ok(BlockId::Shuffle { shuffle_id, map_id, reduce_id }) = block_id.parse() else {
            return Err(Error::InvalidBlockId {
                block_id: block_id.to_owned(),
                reason: "not a shuffle block id shuffle_S_M_R",
            });
        };
        let msg = DiagnoseCorruption {
            app_id: app_id.to_owned(),
            exec_id: exec_id.to_owned(),
            shuffle_id,
            map_id,
            reduce_id,
            checksum,
            algorithm: algorithm.to_owned(),
        };
        let body = self.rpc(&addr, app_id, msg.into(), None).await?;
        match Self::decode(&addr, "CorruptionCause", body)? {
            BlockTransferMessage::CorruptionCause(cause) => Ok(cause.cause),
            other => Err(Self::unexpected(&addr, "CorruptionCause", &other)),
        }
    }

    /// Registers the driver of `app_id` with a (Mesos) shuffle service (`RegisterDriver`,
    /// within `registration_timeout` per attempt) and starts sending
    /// `ShuffleServiceHeartbeat`s every `driver_heartbeat_interval` on that connection. The
    /// service forgets the application once no heartbeat came for `heartbeat_timeout`. See
    /// [`DriverRegistration`] for reconnection and stopping.
    pub async fn register_driver(
        &self,
        addr: impl Into<PeerAddr>,
        app_id: &str,
        heartbeat_timeout: Duration,
    ) -> Result<DriverRegistration> {
        register_driver(self.pool.clone(), addr.into(), app_id, heartbeat_timeout).await
    }
}
