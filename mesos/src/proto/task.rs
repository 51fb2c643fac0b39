//! What a framework launches: `TaskInfo`, `TaskGroupInfo`, `ExecutorInfo`, `CommandInfo`,
//! `Environment`, `Secret`, `KillPolicy`, `HealthCheck`, `CheckInfo`, `DiscoveryInfo`.

use super::{
    AgentId, ContainerInfo, DurationInfo, ExecutorId, FrameworkId, Labels, Resource, TaskId,
};

/// `mesos.v1.TaskInfo`. Exactly one of `command` and `executor` should be set.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskInfo {
    /// Name shown in the UI.
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// The framework's id for the task.
    #[prost(message, required, tag = "2")]
    pub task_id: TaskId,
    /// The agent to run it on (the offer's).
    #[prost(message, required, tag = "3")]
    pub agent_id: AgentId,
    /// Resources taken from the offer.
    #[prost(message, repeated, tag = "4")]
    pub resources: Vec<Resource>,
    /// A custom executor to run the task in.
    #[prost(message, optional, tag = "5")]
    pub executor: Option<ExecutorInfo>,
    /// Opaque data handed to the executor.
    #[prost(bytes = "vec", optional, tag = "6")]
    pub data: Option<Vec<u8>>,
    /// The command, for a command task.
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    /// Health check.
    #[prost(message, optional, tag = "8")]
    pub health_check: Option<HealthCheck>,
    /// Container to run in.
    #[prost(message, optional, tag = "9")]
    pub container: Option<ContainerInfo>,
    /// Free-form labels.
    #[prost(message, optional, tag = "10")]
    pub labels: Option<Labels>,
    /// Service discovery information.
    #[prost(message, optional, tag = "11")]
    pub discovery: Option<DiscoveryInfo>,
    /// How to kill it.
    #[prost(message, optional, tag = "12")]
    pub kill_policy: Option<KillPolicy>,
    /// General check.
    #[prost(message, optional, tag = "13")]
    pub check: Option<CheckInfo>,
}

/// `mesos.v1.TaskGroupInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskGroupInfo {
    /// The tasks.
    #[prost(message, repeated, tag = "1")]
    pub tasks: Vec<TaskInfo>,
}

/// `mesos.v1.ExecutorInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ExecutorInfo {
    /// The executor's id.
    #[prost(message, required, tag = "1")]
    pub executor_id: ExecutorId,
    /// Opaque data for the executor.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub data: Option<Vec<u8>>,
    /// Resources it uses itself.
    #[prost(message, repeated, tag = "5")]
    pub resources: Vec<Resource>,
    /// The command that starts it.
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    /// The framework (filled in by the master).
    #[prost(message, optional, tag = "8")]
    pub framework_id: Option<FrameworkId>,
    /// Name.
    #[prost(string, optional, tag = "9")]
    pub name: Option<String>,
    /// Source (deprecated).
    #[prost(string, optional, tag = "10")]
    pub source: Option<String>,
    /// Container to run in.
    #[prost(message, optional, tag = "11")]
    pub container: Option<ContainerInfo>,
    /// Service discovery information.
    #[prost(message, optional, tag = "12")]
    pub discovery: Option<DiscoveryInfo>,
    /// Time between SIGTERM and SIGKILL on shutdown.
    #[prost(message, optional, tag = "13")]
    pub shutdown_grace_period: Option<DurationInfo>,
    /// Free-form labels.
    #[prost(message, optional, tag = "14")]
    pub labels: Option<Labels>,
    /// Default or custom executor.
    #[prost(enumeration = "executor_info::Type", optional, tag = "15")]
    pub r#type: Option<i32>,
}

/// Nested types of [`ExecutorInfo`].
pub mod executor_info {
    proto_enum! {
        /// `ExecutorInfo.Type`.
        Type {
            /// Not set.
            Unknown = 0 => "UNKNOWN",
            /// Mesos's default executor.
            Default = 1 => "DEFAULT",
            /// The framework's own executor.
            Custom = 2 => "CUSTOM",
        }
    }
}

/// `mesos.v1.CommandInfo`: what to run, and what to fetch first.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CommandInfo {
    /// Files the fetcher downloads into the sandbox.
    #[prost(message, repeated, tag = "1")]
    pub uris: Vec<command_info::Uri>,
    /// Environment variables.
    #[prost(message, optional, tag = "2")]
    pub environment: Option<Environment>,
    /// The shell command (shell = true) or the executable (shell = false).
    #[prost(string, optional, tag = "3")]
    pub value: Option<String>,
    /// The user to run as.
    #[prost(string, optional, tag = "5")]
    pub user: Option<String>,
    /// Whether `value` goes through `/bin/sh -c`.
    #[prost(bool, optional, tag = "6", default = "true")]
    pub shell: Option<bool>,
    /// argv, when `shell` is false.
    #[prost(string, repeated, tag = "7")]
    pub arguments: Vec<String>,
}

/// Nested types of [`CommandInfo`].
pub mod command_info {
    /// `CommandInfo.URI`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Uri {
        /// The URI.
        #[prost(string, required, tag = "1")]
        pub value: String,
        /// Make the file executable.
        #[prost(bool, optional, tag = "2")]
        pub executable: Option<bool>,
        /// Extract archives.
        #[prost(bool, optional, tag = "3", default = "true")]
        pub extract: Option<bool>,
        /// Use the fetcher cache.
        #[prost(bool, optional, tag = "4")]
        pub cache: Option<bool>,
        /// File name in the sandbox.
        #[prost(string, optional, tag = "5")]
        pub output_file: Option<String>,
    }
}

/// `mesos.v1.Environment`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Environment {
    /// The variables.
    #[prost(message, repeated, tag = "1")]
    pub variables: Vec<environment::Variable>,
}

/// Nested types of [`Environment`].
pub mod environment {
    use super::Secret;

    /// `Environment.Variable`: a plain value or a secret.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Variable {
        /// Name.
        #[prost(string, required, tag = "1")]
        pub name: String,
        /// Value, for a VALUE variable.
        #[prost(string, optional, tag = "2")]
        pub value: Option<String>,
        /// VALUE or SECRET.
        #[prost(enumeration = "variable::Type", optional, tag = "3", default = "Value")]
        pub r#type: Option<i32>,
        /// The secret, for a SECRET variable.
        #[prost(message, optional, tag = "4")]
        pub secret: Option<Secret>,
    }

    /// Nested types of [`Variable`].
    pub mod variable {
        proto_enum! {
            /// `Environment.Variable.Type`.
            Type {
                /// Not known.
                Unknown = 0 => "UNKNOWN",
                /// `value` holds the value.
                Value = 1 => "VALUE",
                /// `secret` holds it.
                Secret = 2 => "SECRET",
            }
        }
    }
}

/// `mesos.v1.Secret`: a reference to a secret store entry, or the value itself.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Secret {
    /// REFERENCE or VALUE.
    #[prost(enumeration = "secret::Type", optional, tag = "1")]
    pub r#type: Option<i32>,
    /// For a REFERENCE secret.
    #[prost(message, optional, tag = "2")]
    pub reference: Option<secret::Reference>,
    /// For a VALUE secret.
    #[prost(message, optional, tag = "3")]
    pub value: Option<secret::Value>,
}

/// Nested types of [`Secret`].
pub mod secret {
    proto_enum! {
        /// `Secret.Type`.
        Type {
            /// Not set.
            Unknown = 0 => "UNKNOWN",
            /// Resolved by the agent's secret resolver.
            Reference = 1 => "REFERENCE",
            /// Carried inline.
            Value = 2 => "VALUE",
        }
    }

    /// `Secret.Reference`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Reference {
        /// Path in the secret store.
        #[prost(string, required, tag = "1")]
        pub name: String,
        /// Key within it.
        #[prost(string, optional, tag = "2")]
        pub key: Option<String>,
    }

    /// `Secret.Value`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Value {
        /// The secret bytes.
        #[prost(bytes = "vec", required, tag = "1")]
        pub data: Vec<u8>,
    }
}

/// `mesos.v1.KillPolicy`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct KillPolicy {
    /// Time between SIGTERM and SIGKILL.
    #[prost(message, optional, tag = "1")]
    pub grace_period: Option<DurationInfo>,
}

/// `mesos.v1.HealthCheck`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HealthCheck {
    /// For an HTTP check.
    #[prost(message, optional, tag = "1")]
    pub http: Option<health_check::HttpCheckInfo>,
    /// Seconds before the first check.
    #[prost(double, optional, tag = "2", default = "15")]
    pub delay_seconds: Option<f64>,
    /// Seconds between checks.
    #[prost(double, optional, tag = "3", default = "10")]
    pub interval_seconds: Option<f64>,
    /// Seconds a check may take.
    #[prost(double, optional, tag = "4", default = "20")]
    pub timeout_seconds: Option<f64>,
    /// Failures before the task is killed.
    #[prost(uint32, optional, tag = "5", default = "3")]
    pub consecutive_failures: Option<u32>,
    /// Seconds during which failures do not count.
    #[prost(double, optional, tag = "6", default = "10")]
    pub grace_period_seconds: Option<f64>,
    /// For a COMMAND check.
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    /// COMMAND, HTTP or TCP.
    #[prost(enumeration = "health_check::Type", optional, tag = "8")]
    pub r#type: Option<i32>,
    /// For a TCP check.
    #[prost(message, optional, tag = "9")]
    pub tcp: Option<health_check::TcpCheckInfo>,
}

/// Nested types of [`HealthCheck`].
pub mod health_check {
    proto_enum! {
        /// `HealthCheck.Type`.
        Type {
            /// Not set.
            Unknown = 0 => "UNKNOWN",
            /// Run a command.
            Command = 1 => "COMMAND",
            /// GET a URL.
            Http = 2 => "HTTP",
            /// Open a TCP connection.
            Tcp = 3 => "TCP",
        }
    }

    /// `HealthCheck.HTTPCheckInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct HttpCheckInfo {
        /// Port.
        #[prost(uint32, required, tag = "1")]
        pub port: u32,
        /// Path.
        #[prost(string, optional, tag = "2")]
        pub path: Option<String>,
        /// `http` or `https`.
        #[prost(string, optional, tag = "3")]
        pub scheme: Option<String>,
        /// Status codes counted as healthy.
        #[prost(uint32, repeated, packed = "false", tag = "4")]
        pub statuses: Vec<u32>,
    }

    /// `HealthCheck.TCPCheckInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct TcpCheckInfo {
        /// Port.
        #[prost(uint32, required, tag = "1")]
        pub port: u32,
    }
}

/// `mesos.v1.CheckInfo`: a check whose result is reported, not acted on.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CheckInfo {
    /// COMMAND, HTTP or TCP.
    #[prost(enumeration = "check_info::Type", optional, tag = "1")]
    pub r#type: Option<i32>,
    /// For a COMMAND check.
    #[prost(message, optional, tag = "2")]
    pub command: Option<check_info::Command>,
    /// For an HTTP check.
    #[prost(message, optional, tag = "3")]
    pub http: Option<check_info::Http>,
    /// Seconds before the first check.
    #[prost(double, optional, tag = "4", default = "15")]
    pub delay_seconds: Option<f64>,
    /// Seconds between checks.
    #[prost(double, optional, tag = "5", default = "10")]
    pub interval_seconds: Option<f64>,
    /// Seconds a check may take.
    #[prost(double, optional, tag = "6", default = "20")]
    pub timeout_seconds: Option<f64>,
    /// For a TCP check.
    #[prost(message, optional, tag = "7")]
    pub tcp: Option<check_info::Tcp>,
}

/// Nested types of [`CheckInfo`].
pub mod check_info {
    use super::CommandInfo;

    proto_enum! {
        /// `CheckInfo.Type`.
        Type {
            /// Not set.
            Unknown = 0 => "UNKNOWN",
            /// Run a command.
            Command = 1 => "COMMAND",
            /// GET a URL.
            Http = 2 => "HTTP",
            /// Open a TCP connection.
            Tcp = 3 => "TCP",
        }
    }

    /// `CheckInfo.Command`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Command {
        /// The command.
        #[prost(message, required, tag = "1")]
        pub command: CommandInfo,
    }

    /// `CheckInfo.Http`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Http {
        /// Port.
        #[prost(uint32, required, tag = "1")]
        pub port: u32,
        /// Path.
        #[prost(string, optional, tag = "2")]
        pub path: Option<String>,
    }

    /// `CheckInfo.Tcp`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Tcp {
        /// Port.
        #[prost(uint32, required, tag = "1")]
        pub port: u32,
    }
}

/// `mesos.v1.DiscoveryInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct DiscoveryInfo {
    /// Who may see it.
    #[prost(enumeration = "discovery_info::Visibility", required, tag = "1")]
    pub visibility: i32,
    /// Name.
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    /// Environment (prod, dev, ...).
    #[prost(string, optional, tag = "3")]
    pub environment: Option<String>,
    /// Location.
    #[prost(string, optional, tag = "4")]
    pub location: Option<String>,
    /// Version.
    #[prost(string, optional, tag = "5")]
    pub version: Option<String>,
    /// Ports.
    #[prost(message, optional, tag = "6")]
    pub ports: Option<Ports>,
    /// Free-form labels.
    #[prost(message, optional, tag = "7")]
    pub labels: Option<Labels>,
}

/// Nested types of [`DiscoveryInfo`].
pub mod discovery_info {
    proto_enum! {
        /// `DiscoveryInfo.Visibility`.
        Visibility {
            /// Only the framework.
            Framework = 0 => "FRAMEWORK",
            /// The cluster.
            Cluster = 1 => "CLUSTER",
            /// Everyone.
            External = 2 => "EXTERNAL",
        }
    }
}

/// `mesos.v1.Port`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Port {
    /// Port number.
    #[prost(uint32, required, tag = "1")]
    pub number: u32,
    /// Name.
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    /// Protocol.
    #[prost(string, optional, tag = "3")]
    pub protocol: Option<String>,
    /// Who may see it.
    #[prost(enumeration = "discovery_info::Visibility", optional, tag = "4")]
    pub visibility: Option<i32>,
    /// Free-form labels.
    #[prost(message, optional, tag = "5")]
    pub labels: Option<Labels>,
}

/// `mesos.v1.Ports`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Ports {
    /// The ports.
    #[prost(message, repeated, tag = "1")]
    pub ports: Vec<Port>,
}
