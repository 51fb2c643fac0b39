//! The iteration order of a Scala 2.12 `mutable.HashMap[String, _]`.
//!
//! Spark adds `sc.executorEnvs` to every executor's environment by iterating that map, so a
//! byte-equal `TaskInfo` needs its order: neither sorted nor insertion order, but bucket order
//! of Scala's `HashTable` (power-of-two table from 16, load factor 0.75, `improve` = byteswap32
//! of `String.hashCode` rotated by the table's bit count, new entries first in a bucket,
//! iteration from the last bucket down).

/// `String.hashCode`: over UTF-16 code units, wrapping.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `scala.util.hashing.byteswap32`.
fn byteswap32(v: i32) -> i32 {
    let hc = v.wrapping_mul(0x9e37_75cd_u32 as i32);
    hc.swap_bytes().wrapping_mul(0x9e37_75cd_u32 as i32)
}

/// `HashTable.index`: the bucket of `hash` in a table of `len` (a power of two) buckets.
fn index(hash: i32, len: usize) -> usize {
    let ones = (len - 1) as u32;
    let seed = ones.count_ones();
    let improved = (byteswap32(hash) as u32).rotate_right(seed % 32);
    ((improved >> ones.leading_zeros()) & ones) as usize
}

/// The order in which a `mutable.HashMap` holding `keys` (inserted in this order, no
/// duplicates) iterates them.
pub(crate) fn iteration_order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut table: Vec<Vec<&'a str>> = vec![Vec::new(); 16];
    let mut size = 0usize;
    for &key in keys {
        let bucket = index(java_string_hash(key), table.len());
        // Buckets are linked lists with the newest entry at the head.
        table[bucket].insert(0, key);
        size += 1;
        if size >= table.len() * 3 / 4 {
            let mut bigger: Vec<Vec<&'a str>> = vec![Vec::new(); table.len() * 2];
            // `resize` walks old buckets from the last, each list from its head, prepending.
            for bucket in table.iter().rev() {
                for &k in bucket {
                    let b = index(java_string_hash(k), bigger.len());
                    bigger[b].insert(0, k);
                }
            }
            table = bigger;
        }
    }
    table.iter().rev().flat_map(|b| b.iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_order_spark_3_5_6_was_seen_to_use() {
        assert_eq!(
            iteration_order(&["SPARK_EXECUTOR_MEMORY", "SPARK_USER", "OMP_NUM_THREADS"]),
            ["SPARK_USER", "OMP_NUM_THREADS", "SPARK_EXECUTOR_MEMORY"]
        );
        assert_eq!(
            iteration_order(&[
                "SPARK_EXECUTOR_MEMORY",
                "SPARK_USER",
                "OMP_NUM_THREADS",
                "ALPHA",
                "FOO",
                "ZED"
            ]),
            ["ALPHA", "SPARK_USER", "ZED", "OMP_NUM_THREADS", "FOO", "SPARK_EXECUTOR_MEMORY"]
        );
    }
}
