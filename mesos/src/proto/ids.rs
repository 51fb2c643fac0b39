//! Identifiers: `FrameworkID`, `OfferID`, `AgentID`, `TaskID`, `ExecutorID`, `ContainerID`,
//! `ResourceProviderID`.

/// `mesos.v1.FrameworkID`: assigned by the master on the first SUBSCRIBE.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct FrameworkId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

/// `mesos.v1.OfferID`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct OfferId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

/// `mesos.v1.AgentID`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct AgentId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

/// `mesos.v1.TaskID`: chosen by the framework, unique within it.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct TaskId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

/// `mesos.v1.ExecutorID`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct ExecutorId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

/// `mesos.v1.ContainerID`; nested containers name their parent.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct ContainerId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
    /// The parent container, for a nested one.
    #[prost(message, optional, boxed, tag = "2")]
    pub parent: Option<Box<Self>>,
}

/// `mesos.v1.ResourceProviderID`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct ResourceProviderId {
    /// The id.
    #[prost(string, required, tag = "1")]
    pub value: String,
}

macro_rules! id_from {
    ($($t:ident),+) => {$(
        impl From<&str> for $t {
            fn from(value: &str) -> Self {
                Self { value: value.to_owned() }
            }
        }
        impl From<String> for $t {
            fn from(value: String) -> Self {
                Self { value }
            }
        }
    )+};
}
id_from!(FrameworkId, OfferId, AgentId, TaskId, ExecutorId, ResourceProviderId);
