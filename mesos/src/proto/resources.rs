//! Resources and their values: `Value`, `Attribute`, `Resource` (both reservation formats).

use super::ResourceProviderId;

/// `mesos.v1.Value`: a typed scalar, ranges, set or text.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Value {
    /// Which of the fields below is meaningful.
    #[prost(enumeration = "value::Type", required, tag = "1")]
    pub r#type: i32,
    /// A scalar.
    #[prost(message, optional, tag = "2")]
    pub scalar: Option<value::Scalar>,
    /// Ranges.
    #[prost(message, optional, tag = "3")]
    pub ranges: Option<value::Ranges>,
    /// A set.
    #[prost(message, optional, tag = "4")]
    pub set: Option<value::Set>,
    /// Text.
    #[prost(message, optional, tag = "5")]
    pub text: Option<value::Text>,
}

/// Nested types of [`Value`].
pub mod value {
    proto_enum! {
        /// `Value.Type`.
        Type {
            /// A floating point number.
            Scalar = 0 => "SCALAR",
            /// Inclusive integer ranges.
            Ranges = 1 => "RANGES",
            /// A set of strings.
            Set = 2 => "SET",
            /// A string.
            Text = 3 => "TEXT",
        }
    }

    /// `Value.Scalar`; Mesos keeps three decimal digits.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Scalar {
        /// The number.
        #[prost(double, required, tag = "1")]
        pub value: f64,
    }

    /// `Value.Range`: `begin..=end`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Range {
        /// First value.
        #[prost(uint64, required, tag = "1")]
        pub begin: u64,
        /// Last value, inclusive.
        #[prost(uint64, required, tag = "2")]
        pub end: u64,
    }

    /// `Value.Ranges`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Ranges {
        /// The ranges.
        #[prost(message, repeated, tag = "1")]
        pub range: Vec<Range>,
    }

    /// `Value.Set`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Set {
        /// The items.
        #[prost(string, repeated, tag = "1")]
        pub item: Vec<String>,
    }

    /// `Value.Text`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Text {
        /// The text.
        #[prost(string, required, tag = "1")]
        pub value: String,
    }
}

/// `mesos.v1.Attribute`: a named, typed property of an agent.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Attribute {
    /// Name.
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// Which value field is meaningful.
    #[prost(enumeration = "value::Type", required, tag = "2")]
    pub r#type: i32,
    /// A scalar.
    #[prost(message, optional, tag = "3")]
    pub scalar: Option<value::Scalar>,
    /// Ranges.
    #[prost(message, optional, tag = "4")]
    pub ranges: Option<value::Ranges>,
    /// Text.
    #[prost(message, optional, tag = "5")]
    pub text: Option<value::Text>,
    /// A set.
    #[prost(message, optional, tag = "6")]
    pub set: Option<value::Set>,
}

/// `mesos.v1.Resource`.
///
/// Reservations come in two formats: the pre-refinement `role` + `reservation` (what a
/// master sends to frameworks without the `RESERVATION_REFINEMENT` capability, Spark among
/// them) and the refined stack `reservations`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Resource {
    /// Name: `cpus`, `mem`, `disk`, `ports`, `gpus`, ...
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// Which value field is meaningful.
    #[prost(enumeration = "value::Type", required, tag = "2")]
    pub r#type: i32,
    /// A scalar amount.
    #[prost(message, optional, tag = "3")]
    pub scalar: Option<value::Scalar>,
    /// Ranges (ports).
    #[prost(message, optional, tag = "4")]
    pub ranges: Option<value::Ranges>,
    /// A set.
    #[prost(message, optional, tag = "5")]
    pub set: Option<value::Set>,
    /// The role it is reserved for, `*` when unreserved (pre-refinement format).
    #[prost(string, optional, tag = "6", default = "*")]
    pub role: Option<String>,
    /// Persistent volume and disk source.
    #[prost(message, optional, tag = "7")]
    pub disk: Option<resource::DiskInfo>,
    /// The dynamic reservation (pre-refinement format).
    #[prost(message, optional, tag = "8")]
    pub reservation: Option<resource::ReservationInfo>,
    /// Set when the resource is revocable.
    #[prost(message, optional, tag = "9")]
    pub revocable: Option<resource::RevocableInfo>,
    /// Set when the resource is shared.
    #[prost(message, optional, tag = "10")]
    pub shared: Option<resource::SharedInfo>,
    /// The role it is allocated to (multi-role frameworks only).
    #[prost(message, optional, tag = "11")]
    pub allocation_info: Option<resource::AllocationInfo>,
    /// The resource provider it comes from.
    #[prost(message, optional, tag = "12")]
    pub provider_id: Option<ResourceProviderId>,
    /// The stack of reservations, outermost first (refined format).
    #[prost(message, repeated, tag = "13")]
    pub reservations: Vec<resource::ReservationInfo>,
}

/// Nested types of [`Resource`].
pub mod resource {
    use super::super::{Labels, Volume};

    /// `Resource.AllocationInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct AllocationInfo {
        /// The role the resource is allocated to.
        #[prost(string, optional, tag = "1")]
        pub role: Option<String>,
    }

    /// `Resource.ReservationInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct ReservationInfo {
        /// Who reserved it.
        #[prost(string, optional, tag = "1")]
        pub principal: Option<String>,
        /// Labels of the reservation.
        #[prost(message, optional, tag = "2")]
        pub labels: Option<Labels>,
        /// The role (refined format).
        #[prost(string, optional, tag = "3")]
        pub role: Option<String>,
        /// Static or dynamic (refined format).
        #[prost(enumeration = "reservation_info::Type", optional, tag = "4")]
        pub r#type: Option<i32>,
    }

    /// Nested types of [`ReservationInfo`].
    pub mod reservation_info {
        proto_enum! {
            /// `Resource.ReservationInfo.Type`.
            Type {
                /// Not set by a sender that predates the field.
                Unknown = 0 => "UNKNOWN",
                /// Reserved by agent flags.
                Static = 1 => "STATIC",
                /// Reserved by an operation.
                Dynamic = 2 => "DYNAMIC",
            }
        }
    }

    /// `Resource.DiskInfo`: persistent volume and source of a disk resource.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct DiskInfo {
        /// The persistent volume's id.
        #[prost(message, optional, tag = "1")]
        pub persistence: Option<disk_info::Persistence>,
        /// Where the volume is mounted in the container.
        #[prost(message, optional, tag = "2")]
        pub volume: Option<Volume>,
        /// The disk it lives on.
        #[prost(message, optional, tag = "3")]
        pub source: Option<disk_info::Source>,
    }

    /// Nested types of [`DiskInfo`].
    pub mod disk_info {
        /// `Resource.DiskInfo.Persistence`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct Persistence {
            /// The volume id, unique per role per agent.
            #[prost(string, required, tag = "1")]
            pub id: String,
            /// Who created it.
            #[prost(string, optional, tag = "2")]
            pub principal: Option<String>,
        }

        /// `Resource.DiskInfo.Source`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct Source {
            /// Path or mount disk.
            #[prost(enumeration = "source::Type", required, tag = "1")]
            pub r#type: i32,
            /// For a path disk.
            #[prost(message, optional, tag = "2")]
            pub path: Option<source::Path>,
            /// For a mount disk.
            #[prost(message, optional, tag = "3")]
            pub mount: Option<source::Mount>,
        }

        /// Nested types of [`Source`].
        pub mod source {
            proto_enum! {
                /// `Resource.DiskInfo.Source.Type`.
                Type {
                    /// Not set.
                    Unknown = 0 => "UNKNOWN",
                    /// A directory.
                    Path = 1 => "PATH",
                    /// A mounted filesystem.
                    Mount = 2 => "MOUNT",
                }
            }

            /// `Resource.DiskInfo.Source.Path`.
            #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
            pub struct Path {
                /// Root directory.
                #[prost(string, optional, tag = "1")]
                pub root: Option<String>,
            }

            /// `Resource.DiskInfo.Source.Mount`.
            #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
            pub struct Mount {
                /// Mount point.
                #[prost(string, optional, tag = "1")]
                pub root: Option<String>,
            }
        }
    }

    /// `Resource.RevocableInfo`: presence marks the resource revocable.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct RevocableInfo {}

    /// `Resource.SharedInfo`: presence marks the resource shared.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct SharedInfo {}
}
