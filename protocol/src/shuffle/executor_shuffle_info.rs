//! `ExecutorShuffleInfo` (`NS/protocol/ExecutorShuffleInfo.java`): where an executor keeps
//! its files. Not a message itself; carried by `RegisterExecutor` and stored by the service.
//!
//! `String[] localDirs | i32 subDirsPerLocalDir | String shuffleManager`.

use bytes::BufMut;

use crate::codec::{
    put_string, put_string_array, string_array_len, string_len, Decode, Encode, Reader,
};
use crate::error::Result;

/// The directory layout of one executor's block files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorShuffleInfo {
    /// Absolute `blockmgr-<uuid>` directories, in the executor's order (the hash picks one).
    pub local_dirs: Vec<String>,
    /// `spark.diskStore.subDirectories` (64 by default).
    pub sub_dirs_per_local_dir: i32,
    /// Shuffle manager class name, optionally followed by `:` and push-merge JSON; not
    /// validated by the 3.5 service.
    pub shuffle_manager: String,
}

impl Encode for ExecutorShuffleInfo {
    fn encoded_len(&self) -> usize {
        string_array_len(&self.local_dirs) + 4 + string_len(&self.shuffle_manager)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        put_string_array(buf, &self.local_dirs);
        buf.put_i32(self.sub_dirs_per_local_dir);
        put_string(buf, &self.shuffle_manager);
    }
}

impl Decode for ExecutorShuffleInfo {
    fn decode(r: &mut Reader) -> Result<Self> {
        Ok(Self {
            local_dirs: r.string_array("ExecutorShuffleInfo.localDirs")?,
            sub_dirs_per_local_dir: r.i32("ExecutorShuffleInfo.subDirsPerLocalDir")?,
            shuffle_manager: r.string("ExecutorShuffleInfo.shuffleManager")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn layout() {
        let info = ExecutorShuffleInfo {
            local_dirs: vec!["/d".into()],
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "S".into(),
        };
        let bytes = info.to_bytes();
        assert_eq!(
            &bytes[..],
            &[0, 0, 0, 1, 0, 0, 0, 2, b'/', b'd', 0, 0, 0, 64, 0, 0, 0, 1, b'S']
        );
        let mut r = Reader::new(bytes);
        assert_eq!(ExecutorShuffleInfo::decode(&mut r).ok(), Some(info));
        assert!(r.finish("ExecutorShuffleInfo").is_ok());
        let mut short = Reader::new(Bytes::from_static(&[0, 0, 0, 0, 0, 0]));
        assert!(ExecutorShuffleInfo::decode(&mut short).is_err());
    }
}
