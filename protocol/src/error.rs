//! The one error type of the protocol crate. The authentication modules keep their own
//! small enums ([`SaslError`], [`EngineError`], [`CipherError`]), which their callers match
//! on; [`Error`] wraps each of them.

use std::io;

use crate::auth::cipher::CipherError;
use crate::auth::digest_md5::SaslError;
use crate::auth::engine::EngineError;

/// Everything that can go wrong turning bytes into messages (or moving them over a socket).
///
/// A partial frame is not an error: decoders return `Ok(None)` for "need more bytes".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A frame length outside `8 + 1 ..= max_frame_len` (room for at least the type byte);
    /// Spark closes the connection on these.
    #[error("frame length {len} is out of bounds (must be in 9..={max})")]
    FrameLength {
        /// The length field as read from the wire.
        len: i64,
        /// The configured maximum frame length.
        max: u64,
    },
    /// A complete frame ended before a field it must contain.
    #[error("truncated {what}: needed {needed} bytes, {remaining} left")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length or count field that is negative.
    #[error("negative length {len} for {what}")]
    NegativeLength {
        /// The field being read.
        what: &'static str,
        /// The value as read.
        len: i64,
    },
    /// A length or count field larger than the bytes that could possibly hold it.
    #[error("{what} claims {len} elements but only {remaining} bytes are left")]
    LengthTooLarge {
        /// The field being read.
        what: &'static str,
        /// The value as read.
        len: i64,
        /// Bytes that were left in the frame.
        remaining: usize,
    },
    /// Bytes left over after a message that must fill its whole frame or body.
    #[error("{count} trailing bytes after {what}")]
    TrailingBytes {
        /// The message that was decoded.
        what: &'static str,
        /// Bytes left over.
        count: usize,
    },
    /// A string field that is not valid UTF-8.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        what: &'static str,
    },
    /// A transport `Message.Type` byte this protocol does not define.
    #[error("unknown transport message type {0}")]
    UnknownMessageType(u8),
    /// A `BlockTransferMessage` type byte this protocol does not define.
    #[error("unknown block transfer message type {0}")]
    UnknownBlockTransferType(u8),
    /// A transport message that the decoding side never receives (hyper-style role typing).
    #[error("message type {0} is not expected in this direction")]
    UnexpectedDirection(u8),
    /// An enum field (cause, return code) with a value outside its range.
    #[error("invalid value {value} for {what}")]
    InvalidEnum {
        /// The field being read.
        what: &'static str,
        /// The value as read.
        value: i64,
    },
    /// A field that decodes but breaks the rules of its message: a bitmap whose containers
    /// are unsorted, per-executor counts that do not add up to the list they index, …
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// The field or message being read.
        what: &'static str,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A block id string outside the grammar Spark 3.5 clients use.
    #[error("invalid block id {id:?}: {reason}")]
    InvalidBlockId {
        /// The id as received.
        id: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A stream id string that is not `<streamId>_<chunkIndex>`.
    #[error("invalid stream chunk id {0:?}")]
    InvalidStreamChunkId(String),
    /// The peer closed the connection in the middle of a frame or body.
    #[error("connection closed mid-frame with {0} bytes buffered")]
    ConnectionReset(usize),
    /// A socket error.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A SASL DIGEST-MD5 step failed ([`crate::auth::digest_md5`]).
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// An AuthEngine handshake failed ([`crate::auth::engine`]).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An AuthEngine transport cipher refused the byte stream ([`crate::auth::cipher`]).
    #[error(transparent)]
    Cipher(#[from] CipherError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
