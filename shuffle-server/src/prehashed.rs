//! A hasher for keys that bring their own hash ([`FilePath`](crate::open_files::FilePath),
//! stream ids): maps looked up for every block served use it as it is instead of running
//! SipHash again. Each key type says why its hash is safe from peers who pick keys.

use std::hash::{BuildHasherDefault, Hasher};

/// Builds [`PreHashed`] hashers, for `HashMap`/`DashMap`.
pub(crate) type BuildPreHashed = BuildHasherDefault<PreHashed>;

/// Takes a key's own `u64` hash as the hash.
#[derive(Debug, Default)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Keys write one u64 (`write_u64`); folding keeps any other use correct.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_key_hash_passes_through_and_other_writes_still_hash() {
        let build = BuildPreHashed::default();
        assert_eq!(build.hash_one(0xdead_beef_u64), 0xdead_beef);
        assert_ne!(build.hash_one("ab"), build.hash_one("ba"));
    }
}
