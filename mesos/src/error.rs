//! The crate's one error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a connection or file.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A RecordIO length line holds something other than ASCII digits before its `\n`.
    #[error("RecordIO length has non-digit byte {byte:#04x} at offset {offset}")]
    RecordLengthNotDecimal {
        /// The offending byte.
        byte: u8,
        /// Its offset in the length line.
        offset: usize,
    },
    /// A RecordIO length line is just `\n`.
    #[error("RecordIO length is empty")]
    RecordLengthEmpty,
    /// A RecordIO length has more digits than any `u64` needs.
    #[error("RecordIO length has more than {max_digits} digits")]
    RecordLengthTooManyDigits {
        /// The most digits accepted.
        max_digits: usize,
    },
    /// A RecordIO length does not fit a `u64`.
    #[error("RecordIO length overflows u64")]
    RecordLengthOverflow,
    /// A RecordIO length is zero, which Mesos never writes.
    #[error("RecordIO length is zero")]
    RecordLengthZero,
    /// A RecordIO record is longer than the decoder's limit.
    #[error("RecordIO record of {len} bytes exceeds the limit of {max}")]
    RecordTooLarge {
        /// The length the stream claims.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A protobuf body is truncated or corrupt.
    #[error("bad protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// An event has no `type`.
    #[error("event has no type")]
    EventTypeMissing,
    /// An event's `type` is not one this crate knows.
    #[error("event type {value} is unknown")]
    EventTypeUnknown {
        /// The raw enum value.
        value: i32,
    },
    /// An event lacks the body its `type` calls for.
    #[error("{event} event has no body")]
    EventBodyMissing {
        /// The event type, as Mesos names it.
        event: &'static str,
    },
    /// SUBSCRIBED carries a heartbeat interval that is negative, not finite or too large.
    #[error("heartbeat interval of {seconds} s is not a duration")]
    HeartbeatInterval {
        /// The interval sent.
        seconds: f64,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
