//! The crate's one error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on the bridge's pipes or a file.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A bridge protocol line is longer than the limit; the rest of the stream is unsynced.
    #[error("bridge line exceeds the limit of {max} bytes")]
    BridgeLineTooLong {
        /// The limit, newline excluded.
        max: usize,
    },
    /// A bridge protocol line is not a JSON message of a known type with the fields it needs.
    #[error("bad bridge message")]
    BridgeBadMessage(#[source] serde_json::Error),
    /// The JVM plugin speaks a protocol version this binary does not.
    #[error("bridge protocol version {got} is not the supported version {supported}")]
    BridgeVersion {
        /// The version in the `start` message.
        got: u32,
        /// The version this binary speaks.
        supported: u32,
    },
    /// A request arrived in a state where it means nothing (e.g. `kill` before `start`).
    #[error("bridge request {request} is not valid {state}")]
    BridgeUnexpected {
        /// The request's `type`.
        request: &'static str,
        /// The state it arrived in.
        state: &'static str,
    },
}
