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
    #[error("bridge protocol version {got} is not supported (newest: {supported})")]
    BridgeVersion {
        /// The version in the `start` message.
        got: u32,
        /// The version this binary speaks.
        supported: u32,
    },
    /// A `launchTasks` task's `data` is not base64.
    #[error("task {task_id}'s data in launchTasks is not base64")]
    BridgeTaskData {
        /// The Spark task id.
        task_id: i64,
    },
    /// Fine mode's `start` lacks `execArg` (the plugin predates fine mode, or says version 1).
    #[error("start for spark.mesos.coarse=false needs execArg (protocol version 2)")]
    BridgeNoExecArg,
    /// A request arrived in a state where it means nothing (e.g. `kill` before `start`).
    #[error("bridge request {request} is not valid {state}")]
    BridgeUnexpected {
        /// The request's `type`.
        request: &'static str,
        /// The state it arrived in.
        state: &'static str,
    },

    /// A Spark configuration value or a Spark rule failed (bad constraint string, malformed
    /// label, secrets that do not pair up, ...).
    #[error(transparent)]
    Mesos(#[from] mesos::Error),

    /// Neither `spark.mesos.executor.home` nor a Spark home is known and no `spark.executor.uri`
    /// is set, so no executor command can be built.
    #[error("executor Spark home `spark.mesos.executor.home` is not set")]
    ExecutorHomeMissing,

    /// A key Spark reads as a number holds something else.
    #[error("{key} is not a valid {expected}: {value}")]
    ConfNotNumber {
        /// The key.
        key: &'static str,
        /// Its value.
        value: String,
        /// What was expected (`int`).
        expected: &'static str,
    },

    /// `spark.executor.cores` is 0: Spark's constructor fails rounding `spark.cores.max` down
    /// to a multiple of it (a division by zero).
    #[error("spark.executor.cores must not be 0")]
    ExecutorCoresZero,

    /// A status update names an agent the backend never launched on (Spark throws
    /// `NoSuchElementException` out of `statusUpdate`).
    #[error("status update for task {task_id} on unknown agent {agent_id}")]
    UnknownAgent {
        /// The task id of the update.
        task_id: String,
        /// The agent id of the update.
        agent_id: String,
    },

    /// `spark.task.cpus` is below 1: every offer would fit endless tasks (Spark's
    /// `SparkContext` refuses it at start-up).
    #[error("spark.task.cpus must be at least 1, not {value}")]
    TaskCpusNotPositive {
        /// The configured value.
        value: i32,
    },

    /// A status update's task id is not a number (the fine-grained backend's Mesos task ids
    /// are Spark task ids; Spark throws `NumberFormatException` out of `statusUpdate`).
    #[error("status update for task {task_id}, which is not a Spark task id")]
    TaskIdNotNumber {
        /// The task id of the update.
        task_id: String,
    },

    /// Spark's scheduler placed a task on an agent none of the round's usable offers came
    /// from (Spark throws `NoSuchElementException` out of `resourceOffers`, launching nothing
    /// more).
    #[error("task {task_id} placed on agent {agent_id}, which has no usable offer")]
    TaskForUnofferedAgent {
        /// The Spark task id.
        task_id: i64,
        /// The executor (= agent) id it was placed on.
        agent_id: String,
    },

    /// The shuffle client cannot be configured from the SparkConf, e.g. `spark.authenticate`
    /// without a secret.
    #[error(transparent)]
    ShuffleClient(#[from] shuffle_client::Error),

    /// The master reported an error (Spark's `error` callback aborts the application).
    #[error("exiting due to error from cluster scheduler: {message}")]
    ClusterError {
        /// The master's message.
        message: String,
    },
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
