//! The crate's one error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Spark configuration value or a Spark rule failed (bad constraint string, malformed
    /// label, secrets that do not pair up, ...).
    #[error(transparent)]
    Mesos(#[from] mesos::Error),

    /// `spark.mesos.secret` is set without a principal (Spark's `buildCredentials`).
    #[error("spark.mesos.secret is set but no principal is")]
    SecretWithoutPrincipal,

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

    /// A status update names an agent the backend never launched on (Spark throws
    /// `NoSuchElementException` out of `statusUpdate`).
    #[error("status update for task {task_id} on unknown agent {agent_id}")]
    UnknownAgent {
        /// The task id of the update.
        task_id: String,
        /// The agent id of the update.
        agent_id: String,
    },

    /// The master reported an error (Spark's `error` callback aborts the application).
    #[error("exiting due to error from cluster scheduler: {message}")]
    ClusterError {
        /// The master's message.
        message: String,
    },
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
