//! The one error type of the client crate.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use shuffle_protocol::auth::digest_md5::SaslError;
use shuffle_protocol::auth::engine::EngineError;

/// Everything a client operation can fail with.
///
/// Errors fall into three groups, told apart by predicates rather than by matching (hyper
/// style), so variants can be added without breaking callers:
///
/// - connection trouble ([`Error::is_retryable`]): the operation was retried up to
///   `ClientConfig::max_retries` times before this was returned;
/// - a failure the server reported for one block ([`Error::is_block_failure`]): final for
///   that block, a fetch goes on with the others;
/// - anything else (the server refused the request or this client's credentials
///   ([`Error::is_auth`]), answered nonsense, a local writer failed): final for the whole
///   operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The TCP connection could not be made.
    #[error("connecting to {addr}: {source}")]
    Connect {
        /// The peer, as given.
        addr: String,
        /// The socket error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The TCP connection was not made within `ClientConfig::connect_timeout`.
    #[error("connecting to {addr} timed out after {timeout:?}")]
    ConnectTimeout {
        /// The peer, as given.
        addr: String,
        /// The limit that passed.
        timeout: Duration,
    },
    /// The peer closed the connection while requests were outstanding.
    #[error("connection to {addr} closed with requests outstanding")]
    ConnectionClosed {
        /// The peer, as given.
        addr: String,
    },
    /// Nothing arrived for `timeout` while requests were outstanding (Spark's
    /// `spark.shuffle.io.connectionTimeout`), or an RPC with its own limit (registration)
    /// was not answered in time. The connection is closed in the first case, as Spark does.
    #[error("no response from {addr} within {timeout:?}")]
    Timeout {
        /// The peer, as given.
        addr: String,
        /// The limit that passed.
        timeout: Duration,
    },
    /// A socket error on an established connection.
    #[error("I/O error on the connection to {addr}: {source}")]
    Io {
        /// The peer, as given.
        addr: String,
        /// The socket error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The peer sent bytes that are not Spark's protocol; the connection was closed.
    #[error("protocol error on the connection to {addr}: {source}")]
    Protocol {
        /// The peer, as given.
        addr: String,
        /// What the decoder refused.
        #[source]
        source: Arc<shuffle_protocol::Error>,
    },
    /// The server answered an RPC with `RpcFailure` (its text is usually a Java stack trace).
    #[error("{addr} failed the {request} RPC: {message}")]
    RpcFailure {
        /// The peer, as given.
        addr: String,
        /// Spark's name of the request (`FetchShuffleBlocks`, `RegisterExecutor`, …).
        request: &'static str,
        /// The server's error text.
        message: String,
    },
    /// The server failed one chunk (`ChunkFetchFailure`): final for that block.
    #[error("fetching {block_id} failed: {message}")]
    ChunkFetchFailure {
        /// The block whose chunk failed.
        block_id: String,
        /// The server's error text.
        message: String,
    },
    /// The server failed one stream (`StreamFailure`): final for that block.
    #[error("streaming {block_id} failed: {message}")]
    StreamFailure {
        /// The block whose stream failed.
        block_id: String,
        /// The server's error text.
        message: String,
    },
    /// The server answered with a well-formed message of the wrong kind.
    #[error("{addr} answered {got} where {expected} was expected")]
    UnexpectedResponse {
        /// The peer, as given.
        addr: String,
        /// What the client waited for.
        expected: &'static str,
        /// What came instead.
        got: &'static str,
    },
    /// An RPC response body that is not a valid `BlockTransferMessage`.
    #[error("{addr} sent a malformed {expected}: {source}")]
    MalformedResponse {
        /// The peer, as given.
        addr: String,
        /// What the client waited for.
        expected: &'static str,
        /// What the decoder refused.
        #[source]
        source: Arc<shuffle_protocol::Error>,
    },
    /// A `StreamHandle` announcing a different number of chunks than blocks requested.
    #[error("{addr} opened a stream of {got} chunks for {expected} blocks")]
    ChunkCountMismatch {
        /// The peer, as given.
        addr: String,
        /// Blocks requested.
        expected: usize,
        /// Chunks announced.
        got: i32,
    },
    /// A block id the client cannot put into a request (see `ShuffleClient::fetch_blocks`).
    #[error("cannot request block {block_id:?}: {reason}")]
    InvalidBlockId {
        /// The id as given.
        block_id: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Writing a fetched block to the caller's writer (or file) failed.
    #[error("writing block {block_id} to its destination: {source}")]
    Sink {
        /// The block being written.
        block_id: String,
        /// The writer's error.
        #[source]
        source: Arc<io::Error>,
    },
    /// Authenticating a new connection failed (`spark.authenticate`): the server refused
    /// the credentials, or could not prove it holds the secret. Final, never retried: a
    /// wrong secret stays wrong. The text never holds the secret.
    #[error("authenticating to {addr} with {mechanism} failed: {reason}")]
    Auth {
        /// The peer, as given.
        addr: String,
        /// The handshake that failed.
        mechanism: AuthMechanism,
        /// Why.
        reason: AuthFailure,
    },
    /// The TLS handshake with the server failed (untrusted or mismatched certificate, no
    /// client certificate where one is required, no TLS on the server…). Final, never
    /// retried.
    #[error("TLS with {addr} failed: {reason}")]
    Tls {
        /// The peer, as given.
        addr: String,
        /// Why.
        reason: String,
    },
    /// A TLS certificate, key or CA file that cannot be read or used.
    #[error("TLS file {path}: {reason}")]
    TlsConfig {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration value that cannot be used.
    #[error("invalid configuration {key} = {value:?}: {reason}")]
    Config {
        /// The Spark key (or field name).
        key: String,
        /// The value as given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
}

/// Text fragments of the JVM's error strings that mean "authentication is required or was
/// refused": `SecurityException` (the `checkAuth` app-id check and unauthenticated calls),
/// SASL's complaints when a client does not start a handshake, `SaslException`.
const AUTH_MARKERS: &[&str] =
    &["SecurityException", "SaslException", "SASL", "not authorized", "Unauthenticated"];

impl Error {
    /// Whether retrying on a fresh connection may help: connection, socket and timeout
    /// errors (Spark's `RetryingBlockTransferor` retries exactly its `IOException`s, and a
    /// timed-out connection is closed with one). Server-reported failures are final.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::ConnectionClosed { .. }
                | Self::Timeout { .. }
                | Self::Io { .. }
        )
    }

    /// Whether authentication failed ([`Error::Auth`]: a wrong secret, an application the
    /// server has no secret for, a server that does not hold the secret), or the server
    /// refused a request because of authentication (it requires it and this client has
    /// `auth` off, or the connection is bound to another application), or the TLS
    /// handshake failed ([`Error::Tls`]: certificates on either side).
    ///
    /// The JVM reports the latter only as error text, so this looks for the exception names
    /// and phrases its handlers use.
    pub fn is_auth(&self) -> bool {
        match self {
            Self::Auth { .. } | Self::Tls { .. } => true,
            Self::RpcFailure { message, .. }
            | Self::ChunkFetchFailure { message, .. }
            | Self::StreamFailure { message, .. } => {
                AUTH_MARKERS.iter().any(|marker| message.contains(marker))
            }
            _ => false,
        }
    }

    /// Whether a time limit passed (connecting, or waiting for a response).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::ConnectTimeout { .. } | Self::Timeout { .. })
    }

    /// Whether the server failed one block (`ChunkFetchFailure`/`StreamFailure`); a fetch
    /// yields this for that block and goes on with the others.
    pub fn is_block_failure(&self) -> bool {
        matches!(self, Self::ChunkFetchFailure { .. } | Self::StreamFailure { .. })
    }

    /// The block this error is about, for block failures and writer errors.
    pub fn block_id(&self) -> Option<&str> {
        match self {
            Self::ChunkFetchFailure { block_id, .. }
            | Self::StreamFailure { block_id, .. }
            | Self::Sink { block_id, .. }
            | Self::InvalidBlockId { block_id, .. } => Some(block_id),
            _ => None,
        }
    }
}

/// The handshake of an [`Error::Auth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    /// SASL DIGEST-MD5 (`spark.network.crypto.enabled=false`, or the fallback).
    Sasl,
    /// Spark's AuthEngine (`spark.network.crypto.enabled=true`).
    AuthEngine,
}

impl fmt::Display for AuthMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sasl => "SASL DIGEST-MD5",
            Self::AuthEngine => "the AuthEngine",
        })
    }
}

/// Why an [`Error::Auth`] handshake failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthFailure {
    /// The server answered a handshake step with an `RpcFailure` (wrong secret, unknown
    /// application, mechanism not served); its text, usually a Java exception.
    #[error("the server refused: {0}")]
    Refused(String),
    /// The server's SASL tokens did not verify (it does not hold the secret) or did not
    /// parse.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// The server's AuthEngine reply did not decrypt with the secret (it does not hold it),
    /// or no key could be made.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The server's handshake reply is not the message the handshake needs.
    #[error("malformed handshake reply: {0}")]
    Malformed(#[source] Arc<shuffle_protocol::Error>),
    /// The server sent bytes after its AuthEngine reply, before the encrypted session
    /// began; they are not trusted as plaintext and the connection is closed.
    #[error("{0} unencrypted bytes followed the AuthEngine reply")]
    TrailingPlaintext(usize),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        let addr = "h:1".to_owned();
        let closed = Error::ConnectionClosed { addr: addr.clone() };
        assert!(closed.is_retryable() && !closed.is_timeout() && !closed.is_block_failure());
        let timeout = Error::Timeout { addr: addr.clone(), timeout: Duration::from_secs(1) };
        assert!(timeout.is_retryable() && timeout.is_timeout());
        let chunk = Error::ChunkFetchFailure { block_id: "b".into(), message: "x".into() };
        assert!(chunk.is_block_failure() && !chunk.is_retryable());
        assert_eq!(chunk.block_id(), Some("b"));
        let auth = Error::RpcFailure {
            addr,
            request: "OpenBlocks",
            message: "java.lang.SecurityException: Client for a not authorized".into(),
        };
        assert!(auth.is_auth() && !auth.is_retryable() && !auth.is_block_failure());
        let refused = Error::Auth {
            addr: "h:1".into(),
            mechanism: AuthMechanism::Sasl,
            reason: AuthFailure::Sasl(SaslError::ServerNotAuthenticated),
        };
        assert!(refused.is_auth() && !refused.is_retryable() && !refused.is_timeout());
        assert!(refused.to_string().starts_with("authenticating to h:1 with SASL DIGEST-MD5"));
    }
}
