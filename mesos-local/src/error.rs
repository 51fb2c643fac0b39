//! The crate's one error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a socket, file or child process.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The master could not listen on its address.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A `--resources` entry a Mesos agent would refuse.
    #[error("bad resource {entry:?}: {reason}")]
    BadResource {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `--attributes` entry a Mesos agent would refuse.
    #[error("bad attribute {entry:?}: {reason}")]
    BadAttribute {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More agents than loopback addresses 127.0.0.2 … 127.0.0.254.
    #[error("at most {max} agents, asked for {asked}")]
    TooManyAgents {
        /// How many were asked for.
        asked: usize,
        /// The limit.
        max: usize,
    },
    /// A task's URI that is neither a local path nor `file://`.
    #[error("cannot fetch {uri:?}: only local paths and file:// URIs are fetched")]
    UnsupportedUri {
        /// The URI as given.
        uri: String,
    },
    /// A URI that could not be copied into the sandbox.
    #[error("cannot fetch {path}")]
    Fetch {
        /// The local source path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An archive whose extraction command failed.
    #[error("extracting {path} failed ({status})")]
    Extract {
        /// The archive in the sandbox.
        path: PathBuf,
        /// The extraction command's exit status.
        status: std::process::ExitStatus,
    },
    /// `--zk` is not a `zk://host:port,…/path` URL.
    #[error("--zk wants zk://host:port[,host:port…]/path, not {url:?}")]
    NotZkUrl {
        /// The URL as given.
        url: String,
    },
    /// ZooKeeper refused or failed while publishing the master.
    #[error(transparent)]
    Mesos(#[from] mesos::Error),
    /// A task with neither a command value nor arguments.
    #[error("the task's CommandInfo has no value")]
    NoCommand,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
