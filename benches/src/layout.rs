//! A Spark-layout shuffle of uniform blocks, written where an executor's `DiskBlockManager`
//! would put it, with a CRC-32 per block so that a reader can check every byte it gets.
//!
//! Block `(map index m, reduce r)` holds `block_size` pseudo-random bytes seeded by `(m, r)`,
//! so no two blocks are alike and a block served for the wrong id fails its check.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shuffle_protocol::block_id::non_negative_hash;
use shuffle_protocol::shuffle::ExecutorShuffleInfo;

/// Sub-directories per local dir (`spark.diskStore.subDirectories`' default).
pub const SUB_DIRS: i32 = 64;

/// The shuffle manager executors register with.
pub const SORT_SHUFFLE_MANAGER: &str = "org.apache.spark.shuffle.sort.SortShuffleManager";

/// Name of the file recording which shape a directory holds, so it can be reused.
const SHAPE_FILE: &str = "shape.json";

/// The shape of a generated shuffle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Number of map outputs; map ids are `map_id_base + m`.
    pub maps: i64,
    /// Reduce partitions (blocks) per map output.
    pub reduces: i32,
    /// Bytes per block.
    pub block_size: usize,
    /// Added to map indexes to form map ids (task attempt ids in Spark 3.x).
    pub map_id_base: i64,
}

impl Shape {
    /// A shape of `maps` × `reduces` blocks of `block_size` bytes, shuffle 0, map ids from 1000.
    pub fn new(maps: i64, reduces: i32, block_size: usize) -> Self {
        Self { shuffle_id: 0, maps, reduces, block_size, map_id_base: 1000 }
    }

    /// Total bytes of all blocks.
    pub fn total_bytes(&self) -> u64 {
        self.maps as u64 * self.reduces as u64 * self.block_size as u64
    }
}

/// A shuffle written into one local dir (`<root>/blockmgr-bench`), and the CRC of each block.
#[derive(Debug, Clone)]
pub struct Layout {
    /// What was written.
    pub shape: Shape,
    /// The executor's local dir, as it registers it.
    pub local_dir: PathBuf,
    /// CRC-32 of block `(m, r)` at `m * reduces + r`.
    crcs: Vec<u32>,
}

impl Layout {
    /// Writes `shape` under `root` (created if missing), or reuses what is there if a
    /// previous call wrote the same shape. Either way every block's CRC is computed from
    /// the generator, not read back, so a damaged file is caught when fetched.
    pub fn create(root: &Path, shape: Shape) -> io::Result<Self> {
        if shape.maps <= 0 || shape.reduces <= 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "maps and reduces must be > 0",
            ));
        }
        let root = std::path::absolute(root)?;
        let local_dir = root.join("blockmgr-bench");
        let marker = root.join(SHAPE_FILE);
        let reuse = fs::read(&marker)
            .ok()
            .and_then(|b| serde_json::from_slice::<Shape>(&b).ok())
            .is_some_and(|s| s == shape);
        if !reuse {
            let _ = fs::remove_file(&marker);
            if local_dir.exists() {
                fs::remove_dir_all(&local_dir)?;
            }
            fs::create_dir_all(&local_dir)?;
        }
        let mut layout = Self { shape, local_dir, crcs: Vec::new() };
        let mut block = vec![0u8; shape.block_size];
        for m in 0..shape.maps {
            let data = (!reuse).then(|| layout.create_map_files(m)).transpose()?;
            let mut data = data.map(BufWriter::new);
            let mut index = Vec::with_capacity(8 * (shape.reduces as usize + 1));
            index.extend_from_slice(&0i64.to_be_bytes());
            for r in 0..shape.reduces {
                fill_block(m, r, &mut block);
                layout.crcs.push(crc32fast::hash(&block));
                if let Some(data) = &mut data {
                    data.write_all(&block)?;
                }
                let end = (r as i64 + 1) * shape.block_size as i64;
                index.extend_from_slice(&end.to_be_bytes());
            }
            if let Some(data) = data {
                data.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
                fs::write(layout.path_of(&layout.file_name(m, "index")), &index)?;
            }
        }
        if !reuse {
            fs::write(&marker, serde_json::to_vec(&shape).map_err(io::Error::other)?)?;
        }
        Ok(layout)
    }

    /// Reads every file of the shuffle once so that it is in the page cache; returns bytes read.
    pub fn warm(&self) -> io::Result<u64> {
        fn walk(dir: &Path, total: &mut u64) -> io::Result<()> {
            for entry in fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    walk(&path, total)?;
                } else {
                    *total += io::copy(&mut fs::File::open(&path)?, &mut io::sink())?;
                }
            }
            Ok(())
        }
        let mut total = 0;
        walk(&self.local_dir, &mut total)?;
        Ok(total)
    }

    fn create_map_files(&self, m: i64) -> io::Result<fs::File> {
        let path = self.path_of(&self.file_name(m, "data"));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let index = self.path_of(&self.file_name(m, "index"));
        if let Some(parent) = index.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::File::create(path)
    }

    fn file_name(&self, m: i64, ext: &str) -> String {
        format!("shuffle_{}_{}_0.{ext}", self.shape.shuffle_id, self.shape.map_id_base + m)
    }

    /// Where Spark's `ExecutorDiskUtils.getFilePath` puts file `name` (one local dir).
    fn path_of(&self, name: &str) -> PathBuf {
        let sub = non_negative_hash(name) % SUB_DIRS;
        self.local_dir.join(format!("{sub:02x}")).join(name)
    }

    /// What the executor registers.
    pub fn executor_info(&self) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: vec![self.local_dir.to_string_lossy().into_owned()],
            sub_dirs_per_local_dir: SUB_DIRS,
            shuffle_manager: SORT_SHUFFLE_MANAGER.to_owned(),
        }
    }

    /// Block id `shuffle_S_M_R` of map index `m`, reduce `r`.
    pub fn block_id(&self, m: i64, r: i32) -> String {
        format!("shuffle_{}_{}_{r}", self.shape.shuffle_id, self.shape.map_id_base + m)
    }

    /// Batch block id `shuffle_S_M_START_END` for reduces `start..end` of map index `m`.
    pub fn batch_id(&self, m: i64, start: i32, end: i32) -> String {
        format!("shuffle_{}_{}_{start}_{end}", self.shape.shuffle_id, self.shape.map_id_base + m)
    }

    /// Checks `bytes` received for `block_id` (plain or batch): its length and the CRC of
    /// every block it covers. Returns a description of the first mismatch.
    pub fn verify(&self, block_id: &str, bytes: &[u8]) -> Result<(), String> {
        let (m, start, end) =
            self.parse(block_id).ok_or_else(|| format!("unknown block {block_id}"))?;
        let size = self.shape.block_size;
        let expected_len = (end - start) as usize * size;
        if bytes.len() != expected_len {
            return Err(format!("{block_id}: {} bytes, expected {expected_len}", bytes.len()));
        }
        for (i, r) in (start..end).enumerate() {
            let piece = &bytes[i * size..(i + 1) * size];
            if crc32fast::hash(piece)
                != self.crcs[(m * self.shape.reduces as i64) as usize + r as usize]
            {
                return Err(format!(
                    "{block_id}: bytes of reduce {r} differ from what was written"
                ));
            }
        }
        Ok(())
    }

    /// `(map index, start, end)` of a plain or batch block id of this shuffle.
    fn parse(&self, block_id: &str) -> Option<(i64, i32, i32)> {
        let mut parts = block_id.strip_prefix("shuffle_")?.split('_');
        let shuffle: i32 = parts.next()?.parse().ok()?;
        let map_id: i64 = parts.next()?.parse().ok()?;
        let start: i32 = parts.next()?.parse().ok()?;
        let end: i32 = match parts.next() {
            Some(e) => e.parse().ok()?,
            None => start + 1,
        };
        let m = map_id - self.shape.map_id_base;
        let ok = shuffle == self.shape.shuffle_id
            && parts.next().is_none()
            && (0..self.shape.maps).contains(&m)
            && 0 <= start
            && start < end
            && end <= self.shape.reduces;
        ok.then_some((m, start, end))
    }
}

/// Fills `block` with the bytes of block `(m, r)`: xorshift64 words seeded by the pair.
pub fn fill_block(m: i64, r: i32, block: &mut [u8]) {
    let mut state = (m as u64) << 32 ^ r as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut chunks = block.chunks_exact_mut(8);
    for word in &mut chunks {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        word.copy_from_slice(&state.to_le_bytes());
    }
    let rest = chunks.into_remainder();
    let last = state.rotate_left(29).to_le_bytes();
    let n = rest.len();
    rest.copy_from_slice(&last[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_blocks_verify_and_wrong_ones_do_not() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let layout = Layout::create(dir.path(), Shape::new(3, 5, 100))?;
        let mut block = vec![0u8; 100];
        fill_block(2, 4, &mut block);
        assert_eq!(layout.verify(&layout.block_id(2, 4), &block), Ok(()));
        assert!(layout.verify(&layout.block_id(2, 3), &block).is_err());
        assert!(layout.verify(&layout.block_id(2, 4), &block[1..]).is_err());
        let mut batch = Vec::new();
        for r in 1..3 {
            fill_block(0, r, &mut block);
            batch.extend_from_slice(&block);
        }
        assert_eq!(layout.verify(&layout.batch_id(0, 1, 3), &batch), Ok(()));
        // Reused as it is.
        let again = Layout::create(dir.path(), Shape::new(3, 5, 100))?;
        assert_eq!(again.verify(&layout.batch_id(0, 1, 3), &batch), Ok(()));
        Ok(())
    }
}
