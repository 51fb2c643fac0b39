//! Connection reuse per server address (Spark's `TransportClientFactory`).
//!
//! Each address (with authentication: each address and application, because a connection
//! is bound to the application it authenticated as) gets `num_connections_per_peer` slots. A request takes the next slot
//! round-robin (Spark picks one at random) and reuses its connection if it is still open,
//! otherwise makes a new one; a slot's lock is held while connecting, so concurrent
//! requests never open two connections for one slot.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::ClientConfig;
use crate::error::Result;
use crate::transport::Conn;

/// A shuffle server's address: `host:port` as given (resolved when connecting), or a
/// socket address. Connections are pooled per distinct address string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerAddr(String);

impl PeerAddr {
    /// The address as connected to.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PeerAddr {
    fn from(addr: &str) -> Self {
        Self(addr.to_owned())
    }
}

impl From<String> for PeerAddr {
    fn from(addr: String) -> Self {
        Self(addr)
    }
}

impl From<&String> for PeerAddr {
    fn from(addr: &String) -> Self {
        Self(addr.clone())
    }
}

impl From<SocketAddr> for PeerAddr {
    fn from(addr: SocketAddr) -> Self {
        Self(addr.to_string())
    }
}

impl From<&SocketAddr> for PeerAddr {
    fn from(addr: &SocketAddr) -> Self {
        Self(addr.to_string())
    }
}

impl From<(&str, u16)> for PeerAddr {
    fn from((host, port): (&str, u16)) -> Self {
        // A bare IPv6 address needs brackets to take a port.
        if host.contains(':') && !host.starts_with('[') {
            Self(format!("[{host}]:{port}"))
        } else {
            Self(format!("{host}:{port}"))
        }
    }
}

/// The connections of one address.
#[derive(Debug)]
struct Peer {
    slots: Vec<tokio::sync::Mutex<Option<Arc<Conn>>>>,
    next: AtomicUsize,
}

/// What connections are pooled by: the address, and with authentication the application
/// the connection authenticated as.
type PeerKey = (PeerAddr, Option<String>);

/// Pooled connections of a client, by address (and application, see [`PeerKey`]).
#[derive(Debug)]
pub(crate) struct Pool {
    config: ClientConfig,
    peers: Mutex<HashMap<PeerKey, Arc<Peer>>>,
}

impl Pool {
    /// An empty pool making connections with `config`.
    pub(crate) fn new(config: ClientConfig) -> Self {
        Self { config, peers: Mutex::new(HashMap::new()) }
    }

    /// The configuration connections are made with.
    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// An open connection to `addr` for an operation of application `app_id`, reused or
    /// new. With authentication a new connection authenticates before it is returned, as
    /// `AuthConfig::app_id` or else `app_id`.
    pub(crate) async fn get(&self, addr: &PeerAddr, app_id: &str) -> Result<Arc<Conn>> {
        let auth_app_id = self
            .config
            .auth
            .as_ref()
            .map(|auth| auth.app_id.clone().unwrap_or_else(|| app_id.to_owned()));
        let peer = {
            let mut peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
            peers
                .entry((addr.clone(), auth_app_id.clone()))
                .or_insert_with(|| {
                    let n = self.config.num_connections_per_peer.max(1);
                    Arc::new(Peer {
                        slots: (0..n).map(|_| tokio::sync::Mutex::new(None)).collect(),
                        next: AtomicUsize::new(0),
                    })
                })
                .clone()
        };
        let index = peer.next.fetch_add(1, Ordering::Relaxed) % peer.slots.len();
        let mut slot = peer.slots[index].lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        let conn =
            Arc::new(Conn::connect(addr.as_str(), &self.config, auth_app_id.as_deref()).await?);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Forgets every pooled connection; each closes once no operation uses it any more.
    pub(crate) fn clear(&self) {
        self.peers.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addr_forms() {
        assert_eq!(PeerAddr::from(("h", 7337)).as_str(), "h:7337");
        assert_eq!(PeerAddr::from(("::1", 7337)).as_str(), "[::1]:7337");
        let sock: SocketAddr = "127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(PeerAddr::from(sock).to_string(), "127.0.0.1:9");
    }
}
