//! A Spark-layout shuffle written to a temporary directory, as an executor's
//! `IndexShuffleBlockResolver` and `DiskBlockManager` would leave it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use shuffle_protocol::block_id::non_negative_hash;
use shuffle_protocol::shuffle::ExecutorShuffleInfo;

use crate::server::SORT_SHUFFLE_MANAGER;

/// Sub-directories per local dir, as `spark.diskStore.subDirectories` defaults.
pub const SUB_DIRS: i32 = 64;

/// The shape of a generated shuffle.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Shuffle id.
    pub shuffle_id: i32,
    /// Number of map outputs; map ids are `map_id_base + m`.
    pub maps: i64,
    /// Number of reduce partitions per map output.
    pub reduces: i32,
    /// Added to map indexes to form map ids (task attempt ids in Spark 3.x).
    pub map_id_base: i64,
}

/// An executor's local dirs holding one generated shuffle, plus the means to check bytes.
#[derive(Debug)]
pub struct ShuffleFixture {
    /// Keeps the directory alive as long as the fixture.
    _root: tempfile::TempDir,
    /// The executor's `blockmgr-*` dirs, as it would register them.
    pub local_dirs: Vec<String>,
    /// What was written.
    pub shape: Shape,
}

impl ShuffleFixture {
    /// Writes a shuffle with `shape` spread over `num_dirs` local dirs. Block sizes cover
    /// empty blocks, small ones and a few of several MiB.
    pub fn write(shape: Shape, num_dirs: usize) -> io::Result<Self> {
        let root = tempfile::Builder::new().prefix("shuffle-fixture").tempdir()?;
        let local_dirs: Vec<String> = (0..num_dirs)
            .map(|i| {
                let dir = root.path().join(format!("local{i}")).join(format!("blockmgr-{i:08}"));
                fs::create_dir_all(&dir).map(|()| dir.to_string_lossy().into_owned())
            })
            .collect::<io::Result<_>>()?;
        let fixture = Self { _root: root, local_dirs, shape };
        for m in 0..shape.maps {
            fixture.write_map(shape.map_id_base + m)?;
        }
        Ok(fixture)
    }

    /// What the executor that wrote the shuffle registers: its local dirs, [`SUB_DIRS`] and
    /// the sort shuffle manager.
    pub fn executor_info(&self) -> ExecutorShuffleInfo {
        ExecutorShuffleInfo {
            local_dirs: self.local_dirs.clone(),
            sub_dirs_per_local_dir: SUB_DIRS,
            shuffle_manager: SORT_SHUFFLE_MANAGER.to_owned(),
        }
    }

    fn write_map(&self, map_id: i64) -> io::Result<()> {
        let s = self.shape.shuffle_id;
        let mut data = Vec::new();
        let mut index = vec![0u8; 8];
        let mut checksums = Vec::new();
        for r in 0..self.shape.reduces {
            let block = self.block_bytes(map_id, r);
            checksums.extend_from_slice(&i64::from(adler32(&block)).to_be_bytes());
            data.extend_from_slice(&block);
            index.extend_from_slice(&(data.len() as i64).to_be_bytes());
        }
        self.put(&format!("shuffle_{s}_{map_id}_0.data"), &data)?;
        self.put(&format!("shuffle_{s}_{map_id}_0.index"), &index)?;
        self.put(&format!("shuffle_{s}_{map_id}_0.checksum.ADLER32"), &checksums)?;
        Ok(())
    }

    /// Writes `bytes` as file `name` where Spark's hashing puts it; returns its path.
    pub fn put(&self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.path_of(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Where Spark's `ExecutorDiskUtils.getFilePath` puts file `name` in these dirs.
    pub fn path_of(&self, name: &str) -> PathBuf {
        let h = non_negative_hash(name) as usize;
        let n = self.local_dirs.len();
        let sub = (h / n) % SUB_DIRS as usize;
        Path::new(&self.local_dirs[h % n]).join(format!("{sub:02x}")).join(name)
    }

    /// Size in bytes of block (map_id, reduce_id): mostly small, every 7th empty, and a few
    /// blocks of 2–5 MiB so that large transfers are covered.
    pub fn block_len(&self, map_id: i64, reduce_id: i32) -> usize {
        let k = (map_id as u64).wrapping_mul(31).wrapping_add(reduce_id as u64);
        match k % 97 {
            0 => (2 << 20) + (k as usize % (3 << 20)),
            x if x % 7 == 0 => 0,
            x => (x as usize * 613 + reduce_id as usize * 17) % 20_000,
        }
    }

    /// The exact bytes of block (map_id, reduce_id).
    pub fn block_bytes(&self, map_id: i64, reduce_id: i32) -> Vec<u8> {
        let len = self.block_len(map_id, reduce_id);
        let mut state = (map_id as u64) << 32 ^ reduce_id as u64 ^ 0x9e37_79b9_7f4a_7c15;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// Bytes of reduce partitions `start..end` of one map output, as a batch fetch returns them.
    pub fn range_bytes(&self, map_id: i64, start: i32, end: i32) -> Vec<u8> {
        (start..end).flat_map(|r| self.block_bytes(map_id, r)).collect()
    }

    /// All map ids of the shuffle.
    pub fn map_ids(&self) -> impl Iterator<Item = i64> {
        let base = self.shape.map_id_base;
        (0..self.shape.maps).map(move |m| base + m)
    }
}

/// Hex SHA-256 of `bytes`, the form the Java driver prints.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `java.util.zip.Adler32` of `bytes`, Spark's default shuffle checksum.
pub fn adler32(bytes: &[u8]) -> u32 {
    adler2::adler32_slice(bytes)
}
