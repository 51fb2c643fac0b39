//! Small shared messages: `TimeInfo`, `DurationInfo`, `Unavailability`, `Labels`, `Label`,
//! `Parameter`, `Parameters`, `Credential`.

/// `mesos.v1.TimeInfo`: a point in time, nanoseconds since the Unix epoch.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct TimeInfo {
    /// Nanoseconds since the epoch.
    #[prost(int64, required, tag = "1")]
    pub nanoseconds: i64,
}

/// `mesos.v1.DurationInfo`: a span of time in nanoseconds.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct DurationInfo {
    /// Length in nanoseconds.
    #[prost(int64, required, tag = "1")]
    pub nanoseconds: i64,
}

/// `mesos.v1.Unavailability`: a maintenance window.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Unavailability {
    /// When it starts.
    #[prost(message, required, tag = "1")]
    pub start: TimeInfo,
    /// How long it lasts; forever when absent.
    #[prost(message, optional, tag = "2")]
    pub duration: Option<DurationInfo>,
}

/// `mesos.v1.Labels`: free-form key/value pairs.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Labels {
    /// The labels, in order; keys may repeat.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
}

/// `mesos.v1.Label`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Label {
    /// The key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// The value, if any.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `mesos.v1.Parameter`: a key/value pair (docker parameters, URL queries).
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Parameter {
    /// The key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `mesos.v1.Parameters`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Parameters {
    /// The parameters, in order.
    #[prost(message, repeated, tag = "1")]
    pub parameter: Vec<Parameter>,
}

/// `mesos.v1.Credential`: a principal and its secret.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Credential {
    /// The principal.
    #[prost(string, required, tag = "1")]
    pub principal: String,
    /// The secret.
    #[prost(string, optional, tag = "2")]
    pub secret: Option<String>,
}
