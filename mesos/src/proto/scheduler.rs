//! `package mesos.v1.scheduler`: the [`Call`]s a scheduler sends and the [`Event`]s the
//! SUBSCRIBE stream carries.

use super::FrameworkId;

/// `mesos.v1.scheduler.Call`: one request to the master. Exactly the body matching `type`
/// is set.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Call {
    /// The framework; required for everything but the first SUBSCRIBE.
    #[prost(message, optional, tag = "1")]
    pub framework_id: Option<FrameworkId>,
    /// Which body is meaningful.
    #[prost(enumeration = "call::Type", optional, tag = "2")]
    pub r#type: Option<i32>,
    /// SUBSCRIBE.
    #[prost(message, optional, tag = "3")]
    pub subscribe: Option<call::Subscribe>,
    /// ACCEPT.
    #[prost(message, optional, tag = "4")]
    pub accept: Option<call::Accept>,
    /// DECLINE.
    #[prost(message, optional, tag = "5")]
    pub decline: Option<call::Decline>,
    /// KILL.
    #[prost(message, optional, tag = "6")]
    pub kill: Option<call::Kill>,
    /// SHUTDOWN.
    #[prost(message, optional, tag = "7")]
    pub shutdown: Option<call::Shutdown>,
    /// ACKNOWLEDGE.
    #[prost(message, optional, tag = "8")]
    pub acknowledge: Option<call::Acknowledge>,
    /// RECONCILE.
    #[prost(message, optional, tag = "9")]
    pub reconcile: Option<call::Reconcile>,
    /// MESSAGE.
    #[prost(message, optional, tag = "10")]
    pub message: Option<call::Message>,
    /// REQUEST.
    #[prost(message, optional, tag = "11")]
    pub request: Option<call::Request>,
    /// ACCEPT_INVERSE_OFFERS.
    #[prost(message, optional, tag = "13")]
    pub accept_inverse_offers: Option<call::AcceptInverseOffers>,
    /// DECLINE_INVERSE_OFFERS.
    #[prost(message, optional, tag = "14")]
    pub decline_inverse_offers: Option<call::DeclineInverseOffers>,
    /// REVIVE.
    #[prost(message, optional, tag = "15")]
    pub revive: Option<call::Revive>,
    /// SUPPRESS.
    #[prost(message, optional, tag = "16")]
    pub suppress: Option<call::Suppress>,
}

/// Nested types of [`Call`].
pub mod call {
    use super::super::{
        offer, AgentId, ExecutorId, Filters, FrameworkInfo, KillPolicy, OfferId, TaskId,
    };

    proto_enum! {
        /// `Call.Type`. Values from 15 on are newer than Mesos 1.4 and have no body here.
        Type {
            /// Not set or not known.
            Unknown = 0 => "UNKNOWN",
            /// Open the event stream.
            Subscribe = 1 => "SUBSCRIBE",
            /// Remove the framework, killing its tasks.
            Teardown = 2 => "TEARDOWN",
            /// Use offers.
            Accept = 3 => "ACCEPT",
            /// Decline offers.
            Decline = 4 => "DECLINE",
            /// Clear filters and resume offers.
            Revive = 5 => "REVIVE",
            /// Kill a task.
            Kill = 6 => "KILL",
            /// Shut an executor down.
            Shutdown = 7 => "SHUTDOWN",
            /// Acknowledge a status update.
            Acknowledge = 8 => "ACKNOWLEDGE",
            /// Ask for the state of tasks.
            Reconcile = 9 => "RECONCILE",
            /// Send data to an executor.
            Message = 10 => "MESSAGE",
            /// Request resources.
            Request = 11 => "REQUEST",
            /// Stop offers.
            Suppress = 12 => "SUPPRESS",
            /// Accept inverse offers.
            AcceptInverseOffers = 13 => "ACCEPT_INVERSE_OFFERS",
            /// Decline inverse offers.
            DeclineInverseOffers = 14 => "DECLINE_INVERSE_OFFERS",
            /// Acknowledge an operation status update (Mesos 1.5+).
            AcknowledgeOperationStatus = 15 => "ACKNOWLEDGE_OPERATION_STATUS",
            /// Reconcile operations (Mesos 1.5+).
            ReconcileOperations = 16 => "RECONCILE_OPERATIONS",
            /// Update the FrameworkInfo (Mesos 1.9+).
            UpdateFramework = 17 => "UPDATE_FRAMEWORK",
        }
    }

    /// `Call.Subscribe`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Subscribe {
        /// Who the framework is; `id` set when re-subscribing.
        #[prost(message, required, tag = "1")]
        pub framework_info: FrameworkInfo,
        /// Roles to subscribe suppressed.
        #[prost(string, repeated, tag = "2")]
        pub suppressed_roles: Vec<String>,
    }

    /// `Call.Accept`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Accept {
        /// The offers used (all on one agent).
        #[prost(message, repeated, tag = "1")]
        pub offer_ids: Vec<OfferId>,
        /// What to do with them.
        #[prost(message, repeated, tag = "2")]
        pub operations: Vec<offer::Operation>,
        /// Filters for the unused remainder.
        #[prost(message, optional, tag = "3")]
        pub filters: Option<Filters>,
    }

    /// `Call.Decline`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Decline {
        /// The offers.
        #[prost(message, repeated, tag = "1")]
        pub offer_ids: Vec<OfferId>,
        /// How long to stay away.
        #[prost(message, optional, tag = "2")]
        pub filters: Option<Filters>,
    }

    /// `Call.AcceptInverseOffers`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct AcceptInverseOffers {
        /// The inverse offers.
        #[prost(message, repeated, tag = "1")]
        pub inverse_offer_ids: Vec<OfferId>,
        /// Filters.
        #[prost(message, optional, tag = "2")]
        pub filters: Option<Filters>,
    }

    /// `Call.DeclineInverseOffers`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct DeclineInverseOffers {
        /// The inverse offers.
        #[prost(message, repeated, tag = "1")]
        pub inverse_offer_ids: Vec<OfferId>,
        /// Filters.
        #[prost(message, optional, tag = "2")]
        pub filters: Option<Filters>,
    }

    /// `Call.Revive`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Revive {
        /// Roles to revive; all when empty.
        #[prost(string, repeated, tag = "1")]
        pub roles: Vec<String>,
    }

    /// `Call.Kill`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Kill {
        /// The task.
        #[prost(message, required, tag = "1")]
        pub task_id: TaskId,
        /// Its agent.
        #[prost(message, optional, tag = "2")]
        pub agent_id: Option<AgentId>,
        /// Overrides the task's own kill policy.
        #[prost(message, optional, tag = "3")]
        pub kill_policy: Option<KillPolicy>,
    }

    /// `Call.Shutdown`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Shutdown {
        /// The executor.
        #[prost(message, required, tag = "1")]
        pub executor_id: ExecutorId,
        /// Its agent.
        #[prost(message, required, tag = "2")]
        pub agent_id: AgentId,
    }

    /// `Call.Acknowledge`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Acknowledge {
        /// The agent that sent the update.
        #[prost(message, required, tag = "1")]
        pub agent_id: AgentId,
        /// The task.
        #[prost(message, required, tag = "2")]
        pub task_id: TaskId,
        /// The update's `uuid`.
        #[prost(bytes = "vec", required, tag = "3")]
        pub uuid: Vec<u8>,
    }

    /// `Call.Reconcile`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Reconcile {
        /// Tasks to reconcile; every known task when empty.
        #[prost(message, repeated, tag = "1")]
        pub tasks: Vec<reconcile::Task>,
    }

    /// Nested types of [`Reconcile`].
    pub mod reconcile {
        use super::{AgentId, TaskId};

        /// `Call.Reconcile.Task`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct Task {
            /// The task.
            #[prost(message, required, tag = "1")]
            pub task_id: TaskId,
            /// Its agent, if known.
            #[prost(message, optional, tag = "2")]
            pub agent_id: Option<AgentId>,
        }
    }

    /// `Call.Message`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Message {
        /// The agent.
        #[prost(message, required, tag = "1")]
        pub agent_id: AgentId,
        /// The executor.
        #[prost(message, required, tag = "2")]
        pub executor_id: ExecutorId,
        /// The data.
        #[prost(bytes = "vec", required, tag = "3")]
        pub data: Vec<u8>,
    }

    /// `Call.Request`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Request {
        /// The requests.
        #[prost(message, repeated, tag = "1")]
        pub requests: Vec<super::super::Request>,
    }

    /// `Call.Suppress`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Suppress {
        /// Roles to suppress; all when empty.
        #[prost(string, repeated, tag = "1")]
        pub roles: Vec<String>,
    }
}

/// `mesos.v1.scheduler.Event`: one record of the SUBSCRIBE stream. Exactly the body matching
/// `type` is set (HEARTBEAT has none).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Event {
    /// Which body is meaningful.
    #[prost(enumeration = "event::Type", optional, tag = "1")]
    pub r#type: Option<i32>,
    /// SUBSCRIBED.
    #[prost(message, optional, tag = "2")]
    pub subscribed: Option<event::Subscribed>,
    /// OFFERS.
    #[prost(message, optional, tag = "3")]
    pub offers: Option<event::Offers>,
    /// RESCIND.
    #[prost(message, optional, tag = "4")]
    pub rescind: Option<event::Rescind>,
    /// UPDATE.
    #[prost(message, optional, tag = "5")]
    pub update: Option<event::Update>,
    /// MESSAGE.
    #[prost(message, optional, tag = "6")]
    pub message: Option<event::Message>,
    /// FAILURE.
    #[prost(message, optional, tag = "7")]
    pub failure: Option<event::Failure>,
    /// ERROR.
    #[prost(message, optional, tag = "8")]
    pub error: Option<event::Error>,
    /// INVERSE_OFFERS.
    #[prost(message, optional, tag = "9")]
    pub inverse_offers: Option<event::InverseOffers>,
    /// RESCIND_INVERSE_OFFER.
    #[prost(message, optional, tag = "10")]
    pub rescind_inverse_offer: Option<event::RescindInverseOffer>,
}

/// Nested types of [`Event`].
pub mod event {
    use super::super::{
        AgentId, ExecutorId, FrameworkId, InverseOffer, MasterInfo, Offer, OfferId, TaskStatus,
    };

    proto_enum! {
        /// `Event.Type`. UPDATE_OPERATION_STATUS is newer than Mesos 1.4 and has no body here.
        Type {
            /// Not set or not known.
            Unknown = 0 => "UNKNOWN",
            /// The subscription is accepted.
            Subscribed = 1 => "SUBSCRIBED",
            /// New offers.
            Offers = 2 => "OFFERS",
            /// An offer is withdrawn.
            Rescind = 3 => "RESCIND",
            /// A task status update.
            Update = 4 => "UPDATE",
            /// Data from an executor.
            Message = 5 => "MESSAGE",
            /// An agent or executor is gone.
            Failure = 6 => "FAILURE",
            /// The subscription failed; abort.
            Error = 7 => "ERROR",
            /// The master is alive.
            Heartbeat = 8 => "HEARTBEAT",
            /// Inverse offers.
            InverseOffers = 9 => "INVERSE_OFFERS",
            /// An inverse offer is withdrawn.
            RescindInverseOffer = 10 => "RESCIND_INVERSE_OFFER",
            /// An operation status update (Mesos 1.5+).
            UpdateOperationStatus = 11 => "UPDATE_OPERATION_STATUS",
        }
    }

    /// `Event.Subscribed`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Subscribed {
        /// The framework's id (new, or the one re-subscribed with).
        #[prost(message, required, tag = "1")]
        pub framework_id: FrameworkId,
        /// Seconds between heartbeats.
        #[prost(double, optional, tag = "2")]
        pub heartbeat_interval_seconds: Option<f64>,
        /// The leading master.
        #[prost(message, optional, tag = "3")]
        pub master_info: Option<MasterInfo>,
    }

    /// `Event.Offers`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Offers {
        /// The offers.
        #[prost(message, repeated, tag = "1")]
        pub offers: Vec<Offer>,
    }

    /// `Event.InverseOffers`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct InverseOffers {
        /// The inverse offers.
        #[prost(message, repeated, tag = "1")]
        pub inverse_offers: Vec<InverseOffer>,
    }

    /// `Event.Rescind`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Rescind {
        /// The offer withdrawn.
        #[prost(message, required, tag = "1")]
        pub offer_id: OfferId,
    }

    /// `Event.RescindInverseOffer`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct RescindInverseOffer {
        /// The inverse offer withdrawn.
        #[prost(message, required, tag = "1")]
        pub inverse_offer_id: OfferId,
    }

    /// `Event.Update`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Update {
        /// The status.
        #[prost(message, required, tag = "1")]
        pub status: TaskStatus,
    }

    /// `Event.Message`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Message {
        /// The agent.
        #[prost(message, required, tag = "1")]
        pub agent_id: AgentId,
        /// The executor.
        #[prost(message, required, tag = "2")]
        pub executor_id: ExecutorId,
        /// The data.
        #[prost(bytes = "vec", required, tag = "3")]
        pub data: Vec<u8>,
    }

    /// `Event.Failure`: an agent (no executor) or an executor (with exit status) is gone.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Failure {
        /// The agent.
        #[prost(message, optional, tag = "1")]
        pub agent_id: Option<AgentId>,
        /// The executor, if it was one.
        #[prost(message, optional, tag = "2")]
        pub executor_id: Option<ExecutorId>,
        /// The executor's exit status.
        #[prost(int32, optional, tag = "3")]
        pub status: Option<i32>,
    }

    /// `Event.Error`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Error {
        /// Why.
        #[prost(string, required, tag = "1")]
        pub message: String,
    }
}
