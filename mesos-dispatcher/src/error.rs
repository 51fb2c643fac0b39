//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in the dispatcher outside a single REST reply (those are
/// answered to the client, see `rest::handler`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line option Spark's dispatcher does not know.
    #[error("Unrecognized option: '{option}'")]
    UnknownOption {
        /// The option as given.
        option: String,
    },
    /// An option that takes a value came last.
    #[error("option {option} needs a value")]
    MissingValue {
        /// The option as given.
        option: String,
    },
    /// `--port` or `--webui-port` is not a port number.
    #[error("{option} expects a port number: actual was '{value}'")]
    BadPort {
        /// The option as given.
        option: String,
        /// Its value.
        value: String,
    },
    /// `--master` is missing.
    #[error("--master is required")]
    MissingMaster,
    /// `--master` does not start with `mesos://`.
    #[error("Cluster dispatcher only supports mesos (uri begins with mesos://): {master}")]
    NotMesosMaster {
        /// The value given.
        master: String,
    },
    /// A `--conf` value without `=`.
    #[error("Spark config without '=': {pair}")]
    ConfWithoutEquals {
        /// The value given.
        pair: String,
    },
    /// A key the dispatcher reads has a value of the wrong type.
    #[error("{key} expects {expected}: actual was '{value}'")]
    BadConfValue {
        /// The configuration key.
        key: String,
        /// What the key takes.
        expected: &'static str,
        /// Its value.
        value: String,
    },
    /// The properties file could not be read.
    #[error("reading properties file {path}: {source}")]
    PropertiesFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Binding or serving the REST port failed.
    #[error("REST server on {addr}: {source}")]
    Serve {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Binding the web UI port failed.
    #[error("web UI on {addr}: {source}")]
    WebUi {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// A Spark rule rejected the driver's properties (constraints, labels, container, secrets).
    #[error(transparent)]
    Rules(#[from] mesos::Error),
    /// A value would reach the driver's shell command line unquoted, or quoted in a way the
    /// shell undoes (Spark pastes it in as is).
    #[error("{what} is not safe on the driver's command line: {value:?}")]
    UnsafeForShell {
        /// Which part of the line.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// The Mesos connection could not start: the master URL, the credentials or the client.
    #[error("Mesos: {source}")]
    Mesos {
        /// Why.
        source: mesos::Error,
    },
    /// The master's event stream ended for good: it refused the framework, or the failover
    /// timeout passed while it was unreachable.
    #[error("the Mesos master's event stream ended")]
    MesosStreamEnded,
    /// No `spark.mesos.executor.home`, `spark.home` or `SPARK_HOME` says where Spark is.
    #[error("Executor Spark home `spark.mesos.executor.home` is not set!")]
    NoExecutorHome,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
