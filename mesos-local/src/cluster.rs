//! [`LocalCluster`]: a master and its agents in this process, plus the controls tests use to
//! make it misbehave.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mesos::proto::{Address, AgentId, MasterInfo};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::flags::{self, parse_attributes, parse_resources};
use crate::master::{self, AgentSnapshot, AgentSpec, Master, TaskSnapshot, Timing};
use crate::resources::Pool;

/// Agents get 127.0.0.2 … 127.0.0.254.
const MAX_AGENTS: usize = 253;

/// How to start a [`LocalCluster`].
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The master's address (127.0.0.1).
    pub host: IpAddr,
    /// The master's port; 0 (the default) picks a free one. The binary defaults to 5050.
    pub port: u16,
    /// How many agents (1).
    pub agents: usize,
    /// Every agent's resources, in Mesos's agent flag syntax.
    pub resources: String,
    /// Every agent's attributes, in Mesos's agent flag syntax (none).
    pub attributes: String,
    /// Where sandboxes go: `<work_dir>/agents/<agent id>/frameworks/…`.
    pub work_dir: PathBuf,
    /// `zk://host:port,…/path` to publish the master at, as a leading master does.
    pub zk: Option<String>,
    /// Between HEARTBEAT events (15 s).
    pub heartbeat_interval: Duration,
    /// Between resends of an unacknowledged status update (10 s, Mesos's first retry).
    pub status_update_retry: Duration,
    /// Between allocation rounds (1 s, Mesos's `--allocation_interval`).
    pub allocation_interval: Duration,
    /// Rescind offers outstanding this long (never, Mesos's default).
    pub offer_timeout: Option<Duration>,
    /// SIGTERM → SIGKILL grace when a KILL names no kill policy (3 s, the command executor's).
    pub kill_grace: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            agents: 1,
            resources: flags::DEFAULT_RESOURCES.to_owned(),
            attributes: String::new(),
            work_dir: std::env::temp_dir().join("mesos-local"),
            zk: None,
            heartbeat_interval: Duration::from_secs(15),
            status_update_retry: Duration::from_secs(10),
            allocation_interval: Duration::from_secs(1),
            offer_timeout: None,
            kill_grace: Duration::from_secs(3),
        }
    }
}

/// A running local cluster. Dropping it stops the master; [`LocalCluster::shutdown`] also
/// kills every task's process and waits for them.
#[derive(Debug)]
pub struct LocalCluster {
    master: Arc<Master>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    background: JoinHandle<()>,
    zk: Option<mesos::zk::Client>,
}

/// How long the ZooKeeper session survives without pings (Mesos's `--zk_session_timeout`).
const ZK_SESSION: Duration = Duration::from_secs(10);

impl LocalCluster {
    /// Binds the master, sets up the agents and starts serving.
    pub async fn start(config: ClusterConfig) -> Result<Self> {
        if config.agents > MAX_AGENTS {
            return Err(Error::TooManyAgents { asked: config.agents, max: MAX_AGENTS });
        }
        let resources = Pool::from_flags(&parse_resources(&config.resources)?);
        let attributes: Vec<_> = parse_attributes(&config.attributes)?
            .iter()
            .map(flags::AttributeFlag::to_proto)
            .collect();
        let requested = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(requested)
            .await
            .map_err(|source| Error::Bind { addr: requested, source })?;
        let addr = listener.local_addr()?;
        let master_id = master::uuid_string(&master::random_uuid());
        let agents = (0..config.agents)
            .map(|i| {
                let id = AgentId { value: format!("{master_id}-S{i}") };
                AgentSpec {
                    hostname: Ipv4Addr::new(127, 0, 0, 2 + i as u8).to_string(),
                    resources: resources.clone(),
                    attributes: attributes.clone(),
                    work_dir: config.work_dir.join("agents").join(&id.value),
                    id,
                }
            })
            .collect();
        let timing = Timing {
            heartbeat_interval: config.heartbeat_interval,
            status_update_retry: config.status_update_retry,
            allocation_interval: config.allocation_interval,
            offer_timeout: config.offer_timeout,
            kill_grace: config.kill_grace,
        };
        let info = master_info(master_id, addr);
        let zk = match &config.zk {
            Some(url) => Some(publish(url, &info).await?),
            None => None,
        };
        let master = Master::new(info, timing, agents);
        let server = tokio::spawn(crate::http::serve(listener, master.clone()));
        let background = tokio::spawn(master.clone().run_background());
        Ok(Self { master, addr, server, background, zk })
    }

    /// Where the master listens.
    pub fn master_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mesos://<ip>:<port>`, as Spark's `--master` takes it.
    pub fn master_url(&self) -> String {
        format!("mesos://{}", self.addr)
    }

    /// The MasterInfo schedulers get in SUBSCRIBED.
    pub fn master_info(&self) -> &MasterInfo {
        self.master.info()
    }

    /// The agents: ids, hostnames (their IPs), resources and attributes.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        self.master.agents()
    }

    /// Every task the master knows, then the most recently finished ones.
    pub fn tasks(&self) -> Vec<TaskSnapshot> {
        self.master.tasks()
    }

    /// Drops every SUBSCRIBE connection, as a master restart would; frameworks and tasks stay
    /// for their re-subscription.
    pub fn close_streams(&self) {
        self.master.close_streams();
    }

    /// Stops (true) or resumes HEARTBEAT events.
    pub fn pause_heartbeats(&self, paused: bool) {
        self.master.pause_heartbeats(paused);
    }

    /// Answers every call with 307 to `leader`, or serves again with `None`.
    pub fn redirect_to(&self, leader: Option<SocketAddr>) {
        self.master.redirect_to(leader);
    }

    /// Answers every call with 503 while true.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.master.set_unavailable(unavailable);
    }

    /// Removes agent `index`: FAILURE event, its offers rescinded, its tasks lost. False if
    /// there is no such agent or it is already gone.
    pub fn remove_agent(&self, index: usize) -> bool {
        self.master.remove_agent(index)
    }

    /// Kills every task's process, closes every stream, leaves ZooKeeper and stops serving.
    pub async fn shutdown(self) {
        self.master.kill_all().await;
        if let Some(zk) = &self.zk {
            if let Err(e) = zk.close().await {
                tracing::warn!(error = %e, "closing the ZooKeeper session failed");
            }
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.server.abort();
        self.background.abort();
    }
}

/// Joins the master group at the URL's path as a leading Mesos master does: an ephemeral
/// sequential `json.info_` node holding the MasterInfo as JSON. The node lives as long as
/// the returned session.
async fn publish(url: &str, info: &MasterInfo) -> Result<mesos::zk::Client> {
    let not_zk = || Error::NotZkUrl { url: url.to_owned() };
    if !url.trim().starts_with("zk://") {
        return Err(not_zk());
    }
    let parsed: mesos::client::MasterUrl = url.parse().map_err(|_| not_zk())?;
    let mesos::client::MasterUrl::ZooKeeper { servers, path, digest } = parsed else {
        return Err(not_zk());
    };
    let zk = mesos::zk::Client::connect(&servers, ZK_SESSION).await?;
    if let Some(digest) = digest {
        zk.add_auth("digest", digest.as_bytes()).await?;
    }
    let node = zk.publish_master(&path, &mesos::json::to_vec(info)).await?;
    tracing::info!(node, "published the master in ZooKeeper");
    Ok(zk)
}

fn master_info(id: String, addr: SocketAddr) -> MasterInfo {
    let ip = match addr.ip() {
        // Mesos puts the IPv4 address in network byte order into a host-order integer.
        IpAddr::V4(v4) => u32::from_le_bytes(v4.octets()),
        IpAddr::V6(_) => 0,
    };
    let host = addr.ip().to_string();
    MasterInfo {
        id,
        ip,
        port: u32::from(addr.port()),
        pid: Some(format!("master@{addr}")),
        hostname: Some(host.clone()),
        version: Some("1.4.3".to_owned()),
        address: Some(Address {
            hostname: Some(host.clone()),
            ip: Some(host),
            port: i32::from(addr.port()),
        }),
        ..MasterInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_info_json_is_what_leader_detection_reads() {
        let addr: SocketAddr = "127.0.0.1:5050".parse().expect("addr");
        let json = mesos::json::to_vec(&master_info("m1".into(), addr));
        assert_eq!(mesos::zk::master_address(&json), Some(("127.0.0.1".to_owned(), 5050)));
        let value: serde_json::Value = serde_json::from_slice(&json).expect("json");
        assert_eq!(value["ip"], 16_777_343);
        assert_eq!(value["pid"], "master@127.0.0.1:5050");
    }

    #[tokio::test]
    async fn zk_wants_a_zk_url() {
        let config =
            ClusterConfig { zk: Some("http://x/mesos".into()), ..ClusterConfig::default() };
        assert!(matches!(LocalCluster::start(config).await, Err(Error::NotZkUrl { .. })));
    }
}
