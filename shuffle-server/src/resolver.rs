//! Block ids to byte ranges of files, exactly where Spark's executors put them (Spark's
//! `ExternalShuffleBlockResolver` and `ExecutorDiskUtils`), plus the other file-level
//! requests: DiagnoseCorruption and RemoveBlocks.
//!
//! Executors write their files themselves; this daemon only reads (and on request deletes)
//! them, so the path computation must match `DiskBlockManager` bit for bit. All file access
//! runs on the blocking pool within the daemon's open-file bound.

use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shuffle_protocol::block_id::{non_negative_hash, AppExecId, BlockId, ChecksumAlgorithm};
use shuffle_protocol::shuffle::{Cause, ExecutorShuffleInfo};
use tracing::{debug, warn};

use crate::error::{Error, Result};
use crate::file_region::FileRegion;
use crate::index::IndexCache;
use crate::open_files::OpenFiles;
use crate::registry::Registry;

/// Where Spark puts file `file_name` of an executor: `localDirs[h % n]/%02x/file_name` with
/// sub-directory `(h / n) % subDirsPerLocalDir` and `h` the non-negative Java hash of the
/// name, normalized like Java's `File.getPath` (no repeated or trailing `/`).
pub fn file_path(info: &ExecutorShuffleInfo, file_name: &str) -> Result<PathBuf> {
    let n = i32::try_from(info.local_dirs.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::InvalidExecutorInfo { reason: "no local dirs" })?;
    let h = non_negative_hash(file_name);
    let dir = &info.local_dirs[(h % n) as usize];
    // Java's remainder, like Rust's, takes the dividend's sign, so a (never sent) negative
    // sub-dir count still yields a non-negative sub-dir; only zero is unusable.
    let sub = (h / n)
        .checked_rem(info.sub_dirs_per_local_dir)
        .ok_or(Error::InvalidExecutorInfo { reason: "subDirsPerLocalDir is 0" })?;
    // One allocation and no intermediate strings: this runs for every block served.
    let mut path = String::with_capacity(dir.len() + file_name.len() + 8);
    java_normalize_into(&mut path, dir);
    if !path.ends_with('/') {
        path.push('/');
    }
    // Writing to a String cannot fail.
    let _ = write!(path, "{sub:02x}/");
    java_normalize_into(&mut path, file_name);
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    Ok(PathBuf::from(path))
}

/// Appends `part` to `path` as Java's `UnixFileSystem.normalize` would have it: no runs of
/// `/`. (Normalize also drops a trailing `/`, which the caller does at the end.)
fn java_normalize_into(path: &mut String, part: &str) {
    let doubled = part.contains("//") || (part.starts_with('/') && path.ends_with('/'));
    if !doubled {
        path.push_str(part);
        return;
    }
    for c in part.chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
}

/// `shuffle_<shuffle_id>_<map_id>_0.<suffix>`, the name of a shuffle file.
fn shuffle_file(shuffle_id: i32, map_id: i64, suffix: &str) -> String {
    format!("shuffle_{shuffle_id}_{map_id}_0.{suffix}")
}

/// (shuffle id, map id, first reduce, end reduce) of a shuffle block or batch.
fn shuffle_range(block: &BlockId) -> Option<(i32, i64, i32, i32)> {
    match *block {
        BlockId::Shuffle { shuffle_id, map_id, reduce_id } => {
            Some((shuffle_id, map_id, reduce_id, reduce_id.saturating_add(1)))
        }
        BlockId::ShuffleBatch { shuffle_id, map_id, start_reduce_id, end_reduce_id } => {
            Some((shuffle_id, map_id, start_reduce_id, end_reduce_id))
        }
        _ => None,
    }
}

/// Resolves blocks of registered executors to file regions; cheap to clone.
#[derive(Debug, Clone)]
pub struct BlockResolver {
    registry: Registry,
    indexes: IndexCache,
    files: OpenFiles,
}

impl BlockResolver {
    /// A resolver over `registry`'s executors caching up to `index_cache_size` bytes of
    /// index files, opening files within `files`.
    pub fn new(registry: Registry, index_cache_size: u64, files: OpenFiles) -> Self {
        let indexes = IndexCache::new(index_cache_size, files.clone());
        Self { registry, indexes, files }
    }

    /// The registered executors.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Forgets what is cached of the shuffle file at `path`, which was deleted: its parse
    /// if it is an index, its kept descriptor if it is a data file. Blocking: closing the
    /// last descriptor of a deleted file frees its blocks.
    pub fn forget_deleted(&self, path: &Path) {
        self.indexes.invalidate(path);
        self.files.forget(path);
    }

    /// The open-file bound, for opening the regions this returns.
    pub fn files(&self) -> &OpenFiles {
        &self.files
    }

    /// The bytes of `block` of executor `exec`: a segment of a `.data` file for shuffle
    /// blocks and batches (located through the cached `.index` file), a whole file for RDD
    /// blocks.
    pub async fn resolve(&self, exec: &AppExecId, block: &BlockId) -> Result<FileRegion> {
        self.resolve_registered(&self.registry.get(exec)?, block).await
    }

    /// [`Self::resolve`] for the executor registered as `info`, already looked up.
    pub async fn resolve_registered(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        block: &BlockId,
    ) -> Result<FileRegion> {
        match *block {
            BlockId::Shuffle { shuffle_id, map_id, reduce_id } => {
                let end = reduce_id.saturating_add(1);
                self.shuffle_region(info, shuffle_id, map_id, reduce_id, end).await
            }
            BlockId::ShuffleBatch { shuffle_id, map_id, start_reduce_id, end_reduce_id } => {
                self.shuffle_region(info, shuffle_id, map_id, start_reduce_id, end_reduce_id).await
            }
            BlockId::Rdd { rdd_id, split_index } => {
                let path = file_path(info, &format!("rdd_{rdd_id}_{split_index}"))?;
                let stat_path = path.clone();
                let meta =
                    tokio::task::spawn_blocking(move || std::fs::metadata(stat_path)).await?;
                match meta {
                    Ok(meta) if meta.is_file() => {
                        Ok(FileRegion { path: path.into(), offset: 0, len: meta.len() })
                    }
                    Ok(_) => Err(Error::BlockNotFound { path }),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        Err(Error::BlockNotFound { path })
                    }
                    Err(e) => Err(e.into()),
                }
            }
            _ => Err(Error::UnsupportedBlock(*block)),
        }
    }

    /// [`Self::resolve_registered`] if that needs no I/O: the region of a shuffle block or
    /// batch whose index is cached (a use of it). `None` otherwise (an index to read, an RDD
    /// block to stat, a kind of block this daemon does not serve).
    pub fn resolve_cached(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        block: &BlockId,
    ) -> Option<Result<FileRegion>> {
        let (shuffle_id, map_id, start, end) = shuffle_range(block)?;
        let index = self.indexes.cached(info, shuffle_id, map_id)?;
        Some(index.range(start, end).map(|(offset, len)| FileRegion {
            path: index.data_path().clone(),
            offset,
            len,
        }))
    }

    /// Reads ahead, together, the index files that the shuffle blocks and batches in `blocks`
    /// of the executor registered as `info` need and that are not cached (see
    /// [`IndexCache::load_ahead`]); other blocks are left alone.
    pub async fn load_indexes(&self, info: &Arc<ExecutorShuffleInfo>, blocks: &[BlockId]) {
        let maps: Vec<(i32, i64)> = blocks
            .iter()
            .filter_map(shuffle_range)
            .map(|(shuffle_id, map_id, ..)| (shuffle_id, map_id))
            .collect();
        let paths = |shuffle_id, map_id| {
            let index = file_path(info, &shuffle_file(shuffle_id, map_id, "index"))?;
            Ok((index, file_path(info, &shuffle_file(shuffle_id, map_id, "data"))?))
        };
        self.indexes.load_ahead(info, &maps, paths).await;
    }

    async fn shuffle_region(
        &self,
        info: &Arc<ExecutorShuffleInfo>,
        shuffle_id: i32,
        map_id: i64,
        start: i32,
        end: i32,
    ) -> Result<FileRegion> {
        let paths = || {
            let index = file_path(info, &shuffle_file(shuffle_id, map_id, "index"))?;
            Ok((index, file_path(info, &shuffle_file(shuffle_id, map_id, "data"))?))
        };
        let index = self.indexes.get(info, shuffle_id, map_id, paths).await?;
        let (offset, len) = index.range(start, end)?;
        Ok(FileRegion { path: index.data_path().clone(), offset, len })
    }

    /// Why block (`shuffle_id`, `map_id`, `reduce_id`) arrived corrupt, judged from the
    /// checksum the writer stored in `shuffle_S_M_0.checksum.<algorithm>`, the checksum
    /// recomputed now from the data file, and the one the reader computed.
    ///
    /// As in Spark, an unknown executor or unreadable index is an error (the request fails),
    /// while problems with the checksum itself are answered as [`Cause::UnknownIssue`].
    pub async fn diagnose_corruption(
        &self,
        exec: &AppExecId,
        shuffle_id: i32,
        map_id: i64,
        reduce_id: i32,
        checksum_by_reader: i64,
        algorithm: &str,
    ) -> Result<Cause> {
        let info = self.registry.get(exec)?;
        let checksum_file = shuffle_file(shuffle_id, map_id, &format!("checksum.{algorithm}"));
        let checksum_path = file_path(&info, &checksum_file)?;
        let region = self
            .shuffle_region(&info, shuffle_id, map_id, reduce_id, reduce_id.saturating_add(1))
            .await?;
        let Ok(algorithm) = algorithm.parse::<ChecksumAlgorithm>() else {
            return Ok(Cause::UnsupportedChecksumAlgorithm);
        };
        let cause = self
            .files
            .run(move || {
                let by_writer = match stored_checksum(&checksum_path, reduce_id) {
                    Ok(v) => v,
                    Err(e) => {
                        warn!(path = %checksum_path.display(), error = %e,
                            "cannot read shuffle checksum");
                        return Cause::UnknownIssue;
                    }
                };
                let recomputed = match checksum_of(algorithm, &region) {
                    Ok(v) => v,
                    Err(e) => {
                        warn!(path = %region.path.display(), error = %e,
                            "cannot checksum shuffle block");
                        return Cause::UnknownIssue;
                    }
                };
                if by_writer != recomputed {
                    Cause::DiskIssue
                } else if by_writer != checksum_by_reader {
                    Cause::NetworkIssue
                } else {
                    Cause::ChecksumVerifyPass
                }
            })
            .await?;
        debug!(shuffle_id, map_id, reduce_id, ?cause, "diagnosed shuffle corruption");
        Ok(cause)
    }

    /// Deletes the files named by `block_ids` (each id is used as a file name, as Spark
    /// does: `rdd_3_7`, `shuffle_0_5_0.data`, …) and returns how many were deleted.
    ///
    /// Unlike Spark, a name that is not a plain file name (`..`, anything with `/`) is
    /// refused rather than followed out of the executor's directories.
    pub async fn remove_blocks(&self, exec: &AppExecId, block_ids: &[String]) -> Result<i32> {
        let info = self.registry.get(exec)?;
        let mut paths = Vec::with_capacity(block_ids.len());
        for id in block_ids {
            if id.is_empty() || id == "." || id == ".." || id.contains(['/', '\0']) {
                warn!(block_id = %id, "refusing to delete a block id that is not a file name");
                continue;
            }
            paths.push(file_path(&info, id)?);
        }
        let resolver = self.clone();
        let removed = tokio::task::spawn_blocking(move || {
            paths
                .into_iter()
                .filter(|path| match std::fs::remove_file(path) {
                    Ok(()) => {
                        resolver.forget_deleted(path);
                        true
                    }
                    Err(e) => {
                        warn!(path = %path.display(), error = %e, "failed to delete block");
                        false
                    }
                })
                .count()
        })
        .await?;
        Ok(i32::try_from(removed).unwrap_or(i32::MAX))
    }
}

/// The checksum of the region's bytes as Java's `Checksum.getValue` gives it. A file shorter
/// than the region is checksummed up to its end, as Spark's stream does.
fn checksum_of(algorithm: ChecksumAlgorithm, region: &FileRegion) -> io::Result<i64> {
    let file = File::open(&region.path)?;
    let mut adler = adler2::Adler32::new();
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut pos, end) = (region.offset, region.offset.saturating_add(region.len));
    while pos < end {
        let want = (end - pos).min(buf.len() as u64) as usize;
        let n = match file.read_at(&mut buf[..want], pos) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match algorithm {
            ChecksumAlgorithm::Adler32 => adler.write_slice(&buf[..n]),
            ChecksumAlgorithm::Crc32 => crc.update(&buf[..n]),
        }
        pos += n as u64;
    }
    Ok(i64::from(match algorithm {
        ChecksumAlgorithm::Adler32 => adler.checksum(),
        ChecksumAlgorithm::Crc32 => crc.finalize(),
    }))
}

/// The writer's checksum of partition `reduce_id`: the big-endian `i64` at byte
/// `reduce_id * 8` of the checksum file.
fn stored_checksum(path: &Path, reduce_id: i32) -> io::Result<i64> {
    let at = u64::try_from(reduce_id).map_err(io::Error::other)? * 8;
    let mut be = [0u8; 8];
    File::open(path)?.read_exact_at(&mut be, at)?;
    Ok(i64::from_be_bytes(be))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info_in(dirs: &[&Path], sub_dirs: i32) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: dirs.iter().map(|d| d.to_string_lossy().into_owned()).collect(),
            sub_dirs_per_local_dir: sub_dirs,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        }
    }

    #[test]
    fn paths_match_executor_disk_utils() {
        // "hello".hashCode() == 99162322 in Java: dir 0 of 2, sub-dir (99162322/2) % 64 = 41.
        let info = info_in(&[Path::new("/a"), Path::new("/b")], 64);
        assert_eq!(file_path(&info, "hello").expect("path"), PathBuf::from("/a/29/hello"));
        // Java's File normalization: repeated and trailing separators go.
        let info = info_in(&[Path::new("/tmp//x/")], 64);
        assert_eq!(file_path(&info, "hello").expect("path"), PathBuf::from("/tmp/x/12/hello"));
        // %02x is a minimum width: 99162322 % 1000 = 322 = 0x142.
        let info = info_in(&[Path::new("/d")], 1000);
        assert_eq!(file_path(&info, "hello").expect("path"), PathBuf::from("/d/142/hello"));
        let info = info_in(&[Path::new("/")], 64);
        assert_eq!(file_path(&info, "hello").expect("path"), PathBuf::from("/12/hello"));
        let info = info_in(&[Path::new("rel//")], 64);
        assert_eq!(file_path(&info, "a//b/").expect("path"), PathBuf::from("rel/0e/a/b"));
    }

    #[test]
    fn unusable_registrations_are_errors() {
        let none = info_in(&[], 64);
        assert!(matches!(file_path(&none, "x"), Err(Error::InvalidExecutorInfo { .. })));
        let zero = info_in(&[Path::new("/a")], 0);
        assert!(matches!(file_path(&zero, "x"), Err(Error::InvalidExecutorInfo { .. })));
    }

    #[test]
    fn checksums_are_java_zip_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d");
        std::fs::write(&path, b"xxWikipedia123456789").expect("write");
        let region = |offset, len| FileRegion { path: path.as_path().into(), offset, len };
        assert_eq!(
            checksum_of(ChecksumAlgorithm::Adler32, &region(2, 9)).expect("adler"),
            0x11E6_0398
        );
        assert_eq!(
            checksum_of(ChecksumAlgorithm::Crc32, &region(11, 9)).expect("crc"),
            0xCBF4_3926
        );
        assert_eq!(checksum_of(ChecksumAlgorithm::Adler32, &region(0, 0)).expect("empty"), 1);
    }

    /// An executor with one map output of three partitions and one RDD block.
    struct Fixture {
        dir: tempfile::TempDir,
        info: ExecutorShuffleInfo,
        resolver: BlockResolver,
        exec: AppExecId,
    }

    const BLOCKS: [&[u8]; 3] = [b"first", b"", b"third block"];

    impl Fixture {
        async fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let dirs = [dir.path().join("l0"), dir.path().join("l1")];
            let info = info_in(&[&dirs[0], &dirs[1]], 4);
            let exec = AppExecId::new("app", "1");
            let registry = Registry::in_memory();
            registry.register(exec.clone(), info.clone()).await;
            let resolver = BlockResolver::new(registry, 1 << 20, OpenFiles::new(8));
            let f = Self { dir, info, resolver, exec };
            let mut index = vec![0i64];
            let mut checksums = Vec::new();
            for b in BLOCKS {
                index.push(index[index.len() - 1] + b.len() as i64);
                checksums.extend_from_slice(&i64::from(adler2::adler32_slice(b)).to_be_bytes());
            }
            f.put("shuffle_2_77_0.data", &BLOCKS.concat());
            f.put(
                "shuffle_2_77_0.index",
                &index.iter().flat_map(|o| o.to_be_bytes()).collect::<Vec<_>>(),
            );
            f.put("shuffle_2_77_0.checksum.ADLER32", &checksums);
            f.put("rdd_5_1", b"rdd bytes");
            f
        }

        fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let path = file_path(&self.info, name).expect("path");
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write");
            path
        }

        async fn bytes_of(&self, block: BlockId) -> Result<Vec<u8>> {
            let r = self.resolver.resolve(&self.exec, &block).await?;
            let data = std::fs::read(&r.path)?;
            Ok(data[r.offset as usize..(r.offset + r.len) as usize].to_vec())
        }

        async fn diagnose(&self, checksum: i64, algorithm: &str) -> Result<Cause> {
            self.resolver.diagnose_corruption(&self.exec, 2, 77, 2, checksum, algorithm).await
        }
    }

    fn shuffle(reduce_id: i32) -> BlockId {
        BlockId::Shuffle { shuffle_id: 2, map_id: 77, reduce_id }
    }

    #[tokio::test]
    async fn resolves_shuffle_batch_and_rdd_blocks() {
        let f = Fixture::new().await;
        assert_eq!(f.bytes_of(shuffle(0)).await.expect("r0"), b"first");
        assert_eq!(f.bytes_of(shuffle(1)).await.expect("r1"), b"");
        assert_eq!(f.bytes_of(shuffle(2)).await.expect("r2"), b"third block");
        let batch = BlockId::ShuffleBatch {
            shuffle_id: 2,
            map_id: 77,
            start_reduce_id: 0,
            end_reduce_id: 3,
        };
        assert_eq!(f.bytes_of(batch).await.expect("batch"), BLOCKS.concat());
        let rdd = BlockId::Rdd { rdd_id: 5, split_index: 1 };
        assert_eq!(f.bytes_of(rdd).await.expect("rdd"), b"rdd bytes");
    }

    #[tokio::test]
    async fn lookup_failures_are_typed() {
        let f = Fixture::new().await;
        assert!(matches!(f.bytes_of(shuffle(3)).await, Err(Error::ReduceOutOfRange { .. })));
        assert!(matches!(f.bytes_of(shuffle(i32::MAX)).await, Err(Error::ReduceOutOfRange { .. })));
        let other_map = BlockId::Shuffle { shuffle_id: 2, map_id: 78, reduce_id: 0 };
        assert!(matches!(f.bytes_of(other_map).await, Err(Error::IndexRead { .. })));
        let missing = BlockId::Rdd { rdd_id: 5, split_index: 2 };
        assert!(matches!(f.bytes_of(missing).await, Err(Error::BlockNotFound { .. })));
        let chunk =
            BlockId::ShuffleChunk { shuffle_id: 2, shuffle_merge_id: 0, reduce_id: 0, chunk_id: 0 };
        assert!(matches!(f.bytes_of(chunk).await, Err(Error::UnsupportedBlock(_))));
        let stranger = AppExecId::new("app", "2");
        let err = f.resolver.resolve(&stranger, &shuffle(0)).await.expect_err("unknown");
        assert!(matches!(err, Error::UnknownExecutor { .. }));
    }

    #[tokio::test]
    async fn diagnoses_corruption_causes() {
        let f = Fixture::new().await;
        let good = i64::from(adler2::adler32_slice(BLOCKS[2]));
        assert_eq!(f.diagnose(good, "ADLER32").await.expect("ok"), Cause::ChecksumVerifyPass);
        assert_eq!(f.diagnose(good + 1, "ADLER32").await.expect("ok"), Cause::NetworkIssue);
        assert_eq!(f.diagnose(good, "MD5").await.expect("ok"), Cause::UnsupportedChecksumAlgorithm);
        // No CRC32 checksum file was written.
        assert_eq!(f.diagnose(good, "CRC32").await.expect("ok"), Cause::UnknownIssue);
        let crc = i64::from(crc32fast::hash(BLOCKS[2]));
        f.put(
            "shuffle_2_77_0.checksum.CRC32",
            &[[0u8; 16].as_slice(), &crc.to_be_bytes()].concat(),
        );
        assert_eq!(f.diagnose(crc, "CRC32").await.expect("ok"), Cause::ChecksumVerifyPass);
        // Same length, different bytes on disk.
        f.put("shuffle_2_77_0.data", b"firstTHIRD BLOCK");
        assert_eq!(f.diagnose(good, "ADLER32").await.expect("ok"), Cause::DiskIssue);
    }

    #[tokio::test]
    async fn removes_named_files_only() {
        let f = Fixture::new().await;
        f.bytes_of(shuffle(0)).await.expect("caches the index");
        let data = f.resolver.resolve(&f.exec, &shuffle(0)).await.expect("region").path;
        f.resolver.files().open_data(&data).expect("kept open");
        assert_eq!(f.resolver.files().kept_count(), 1);
        let outside = f.dir.path().join("keep");
        std::fs::write(&outside, b"x").expect("write");
        let ids: Vec<String> = [
            "rdd_5_1",
            "rdd_9_9",
            "../../keep",
            "..",
            "shuffle_2_77_0.index",
            "shuffle_2_77_0.data",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(f.resolver.remove_blocks(&f.exec, &ids).await.expect("removed"), 3);
        assert!(outside.exists());
        // The cached index and the kept data file were dropped with their files.
        assert!(matches!(f.bytes_of(shuffle(0)).await, Err(Error::IndexRead { .. })));
        assert_eq!(f.resolver.files().kept_count(), 0);
        let stranger = AppExecId::new("other", "1");
        assert!(f.resolver.remove_blocks(&stranger, &ids).await.is_err());
    }
}
