//! Block fetches (Spark's `OneForOneBlockFetcher` driven by `RetryingBlockTransferor`).
//!
//! [`plan`] turns the caller's block ids into the open RPC and the **chunk order**: the
//! order in which the server returns the blocks, which is the order a [`BlockStream`] yields
//! them in.
//!
//! - All ids `shuffle_S_M_R` (or all batch ids `shuffle_S_M_START_END`), same shuffle, and
//!   `use_old_fetch_protocol` off: one `FetchShuffleBlocks`. Ids are grouped by map id in
//!   order of first appearance, each group keeping the caller's order, so `[m1r0, m2r0,
//!   m1r1]` is fetched and yielded as `[m1r0, m1r1, m2r0]`. Batch ids make one chunk per map
//!   holding reducers `START..END`.
//! - All ids `shuffleChunk_S_MERGE_R_C` (push-merged chunks), same shuffle and merge id:
//!   one `FetchShuffleBlockChunks`, grouped by reduce id likewise.
//! - Anything else (`rdd_*` blocks, mixtures, or `use_old_fetch_protocol`): one
//!   `OpenBlocks` with the ids as given, in the given order.
//!
//! The engine ([`run`]) opens the stream, receives chunks along a [`TransferPath`] and
//! yields each block as soon as it and all earlier ones are in. On a retryable error it
//! waits `retry_wait` and sends a new open RPC for the blocks not yet yielded (a suffix of
//! the chunk order, so the order is unchanged), at most `max_retries` times per fetch, as
//! `RetryingBlockTransferor` does; each block is therefore yielded exactly once.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use shuffle_protocol::block_id::BlockId;
use shuffle_protocol::codec::Encode;
use shuffle_protocol::shuffle::{
    BlockTransferMessage, FetchShuffleBlockChunks, FetchShuffleBlocks, OpenBlocks,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::pool::{PeerAddr, Pool};
use crate::retry::should_retry;
use crate::transport::{FetchEvent, FetchEvents, TransferPath};

/// The open RPC of a fetch and the block ids in chunk order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchPlan {
    /// The RPC body's message.
    pub(crate) message: BlockTransferMessage,
    /// Block ids in the order the server returns them.
    pub(crate) block_ids: Vec<String>,
}

fn invalid(block_id: &str, reason: &'static str) -> Error {
    Error::InvalidBlockId { block_id: block_id.to_owned(), reason }
}

/// Chooses the open message for `block_ids` and reorders them to chunk order (see the
/// module docs).
pub(crate) fn plan(
    app_id: &str,
    exec_id: &str,
    block_ids: Vec<String>,
    use_old_fetch_protocol: bool,
) -> Result<FetchPlan> {
    if !use_old_fetch_protocol && !block_ids.is_empty() {
        if block_ids.iter().all(|id| id.starts_with("shuffle_")) {
            return plan_shuffle_blocks(app_id, exec_id, block_ids);
        }
        if block_ids.iter().all(|id| id.starts_with("shuffleChunk_")) {
            return plan_shuffle_chunks(app_id, exec_id, block_ids);
        }
    }
    let message = OpenBlocks {
        app_id: app_id.to_owned(),
        exec_id: exec_id.to_owned(),
        block_ids: block_ids.clone(),
    };
    Ok(FetchPlan { message: message.into(), block_ids })
}

/// Groups `(key, secondary id, block id)` triples by key in order of first appearance.
#[derive(Debug, Default)]
struct Groups<K> {
    keys: Vec<K>,
    ids: Vec<Vec<i32>>,
    block_ids: Vec<Vec<String>>,
    index: HashMap<K, usize>,
}

impl<K: Copy + Eq + std::hash::Hash> Groups<K> {
    /// The group of `key`, and whether it is new.
    fn group(&mut self, key: K) -> (usize, bool) {
        if let Some(&i) = self.index.get(&key) {
            return (i, false);
        }
        let i = self.keys.len();
        self.keys.push(key);
        self.ids.push(Vec::new());
        self.block_ids.push(Vec::new());
        self.index.insert(key, i);
        (i, true)
    }

    fn ordered_block_ids(self) -> (Vec<K>, Vec<Vec<i32>>, Vec<String>) {
        (self.keys, self.ids, self.block_ids.into_iter().flatten().collect())
    }
}

fn plan_shuffle_blocks(app_id: &str, exec_id: &str, block_ids: Vec<String>) -> Result<FetchPlan> {
    let mut first: Option<(i32, bool)> = None;
    let mut groups = Groups::<i64>::default();
    for id in block_ids {
        let parsed: BlockId = id.parse().map_err(|_| invalid(&id, "not a valid block id"))?;
        let (shuffle_id, map_id, reduce_id, range) = match parsed {
            BlockId::Shuffle { shuffle_id, map_id, reduce_id } => {
                (shuffle_id, map_id, reduce_id, None)
            }
            BlockId::ShuffleBatch { shuffle_id, map_id, start_reduce_id, end_reduce_id } => {
                (shuffle_id, map_id, start_reduce_id, Some(end_reduce_id))
            }
            _ => return Err(invalid(&id, "not a shuffle block or batch id")),
        };
        let (first_shuffle, batch) = *first.get_or_insert((shuffle_id, range.is_some()));
        if shuffle_id != first_shuffle {
            return Err(invalid(&id, "belongs to another shuffle than the first id"));
        }
        if batch != range.is_some() {
            return Err(invalid(&id, "mixes single and batch shuffle block ids"));
        }
        let (g, new) = groups.group(map_id);
        match range {
            Some(end) => {
                // One chunk per map: a second range of the same map cannot be expressed.
                if !new {
                    return Err(invalid(&id, "second batch id for the same map output"));
                }
                groups.ids[g].extend([reduce_id, end]);
            }
            None => groups.ids[g].push(reduce_id),
        }
        groups.block_ids[g].push(id);
    }
    let (shuffle_id, batch_fetch_enabled) = first.unwrap_or((0, false));
    let (map_ids, reduce_ids, block_ids) = groups.ordered_block_ids();
    let message = FetchShuffleBlocks {
        app_id: app_id.to_owned(),
        exec_id: exec_id.to_owned(),
        shuffle_id,
        map_ids,
        reduce_ids,
        batch_fetch_enabled,
    };
    Ok(FetchPlan { message: message.into(), block_ids })
}

fn plan_shuffle_chunks(app_id: &str, exec_id: &str, block_ids: Vec<String>) -> Result<FetchPlan> {
    let mut first: Option<(i32, i32)> = None;
    let mut groups = Groups::<i32>::default();
    for id in block_ids {
        let parsed: BlockId = id.parse().map_err(|_| invalid(&id, "not a valid block id"))?;
        let BlockId::ShuffleChunk { shuffle_id, shuffle_merge_id, reduce_id, chunk_id } = parsed
        else {
            return Err(invalid(&id, "not a shuffle chunk id"));
        };
        if *first.get_or_insert((shuffle_id, shuffle_merge_id)) != (shuffle_id, shuffle_merge_id) {
            return Err(invalid(&id, "belongs to another shuffle or merge than the first id"));
        }
        let (g, _) = groups.group(reduce_id);
        groups.ids[g].push(chunk_id);
        groups.block_ids[g].push(id);
    }
    let (shuffle_id, shuffle_merge_id) = first.unwrap_or((0, 0));
    let (reduce_ids, chunk_ids, block_ids) = groups.ordered_block_ids();
    let message = FetchShuffleBlockChunks {
        app_id: app_id.to_owned(),
        exec_id: exec_id.to_owned(),
        shuffle_id,
        shuffle_merge_id,
        reduce_ids,
        chunk_ids,
    };
    Ok(FetchPlan { message: message.into(), block_ids })
}

/// A block written to a destination by a streaming fetch.
#[derive(Debug)]
pub struct Downloaded<T> {
    /// The writer the block went to (flushed), or the file's path.
    pub target: T,
    /// Bytes written.
    pub len: u64,
}

/// Where fetched bytes go: memory, a caller's writers, files in a directory.
pub(crate) trait Destination: Send + 'static {
    /// What a finished block turns into.
    type Item: Send + 'static;
    /// A block being received.
    type Partial: Send;

    /// Starts block `block_id` of `len` bytes.
    fn start(
        &mut self,
        block_id: &str,
        len: u64,
    ) -> impl Future<Output = io::Result<Self::Partial>> + Send;

    /// Appends the next piece.
    fn write(
        &mut self,
        partial: &mut Self::Partial,
        data: Bytes,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Completes the block.
    fn finish(
        &mut self,
        partial: Self::Partial,
    ) -> impl Future<Output = io::Result<Self::Item>> + Send;
}

/// Collects blocks in memory; a block that arrives in one piece is not copied.
#[derive(Debug, Default)]
pub(crate) struct Memory;

/// A block being collected in memory.
#[derive(Debug)]
pub(crate) enum MemoryPartial {
    /// Nothing yet; the announced length.
    Empty(u64),
    /// One piece so far.
    One(Bytes, u64),
    /// Several pieces, copied together.
    Many(BytesMut),
}

/// Largest up-front reservation for a block collected from pieces; a server's length is not
/// trusted with more.
const MAX_RESERVE: u64 = 64 << 20;

impl Destination for Memory {
    type Item = Bytes;
    type Partial = MemoryPartial;

    async fn start(&mut self, _block_id: &str, len: u64) -> io::Result<MemoryPartial> {
        Ok(MemoryPartial::Empty(len))
    }

    async fn write(&mut self, partial: &mut MemoryPartial, data: Bytes) -> io::Result<()> {
        *partial = match std::mem::replace(partial, MemoryPartial::Empty(0)) {
            MemoryPartial::Empty(len) => MemoryPartial::One(data, len),
            MemoryPartial::One(first, len) => {
                let reserve = usize::try_from(len.min(MAX_RESERVE)).unwrap_or(0);
                let mut all = BytesMut::with_capacity(reserve.max(first.len() + data.len()));
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                MemoryPartial::Many(all)
            }
            MemoryPartial::Many(mut all) => {
                all.extend_from_slice(&data);
                MemoryPartial::Many(all)
            }
        };
        Ok(())
    }

    async fn finish(&mut self, partial: MemoryPartial) -> io::Result<Bytes> {
        Ok(match partial {
            MemoryPartial::Empty(_) => Bytes::new(),
            MemoryPartial::One(data, _) => data,
            MemoryPartial::Many(all) => all.freeze(),
        })
    }
}

/// Writes each block to a writer the caller opens for it.
pub(crate) struct Writers<F> {
    pub(crate) open: F,
}

impl<F> fmt::Debug for Writers<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Writers")
    }
}

impl<F, Fut, W> Destination for Writers<F>
where
    F: FnMut(&str) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<W>> + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Item = Downloaded<W>;
    type Partial = Downloaded<W>;

    async fn start(&mut self, block_id: &str, _len: u64) -> io::Result<Downloaded<W>> {
        Ok(Downloaded { target: (self.open)(block_id).await?, len: 0 })
    }

    async fn write(&mut self, partial: &mut Downloaded<W>, data: Bytes) -> io::Result<()> {
        partial.target.write_all(&data).await?;
        partial.len += data.len() as u64;
        Ok(())
    }

    async fn finish(&mut self, mut partial: Downloaded<W>) -> io::Result<Downloaded<W>> {
        partial.target.flush().await?;
        Ok(partial)
    }
}

/// Writes each block to a file named after it in a directory.
#[derive(Debug)]
pub(crate) struct Directory {
    pub(crate) dir: PathBuf,
}

/// A file name for `block_id`: the id itself when it is a plain name (every id Spark
/// makes is), otherwise with other characters replaced by `_`.
pub(crate) fn file_name_for(block_id: &str) -> String {
    let name: String = block_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        format!("block-{name}")
    } else {
        name
    }
}

impl Destination for Directory {
    type Item = Downloaded<PathBuf>;
    type Partial = (tokio::fs::File, Downloaded<PathBuf>);

    async fn start(&mut self, block_id: &str, _len: u64) -> io::Result<Self::Partial> {
        let path = self.dir.join(file_name_for(block_id));
        let file = tokio::fs::File::create(&path).await?;
        Ok((file, Downloaded { target: path, len: 0 }))
    }

    async fn write(&mut self, partial: &mut Self::Partial, data: Bytes) -> io::Result<()> {
        partial.0.write_all(&data).await?;
        partial.1.len += data.len() as u64;
        Ok(())
    }

    async fn finish(&mut self, (mut file, done): Self::Partial) -> io::Result<Self::Item> {
        file.flush().await?;
        Ok(done)
    }
}

/// The blocks of one fetch, in chunk order: `Ok((block_id, data))` per block, or
/// `Err(e)` with [`Error::is_block_failure`] for a block the server failed, after which
/// the stream goes on; any other `Err` is the last item.
///
/// The fetch starts when the stream is first polled and runs in a task of its own.
/// Dropping the stream stops it: blocks not yet received are discarded, while the
/// connection still takes the server's remaining chunks of the open stream so the server
/// releases it (see [`ShuffleClient::fetch_blocks`](crate::ShuffleClient::fetch_blocks)).
pub struct BlockStream<T> {
    items: mpsc::UnboundedReceiver<Result<(String, T)>>,
    start: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    task: Option<JoinHandle<()>>,
}

impl<T> fmt::Debug for BlockStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockStream").field("started", &self.start.is_none()).finish()
    }
}

impl<T> Stream for BlockStream<T> {
    type Item = Result<(String, T)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(start) = self.start.take() {
            self.task = Some(tokio::spawn(start));
        }
        self.items.poll_recv(cx)
    }
}

impl<T> Drop for BlockStream<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// One fetch to run.
#[derive(Debug)]
pub(crate) struct FetchJob {
    pub(crate) pool: Arc<Pool>,
    pub(crate) addr: PeerAddr,
    pub(crate) app_id: String,
    pub(crate) exec_id: String,
    pub(crate) block_ids: Vec<String>,
    pub(crate) path: TransferPath,
}

/// A stream that runs `job` into `dest` once polled.
pub(crate) fn fetch<D: Destination>(job: FetchJob, dest: D) -> BlockStream<D::Item> {
    let (tx, items) = mpsc::unbounded_channel();
    BlockStream { items, start: Some(Box::pin(run(job, dest, tx))), task: None }
}

type Out<T> = mpsc::UnboundedSender<Result<(String, T)>>;

/// The fetch task: plan, then attempts until every block was yielded, a final error, or
/// the consumer went away.
async fn run<D: Destination>(mut job: FetchJob, mut dest: D, out: Out<D::Item>) {
    let config = job.pool.config().clone();
    let block_ids = std::mem::take(&mut job.block_ids);
    let mut pending: VecDeque<String> =
        match plan(&job.app_id, &job.exec_id, block_ids, config.use_old_fetch_protocol) {
            Ok(plan) => plan.block_ids.into(),
            Err(e) => {
                let _ = out.send(Err(e));
                return;
            }
        };
    let mut retries = 0;
    while !pending.is_empty() && !out.is_closed() {
        match attempt(&job, &mut dest, &mut pending, &out).await {
            Ok(()) => {}
            Err(e) if should_retry(&e, retries, &config) => {
                retries += 1;
                tracing::warn!(
                    addr = %job.addr, error = %e, retry = retries, max = config.max_retries,
                    blocks = pending.len(), "retrying fetch of outstanding blocks",
                );
                tokio::time::sleep(config.retry_wait).await;
            }
            Err(e) => {
                let _ = out.send(Err(e));
                return;
            }
        }
    }
}

/// One open RPC and its chunks. Returns `Ok` when every pending block was yielded or the
/// consumer went away; yielded blocks are removed from `pending` as they go.
async fn attempt<D: Destination>(
    job: &FetchJob,
    dest: &mut D,
    pending: &mut VecDeque<String>,
    out: &Out<D::Item>,
) -> Result<()> {
    let use_old = job.pool.config().use_old_fetch_protocol;
    let conn = job.pool.get(&job.addr, &job.app_id).await?;
    let ids: Vec<String> = pending.iter().cloned().collect();
    let plan = plan(&job.app_id, &job.exec_id, ids, use_old)?;
    // A suffix of chunk order plans to itself, so a retry keeps the order.
    debug_assert!(plan.block_ids.iter().eq(pending.iter()));
    let (sink, mut events) = FetchEvents::channel(job.path);
    conn.open_stream(plan.message.name(), plan.message.to_bytes(), job.path, sink)?;
    let num_chunks = match events.recv().await {
        Some(FetchEvent::Opened { num_chunks }) => num_chunks,
        Some(FetchEvent::OpenFailed(e)) => return Err(e),
        Some(_) => return Err(internal(conn.addr(), "StreamHandle")),
        None => return Err(conn.close_error()),
    };
    if usize::try_from(num_chunks).ok() != Some(pending.len()) {
        let addr = conn.addr().to_owned();
        return Err(Error::ChunkCountMismatch { addr, expected: pending.len(), got: num_chunks });
    }
    match job.path {
        TransferPath::Chunks => receive_chunks(conn.addr(), &mut events, dest, pending, out).await,
        TransferPath::Stream => receive_streams(conn.addr(), &mut events, dest, pending, out).await,
    }
    .map_err(|e| match e {
        Received::Closed => conn.close_error(),
        Received::Failed(e) => e,
    })
}

/// Why receiving stopped early.
enum Received {
    /// The connection closed (its error says why).
    Closed,
    /// Anything else.
    Failed(Error),
}

impl From<Error> for Received {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

/// An event the connection layer never sends at that point.
fn internal(addr: &str, expected: &'static str) -> Error {
    Error::UnexpectedResponse { addr: addr.to_owned(), expected, got: "another fetch event" }
}

fn sink_error(block_id: &str, e: io::Error) -> Error {
    Error::Sink { block_id: block_id.to_owned(), source: Arc::new(e) }
}

/// The chunk path: chunks may arrive in any order; blocks are yielded in chunk order.
async fn receive_chunks<D: Destination>(
    addr: &str,
    events: &mut FetchEvents,
    dest: &mut D,
    pending: &mut VecDeque<String>,
    out: &Out<D::Item>,
) -> Result<(), Received> {
    let total = pending.len();
    let mut early: BTreeMap<usize, Result<Bytes, String>> = BTreeMap::new();
    let mut next = 0usize;
    while next < total {
        match events.recv().await {
            Some(FetchEvent::Chunk { index, result }) => {
                if let Ok(index) = usize::try_from(index) {
                    early.insert(index, result);
                }
            }
            Some(_) => return Err(internal(addr, "a chunk").into()),
            None => return Err(Received::Closed),
        }
        while let Some(result) = early.remove(&next) {
            next += 1;
            let Some(block_id) = pending.pop_front() else { break };
            let item = match result {
                Ok(data) => {
                    let len = data.len() as u64;
                    let mut partial =
                        dest.start(&block_id, len).await.map_err(|e| sink_error(&block_id, e))?;
                    if !data.is_empty() {
                        dest.write(&mut partial, data)
                            .await
                            .map_err(|e| sink_error(&block_id, e))?;
                    }
                    let done = dest.finish(partial).await.map_err(|e| sink_error(&block_id, e))?;
                    Ok((block_id, done))
                }
                Err(message) => Err(Error::ChunkFetchFailure { block_id, message }),
            };
            if out.send(item).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The stream path: responses come first-in first-out, each body right after its header.
async fn receive_streams<D: Destination>(
    addr: &str,
    events: &mut FetchEvents,
    dest: &mut D,
    pending: &mut VecDeque<String>,
    out: &Out<D::Item>,
) -> Result<(), Received> {
    let total = pending.len();
    for expected in 0..total {
        let event = events.recv().await.ok_or(Received::Closed)?;
        let Some(block_id) = pending.front().cloned() else { break };
        let item = match event {
            FetchEvent::StreamStart { index, len }
                if usize::try_from(index).ok() == Some(expected) =>
            {
                let mut partial =
                    dest.start(&block_id, len).await.map_err(|e| sink_error(&block_id, e))?;
                let mut received = 0u64;
                while received < len {
                    match events.recv().await {
                        Some(FetchEvent::StreamData { data, last }) => {
                            received += data.len() as u64;
                            dest.write(&mut partial, data)
                                .await
                                .map_err(|e| sink_error(&block_id, e))?;
                            if last {
                                break;
                            }
                        }
                        Some(_) => return Err(internal(addr, "stream data").into()),
                        None => return Err(Received::Closed),
                    }
                }
                let done = dest.finish(partial).await.map_err(|e| sink_error(&block_id, e))?;
                Ok((block_id, done))
            }
            FetchEvent::StreamFailed { index, message }
                if usize::try_from(index).ok() == Some(expected) =>
            {
                Err(Error::StreamFailure { block_id, message })
            }
            _ => return Err(internal(addr, "the next stream").into()),
        };
        pending.pop_front();
        if out.send(item).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn ok(list: &[&str], old: bool) -> FetchPlan {
        plan("app", "7", ids(list), old).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shuffle_ids_group_by_map_in_first_appearance_order() {
        let got = ok(&["shuffle_0_9_1", "shuffle_0_5_0", "shuffle_0_9_0", "shuffle_0_5_3"], false);
        assert_eq!(
            got.block_ids,
            ids(&["shuffle_0_9_1", "shuffle_0_9_0", "shuffle_0_5_0", "shuffle_0_5_3"])
        );
        let want = FetchShuffleBlocks {
            app_id: "app".into(),
            exec_id: "7".into(),
            shuffle_id: 0,
            map_ids: vec![9, 5],
            reduce_ids: vec![vec![1, 0], vec![0, 3]],
            batch_fetch_enabled: false,
        };
        assert_eq!(got.message, want.into());
    }

    #[test]
    fn batch_ids_make_one_chunk_per_map() {
        let got = ok(&["shuffle_2_7_0_4", "shuffle_2_3_1_2"], false);
        assert_eq!(got.block_ids, ids(&["shuffle_2_7_0_4", "shuffle_2_3_1_2"]));
        let BlockTransferMessage::FetchShuffleBlocks(msg) = got.message else { panic!() };
        assert!(msg.batch_fetch_enabled);
        assert_eq!(msg.map_ids, vec![7, 3]);
        assert_eq!(msg.reduce_ids, vec![vec![0, 4], vec![1, 2]]);
        assert_eq!(msg.num_blocks(), 2);
    }

    #[test]
    fn a_suffix_of_chunk_order_plans_to_itself() {
        let first =
            ok(&["shuffle_0_1_0", "shuffle_0_2_0", "shuffle_0_1_1", "shuffle_0_2_1"], false);
        for skip in 0..first.block_ids.len() {
            let rest: Vec<&str> = first.block_ids[skip..].iter().map(String::as_str).collect();
            assert_eq!(ok(&rest, false).block_ids, first.block_ids[skip..]);
        }
    }

    #[test]
    fn rdd_mixed_and_old_protocol_use_open_blocks_in_given_order() {
        for (list, old) in [
            (&["rdd_1_2", "rdd_1_0"][..], false),
            (&["shuffle_0_9_1", "rdd_1_0"][..], false),
            (&["shuffle_0_9_1", "shuffle_0_5_0", "shuffle_0_9_0"][..], true),
        ] {
            let got = ok(list, old);
            assert_eq!(got.block_ids, ids(list));
            let want =
                OpenBlocks { app_id: "app".into(), exec_id: "7".into(), block_ids: ids(list) };
            assert_eq!(got.message, want.into());
        }
    }

    #[test]
    fn merged_chunks_group_by_reduce_id() {
        let got =
            ok(&["shuffleChunk_1_0_5_0", "shuffleChunk_1_0_6_0", "shuffleChunk_1_0_5_1"], false);
        assert_eq!(
            got.block_ids,
            ids(&["shuffleChunk_1_0_5_0", "shuffleChunk_1_0_5_1", "shuffleChunk_1_0_6_0"])
        );
        let BlockTransferMessage::FetchShuffleBlockChunks(msg) = got.message else { panic!() };
        assert_eq!((msg.shuffle_id, msg.shuffle_merge_id), (1, 0));
        assert_eq!(msg.reduce_ids, vec![5, 6]);
        assert_eq!(msg.chunk_ids, vec![vec![0, 1], vec![0]]);
    }

    #[test]
    fn refuses_what_one_request_cannot_carry() {
        for list in [
            &["shuffle_0_1_0", "shuffle_1_1_0"][..],
            &["shuffle_0_1_0", "shuffle_0_1_0_2"][..],
            &["shuffle_0_1_0_2", "shuffle_0_1_2_4"][..],
            &["shuffle_0_1_0.data"][..],
            &["shuffle_x_1_0"][..],
            &["shuffleChunk_1_0_5_0", "shuffleChunk_1_1_5_1"][..],
        ] {
            let got = plan("app", "7", ids(list), false);
            assert!(matches!(got, Err(Error::InvalidBlockId { .. })), "{list:?}: {got:?}");
        }
    }

    #[test]
    fn file_names_stay_inside_the_directory() {
        assert_eq!(file_name_for("shuffle_0_1_2"), "shuffle_0_1_2");
        assert_eq!(file_name_for("../x/y"), "block-.._x_y");
        assert_eq!(file_name_for(""), "block-");
    }
}
