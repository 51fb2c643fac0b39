//! `FrameworkInfo`: who the framework is, sent in SUBSCRIBE.

use super::{FrameworkId, Labels};

/// `mesos.v1.FrameworkInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct FrameworkInfo {
    /// The Unix user tasks run as (unless a command overrides it).
    #[prost(string, required, tag = "1")]
    pub user: String,
    /// Name shown in the UI.
    #[prost(string, required, tag = "2")]
    pub name: String,
    /// Set when re-subscribing after a failover.
    #[prost(message, optional, tag = "3")]
    pub id: Option<FrameworkId>,
    /// Seconds the master waits for a re-subscription before tearing the framework down.
    #[prost(double, optional, tag = "4", default = "0")]
    pub failover_timeout: Option<f64>,
    /// Whether agents checkpoint the framework's tasks.
    #[prost(bool, optional, tag = "5", default = "false")]
    pub checkpoint: Option<bool>,
    /// The single role (deprecated by `roles` with `MULTI_ROLE`).
    #[prost(string, optional, tag = "6", default = "*")]
    pub role: Option<String>,
    /// Hostname shown in the UI.
    #[prost(string, optional, tag = "7")]
    pub hostname: Option<String>,
    /// Authentication principal.
    #[prost(string, optional, tag = "8")]
    pub principal: Option<String>,
    /// The framework's web UI.
    #[prost(string, optional, tag = "9")]
    pub webui_url: Option<String>,
    /// What the framework understands.
    #[prost(message, repeated, tag = "10")]
    pub capabilities: Vec<framework_info::Capability>,
    /// Free-form labels.
    #[prost(message, optional, tag = "11")]
    pub labels: Option<Labels>,
    /// Roles, with `MULTI_ROLE`.
    #[prost(string, repeated, tag = "12")]
    pub roles: Vec<String>,
}

/// Nested types of [`FrameworkInfo`].
pub mod framework_info {
    /// `FrameworkInfo.Capability`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Capability {
        /// The capability.
        #[prost(enumeration = "capability::Type", optional, tag = "1")]
        pub r#type: Option<i32>,
    }

    /// Nested types of [`Capability`].
    pub mod capability {
        proto_enum! {
            /// `FrameworkInfo.Capability.Type`.
            Type {
                /// A capability this build does not know.
                Unknown = 0 => "UNKNOWN",
                /// Receives revocable resources.
                RevocableResources = 1 => "REVOCABLE_RESOURCES",
                /// Understands `TASK_KILLING`.
                TaskKillingState = 2 => "TASK_KILLING_STATE",
                /// Receives offers from GPU agents.
                GpuResources = 3 => "GPU_RESOURCES",
                /// Receives shared resources.
                SharedResources = 4 => "SHARED_RESOURCES",
                /// Understands `TASK_UNREACHABLE` and friends.
                PartitionAware = 5 => "PARTITION_AWARE",
                /// Subscribes with several roles (`roles`, `allocation_info`).
                MultiRole = 6 => "MULTI_ROLE",
                /// Understands the `reservations` stack.
                ReservationRefinement = 7 => "RESERVATION_REFINEMENT",
                /// Receives offers from other regions.
                RegionAware = 8 => "REGION_AWARE",
            }
        }
    }
}

impl framework_info::Capability {
    /// A capability of the given type.
    pub fn of(kind: framework_info::capability::Type) -> Self {
        Self { r#type: Some(kind as i32) }
    }
}
