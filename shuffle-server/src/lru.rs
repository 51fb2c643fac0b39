//! A least-recently-used map bounded by total weight: the [`index`](crate::index) cache
//! weighs parsed index files in bytes, the kept data files of
//! [`open_files`](crate::open_files) count one each.
//!
//! Both are looked up for every block served, so a hit only stamps the entry: the use
//! order is kept lazily, one record per entry that may predate its last use, and eviction
//! moves a stale record up to the entry's last use instead of evicting it.

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

/// Values by key, least recently used out first once their weights pass the capacity;
/// keys hashed by `S`.
#[derive(Debug)]
pub(crate) struct Lru<K, V, S = RandomState> {
    capacity: u64,
    weight: u64,
    tick: u64,
    entries: HashMap<K, Entry<V>, S>,
    /// One record per entry, at the tick it was queued at (its last use, or earlier).
    by_use: BTreeMap<u64, K>,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    weight: u64,
    used: u64,
    queued: u64,
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher + Default> Lru<K, V, S> {
    /// An empty map holding at most `capacity` in weight.
    pub(crate) fn new(capacity: u64) -> Self {
        let entries = HashMap::with_hasher(S::default());
        Self { capacity, weight: 0, tick: 0, entries, by_use: BTreeMap::new() }
    }

    /// Total weight of the entries.
    pub(crate) fn weight(&self) -> u64 {
        self.weight
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The value at `key`, now the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.entries.get_mut(key)?;
        self.tick += 1;
        entry.used = self.tick;
        Some(&entry.value)
    }

    /// Whether `key` has a value; not a use.
    pub(crate) fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.contains_key(key)
    }

    /// Puts `value` at `key`, evicting the least recently used entries until it fits; a
    /// value heavier than the whole capacity is not kept (it would only evict everything
    /// else). Returns what went out, the value it replaced included, with their keys, so
    /// that the caller can drop them outside its lock.
    pub(crate) fn insert(&mut self, key: K, value: V, weight: u64) -> Vec<(K, V)> {
        if weight > self.capacity {
            return Vec::new();
        }
        let mut out: Vec<(K, V)> =
            self.remove(&key).into_iter().map(|old| (key.clone(), old)).collect();
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
                out.push((oldest, entry.value));
            }
        }
        self.tick += 1;
        self.weight += weight;
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(key, Entry { value, weight, used: self.tick, queued: self.tick });
        out
    }

    /// Takes the value at `key` out.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.entries.remove(key)?;
        self.by_use.remove(&entry.queued);
        self.weight -= entry.weight;
        Some(entry.value)
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(key, entry)| (key, &entry.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str) -> String {
        name.to_owned()
    }

    #[test]
    fn evicts_least_recently_used_by_weight() {
        let mut lru: Lru<String, char> = Lru::new(10);
        assert!(lru.insert(k("a"), 'a', 4).is_empty());
        assert!(lru.insert(k("b"), 'b', 4).is_empty());
        assert_eq!(lru.get("a"), Some(&'a'));
        // c needs 4 of the 2 left: b, the least recently used, goes; a stays.
        assert_eq!(lru.insert(k("c"), 'c', 4), vec![(k("b"), 'b')]);
        assert_eq!((lru.len(), lru.weight()), (2, 8));
        assert_eq!(lru.get("b"), None);
        // d needs both out, a (queued before its use) last.
        lru.get("c");
        assert_eq!(lru.insert(k("d"), 'd', 10), vec![(k("a"), 'a'), (k("c"), 'c')]);
        assert_eq!((lru.len(), lru.weight()), (1, 10));
        assert!(lru.insert(k("e"), 'e', 11).is_empty(), "heavier than the capacity");
        assert_eq!(lru.get("e"), None);
        assert_eq!(lru.get("d"), Some(&'d'));
    }

    #[test]
    fn replacing_and_removing_keep_the_books() {
        let mut lru: Lru<String, usize> = Lru::new(3);
        lru.insert(k("/x/a"), 1, 1);
        assert_eq!(lru.insert(k("/x/a"), 2, 2), vec![(k("/x/a"), 1)]);
        assert_eq!((lru.len(), lru.weight()), (1, 2));
        assert_eq!(lru.remove("/x/a"), Some(2));
        assert_eq!(lru.remove("/x/a"), None);
        assert_eq!((lru.len(), lru.weight()), (0, 0));
        for (i, name) in ["/1", "/2", "/3"].iter().enumerate() {
            lru.insert(k(name), i, 1);
        }
        let mut all: Vec<_> = lru.iter().map(|(key, v)| (key.clone(), *v)).collect();
        all.sort();
        assert_eq!(all[2], (k("/3"), 2));
        // Many uses of one entry leave one record each, and eviction still finds the oldest.
        for _ in 0..100 {
            lru.get("/1");
        }
        assert_eq!(lru.insert(k("/4"), 3, 1), vec![(k("/2"), 1)]);
        assert_eq!(lru.by_use.len(), lru.len());
    }
}
