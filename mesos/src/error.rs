//! The crate's one error type.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a connection or file.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// No ZooKeeper server in the list accepted a session.
    #[error("no ZooKeeper server in {servers} accepted a session")]
    ZkUnreachable {
        /// The server list tried.
        servers: String,
    },
    /// A ZooKeeper server answered an operation with an error code (`NONODE` is -101,
    /// `NODEEXISTS` -110, see `KeeperException.Code`).
    #[error("ZooKeeper {op} of {path:?} failed with code {code}")]
    Zk {
        /// The operation.
        op: &'static str,
        /// The node path.
        path: String,
        /// ZooKeeper's error code.
        code: i32,
    },
    /// A ZooKeeper packet was shorter than its own fields say.
    #[error("malformed ZooKeeper packet: {needed} bytes needed, {left} left")]
    ZkMalformed {
        /// Bytes the next field needs.
        needed: usize,
        /// Bytes left in the packet.
        left: usize,
    },
    /// A ZooKeeper packet length was negative or over the limit.
    #[error("ZooKeeper packet length {len} outside 0..={max}")]
    ZkPacketSize {
        /// The length received.
        len: i32,
        /// The largest accepted.
        max: usize,
    },
    /// A ZooKeeper string was not UTF-8.
    #[error("ZooKeeper string is not UTF-8")]
    ZkNotUtf8,
    /// The ZooKeeper session ended (connection lost, session expired or closed).
    #[error("ZooKeeper session lost")]
    ZkSessionLost,
    /// A ZooKeeper operation got no answer within twice the session timeout.
    #[error("ZooKeeper {op} timed out")]
    ZkTimeout {
        /// The operation.
        op: &'static str,
    },
    /// The master group in ZooKeeper has no `json.info_` member.
    #[error("no Mesos master has joined the group at {path}")]
    NoLeadingMaster {
        /// The group's path.
        path: String,
    },
    /// A master's group node holds no usable `MasterInfo` JSON address.
    #[error("ZooKeeper node {node} holds no usable MasterInfo")]
    BadMasterInfo {
        /// The node's path.
        node: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
