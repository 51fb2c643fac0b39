//! `mesos-local`: runs the local Mesos cluster until Ctrl-C.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mesos_local::{ClusterConfig, LocalCluster};

/// A local Mesos cluster for trying schedulers on one machine: a master on loopback that
/// speaks the v1 scheduler HTTP API, and agents (hostnames 127.0.0.2, 127.0.0.3, …) that run
/// every task's command as a local process in a sandbox directory. Containers are not run:
/// the ContainerInfo a task asks for is only recorded. A test double, not a Mesos replacement.
#[derive(Debug, Parser)]
#[command(name = "mesos-local", version)]
struct Args {
    /// The master's address.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The master's port.
    #[arg(long, default_value_t = 5050)]
    port: u16,
    /// How many agents (at most 253; agent i's hostname is 127.0.0.<i+2>).
    #[arg(long, default_value_t = 1)]
    agents: usize,
    /// Each agent's resources, in Mesos's agent syntax: `name[(role)]:value;…` with scalars,
    /// `[a-b,c-d]` ranges or `{x,y}` sets.
    #[arg(long, default_value = mesos_local::flags::DEFAULT_RESOURCES)]
    resources: String,
    /// Each agent's attributes, in Mesos's agent syntax: `name:value;…` (scalar, ranges, set
    /// or text values), e.g. `rack:r1;zone:a`.
    #[arg(long, default_value = "")]
    attributes: String,
    /// Where sandboxes go: `<work-dir>/agents/<agent id>/frameworks/<framework id>/executors/<task
    /// id>/runs/<run id>`. Defaults to `$TMPDIR/mesos-local`.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Publish this master in ZooKeeper, as a leading Mesos master does: `zk://host:port,…/path`.
    #[arg(long)]
    zk: Option<String>,
    /// Seconds between HEARTBEAT events.
    #[arg(long, default_value_t = 15.0)]
    heartbeat_interval: f64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let interval =
        Duration::try_from_secs_f64(args.heartbeat_interval).ok().filter(|d| !d.is_zero());
    let Some(heartbeat_interval) = interval else {
        eprintln!("mesos-local: --heartbeat-interval must be a positive number of seconds");
        return ExitCode::from(2);
    };
    let defaults = ClusterConfig::default();
    let config = ClusterConfig {
        host: args.host,
        port: args.port,
        agents: args.agents,
        resources: args.resources,
        attributes: args.attributes,
        work_dir: args.work_dir.unwrap_or(defaults.work_dir.clone()),
        zk: args.zk,
        heartbeat_interval,
        ..defaults
    };
    let cluster = match LocalCluster::start(config).await {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("mesos-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(master = %cluster.master_url(), "master is up");
    for agent in cluster.agents() {
        tracing::info!(id = %agent.id.value, hostname = %agent.hostname, "agent is up");
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("mesos-local: cannot wait for Ctrl-C: {e}");
    }
    tracing::info!("stopping: killing every task");
    cluster.shutdown().await;
    ExitCode::SUCCESS
}
