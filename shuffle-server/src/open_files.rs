//! The bound on open shuffle files, and the data files kept open between fetches.
//!
//! Every file operation runs on tokio's blocking pool while it holds one of
//! `spark.shuffle.service.rs.maxOpenFiles` slots. Data files are also kept open between
//! fetches, up to a quarter of the slots, each holding its slot, least recently used closed
//! first: a wave of reducers reads the same map outputs again and again, and opening,
//! stat-ing and closing a file per 4 KiB block cost more than reading the block.
//!
//! Spark commits a map output by renaming its files into place and never rewrites them, so a
//! kept descriptor and the length taken at open stay right until the file is deleted. The
//! daemon's own deletes (application cleanup, RemoveBlocks) forget the file at once; files
//! an executor deletes behind our back are closed by [`OpenFiles::close_deleted`], which the
//! cleaner calls every pass, so their disk space is held for at most one cleaner interval.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinError;

use crate::lru::Lru;
use crate::prehashed::BuildPreHashed;

/// Bounds the shuffle files open at once (`spark.shuffle.service.rs.maxOpenFiles`), runs
/// file work on the blocking pool, and keeps data files open between fetches. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct OpenFiles {
    permits: Arc<Semaphore>,
    kept: Arc<Mutex<Kept>>,
    /// Whether any file can be kept (a quarter of the slots is at least one).
    keeps: bool,
}

/// An open data file, with its length when it was opened.
#[derive(Debug)]
pub struct DataFile {
    file: File,
    len: u64,
    /// The slot a kept file holds for as long as it is open.
    _slot: Option<OwnedSemaphorePermit>,
}

impl DataFile {
    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Its length in bytes when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it was empty when opened.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds a slot of its own (it was kept open), which it gives back when the
    /// last reference to it goes.
    pub fn holds_slot(&self) -> bool {
        self._slot.is_some()
    }
}

/// A file's path with its hash, taken once. The kept files are looked up for every block
/// served, and hashing a ~100-byte path each time was a tenth of a small block's
/// instructions; a shuffle index holds its data file's `FilePath`, so the hash is taken when
/// the index is loaded. Cheap to clone.
#[derive(Clone)]
pub struct FilePath(Arc<HashedPath>);

struct HashedPath {
    /// SipHash of the path's bytes under keys drawn once per process, so that paths chosen
    /// by peers cannot be made to collide.
    hash: u64,
    path: PathBuf,
}

impl FilePath {
    /// `path`, hashed.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        static KEYS: OnceLock<RandomState> = OnceLock::new();
        let path = path.into();
        let hash = KEYS.get_or_init(RandomState::new).hash_one(path.as_os_str().as_bytes());
        Self(Arc::new(HashedPath { hash, path }))
    }
}

impl std::ops::Deref for FilePath {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0.path
    }
}

impl AsRef<Path> for FilePath {
    fn as_ref(&self) -> &Path {
        &self.0.path
    }
}

impl PartialEq for FilePath {
    /// Byte for byte, as the hash is taken (`Path`'s own equality ignores repeated `/`).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.path.as_os_str() == other.0.path.as_os_str()
    }
}

impl Eq for FilePath {}

impl Hash for FilePath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl fmt::Debug for FilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.path.fmt(f)
    }
}

impl From<PathBuf> for FilePath {
    fn from(path: PathBuf) -> Self {
        Self::new(path)
    }
}

impl From<&Path> for FilePath {
    fn from(path: &Path) -> Self {
        Self::new(path)
    }
}

/// The kept data files by path.
type Kept = Lru<FilePath, Arc<DataFile>, BuildPreHashed>;

impl OpenFiles {
    /// Allows `max` files open at once, up to a quarter of them kept open between fetches.
    pub fn new(max: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        let kept = Arc::new(Mutex::new(Lru::new((max / 4) as u64)));
        Self { permits: Arc::new(Semaphore::new(max)), kept, keeps: max / 4 > 0 }
    }

    /// Waits for a free file slot. The semaphore is never closed, so a slot always comes.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }

    /// Whether a file slot is free right now (no wait, no I/O).
    pub fn has_free_slot(&self) -> bool {
        self.permits.available_permits() > 0
    }

    /// Runs `f`, which opens at most one file (besides kept ones) and closes it before
    /// returning, on the blocking pool while holding a file slot.
    pub async fn run<T, F>(&self, f: F) -> Result<T, JoinError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self.acquire().await;
        let out = tokio::task::spawn_blocking(f).await;
        drop(permit);
        out
    }

    /// The data file at `path` if it is kept open; no I/O, so safe on a runtime worker.
    pub fn kept(&self, path: &FilePath) -> Option<Arc<DataFile>> {
        self.lock().get(path).cloned()
    }

    /// The data file at `path`: the kept one, or opened now and kept if a slot is free
    /// (blocking; call it on the blocking pool).
    pub fn open_data(&self, path: &FilePath) -> io::Result<Arc<DataFile>> {
        if let Some(file) = self.kept(path) {
            return Ok(file);
        }
        let file = File::open(&**path)?;
        let len = file.metadata()?.len();
        let slot = if self.keeps { self.permits.clone().try_acquire_owned().ok() } else { None };
        let Some(slot) = slot else {
            return Ok(Arc::new(DataFile { file, len, _slot: None }));
        };
        let file = Arc::new(DataFile { file, len, _slot: Some(slot) });
        let pushed_out = self.lock().insert(path.clone(), file.clone(), 1);
        drop(pushed_out);
        Ok(file)
    }

    /// Stops keeping `path` open (its file was deleted). Closing the last descriptor of a
    /// deleted file frees its blocks, which can take a while: call it on the blocking pool.
    pub fn forget(&self, path: &Path) {
        let forgotten = self.lock().remove(&FilePath::new(path));
        drop(forgotten);
    }

    /// Closes the kept files that were deleted since they were opened (blocking).
    pub fn close_deleted(&self) {
        let kept: Vec<(FilePath, Arc<DataFile>)> =
            self.lock().iter().map(|(path, file)| (path.clone(), file.clone())).collect();
        for (path, file) in kept {
            if file.file.metadata().is_ok_and(|meta| meta.nlink() == 0) {
                let mut kept = self.lock();
                // Only if it was not reopened (a new file at the same path) meanwhile.
                if kept.get(&path).is_some_and(|now| Arc::ptr_eq(now, &file)) {
                    let forgotten = kept.remove(&path);
                    drop(kept);
                    drop(forgotten);
                }
            }
        }
    }

    /// How many data files are kept open.
    pub fn kept_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // No critical section can panic half-way, so a poisoned lock still holds a
        // consistent map.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn data_files(dir: &Path, count: usize) -> Vec<FilePath> {
        (0..count)
            .map(|i| {
                let path = dir.join(format!("shuffle_0_{i}_0.data"));
                std::fs::write(&path, vec![i as u8; i + 1]).expect("write");
                FilePath::new(path)
            })
            .collect()
    }

    #[test]
    fn keeps_a_quarter_of_the_slots_least_recent_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 3);
        let files = OpenFiles::new(8);
        assert_eq!(files.open_data(&paths[0]).expect("open").len(), 1);
        files.open_data(&paths[1]).expect("open");
        assert!(files.kept(&paths[0]).is_some(), "a use makes 0 the most recent");
        files.open_data(&paths[2]).expect("open");
        assert_eq!(files.kept_count(), 2);
        assert!(files.kept(&paths[1]).is_none(), "1 was least recently used");
        assert_eq!(files.kept(&paths[2]).expect("kept").len(), 3);
        let same = FilePath::new(paths[2].to_path_buf());
        assert!(files.kept(&same).is_some(), "found by path, not by which FilePath was kept");
        // Each kept file holds its slot.
        assert_eq!(files.permits.available_permits(), 6);
        files.forget(&paths[2]);
        assert!(files.kept(&paths[2]).is_none());
        assert_eq!(files.permits.available_permits(), 7);
    }

    #[test]
    fn keeps_nothing_without_a_free_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 1);
        let none = OpenFiles::new(3);
        assert_eq!(none.open_data(&paths[0]).expect("open").len(), 1);
        assert_eq!(none.kept_count(), 0, "a quarter of 3 is 0");
        let files = OpenFiles::new(4);
        assert!(files.has_free_slot());
        let held = files.permits.clone().try_acquire_many_owned(4).expect("all slots");
        assert!(!files.has_free_slot());
        assert!(!files.open_data(&paths[0]).expect("open").holds_slot());
        assert_eq!(files.kept_count(), 0);
        drop(held);
        assert!(files.open_data(&paths[0]).expect("open").holds_slot());
        assert_eq!(files.kept_count(), 1);
    }

    #[tokio::test]
    async fn deleted_files_are_closed_by_the_sweep() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 2);
        let files = OpenFiles::new(8);
        for path in &paths {
            files.open_data(path).expect("open");
        }
        std::fs::remove_file(&paths[0]).expect("remove");
        let sweeper = files.clone();
        tokio::time::timeout(Duration::from_secs(10), files.run(move || sweeper.close_deleted()))
            .await
            .expect("in time")
            .expect("join");
        assert!(files.kept(&paths[0]).is_none());
        assert!(files.kept(&paths[1]).is_some());
        assert!(files.open_data(&paths[0]).is_err(), "gone from disk and from the cache");
    }
}
