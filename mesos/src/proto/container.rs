//! Containers: `ContainerInfo` (Docker and Mesos), `Image`, `Volume`, `NetworkInfo`,
//! `LinuxInfo`, `RLimitInfo`, `TTYInfo`, `ContainerStatus`, `CgroupInfo`.

use super::{ContainerId, Credential, Labels, Parameter, Parameters, Secret};

/// `mesos.v1.ContainerInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ContainerInfo {
    /// DOCKER or MESOS containerizer.
    #[prost(enumeration = "container_info::Type", required, tag = "1")]
    pub r#type: i32,
    /// Volumes mounted into the container.
    #[prost(message, repeated, tag = "2")]
    pub volumes: Vec<Volume>,
    /// For the Docker containerizer.
    #[prost(message, optional, tag = "3")]
    pub docker: Option<container_info::DockerInfo>,
    /// The container's hostname.
    #[prost(string, optional, tag = "4")]
    pub hostname: Option<String>,
    /// For the Mesos containerizer.
    #[prost(message, optional, tag = "5")]
    pub mesos: Option<container_info::MesosInfo>,
    /// Networks to join.
    #[prost(message, repeated, tag = "7")]
    pub network_infos: Vec<NetworkInfo>,
    /// Linux capabilities and namespaces.
    #[prost(message, optional, tag = "8")]
    pub linux_info: Option<LinuxInfo>,
    /// Resource limits.
    #[prost(message, optional, tag = "9")]
    pub rlimit_info: Option<RLimitInfo>,
    /// A terminal.
    #[prost(message, optional, tag = "10")]
    pub tty_info: Option<TtyInfo>,
}

/// Nested types of [`ContainerInfo`].
pub mod container_info {
    use super::{Image, Parameter};

    proto_enum! {
        /// `ContainerInfo.Type`.
        Type {
            /// The Docker containerizer.
            Docker = 1 => "DOCKER",
            /// The Mesos containerizer.
            Mesos = 2 => "MESOS",
        }
    }

    /// `ContainerInfo.DockerInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct DockerInfo {
        /// The image, `repo/name:tag`.
        #[prost(string, required, tag = "1")]
        pub image: String,
        /// Network mode.
        #[prost(enumeration = "docker_info::Network", optional, tag = "2", default = "Host")]
        pub network: Option<i32>,
        /// Port mappings (BRIDGE and USER modes).
        #[prost(message, repeated, tag = "3")]
        pub port_mappings: Vec<docker_info::PortMapping>,
        /// `--privileged`.
        #[prost(bool, optional, tag = "4", default = "false")]
        pub privileged: Option<bool>,
        /// Extra `docker run` flags.
        #[prost(message, repeated, tag = "5")]
        pub parameters: Vec<Parameter>,
        /// Pull even when the image is present.
        #[prost(bool, optional, tag = "6")]
        pub force_pull_image: Option<bool>,
        /// Volume driver (deprecated).
        #[prost(string, optional, tag = "7")]
        pub volume_driver: Option<String>,
    }

    /// Nested types of [`DockerInfo`].
    pub mod docker_info {
        proto_enum! {
            /// `ContainerInfo.DockerInfo.Network`.
            Network {
                /// The host's network stack.
                Host = 1 => "HOST",
                /// Docker's bridge.
                Bridge = 2 => "BRIDGE",
                /// No network.
                None = 3 => "NONE",
                /// A user-defined network.
                User = 4 => "USER",
            }
        }

        /// `ContainerInfo.DockerInfo.PortMapping`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct PortMapping {
            /// Port on the host.
            #[prost(uint32, required, tag = "1")]
            pub host_port: u32,
            /// Port in the container.
            #[prost(uint32, required, tag = "2")]
            pub container_port: u32,
            /// `tcp` or `udp`.
            #[prost(string, optional, tag = "3")]
            pub protocol: Option<String>,
        }
    }

    /// `ContainerInfo.MesosInfo`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct MesosInfo {
        /// The image to provision, if any.
        #[prost(message, optional, tag = "1")]
        pub image: Option<Image>,
    }
}

/// `mesos.v1.Image`: an APPC or Docker image for the Mesos containerizer.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Image {
    /// APPC or DOCKER.
    #[prost(enumeration = "image::Type", required, tag = "1")]
    pub r#type: i32,
    /// For an APPC image.
    #[prost(message, optional, tag = "2")]
    pub appc: Option<image::Appc>,
    /// For a Docker image.
    #[prost(message, optional, tag = "3")]
    pub docker: Option<image::Docker>,
    /// Whether a cached copy may be used.
    #[prost(bool, optional, tag = "4", default = "true")]
    pub cached: Option<bool>,
}

/// Nested types of [`Image`].
pub mod image {
    use super::{Credential, Labels, Secret};

    proto_enum! {
        /// `Image.Type`.
        Type {
            /// App Container image.
            Appc = 1 => "APPC",
            /// Docker image.
            Docker = 2 => "DOCKER",
        }
    }

    /// `Image.Appc`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Appc {
        /// Name.
        #[prost(string, required, tag = "1")]
        pub name: String,
        /// Image id.
        #[prost(string, optional, tag = "2")]
        pub id: Option<String>,
        /// Labels.
        #[prost(message, optional, tag = "3")]
        pub labels: Option<Labels>,
    }

    /// `Image.Docker`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Docker {
        /// `repo/name:tag`.
        #[prost(string, required, tag = "1")]
        pub name: String,
        /// Registry credential (deprecated by `config`).
        #[prost(message, optional, tag = "2")]
        pub credential: Option<Credential>,
        /// Docker config (`~/.docker/config.json`) as a secret.
        #[prost(message, optional, tag = "3")]
        pub config: Option<Secret>,
    }
}

/// `mesos.v1.Volume`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Volume {
    /// Path in the container.
    #[prost(string, required, tag = "1")]
    pub container_path: String,
    /// Path on the host.
    #[prost(string, optional, tag = "2")]
    pub host_path: Option<String>,
    /// RW or RO.
    #[prost(enumeration = "volume::Mode", required, tag = "3")]
    pub mode: i32,
    /// An image to mount.
    #[prost(message, optional, tag = "4")]
    pub image: Option<Image>,
    /// Where the volume comes from.
    #[prost(message, optional, tag = "5")]
    pub source: Option<volume::Source>,
}

/// Nested types of [`Volume`].
pub mod volume {
    use super::{Parameters, Secret};

    proto_enum! {
        /// `Volume.Mode`.
        Mode {
            /// Read-write.
            Rw = 1 => "RW",
            /// Read-only.
            Ro = 2 => "RO",
        }
    }

    /// `Volume.Source`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct Source {
        /// Which body below is meaningful.
        #[prost(enumeration = "source::Type", optional, tag = "1")]
        pub r#type: Option<i32>,
        /// A Docker volume.
        #[prost(message, optional, tag = "2")]
        pub docker_volume: Option<source::DockerVolume>,
        /// A path in a sandbox.
        #[prost(message, optional, tag = "3")]
        pub sandbox_path: Option<source::SandboxPath>,
        /// A secret as a file.
        #[prost(message, optional, tag = "4")]
        pub secret: Option<Secret>,
    }

    /// Nested types of [`Source`].
    pub mod source {
        use super::Parameters;

        proto_enum! {
            /// `Volume.Source.Type`.
            Type {
                /// Not set.
                Unknown = 0 => "UNKNOWN",
                /// A Docker volume.
                DockerVolume = 1 => "DOCKER_VOLUME",
                /// A sandbox path.
                SandboxPath = 2 => "SANDBOX_PATH",
                /// A secret.
                Secret = 3 => "SECRET",
            }
        }

        /// `Volume.Source.DockerVolume`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct DockerVolume {
            /// Volume driver.
            #[prost(string, optional, tag = "1")]
            pub driver: Option<String>,
            /// Volume name.
            #[prost(string, required, tag = "2")]
            pub name: String,
            /// Driver options.
            #[prost(message, optional, tag = "3")]
            pub driver_options: Option<Parameters>,
        }

        /// `Volume.Source.SandboxPath`.
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct SandboxPath {
            /// Own or parent sandbox.
            #[prost(enumeration = "sandbox_path::Type", optional, tag = "1")]
            pub r#type: Option<i32>,
            /// Path relative to the sandbox.
            #[prost(string, required, tag = "2")]
            pub path: String,
        }

        /// Nested types of [`SandboxPath`].
        pub mod sandbox_path {
            proto_enum! {
                /// `Volume.Source.SandboxPath.Type`.
                Type {
                    /// Not set.
                    Unknown = 0 => "UNKNOWN",
                    /// The container's own sandbox.
                    SelfSandbox = 1 => "SELF",
                    /// The parent container's sandbox.
                    Parent = 2 => "PARENT",
                }
            }
        }
    }
}

/// `mesos.v1.NetworkInfo`: a network a container joins.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct NetworkInfo {
    /// Network groups.
    #[prost(string, repeated, tag = "3")]
    pub groups: Vec<String>,
    /// Labels.
    #[prost(message, optional, tag = "4")]
    pub labels: Option<Labels>,
    /// Requested or assigned addresses.
    #[prost(message, repeated, tag = "5")]
    pub ip_addresses: Vec<network_info::IpAddress>,
    /// The network's name (CNI).
    #[prost(string, optional, tag = "6")]
    pub name: Option<String>,
    /// Port mappings.
    #[prost(message, repeated, tag = "7")]
    pub port_mappings: Vec<network_info::PortMapping>,
}

/// Nested types of [`NetworkInfo`].
pub mod network_info {
    proto_enum! {
        /// `NetworkInfo.Protocol`.
        Protocol {
            /// IPv4.
            IPv4 = 1 => "IPv4",
            /// IPv6.
            IPv6 = 2 => "IPv6",
        }
    }

    /// `NetworkInfo.IPAddress`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct IpAddress {
        /// Address family.
        #[prost(enumeration = "Protocol", optional, tag = "1", default = "IPv4")]
        pub protocol: Option<i32>,
        /// The address.
        #[prost(string, optional, tag = "2")]
        pub ip_address: Option<String>,
    }

    /// `NetworkInfo.PortMapping`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct PortMapping {
        /// Port on the host.
        #[prost(uint32, required, tag = "1")]
        pub host_port: u32,
        /// Port in the container.
        #[prost(uint32, required, tag = "2")]
        pub container_port: u32,
        /// `tcp` or `udp`.
        #[prost(string, optional, tag = "3")]
        pub protocol: Option<String>,
    }
}

/// `mesos.v1.CapabilityInfo`: Linux capabilities.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct CapabilityInfo {
    /// The capabilities.
    #[prost(enumeration = "capability_info::Capability", repeated, packed = "false", tag = "1")]
    pub capabilities: Vec<i32>,
}

/// Nested types of [`CapabilityInfo`].
pub mod capability_info {
    proto_enum! {
        /// `CapabilityInfo.Capability`: Linux capabilities, numbered from 1000.
        Capability {
            /// `UNKNOWN`.
            Unknown = 0 => "UNKNOWN",
            /// `CHOWN`.
            Chown = 1000 => "CHOWN",
            /// `DAC_OVERRIDE`.
            DacOverride = 1001 => "DAC_OVERRIDE",
            /// `DAC_READ_SEARCH`.
            DacReadSearch = 1002 => "DAC_READ_SEARCH",
            /// `FOWNER`.
            Fowner = 1003 => "FOWNER",
            /// `FSETID`.
            Fsetid = 1004 => "FSETID",
            /// `KILL`.
            Kill = 1005 => "KILL",
            /// `SETGID`.
            Setgid = 1006 => "SETGID",
            /// `SETUID`.
            Setuid = 1007 => "SETUID",
            /// `SETPCAP`.
            Setpcap = 1008 => "SETPCAP",
            /// `LINUX_IMMUTABLE`.
            LinuxImmutable = 1009 => "LINUX_IMMUTABLE",
            /// `NET_BIND_SERVICE`.
            NetBindService = 1010 => "NET_BIND_SERVICE",
            /// `NET_BROADCAST`.
            NetBroadcast = 1011 => "NET_BROADCAST",
            /// `NET_ADMIN`.
            NetAdmin = 1012 => "NET_ADMIN",
            /// `NET_RAW`.
            NetRaw = 1013 => "NET_RAW",
            /// `IPC_LOCK`.
            IpcLock = 1014 => "IPC_LOCK",
            /// `IPC_OWNER`.
            IpcOwner = 1015 => "IPC_OWNER",
            /// `SYS_MODULE`.
            SysModule = 1016 => "SYS_MODULE",
            /// `SYS_RAWIO`.
            SysRawio = 1017 => "SYS_RAWIO",
            /// `SYS_CHROOT`.
            SysChroot = 1018 => "SYS_CHROOT",
            /// `SYS_PTRACE`.
            SysPtrace = 1019 => "SYS_PTRACE",
            /// `SYS_PACCT`.
            SysPacct = 1020 => "SYS_PACCT",
            /// `SYS_ADMIN`.
            SysAdmin = 1021 => "SYS_ADMIN",
            /// `SYS_BOOT`.
            SysBoot = 1022 => "SYS_BOOT",
            /// `SYS_NICE`.
            SysNice = 1023 => "SYS_NICE",
            /// `SYS_RESOURCE`.
            SysResource = 1024 => "SYS_RESOURCE",
            /// `SYS_TIME`.
            SysTime = 1025 => "SYS_TIME",
            /// `SYS_TTY_CONFIG`.
            SysTtyConfig = 1026 => "SYS_TTY_CONFIG",
            /// `MKNOD`.
            Mknod = 1027 => "MKNOD",
            /// `LEASE`.
            Lease = 1028 => "LEASE",
            /// `AUDIT_WRITE`.
            AuditWrite = 1029 => "AUDIT_WRITE",
            /// `AUDIT_CONTROL`.
            AuditControl = 1030 => "AUDIT_CONTROL",
            /// `SETFCAP`.
            Setfcap = 1031 => "SETFCAP",
            /// `MAC_OVERRIDE`.
            MacOverride = 1032 => "MAC_OVERRIDE",
            /// `MAC_ADMIN`.
            MacAdmin = 1033 => "MAC_ADMIN",
            /// `SYSLOG`.
            Syslog = 1034 => "SYSLOG",
            /// `WAKE_ALARM`.
            WakeAlarm = 1035 => "WAKE_ALARM",
            /// `BLOCK_SUSPEND`.
            BlockSuspend = 1036 => "BLOCK_SUSPEND",
            /// `AUDIT_READ`.
            AuditRead = 1037 => "AUDIT_READ",
        }
    }
}

/// `mesos.v1.LinuxInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct LinuxInfo {
    /// Capabilities (deprecated by the two below).
    #[prost(message, optional, tag = "1")]
    pub capability_info: Option<CapabilityInfo>,
    /// Bounding set.
    #[prost(message, optional, tag = "2")]
    pub bounding_capabilities: Option<CapabilityInfo>,
    /// Effective set.
    #[prost(message, optional, tag = "3")]
    pub effective_capabilities: Option<CapabilityInfo>,
    /// Share the parent's PID namespace.
    #[prost(bool, optional, tag = "4")]
    pub share_pid_namespace: Option<bool>,
}

/// `mesos.v1.RLimitInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct RLimitInfo {
    /// The limits.
    #[prost(message, repeated, tag = "1")]
    pub rlimits: Vec<r_limit_info::RLimit>,
}

/// Nested types of [`RLimitInfo`].
pub mod r_limit_info {
    /// `RLimitInfo.RLimit`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct RLimit {
        /// Which limit.
        #[prost(enumeration = "r_limit::Type", optional, tag = "1")]
        pub r#type: Option<i32>,
        /// Hard limit.
        #[prost(uint64, optional, tag = "2")]
        pub hard: Option<u64>,
        /// Soft limit.
        #[prost(uint64, optional, tag = "3")]
        pub soft: Option<u64>,
    }

    /// Nested types of [`RLimit`].
    pub mod r_limit {
        proto_enum! {
            /// `RLimitInfo.RLimit.Type`.
            Type {
                /// `UNKNOWN`.
                Unknown = 0 => "UNKNOWN",
                /// `RLMT_AS`.
                RlmtAs = 1 => "RLMT_AS",
                /// `RLMT_CORE`.
                RlmtCore = 2 => "RLMT_CORE",
                /// `RLMT_CPU`.
                RlmtCpu = 3 => "RLMT_CPU",
                /// `RLMT_DATA`.
                RlmtData = 4 => "RLMT_DATA",
                /// `RLMT_FSIZE`.
                RlmtFsize = 5 => "RLMT_FSIZE",
                /// `RLMT_LOCKS`.
                RlmtLocks = 6 => "RLMT_LOCKS",
                /// `RLMT_MEMLOCK`.
                RlmtMemlock = 7 => "RLMT_MEMLOCK",
                /// `RLMT_MSGQUEUE`.
                RlmtMsgqueue = 8 => "RLMT_MSGQUEUE",
                /// `RLMT_NICE`.
                RlmtNice = 9 => "RLMT_NICE",
                /// `RLMT_NOFILE`.
                RlmtNofile = 10 => "RLMT_NOFILE",
                /// `RLMT_NPROC`.
                RlmtNproc = 11 => "RLMT_NPROC",
                /// `RLMT_RSS`.
                RlmtRss = 12 => "RLMT_RSS",
                /// `RLMT_RTPRIO`.
                RlmtRtprio = 13 => "RLMT_RTPRIO",
                /// `RLMT_RTTIME`.
                RlmtRttime = 14 => "RLMT_RTTIME",
                /// `RLMT_SIGPENDING`.
                RlmtSigpending = 15 => "RLMT_SIGPENDING",
                /// `RLMT_STACK`.
                RlmtStack = 16 => "RLMT_STACK",
            }
        }
    }
}

/// `mesos.v1.TTYInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct TtyInfo {
    /// Terminal size.
    #[prost(message, optional, tag = "1")]
    pub window_size: Option<tty_info::WindowSize>,
}

/// Nested types of [`TtyInfo`].
pub mod tty_info {
    /// `TTYInfo.WindowSize`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct WindowSize {
        /// Rows.
        #[prost(uint32, required, tag = "1")]
        pub rows: u32,
        /// Columns.
        #[prost(uint32, required, tag = "2")]
        pub columns: u32,
    }
}

/// `mesos.v1.ContainerStatus`: what the agent knows about a task's container.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct ContainerStatus {
    /// Networks and assigned addresses.
    #[prost(message, repeated, tag = "1")]
    pub network_infos: Vec<NetworkInfo>,
    /// Cgroup information.
    #[prost(message, optional, tag = "2")]
    pub cgroup_info: Option<CgroupInfo>,
    /// The executor's pid.
    #[prost(uint32, optional, tag = "3")]
    pub executor_pid: Option<u32>,
    /// The container's id.
    #[prost(message, optional, tag = "4")]
    pub container_id: Option<ContainerId>,
}

/// `mesos.v1.CgroupInfo`.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct CgroupInfo {
    /// net_cls cgroup.
    #[prost(message, optional, tag = "1")]
    pub net_cls: Option<cgroup_info::NetCls>,
}

/// Nested types of [`CgroupInfo`].
pub mod cgroup_info {
    /// `CgroupInfo.NetCls`.
    #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
    pub struct NetCls {
        /// The class id.
        #[prost(uint32, optional, tag = "1")]
        pub classid: Option<u32>,
    }
}
