//! Spark's primitive encodings (`Encoders` in network-common) and the traits every message
//! implements.
//!
//! All integers are big-endian. Strings are an `i32` count of UTF-8 bytes followed by the
//! bytes. Arrays are an `i32` element count followed by the elements. Decoding works on a
//! complete frame (or body), so running short is an error, never "need more".

use bytes::{Buf, BufMut, Bytes};

use crate::error::{Error, Result};

/// A value with a fixed Spark wire encoding.
pub trait Encode {
    /// Exact number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;
    /// Appends the encoding to `buf`.
    fn encode(&self, buf: &mut impl BufMut);

    /// Encodes into a fresh buffer of exactly the right size.
    fn to_bytes(&self) -> Bytes {
        let mut buf = bytes::BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf);
        buf.freeze()
    }
}

/// A value that can be read back from its Spark wire encoding.
pub trait Decode: Sized {
    /// Reads one value, advancing the reader past it.
    fn decode(r: &mut Reader) -> Result<Self>;
}

/// A bounds-checked cursor over a complete frame or message body.
///
/// Every length field is checked against the bytes actually left before anything is
/// allocated, so a hostile count cannot make us reserve memory.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    /// Wraps a complete buffer.
    pub fn new(buf: Bytes) -> Self {
        Self { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Takes everything not yet read (bodies that run to the end of the frame).
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Fails unless everything has been read.
    pub fn finish(self, what: &'static str) -> Result<()> {
        match self.buf.len() {
            0 => Ok(()),
            count => Err(Error::TrailingBytes { what, count }),
        }
    }

    fn need(&self, what: &'static str, needed: usize) -> Result<()> {
        if self.buf.len() < needed {
            return Err(Error::Truncated { what, needed, remaining: self.buf.len() });
        }
        Ok(())
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        self.need(what, 1)?;
        Ok(self.buf.get_u8())
    }

    /// Reads a boolean (any non-zero byte is true, as Netty's `readBoolean`).
    pub fn bool(&mut self, what: &'static str) -> Result<bool> {
        Ok(self.u8(what)? != 0)
    }

    /// Reads a big-endian `i32`.
    pub fn i32(&mut self, what: &'static str) -> Result<i32> {
        self.need(what, 4)?;
        Ok(self.buf.get_i32())
    }

    /// Reads a big-endian `i64`.
    pub fn i64(&mut self, what: &'static str) -> Result<i64> {
        self.need(what, 8)?;
        Ok(self.buf.get_i64())
    }

    /// The bytes not yet read, without consuming them: for formats whose length is only
    /// known by parsing them (RoaringBitmap's portable serialization).
    pub fn peek(&self) -> &[u8] {
        &self.buf
    }

    /// Reads an `i32` element count for a caller-decoded array, checking that `count *
    /// min_elem_size` bytes could follow before the caller allocates anything.
    pub fn count(&mut self, what: &'static str, min_elem_size: usize) -> Result<usize> {
        self.len(what, min_elem_size)
    }

    /// Reads a length or count and checks that `len * min_elem_size` bytes could follow.
    fn len(&mut self, what: &'static str, min_elem_size: usize) -> Result<usize> {
        let len = self.i32(what)?;
        if len < 0 {
            return Err(Error::NegativeLength { what, len: len.into() });
        }
        let len = len as usize;
        if len.saturating_mul(min_elem_size) > self.buf.len() {
            return Err(Error::LengthTooLarge { what, len: len as i64, remaining: self.buf.len() });
        }
        Ok(len)
    }

    /// Reads exactly `n` bytes without copying.
    pub fn take(&mut self, what: &'static str, n: usize) -> Result<Bytes> {
        self.need(what, n)?;
        Ok(self.buf.split_to(n))
    }

    /// Reads an `i32`-length-prefixed byte array without copying.
    pub fn byte_array(&mut self, what: &'static str) -> Result<Bytes> {
        let n = self.len(what, 1)?;
        Ok(self.buf.split_to(n))
    }

    /// Reads an `i32`-length-prefixed UTF-8 string.
    pub fn string(&mut self, what: &'static str) -> Result<String> {
        let raw = self.byte_array(what)?;
        String::from_utf8(raw.to_vec()).map_err(|_| Error::InvalidUtf8 { what })
    }

    /// Reads a `String[]`.
    pub fn string_array(&mut self, what: &'static str) -> Result<Vec<String>> {
        let n = self.len(what, 4)?;
        (0..n).map(|_| self.string(what)).collect()
    }

    /// Reads an `int[]`.
    pub fn int_array(&mut self, what: &'static str) -> Result<Vec<i32>> {
        let n = self.len(what, 4)?;
        Ok((0..n).map(|_| self.buf.get_i32()).collect())
    }

    /// Reads a `long[]`.
    pub fn long_array(&mut self, what: &'static str) -> Result<Vec<i64>> {
        let n = self.len(what, 8)?;
        Ok((0..n).map(|_| self.buf.get_i64()).collect())
    }

    /// Reads an `int[][]` (an `i32` count, then that many `int[]`).
    pub fn int_array_array(&mut self, what: &'static str) -> Result<Vec<Vec<i32>>> {
        let n = self.len(what, 4)?;
        (0..n).map(|_| self.int_array(what)).collect()
    }
}

/// Encoded size of a Spark string.
pub fn string_len(s: &str) -> usize {
    4 + s.len()
}

/// Writes a Spark string: `i32` UTF-8 byte count, then the bytes.
pub fn put_string(buf: &mut impl BufMut, s: &str) {
    put_byte_array(buf, s.as_bytes());
}

/// Encoded size of a `byte[]`.
pub fn byte_array_len(b: &[u8]) -> usize {
    4 + b.len()
}

/// Writes a `byte[]`.
pub fn put_byte_array(buf: &mut impl BufMut, b: &[u8]) {
    buf.put_i32(len_i32(b.len()));
    buf.put_slice(b);
}

/// Encoded size of a `String[]`.
pub fn string_array_len(a: &[String]) -> usize {
    4 + a.iter().map(|s| string_len(s)).sum::<usize>()
}

/// Writes a `String[]`.
pub fn put_string_array(buf: &mut impl BufMut, a: &[String]) {
    buf.put_i32(len_i32(a.len()));
    for s in a {
        put_string(buf, s);
    }
}

/// Encoded size of an `int[]`.
pub fn int_array_len(a: &[i32]) -> usize {
    4 + 4 * a.len()
}

/// Writes an `int[]`.
pub fn put_int_array(buf: &mut impl BufMut, a: &[i32]) {
    buf.put_i32(len_i32(a.len()));
    for &v in a {
        buf.put_i32(v);
    }
}

/// Encoded size of a `long[]`.
pub fn long_array_len(a: &[i64]) -> usize {
    4 + 8 * a.len()
}

/// Writes a `long[]`.
pub fn put_long_array(buf: &mut impl BufMut, a: &[i64]) {
    buf.put_i32(len_i32(a.len()));
    for &v in a {
        buf.put_i64(v);
    }
}

/// Encoded size of an `int[][]`.
pub fn int_array_array_len(a: &[Vec<i32>]) -> usize {
    4 + a.iter().map(|v| int_array_len(v)).sum::<usize>()
}

/// Writes an `int[][]`.
pub fn put_int_array_array(buf: &mut impl BufMut, a: &[Vec<i32>]) {
    buf.put_i32(len_i32(a.len()));
    for v in a {
        put_int_array(buf, v);
    }
}

/// Spark can only express lengths up to `i32::MAX`; our own values never come near it, and a
/// frame that did would be refused by the frame length bound first.
fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    #[test]
    fn string_is_utf8_byte_length_prefixed() {
        let mut b = BytesMut::new();
        put_string(&mut b, "é");
        assert_eq!(&b[..], &[0, 0, 0, 2, 0xc3, 0xa9]);
        assert_eq!(Reader::new(b.freeze()).string("s").ok().as_deref(), Some("é"));
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let mut r = Reader::new(Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0, 0]));
        assert!(matches!(r.long_array("a"), Err(Error::LengthTooLarge { .. })));
        let mut r = Reader::new(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff]));
        assert!(matches!(r.string_array("a"), Err(Error::NegativeLength { len: -1, .. })));
    }

    #[test]
    fn short_input_is_truncated_error() {
        let mut r = Reader::new(Bytes::from_static(&[0, 0, 0]));
        assert!(matches!(r.i32("x"), Err(Error::Truncated { needed: 4, remaining: 3, .. })));
    }
}
