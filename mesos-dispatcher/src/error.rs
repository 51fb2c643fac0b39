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
    /// `spark.deploy.recoveryMode=ZOOKEEPER` without `spark.deploy.zookeeper.url`.
    #[error("spark.deploy.recoveryMode=ZOOKEEPER needs spark.deploy.zookeeper.url")]
    MissingZooKeeperUrl,
    /// The embedded store could not be opened, read or written (or another dispatcher has
    /// it open).
    #[error("state store {path}: {source}")]
    EmbeddedStore {
        /// The store's file.
        path: PathBuf,
        /// Why.
        source: Box<redb::Error>,
    },
    /// Creating the state directory failed.
    #[error("state directory {path}: {source}")]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A ZooKeeper operation of the store failed.
    #[error("ZooKeeper store at {path}: {source}")]
    ZooKeeperStore {
        /// The node (or the servers, for a connection).
        path: String,
        /// Why.
        source: mesos::Error,
    },
    /// A stored record is larger than the store takes.
    #[error("record {key} has {len} bytes, over the store's limit of {max}")]
    RecordTooLarge {
        /// The record's key, `<section>/<name>`.
        key: String,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A store section holds more records than a dispatcher reads back; the rest stay
    /// stored, unread.
    #[error("store section {section} holds {count} records, over the limit of {max}")]
    TooManyRecords {
        /// The section.
        section: &'static str,
        /// How many it holds.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A stored key names no section of ours, or a name a store cannot hold.
    #[error("store key {key:?} is not <section>/<submission id>")]
    BadRecordKey {
        /// The key.
        key: String,
    },
    /// A stored record is not JSON of the expected shape.
    #[error("record {key} does not decode: {source}")]
    BadRecord {
        /// The record's key.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A stored record decodes but one of its fields is wrong for its key or section.
    #[error("record {key}: field {field} is missing or invalid")]
    BadRecordField {
        /// The record's key.
        key: String,
        /// The field.
        field: &'static str,
    },
    /// A stored record was written by a newer format than this dispatcher reads.
    #[error("record {key} has format {format}; this dispatcher reads format {supported}")]
    RecordFormat {
        /// The record's key.
        key: String,
        /// Its format.
        format: u32,
        /// The format this build reads and writes.
        supported: u32,
    },
    /// The change was applied in memory but the store failed to take it; the store's writer
    /// keeps retrying (its failure is logged).
    #[error("the state store is behind: the change is kept in memory and written once the store answers")]
    NotStored,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
