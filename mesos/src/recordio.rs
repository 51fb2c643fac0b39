//! RecordIO, the framing of the SUBSCRIBE stream (Mesos `docs/recordio.md`).
//!
//! ```text
//! record := length '\n' bytes      length: ASCII decimal, never 0; bytes: one Event
//! ```
//!
//! HTTP chunk boundaries do not line up with records: [`RecordDecoder::decode`] takes
//! whatever has arrived and returns whole records as they complete.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

/// Largest record accepted by default: 8 MiB.
///
/// Mesos itself sets no limit, and the biggest event a scheduler sees is OFFERS, with at
/// most one offer per agent; at roughly 1 KiB per offer (JSON with attributes and port
/// ranges) 8 MiB covers thousands of agents in one event. A lying length prefix can make us
/// buffer at most this much before the record is refused or completes.
pub const DEFAULT_MAX_RECORD_LEN: usize = 8 << 20;

/// Digits in `u64::MAX`: a longer length line is refused before its `\n` arrives.
pub const MAX_LENGTH_DIGITS: usize = 20;

/// The most [`RecordDecoder::decode`] reserves at once for a record still arriving, so a
/// length prefix alone cannot pin `max_record_len` bytes of memory.
const MAX_RESERVE: usize = 64 << 10;

/// Splits a RecordIO byte stream into records.
///
/// After an error the stream is out of sync for good: drop the connection.
#[derive(Debug, Clone, Copy)]
pub struct RecordDecoder {
    max_record_len: usize,
}

impl Default for RecordDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECORD_LEN)
    }
}

impl RecordDecoder {
    /// A decoder refusing records longer than `max_record_len` bytes.
    pub fn new(max_record_len: usize) -> Self {
        Self { max_record_len }
    }

    /// The largest record this decoder accepts.
    pub fn max_record_len(&self) -> usize {
        self.max_record_len
    }

    /// Splits one record off the front of `buf`.
    ///
    /// Returns `Ok(None)` when the record is not complete yet (having reserved room for
    /// more of it, at most 64 KiB at a time). A malformed length is refused as soon as the
    /// offending byte arrives, and an oversized one as soon as its `\n` does, before any
    /// room for the record is reserved. The record shares `buf`'s allocation.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        let Some((header_len, len)) = parse_length(buf)? else {
            return Ok(None);
        };
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.max_record_len)
            .ok_or(Error::RecordTooLarge { len, max: self.max_record_len })?;
        let total = header_len + len;
        if buf.len() < total {
            buf.reserve((total - buf.len()).min(MAX_RESERVE));
            return Ok(None);
        }
        let _header = buf.split_to(header_len);
        Ok(Some(buf.split_to(len).freeze()))
    }
}

/// Parses the length line at the front of `buf`: `Ok(Some((bytes including '\n', length)))`,
/// or `Ok(None)` while its `\n` has not arrived.
fn parse_length(buf: &[u8]) -> Result<Option<(usize, u64)>> {
    let mut len: u64 = 0;
    for (offset, &byte) in buf.iter().enumerate() {
        match byte {
            b'\n' if offset == 0 => return Err(Error::RecordLengthEmpty),
            b'\n' if len == 0 => return Err(Error::RecordLengthZero),
            b'\n' => return Ok(Some((offset + 1, len))),
            _ if offset == MAX_LENGTH_DIGITS => {
                return Err(Error::RecordLengthTooManyDigits { max_digits: MAX_LENGTH_DIGITS })
            }
            b'0'..=b'9' => {
                len = len
                    .checked_mul(10)
                    .and_then(|l| l.checked_add(u64::from(byte - b'0')))
                    .ok_or(Error::RecordLengthOverflow)?;
            }
            _ => return Err(Error::RecordLengthNotDecimal { byte, offset }),
        }
    }
    Ok(None)
}

/// Appends `record` to `buf` as one RecordIO record (what a master writes).
///
/// An empty record would be written with length 0, which decoders refuse; Mesos never
/// sends one, and an encoded Event is never empty in practice (its type is always set).
pub fn encode(record: &[u8], buf: &mut impl BufMut) {
    buf.put_slice(record.len().to_string().as_bytes());
    buf.put_u8(b'\n');
    buf.put_slice(record);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode_all(bytes: &[u8]) -> Result<Vec<Bytes>> {
        let decoder = RecordDecoder::default();
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(record) = decoder.decode(&mut buf)? {
            out.push(record);
        }
        Ok(out)
    }

    fn encoded(records: &[&[u8]]) -> BytesMut {
        let mut buf = BytesMut::new();
        for r in records {
            encode(r, &mut buf);
        }
        buf
    }

    #[test]
    fn decodes_records_and_leaves_the_partial_rest() {
        let mut buf = BytesMut::from(&b"5\nhello3\nabc4\nxy"[..]);
        let d = RecordDecoder::default();
        assert_eq!(d.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);
        assert_eq!(d.decode(&mut buf).unwrap().unwrap(), &b"abc"[..]);
        assert!(d.decode(&mut buf).unwrap().is_none());
        assert_eq!(&buf[..], b"4\nxy");
    }

    #[test]
    fn records_may_contain_newlines_and_digits() {
        let got = decode_all(b"3\n1\n2").unwrap();
        assert_eq!(got, vec![Bytes::from_static(b"1\n2")]);
    }

    #[test]
    fn leading_zeros_are_a_plain_number() {
        assert_eq!(decode_all(b"002\nab").unwrap(), vec![Bytes::from_static(b"ab")]);
    }

    #[test]
    fn every_truncation_needs_more() {
        let whole = b"11\nhello world";
        for n in 0..whole.len() {
            let mut buf = BytesMut::from(&whole[..n]);
            assert!(RecordDecoder::default().decode(&mut buf).unwrap().is_none(), "{n}");
            assert_eq!(buf.len(), n, "nothing consumed at {n}");
        }
    }

    #[test]
    fn junk_in_the_length_is_refused_where_it_appears() {
        for (input, bad, at) in [
            (&b"x5\nhello"[..], b'x', 0),
            (b" 5\nhello", b' ', 0),
            (b"+5\nhello", b'+', 0),
            (b"-5\nhello", b'-', 0),
            (b"5\r\nhello", b'\r', 1),
            (b"1a", b'a', 1),
            (b"0x10\n", b'x', 1),
        ] {
            match decode_all(input) {
                Err(Error::RecordLengthNotDecimal { byte, offset }) => {
                    assert_eq!((byte, offset), (bad, at), "{input:?}")
                }
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn empty_and_zero_lengths_are_refused() {
        assert!(matches!(decode_all(b"\nabc"), Err(Error::RecordLengthEmpty)));
        assert!(matches!(decode_all(b"0\n"), Err(Error::RecordLengthZero)));
        assert!(matches!(decode_all(b"000\n"), Err(Error::RecordLengthZero)));
        assert!(matches!(decode_all(b"3\nabc0\n"), Err(Error::RecordLengthZero)));
    }

    #[test]
    fn too_many_digits_are_refused_before_the_newline() {
        let digits = [b'1'; MAX_LENGTH_DIGITS + 1];
        assert!(matches!(
            decode_all(&digits),
            Err(Error::RecordLengthTooManyDigits { max_digits: MAX_LENGTH_DIGITS })
        ));
        assert!(decode_all(&digits[..MAX_LENGTH_DIGITS]).unwrap().is_empty());
    }

    #[test]
    fn lengths_past_u64_overflow() {
        assert!(matches!(decode_all(b"18446744073709551616\n"), Err(Error::RecordLengthOverflow)));
        assert!(matches!(decode_all(b"99999999999999999999"), Err(Error::RecordLengthOverflow)));
        let max = decode_all(b"18446744073709551615\n");
        assert!(matches!(max, Err(Error::RecordTooLarge { len: u64::MAX, .. })));
    }

    #[test]
    fn oversized_records_are_refused_before_any_room_is_reserved() {
        let decoder = RecordDecoder::new(10);
        let mut buf = BytesMut::from(&b"11\n"[..]);
        let cap = buf.capacity();
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(Error::RecordTooLarge { len: 11, max: 10 })
        ));
        assert_eq!(buf.capacity(), cap);
        let mut ok = BytesMut::from(&b"10\n0123456789"[..]);
        assert_eq!(decoder.decode(&mut ok).unwrap().unwrap().len(), 10);
    }

    #[test]
    fn a_huge_claimed_record_reserves_little() {
        let decoder = RecordDecoder::default();
        let mut buf = BytesMut::from(DEFAULT_MAX_RECORD_LEN.to_string().as_bytes());
        buf.put_u8(b'\n');
        assert!(decoder.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() <= 2 * MAX_RESERVE + 64, "{}", buf.capacity());
    }

    #[test]
    fn encode_writes_length_newline_bytes() {
        assert_eq!(&encoded(&[b"hello", b"0123456789ab"])[..], b"5\nhello12\n0123456789ab");
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_records(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 0..20),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
            let stream = encoded(&refs);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.push(stream.len());
            points.sort_unstable();
            let decoder = RecordDecoder::default();
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            let mut from = 0;
            for to in points {
                buf.extend_from_slice(&stream[from..to]);
                from = to;
                while let Some(record) = decoder.decode(&mut buf).unwrap() {
                    got.push(record.to_vec());
                }
            }
            prop_assert!(buf.is_empty());
            prop_assert_eq!(got, records);
        }
    }
}
