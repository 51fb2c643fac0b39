//! Registered block streams (Spark's `OneForOneStreamManager`).
//!
//! OpenBlocks and FetchShuffleBlocks register a stream of chunks; the client then asks for
//! chunk 0, 1, … in order, over ChunkFetchRequest or StreamRequest. Blocks are resolved lazily
//! when their chunk is requested, as Spark does, so a bad block fails its chunk and not the
//! RPC. A stream belongs to the connection that opened it and is dropped when that connection
//! closes or its last chunk is taken.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use shuffle_protocol::block_id::{AppExecId, BlockId};

use crate::metrics;
use crate::prehashed::BuildPreHashed;

/// Identifies a client connection for stream ownership.
pub type ConnId = u64;

/// One chunk of a stream: a block of a registered executor, resolved when requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The executor whose files hold the block.
    pub exec: Arc<AppExecId>,
    /// The block (a shuffle block, a batch range of one map output, or an RDD block).
    pub block: BlockId,
}

#[derive(Debug)]
struct Stream {
    conn: ConnId,
    app_id: String,
    chunks: std::vec::IntoIter<Chunk>,
    next_index: i32,
}

/// Why a chunk could not be handed out; the text goes into ChunkFetchFailure/StreamFailure.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StreamError {
    /// The stream was never opened, was closed with its connection, or is exhausted.
    #[error("Requested chunk not available since streamId {0} is closed")]
    Closed(i64),
    /// The client asked for a chunk other than the next one.
    #[error("Received out-of-order chunk index {requested} (expected {expected})")]
    OutOfOrder {
        /// Index asked for.
        requested: i32,
        /// Index the stream is at.
        expected: i32,
    },
    /// An authenticated connection asked for another application's stream.
    #[error("Unknown stream ID {0} for this client")]
    NotOwner(i64),
}

/// All open streams of the daemon; cheap to clone.
#[derive(Debug, Clone)]
pub struct StreamManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    next_id: AtomicI64,
    streams: DashMap<StreamKey, Stream, BuildPreHashed>,
}

/// A stream id as a map key, hashed by one multiplication instead of SipHash, which cost
/// two hashes per chunk. Safe against flooding because the daemon picks every id in the map
/// (consecutive numbers, which Fibonacci hashing spreads over all bits); a peer only looks
/// ids up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StreamKey(i64);

impl Hash for StreamKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // 2^64 divided by the golden ratio, made odd.
        state.write_u64((self.0 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

impl Default for StreamManager {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamManager {
    /// An empty manager. Ids start at a time-derived offset so that a client holding a
    /// stream id from before a restart cannot hit a new stream by accident.
    pub fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_millis() as i64 % 1_000_000) * 1000)
            .unwrap_or(0);
        let streams = DashMap::with_hasher(BuildPreHashed::default());
        Self { inner: Arc::new(Inner { next_id: AtomicI64::new(seed), streams }) }
    }

    /// Registers a stream owned by `conn` on behalf of `app_id` and returns its id.
    pub fn register(&self, conn: ConnId, app_id: &str, chunks: Vec<Chunk>) -> i64 {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let stream =
            Stream { conn, app_id: app_id.to_owned(), chunks: chunks.into_iter(), next_index: 0 };
        self.inner.streams.insert(StreamKey(id), stream);
        metrics::gauge!(metrics::ACTIVE_STREAMS).set(self.inner.streams.len() as f64);
        id
    }

    /// Takes chunk `index` of `stream_id`; the stream is dropped as soon as its last chunk is
    /// taken, before the chunk is sent, as Spark does.
    ///
    /// `auth_app` is the connection's authenticated application, if any: such a connection
    /// may only read its own application's streams.
    pub fn next_chunk(
        &self,
        stream_id: i64,
        index: i32,
        auth_app: Option<&str>,
    ) -> Result<Chunk, StreamError> {
        let mut entry = self
            .inner
            .streams
            .get_mut(&StreamKey(stream_id))
            .ok_or(StreamError::Closed(stream_id))?;
        let stream = entry.value_mut();
        if auth_app.is_some_and(|app| app != stream.app_id) {
            return Err(StreamError::NotOwner(stream_id));
        }
        if index != stream.next_index {
            return Err(StreamError::OutOfOrder { requested: index, expected: stream.next_index });
        }
        let chunk = stream.chunks.next();
        stream.next_index += 1;
        let exhausted = stream.chunks.len() == 0;
        drop(entry);
        if exhausted {
            self.remove(stream_id);
        }
        chunk.ok_or(StreamError::Closed(stream_id))
    }

    /// The blocks of the next `n` chunks of `stream_id` at most, still to be taken: for
    /// the connection that owns it to prepare them (no check of ownership; they only name
    /// blocks of the stream's executor).
    pub fn upcoming(&self, stream_id: i64, n: usize) -> Vec<BlockId> {
        let Some(stream) = self.inner.streams.get(&StreamKey(stream_id)) else {
            return Vec::new();
        };
        stream.chunks.as_slice().iter().take(n).map(|chunk| chunk.block).collect()
    }

    fn remove(&self, stream_id: i64) {
        self.inner.streams.remove(&StreamKey(stream_id));
        metrics::gauge!(metrics::ACTIVE_STREAMS).set(self.inner.streams.len() as f64);
    }

    /// Drops every stream of a closed connection.
    pub fn connection_closed(&self, conn: ConnId) {
        self.inner.streams.retain(|_, s| s.conn != conn);
        metrics::gauge!(metrics::ACTIVE_STREAMS).set(self.inner.streams.len() as f64);
    }

    /// Drops every stream of an application whose state was removed.
    pub fn app_removed(&self, app_id: &str) {
        self.inner.streams.retain(|_, s| s.app_id != app_id);
        metrics::gauge!(metrics::ACTIVE_STREAMS).set(self.inner.streams.len() as f64);
    }

    /// Number of open streams.
    pub fn len(&self) -> usize {
        self.inner.streams.len()
    }

    /// Whether no stream is open.
    pub fn is_empty(&self) -> bool {
        self.inner.streams.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(n: i32) -> Vec<Chunk> {
        let exec = Arc::new(AppExecId { app_id: "app".into(), exec_id: "1".into() });
        (0..n)
            .map(|r| Chunk {
                exec: exec.clone(),
                block: BlockId::Shuffle { shuffle_id: 0, map_id: 1, reduce_id: r },
            })
            .collect()
    }

    #[test]
    fn consecutive_stream_ids_spread_over_buckets_and_shards() {
        use std::hash::BuildHasher;
        let build = BuildPreHashed::default();
        let hashes: Vec<u64> = (1000..1064).map(|id| build.hash_one(StreamKey(id))).collect();
        // hashbrown picks buckets by the low bits, dashmap shards by the high ones.
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 63).collect();
        let high: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 58).collect();
        assert_eq!(low.len(), 64, "64 ids, 64 buckets");
        assert!(high.len() >= 32, "{} of 64 top-bit patterns", high.len());
    }

    #[test]
    fn chunks_in_order_then_stream_is_gone() {
        let m = StreamManager::new();
        let id = m.register(1, "app", chunks(2));
        assert_eq!(
            m.next_chunk(id, 1, None),
            Err(StreamError::OutOfOrder { requested: 1, expected: 0 })
        );
        assert!(m.next_chunk(id, 0, None).is_ok());
        assert!(m.next_chunk(id, 1, None).is_ok());
        assert!(m.is_empty());
        assert_eq!(m.next_chunk(id, 2, None), Err(StreamError::Closed(id)));
    }

    #[test]
    fn upcoming_names_the_chunks_not_taken_yet() {
        let m = StreamManager::new();
        let id = m.register(1, "app", chunks(4));
        let reduces = |blocks: Vec<BlockId>| -> Vec<i32> {
            blocks
                .into_iter()
                .map(|b| match b {
                    BlockId::Shuffle { reduce_id, .. } => reduce_id,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(reduces(m.upcoming(id, 2)), [0, 1]);
        assert!(m.next_chunk(id, 0, None).is_ok());
        assert_eq!(reduces(m.upcoming(id, 10)), [1, 2, 3], "not the chunk taken, at most n");
        assert!(m.next_chunk(id, 1, None).is_ok(), "looking ahead takes nothing");
        assert!(m.upcoming(id + 1, 10).is_empty());
    }

    #[test]
    fn connection_close_drops_only_its_streams() {
        let m = StreamManager::new();
        let a = m.register(1, "app", chunks(2));
        let b = m.register(2, "app", chunks(2));
        m.connection_closed(1);
        assert_eq!(m.next_chunk(a, 0, None), Err(StreamError::Closed(a)));
        assert!(m.next_chunk(b, 0, None).is_ok());
    }

    #[test]
    fn authenticated_connection_reads_only_its_app() {
        let m = StreamManager::new();
        let id = m.register(1, "app", chunks(1));
        assert_eq!(m.next_chunk(id, 0, Some("other")), Err(StreamError::NotOwner(id)));
        assert!(m.next_chunk(id, 0, Some("app")).is_ok());
    }
}
