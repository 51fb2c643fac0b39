//! The scheduler client against the local cluster: subscribe, offers, a task running a real
//! process, its updates acknowledged, kill, reconcile, a master closing the stream and one
//! that stops sending heartbeats, 307 and 503; and `mesos://zk://` through a real ZooKeeper.

use std::time::Duration;

use mesos::client::{self, Config, Events, MasterUrl};
use mesos::event::Event;
use mesos::proto::{
    value, CommandInfo, FrameworkId, FrameworkInfo, Offer, Resource, TaskId, TaskInfo, TaskState,
    TaskStatus,
};
use mesos::{call, zk, Error};
use mesos_local::{ClusterConfig, LocalCluster};
use shuffle_tests::zookeeper::ZooKeeperServer;
use shuffle_tests::{limit, require_real_spark};

/// Longest wait for one expected event.
const WAIT: Duration = Duration::from_secs(20);

async fn cluster(dir: &tempfile::TempDir) -> LocalCluster {
    LocalCluster::start(ClusterConfig {
        agents: 1,
        resources: "cpus:4;mem:2048".into(),
        work_dir: dir.path().to_owned(),
        heartbeat_interval: Duration::from_millis(300),
        status_update_retry: Duration::from_millis(300),
        allocation_interval: Duration::from_millis(50),
        kill_grace: Duration::from_millis(500),
        ..ClusterConfig::default()
    })
    .await
    .expect("cluster starts")
}

fn config(url: &str) -> Config {
    let framework = FrameworkInfo {
        user: "tester".into(),
        name: "client test".into(),
        failover_timeout: Some(60.0),
        ..FrameworkInfo::default()
    };
    let mut config = Config::new(url.parse().expect("master URL"), framework);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(500);
    config.missed_heartbeats = 3;
    config.request_timeout = Duration::from_secs(10);
    config
}

/// The first item `pick` accepts; other events are skipped, unexpected errors fail the test.
async fn wait_for<T>(
    events: &mut Events,
    what: &str,
    mut pick: impl FnMut(&mesos::Result<Event>) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
            .unwrap_or_else(|| panic!("the stream ended before {what}"));
        if let Some(found) = pick(&item) {
            return found;
        }
        if let Err(e) = item {
            panic!("error while waiting for {what}: {e:?}");
        }
    }
}

async fn subscribed(events: &mut Events) -> FrameworkId {
    wait_for(events, "SUBSCRIBED", |e| match e {
        Ok(Event::Subscribed(s)) => Some(s.framework_id.clone()),
        _ => None,
    })
    .await
}

async fn offer(events: &mut Events) -> Offer {
    wait_for(events, "an offer", |e| match e {
        Ok(Event::Offers(offers)) => offers.first().cloned(),
        _ => None,
    })
    .await
}

/// Waits until `task` has been reported in `state`, by any update since `seen` was made
/// (updates for several tasks interleave).
async fn update(
    events: &mut Events,
    seen: &mut Vec<TaskStatus>,
    task: &str,
    state: TaskState,
) -> TaskStatus {
    let matches = |s: &TaskStatus| s.task_id.value == task && s.state() == state;
    if let Some(i) = seen.iter().position(matches) {
        return seen.remove(i);
    }
    wait_for(events, &format!("{task} in {state:?}"), |e| match e {
        Ok(Event::Update(s)) if matches(s) => Some(s.clone()),
        Ok(Event::Update(s)) => {
            seen.push(s.clone());
            None
        }
        _ => None,
    })
    .await
}

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Resource::default()
    }
}

fn task(offer: &Offer, id: &str, shell: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 1.0), scalar("mem", 64.0)],
        command: Some(CommandInfo {
            value: Some(shell.into()),
            shell: Some(true),
            ..CommandInfo::default()
        }),
        ..TaskInfo::default()
    }
}

#[tokio::test]
async fn lifecycle_against_the_local_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = cluster(&dir).await;
    let (mut events, caller) = client::subscribe(config(&cluster.master_url())).expect("client");
    let framework_id = subscribed(&mut events).await;
    let mut seen = Vec::new();

    // Two real processes: one exits, one runs until killed. Auto-acknowledgement is what lets
    // `echo` get past RUNNING to FINISHED (later updates wait behind an unacknowledged one).
    let offer = offer(&mut events).await;
    let tasks = vec![task(&offer, "echo", "echo hi"), task(&offer, "sleeper", "sleep 30")];
    let accept =
        call::accept(&framework_id, vec![offer.id.clone()], vec![call::launch(tasks)], None);
    limit("ACCEPT", caller.call(accept)).await.expect("ACCEPT accepted");
    let running = update(&mut events, &mut seen, "sleeper", TaskState::TaskRunning).await;
    update(&mut events, &mut seen, "echo", TaskState::TaskFinished).await;

    let agent_id = running.agent_id.clone();
    let kill = call::kill(&framework_id, "sleeper".into(), agent_id.clone(), None);
    limit("KILL", caller.call(kill)).await.expect("KILL accepted");
    update(&mut events, &mut seen, "sleeper", TaskState::TaskKilled).await;

    // Reconciliation answers in an update without a uuid: the latest state, or LOST once
    // the master has forgotten the acknowledged terminal task (as Mesos does).
    let reconcile = call::reconcile(&framework_id, vec![("sleeper".into(), agent_id)]);
    limit("RECONCILE", caller.call(reconcile)).await.expect("RECONCILE accepted");
    let latest = wait_for(&mut events, "the reconciliation update", |e| match e {
        Ok(Event::Update(s)) if s.task_id.value == "sleeper" && s.uuid.is_none() => Some(s.clone()),
        _ => None,
    })
    .await;
    assert!(matches!(latest.state(), TaskState::TaskKilled | TaskState::TaskLost), "{latest:?}");

    // The master drops the stream: the client says so and re-subscribes as the same framework.
    cluster.close_streams();
    // It cuts the chunked body short, which reads as a broken HTTP body.
    wait_for(&mut events, "the stream's end", |e| {
        matches!(e, Err(Error::StreamEnded | Error::Http(_))).then_some(())
    })
    .await;
    assert_eq!(subscribed(&mut events).await, framework_id);

    // Heartbeats stop: after 3 missed intervals the client gives up on the stream.
    cluster.pause_heartbeats(true);
    wait_for(&mut events, "HeartbeatsMissed", |e| {
        matches!(e, Err(Error::HeartbeatsMissed { .. })).then_some(())
    })
    .await;
    cluster.pause_heartbeats(false);
    assert_eq!(subscribed(&mut events).await, framework_id);

    // Calls work on the new subscription.
    limit("REVIVE", caller.call(call::revive(&framework_id, vec![]))).await.expect("REVIVE");
    limit("TEARDOWN", caller.call(call::teardown(&framework_id))).await.expect("TEARDOWN");
    cluster.shutdown().await;
}

#[tokio::test]
async fn follows_307_and_retries_503() {
    let (dir_a, dir_b) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (follower, leader) = (cluster(&dir_a).await, cluster(&dir_b).await);
    follower.redirect_to(Some(leader.master_addr()));
    let (mut events, caller) = client::subscribe(config(&follower.master_url())).expect("client");
    let framework_id = subscribed(&mut events).await;
    assert!(follower.tasks().is_empty());

    leader.set_unavailable(true);
    let revive = tokio::spawn({
        let caller = caller.clone();
        let call = call::revive(&framework_id, vec![]);
        async move { caller.call(call).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    leader.set_unavailable(false);
    limit("REVIVE", revive).await.expect("joined").expect("REVIVE accepted after 503s");
    leader.shutdown().await;
    follower.shutdown().await;
}

#[tokio::test]
async fn finds_the_leader_in_zookeeper() {
    if !require_real_spark() {
        return;
    }
    let zookeeper = ZooKeeperServer::start().expect("ZooKeeper starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = cluster(&dir).await;
    let addr = cluster.master_addr();
    let info = cluster.master_info();
    // MasterInfo as a Mesos master writes it into its group node.
    let json = format!(
        r#"{{"id":"{}","ip":{},"port":{},"pid":"master@{addr}","hostname":"{}","address":{{"hostname":"{}","ip":"{}","port":{}}}}}"#,
        info.id,
        info.ip,
        addr.port(),
        addr.ip(),
        addr.ip(),
        addr.ip(),
        addr.port()
    );
    let session = zk::Client::connect(&zookeeper.connect_string(), Duration::from_secs(5))
        .await
        .expect("ZooKeeper session");
    session.publish_master("/mesos", json.as_bytes()).await.expect("published");

    let url = format!("mesos://zk://{}/mesos", zookeeper.connect_string());
    let MasterUrl::ZooKeeper { servers, path, .. } = url.parse().expect("zk URL") else {
        panic!("not a ZooKeeper URL")
    };
    let leader = zk::leading_master(&servers, &path).await.expect("a leader");
    assert_eq!((leader.host.as_str(), leader.port), (addr.ip().to_string().as_str(), addr.port()));

    let (mut events, caller) = client::subscribe(config(&url)).expect("client");
    let framework_id = subscribed(&mut events).await;
    limit("REVIVE", caller.call(call::revive(&framework_id, vec![]))).await.expect("REVIVE");
    session.close().await.expect("closed");
    cluster.shutdown().await;
}
