//! A SUBSCRIBE stream from a hostile master: RecordIO framing, then each record as an Event
//! (protobuf or JSON), then the typed event.
//!
//! Input: `[flags, seed, stream...]`. `flags` bit 0 picks JSON over protobuf, bit 1 a tiny
//! record limit (to reach the size check); `seed` drives the chunk sizes. Properties: no
//! panic; feeding the stream in chunks gives exactly what feeding it whole gives; a
//! protobuf record that decodes re-encodes to bytes that decode to the same encoding; a
//! JSON record that decodes is a fixed point of writing and reading after the first write.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mesos::event::Event;
use mesos::json::{self, ContentType};
use mesos::proto::scheduler;
use mesos::recordio::{RecordDecoder, DEFAULT_MAX_RECORD_LEN};
use prost::Message;

/// What one input produced: each record (or the error that ended the stream), in order.
fn records(
    stream: &[u8],
    seed: Option<u8>,
    decoder: RecordDecoder,
) -> (Vec<Vec<u8>>, Option<String>) {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = stream;
    let mut state = u32::from(seed.unwrap_or(0)) | 1;
    while !rest.is_empty() {
        let step = match seed {
            None => rest.len(),
            Some(_) => {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                1 + (state >> 16) as usize % 32
            }
        };
        let (piece, tail) = rest.split_at(step.min(rest.len()));
        rest = tail;
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(record)) => out.push(record.to_vec()),
                Ok(None) => break,
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }
    (out, None)
}

fn protobuf(record: &[u8]) {
    let _ = Event::from_record(ContentType::Protobuf, record);
    if let Ok(raw) = scheduler::Event::decode(record) {
        let once = raw.encode_to_vec();
        let again = scheduler::Event::decode(once.as_slice()).expect("our encoding decodes");
        assert_eq!(again.encode_to_vec(), once, "protobuf re-encoding is not stable");
    }
}

fn json_record(record: &[u8]) {
    let _ = Event::from_record(ContentType::Json, record);
    if let Ok(raw) = json::from_slice::<scheduler::Event>(record) {
        let once = json::to_vec(&raw);
        let read: scheduler::Event = json::from_slice(&once).expect("our JSON decodes");
        let twice = json::to_vec(&read);
        let read_again: scheduler::Event = json::from_slice(&twice).expect("our JSON decodes");
        assert_eq!(json::to_vec(&read_again), twice, "JSON writing is not a fixed point");
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, seed, stream @ ..] = data else { return };
    let decoder = RecordDecoder::new(if flags & 2 != 0 { 64 } else { DEFAULT_MAX_RECORD_LEN });
    let whole = records(stream, None, decoder);
    let chunked = records(stream, Some(*seed), decoder);
    assert_eq!(whole, chunked, "chunking changed the records");
    for record in &whole.0 {
        if flags & 1 == 0 {
            protobuf(record);
        } else {
            json_record(record);
        }
    }
});
