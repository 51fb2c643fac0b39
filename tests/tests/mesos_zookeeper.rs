//! Our ZooKeeper client against a real ZooKeeper 3.6 server: node operations, and a master
//! published the way Mesos publishes one found as the leader.

use std::time::Duration;

use mesos::zk;
use shuffle_tests::zookeeper::ZooKeeperServer;
use shuffle_tests::{limit, require_real_spark};

const SESSION: Duration = Duration::from_secs(4);

fn master_info(ip: &str, port: u16) -> Vec<u8> {
    format!(
        r#"{{"id":"m-{port}","ip":16777343,"port":{port},"pid":"master@{ip}:{port}","hostname":"localhost","address":{{"hostname":"localhost","ip":"{ip}","port":{port}}}}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn node_operations_and_leader_lookup() {
    if !require_real_spark() {
        return;
    }
    let server = ZooKeeperServer::start().expect("ZooKeeper starts");
    let servers = server.connect_string();
    let zk = limit("connect", zk::Client::connect(&servers, SESSION)).await.expect("succeeds");
    assert_ne!(zk.session_id(), 0);

    // create / exists / get / set / children / delete
    zk.create_all("/store/a").await.expect("succeeds");
    zk.create_all("/store/a").await.expect("succeeds");
    assert!(zk.exists("/store/missing").await.expect("succeeds").is_none());
    let path = zk.create("/store/a/x", b"one", false, false).await.expect("succeeds");
    assert_eq!(path, "/store/a/x");
    let err = zk.create("/store/a/x", b"again", false, false).await.expect_err("fails");
    assert!(matches!(err, mesos::Error::Zk { code: zk::NODE_EXISTS, .. }), "{err:?}");
    let (data, stat) = zk.get_data("/store/a/x").await.expect("succeeds");
    assert_eq!(&data[..], b"one");
    let stat2 = zk.set_data("/store/a/x", b"two", Some(stat.version)).await.expect("succeeds");
    assert_eq!(stat2.version, stat.version + 1);
    assert!(zk.set_data("/store/a/x", b"stale", Some(stat.version)).await.is_err());
    assert_eq!(&zk.get_data("/store/a/x").await.expect("succeeds").0[..], b"two");
    assert_eq!(zk.get_children("/store/a").await.expect("succeeds"), ["x"]);
    zk.delete("/store/a/x", None).await.expect("succeeds");
    let err = zk.get_data("/store/a/x").await.expect_err("fails");
    assert!(matches!(err, mesos::Error::Zk { code: zk::NO_NODE, .. }), "{err:?}");

    // No master yet.
    let err = zk::leading_master(&servers, "/mesos").await.expect_err("fails");
    assert!(matches!(err, mesos::Error::NoLeadingMaster { .. }), "{err:?}");

    // Two masters join; the first one leads until its session ends.
    let first = zk::Client::connect(&servers, SESSION).await.expect("succeeds");
    let node1 =
        first.publish_master("/mesos", &master_info("127.0.0.2", 5050)).await.expect("succeeds");
    assert!(node1.starts_with("/mesos/json.info_"), "{node1}");
    let second = zk::Client::connect(&servers, SESSION).await.expect("succeeds");
    second.publish_master("/mesos", &master_info("127.0.0.3", 5051)).await.expect("succeeds");
    // Sessions are kept alive by pings past the session timeout.
    tokio::time::sleep(SESSION + Duration::from_secs(1)).await;
    let leader = zk::leading_master(&servers, "/mesos/").await.expect("succeeds");
    assert_eq!(
        (leader.node.as_str(), leader.host.as_str(), leader.port),
        (node1.as_str(), "127.0.0.2", 5050)
    );

    first.close().await.expect("succeeds");
    let leader = zk::leading_master(&servers, "/mesos").await.expect("succeeds");
    assert_eq!((leader.host.as_str(), leader.port), ("127.0.0.3", 5051));
    second.close().await.expect("succeeds");
    zk.close().await.expect("succeeds");
}
