//! Offers and what a framework does with them: `Offer`, `Offer.Operation`, `InverseOffer`,
//! `Filters`, `Request`.

use super::{
    resource, AgentId, Attribute, DomainInfo, ExecutorId, FrameworkId, OfferId, Resource,
    Unavailability, Url,
};

/// `mesos.v1.Offer`: resources on one agent, offered to one framework.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Offer {
    /// The offer's id.
    #[prost(message, required, tag = "1")]
    pub id: OfferId,
    /// The framework it is offered to.
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    /// The agent the resources are on.
    #[prost(message, required, tag = "3")]
    pub agent_id: AgentId,
    /// The agent's hostname.
    #[prost(string, required, tag = "4")]
    pub hostname: String,
    /// The offered resources.
    #[prost(message, repeated, tag = "5")]
    pub resources: Vec<Resource>,
    /// The framework's executors already running on the agent.
    #[prost(message, repeated, tag = "6")]
    pub executor_ids: Vec<ExecutorId>,
    /// The agent's attributes.
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<Attribute>,
    /// The agent's HTTP endpoint.
    #[prost(message, optional, tag = "8")]
    pub url: Option<Url>,
    /// Upcoming maintenance of the agent.
    #[prost(message, optional, tag = "9")]
    pub unavailability: Option<Unavailability>,
    /// The role the offer is allocated to (multi-role frameworks only).
    #[prost(message, optional, tag = "10")]
    pub allocation_info: Option<resource::AllocationInfo>,
    /// The agent's fault domain.
    #[prost(message, optional, tag = "11")]
    pub domain: Option<DomainInfo>,
}

/// Nested types of [`Offer`].
pub mod offer {
    use super::super::{ExecutorInfo, Resource, TaskGroupInfo, TaskInfo};

    /// `Offer.Operation`: one thing to do with accepted resources.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Operation {
        /// Which body below is meaningful.
        #[prost(enumeration = "operation::Type", optional, tag = "1")]
        pub r#type: Option<i32>,
        /// LAUNCH.
        #[prost(message, optional, tag = "2")]
        pub launch: Option<operation::Launch>,
        /// RESERVE.
        #[prost(message, optional, tag = "3")]
        pub reserve: Option<operation::Reserve>,
        /// UNRESERVE.
        #[prost(message, optional, tag = "4")]
        pub unreserve: Option<operation::Unreserve>,
        /// CREATE.
        #[prost(message, optional, tag = "5")]
        pub create: Option<operation::Create>,
        /// DESTROY.
        #[prost(message, optional, tag = "6")]
        pub destroy: Option<operation::Destroy>,
        /// LAUNCH_GROUP.
        #[prost(message, optional, tag = "7")]
        pub launch_group: Option<operation::LaunchGroup>,
    }

    /// Nested types of [`Operation`].
    pub mod operation {
        use super::{ExecutorInfo, Resource, TaskGroupInfo, TaskInfo};

        proto_enum! {
            /// `Offer.Operation.Type`.
            Type {
                /// Not set or not known.
                Unknown = 0 => "UNKNOWN",
                /// Launch tasks.
                Launch = 1 => "LAUNCH",
                /// Dynamically reserve resources.
                Reserve = 2 => "RESERVE",
                /// Release a dynamic reservation.
                Unreserve = 3 => "UNRESERVE",
                /// Create persistent volumes.
                Create = 4 => "CREATE",
                /// Destroy persistent volumes.
                Destroy = 5 => "DESTROY",
                /// Launch a task group under one executor.
                LaunchGroup = 6 => "LAUNCH_GROUP",
            }
        }

        /// `Offer.Operation.Launch`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct Launch {
            /// The tasks.
            #[prost(message, repeated, tag = "1")]
            pub task_infos: Vec<TaskInfo>,
        }

        /// `Offer.Operation.LaunchGroup`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct LaunchGroup {
            /// The executor that runs the group.
            #[prost(message, required, tag = "1")]
            pub executor: ExecutorInfo,
            /// The tasks.
            #[prost(message, required, tag = "2")]
            pub task_group: TaskGroupInfo,
        }

        /// `Offer.Operation.Reserve`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct Reserve {
            /// Resources to reserve.
            #[prost(message, repeated, tag = "1")]
            pub resources: Vec<Resource>,
        }

        /// `Offer.Operation.Unreserve`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct Unreserve {
            /// Resources to unreserve.
            #[prost(message, repeated, tag = "1")]
            pub resources: Vec<Resource>,
        }

        /// `Offer.Operation.Create`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct Create {
            /// Volumes to create.
            #[prost(message, repeated, tag = "1")]
            pub volumes: Vec<Resource>,
        }

        /// `Offer.Operation.Destroy`.
        #[derive(Clone, PartialEq, ::prost::Message)]
        pub struct Destroy {
            /// Volumes to destroy.
            #[prost(message, repeated, tag = "1")]
            pub volumes: Vec<Resource>,
        }
    }
}

/// `mesos.v1.InverseOffer`: the master asks for resources back before maintenance.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct InverseOffer {
    /// Its id.
    #[prost(message, required, tag = "1")]
    pub id: OfferId,
    /// The agent's HTTP endpoint.
    #[prost(message, optional, tag = "2")]
    pub url: Option<Url>,
    /// The framework asked.
    #[prost(message, required, tag = "3")]
    pub framework_id: FrameworkId,
    /// The agent going down, if it is a whole agent.
    #[prost(message, optional, tag = "4")]
    pub agent_id: Option<AgentId>,
    /// When.
    #[prost(message, required, tag = "5")]
    pub unavailability: Unavailability,
    /// Which resources, if not all.
    #[prost(message, repeated, tag = "6")]
    pub resources: Vec<Resource>,
}

/// `mesos.v1.Filters`: how long declined resources stay away.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Filters {
    /// Seconds before the same resources are offered again (master default 5).
    #[prost(double, optional, tag = "1", default = "5")]
    pub refuse_seconds: Option<f64>,
}

/// `mesos.v1.Request`: a resource request (REQUEST call; unused by Mesos's allocator).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Request {
    /// Agent wanted.
    #[prost(message, optional, tag = "1")]
    pub agent_id: Option<AgentId>,
    /// Resources wanted.
    #[prost(message, repeated, tag = "2")]
    pub resources: Vec<Resource>,
}
