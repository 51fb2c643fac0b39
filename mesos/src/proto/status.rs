//! What happened to a task: `TaskState`, `TaskStatus` (sources and reasons),
//! `CheckStatusInfo`.

use super::{AgentId, ContainerStatus, ExecutorId, Labels, TaskId, TimeInfo};

proto_enum! {
    /// `mesos.v1.TaskState`. Declared (and so defaulting) first: TASK_STAGING, not the 0 value.
    TaskState {
        /// `TASK_STAGING`.
        TaskStaging = 6 => "TASK_STAGING",
        /// `TASK_STARTING`.
        TaskStarting = 0 => "TASK_STARTING",
        /// `TASK_RUNNING`.
        TaskRunning = 1 => "TASK_RUNNING",
        /// `TASK_KILLING`.
        TaskKilling = 8 => "TASK_KILLING",
        /// `TASK_FINISHED`.
        TaskFinished = 2 => "TASK_FINISHED",
        /// `TASK_FAILED`.
        TaskFailed = 3 => "TASK_FAILED",
        /// `TASK_KILLED`.
        TaskKilled = 4 => "TASK_KILLED",
        /// `TASK_ERROR`.
        TaskError = 7 => "TASK_ERROR",
        /// `TASK_LOST`.
        TaskLost = 5 => "TASK_LOST",
        /// `TASK_DROPPED`.
        TaskDropped = 9 => "TASK_DROPPED",
        /// `TASK_UNREACHABLE`.
        TaskUnreachable = 10 => "TASK_UNREACHABLE",
        /// `TASK_GONE`.
        TaskGone = 11 => "TASK_GONE",
        /// `TASK_GONE_BY_OPERATOR`.
        TaskGoneByOperator = 12 => "TASK_GONE_BY_OPERATOR",
        /// `TASK_UNKNOWN`.
        TaskUnknown = 13 => "TASK_UNKNOWN",
    }
}

impl TaskState {
    /// Whether no further update can follow (Mesos's `protobuf::isTerminalState`).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::TaskFinished
                | Self::TaskFailed
                | Self::TaskKilled
                | Self::TaskError
                | Self::TaskLost
                | Self::TaskDropped
                | Self::TaskGone
                | Self::TaskGoneByOperator
        )
    }
}

/// `mesos.v1.TaskStatus`: one status update.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskStatus {
    /// The task.
    #[prost(message, required, tag = "1")]
    pub task_id: TaskId,
    /// Its new state.
    #[prost(enumeration = "TaskState", required, tag = "2")]
    pub state: i32,
    /// Data from the executor.
    #[prost(bytes = "vec", optional, tag = "3")]
    pub data: Option<Vec<u8>>,
    /// Human-readable detail.
    #[prost(string, optional, tag = "4")]
    pub message: Option<String>,
    /// The agent.
    #[prost(message, optional, tag = "5")]
    pub agent_id: Option<AgentId>,
    /// When it happened, seconds since the epoch.
    #[prost(double, optional, tag = "6")]
    pub timestamp: Option<f64>,
    /// The executor.
    #[prost(message, optional, tag = "7")]
    pub executor_id: Option<ExecutorId>,
    /// Health check result.
    #[prost(bool, optional, tag = "8")]
    pub healthy: Option<bool>,
    /// Who generated the update.
    #[prost(enumeration = "task_status::Source", optional, tag = "9")]
    pub source: Option<i32>,
    /// Why.
    #[prost(enumeration = "task_status::Reason", optional, tag = "10")]
    pub reason: Option<i32>,
    /// Set when the update must be acknowledged.
    #[prost(bytes = "vec", optional, tag = "11")]
    pub uuid: Option<Vec<u8>>,
    /// Labels.
    #[prost(message, optional, tag = "12")]
    pub labels: Option<Labels>,
    /// The container's status.
    #[prost(message, optional, tag = "13")]
    pub container_status: Option<ContainerStatus>,
    /// When the task became unreachable.
    #[prost(message, optional, tag = "14")]
    pub unreachable_time: Option<TimeInfo>,
    /// Latest check result.
    #[prost(message, optional, tag = "15")]
    pub check_status: Option<CheckStatusInfo>,
}

/// Nested types of [`TaskStatus`].
pub mod task_status {
    proto_enum! {
        /// `TaskStatus.Source`.
        Source {
            /// The master.
            Master = 0 => "SOURCE_MASTER",
            /// The agent.
            Agent = 1 => "SOURCE_AGENT",
            /// The executor.
            Executor = 2 => "SOURCE_EXECUTOR",
        }
    }

    proto_enum! {
        /// `TaskStatus.Reason` (as of newer masters; 1.4.3 lacks 31 to 34).
        Reason {
            /// `REASON_COMMAND_EXECUTOR_FAILED`.
            CommandExecutorFailed = 0 => "REASON_COMMAND_EXECUTOR_FAILED",
            /// `REASON_CONTAINER_LAUNCH_FAILED`.
            ContainerLaunchFailed = 21 => "REASON_CONTAINER_LAUNCH_FAILED",
            /// `REASON_CONTAINER_LIMITATION`.
            ContainerLimitation = 19 => "REASON_CONTAINER_LIMITATION",
            /// `REASON_CONTAINER_LIMITATION_DISK`.
            ContainerLimitationDisk = 20 => "REASON_CONTAINER_LIMITATION_DISK",
            /// `REASON_CONTAINER_LIMITATION_MEMORY`.
            ContainerLimitationMemory = 8 => "REASON_CONTAINER_LIMITATION_MEMORY",
            /// `REASON_CONTAINER_PREEMPTED`.
            ContainerPreempted = 17 => "REASON_CONTAINER_PREEMPTED",
            /// `REASON_CONTAINER_UPDATE_FAILED`.
            ContainerUpdateFailed = 22 => "REASON_CONTAINER_UPDATE_FAILED",
            /// `REASON_MAX_COMPLETION_TIME_REACHED`.
            MaxCompletionTimeReached = 33 => "REASON_MAX_COMPLETION_TIME_REACHED",
            /// `REASON_EXECUTOR_REGISTRATION_TIMEOUT`.
            ExecutorRegistrationTimeout = 23 => "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
            /// `REASON_EXECUTOR_REREGISTRATION_TIMEOUT`.
            ExecutorReregistrationTimeout = 24 => "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
            /// `REASON_EXECUTOR_TERMINATED`.
            ExecutorTerminated = 1 => "REASON_EXECUTOR_TERMINATED",
            /// `REASON_EXECUTOR_UNREGISTERED`.
            ExecutorUnregistered = 2 => "REASON_EXECUTOR_UNREGISTERED",
            /// `REASON_FRAMEWORK_REMOVED`.
            FrameworkRemoved = 3 => "REASON_FRAMEWORK_REMOVED",
            /// `REASON_GC_ERROR`.
            GcError = 4 => "REASON_GC_ERROR",
            /// `REASON_INVALID_FRAMEWORKID`.
            InvalidFrameworkid = 5 => "REASON_INVALID_FRAMEWORKID",
            /// `REASON_INVALID_OFFERS`.
            InvalidOffers = 6 => "REASON_INVALID_OFFERS",
            /// `REASON_IO_SWITCHBOARD_EXITED`.
            IoSwitchboardExited = 27 => "REASON_IO_SWITCHBOARD_EXITED",
            /// `REASON_MASTER_DISCONNECTED`.
            MasterDisconnected = 7 => "REASON_MASTER_DISCONNECTED",
            /// `REASON_RECONCILIATION`.
            Reconciliation = 9 => "REASON_RECONCILIATION",
            /// `REASON_RESOURCES_UNKNOWN`.
            ResourcesUnknown = 18 => "REASON_RESOURCES_UNKNOWN",
            /// `REASON_AGENT_DISCONNECTED`.
            AgentDisconnected = 10 => "REASON_AGENT_DISCONNECTED",
            /// `REASON_AGENT_DRAINING`.
            AgentDraining = 34 => "REASON_AGENT_DRAINING",
            /// `REASON_AGENT_REMOVED`.
            AgentRemoved = 11 => "REASON_AGENT_REMOVED",
            /// `REASON_AGENT_REMOVED_BY_OPERATOR`.
            AgentRemovedByOperator = 31 => "REASON_AGENT_REMOVED_BY_OPERATOR",
            /// `REASON_AGENT_REREGISTERED`.
            AgentReregistered = 32 => "REASON_AGENT_REREGISTERED",
            /// `REASON_AGENT_RESTARTED`.
            AgentRestarted = 12 => "REASON_AGENT_RESTARTED",
            /// `REASON_AGENT_UNKNOWN`.
            AgentUnknown = 13 => "REASON_AGENT_UNKNOWN",
            /// `REASON_TASK_KILLED_DURING_LAUNCH`.
            TaskKilledDuringLaunch = 30 => "REASON_TASK_KILLED_DURING_LAUNCH",
            /// `REASON_TASK_CHECK_STATUS_UPDATED`.
            TaskCheckStatusUpdated = 28 => "REASON_TASK_CHECK_STATUS_UPDATED",
            /// `REASON_TASK_HEALTH_CHECK_STATUS_UPDATED`.
            TaskHealthCheckStatusUpdated = 29 => "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
            /// `REASON_TASK_GROUP_INVALID`.
            TaskGroupInvalid = 25 => "REASON_TASK_GROUP_INVALID",
            /// `REASON_TASK_GROUP_UNAUTHORIZED`.
            TaskGroupUnauthorized = 26 => "REASON_TASK_GROUP_UNAUTHORIZED",
            /// `REASON_TASK_INVALID`.
            TaskInvalid = 14 => "REASON_TASK_INVALID",
            /// `REASON_TASK_UNAUTHORIZED`.
            TaskUnauthorized = 15 => "REASON_TASK_UNAUTHORIZED",
            /// `REASON_TASK_UNKNOWN`.
            TaskUnknown = 16 => "REASON_TASK_UNKNOWN",
        }
    }
}

/// `mesos.v1.CheckStatusInfo`: the result of a `CheckInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct CheckStatusInfo {
    /// Which kind of check.
    #[prost(enumeration = "super::check_info::Type", optional, tag = "1")]
    pub r#type: Option<i32>,
    /// COMMAND result.
    #[prost(message, optional, tag = "2")]
    pub command: Option<check_status_info::Command>,
    /// HTTP result.
    #[prost(message, optional, tag = "3")]
    pub http: Option<check_status_info::Http>,
    /// TCP result.
    #[prost(message, optional, tag = "4")]
    pub tcp: Option<check_status_info::Tcp>,
}

/// Nested types of [`CheckStatusInfo`].
pub mod check_status_info {
    /// `CheckStatusInfo.Command`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Command {
        /// Exit code.
        #[prost(int32, optional, tag = "1")]
        pub exit_code: Option<i32>,
    }

    /// `CheckStatusInfo.Http`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Http {
        /// HTTP status code.
        #[prost(uint32, optional, tag = "1")]
        pub status_code: Option<u32>,
    }

    /// `CheckStatusInfo.Tcp`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Tcp {
        /// Whether the connection succeeded.
        #[prost(bool, optional, tag = "1")]
        pub succeeded: Option<bool>,
    }
}
