//! Sort-shuffle `.index` files and the cache of parsed ones.
//!
//! An index file holds `numPartitions + 1` big-endian `i64` cumulative offsets into the
//! matching `.data` file, the first being 0. Reduce partitions `[start, end)` of the map
//! output are the data bytes `[off[start], off[end])` (Spark's `ShuffleIndexInformation`).
//! Spark trusts these files blindly; we validate them once at load so that a damaged file
//! fails its fetches with a clear reason instead of serving garbage ranges.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::lru::Lru;
use crate::open_files::OpenFiles;

/// A parsed, validated index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShuffleIndex {
    path: PathBuf,
    /// The data file the offsets point into, worked out once when the index is loaded.
    data_path: Arc<Path>,
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
    pub fn parse(path: PathBuf, data_path: Arc<Path>, bytes: &[u8]) -> Result<Self> {
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
    pub fn data_path(&self) -> &Arc<Path> {
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

/// Parsed index files by path, bounded by their total size and evicted least recently used
/// first (Spark's `spark.shuffle.service.index.cache.size`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct IndexCache {
    inner: Arc<Mutex<Lru<Arc<ShuffleIndex>>>>,
    files: OpenFiles,
}

impl IndexCache {
    /// A cache holding at most `capacity` bytes of index files, reading through `files`.
    pub fn new(capacity: u64, files: OpenFiles) -> Self {
        Self { inner: Arc::new(Mutex::new(Lru::new(capacity))), files }
    }

    /// The parsed index file at `path`, read on the blocking pool if not cached; on a load,
    /// `data_path` names the data file it indexes.
    ///
    /// Two concurrent misses on one path may both read the file; the second insert wins.
    /// That costs a read, never correctness, and keeps the lock out of the I/O.
    pub async fn get(
        &self,
        path: &Path,
        data_path: impl FnOnce() -> Result<PathBuf>,
    ) -> Result<Arc<ShuffleIndex>> {
        if let Some(index) = self.lock().get(path) {
            return Ok(index);
        }
        let owned = path.to_owned();
        let bytes = self
            .files
            .run(move || std::fs::read(&owned))
            .await?
            .map_err(|source| Error::IndexRead { path: path.to_owned(), source })?;
        let index = ShuffleIndex::parse(path.to_owned(), Arc::from(data_path()?), &bytes)?;
        let index = Arc::new(index);
        let replaced = self.lock().insert(path, index.clone(), index.weight());
        drop(replaced);
        Ok(index)
    }

    /// Forgets `path` (its file was deleted).
    pub fn invalidate(&self, path: &Path) {
        self.lock().remove(path);
    }

    /// Total bytes of the cached index files.
    pub fn weight(&self) -> u64 {
        self.lock().weight()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru<Arc<ShuffleIndex>>> {
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

    fn data() -> Arc<Path> {
        Arc::from(Path::new("x.data"))
    }

    fn data_of(index: &Path) -> impl FnOnce() -> Result<PathBuf> {
        let data = index.with_extension("data");
        move || Ok(data)
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

    #[tokio::test]
    async fn cache_loads_evicts_least_recent_and_invalidates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| {
                let p = dir.path().join(format!("shuffle_0_{i}_0.index"));
                std::fs::write(&p, bytes_of(&[0, 1, 2])).expect("write");
                p
            })
            .collect();
        // Room for two 24-byte files.
        let cache = IndexCache::new(50, OpenFiles::new(4));
        cache.get(&paths[0], data_of(&paths[0])).await.expect("load 0");
        cache.get(&paths[1], data_of(&paths[1])).await.expect("load 1");
        cache.get(&paths[0], data_of(&paths[0])).await.expect("hit 0");
        cache.get(&paths[2], data_of(&paths[2])).await.expect("load 2, evicting 1");
        assert_eq!(cache.weight(), 48);

        // Prove what is cached by deleting the files: cached entries still answer.
        for p in &paths {
            std::fs::remove_file(p).expect("remove");
        }
        assert!(cache.get(&paths[0], data_of(&paths[0])).await.is_ok());
        assert!(cache.get(&paths[2], data_of(&paths[2])).await.is_ok());
        assert!(matches!(
            cache.get(&paths[1], data_of(&paths[1])).await,
            Err(Error::IndexRead { .. })
        ));
        cache.invalidate(&paths[0]);
        assert!(matches!(
            cache.get(&paths[0], data_of(&paths[0])).await,
            Err(Error::IndexRead { .. })
        ));
        assert_eq!(cache.weight(), 24);
    }

    #[tokio::test]
    async fn zero_capacity_caches_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.index");
        std::fs::write(&p, bytes_of(&[0, 7])).expect("write");
        let cache = IndexCache::new(0, OpenFiles::new(1));
        assert_eq!(
            cache.get(&p, data_of(&p)).await.expect("load").range(0, 1).expect("range"),
            (0, 7)
        );
        assert_eq!(cache.weight(), 0);
    }
}
