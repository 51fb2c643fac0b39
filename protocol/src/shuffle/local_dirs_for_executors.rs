//! `LocalDirsForExecutors` (type 11, `NS/protocol/LocalDirsForExecutors.java`): the reply to
//! `GetLocalDirsForExecutors`.
//!
//! `String[] execIds | int[] numLocalDirsByExec | String[] allLocalDirs`, where
//! `allLocalDirs` is every executor's list concatenated in `execIds` order and
//! `numLocalDirsByExec[i]` says how many belong to `execIds[i]`.

use bytes::BufMut;

use crate::codec::{put_string, string_len, Decode, Encode, Reader};
use crate::error::{Error, Result};

/// One executor's entry, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorLocalDirs {
    /// Executor id.
    pub exec_id: String,
    /// Its registered local dirs.
    pub local_dirs: Vec<String>,
}

/// Local dirs per executor, kept in the order they travel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalDirsForExecutors {
    /// One entry per executor asked about.
    pub executors: Vec<ExecutorLocalDirs>,
}

fn malformed(reason: &'static str) -> Error {
    Error::Malformed { what: "LocalDirsForExecutors", reason }
}

impl Encode for LocalDirsForExecutors {
    fn encoded_len(&self) -> usize {
        let exec_ids: usize = self.executors.iter().map(|e| string_len(&e.exec_id)).sum();
        let dirs: usize =
            self.executors.iter().flat_map(|e| &e.local_dirs).map(|d| string_len(d)).sum();
        // Three arrays behind i32 counts; the middle one holds one i32 per executor.
        (4 + exec_ids) + (4 + 4 * self.executors.len()) + (4 + dirs)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i32(count(self.executors.len()));
        self.executors.iter().for_each(|e| put_string(buf, &e.exec_id));
        buf.put_i32(count(self.executors.len()));
        self.executors.iter().for_each(|e| buf.put_i32(count(e.local_dirs.len())));
        buf.put_i32(count(self.executors.iter().map(|e| e.local_dirs.len()).sum()));
        self.executors.iter().flat_map(|e| &e.local_dirs).for_each(|d| put_string(buf, d));
    }
}

/// Java array lengths are `i32`; nothing we build comes near the limit.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Decode for LocalDirsForExecutors {
    /// Spark's `getLocalDirsByExec` trusts the counts (an overlong count pads with nulls, a
    /// short one drops dirs, extra counts index past `execIds`); here any inconsistency is an
    /// error, and every check happens before slicing.
    fn decode(r: &mut Reader) -> Result<Self> {
        let exec_ids = r.string_array("LocalDirsForExecutors.execIds")?;
        let counts = r.int_array("LocalDirsForExecutors.numLocalDirsByExec")?;
        let all_dirs = r.string_array("LocalDirsForExecutors.allLocalDirs")?;
        if exec_ids.len() != counts.len() {
            return Err(malformed("execIds and numLocalDirsByExec differ in length"));
        }
        let mut total = 0usize;
        for &n in &counts {
            let n = usize::try_from(n).map_err(|_| malformed("negative local dir count"))?;
            total = total.saturating_add(n);
        }
        if total != all_dirs.len() {
            return Err(malformed("numLocalDirsByExec does not add up to allLocalDirs"));
        }
        let mut dirs = all_dirs.into_iter();
        let executors = exec_ids
            .into_iter()
            .zip(counts)
            .map(|(exec_id, n)| ExecutorLocalDirs {
                exec_id,
                local_dirs: dirs.by_ref().take(n as usize).collect(),
            })
            .collect();
        Ok(Self { executors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::{assert_wire, decode_hex};

    fn entry(exec_id: &str, dirs: &[&str]) -> ExecutorLocalDirs {
        ExecutorLocalDirs {
            exec_id: exec_id.into(),
            local_dirs: dirs.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn matches_spark_encoder() {
        // Spark built from a LinkedHashMap {7: [/a, /b], 8: [], 9: [/c]}.
        assert_wire(
            "0b000000030000000137000000013800000001390000000300000002000000000000000100000003\
             000000022f61000000022f62000000022f63",
            LocalDirsForExecutors {
                executors: vec![entry("7", &["/a", "/b"]), entry("8", &[]), entry("9", &["/c"])],
            },
        );
    }

    #[test]
    fn inconsistent_counts_are_refused() {
        let cases = [
            // One exec id, two counts.
            ("0b00000001000000013700000002000000010000000100000001000000022f61", "differ"),
            // Count -1.
            ("0b00000001000000013700000001ffffffff00000000", "negative"),
            // Count 2, one dir.
            ("0b00000001000000013700000001000000020000000100000002 2f61", "add up"),
            // Count 0, one dir.
            ("0b000000010000000137000000010000000000000001000000022f61", "add up"),
        ];
        for (hex, expect) in cases {
            match decode_hex(&hex.replace(' ', "")) {
                Err(Error::Malformed { reason, .. }) => {
                    assert!(reason.contains(expect), "{hex}: {reason}")
                }
                other => panic!("{hex}: {other:?}"),
            }
        }
    }
}
