//! Where the master is: `MasterInfo`, `Address`, `URL`, `DomainInfo`.

use super::Parameter;

/// `mesos.v1.MasterInfo`: sent in SUBSCRIBED.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MasterInfo {
    /// The master's id.
    #[prost(string, required, tag = "1")]
    pub id: String,
    /// IPv4 address packed in network byte order (deprecated by `address`).
    #[prost(uint32, required, tag = "2")]
    pub ip: u32,
    /// Port.
    #[prost(uint32, required, tag = "3", default = "5050")]
    pub port: u32,
    /// libprocess pid, `master@ip:port`.
    #[prost(string, optional, tag = "4")]
    pub pid: Option<String>,
    /// Hostname.
    #[prost(string, optional, tag = "5")]
    pub hostname: Option<String>,
    /// Mesos version.
    #[prost(string, optional, tag = "6")]
    pub version: Option<String>,
    /// Where to reach it.
    #[prost(message, optional, tag = "7")]
    pub address: Option<Address>,
    /// Its fault domain.
    #[prost(message, optional, tag = "8")]
    pub domain: Option<DomainInfo>,
}

/// `mesos.v1.Address`: a hostname and/or IP and a port.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Address {
    /// Hostname.
    #[prost(string, optional, tag = "1")]
    pub hostname: Option<String>,
    /// IP address as text.
    #[prost(string, optional, tag = "2")]
    pub ip: Option<String>,
    /// Port.
    #[prost(int32, required, tag = "3")]
    pub port: i32,
}

/// `mesos.v1.URL`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Url {
    /// Scheme, e.g. `http`.
    #[prost(string, required, tag = "1")]
    pub scheme: String,
    /// Host and port.
    #[prost(message, required, tag = "2")]
    pub address: Address,
    /// Path.
    #[prost(string, optional, tag = "3")]
    pub path: Option<String>,
    /// Query parameters.
    #[prost(message, repeated, tag = "4")]
    pub query: Vec<Parameter>,
    /// Fragment.
    #[prost(string, optional, tag = "5")]
    pub fragment: Option<String>,
}

/// `mesos.v1.DomainInfo`: a fault domain (region and zone).
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct DomainInfo {
    /// The fault domain.
    #[prost(message, optional, tag = "1")]
    pub fault_domain: Option<domain_info::FaultDomain>,
}

/// Nested types of [`DomainInfo`].
pub mod domain_info {
    /// `DomainInfo.FaultDomain`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct FaultDomain {
        /// Region.
        #[prost(message, required, tag = "1")]
        pub region: fault_domain::RegionInfo,
        /// Zone.
        #[prost(message, required, tag = "2")]
        pub zone: fault_domain::ZoneInfo,
    }

    /// Nested types of [`FaultDomain`].
    pub mod fault_domain {
        /// `DomainInfo.FaultDomain.RegionInfo`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct RegionInfo {
            /// Region name.
            #[prost(string, required, tag = "1")]
            pub name: String,
        }

        /// `DomainInfo.FaultDomain.ZoneInfo`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct ZoneInfo {
            /// Zone name.
            #[prost(string, required, tag = "1")]
            pub name: String,
        }
    }
}
