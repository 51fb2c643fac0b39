//! The local cluster's `--zk`: it publishes itself in a real ZooKeeper 3.6 the way a leading
//! Mesos master does, so leader lookup finds it, and leaves the group when shut down.

use mesos::zk;
use mesos_local::{ClusterConfig, LocalCluster};
use shuffle_tests::zookeeper::ZooKeeperServer;
use shuffle_tests::{limit, require_real_spark};

#[tokio::test]
async fn the_local_master_is_found_as_the_leader() {
    if !require_real_spark() {
        return;
    }
    let server = ZooKeeperServer::start().expect("ZooKeeper starts");
    let servers = server.connect_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = ClusterConfig {
        zk: Some(format!("zk://{servers}/mesos-local")),
        work_dir: dir.path().to_owned(),
        agents: 0,
        ..ClusterConfig::default()
    };
    let cluster = limit("start", LocalCluster::start(config)).await.expect("starts and publishes");
    let leader =
        limit("lookup", zk::leading_master(&servers, "/mesos-local")).await.expect("a leader");
    assert!(leader.node.starts_with("/mesos-local/json.info_"), "{}", leader.node);
    let addr = cluster.master_addr();
    assert_eq!((leader.host, leader.port), (addr.ip().to_string(), addr.port()));

    limit("shutdown", cluster.shutdown()).await;
    let gone = limit("lookup", zk::leading_master(&servers, "/mesos-local")).await;
    assert!(matches!(gone, Err(mesos::Error::NoLeadingMaster { .. })), "{gone:?}");
}
