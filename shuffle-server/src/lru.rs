//! A least-recently-used map from file paths to cached values, bounded by total weight:
//! the [`index`](crate::index) cache weighs parsed index files in bytes, the kept data files
//! of [`open_files`](crate::open_files) count one each.
//!
//! Both are looked up for every block served, so a hit only stamps the entry: the use
//! order is kept lazily, one record per entry that may predate its last use, and eviction
//! moves a stale record up to the entry's last use instead of evicting it.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Values by path, least recently used out first once their weights pass the capacity.
#[derive(Debug)]
pub(crate) struct Lru<V> {
    capacity: u64,
    weight: u64,
    tick: u64,
    /// Keyed by the path's bytes: hashing a `Path` walks its components.
    entries: HashMap<Box<[u8]>, Entry<V>>,
    /// One record per entry, at the tick it was queued at (its last use, or earlier).
    by_use: BTreeMap<u64, Box<[u8]>>,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    weight: u64,
    used: u64,
    queued: u64,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

impl<V: Clone> Lru<V> {
    /// An empty map holding at most `capacity` in weight.
    pub(crate) fn new(capacity: u64) -> Self {
        Self { capacity, weight: 0, tick: 0, entries: HashMap::new(), by_use: BTreeMap::new() }
    }

    /// Total weight of the entries.
    pub(crate) fn weight(&self) -> u64 {
        self.weight
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The value at `path`, now the most recently used.
    pub(crate) fn get(&mut self, path: &Path) -> Option<V> {
        let entry = self.entries.get_mut(key(path))?;
        self.tick += 1;
        entry.used = self.tick;
        Some(entry.value.clone())
    }

    /// Puts `value` at `path`, evicting the least recently used entries until it fits; a
    /// value heavier than the whole capacity is not kept (it would only evict everything
    /// else). Returns what went out, the value it replaced included, so that the caller
    /// can drop it outside its lock.
    pub(crate) fn insert(&mut self, path: &Path, value: V, weight: u64) -> Vec<V> {
        if weight > self.capacity {
            return Vec::new();
        }
        let mut out: Vec<V> = self.remove(path).into_iter().collect();
        while self.weight + weight > self.capacity {
            let Some((queued, oldest)) = self.by_use.pop_first() else { break };
            let Some(entry) = self.entries.get_mut(&oldest) else { continue };
            if entry.used != queued {
                entry.queued = entry.used;
                self.by_use.insert(entry.used, oldest);
                continue;
            }
            if let Some(entry) = self.entries.remove(&oldest) {
                self.weight -= entry.weight;
                out.push(entry.value);
            }
        }
        self.tick += 1;
        self.weight += weight;
        let key: Box<[u8]> = key(path).into();
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(key, Entry { value, weight, used: self.tick, queued: self.tick });
        out
    }

    /// Takes the value at `path` out.
    pub(crate) fn remove(&mut self, path: &Path) -> Option<V> {
        let entry = self.entries.remove(key(path))?;
        self.by_use.remove(&entry.queued);
        self.weight -= entry.weight;
        Some(entry.value)
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Path, &V)> {
        self.entries.iter().map(|(key, entry)| (Path::new(OsStr::from_bytes(key)), &entry.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> &Path {
        Path::new(name)
    }

    #[test]
    fn evicts_least_recently_used_by_weight() {
        let mut lru = Lru::new(10);
        assert!(lru.insert(p("a"), 'a', 4).is_empty());
        assert!(lru.insert(p("b"), 'b', 4).is_empty());
        assert_eq!(lru.get(p("a")), Some('a'));
        // c needs 4 of the 2 left: b, the least recently used, goes; a stays.
        assert_eq!(lru.insert(p("c"), 'c', 4), vec!['b']);
        assert_eq!((lru.len(), lru.weight()), (2, 8));
        assert_eq!(lru.get(p("b")), None);
        // d needs both out, a (queued before its use) last.
        lru.get(p("c"));
        assert_eq!(lru.insert(p("d"), 'd', 10), vec!['a', 'c']);
        assert_eq!((lru.len(), lru.weight()), (1, 10));
        assert!(lru.insert(p("e"), 'e', 11).is_empty(), "heavier than the capacity");
        assert_eq!(lru.get(p("e")), None);
        assert_eq!(lru.get(p("d")), Some('d'));
    }

    #[test]
    fn replacing_and_removing_keep_the_books() {
        let mut lru = Lru::new(3);
        lru.insert(p("/x/a"), 1, 1);
        assert_eq!(lru.insert(p("/x/a"), 2, 2), vec![1]);
        assert_eq!((lru.len(), lru.weight()), (1, 2));
        assert_eq!(lru.remove(p("/x/a")), Some(2));
        assert_eq!(lru.remove(p("/x/a")), None);
        assert_eq!((lru.len(), lru.weight()), (0, 0));
        for (i, name) in ["/1", "/2", "/3"].iter().enumerate() {
            lru.insert(p(name), i, 1);
        }
        let mut all: Vec<_> = lru.iter().map(|(path, v)| (path.to_owned(), *v)).collect();
        all.sort();
        assert_eq!(all[2], (Path::new("/3").to_owned(), 2));
        // Many uses of one entry leave one record each, and eviction still finds the oldest.
        for _ in 0..100 {
            lru.get(p("/1"));
        }
        assert_eq!(lru.insert(p("/4"), 3, 1), vec![1]);
        assert_eq!(lru.by_use.len(), lru.len());
    }
}
