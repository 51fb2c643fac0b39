//! Arbitrary bytes, cut into arbitrary chunks, through both role decoders.
//!
//! Input: `[seed, limit, wire...]`. `seed` drives the chunk sizes; `limit`'s low bit picks a
//! tiny frame limit (to reach the length checks) or the default. Properties: no panic; body
//! pieces are never empty and never exceed what the header announced; and feeding the wire
//! in chunks gives exactly what feeding it whole gives.

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use shuffle_protocol::{ClientRole, Decoder, Inbound, Role, ServerRole, DEFAULT_MAX_FRAME_LEN};

/// Everything a decoder made of one input: units (body pieces merged), then how it ended.
#[derive(Debug, PartialEq)]
struct Outcome<M> {
    units: Vec<Inbound<M>>,
    error: Option<String>,
    left: usize,
}

/// Feeds `wire` in chunks whose sizes come from `seed` (the whole input at once when
/// `seed` is `None`).
fn run<R: Role>(wire: &[u8], seed: Option<u8>, max: u64) -> Outcome<R::Incoming>
where
    R::Incoming: std::fmt::Debug,
{
    let mut decoder = Decoder::<R>::new(max);
    let mut buf = BytesMut::new();
    let mut units: Vec<Inbound<R::Incoming>> = Vec::new();
    let mut rest = wire;
    let mut state = u32::from(seed.unwrap_or(0)) | 1;
    while !rest.is_empty() {
        let step = match seed {
            None => rest.len(),
            Some(_) => {
                // A small LCG: cheap, deterministic, and varies the chunk size.
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                1 + (state >> 16) as usize % 32
            }
        };
        let (piece, tail) = rest.split_at(step.min(rest.len()));
        rest = tail;
        buf.extend_from_slice(piece);
        loop {
            let remaining_before = decoder.body_remaining();
            match decoder.decode(&mut buf) {
                Ok(Some(unit)) => {
                    if let Inbound::Body { data, last } = &unit {
                        assert!(!data.is_empty(), "empty body piece");
                        assert!(data.len() as u64 <= remaining_before, "body overrun");
                        assert_eq!(*last, decoder.body_remaining() == 0);
                    }
                    push_merged(&mut units, unit);
                }
                Ok(None) => break,
                Err(e) => return Outcome { units, error: Some(e.to_string()), left: 0 },
            }
        }
    }
    Outcome { units, error: None, left: buf.len() }
}

/// Joins a body piece onto an unfinished previous one, so chunkings compare equal.
fn push_merged<M>(units: &mut Vec<Inbound<M>>, unit: Inbound<M>) {
    if let Inbound::Body { data: more, last } = &unit {
        if let Some(Inbound::Body { data, last: open @ false }) = units.last_mut() {
            let mut joined = data.to_vec();
            joined.extend_from_slice(more);
            *data = Bytes::from(joined);
            *open = *last;
            return;
        }
    }
    units.push(unit);
}

fn check<R: Role>(wire: &[u8], seed: u8, max: u64)
where
    R::Incoming: std::fmt::Debug + PartialEq,
{
    let whole = run::<R>(wire, None, max);
    let chunked = run::<R>(wire, Some(seed), max);
    assert_eq!(whole, chunked);
}

fuzz_target!(|data: &[u8]| {
    let [seed, limit, wire @ ..] = data else {
        return;
    };
    let max = if limit & 1 == 0 { DEFAULT_MAX_FRAME_LEN } else { 64 };
    check::<ServerRole>(wire, *seed, max);
    check::<ClientRole>(wire, *seed, max);
});
