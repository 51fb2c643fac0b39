//! Sort-shuffle `.index` files: arbitrary bytes through [`ShuffleIndex::parse`], then
//! arbitrary reduce ranges through [`ShuffleIndex::range`].
//!
//! Input: `[mode, queries, (i32 start, i32 end) * (queries % 8), file...]`. `mode` bit 0
//! turns `file` into a valid index (cumulative sums of its `u16` pairs) instead of taking
//! it as is. Properties: no panic; the file is accepted exactly when it is a positive number
//! of `i64`s, the first 0 and none decreasing or negative; a range is served exactly when
//! `0 <= start <= end <= partitions`, and then it is the offset difference and lies inside
//! the data file the index describes (its last offset).

#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use shuffle_server::index::ShuffleIndex;
use shuffle_server::Error;

/// The offsets of `file` if it is a valid index, by the definition above.
fn expected(file: &[u8]) -> Option<Vec<i64>> {
    if file.is_empty() || !file.len().is_multiple_of(8) {
        return None;
    }
    let offsets: Vec<i64> =
        file.chunks_exact(8).map(|c| i64::from_be_bytes(c.try_into().expect("8 bytes"))).collect();
    let valid = offsets[0] == 0 && offsets.windows(2).all(|w| w[0] <= w[1]);
    valid.then_some(offsets)
}

/// A valid index whose partition sizes are the `u16` pairs of `bytes`.
fn valid_index(bytes: &[u8]) -> Vec<u8> {
    let mut offset = 0i64;
    let mut file = offset.to_be_bytes().to_vec();
    for pair in bytes.chunks_exact(2) {
        offset += i64::from(u16::from_be_bytes([pair[0], pair[1]]));
        file.extend_from_slice(&offset.to_be_bytes());
    }
    file
}

fn check_range(index: &ShuffleIndex, offsets: &[i64], start: i32, end: i32) {
    let partitions = offsets.len() - 1;
    let in_range = 0 <= start && start <= end && end as usize <= partitions;
    match index.range(start, end) {
        Ok((offset, len)) => {
            assert!(in_range, "served [{start}, {end}) of {partitions}");
            let (s, e) = (offsets[start as usize] as u64, offsets[end as usize] as u64);
            assert_eq!((offset, len), (s, e - s));
            let data_len = *offsets.last().expect("non-empty") as u64;
            assert!(offset.checked_add(len).is_some_and(|stop| stop <= data_len));
        }
        Err(Error::ReduceOutOfRange { partitions: p, .. }) => {
            assert!(!in_range, "refused [{start}, {end}) of {partitions}");
            assert_eq!(p, partitions);
        }
        Err(e) => panic!("unexpected error from range: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, queries, rest @ ..] = data else { return };
    let n = usize::from(queries % 8);
    if rest.len() < n * 8 {
        return;
    }
    let (ranges, file) = rest.split_at(n * 8);
    let file = if mode & 1 == 0 { file.to_vec() } else { valid_index(file) };

    let data = Path::new("shuffle_0_0_0.data").into();
    let parsed = ShuffleIndex::parse(PathBuf::from("shuffle_0_0_0.index"), data, &file);
    let want = expected(&file);
    let index = match (parsed, want) {
        (Ok(index), Some(offsets)) => (index, offsets),
        (Err(Error::CorruptIndex { .. }), None) => return,
        (got, want) => panic!("parse gave {got:?}, expected offsets {want:?}"),
    };
    let (index, offsets) = index;
    assert_eq!(index.partitions(), offsets.len() - 1);
    let partitions = i64::try_from(index.partitions()).expect("fits");
    for pair in ranges.chunks_exact(8) {
        let start = i32::from_be_bytes(pair[..4].try_into().expect("4 bytes"));
        let end = i32::from_be_bytes(pair[4..].try_into().expect("4 bytes"));
        check_range(&index, &offsets, start, end);
        // The same pair folded near the partition count, where ranges are mostly valid.
        let fold = |v: i32| (i64::from(v).rem_euclid(partitions + 2) - 1) as i32;
        check_range(&index, &offsets, fold(start), fold(end));
    }
});
