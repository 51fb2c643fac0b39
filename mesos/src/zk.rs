//! ZooKeeper: leader detection for `mesos://zk://…` master URLs, master publishing for the
//! local cluster, and the node operations a recovery store needs.
//!
//! Mesos masters join a ZooKeeper group (`src/zookeeper/group.cpp`): each creates an
//! ephemeral sequential node `<path>/json.info_NNNNNNNNNN` holding its `MasterInfo` as JSON,
//! and the member with the lowest sequence number leads (`src/master/detector/zookeeper.cpp`).
//! [`leading_master`] reads exactly that; [`Client::publish_master`] writes it.
//!
//! The client is our own, small and bounded, rather than a crate: it needs only session
//! setup, pings, digest auth and seven node operations; every received length is checked
//! against [`MAX_PACKET`](jute::MAX_PACKET) before anything is allocated; and it brings no
//! dependency beyond tokio (the maintained crates pull in their own TLS and SASL stacks and
//! newer compilers than the workspace's `rust-version`). It does not reconnect a lost
//! session: callers see [`Error::ZkSessionLost`] and connect again (the scheduler client
//! looks the leader up afresh on every reconnect, which is its "watch").

mod jute;

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout, Instant};

pub use jute::{Stat, NODE_EXISTS, NO_NODE};

use crate::{Error, Result};

/// Node-name prefix of a master's group membership (Mesos's `json.info` label plus `_`).
pub const MASTER_NODE_PREFIX: &str = "json.info_";

/// Longest wait for a TCP connection and session handshake with one server.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// Requests queued for the session task before callers wait.
const QUEUE: usize = 64;

/// A ZooKeeper session. Cheap to clone; the session closes when [`Client::close`] is called
/// or the last clone is dropped (ephemeral nodes then vanish at once).
#[derive(Debug, Clone)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    session_id: i64,
    timeout: Duration,
}

/// How a request ended, before it is given the caller's path.
#[derive(Debug)]
enum Failure {
    /// The server answered with this error code.
    Code(i32),
    /// The connection or session went away.
    Lost,
}

#[derive(Debug)]
enum Command {
    Request { op: i32, body: BytesMut, reply: oneshot::Sender<Result<Bytes, Failure>> },
}

impl Client {
    /// Opens a session with the first of `servers` (`host:port,host:port`, an optional
    /// `/chroot` suffix is ignored) that accepts one.
    pub async fn connect(servers: &str, session_timeout: Duration) -> Result<Self> {
        let hosts = servers.split('/').next().unwrap_or_default();
        let want_ms = i32::try_from(session_timeout.as_millis()).unwrap_or(i32::MAX);
        for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            match timeout(CONNECT_LIMIT, handshake(host, want_ms)).await {
                Ok(Ok(client)) => return Ok(client),
                Ok(Err(e)) => {
                    tracing::debug!(host, error = %e, "zookeeper server refused a session")
                }
                Err(_) => tracing::debug!(host, "zookeeper handshake timed out"),
            }
        }
        Err(Error::ZkUnreachable { servers: servers.to_owned() })
    }

    /// The session id the server assigned.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// Adds credentials to the session (`addauth`), e.g. scheme `digest` with `user:pass`.
    pub async fn add_auth(&self, scheme: &str, auth: &[u8]) -> Result<()> {
        let mut body = BytesMut::new();
        body.put_i32(0);
        jute::put_str(&mut body, scheme);
        jute::put_buffer(&mut body, auth);
        self.call("auth", scheme, jute::op::AUTH, body).await.map(drop)
    }

    /// Creates a node with an open ACL and returns its actual path (with the sequence suffix
    /// when `sequential`).
    pub async fn create(
        &self,
        path: &str,
        data: &[u8],
        ephemeral: bool,
        sequential: bool,
    ) -> Result<String> {
        let mut body = BytesMut::new();
        jute::put_str(&mut body, path);
        jute::put_buffer(&mut body, data);
        jute::put_open_acl(&mut body);
        let flags = if ephemeral { jute::EPHEMERAL } else { 0 }
            | if sequential { jute::SEQUENTIAL } else { 0 };
        body.put_i32(flags);
        let reply = self.call("create", path, jute::op::CREATE, body).await?;
        jute::Reader(reply).string()
    }

    /// Creates every missing persistent node on the way to `path`, `path` included.
    pub async fn create_all(&self, path: &str) -> Result<()> {
        let mut at = 0;
        while at < path.len() {
            at = path[at + 1..].find('/').map_or(path.len(), |i| at + 1 + i);
            match self.create(&path[..at], &[], false, false).await {
                Err(Error::Zk { code: NODE_EXISTS, .. }) | Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The data and metadata of a node.
    pub async fn get_data(&self, path: &str) -> Result<(Bytes, Stat)> {
        let reply = self.call("get_data", path, jute::op::GET_DATA, path_and_watch(path)).await?;
        let mut r = jute::Reader(reply);
        Ok((r.buffer()?, r.stat()?))
    }

    /// Replaces a node's data, if its version is `version` (any version when `None`).
    pub async fn set_data(&self, path: &str, data: &[u8], version: Option<i32>) -> Result<Stat> {
        let mut body = BytesMut::new();
        jute::put_str(&mut body, path);
        jute::put_buffer(&mut body, data);
        body.put_i32(version.unwrap_or(-1));
        let reply = self.call("set_data", path, jute::op::SET_DATA, body).await?;
        jute::Reader(reply).stat()
    }

    /// Deletes a node, if its version is `version` (any version when `None`).
    pub async fn delete(&self, path: &str, version: Option<i32>) -> Result<()> {
        let mut body = BytesMut::new();
        jute::put_str(&mut body, path);
        body.put_i32(version.unwrap_or(-1));
        self.call("delete", path, jute::op::DELETE, body).await.map(drop)
    }

    /// A node's metadata, or `None` if it does not exist.
    pub async fn exists(&self, path: &str) -> Result<Option<Stat>> {
        match self.call("exists", path, jute::op::EXISTS, path_and_watch(path)).await {
            Ok(reply) => Ok(Some(jute::Reader(reply).stat()?)),
            Err(Error::Zk { code: NO_NODE, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The names (not paths) of a node's children, in the server's order.
    pub async fn get_children(&self, path: &str) -> Result<Vec<String>> {
        let body = path_and_watch(path);
        let reply = self.call("get_children", path, jute::op::GET_CHILDREN, body).await?;
        jute::Reader(reply).strings()
    }

    /// Joins the master group at `path` the way a Mesos master does: an ephemeral
    /// sequential `json.info_` node holding `master_info_json`. Returns the node's path; it
    /// lives as long as this session.
    pub async fn publish_master(&self, path: &str, master_info_json: &[u8]) -> Result<String> {
        let path = path.trim_end_matches('/');
        self.create_all(path).await?;
        self.create(&format!("{path}/{MASTER_NODE_PREFIX}"), master_info_json, true, true).await
    }

    /// The master leading the group at `path`.
    pub async fn leading_master(&self, path: &str) -> Result<LeadingMaster> {
        let path = path.trim_end_matches('/');
        let children = match self.get_children(path).await {
            Err(Error::Zk { code: NO_NODE, .. }) => Vec::new(),
            other => other?,
        };
        let Some(node) = leader_node(&children) else {
            return Err(Error::NoLeadingMaster { path: path.to_owned() });
        };
        let node = format!("{path}/{node}");
        let (info, _) = self.get_data(&node).await?;
        let (host, port) =
            master_address(&info).ok_or_else(|| Error::BadMasterInfo { node: node.clone() })?;
        Ok(LeadingMaster { node, host, port, info })
    }

    /// Ends the session; the server deletes its ephemeral nodes.
    pub async fn close(&self) -> Result<()> {
        match self.call("close", "", jute::op::CLOSE_SESSION, BytesMut::new()).await {
            Ok(_) | Err(Error::ZkSessionLost) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn call(&self, what: &'static str, path: &str, op: i32, body: BytesMut) -> Result<Bytes> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Request { op, body, reply })
            .await
            .map_err(|_| Error::ZkSessionLost)?;
        // A live session answers or pings within its timeout; twice that means it is gone.
        match timeout(self.timeout * 2, answer).await {
            Err(_) => Err(Error::ZkTimeout { op: what }),
            Ok(Err(_)) | Ok(Ok(Err(Failure::Lost))) => Err(Error::ZkSessionLost),
            Ok(Ok(Err(Failure::Code(code)))) => {
                Err(Error::Zk { op: what, path: path.to_owned(), code })
            }
            Ok(Ok(Ok(reply))) => Ok(reply),
        }
    }
}

/// The leading master as published in ZooKeeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadingMaster {
    /// The group member's node path (`<path>/json.info_NNNNNNNNNN`).
    pub node: String,
    /// Host (IP or name) of the master's HTTP endpoint.
    pub host: String,
    /// Port of the master's HTTP endpoint.
    pub port: u16,
    /// The node's data: the master's `MasterInfo` as JSON.
    pub info: Bytes,
}

/// Looks the leading master up in the group at `path` of the ensemble `servers`, with a
/// short-lived session.
pub async fn leading_master(servers: &str, path: &str) -> Result<LeadingMaster> {
    let client = Client::connect(servers, Duration::from_secs(10)).await?;
    let leader = client.leading_master(path).await;
    let _ = client.close().await;
    leader
}

/// The leader among a group's children: the `json.info_` member with the lowest sequence
/// number (other children, such as the replicated log's, are ignored).
pub fn leader_node(children: &[String]) -> Option<&str> {
    children
        .iter()
        .filter_map(|c| {
            let seq = c.strip_prefix(MASTER_NODE_PREFIX)?.parse::<i64>().ok()?;
            Some((seq, c.as_str()))
        })
        .min()
        .map(|(_, c)| c)
}

/// The HTTP endpoint in a `MasterInfo` JSON: `address` (Mesos ≥ 0.24) first, then the
/// libprocess `pid` (`master@ip:port`), then `hostname`/`ip` with `port`.
pub fn master_address(info_json: &[u8]) -> Option<(String, u16)> {
    #[derive(Deserialize)]
    struct Address {
        hostname: Option<String>,
        ip: Option<String>,
        port: Option<u16>,
    }
    #[derive(Deserialize)]
    struct Info {
        address: Option<Address>,
        pid: Option<String>,
        hostname: Option<String>,
        ip: Option<u32>,
        port: Option<u16>,
    }
    let info: Info = serde_json::from_slice(info_json).ok()?;
    if let Some(Address { hostname, ip, port: Some(port) }) = info.address {
        if let Some(host) = ip.or(hostname).filter(|h| !h.is_empty()) {
            return Some((host, port));
        }
    }
    if let Some((host, port)) =
        info.pid.as_deref().and_then(|p| p.split_once('@')?.1.rsplit_once(':'))
    {
        if let Ok(port) = port.parse() {
            return Some((host.to_owned(), port));
        }
    }
    let port = info.port?;
    // `ip` is an IPv4 address in network byte order read as a little-endian-host u32.
    let host = info
        .hostname
        .or(info.ip.map(|ip| std::net::Ipv4Addr::from(ip.swap_bytes()).to_string()))?;
    Some((host, port))
}

fn path_and_watch(path: &str) -> BytesMut {
    let mut body = BytesMut::new();
    jute::put_str(&mut body, path);
    body.put_u8(0);
    body
}

async fn handshake(host: &str, want_ms: i32) -> Result<Client> {
    let stream = TcpStream::connect(host).await?;
    stream.set_nodelay(true)?;
    let (mut read, mut write) = stream.into_split();
    write.write_all(&jute::connect_request(want_ms)).await?;
    let response = jute::ConnectResponse::decode(read_packet(&mut read).await?)?;
    let Ok(ms) = u64::try_from(response.timeout_ms) else {
        return Err(Error::ZkSessionLost);
    };
    if ms == 0 {
        return Err(Error::ZkSessionLost);
    }
    let timeout = Duration::from_millis(ms);
    let (commands, inbox) = mpsc::channel(QUEUE);
    tokio::spawn(run_session(read, write, inbox, timeout));
    Ok(Client { commands, session_id: response.session_id, timeout })
}

/// One length-prefixed packet, its length checked before the buffer is made.
async fn read_packet(read: &mut OwnedReadHalf) -> Result<Bytes> {
    let len = read.read_i32().await?;
    let size = usize::try_from(len).ok().filter(|&n| n <= jute::MAX_PACKET);
    let Some(size) = size else {
        return Err(Error::ZkPacketSize { len, max: jute::MAX_PACKET });
    };
    let mut buf = vec![0; size];
    read.read_exact(&mut buf).await?;
    Ok(buf.into())
}

/// Owns the connection: writes requests in order, matches replies to them in order (the
/// server answers in order), pings at a third of the session timeout, and declares the
/// session lost when the server is silent for a whole timeout.
async fn run_session(
    mut read: OwnedReadHalf,
    mut write: OwnedWriteHalf,
    mut inbox: mpsc::Receiver<Command>,
    timeout: Duration,
) {
    let (packets_tx, mut packets) = mpsc::channel(16);
    let reader = tokio::spawn(async move {
        loop {
            let packet = read_packet(&mut read).await;
            let failed = packet.is_err();
            if packets_tx.send(packet).await.is_err() || failed {
                break;
            }
        }
    });
    let mut pending: VecDeque<(i32, oneshot::Sender<Result<Bytes, Failure>>)> = VecDeque::new();
    let mut next_xid: i32 = 1;
    let mut ping = tokio::time::interval(timeout / 3);
    let mut heard = Instant::now();
    let mut closing = false;
    loop {
        tokio::select! {
            command = inbox.recv(), if !closing => {
                let (op, body, reply) = match command {
                    Some(Command::Request { op, body, reply }) => (op, body, Some(reply)),
                    // Every handle is gone: end the session so its ephemeral nodes go too.
                    None => (jute::op::CLOSE_SESSION, BytesMut::new(), None),
                };
                closing = op == jute::op::CLOSE_SESSION;
                let xid = if op == jute::op::AUTH {
                    jute::xid::AUTH
                } else {
                    next_xid = next_xid.checked_add(1).unwrap_or(1);
                    next_xid
                };
                let mut packet = BytesMut::with_capacity(8 + body.len());
                packet.put_i32(xid);
                packet.put_i32(op);
                packet.put_slice(&body);
                if write.write_all(&jute::framed(&packet)).await.is_err() {
                    break;
                }
                if let Some(reply) = reply {
                    pending.push_back((xid, reply));
                }
                if closing && pending.is_empty() {
                    break;
                }
            }
            packet = packets.recv() => {
                let Some(Ok(packet)) = packet else { break };
                heard = Instant::now();
                let mut r = jute::Reader(packet);
                let (Ok(xid), Ok(_zxid), Ok(err)) = (r.i32(), r.i64(), r.i32()) else { break };
                if xid == jute::xid::PING || xid == jute::xid::NOTIFICATION {
                    continue;
                }
                let Some((want, reply)) = pending.pop_front() else { break };
                if want != xid {
                    tracing::warn!(want, got = xid, "zookeeper reply out of order");
                    let _ = reply.send(Err(Failure::Lost));
                    break;
                }
                let _ = reply.send(if err == 0 { Ok(r.0) } else { Err(Failure::Code(err)) });
                if closing && pending.is_empty() {
                    break;
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > timeout {
                    tracing::warn!(?timeout, "zookeeper server silent for a session timeout");
                    break;
                }
                let mut packet = BytesMut::with_capacity(8);
                packet.put_i32(jute::xid::PING);
                packet.put_i32(jute::op::PING);
                if write.write_all(&jute::framed(&packet)).await.is_err() {
                    break;
                }
            }
        }
    }
    reader.abort();
    for (_, reply) in pending {
        let _ = reply.send(Err(Failure::Lost));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_sequence_leads() {
        let children: Vec<String> = [
            "json.info_0000000012",
            "log_replicas",
            "json.info_0000000003",
            "info_0000000001",
            "json.info_x",
        ]
        .map(String::from)
        .into();
        assert_eq!(leader_node(&children), Some("json.info_0000000003"));
        assert_eq!(leader_node(&[]), None);
    }

    #[test]
    fn address_from_master_info() {
        let json = br#"{"id":"m1","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050",
            "hostname":"localhost","address":{"hostname":"localhost","ip":"127.0.0.2","port":5051}}"#;
        assert_eq!(master_address(json), Some(("127.0.0.2".to_owned(), 5051)));
        let json = br#"{"id":"m1","ip":16777343,"port":5050,"pid":"master@127.0.0.3:5052"}"#;
        assert_eq!(master_address(json), Some(("127.0.0.3".to_owned(), 5052)));
        let json = br#"{"id":"m1","ip":16777343,"port":5050}"#;
        assert_eq!(master_address(json), Some(("127.0.0.1".to_owned(), 5050)));
        assert_eq!(master_address(b"{\"id\":\"m1\"}"), None);
        assert_eq!(master_address(b"\x00\x01garbage"), None);
    }
}
