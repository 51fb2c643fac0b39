//! Typed identifiers, parsed once at the protocol boundary.
//!
//! Spark names blocks with strings (`shuffle_0_5_1`, `rdd_3_7`, …) and re-splits them on `_`
//! wherever it needs a field. Here a [`BlockId`] is parsed once with [`str::parse`], and its
//! [`Display`](fmt::Display) gives back the exact name, which is also the on-disk file name
//! for the ids that name files.
//!
//! Grammar (Spark 3.5 `core/.../storage/BlockId.scala`, restricted to what a client sends to
//! the external shuffle service; `N` is a decimal, `A` a checksum algorithm):
//!
//! - [`BlockId::Shuffle`] `shuffle_N_N_N`: OpenBlocks (`useOldFetchProtocol`); the client
//!   turns it into FetchShuffleBlocks fields otherwise.
//! - [`BlockId::ShuffleBatch`] `shuffle_N_N_N_N` (end exclusive): batch fetch, client side.
//! - [`BlockId::ShuffleChunk`] `shuffleChunk_N_N_N_N`: OpenBlocks, push-merged chunks.
//! - [`BlockId::Rdd`] `rdd_N_N`: OpenBlocks and RemoveBlocks.
//! - [`BlockId::ShuffleData`] `shuffle_N_N_N.data`, [`BlockId::ShuffleIndex`]
//!   `shuffle_N_N_N.index`: RemoveBlocks (`spark.shuffle.service.removeShuffle`).
//! - [`BlockId::ShuffleChecksum`] `shuffle_N_N_N.checksum.A`: never sent; the file that
//!   DiagnoseCorruption reads (`ShuffleChecksumHelper.getChecksumFileName`).
//!
//! Refused with [`Error::InvalidBlockId`]: every other kind in `BlockId.scala`
//! (`broadcast_`, `taskresult_`, `input-`, `temp_local_`, `temp_shuffle_`, `test_`,
//! `shufflePush_`, `shuffleMerged_…`), which no client sends to the shuffle service (pushed
//! and merged blocks travel as `PushBlockStream`/`FetchShuffleBlockChunks` fields, not ids).
//!
//! Numbers are stricter than Spark's: digits only (Spark's handler uses `Integer.parseInt`,
//! which also takes a sign), no leading zeros (Spark never writes them, and refusing them
//! keeps `Display` equal to the input, so a file name is never aliased), and values must fit
//! the field's Java type.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A block a client names in an RPC to the external shuffle service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockId {
    /// One reduce partition of one map output: `shuffle_{shuffle_id}_{map_id}_{reduce_id}`.
    Shuffle {
        /// Shuffle id.
        shuffle_id: i32,
        /// Map task attempt id (a long since Spark 3.0).
        map_id: i64,
        /// Reduce partition.
        reduce_id: i32,
    },
    /// Contiguous reduce partitions `[start_reduce_id, end_reduce_id)` of one map output:
    /// `shuffle_{shuffle_id}_{map_id}_{start_reduce_id}_{end_reduce_id}`.
    ShuffleBatch {
        /// Shuffle id.
        shuffle_id: i32,
        /// Map task attempt id.
        map_id: i64,
        /// First reduce partition.
        start_reduce_id: i32,
        /// One past the last reduce partition.
        end_reduce_id: i32,
    },
    /// A chunk of a push-merged partition:
    /// `shuffleChunk_{shuffle_id}_{shuffle_merge_id}_{reduce_id}_{chunk_id}`.
    ShuffleChunk {
        /// Shuffle id.
        shuffle_id: i32,
        /// Merge attempt of an indeterminate stage.
        shuffle_merge_id: i32,
        /// Reduce partition.
        reduce_id: i32,
        /// Chunk within the merged partition.
        chunk_id: i32,
    },
    /// A disk-persisted RDD partition, one whole file: `rdd_{rdd_id}_{split_index}`.
    Rdd {
        /// RDD id.
        rdd_id: i32,
        /// Partition index.
        split_index: i32,
    },
    /// A map output's data file: `shuffle_{shuffle_id}_{map_id}_{reduce_id}.data`.
    ShuffleData {
        /// Shuffle id.
        shuffle_id: i32,
        /// Map task attempt id.
        map_id: i64,
        /// Always 0 in files Spark writes (`NOOP_REDUCE_ID`).
        reduce_id: i32,
    },
    /// A map output's index file: `shuffle_{shuffle_id}_{map_id}_{reduce_id}.index`.
    ShuffleIndex {
        /// Shuffle id.
        shuffle_id: i32,
        /// Map task attempt id.
        map_id: i64,
        /// Always 0 in files Spark writes.
        reduce_id: i32,
    },
    /// A map output's checksum file:
    /// `shuffle_{shuffle_id}_{map_id}_{reduce_id}.checksum.{algorithm}`.
    ShuffleChecksum {
        /// Shuffle id.
        shuffle_id: i32,
        /// Map task attempt id.
        map_id: i64,
        /// Always 0 in files Spark writes.
        reduce_id: i32,
        /// The algorithm that wrote it.
        algorithm: ChecksumAlgorithm,
    },
}

impl BlockId {
    /// The name of the file this id denotes (relative to an executor's hashed sub-directory),
    /// or `None` for ids that denote a segment of a file (shuffle blocks, batches, chunks).
    pub fn file_name(&self) -> Option<String> {
        match self {
            Self::Rdd { .. }
            | Self::ShuffleData { .. }
            | Self::ShuffleIndex { .. }
            | Self::ShuffleChecksum { .. } => Some(self.to_string()),
            Self::Shuffle { .. } | Self::ShuffleBatch { .. } | Self::ShuffleChunk { .. } => None,
        }
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Shuffle { shuffle_id, map_id, reduce_id } => {
                write!(f, "shuffle_{shuffle_id}_{map_id}_{reduce_id}")
            }
            Self::ShuffleBatch { shuffle_id, map_id, start_reduce_id, end_reduce_id } => {
                write!(f, "shuffle_{shuffle_id}_{map_id}_{start_reduce_id}_{end_reduce_id}")
            }
            Self::ShuffleChunk { shuffle_id, shuffle_merge_id, reduce_id, chunk_id } => {
                write!(f, "shuffleChunk_{shuffle_id}_{shuffle_merge_id}_{reduce_id}_{chunk_id}")
            }
            Self::Rdd { rdd_id, split_index } => write!(f, "rdd_{rdd_id}_{split_index}"),
            Self::ShuffleData { shuffle_id, map_id, reduce_id } => {
                write!(f, "shuffle_{shuffle_id}_{map_id}_{reduce_id}.data")
            }
            Self::ShuffleIndex { shuffle_id, map_id, reduce_id } => {
                write!(f, "shuffle_{shuffle_id}_{map_id}_{reduce_id}.index")
            }
            Self::ShuffleChecksum { shuffle_id, map_id, reduce_id, algorithm } => {
                write!(f, "shuffle_{shuffle_id}_{map_id}_{reduce_id}.checksum.{algorithm}")
            }
        }
    }
}

impl FromStr for BlockId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_block_id(s).map_err(|reason| Error::InvalidBlockId { id: s.to_owned(), reason })
    }
}

/// Kinds `BlockId.scala` defines that the shuffle service never serves.
const REFUSED_PREFIXES: &[&str] = &[
    "broadcast_",
    "taskresult_",
    "input-",
    "temp_local_",
    "temp_shuffle_",
    "test_",
    "shufflePush_",
    "shuffleMerged_",
];

fn parse_block_id(s: &str) -> Result<BlockId, &'static str> {
    if let Some(rest) = s.strip_prefix("shuffleChunk_") {
        let [shuffle_id, shuffle_merge_id, reduce_id, chunk_id] = fields(rest)?;
        return Ok(BlockId::ShuffleChunk {
            shuffle_id: number(shuffle_id)?,
            shuffle_merge_id: number(shuffle_merge_id)?,
            reduce_id: number(reduce_id)?,
            chunk_id: number(chunk_id)?,
        });
    }
    if let Some(rest) = s.strip_prefix("rdd_") {
        let [rdd_id, split_index] = fields(rest)?;
        return Ok(BlockId::Rdd { rdd_id: number(rdd_id)?, split_index: number(split_index)? });
    }
    if let Some(rest) = s.strip_prefix("shuffle_") {
        return parse_shuffle(rest);
    }
    if REFUSED_PREFIXES.iter().any(|p| s.starts_with(p)) {
        return Err("block kind not served by the external shuffle service");
    }
    Err("unknown block id kind")
}

/// The part after `shuffle_`: three or four numbers, optionally a file suffix.
fn parse_shuffle(rest: &str) -> Result<BlockId, &'static str> {
    let (numbers, suffix) = match rest.split_once('.') {
        Some((numbers, suffix)) => (numbers, Some(suffix)),
        None => (rest, None),
    };
    if numbers.split('_').count() == 4 {
        if suffix.is_some() {
            return Err("a batch id has no file suffix");
        }
        let [shuffle_id, map_id, start, end] = fields(numbers)?;
        return Ok(BlockId::ShuffleBatch {
            shuffle_id: number(shuffle_id)?,
            map_id: number(map_id)?,
            start_reduce_id: number(start)?,
            end_reduce_id: number(end)?,
        });
    }
    let [shuffle_id, map_id, reduce_id] = fields(numbers)?;
    let (shuffle_id, map_id, reduce_id) =
        (number(shuffle_id)?, number(map_id)?, number(reduce_id)?);
    Ok(match suffix {
        None => BlockId::Shuffle { shuffle_id, map_id, reduce_id },
        Some("data") => BlockId::ShuffleData { shuffle_id, map_id, reduce_id },
        Some("index") => BlockId::ShuffleIndex { shuffle_id, map_id, reduce_id },
        Some(other) => {
            let algorithm = other
                .strip_prefix("checksum.")
                .ok_or("unknown shuffle file suffix")?
                .parse()
                .map_err(|_| "unsupported checksum algorithm")?;
            BlockId::ShuffleChecksum { shuffle_id, map_id, reduce_id, algorithm }
        }
    })
}

/// Splits on `_` into exactly `N` fields.
fn fields<const N: usize>(s: &str) -> Result<[&str; N], &'static str> {
    let mut parts = s.split('_');
    let mut out = [""; N];
    for slot in &mut out {
        *slot = parts.next().ok_or("too few fields")?;
    }
    match parts.next() {
        Some(_) => Err("too many fields"),
        None => Ok(out),
    }
}

/// A non-negative decimal without sign or leading zeros that fits `T`.
fn number<T: TryFrom<u64>>(s: &str) -> Result<T, &'static str> {
    if s.is_empty() {
        return Err("empty number");
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("number with a non-digit character");
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err("number with a leading zero");
    }
    let n: u64 = s.parse().map_err(|_| "number out of range")?;
    T::try_from(n).map_err(|_| "number out of range")
}

/// The shuffle checksum algorithms Spark 3.5 writes (`spark.shuffle.checksum.algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// `java.util.zip.Adler32`, Spark's default.
    Adler32,
    /// `java.util.zip.CRC32`.
    Crc32,
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Adler32 => "ADLER32",
            Self::Crc32 => "CRC32",
        })
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = Error;

    /// Exactly Spark's names, case-sensitive as `ShuffleChecksumHelper` compares them.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ADLER32" => Ok(Self::Adler32),
            "CRC32" => Ok(Self::Crc32),
            _ => {
                Err(Error::Malformed { what: "checksum algorithm", reason: "not ADLER32 or CRC32" })
            }
        }
    }
}

/// An executor of an application: the key of the registered-executor table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppExecId {
    /// Application id (`spark.app.id`).
    pub app_id: String,
    /// Executor id within the application.
    pub exec_id: String,
}

impl AppExecId {
    /// Builds an id from its two parts.
    pub fn new(app_id: impl Into<String>, exec_id: impl Into<String>) -> Self {
        Self { app_id: app_id.into(), exec_id: exec_id.into() }
    }
}

impl fmt::Display for AppExecId {
    /// `appId/execId`, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app_id, self.exec_id)
    }
}

/// A chunk of a registered stream (`NC/protocol/StreamChunkId.java`); as a string, the
/// `StreamRequest` id `{stream_id}_{chunk_index}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamChunkId {
    /// Stream id from the `StreamHandle`.
    pub stream_id: i64,
    /// Index of the chunk within the stream.
    pub chunk_index: i32,
}

impl fmt::Display for StreamChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.stream_id, self.chunk_index)
    }
}

impl FromStr for StreamChunkId {
    type Err = Error;

    /// Parses as Spark's `parseStreamChunkId` does: exactly two `_`-separated decimals
    /// (`Long.valueOf`/`Integer.valueOf`, which also accept a sign).
    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::InvalidStreamChunkId(s.to_owned());
        let (stream_id, chunk_index) = s.split_once('_').ok_or_else(invalid)?;
        Ok(Self {
            stream_id: stream_id.parse().map_err(|_| invalid())?,
            chunk_index: chunk_index.parse().map_err(|_| invalid())?,
        })
    }
}

/// Java's `String.hashCode`: `h = 31 * h + c` over the UTF-16 code units, wrapping in `i32`.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// Spark's `JavaUtils.nonNegativeHash`: `abs(hashCode)`, with `Integer.MIN_VALUE` (whose
/// `abs` is itself) mapped to 0. Chooses the local and sub-directory of every block file.
pub fn non_negative_hash(s: &str) -> i32 {
    match java_string_hash(s) {
        i32::MIN => 0,
        h => h.abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> BlockId {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn valid_ids_round_trip() {
        let table = [
            ("shuffle_0_5_1", BlockId::Shuffle { shuffle_id: 0, map_id: 5, reduce_id: 1 }),
            (
                "shuffle_2_9223372036854775807_2147483647",
                BlockId::Shuffle { shuffle_id: 2, map_id: i64::MAX, reduce_id: i32::MAX },
            ),
            (
                "shuffle_3_77_0_4",
                BlockId::ShuffleBatch {
                    shuffle_id: 3,
                    map_id: 77,
                    start_reduce_id: 0,
                    end_reduce_id: 4,
                },
            ),
            (
                "shuffleChunk_1_0_2_3",
                BlockId::ShuffleChunk {
                    shuffle_id: 1,
                    shuffle_merge_id: 0,
                    reduce_id: 2,
                    chunk_id: 3,
                },
            ),
            ("rdd_3_7", BlockId::Rdd { rdd_id: 3, split_index: 7 }),
            ("shuffle_0_5_0.data", BlockId::ShuffleData { shuffle_id: 0, map_id: 5, reduce_id: 0 }),
            (
                "shuffle_0_5_0.index",
                BlockId::ShuffleIndex { shuffle_id: 0, map_id: 5, reduce_id: 0 },
            ),
            (
                "shuffle_0_5_0.checksum.ADLER32",
                BlockId::ShuffleChecksum {
                    shuffle_id: 0,
                    map_id: 5,
                    reduce_id: 0,
                    algorithm: ChecksumAlgorithm::Adler32,
                },
            ),
            (
                "shuffle_1_2_0.checksum.CRC32",
                BlockId::ShuffleChecksum {
                    shuffle_id: 1,
                    map_id: 2,
                    reduce_id: 0,
                    algorithm: ChecksumAlgorithm::Crc32,
                },
            ),
        ];
        for (text, id) in table {
            assert_eq!(ok(text), id, "{text}");
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn invalid_ids_are_refused_with_a_reason() {
        let table = [
            ("shuffle_1_2", "too few fields"),
            ("shuffle_1_2_3_4_5", "too many fields"),
            ("shuffle_-1_2_3", "non-digit"),
            ("shuffle_+1_2_3", "non-digit"),
            ("shuffle_1_2_3 ", "non-digit"),
            ("shuffle_01_2_3", "leading zero"),
            ("shuffle_1__3", "empty"),
            ("shuffle_2147483648_0_0", "out of range"),
            ("shuffle_0_9223372036854775808_0", "out of range"),
            ("shuffle_0_99999999999999999999_0", "out of range"),
            ("shuffle_1_2_3.checksum", "suffix"),
            ("shuffle_1_2_3.checksum.MD5", "algorithm"),
            ("shuffle_1_2_3.txt", "suffix"),
            ("shuffle_1_2_3_4.data", "batch"),
            ("shuffle_1_2_3.data.index", "suffix"),
            ("shuffleChunk_1_2_3", "too few"),
            ("rdd_1", "too few fields"),
            ("rdd_1_2_3", "too many fields"),
            ("rdd_1_x", "non-digit"),
            ("broadcast_1", "not served"),
            ("broadcast_1_piece0", "not served"),
            ("taskresult_9", "not served"),
            ("input-0-1", "not served"),
            ("shufflePush_1_2_3_4", "not served"),
            ("shuffleMerged_app_1_2_3.data", "not served"),
            ("test_x", "not served"),
            ("../x", "unknown"),
            ("rdd_1_2/../../etc", "non-digit"),
            ("", "unknown"),
            ("Shuffle_1_2_3", "unknown"),
        ];
        for (text, expect) in table {
            match text.parse::<BlockId>() {
                Err(Error::InvalidBlockId { id, reason }) => {
                    assert_eq!(id, text);
                    assert!(reason.contains(expect), "{text}: {reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn file_names_only_for_whole_files() {
        assert_eq!(ok("rdd_3_7").file_name().as_deref(), Some("rdd_3_7"));
        assert_eq!(ok("shuffle_0_5_0.index").file_name().as_deref(), Some("shuffle_0_5_0.index"));
        assert_eq!(
            ok("shuffle_0_5_0.checksum.CRC32").file_name().as_deref(),
            Some("shuffle_0_5_0.checksum.CRC32")
        );
        assert_eq!(ok("shuffle_0_5_0").file_name(), None);
        assert_eq!(ok("shuffle_0_5_0_3").file_name(), None);
        assert_eq!(ok("shuffleChunk_0_5_0_3").file_name(), None);
    }

    #[test]
    fn stream_chunk_ids() {
        let id: StreamChunkId = "1000_0".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id, StreamChunkId { stream_id: 1000, chunk_index: 0 });
        assert_eq!(id.to_string(), "1000_0");
        for bad in ["1000", "1000_", "_0", "1000_0_1", "a_0", "1000_2147483648", ""] {
            let got = bad.parse::<StreamChunkId>();
            assert!(matches!(got, Err(Error::InvalidStreamChunkId(s)) if s == bad), "{bad}");
        }
    }

    #[test]
    fn app_exec_id_display() {
        assert_eq!(AppExecId::new("app-1", "7").to_string(), "app-1/7");
    }

    #[test]
    fn java_hash_matches_the_jvm() {
        // Values javac compiled into Spark 3.5.6's ShuffleChecksumHelper string switch.
        assert_eq!(java_string_hash("ADLER32"), -422_697_003);
        assert_eq!(java_string_hash("CRC32"), 64_384_787);
        assert_eq!(non_negative_hash("ADLER32"), 422_697_003);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // U+1F600 is the surrogate pair D83D DE00: 0xD83D * 31 + 0xDE00.
        assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
        assert_eq!(java_string_hash("a😀"), (97 * 31 + 0xD83D) * 31 + 0xDE00);
        // "é" is one UTF-16 unit (0xE9), though two UTF-8 bytes.
        assert_eq!(java_string_hash("é"), 0xE9);
        // The classic string whose hashCode is Integer.MIN_VALUE.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(non_negative_hash("polygenelubricants"), 0);
    }

    fn any_block_id() -> impl Strategy<Value = BlockId> {
        let id = 0..=i32::MAX;
        let map = 0..=i64::MAX;
        let algo = prop_oneof![Just(ChecksumAlgorithm::Adler32), Just(ChecksumAlgorithm::Crc32)];
        prop_oneof![
            (id.clone(), map.clone(), id.clone()).prop_map(|(shuffle_id, map_id, reduce_id)| {
                BlockId::Shuffle { shuffle_id, map_id, reduce_id }
            }),
            (id.clone(), map.clone(), id.clone(), id.clone()).prop_map(|(s, m, a, b)| {
                BlockId::ShuffleBatch {
                    shuffle_id: s,
                    map_id: m,
                    start_reduce_id: a,
                    end_reduce_id: b,
                }
            }),
            (id.clone(), id.clone(), id.clone(), id.clone()).prop_map(|(s, g, r, c)| {
                BlockId::ShuffleChunk {
                    shuffle_id: s,
                    shuffle_merge_id: g,
                    reduce_id: r,
                    chunk_id: c,
                }
            }),
            (id.clone(), id.clone())
                .prop_map(|(rdd_id, split_index)| BlockId::Rdd { rdd_id, split_index }),
            (id.clone(), map.clone(), id.clone()).prop_map(|(shuffle_id, map_id, reduce_id)| {
                BlockId::ShuffleData { shuffle_id, map_id, reduce_id }
            }),
            (id.clone(), map.clone(), id.clone()).prop_map(|(shuffle_id, map_id, reduce_id)| {
                BlockId::ShuffleIndex { shuffle_id, map_id, reduce_id }
            }),
            (id.clone(), map, id, algo).prop_map(|(shuffle_id, map_id, reduce_id, algorithm)| {
                BlockId::ShuffleChecksum { shuffle_id, map_id, reduce_id, algorithm }
            }),
        ]
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(id in any_block_id()) {
            prop_assert_eq!(id.to_string().parse::<BlockId>().ok(), Some(id));
        }

        #[test]
        fn stream_chunk_id_round_trip(stream_id in any::<i64>(), chunk_index in any::<i32>()) {
            let id = StreamChunkId { stream_id, chunk_index };
            prop_assert_eq!(id.to_string().parse::<StreamChunkId>().ok(), Some(id));
        }

        #[test]
        fn parsing_never_panics_and_accepted_ids_display_verbatim(s in "[a-zA-Z_.0-9-]{0,40}") {
            if let Ok(id) = s.parse::<BlockId>() {
                prop_assert_eq!(id.to_string(), s);
            }
        }
    }
}
