//! RoaringBitmap's portable serialization, the form `MergeStatuses` carries its bitmaps in.
//!
//! Spark writes each bitmap with `Encoders.Bitmaps` after `trim()` + `runOptimize()`, i.e.
//! the RoaringFormatSpec layout (all words little-endian, unlike the rest of the protocol):
//!
//! ```text
//! cookie     u32 12346, then u32 container count            (no run containers)
//!          | u16 12347, u16 count-1, then (count+7)/8 bytes of "is run" flags
//! header     count × (u16 key, u16 cardinality-1)
//! offsets    count × u32 byte offset of each container      (12346, or 12347 with count ≥ 4)
//! containers array: cardinality × u16 | bitmap: 1024 × u64
//!          | run: u16 n, n × (u16 start, u16 len-1)
//! ```
//!
//! Nothing says how long a bitmap is except its own headers, so [`RoaringBitmap`] parses them
//! (every read bounds-checked) to find where the next field starts, and keeps the exact bytes
//! so that re-encoding is byte-identical to what Spark sent.

use std::fmt;

use bytes::{BufMut, Bytes};

use crate::codec::{Decode, Encode, Reader};
use crate::error::{Error, Result};

const WHAT: &str = "RoaringBitmap";
const SERIAL_COOKIE_NO_RUNCONTAINER: u32 = 12346;
const SERIAL_COOKIE: u32 = 12347;
/// Below this many containers a 12347-cookie bitmap has no offset header.
const NO_OFFSET_THRESHOLD: usize = 4;
/// Containers with more values than this are stored as bitmaps (Java's `DEFAULT_MAX_SIZE`).
const ARRAY_MAX_CARDINALITY: usize = 4096;
const BITMAP_CONTAINER_BYTES: usize = 8192;
/// One container per 16-bit key.
const MAX_CONTAINERS: usize = 1 << 16;

/// A set of `u32` in RoaringBitmap's portable serialization.
///
/// Decoding validates the whole serialization (cookie, strictly increasing keys, offsets,
/// sorted array and run containers, cardinalities that match the contents), so iteration never
/// meets a surprise. Equality compares serializations, not sets: the same set can be written
/// with different container kinds, and what this type preserves is the exact bytes.
#[derive(Clone)]
pub struct RoaringBitmap {
    bytes: Bytes,
    containers: Vec<Container>,
}

/// Where one container lives inside `RoaringBitmap::bytes`.
#[derive(Debug, Clone, Copy)]
struct Container {
    key: u16,
    cardinality: u32,
    kind: Kind,
    /// Byte range of the container's data (for runs: including the run count).
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Array,
    Bitmap,
    Run,
}

impl RoaringBitmap {
    /// The serialized bytes, exactly as received (or as Spark would write them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of values in the set.
    pub fn cardinality(&self) -> u64 {
        self.containers.iter().map(|c| u64::from(c.cardinality)).sum()
    }

    /// The values in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.containers.iter().flat_map(move |c| {
            let high = u32::from(c.key) << 16;
            c.lows(self.data(c)).map(move |low| high | u32::from(low))
        })
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: u32) -> bool {
        let key = (value >> 16) as u16;
        let low = value as u16;
        let Ok(i) = self.containers.binary_search_by_key(&key, |c| c.key) else {
            return false;
        };
        self.containers.get(i).is_some_and(|c| c.contains(self.data(c), low))
    }

    fn data(&self, c: &Container) -> &[u8] {
        self.bytes.get(c.start..c.end).unwrap_or_default()
    }
}

impl Container {
    /// The low 16 bits of every value, in order.
    fn lows<'a>(&self, data: &'a [u8]) -> Box<dyn Iterator<Item = u16> + 'a> {
        match self.kind {
            Kind::Array => Box::new(u16s(data)),
            Kind::Bitmap => Box::new(u64s(data).enumerate().flat_map(|(w, word)| {
                (0..64u16)
                    .filter(move |bit| word & (1 << bit) != 0)
                    .map(move |bit| w as u16 * 64 + bit)
            })),
            Kind::Run => Box::new(runs(data).flat_map(|(start, last)| start..=last)),
        }
    }

    fn contains(&self, data: &[u8], low: u16) -> bool {
        match self.kind {
            Kind::Array => {
                // Binary search over the little-endian u16 slots.
                let (mut lo, mut hi) = (0, data.len() / 2);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    match u16_at(data, mid).map(|v| v.cmp(&low)) {
                        Some(std::cmp::Ordering::Less) => lo = mid + 1,
                        Some(std::cmp::Ordering::Greater) => hi = mid,
                        Some(std::cmp::Ordering::Equal) => return true,
                        None => return false,
                    }
                }
                false
            }
            Kind::Bitmap => {
                let word = usize::from(low / 64) * 8;
                data.get(word..)
                    .and_then(<[u8]>::first_chunk::<8>)
                    .is_some_and(|w| u64::from_le_bytes(*w) & (1 << (low % 64)) != 0)
            }
            Kind::Run => runs(data).any(|(start, last)| (start..=last).contains(&low)),
        }
    }
}

fn u16_at(data: &[u8], i: usize) -> Option<u16> {
    data.get(i * 2..).and_then(<[u8]>::first_chunk::<2>).map(|b| u16::from_le_bytes(*b))
}

fn u16s(data: &[u8]) -> impl Iterator<Item = u16> + '_ {
    data.chunks_exact(2).filter_map(|b| b.first_chunk::<2>()).map(|b| u16::from_le_bytes(*b))
}

fn u64s(data: &[u8]) -> impl Iterator<Item = u64> + '_ {
    data.chunks_exact(8).filter_map(|b| b.first_chunk::<8>()).map(|b| u64::from_le_bytes(*b))
}

/// `(first, last)` of each run of a run container's data (run count first, then the runs).
/// Only called on validated data, where `first + len - 1` cannot pass 65535.
fn runs(data: &[u8]) -> impl Iterator<Item = (u16, u16)> + '_ {
    let mut pairs = u16s(data.get(2..).unwrap_or_default());
    std::iter::from_fn(move || {
        let start = pairs.next()?;
        let len = pairs.next()?;
        Some((start, start.saturating_add(len)))
    })
}

/// A bounds-checked little-endian cursor over one serialized bitmap.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let taken = rest.get(..n).ok_or(Error::Truncated {
            what: WHAT,
            needed: n,
            remaining: rest.len(),
        })?;
        self.pos += n;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let taken = rest.first_chunk::<N>().ok_or(Error::Truncated {
            what: WHAT,
            needed: N,
            remaining: rest.len(),
        })?;
        self.pos += N;
        Ok(*taken)
    }

    fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_le_bytes)
    }
}

fn malformed(reason: &'static str) -> Error {
    Error::Malformed { what: WHAT, reason }
}

/// Parses and validates one bitmap at the start of `buf`; returns its length and containers.
fn parse(buf: &[u8]) -> Result<(usize, Vec<Container>)> {
    let mut c = Cursor::new(buf);
    let cookie = c.u32()?;
    let (count, run_flags) = if cookie == SERIAL_COOKIE_NO_RUNCONTAINER {
        let count = c.u32()? as usize;
        if count > MAX_CONTAINERS {
            return Err(malformed("more than 65536 containers"));
        }
        (count, None)
    } else if cookie & 0xffff == SERIAL_COOKIE {
        let count = (cookie >> 16) as usize + 1;
        (count, Some(c.take(count.div_ceil(8))?))
    } else {
        return Err(malformed("unknown cookie"));
    };
    // Headers are taken as whole slices first, so a hostile count fails before we allocate.
    let mut header = Cursor::new(c.take(4 * count)?);
    let has_offsets = run_flags.is_none() || count >= NO_OFFSET_THRESHOLD;
    let mut offsets = if has_offsets { Some(Cursor::new(c.take(4 * count)?)) } else { None };
    let mut containers = Vec::with_capacity(count);
    let mut prev_key = None;
    for i in 0..count {
        let key = header.u16()?;
        let cardinality = usize::from(header.u16()?) + 1;
        if prev_key.is_some_and(|prev| prev >= key) {
            return Err(malformed("container keys are not strictly increasing"));
        }
        prev_key = Some(key);
        if let Some(offsets) = offsets.as_mut() {
            if offsets.u32()? as usize != c.pos {
                return Err(malformed("container offset does not match its position"));
            }
        }
        let is_run = run_flags.and_then(|f| f.get(i / 8)).is_some_and(|f| f & (1 << (i % 8)) != 0);
        let start = c.pos;
        let kind = if is_run {
            let n = usize::from(c.u16()?);
            check_runs(c.take(4 * n)?, cardinality)?;
            Kind::Run
        } else if cardinality <= ARRAY_MAX_CARDINALITY {
            check_array(c.take(2 * cardinality)?)?;
            Kind::Array
        } else {
            let ones: u32 = u64s(c.take(BITMAP_CONTAINER_BYTES)?).map(u64::count_ones).sum();
            if ones as usize != cardinality {
                return Err(malformed("bitmap container cardinality does not match its bits"));
            }
            Kind::Bitmap
        };
        containers.push(Container {
            key,
            cardinality: cardinality as u32,
            kind,
            start,
            end: c.pos,
        });
    }
    Ok((c.pos, containers))
}

fn check_array(data: &[u8]) -> Result<()> {
    let mut prev = None;
    for v in u16s(data) {
        if prev.is_some_and(|p| p >= v) {
            return Err(malformed("array container is not strictly increasing"));
        }
        prev = Some(v);
    }
    Ok(())
}

fn check_runs(data: &[u8], cardinality: usize) -> Result<()> {
    let mut pairs = u16s(data);
    let (mut total, mut prev_last) = (0usize, None::<u32>);
    while let (Some(start), Some(len)) = (pairs.next(), pairs.next()) {
        let (start, last) = (u32::from(start), u32::from(start) + u32::from(len));
        if last > u32::from(u16::MAX) {
            return Err(malformed("run extends past 65535"));
        }
        if prev_last.is_some_and(|p| start <= p) {
            return Err(malformed("runs overlap or are not sorted"));
        }
        prev_last = Some(last);
        total += usize::from(len) + 1;
    }
    if total != cardinality {
        return Err(malformed("run container cardinality does not match its runs"));
    }
    Ok(())
}

/// Builds the serialization Java's RoaringBitmap produces for this set after `runOptimize()`:
/// a container becomes a run container exactly when that is strictly smaller than its array
/// (≤ 4096 values) or bitmap form, and any run container switches the cookie to 12347.
impl FromIterator<u32> for RoaringBitmap {
    fn from_iter<I: IntoIterator<Item = u32>>(values: I) -> Self {
        let mut values: Vec<u32> = values.into_iter().collect();
        values.sort_unstable();
        values.dedup();
        let groups: Vec<(u16, Vec<u16>)> = values
            .chunk_by(|a, b| a >> 16 == b >> 16)
            .map(|g| {
                let key = g.first().map_or(0, |v| (v >> 16) as u16);
                (key, g.iter().map(|&v| v as u16).collect())
            })
            .collect();
        let kinds: Vec<(Kind, usize)> = groups.iter().map(|(_, lows)| optimal_kind(lows)).collect();
        let has_run = kinds.iter().any(|&(kind, _)| kind == Kind::Run);
        let count = groups.len();

        let mut out = Vec::new();
        if has_run {
            out.put_u32_le(SERIAL_COOKIE | ((count as u32 - 1) << 16));
            let mut flags = vec![0u8; count.div_ceil(8)];
            for (i, _) in kinds.iter().enumerate().filter(|(_, (kind, _))| *kind == Kind::Run) {
                if let Some(byte) = flags.get_mut(i / 8) {
                    *byte |= 1 << (i % 8);
                }
            }
            out.put_slice(&flags);
        } else {
            out.put_u32_le(SERIAL_COOKIE_NO_RUNCONTAINER);
            out.put_u32_le(count as u32);
        }
        for (key, lows) in &groups {
            out.put_u16_le(*key);
            out.put_u16_le((lows.len() - 1) as u16);
        }
        let has_offsets = !has_run || count >= NO_OFFSET_THRESHOLD;
        let mut offset = out.len() + if has_offsets { 4 * count } else { 0 };
        if has_offsets {
            for &(_, size) in &kinds {
                out.put_u32_le(offset as u32);
                offset += size;
            }
        }
        let mut containers = Vec::with_capacity(count);
        for ((key, lows), &(kind, _)) in groups.iter().zip(&kinds) {
            let start = out.len();
            match kind {
                Kind::Array => lows.iter().for_each(|&v| out.put_u16_le(v)),
                Kind::Bitmap => {
                    let mut words = [0u64; BITMAP_CONTAINER_BYTES / 8];
                    for &v in lows {
                        if let Some(w) = words.get_mut(usize::from(v / 64)) {
                            *w |= 1 << (v % 64);
                        }
                    }
                    words.iter().for_each(|&w| out.put_u64_le(w));
                }
                Kind::Run => {
                    let runs: Vec<&[u16]> =
                        lows.chunk_by(|a, b| a.checked_add(1) == Some(*b)).collect();
                    out.put_u16_le(runs.len() as u16);
                    for run in runs {
                        let first = run.first().copied().unwrap_or_default();
                        out.put_u16_le(first);
                        out.put_u16_le((run.len() - 1) as u16);
                    }
                }
            }
            containers.push(Container {
                key: *key,
                cardinality: lows.len() as u32,
                kind,
                start,
                end: out.len(),
            });
        }
        Self { bytes: Bytes::from(out), containers }
    }
}

/// The container kind `runOptimize()` leaves a freshly built container in, and its data size.
fn optimal_kind(lows: &[u16]) -> (Kind, usize) {
    let runs = lows.chunk_by(|a, b| a.checked_add(1) == Some(*b)).count();
    let run_size = 2 + 4 * runs;
    let (kind, size) = if lows.len() <= ARRAY_MAX_CARDINALITY {
        (Kind::Array, 2 * lows.len())
    } else {
        (Kind::Bitmap, BITMAP_CONTAINER_BYTES)
    };
    // Java converts only when the run form is strictly smaller.
    if size > run_size {
        (Kind::Run, run_size)
    } else {
        (kind, size)
    }
}

impl Default for RoaringBitmap {
    fn default() -> Self {
        std::iter::empty().collect()
    }
}

impl PartialEq for RoaringBitmap {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for RoaringBitmap {}

impl fmt::Debug for RoaringBitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A bitmap can hold billions of values; show its size, not its contents.
        f.debug_struct("RoaringBitmap")
            .field("cardinality", &self.cardinality())
            .field("containers", &self.containers.len())
            .field("serialized_len", &self.bytes.len())
            .finish()
    }
}

impl Encode for RoaringBitmap {
    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.bytes);
    }
}

impl Decode for RoaringBitmap {
    /// Java advances past a bitmap by re-measuring the bitmap it built
    /// (`serializedSizeInBytes`); we use the length the headers describe, which is the same
    /// for every serialization RoaringBitmap itself writes.
    fn decode(r: &mut Reader) -> Result<Self> {
        let (len, containers) = parse(r.peek())?;
        let bytes = r.take(WHAT, len)?;
        Ok(Self { bytes, containers })
    }
}

/// Encoded size of a `RoaringBitmap[]` (`Encoders.BitmapArrays`).
pub fn bitmap_array_len(a: &[RoaringBitmap]) -> usize {
    4 + a.iter().map(Encode::encoded_len).sum::<usize>()
}

/// Writes a `RoaringBitmap[]`: `i32` count (big-endian, like every Spark count), then each bitmap.
pub fn put_bitmap_array(buf: &mut impl BufMut, a: &[RoaringBitmap]) {
    buf.put_i32(i32::try_from(a.len()).unwrap_or(i32::MAX));
    a.iter().for_each(|b| b.encode(buf));
}

/// Reads a `RoaringBitmap[]`.
pub fn read_bitmap_array(r: &mut Reader, what: &'static str) -> Result<Vec<RoaringBitmap>> {
    // The smallest serialization (an empty bitmap) is 8 bytes.
    let n = r.count(what, 8)?;
    (0..n).map(|_| RoaringBitmap::decode(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shuffle::tests::unhex;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Result<RoaringBitmap> {
        let mut r = Reader::new(Bytes::copy_from_slice(bytes));
        let b = RoaringBitmap::decode(&mut r)?;
        r.finish(WHAT)?;
        Ok(b)
    }

    /// 64-bit FNV-1a, to pin 8 KiB Java outputs without pasting them.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes
            .iter()
            .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }

    /// Output of Spark 3.5.6 `Encoders.Bitmaps.encode` (RoaringBitmap 0.9.45) for small sets.
    fn java_vectors() -> Vec<(&'static str, Vec<u32>)> {
        let mixed = [1, 3, 5].into_iter().chain(65536..65546).chain([200_000]).collect();
        let five_runs = (0..5).flat_map(|k| (0..20).map(move |i| k * 65536 + i)).collect();
        let full = (0..70_000).chain([u32::MAX]).collect();
        let five_arrays =
            (0..5).flat_map(|k| (0..20).step_by(3).map(move |i| k * 65536 + i)).collect();
        vec![
            ("3a30000000000000", vec![]),
            ("3a300000010000000000020010000000010002000300", vec![1, 2, 3]),
            ("3b3000000100000900010000000900", (0..10).collect()),
            ("3b30020002000002000100090003000000010003000500010000000900400d", mixed),
            (
                "3b3004001f00001300010013000200130003001300040013002d00000033000000390000003f000000\
                 45000000010000001300010000001300010000001300010000001300010000001300",
                five_runs,
            ),
            ("3b300200030000ffff01006f11ffff000001000000ffff010000006f11ffff", full),
            (
                "3a300000050000000000060001000600020006000300060004000600300000003e0000004c\
                 0000005a0000006800000000000300060009000c000f00120000000300060009000c000f00\
                 120000000300060009000c000f00120000000300060009000c000f00120000000300060009\
                 000c000f001200",
                five_arrays,
            ),
        ]
    }

    #[test]
    fn java_serializations_decode_and_rebuild_byte_identically() {
        for (hex, values) in java_vectors() {
            let java = unhex(hex);
            let decoded = decode(&java).unwrap_or_else(|e| panic!("{hex}: {e}"));
            assert_eq!(decoded.iter().collect::<Vec<_>>(), values, "{hex}");
            assert_eq!(decoded.cardinality(), values.len() as u64);
            let built: RoaringBitmap = values.iter().copied().collect();
            assert_eq!(built.as_bytes(), &java[..], "{hex}");
            assert_eq!(decoded.to_bytes(), java);
        }
    }

    #[test]
    fn large_containers_match_java() {
        // (values, Java's serialized length, FNV-1a of Java's bytes)
        let cases: Vec<(Vec<u32>, usize, u64)> = vec![
            // 5000 even numbers: one bitmap container.
            ((0..10_000).step_by(2).collect(), 8208, 0x0af6_2b5f_e4fc_0c76),
            // 4096 singletons: the largest array container.
            ((0..4096).map(|i| i * 16).collect(), 8208, 0xcc7c_8ceb_d46b_eed4),
            // 2047 runs of 3 in a bitmap-sized container: the run form (8190 B) is smaller.
            (
                (0..2047).flat_map(|i| [i * 32, i * 32 + 1, i * 32 + 2]).collect(),
                8199,
                0x3512_bbfd_1100_c905,
            ),
            // 2046 runs: still smaller than the bitmap.
            (
                (0..2046).flat_map(|i| [i * 32, i * 32 + 1, i * 32 + 2]).collect(),
                8195,
                0x59f0_7a7f_13c2_6212,
            ),
        ];
        for (values, len, hash) in &cases {
            let built: RoaringBitmap = values.iter().copied().collect();
            assert_eq!((built.as_bytes().len(), fnv1a(built.as_bytes())), (*len, *hash));
            let back = decode(built.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back.iter().collect::<Vec<_>>(), *values);
            assert!(values.iter().all(|&v| back.contains(v)));
            assert_eq!(back.contains(3), values.contains(&3));
        }
    }

    #[test]
    fn contains_matches_membership() {
        for (_, values) in java_vectors() {
            let b: RoaringBitmap = values.iter().copied().collect();
            for probe in [
                0,
                1,
                2,
                3,
                4,
                9,
                10,
                19,
                20,
                65535,
                65536,
                65545,
                65546,
                69_999,
                70_000,
                200_000,
                u32::MAX,
            ] {
                assert_eq!(b.contains(probe), values.contains(&probe), "{probe} in {values:?}");
            }
        }
    }

    #[test]
    fn malformed_serializations_are_typed_errors() {
        let bad: &[(&str, &str)] = &[
            ("", "truncated"),
            ("3a30", "truncated"),
            ("3a300100000000000000", "cookie"),
            ("39300000", "cookie"),
            ("3a30000001000100", "containers"),
            // Claims one array container of 3 values but only 2 follow.
            ("3a30000001000000000002001000000001000200", "truncated"),
            // Offset 17 where the container starts at 16.
            ("3a300000010000000000020011000000010002000300", "offset"),
            // Array not increasing.
            ("3a300000010000000000020010000000010003000200", "increasing"),
            // Two containers with the same key.
            ("3a300000020000000000000000000000180000001a00000001000100", "keys"),
            // Run past 65535.
            ("3b30000001000010000100f0ff1000", "65535"),
            // Run cardinality mismatch (header says 10, run holds 9).
            ("3b3000000100000900010000000800", "cardinality"),
            // Overlapping runs.
            ("3b300000010000090002000000040003000500", "overlap"),
        ];
        for (hex, expect) in bad {
            let err = decode(&unhex(hex)).err().unwrap_or_else(|| panic!("{hex} decoded"));
            let text = err.to_string();
            assert!(
                text.contains(expect)
                    || (*expect == "truncated" && matches!(err, Error::Truncated { .. })),
                "{hex}: {text}"
            );
        }
    }

    #[test]
    fn hostile_counts_fail_before_allocating() {
        // 65536 containers claimed (12347 cookie), 4 bytes follow.
        assert!(matches!(decode(&unhex("3b30ffff00000000")), Err(Error::Truncated { .. })));
        // Bitmap array count of i32::MAX with nothing behind it.
        let mut r = Reader::new(Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff]));
        assert!(matches!(read_bitmap_array(&mut r, "bitmaps"), Err(Error::LengthTooLarge { .. })));
    }

    proptest! {
        #[test]
        fn built_bitmaps_round_trip(
            ranges in proptest::collection::vec((0u32..300_000, 0u32..5_000, 1usize..4), 0..12),
            scattered in proptest::collection::vec(any::<u32>(), 0..50),
        ) {
            let mut values: Vec<u32> = scattered;
            for (start, len, step) in ranges {
                values.extend((start..start.saturating_add(len)).step_by(step));
            }
            let built: RoaringBitmap = values.iter().copied().collect();
            values.sort_unstable();
            values.dedup();
            prop_assert_eq!(built.iter().collect::<Vec<_>>(), values.clone());
            let decoded = decode(built.as_bytes());
            prop_assert!(decoded.is_ok(), "{:?}", decoded.err());
            let decoded = decoded.unwrap_or_default();
            prop_assert_eq!(&decoded, &built);
            for v in values.iter().take(100) {
                prop_assert!(decoded.contains(*v));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
