//! The transport ciphers an AuthEngine session switches on (`spark.network.crypto.cipher`),
//! as pure byte transformers: [`Encryptor`] seals outbound messages, [`Decryptor`] opens the
//! inbound byte stream.
//!
//! * `AES/CTR/NoPadding` (Spark's `CtrTransportCipher`): one continuous AES-CTR key stream
//!   per direction (128-bit big-endian counter starting at the IV), no framing, no
//!   integrity.
//! * `AES/GCM/NoPadding` (Spark 3.5.6's `GcmTransportCipher`): every outbound message
//!   becomes `i64 length | Tink AES-GCM-HKDF streaming header | segments`, where `length`
//!   counts the whole unit as Tink's `expectedCiphertextSize` reckons it, the header is
//!   `u8 headerLength | salt (key size) | nonce prefix (7)`, the segment key is
//!   `HKDF-SHA256(session key, salt, info = length as 8 bytes)`, and segments carry 32752
//!   plaintext bytes plus a 16-byte tag, with nonce `prefix | u32 index | u8 last`.
//!   Segments are cut the way Spark's encoder cuts them (every one full, the header apart),
//!   which for some lengths disagrees with the declared length (see [`gcm_declared_len`]).
//!   Spark's decoder reads by the declared length, so where an extra empty last segment
//!   reconciles the two (plaintext a multiple of 32752 bytes) this encoder adds it; the
//!   remaining lengths cannot be decoded by Spark 3.5.6 from its own server either.

use aes::{Aes128, Aes256};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use ctr::cipher::{KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use sha2::Sha256;

/// Ciphertext bytes of one GCM segment (Spark's `CIPHERTEXT_BUFFER_SIZE`).
pub const GCM_SEGMENT_LEN: usize = 32 * 1024;
/// The GCM tag.
const GCM_TAG_LEN: usize = 16;
/// Plaintext bytes of a full GCM segment.
pub const GCM_PLAINTEXT_SEGMENT_LEN: usize = GCM_SEGMENT_LEN - GCM_TAG_LEN;
/// Tink's nonce prefix.
const NONCE_PREFIX_LEN: usize = 7;

/// The cipher of an AuthEngine session (`spark.network.crypto.cipher`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CryptoCipher {
    /// `AES/CTR/NoPadding`: one AES-CTR key stream per direction, no integrity (Spark's default).
    #[default]
    Ctr,
    /// `AES/GCM/NoPadding`: authenticated segments (Tink's AES-GCM-HKDF streaming format).
    Gcm,
}

impl CryptoCipher {
    /// Spark's name for the cipher, as `spark.network.crypto.cipher` spells it.
    pub fn spark_name(self) -> &'static str {
        match self {
            Self::Ctr => "AES/CTR/NoPadding",
            Self::Gcm => "AES/GCM/NoPadding",
        }
    }

    /// The cipher Spark's name (`spark.network.crypto.cipher`) stands for, if any.
    pub fn from_spark_name(name: &str) -> Option<Self> {
        match name.trim() {
            "AES/CTR/NoPadding" => Some(Self::Ctr),
            "AES/GCM/NoPadding" => Some(Self::Gcm),
            _ => None,
        }
    }
}

/// Why a byte stream could not be decrypted; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// A GCM segment failed authentication: corrupted or forged.
    #[error("GCM segment {0} failed authentication")]
    Forged(u32),
    /// A GCM unit header that Spark would never send.
    #[error("malformed GCM message header: {0}")]
    Malformed(&'static str),
    /// A message longer than announced was sealed.
    #[error("sealed {sealed} bytes of a {len}-byte message")]
    Overrun {
        /// Bytes sealed.
        sealed: u64,
        /// Bytes announced.
        len: u64,
    },
    /// No randomness for a GCM salt.
    #[error("cannot draw random bytes: {0}")]
    Random(String),
}

/// An AuthEngine session's key and per-direction IVs. Compared in tests only; forgotten on
/// drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    key: Vec<u8>,
    client_to_server_iv: [u8; 16],
    server_to_client_iv: [u8; 16],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys").field("key_len", &self.key.len()).finish_non_exhaustive()
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        self.key.iter_mut().for_each(|b| *b = 0);
    }
}

impl SessionKeys {
    /// A 16- or 32-byte AES key and the IV each direction starts its CTR stream at.
    pub fn new(key: Vec<u8>, client_to_server_iv: [u8; 16], server_to_client_iv: [u8; 16]) -> Self {
        Self { key, client_to_server_iv, server_to_client_iv }
    }

    /// Length of the AES key: 32 for AuthEngine version 1, 16 for version 2.
    pub fn key_len(&self) -> usize {
        self.key.len()
    }

    /// The server's two halves: what it writes and what it reads.
    pub fn server(&self, cipher: CryptoCipher) -> (Encryptor, Decryptor) {
        self.pair(cipher, self.server_to_client_iv, self.client_to_server_iv)
    }

    /// The client's two halves: what it writes and what it reads.
    pub fn client(&self, cipher: CryptoCipher) -> (Encryptor, Decryptor) {
        self.pair(cipher, self.client_to_server_iv, self.server_to_client_iv)
    }

    fn pair(
        &self,
        cipher: CryptoCipher,
        out_iv: [u8; 16],
        in_iv: [u8; 16],
    ) -> (Encryptor, Decryptor) {
        match cipher {
            CryptoCipher::Ctr => (
                Encryptor::Ctr(CtrStream::new(&self.key, &out_iv)),
                Decryptor::Ctr(CtrStream::new(&self.key, &in_iv)),
            ),
            CryptoCipher::Gcm => (
                Encryptor::Gcm(GcmSealer { ikm: self.key.clone() }),
                Decryptor::Gcm(GcmOpener::new(self.key.clone())),
            ),
        }
    }
}

/// One direction's AES-CTR key stream.
pub enum CtrStream {
    /// AES-128 (AuthEngine version 2).
    Aes128(Box<ctr::Ctr128BE<Aes128>>),
    /// AES-256 (version 1).
    Aes256(Box<ctr::Ctr128BE<Aes256>>),
}

impl std::fmt::Debug for CtrStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CtrStream")
    }
}

impl CtrStream {
    fn new(key: &[u8], iv: &[u8; 16]) -> Self {
        if key.len() == 32 {
            Self::Aes256(Box::new(ctr::Ctr128BE::<Aes256>::new(key.into(), iv.into())))
        } else {
            let mut k = [0u8; 16];
            let n = key.len().min(16);
            k[..n].copy_from_slice(&key[..n]);
            Self::Aes128(Box::new(ctr::Ctr128BE::<Aes128>::new(&k.into(), iv.into())))
        }
    }

    /// Encrypts or decrypts the next bytes of the stream in place.
    pub fn apply(&mut self, bytes: &mut [u8]) {
        match self {
            Self::Aes128(c) => c.apply_keystream(bytes),
            Self::Aes256(c) => c.apply_keystream(bytes),
        }
    }
}

/// Seals what one side writes.
#[derive(Debug)]
pub enum Encryptor {
    /// A continuous CTR stream.
    Ctr(CtrStream),
    /// One GCM streaming unit per message.
    Gcm(GcmSealer),
}

impl Encryptor {
    /// Starts sealing one outbound message of `len` plaintext bytes (a frame header and its
    /// body). Feed it exactly `len` bytes with [`MessageSealer::seal`].
    pub fn message(&mut self, len: u64) -> Result<MessageSealer<'_>, CipherError> {
        let kind = match self {
            Self::Ctr(stream) => SealerKind::Ctr(stream),
            Self::Gcm(gcm) => SealerKind::Gcm(Box::new(gcm.begin(len)?)),
        };
        Ok(MessageSealer { kind, len, sealed: 0 })
    }
}

/// Seals one message, piece by piece.
#[derive(Debug)]
pub struct MessageSealer<'a> {
    kind: SealerKind<'a>,
    len: u64,
    sealed: u64,
}

#[derive(Debug)]
enum SealerKind<'a> {
    Ctr(&'a mut CtrStream),
    Gcm(Box<GcmMessage>),
}

impl MessageSealer<'_> {
    /// Appends the ciphertext for the next `plaintext` bytes of the message to `out` (for
    /// GCM, whole segments only, and the unit header first).
    pub fn seal(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), CipherError> {
        self.sealed += plaintext.len() as u64;
        if self.sealed > self.len {
            return Err(CipherError::Overrun { sealed: self.sealed, len: self.len });
        }
        match &mut self.kind {
            SealerKind::Ctr(stream) => {
                let start = out.len();
                out.extend_from_slice(plaintext);
                stream.apply(&mut out[start..]);
            }
            SealerKind::Gcm(msg) => msg.push(plaintext, self.sealed == self.len, out),
        }
        Ok(())
    }
}

/// The length a GCM unit declares for `plaintext_len` bytes: 8 plus Tink's
/// `expectedCiphertextSize`, which counts the header as part of the first segment. Spark's
/// encoder instead writes the header apart and fills every segment, so when the plaintext
/// length modulo 32752 is 0 or above `32752 - header` the unit is one tag (16 bytes)
/// shorter than declared, exactly as Spark 3.5.6 sends it.
pub fn gcm_declared_len(plaintext_len: u64, header_len: usize) -> u64 {
    let offset = header_len as u64;
    let pss = GCM_PLAINTEXT_SEGMENT_LEN as u64;
    let full = (plaintext_len + offset) / pss;
    let rest = (plaintext_len + offset) % pss;
    let mut size = full * GCM_SEGMENT_LEN as u64;
    if rest > 0 {
        size += rest + GCM_TAG_LEN as u64;
    }
    8 + size
}

/// Tink's header length for a key of `key_len` bytes: length byte, salt, nonce prefix.
fn gcm_header_len(key_len: usize) -> usize {
    1 + key_len + NONCE_PREFIX_LEN
}

/// AES-GCM with a 16- or 32-byte key.
enum Gcm {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

impl Gcm {
    /// Tink's segment key: HKDF-SHA256 over the session key with the unit's salt, keyed to
    /// its declared length.
    fn derive(ikm: &[u8], salt: &[u8], declared_len: u64) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(salt), ikm);
        if ikm.len() == 32 {
            let mut key = [0u8; 32];
            let _ = hkdf.expand(&declared_len.to_be_bytes(), &mut key);
            Self::Aes256(Box::new(Aes256Gcm::new(&key.into())))
        } else {
            let mut key = [0u8; 16];
            let _ = hkdf.expand(&declared_len.to_be_bytes(), &mut key);
            Self::Aes128(Box::new(Aes128Gcm::new(&key.into())))
        }
    }

    fn nonce(prefix: &[u8; NONCE_PREFIX_LEN], segment: u32, last: bool) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
        nonce[NONCE_PREFIX_LEN..11].copy_from_slice(&segment.to_be_bytes());
        nonce[11] = u8::from(last);
        nonce
    }

    /// Encrypts `buf` in place and appends the tag.
    fn seal(&self, nonce: &[u8; 12], buf: &mut Vec<u8>) {
        let nonce = Nonce::from_slice(nonce);
        // Encryption in place into a Vec cannot fail (no length limit is near).
        let _ = match self {
            Self::Aes128(c) => c.encrypt_in_place(nonce, b"", buf),
            Self::Aes256(c) => c.encrypt_in_place(nonce, b"", buf),
        };
    }

    /// Decrypts ciphertext-with-tag in place; `false` if it does not authenticate.
    fn open(&self, nonce: &[u8; 12], buf: &mut Vec<u8>) -> bool {
        let nonce = Nonce::from_slice(nonce);
        match self {
            Self::Aes128(c) => c.decrypt_in_place(nonce, b"", buf).is_ok(),
            Self::Aes256(c) => c.decrypt_in_place(nonce, b"", buf).is_ok(),
        }
    }
}

/// Makes GCM units for outbound messages.
pub struct GcmSealer {
    ikm: Vec<u8>,
}

impl std::fmt::Debug for GcmSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GcmSealer")
    }
}

impl Drop for GcmSealer {
    fn drop(&mut self) {
        self.ikm.iter_mut().for_each(|b| *b = 0);
    }
}

impl GcmSealer {
    fn begin(&self, len: u64) -> Result<GcmMessage, CipherError> {
        let header_len = gcm_header_len(self.ikm.len());
        let declared = gcm_declared_len(len, header_len);
        let mut salt = vec![0u8; self.ikm.len()];
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        getrandom::fill(&mut salt).map_err(|e| CipherError::Random(e.to_string()))?;
        getrandom::fill(&mut prefix).map_err(|e| CipherError::Random(e.to_string()))?;
        let mut header = Vec::with_capacity(8 + header_len);
        header.extend_from_slice(&declared.to_be_bytes());
        header.push(header_len as u8);
        header.extend_from_slice(&salt);
        header.extend_from_slice(&prefix);
        Ok(GcmMessage {
            empty_last: len > 0 && len % GCM_PLAINTEXT_SEGMENT_LEN as u64 == 0,
            gcm: Gcm::derive(&self.ikm, &salt, declared),
            prefix,
            header: Some(header),
            segment: 0,
            pending: Vec::with_capacity(GCM_SEGMENT_LEN),
        })
    }
}

/// One outbound GCM unit being sealed.
struct GcmMessage {
    /// The declared length counts one more (tag-only) segment after the last full one.
    empty_last: bool,
    gcm: Gcm,
    prefix: [u8; NONCE_PREFIX_LEN],
    header: Option<Vec<u8>>,
    segment: u32,
    pending: Vec<u8>,
}

impl std::fmt::Debug for GcmMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcmMessage").field("segment", &self.segment).finish_non_exhaustive()
    }
}

impl GcmMessage {
    fn push(&mut self, mut plaintext: &[u8], done: bool, out: &mut Vec<u8>) {
        if let Some(header) = self.header.take() {
            out.extend_from_slice(&header);
        }
        while !plaintext.is_empty() {
            let take = (GCM_PLAINTEXT_SEGMENT_LEN - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
            let full = self.pending.len() == GCM_PLAINTEXT_SEGMENT_LEN;
            // Like Spark: a full segment is sealed as soon as it fills, marked last only if
            // the message ends with it.
            if full {
                let ends = done && plaintext.is_empty();
                self.flush(ends && !self.empty_last, out);
                if ends && self.empty_last {
                    self.flush(true, out);
                }
            }
        }
        if done && !self.pending.is_empty() {
            self.flush(true, out);
        }
    }

    fn flush(&mut self, last: bool, out: &mut Vec<u8>) {
        let nonce = Gcm::nonce(&self.prefix, self.segment, last);
        self.gcm.seal(&nonce, &mut self.pending);
        out.extend_from_slice(&self.pending);
        self.pending.clear();
        self.segment = self.segment.wrapping_add(1);
    }
}

/// Opens what one side reads.
#[derive(Debug)]
pub enum Decryptor {
    /// A continuous CTR stream.
    Ctr(CtrStream),
    /// GCM units.
    Gcm(GcmOpener),
}

impl Decryptor {
    /// Decrypts the next `ciphertext` bytes of the stream, appending the plaintext they
    /// complete to `out`.
    pub fn feed(&mut self, ciphertext: &[u8], out: &mut Vec<u8>) -> Result<(), CipherError> {
        match self {
            Self::Ctr(stream) => {
                let start = out.len();
                out.extend_from_slice(ciphertext);
                stream.apply(&mut out[start..]);
                Ok(())
            }
            Self::Gcm(opener) => opener.feed(ciphertext, out),
        }
    }

    /// Whether the stream may end here (not inside a GCM unit).
    pub fn at_boundary(&self) -> bool {
        match self {
            Self::Ctr(_) => true,
            Self::Gcm(opener) => opener.at_boundary(),
        }
    }
}

/// Reads GCM units the way Spark's `DecryptionHandler` does: the declared length, the
/// header, then segments of 32768 bytes until the declared length is consumed, the last one
/// possibly shorter. Unlike 3.5.6's handler, which stops after its first unit, it then
/// starts over for the next message.
pub struct GcmOpener {
    ikm: Vec<u8>,
    /// Bytes of the current unit so far (length field, header, current segment).
    buf: Vec<u8>,
    /// The current unit: declared length, consumed bytes, key, nonce prefix, segment index.
    unit: Option<GcmUnit>,
}

struct GcmUnit {
    declared: u64,
    consumed: u64,
    gcm: Option<Gcm>,
    prefix: [u8; NONCE_PREFIX_LEN],
    segment: u32,
}

impl std::fmt::Debug for GcmOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcmOpener").field("buffered", &self.buf.len()).finish_non_exhaustive()
    }
}

impl Drop for GcmOpener {
    fn drop(&mut self) {
        self.ikm.iter_mut().for_each(|b| *b = 0);
    }
}

impl GcmOpener {
    fn new(ikm: Vec<u8>) -> Self {
        Self { ikm, buf: Vec::with_capacity(GCM_SEGMENT_LEN), unit: None }
    }

    fn header_len(&self) -> usize {
        gcm_header_len(self.ikm.len())
    }

    fn at_boundary(&self) -> bool {
        self.unit.is_none() && self.buf.is_empty()
    }

    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), CipherError> {
        while !input.is_empty() {
            let header_len = self.header_len();
            let Some(unit) = &mut self.unit else {
                let take = (8 - self.buf.len()).min(input.len());
                self.buf.extend_from_slice(&input[..take]);
                input = &input[take..];
                if self.buf.len() == 8 {
                    let mut len = [0u8; 8];
                    len.copy_from_slice(&self.buf);
                    let declared = i64::from_be_bytes(len);
                    // A unit holds at least its length and header.
                    let declared = u64::try_from(declared)
                        .ok()
                        .filter(|&d| d >= (8 + header_len) as u64)
                        .ok_or(CipherError::Malformed("length below the header size"))?;
                    self.buf.clear();
                    self.unit = Some(GcmUnit {
                        declared,
                        consumed: 8,
                        gcm: None,
                        prefix: [0; NONCE_PREFIX_LEN],
                        segment: 0,
                    });
                }
                continue;
            };
            if unit.gcm.is_none() {
                let take = (header_len - self.buf.len()).min(input.len());
                self.buf.extend_from_slice(&input[..take]);
                input = &input[take..];
                if self.buf.len() < header_len {
                    continue;
                }
                if usize::from(self.buf[0]) != header_len {
                    return Err(CipherError::Malformed("header length byte"));
                }
                let salt = &self.buf[1..1 + self.ikm.len()];
                unit.prefix.copy_from_slice(&self.buf[1 + self.ikm.len()..header_len]);
                unit.gcm = Some(Gcm::derive(&self.ikm, salt, unit.declared));
                unit.consumed += header_len as u64;
                self.buf.clear();
                if unit.consumed == unit.declared {
                    self.unit = None;
                }
                continue;
            }
            let left = usize::try_from(unit.declared - unit.consumed).unwrap_or(usize::MAX);
            let take = (GCM_SEGMENT_LEN - self.buf.len()).min(left).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            unit.consumed += take as u64;
            let last = unit.consumed == unit.declared;
            if self.buf.len() == GCM_SEGMENT_LEN || last {
                if self.buf.len() < GCM_TAG_LEN {
                    return Err(CipherError::Malformed("segment shorter than its tag"));
                }
                let nonce = Gcm::nonce(&unit.prefix, unit.segment, last);
                let gcm = unit.gcm.as_ref().ok_or(CipherError::Malformed("no key"))?;
                if !gcm.open(&nonce, &mut self.buf) {
                    return Err(CipherError::Forged(unit.segment));
                }
                out.extend_from_slice(&self.buf);
                self.buf.clear();
                unit.segment = unit.segment.wrapping_add(1);
                if last {
                    self.unit = None;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(len: usize) -> SessionKeys {
        SessionKeys::new((0..len as u8).collect(), [1; 16], [2; 16])
    }

    fn seal_all(enc: &mut Encryptor, msg: &[u8], piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut sealer = enc.message(msg.len() as u64).expect("begin");
        for chunk in msg.chunks(piece.max(1)) {
            sealer.seal(chunk, &mut out).expect("seal");
        }
        out
    }

    #[test]
    fn ctr_is_the_standard_key_stream_per_direction() {
        let k = keys(32);
        let (mut server_out, _) = k.server(CryptoCipher::Ctr);
        let (_, mut client_in) = k.client(CryptoCipher::Ctr);
        let wire = seal_all(&mut server_out, b"hello world, twice over the stream", 5);
        let mut plain = Vec::new();
        for b in wire.chunks(3) {
            client_in.feed(b, &mut plain).expect("feed");
        }
        assert_eq!(plain, b"hello world, twice over the stream");
        // NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt), first block.
        let key: Vec<u8> = (0..32)
            .map(|i| {
                let hex = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
                u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).expect("hex")
            })
            .collect();
        let iv: [u8; 16] = [
            0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
            0xfe, 0xff,
        ];
        let mut block = [
            0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
            0x17, 0x2a,
        ];
        CtrStream::new(&key, &iv).apply(&mut block);
        assert_eq!(
            block,
            [
                0x60, 0x1e, 0xc3, 0x13, 0x77, 0x57, 0x89, 0xa5, 0xb7, 0xa7, 0xf5, 0x04, 0xbb, 0xf3,
                0xd2, 0x28
            ]
        );
    }

    #[test]
    fn gcm_units_round_trip_in_any_pieces() {
        for key_len in [16, 32] {
            let k = keys(key_len);
            let (mut enc, _) = k.server(CryptoCipher::Gcm);
            let (_, mut dec) = k.client(CryptoCipher::Gcm);
            let header = gcm_header_len(key_len);
            let mut wire = Vec::new();
            let mut want = Vec::new();
            // Around segment boundaries, and lengths where Spark's declared length is off.
            let lens = [
                1,
                100,
                GCM_PLAINTEXT_SEGMENT_LEN - header,
                GCM_PLAINTEXT_SEGMENT_LEN,
                2 * GCM_PLAINTEXT_SEGMENT_LEN,
                2 * GCM_PLAINTEXT_SEGMENT_LEN + 7,
            ];
            for (i, &len) in lens.iter().enumerate() {
                let msg: Vec<u8> = (0..len).map(|b| (b * 7 + i) as u8).collect();
                let unit = seal_all(&mut enc, &msg, 1000);
                let declared = gcm_declared_len(len as u64, header);
                assert_eq!(unit.len() as u64, declared, "length {len}");
                assert_eq!(unit[..8], declared.to_be_bytes());
                wire.extend_from_slice(&unit);
                want.extend_from_slice(&msg);
            }
            let mut got = Vec::new();
            for piece in wire.chunks(4093) {
                dec.feed(piece, &mut got).expect("opens");
            }
            assert_eq!(got, want);
            assert!(dec.at_boundary());
        }
    }

    #[test]
    fn gcm_declared_length_follows_tink() {
        // One segment, header included: 8 + 40 + 100 + 16.
        assert_eq!(gcm_declared_len(100, 40), 164);
        // 32752 - 40 plaintext bytes fill the first Tink segment exactly.
        assert_eq!(gcm_declared_len(32712, 40), 8 + 32768);
        // One more byte: Tink counts a second segment; Spark's encoder writes one.
        assert_eq!(gcm_declared_len(32713, 40), 8 + 32768 + 1 + 16);
    }

    #[test]
    fn gcm_tampering_and_garbage_are_refused() {
        let k = keys(32);
        let (mut enc, _) = k.server(CryptoCipher::Gcm);
        let mut unit = seal_all(&mut enc, b"payload", 7);
        let last = unit.len() - 1;
        unit[last] ^= 1;
        let (_, mut dec) = k.client(CryptoCipher::Gcm);
        assert_eq!(dec.feed(&unit, &mut Vec::new()), Err(CipherError::Forged(0)));
        let (_, mut dec) = k.client(CryptoCipher::Gcm);
        let garbage = [0xffu8; 64];
        assert!(matches!(dec.feed(&garbage, &mut Vec::new()), Err(CipherError::Malformed(_))));
        let mut sealer = enc.message(2).expect("begin");
        assert!(sealer.seal(b"abc", &mut Vec::new()).is_err());
    }
}
