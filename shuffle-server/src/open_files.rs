//! The bound on open shuffle files, and the data files kept open between fetches.
//!
//! Every file operation runs on tokio's blocking pool while it holds one of the open-file
//! slots. Data files are also kept open between fetches, each holding its slot: a wave of
//! reducers reads the same map outputs again and again, and opening, stat-ing and closing a
//! file per 4 KiB block cost more than reading the block. A wave sweeps all map outputs of a
//! host in order, so the kept files are chosen by how often they were used lately, not by
//! how recently (see [`crate::cache`]), and how many can be kept follows from the process's
//! file limit ([`OpenFileBudget`]).
//!
//! Spark commits a map output by renaming its files into place and never rewrites them, so a
//! kept descriptor and the length taken at open stay right until the file is deleted. The
//! daemon's own deletes (application cleanup, RemoveBlocks) forget the file at once; files
//! an executor deletes behind our back are closed by [`OpenFiles::close_deleted`], which the
//! cleaner calls every pass, so their disk space is held for at most one cleaner interval.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::ffi::CString;
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinError;

use crate::cache::Cache;
use crate::mapped::{self, MappedFile};
use crate::prehashed::BuildPreHashed;

/// Bounds the shuffle files open at once, runs file work on the blocking pool, and keeps
/// data files open between fetches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpenFiles {
    permits: Arc<Semaphore>,
    kept: Arc<Mutex<Kept>>,
    mapped: Arc<Mutex<Mapped>>,
    /// The directories files are opened in, each held open with a slot (see
    /// [`OpenFiles::open`]).
    dirs: Arc<Mutex<HashMap<PathBuf, Arc<Dir>>>>,
    budget: OpenFileBudget,
    /// Trips to the blocking pool for file work so far.
    trips: Arc<AtomicU64>,
}

/// How many shuffle files may be open at once, and how many of them kept open between
/// fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileBudget {
    /// Files open at once, kept ones included; more wait.
    pub slots: usize,
    /// Data files kept open between fetches, at most.
    pub kept: usize,
    /// Data files kept mapped, without a descriptor, at most (see [`crate::mapped`]).
    pub mapped: usize,
}

/// Descriptors set aside for everything but shuffle files: standard streams, listeners,
/// the registration store, the runtime's epoll and event descriptors, TLS and secret files.
const OTHER_DESCRIPTORS: u64 = 64;

/// Slots left for files that are opened and closed again (index and checksum reads, data
/// files not kept, bodies queued for sendfile) once the kept files have theirs, at most.
const PASSING_SLOTS: usize = 4096;

impl OpenFileBudget {
    /// `spark.shuffle.service.rs.maxOpenFiles` set explicitly: `max` slots, a quarter of
    /// them kept.
    pub fn explicit(max: usize) -> Self {
        Self { slots: max, kept: max / 4, mapped: 0 }
    }

    /// What the file limit `soft_limit` (`RLIMIT_NOFILE`) leaves for shuffle files once
    /// `max_connections` sockets have two descriptors each (their own, and the duplicate a
    /// sendfile trip holds) and [`OTHER_DESCRIPTORS`] are set aside; at least half the
    /// limit. Of those slots a quarter, at least one and at most [`PASSING_SLOTS`], stay for
    /// files opened in passing; the rest may be kept.
    pub fn from_limit(soft_limit: u64, max_connections: usize) -> Self {
        let others = (max_connections as u64).saturating_mul(2).saturating_add(OTHER_DESCRIPTORS);
        let slots = soft_limit.saturating_sub(others).max(soft_limit / 2);
        let slots = usize::try_from(slots).unwrap_or(usize::MAX).clamp(1, Semaphore::MAX_PERMITS);
        Self { slots, kept: slots - (slots / 4).clamp(1, PASSING_SLOTS), mapped: 0 }
    }

    /// The budget for `max_open_files` if set, else from the process's soft file limit as
    /// it is now; `max_mapped_files` mapped if set, else as many as `vm.max_map_count`
    /// allows; none if the kernel does not copy from mappings here
    /// ([`mapped::copies_work`]).
    pub fn for_daemon(
        max_open_files: Option<usize>,
        max_mapped_files: Option<usize>,
        max_connections: usize,
    ) -> Self {
        let budget = match max_open_files {
            Some(max) => Self::explicit(max),
            None => Self::from_limit(crate::limits::soft_file_limit(), max_connections),
        };
        let mapped = match max_mapped_files {
            Some(0) => 0,
            _ if !mapped::copies_work() => 0,
            Some(max) => max,
            None => mapped::max_map_count().map_or(0, mapped::budget_for),
        };
        Self { mapped, ..budget }
    }
}

/// Directories held open at most to open files in (64 sub-directories per local dir of an
/// executor), and no more than a quarter of the slots not kept; once that many are held,
/// files in other directories are opened by their whole path. The cleaner's pass closes
/// the deleted ones.
const MAX_DIRS: usize = 1024;

/// A directory held open to open files in, holding a file slot.
#[derive(Debug)]
struct Dir {
    file: File,
    _slot: OwnedSemaphorePermit,
}

/// An open data file, with its length when first asked for.
#[derive(Debug)]
pub struct DataFile {
    file: File,
    /// Taken when first needed rather than at open: most files opened in passing are read
    /// once, and the read's end tells a file too short as well; a `statx` per block not kept
    /// was 4% of a sweep's time.
    len: OnceLock<u64>,
    /// The slot a kept file holds for as long as it is open.
    _slot: Option<OwnedSemaphorePermit>,
}

impl DataFile {
    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Its length in bytes when first asked for (blocking only as `fstat` is: the file is
    /// open, its inode in memory).
    pub fn length(&self) -> io::Result<u64> {
        if let Some(&len) = self.len.get() {
            return Ok(len);
        }
        let len = self.file.metadata()?.len();
        Ok(*self.len.get_or_init(|| len))
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
type Kept = Cache<FilePath, Arc<DataFile>, BuildPreHashed>;

/// The mapped data files by path.
type Mapped = Cache<FilePath, Arc<MappedFile>, BuildPreHashed>;

impl OpenFiles {
    /// Allows `max` files open at once, up to a quarter of them kept open between fetches.
    pub fn new(max: usize) -> Self {
        Self::with_budget(OpenFileBudget::explicit(max))
    }

    /// Allows `budget.slots` files open at once, up to `budget.kept` of them (no more than
    /// the slots) kept open between fetches.
    pub fn with_budget(budget: OpenFileBudget) -> Self {
        let slots = budget.slots.min(Semaphore::MAX_PERMITS);
        let budget = OpenFileBudget { slots, kept: budget.kept.min(slots), ..budget };
        let kept = Arc::new(Mutex::new(Cache::new(budget.kept as u64, budget.kept)));
        let mapped = Arc::new(Mutex::new(Cache::new(budget.mapped as u64, budget.mapped)));
        let trips = Arc::new(AtomicU64::new(0));
        let dirs = Arc::new(Mutex::new(HashMap::new()));
        Self { permits: Arc::new(Semaphore::new(slots)), kept, mapped, dirs, budget, trips }
    }

    /// The slots and how many files may be kept.
    pub fn budget(&self) -> OpenFileBudget {
        self.budget
    }

    /// Trips to the blocking pool for file work since this was made.
    pub fn blocking_trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }

    /// Runs `f` on the blocking pool, without a slot: it only uses files already open.
    pub(crate) async fn spawn<T, F>(&self, f: F) -> Result<T, JoinError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.trips.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(f).await
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
        let out = self.spawn(f).await;
        drop(permit);
        out
    }

    /// The data file at `path` if it is kept open; no I/O, so safe on a runtime worker.
    /// Counts as a use of `path`, which is what decides the files kept: look each block's
    /// file up here once.
    pub fn kept(&self, path: &FilePath) -> Option<Arc<DataFile>> {
        self.lock().get(path).cloned()
    }

    /// The data file at `path`: the kept one, or opened now and kept if a slot is free
    /// (blocking; call it on the blocking pool). Not a use of `path`: [`OpenFiles::kept`]
    /// counted it.
    pub fn open_data(&self, path: &FilePath) -> io::Result<Arc<DataFile>> {
        if let Some(file) = self.lock().peek(path) {
            return Ok(file.clone());
        }
        let file = self.open(path)?;
        let len = OnceLock::new();
        let slot =
            if self.budget.kept > 0 { self.permits.clone().try_acquire_owned().ok() } else { None };
        let Some(slot) = slot else {
            return Ok(Arc::new(DataFile { file, len, _slot: None }));
        };
        let file = Arc::new(DataFile { file, len, _slot: Some(slot) });
        let pushed_out = self.lock().insert(path.clone(), file.clone(), 1);
        drop(pushed_out);
        Ok(file)
    }

    /// The data file at `path` if it is mapped; no I/O. Counts as a use of `path` among
    /// the mapped files: look each block whose file is not kept up here once.
    pub fn mapped(&self, path: &FilePath) -> Option<Arc<MappedFile>> {
        if self.budget.mapped == 0 {
            return None;
        }
        self.lock_mapped().get(path).cloned()
    }

    /// Maps `file`, opened at `path`, to be found by [`OpenFiles::mapped`] from now on, if
    /// mappings are allowed, it is not mapped yet, and there is room (blocking: an `fstat`
    /// and an `mmap`). A file that cannot be mapped is still read the usual way: no error.
    ///
    /// Once as many files are mapped as allowed, a file is mapped only in place of one not
    /// used in the last eight lookups per mapping: a sweep over up to eight times more
    /// files than that keeps the ones mapped and reads the others as before, instead of
    /// mapping and unmapping a file per block, which would cost more than the open it
    /// saves; files no longer read (a finished shuffle) still make room in seconds.
    pub fn map(&self, path: &FilePath, file: &DataFile) {
        if self.budget.mapped == 0 {
            return;
        }
        {
            let mut mapped = self.lock_mapped();
            let stale_after = 8 * self.budget.mapped as u64;
            if mapped.contains(path) || !mapped.has_room_or_stale(1, stale_after) {
                return;
            }
        }
        let Ok(Some(map)) = MappedFile::map(&file.file) else { return };
        let pushed_out = self.lock_mapped().insert(path.clone(), Arc::new(map), 1);
        // Unmapped outside the lock.
        drop(pushed_out);
    }

    /// Asks the kernel to start reading `len` bytes at `offset` of the data file at `path`
    /// into the page cache and returns without waiting for them (blocking: an open, unless
    /// the file is kept, whose inode may come from the disk). Not a use of `path`, and
    /// nothing is kept or mapped: the read that follows does that. A cold batch's reads thus
    /// wait for the disk side by side rather than one after the other. Failures are left to
    /// that read to report.
    pub fn will_need(&self, path: &FilePath, offset: u64, len: u64) {
        if self.budget.mapped > 0 && self.lock_mapped().contains(path) {
            return;
        }
        let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len))
        else {
            return;
        };
        let advise = |file: &File| {
            // SAFETY: the descriptor is open for the call; the advice only reads it.
            unsafe {
                libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED)
            };
        };
        let kept = self.lock().peek(path).cloned();
        match kept {
            Some(kept) => advise(&kept.file),
            None => {
                if let Ok(file) = self.open(path) {
                    advise(&file);
                }
            }
        }
    }

    /// Stops keeping `path` mapped: a copy from its mapping failed.
    pub fn unmap(&self, path: &FilePath) {
        let unmapped = self.lock_mapped().remove(path);
        drop(unmapped);
    }

    /// Opens the file at `path` for reading (blocking). A block whose data file is not kept
    /// costs an open, and the kernel's walk of a path of seven or so components was most of
    /// that: the file is opened relative to its directory, held open for the next file in it
    /// (a local dir's 64 sub-directories hold all of an executor's shuffle files). If that
    /// finds nothing, the path is opened as it is, and the directory again: it may have been
    /// replaced since.
    pub fn open(&self, path: &Path) -> io::Result<File> {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return File::open(path);
        };
        if dir.as_os_str().is_empty() {
            return File::open(path);
        }
        let Ok(name) = CString::new(name.as_bytes()) else { return File::open(path) };
        let Some(at) = self.dir(dir) else { return File::open(path) };
        // SAFETY: the directory's descriptor is open while `at` lives, and `name` is a valid
        // C string; openat only reads them.
        let fd = unsafe {
            libc::openat(at.file.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC)
        };
        if fd >= 0 {
            // SAFETY: openat returned a new descriptor that nothing else owns.
            return Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::NotFound {
            return Err(err);
        }
        let forgotten = self.lock_dirs().remove(dir);
        drop(forgotten);
        File::open(path)
    }

    /// Reads all of the file at `path` (blocking), opened as [`OpenFiles::open`] does.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut file = self.open(path)?;
        let len = file.metadata().map_or(0, |meta| meta.len());
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The directory `dir` held open, opened now if a slot is free; `None` if none is.
    fn dir(&self, dir: &Path) -> Option<Arc<Dir>> {
        if let Some(at) = self.lock_dirs().get(dir) {
            return Some(at.clone());
        }
        let most = ((self.budget.slots - self.budget.kept) / 4).min(MAX_DIRS);
        if self.lock_dirs().len() >= most {
            return None;
        }
        let slot = self.permits.clone().try_acquire_owned().ok()?;
        let file = File::open(dir).ok()?;
        let at = Arc::new(Dir { file, _slot: slot });
        let mut dirs = self.lock_dirs();
        if dirs.len() >= most {
            return None;
        }
        // A concurrent open may have put one in meanwhile; either will do.
        let replaced = dirs.insert(dir.to_owned(), at.clone());
        drop(dirs);
        drop(replaced);
        Some(at)
    }

    /// Stops keeping `path` open (its file was deleted). Closing the last descriptor of a
    /// deleted file frees its blocks, which can take a while: call it on the blocking pool.
    pub fn forget(&self, path: &Path) {
        let path = FilePath::new(path);
        let forgotten = self.lock().remove(&path);
        drop(forgotten);
        self.unmap(&path);
    }

    /// Closes the kept files that were deleted since they were opened, and the directories;
    /// unmaps the mapped files whose path no longer names them (blocking: a `stat` each).
    pub fn close_deleted(&self) {
        let dirs: Vec<(PathBuf, Arc<Dir>)> =
            self.lock_dirs().iter().map(|(path, dir)| (path.clone(), dir.clone())).collect();
        for (path, dir) in dirs {
            if dir.file.metadata().is_ok_and(|meta| meta.nlink() == 0) {
                let mut held = self.lock_dirs();
                if held.get(&path).is_some_and(|now| Arc::ptr_eq(now, &dir)) {
                    let closed = held.remove(&path);
                    drop(held);
                    drop(closed);
                }
            }
        }
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
        let mapped: Vec<(FilePath, Arc<MappedFile>)> =
            self.lock_mapped().iter().map(|(path, map)| (path.clone(), map.clone())).collect();
        for (path, map) in mapped {
            if !map.is_at(&path) {
                let mut held = self.lock_mapped();
                if held.peek(&path).is_some_and(|now| Arc::ptr_eq(now, &map)) {
                    let unmapped = held.remove(&path);
                    drop(held);
                    drop(unmapped);
                }
            }
        }
    }

    /// How many data files are kept open.
    pub fn kept_count(&self) -> usize {
        self.lock().len()
    }

    /// How many data files are mapped.
    pub fn mapped_count(&self) -> usize {
        self.lock_mapped().len()
    }

    fn lock_mapped(&self) -> MutexGuard<'_, Mapped> {
        // As `lock`'s.
        self.mapped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_dirs(&self) -> MutexGuard<'_, HashMap<PathBuf, Arc<Dir>>> {
        // As `lock`'s.
        self.dirs.lock().unwrap_or_else(PoisonError::into_inner)
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
    use crate::limits::soft_file_limit;
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

    /// A block's file as the daemon gets it: the kept one (a use), else opened.
    fn fetch(files: &OpenFiles, path: &FilePath) -> Arc<DataFile> {
        files.kept(path).unwrap_or_else(|| files.open_data(path).expect("open"))
    }

    #[test]
    fn keeps_a_quarter_of_the_slots_the_more_used_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 3);
        let files = OpenFiles::new(8);
        assert_eq!(files.budget(), OpenFileBudget { slots: 8, kept: 2, mapped: 0 });
        assert_eq!(fetch(&files, &paths[0]).length().expect("len"), 1);
        fetch(&files, &paths[1]);
        assert!(files.kept(&paths[0]).is_some(), "0 is used twice");
        // 2 comes in; 1, used once, loses to 0, used twice, and is closed.
        assert!(fetch(&files, &paths[2]).holds_slot());
        assert_eq!(files.kept_count(), 2);
        assert!(files.lock().peek(&paths[1]).is_none());
        assert_eq!(files.kept(&paths[2]).expect("kept").length().expect("len"), 3);
        let same = FilePath::new(paths[2].to_path_buf());
        assert!(files.kept(&same).is_some(), "found by path, not by which FilePath was kept");
        // Each kept file holds its slot, and the directory they were opened in one.
        assert_eq!(files.permits.available_permits(), 5);
        files.forget(&paths[2]);
        assert!(files.kept(&paths[2]).is_none());
        assert_eq!(files.permits.available_permits(), 6);
    }

    #[test]
    fn files_open_in_their_directory_held_open_until_it_is_replaced_or_deleted() {
        let root = tempfile::tempdir().expect("tempdir");
        let sub = root.path().join("0c");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("a"), b"first").expect("write");
        std::fs::write(sub.join("b"), b"second").expect("write");
        let files = OpenFiles::new(8);
        let read = |name: &str| files.read(&sub.join(name)).expect("read");
        assert_eq!(read("a"), b"first");
        assert_eq!(read("b"), b"second");
        assert_eq!(files.lock_dirs().len(), 1, "one directory, held open");
        assert_eq!(files.permits.available_permits(), 7, "holding a slot");
        let missing = files.open(&sub.join("none")).expect_err("missing");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);

        // The directory is replaced: the same path now names another one.
        std::fs::remove_dir_all(&sub).expect("rmdir");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("a"), b"new").expect("write");
        std::fs::write(sub.join("b"), b"newer").expect("write");
        assert_eq!(read("a"), b"new");
        assert_eq!(read("b"), b"newer");
        // Deleted: the cleaner's pass closes it.
        std::fs::remove_dir_all(&sub).expect("rmdir");
        assert_eq!(files.lock_dirs().len(), 1);
        files.close_deleted();
        assert!(files.lock_dirs().is_empty());
        assert_eq!(files.permits.available_permits(), 8);
        // No slot free, no directory held: the path is opened as it is.
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("a"), b"again").expect("write");
        let full = OpenFiles::new(8);
        let _all = full.permits.clone().try_acquire_many_owned(8).expect("every slot");
        assert_eq!(full.read(&sub.join("a")).expect("read"), b"again");
        assert!(full.lock_dirs().is_empty());
    }

    #[test]
    fn a_length_is_taken_when_first_asked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 1);
        let file = OpenFiles::new(8).open_data(&paths[0]).expect("open");
        assert!(file.len.get().is_none(), "no statx at open");
        std::fs::write(&*paths[0], b"longer").expect("rewrite");
        assert_eq!(file.length().expect("len"), 6);
        std::fs::write(&*paths[0], b"x").expect("rewrite");
        assert_eq!(file.length().expect("len"), 6, "taken once");
    }

    #[test]
    fn the_budget_follows_the_file_limit() {
        // Linux's usual soft default, 4096 connections: half the limit, a quarter passing.
        assert_eq!(
            OpenFileBudget::from_limit(1024, 4096),
            OpenFileBudget { slots: 512, kept: 384, mapped: 0 }
        );
        // A raised limit: all but two per connection and 64, at most 4096 passing.
        assert_eq!(
            OpenFileBudget::from_limit(1 << 20, 4096),
            OpenFileBudget { slots: (1 << 20) - 8256, kept: (1 << 20) - 8256 - 4096, mapped: 0 }
        );
        assert_eq!(
            OpenFileBudget::from_limit(20_000, 4096),
            OpenFileBudget { slots: 11_744, kept: 11_744 - 2936, mapped: 0 }
        );
        assert_eq!(OpenFileBudget::from_limit(u64::MAX, 1).slots, Semaphore::MAX_PERMITS);
        assert_eq!(
            OpenFileBudget::from_limit(1, 10),
            OpenFileBudget { slots: 1, kept: 0, mapped: 0 }
        );
        // Mappings follow vm.max_map_count, whichever way descriptors are sized.
        let mapped = mapped::budget_for(mapped::max_map_count().expect("max_map_count"));
        assert!(mapped > 0);
        assert_eq!(
            OpenFileBudget::for_daemon(Some(1024), None, 4096),
            OpenFileBudget { slots: 1024, kept: 256, mapped }
        );
        let now = OpenFileBudget::for_daemon(None, None, 16);
        assert_eq!(
            now,
            OpenFileBudget { mapped, ..OpenFileBudget::from_limit(soft_file_limit(), 16) }
        );
        assert!(now.kept > 0 && now.kept < now.slots);
        assert_eq!(OpenFileBudget::for_daemon(None, Some(0), 16).mapped, 0);
        assert_eq!(OpenFileBudget::for_daemon(Some(8), Some(100), 16).mapped, 100);
    }

    #[test]
    fn keeps_nothing_without_a_free_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 1);
        let none = OpenFiles::new(3);
        assert_eq!(none.open_data(&paths[0]).expect("open").length().expect("len"), 1);
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

    #[test]
    fn mapped_files_are_found_until_forgotten_deleted_or_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 4);
        let budget = OpenFileBudget { slots: 8, kept: 0, mapped: 3 };
        let files = OpenFiles::with_budget(budget);
        for path in &paths {
            assert!(files.mapped(path).is_none());
            let file = files.open_data(path).expect("open");
            files.map(path, &file);
        }
        assert_eq!(files.mapped_count(), 3, "no more than the budget");
        assert_eq!(files.permits.available_permits(), 7, "no descriptor held but the dir's");
        let held: Vec<&FilePath> = paths.iter().filter(|p| files.mapped(p).is_some()).collect();
        assert_eq!(held.len(), 3);
        let map = files.mapped(held[0]).expect("mapped");
        let mut out = vec![0; map.len()];
        map.copy_into(0, &mut out).expect("copy");
        assert_eq!(out, std::fs::read(held[0]).expect("read"));

        files.forget(held[0]);
        std::fs::remove_file(held[1]).expect("remove");
        // Replaced as Spark commits a map output: a new file renamed over the path.
        let new = dir.path().join("new");
        std::fs::write(&new, b"replaced").expect("write");
        std::fs::rename(&new, held[2]).expect("rename");
        assert_eq!(files.mapped_count(), 2);
        files.close_deleted();
        assert_eq!(files.mapped_count(), 0, "deleted and replaced files are unmapped");
        let off = OpenFiles::new(8);
        let file = off.open_data(&paths[0]).expect("open");
        off.map(&paths[0], &file);
        assert_eq!(off.mapped_count(), 0, "an explicit budget maps nothing");
    }

    #[test]
    fn a_sweep_over_more_files_than_mapped_keeps_the_mapped_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 8);
        let files = OpenFiles::with_budget(OpenFileBudget { slots: 8, kept: 0, mapped: 4 });
        // A block's file as read_queued gets it: mapped, else opened, read and mapped.
        let read = |path: &FilePath| {
            if files.mapped(path).is_none() {
                let file = files.open_data(path).expect("open");
                files.map(path, &file);
            }
        };
        let mapped_now =
            || -> Vec<bool> { paths.iter().map(|p| files.lock_mapped().contains(p)).collect() };
        for path in &paths {
            read(path);
        }
        let first = mapped_now();
        assert_eq!(first.iter().filter(|&&m| m).count(), 4);
        for _ in 0..5 {
            for path in &paths {
                read(path);
            }
            assert_eq!(mapped_now(), first, "the same files stay mapped: no churn");
        }
        // The mapped files go out of use: after eight lookups per mapping, newcomers take
        // their place.
        let unmapped: Vec<&FilePath> =
            paths.iter().zip(&first).filter(|(_, &m)| !m).map(|(p, _)| p).collect();
        for _ in 0..12 {
            for path in &unmapped {
                read(path);
            }
        }
        assert!(unmapped.iter().all(|p| files.lock_mapped().contains(p)), "{:?}", mapped_now());
    }

    #[test]
    fn reading_ahead_keeps_and_maps_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = data_files(dir.path(), 2);
        let files = OpenFiles::with_budget(OpenFileBudget { slots: 8, kept: 2, mapped: 2 });
        files.will_need(&paths[0], 0, 1 << 20);
        files.will_need(&FilePath::new(dir.path().join("gone.data")), 0, 4096);
        files.will_need(&paths[1], u64::MAX, 4096);
        assert_eq!((files.kept_count(), files.mapped_count()), (0, 0));
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
