//! Sort-shuffle `.index` files and the cache of parsed ones.
//!
//! An index file holds `numPartitions + 1` big-endian `i64` cumulative offsets into the
//! matching `.data` file, the first being 0. Reduce partitions `[start, end)` of the map
//! output are the data bytes `[off[start], off[end])` (Spark's `ShuffleIndexInformation`).
//! Spark trusts these files blindly; we validate them once at load so that a damaged file
//! fails its fetches with a clear reason instead of serving garbage ranges.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use shuffle_protocol::shuffle::ExecutorShuffleInfo;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::open_files::{FilePath, OpenFiles};

/// A parsed, validated index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShuffleIndex {
    path: PathBuf,
    /// The data file the offsets point into, worked out (and hashed) once when the index is
    /// loaded.
    data_path: FilePath,
    offsets: Box<[u64]>,
}

/// What makes an index file invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexDefect {
    /// The length is not a positive multiple of 8.
    Length(u64),
    /// The first offset is not 0.
    FirstNotZero(i64),
    /// An offset is negative.
    Negative {
        /// Position of the offset in the file.
        entry: usize,
        /// The offset.
        value: i64,
    },
    /// An offset is smaller than the one before it.
    Decreasing {
        /// Position of the offset in the file.
        entry: usize,
        /// The offset.
        value: i64,
        /// The offset before it.
        previous: i64,
    },
}

impl fmt::Display for IndexDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length(len) => write!(f, "length {len} is not a positive multiple of 8"),
            Self::FirstNotZero(v) => write!(f, "first offset is {v}, not 0"),
            Self::Negative { entry, value } => write!(f, "offset {entry} is negative ({value})"),
            Self::Decreasing { entry, value, previous } => {
                write!(f, "offset {entry} ({value}) is smaller than the one before ({previous})")
            }
        }
    }
}

impl ShuffleIndex {
    /// Parses and validates the contents of index file `path`, which indexes `data_path`.
    pub fn parse(path: PathBuf, data_path: FilePath, bytes: &[u8]) -> Result<Self> {
        let corrupt = |defect| Error::CorruptIndex { path: path.clone(), defect };
        if bytes.is_empty() || bytes.len() % 8 != 0 {
            return Err(corrupt(IndexDefect::Length(bytes.len() as u64)));
        }
        let mut offsets = Vec::with_capacity(bytes.len() / 8);
        let mut previous = 0i64;
        for (entry, raw) in bytes.chunks_exact(8).enumerate() {
            let mut be = [0u8; 8];
            be.copy_from_slice(raw);
            let value = i64::from_be_bytes(be);
            if entry == 0 && value != 0 {
                return Err(corrupt(IndexDefect::FirstNotZero(value)));
            }
            if value < 0 {
                return Err(corrupt(IndexDefect::Negative { entry, value }));
            }
            if value < previous {
                return Err(corrupt(IndexDefect::Decreasing { entry, value, previous }));
            }
            previous = value;
            offsets.push(value as u64);
        }
        Ok(Self { path, data_path, offsets: offsets.into_boxed_slice() })
    }

    /// The index file this came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The data file it indexes.
    pub fn data_path(&self) -> &FilePath {
        &self.data_path
    }

    /// Number of reduce partitions the index describes.
    pub fn partitions(&self) -> usize {
        self.offsets.len() - 1
    }

    /// `(offset, len)` in the data file of reduce partitions `[start, end)`; `start == end`
    /// is an empty range.
    pub fn range(&self, start: i32, end: i32) -> Result<(u64, u64)> {
        let out_of_range = || Error::ReduceOutOfRange {
            path: self.path.clone(),
            start,
            end,
            partitions: self.partitions(),
        };
        let (Ok(s), Ok(e)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(out_of_range());
        };
        if s > e || e > self.partitions() {
            return Err(out_of_range());
        }
        Ok((self.offsets[s], self.offsets[e] - self.offsets[s]))
    }

    /// Bytes the index weighs in the cache (its file size, as Spark weighs it).
    fn weight(&self) -> u64 {
        self.offsets.len() as u64 * 8
    }
}

/// Index files read in one blocking-pool trip at most when reading ahead
/// ([`IndexCache::load_ahead`]): more trips run side by side, so that a cold disk sees several
/// reads at once.
pub const INDEXES_PER_TRIP: usize = 16;

/// What a parsed index is cached under: the executor registration it was found for and the
/// map output. A hit then needs no path: spelling the index file's path and hashing it was a
/// third of the instructions a small block cost.
///
/// A registration is known by the address of its shared info. The cache entry holds that
/// info, so no later registration can get the same address while the entry lives; a
/// registration that replaced it has a new address and finds the files afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct IndexKey {
    registration: usize,
    shuffle_id: i32,
    map_id: i64,
}

impl IndexKey {
    /// The key of map output (`shuffle_id`, `map_id`) of the executor registered as `info`.
    fn new(info: &Arc<ExecutorShuffleInfo>, shuffle_id: i32, map_id: i64) -> Self {
        Self { registration: Arc::as_ptr(info) as usize, shuffle_id, map_id }
    }
}

#[derive(Debug)]
struct Cached {
    index: Arc<ShuffleIndex>,
    /// Keeps the registration's address, part of the key, from being reused.
    _registration: Arc<ExecutorShuffleInfo>,
}

#[derive(Debug)]
struct Entries {
    by_key: Cache<IndexKey, Cached>,
    /// The keys each index file is cached under, to forget a deleted file. Usually one;
    /// registrations that share dirs find the same files.
    keys_by_path: HashMap<PathBuf, Vec<IndexKey>>,
}

impl Entries {
    /// Drops `key` from the keys of `path` (its entry went out of the cache).
    fn unlink(&mut self, path: &Path, key: &IndexKey) {
        if let Some(keys) = self.keys_by_path.get_mut(path) {
            keys.retain(|k| k != key);
            if keys.is_empty() {
                self.keys_by_path.remove(path);
            }
        }
    }
}

/// Parsed index files, bounded by their total size (Spark's
/// `spark.shuffle.service.index.cache.size`), kept by how often they were used lately like
/// the kept data files (see [`crate::cache`]). Cheap to clone.
#[derive(Debug, Clone)]
pub struct IndexCache {
    inner: Arc<Mutex<Entries>>,
    files: OpenFiles,
}

impl IndexCache {
    /// A cache holding at most `capacity` bytes of index files, reading through `files`;
    /// its use counts are sized for as many map outputs as `files` keeps data files of.
    pub fn new(capacity: u64, files: OpenFiles) -> Self {
        let by_key = Cache::new(capacity, files.budget().kept);
        let entries = Entries { by_key, keys_by_path: HashMap::new() };
        Self { inner: Arc::new(Mutex::new(entries)), files }
    }

    /// The parsed index of map output (`shuffle_id`, `map_id`) of the executor registered as
    /// `info`. If it is not cached, `paths` names the index file and the data file it
    /// indexes, and the index file is read on the blocking pool.
    ///
    /// Two concurrent misses on one key may both read the file; the second insert wins.
    /// That costs a read, never correctness, and keeps the lock out of the I/O.
    pub async fn get(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        shuffle_id: i32,
        map_id: i64,
        paths: impl FnOnce() -> Result<(PathBuf, PathBuf)>,
    ) -> Result<Arc<ShuffleIndex>> {
        let key = IndexKey::new(info, shuffle_id, map_id);
        if let Some(cached) = self.lock().by_key.get(&key) {
            return Ok(cached.index.clone());
        }
        let (path, data_path) = paths()?;
        let read_path = path.clone();
        let bytes = self
            .files
            .run({
                let files = self.files.clone();
                move || files.read(&read_path)
            })
            .await?
            .map_err(|source| Error::IndexRead { path: path.clone(), source })?;
        let index = Arc::new(ShuffleIndex::parse(path, FilePath::new(data_path), &bytes)?);
        self.put(info, key, index.clone());
        Ok(index)
    }

    /// The parsed index of map output (`shuffle_id`, `map_id`) of the executor registered as
    /// `info` if it is cached (a use, as [`IndexCache::get`]'s lookup); no I/O.
    pub fn cached(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        shuffle_id: i32,
        map_id: i64,
    ) -> Option<Arc<ShuffleIndex>> {
        let key = IndexKey::new(info, shuffle_id, map_id);
        self.lock().by_key.get(&key).map(|cached| cached.index.clone())
    }

    /// Reads and caches the indexes of the map outputs `maps` (shuffle id, map id) of the
    /// executor registered as `info` that are not cached yet; `paths` names each one's index
    /// and data file. A chunk whose index is missing would otherwise cost a blocking-pool
    /// trip of its own, one after the other on its connection, while a reducer's request
    /// names up to hundreds of map outputs and a wave sweeps all of a host's: the files are
    /// read in trips of at most [`INDEXES_PER_TRIP`], side by side, each holding one file
    /// slot. A file that cannot be read or parsed is skipped: the chunk that needs it reads
    /// it again, and fails with the reason.
    pub async fn load_ahead(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        maps: &[(i32, i64)],
        paths: impl Fn(i32, i64) -> Result<(PathBuf, PathBuf)>,
    ) {
        let missing: Vec<IndexKey> = {
            let entries = self.lock();
            let mut keys: Vec<IndexKey> = maps
                .iter()
                .map(|&(shuffle_id, map_id)| IndexKey::new(info, shuffle_id, map_id))
                .filter(|key| !entries.by_key.contains(key))
                .collect();
            keys.dedup();
            keys
        };
        let wanted: Vec<(IndexKey, PathBuf, PathBuf)> = missing
            .into_iter()
            .filter_map(|key| {
                let (index, data) = paths(key.shuffle_id, key.map_id).ok()?;
                Some((key, index, data))
            })
            .collect();
        let mut trips = tokio::task::JoinSet::new();
        for group in wanted.chunks(INDEXES_PER_TRIP) {
            let (files, group) = (self.files.clone(), group.to_vec());
            trips.spawn(async move {
                let reader = files.clone();
                files
                    .run(move || {
                        group
                            .into_iter()
                            .filter_map(|(key, path, data)| {
                                let bytes = reader.read(&path).ok()?;
                                let index =
                                    ShuffleIndex::parse(path, FilePath::new(data), &bytes).ok()?;
                                Some((key, Arc::new(index)))
                            })
                            .collect::<Vec<_>>()
                    })
                    .await
            });
        }
        while let Some(read) = trips.join_next().await {
            let Ok(Ok(read)) = read else { continue };
            for (key, index) in read {
                self.put(info, key, index);
            }
        }
    }

    /// Caches `index` under `key`, read for the executor registered as `info`.
    fn put(&self, info: &Arc<ExecutorShuffleInfo>, key: IndexKey, index: Arc<ShuffleIndex>) {
        let path = index.path().to_owned();
        let weight = index.weight();
        let cached = Cached { index, _registration: info.clone() };
        let out = {
            let mut entries = self.lock();
            let out = entries.by_key.insert(key, cached, weight);
            for (key, gone) in &out {
                entries.unlink(gone.index.path(), key);
            }
            if entries.by_key.contains(&key) {
                let keys = entries.keys_by_path.entry(path).or_default();
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            out
        };
        drop(out);
    }

    /// Forgets the index file at `path` (it was deleted), under every key it is cached under.
    pub fn invalidate(&self, path: &Path) {
        let forgotten: Vec<Cached> = {
            let mut entries = self.lock();
            let keys = entries.keys_by_path.remove(path).unwrap_or_default();
            keys.iter().filter_map(|key| entries.by_key.remove(key)).collect()
        };
        drop(forgotten);
    }

    /// Total bytes of the cached index files.
    pub fn weight(&self) -> u64 {
        self.lock().by_key.weight()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The critical sections cannot panic half-way, so a poisoned lock still holds a
        // consistent map.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(offsets: &[i64]) -> Vec<u8> {
        offsets.iter().flat_map(|o| o.to_be_bytes()).collect()
    }

    fn index(offsets: &[i64]) -> Result<ShuffleIndex> {
        ShuffleIndex::parse(PathBuf::from("x.index"), data(), &bytes_of(offsets))
    }

    fn data() -> FilePath {
        FilePath::new("x.data")
    }

    fn defect(offsets: &[i64]) -> Option<IndexDefect> {
        match index(offsets) {
            Err(Error::CorruptIndex { defect, .. }) => Some(defect),
            _ => None,
        }
    }

    #[test]
    fn ranges_are_offset_differences() {
        let idx = index(&[0, 10, 10, 25]).expect("valid");
        assert_eq!(idx.partitions(), 3);
        assert_eq!(idx.range(0, 1).expect("in range"), (0, 10));
        assert_eq!(idx.range(1, 2).expect("in range"), (10, 0));
        assert_eq!(idx.range(1, 3).expect("in range"), (10, 15));
        assert_eq!(idx.range(3, 3).expect("in range"), (25, 0));
        for (s, e) in [(3, 4), (-1, 1), (2, 1), (0, i32::MAX)] {
            let err = idx.range(s, e).expect_err("out of range");
            assert!(matches!(err, Error::ReduceOutOfRange { partitions: 3, .. }), "{err}");
        }
    }

    #[test]
    fn invalid_files_are_refused() {
        assert_eq!(defect(&[]), Some(IndexDefect::Length(0)));
        assert_eq!(defect(&[5, 10]), Some(IndexDefect::FirstNotZero(5)));
        assert_eq!(defect(&[0, -1]), Some(IndexDefect::Negative { entry: 1, value: -1 }));
        assert_eq!(
            defect(&[0, 10, 5]),
            Some(IndexDefect::Decreasing { entry: 2, value: 5, previous: 10 })
        );
        let odd = ShuffleIndex::parse(PathBuf::from("x"), data(), &[0; 12]);
        assert!(matches!(odd, Err(Error::CorruptIndex { defect: IndexDefect::Length(12), .. })));
        // A single zero offset is a valid index of zero partitions.
        assert_eq!(index(&[0]).expect("valid").partitions(), 0);
    }

    /// A registration; the cache knows it by its address only.
    fn registration() -> Arc<ExecutorShuffleInfo> {
        Arc::new(ExecutorShuffleInfo {
            local_dirs: vec!["/unused".into()],
            sub_dirs_per_local_dir: 1,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        })
    }

    /// Map output `map_id` of shuffle 0, cached for `info`, from the index file `path`.
    async fn get(
        cache: &IndexCache,
        info: &Arc<ExecutorShuffleInfo>,
        map_id: i64,
        path: &Path,
    ) -> Result<Arc<ShuffleIndex>> {
        let paths = (path.to_owned(), path.with_extension("data"));
        cache.get(info, 0, map_id, move || Ok(paths)).await
    }

    #[tokio::test]
    async fn cache_loads_admits_the_more_used_evicts_least_recent_and_invalidates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| {
                let p = dir.path().join(format!("shuffle_0_{i}_0.index"));
                std::fs::write(&p, bytes_of(&[0, 1, 2])).expect("write");
                p
            })
            .collect();
        let info = registration();
        // Room for two 24-byte files.
        let cache = IndexCache::new(50, OpenFiles::new(4));
        get(&cache, &info, 0, &paths[0]).await.expect("load 0");
        get(&cache, &info, 1, &paths[1]).await.expect("load 1");
        // Half full: uses count from now on.
        get(&cache, &info, 1, &paths[1]).await.expect("hit 1");
        get(&cache, &info, 0, &paths[0]).await.expect("hit 0");
        get(&cache, &info, 2, &paths[2]).await.expect("load 2, used no more than 1: not kept");
        assert_eq!(cache.weight(), 48);
        assert!(!cache.lock().by_key.contains(&IndexKey::new(&info, 0, 2)));
        get(&cache, &info, 2, &paths[2]).await.expect("load 2 again, now kept, evicting 1");
        assert_eq!(cache.weight(), 48);

        // Prove what is cached by deleting the files: cached entries still answer.
        for p in &paths {
            std::fs::remove_file(p).expect("remove");
        }
        let hit = get(&cache, &info, 0, &paths[0]).await.expect("cached");
        assert_eq!(
            (hit.path(), &**hit.data_path()),
            (&*paths[0], &*paths[0].with_extension("data"))
        );
        assert!(get(&cache, &info, 2, &paths[2]).await.is_ok());
        assert!(matches!(get(&cache, &info, 1, &paths[1]).await, Err(Error::IndexRead { .. })));
        cache.invalidate(&paths[0]);
        assert!(matches!(get(&cache, &info, 0, &paths[0]).await, Err(Error::IndexRead { .. })));
        assert_eq!(cache.weight(), 24);
        assert_eq!(cache.lock().keys_by_path.len(), 1, "evicted and forgotten files unlinked");
    }

    #[tokio::test]
    async fn a_new_registration_reads_afresh_and_a_deletion_forgets_every_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shuffle_0_0_0.index");
        std::fs::write(&path, bytes_of(&[0, 5])).expect("write");
        let cache = IndexCache::new(1 << 20, OpenFiles::new(4));
        let (old, new) = (registration(), registration());
        assert_eq!(get(&cache, &old, 0, &path).await.expect("load").range(0, 1).ok(), Some((0, 5)));
        // The executor registered again (same dirs) and its file was rewritten since.
        std::fs::write(&path, bytes_of(&[0, 9])).expect("rewrite");
        assert_eq!(get(&cache, &new, 0, &path).await.expect("load").range(0, 1).ok(), Some((0, 9)));
        assert_eq!(cache.weight(), 32, "both registrations' parses are cached");
        std::fs::remove_file(&path).expect("remove");
        cache.invalidate(&path);
        assert_eq!(cache.weight(), 0);
        for info in [&old, &new] {
            assert!(matches!(get(&cache, info, 0, &path).await, Err(Error::IndexRead { .. })));
        }
        assert!(cache.lock().keys_by_path.is_empty());
    }

    #[tokio::test]
    async fn loading_ahead_reads_many_indexes_in_few_trips_and_skips_bad_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |map_id: i64| dir.path().join(format!("shuffle_0_{map_id}_0.index"));
        for map_id in 0..40 {
            std::fs::write(path(map_id), bytes_of(&[0, map_id, map_id + 1])).expect("write");
        }
        std::fs::remove_file(path(5)).expect("remove");
        std::fs::write(path(6), bytes_of(&[0, 9, 3])).expect("corrupt");
        let files = OpenFiles::new(64);
        let cache = IndexCache::new(1 << 20, files.clone());
        let info = registration();
        // Map 0 twice and one already cached: each read once.
        get(&cache, &info, 39, &path(39)).await.expect("load 39");
        let mut maps: Vec<(i32, i64)> = (0..40).map(|m| (0, m)).collect();
        maps.insert(1, (0, 0));
        let trips = files.blocking_trips();
        let paths = |_, map_id| Ok((path(map_id), path(map_id).with_extension("data")));
        cache.load_ahead(&info, &maps, paths).await;
        assert_eq!(files.blocking_trips() - trips, 39u64.div_ceil(INDEXES_PER_TRIP as u64));
        for map_id in (0..40).filter(|m| ![5, 6].contains(m)) {
            let index = cache.cached(&info, 0, map_id).expect("cached");
            assert_eq!(index.range(1, 2).ok(), Some((map_id as u64, 1)), "map {map_id}");
            assert_eq!(&**index.data_path(), &*path(map_id).with_extension("data"));
        }
        assert!(cache.cached(&info, 0, 5).is_none() && cache.cached(&info, 0, 6).is_none());
        // The chunks that need them fail with the reason.
        assert!(matches!(get(&cache, &info, 5, &path(5)).await, Err(Error::IndexRead { .. })));
        assert!(matches!(get(&cache, &info, 6, &path(6)).await, Err(Error::CorruptIndex { .. })));
        // Loaded ahead, forgotten like any other when deleted.
        cache.invalidate(&path(7));
        assert!(cache.cached(&info, 0, 7).is_none());
        assert_eq!(cache.lock().keys_by_path.len(), 37);
    }

    #[tokio::test]
    async fn zero_capacity_caches_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.index");
        std::fs::write(&p, bytes_of(&[0, 7])).expect("write");
        let cache = IndexCache::new(0, OpenFiles::new(1));
        let info = registration();
        assert_eq!(
            get(&cache, &info, 0, &p).await.expect("load").range(0, 1).expect("range"),
            (0, 7)
        );
        assert_eq!(cache.weight(), 0);
        assert!(cache.lock().keys_by_path.is_empty(), "an index not kept is not linked");
    }
}
