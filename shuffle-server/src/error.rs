//! The one error type of the server crate.
//!
//! Display texts of the block-lookup variants go verbatim into ChunkFetchFailure,
//! StreamFailure and RpcFailure replies, so they name the ids and paths involved the way
//! Spark's messages do.

use std::io;
use std::path::PathBuf;

use crate::config::ValueError;
use crate::index::IndexDefect;
use shuffle_protocol::block_id::BlockId;

/// Everything that can fail in the daemon outside the wire codec.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request named an executor that never registered (or whose application was removed).
    #[error("Executor is not registered (appId={app_id}, execId={exec_id})")]
    UnknownExecutor {
        /// Application id from the request.
        app_id: String,
        /// Executor id from the request.
        exec_id: String,
    },
    /// The executor's registration cannot locate any file (Spark fails the same lookups with
    /// an arithmetic exception).
    #[error("executor registration cannot locate files: {reason}")]
    InvalidExecutorInfo {
        /// What is wrong with the registration.
        reason: &'static str,
    },
    /// An index file could not be read.
    #[error("Failed to open file: {path}: {source}")]
    IndexRead {
        /// The index file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An index file that is not a valid offset table.
    #[error("corrupt index file {path}: {defect}")]
    CorruptIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        defect: IndexDefect,
    },
    /// Reduce ids outside the partitions an index file describes.
    #[error(
        "reduce ids [{start}, {end}) outside the {partitions} partitions of index file {path}"
    )]
    ReduceOutOfRange {
        /// The index file.
        path: PathBuf,
        /// First reduce id asked for.
        start: i32,
        /// End (exclusive) of the reduce ids asked for.
        end: i32,
        /// Partitions the index describes.
        partitions: usize,
    },
    /// A block whose file does not exist (missing RDD block: Spark's "Chunk was not found").
    #[error("Chunk was not found: block file {path} does not exist")]
    BlockNotFound {
        /// Where the file was looked for.
        path: PathBuf,
    },
    /// A block kind this service cannot serve (merged shuffle chunks: no push-based shuffle).
    #[error("block {0} cannot be served by this shuffle service")]
    UnsupportedBlock(BlockId),
    /// A request that decoded but makes no sense (ids of mixed kinds, a batch range that is
    /// not two numbers, …): Spark's IllegalArgumentException.
    #[error("{0}")]
    InvalidRequest(String),
    /// A message this service never accepts from a client (uploads, responses).
    #[error("Unexpected message: {0}")]
    UnexpectedMessage(&'static str),
    /// Push-based shuffle, which a standalone or Mesos shuffle service does not support.
    #[error("{0} is not supported: push-based shuffle is disabled on this shuffle service")]
    PushUnsupported(&'static str),
    /// An authenticated connection acted for another application.
    #[error("Client for {client} not authorized for application {app_id}.")]
    NotAuthorized {
        /// The application the connection authenticated as.
        client: String,
        /// The application the request names.
        app_id: String,
    },
    /// A connection sent nothing and was sent nothing for the idle timeout
    /// (`spark.shuffle.io.connectionTimeout`), or stopped reading what it asked for.
    #[error("connection idle for {0:?}")]
    Idle(std::time::Duration),
    /// A plaintext connection to a daemon that only accepts TLS
    /// (`spark.shuffle.service.rs.tls.required`).
    #[error("plaintext connection refused: spark.shuffle.service.rs.tls.required is true")]
    TlsRequired,
    /// An RPC body or message that does not decode.
    #[error(transparent)]
    Protocol(#[from] shuffle_protocol::Error),
    /// The registered-executor store failed.
    #[error("registered-executor store {path}: {source}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Box<redb::Error>,
    },
    /// The registered-executor store was written by an incompatible version.
    #[error("registered-executor store {path} has version {major}.{minor}, expected 1.x")]
    StoreVersion {
        /// The store file.
        path: PathBuf,
        /// Major version found.
        major: u32,
        /// Minor version found.
        minor: u32,
    },
    /// A configuration value that does not parse or is out of range.
    #[error("invalid value {value:?} for {key}: {reason}")]
    InvalidConfig {
        /// The Spark key.
        key: String,
        /// The value as given.
        value: String,
        /// Why it was refused.
        reason: ValueError,
    },
    /// A configuration key that must be set given the others.
    #[error("{key} must be set: {reason}")]
    MissingConfig {
        /// The Spark key.
        key: &'static str,
        /// Which setting requires it.
        reason: &'static str,
    },
    /// A TLS certificate or key file that cannot be read or used.
    #[error("invalid value for {key}: {path}: {reason}")]
    TlsConfig {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The properties file could not be read.
    #[error("cannot read properties file {path}: {source}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The properties file has a malformed escape.
    #[error("properties file {path}, line {line}: {reason}")]
    PropertiesSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line where the bad entry starts.
        line: usize,
        /// What is malformed.
        reason: &'static str,
    },
    /// A `--conf` argument without `=`.
    #[error("--conf expects KEY=VALUE, got {0:?}")]
    ConfArg(String),
    /// The Prometheus recorder could not be installed.
    #[error("cannot install the metrics recorder: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A blocking file task panicked or was cancelled at shutdown.
    #[error("file task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
