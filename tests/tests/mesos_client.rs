//! The scheduler client against the local cluster: subscribe, offers, a task running a real
//! process, its updates acknowledged, kill, reconcile, a master closing the stream and one
//! that stops sending heartbeats, 307 and 503; and `mesos://zk://` through a real ZooKeeper.

use std::time::Duration;

use mesos::client::{self, Config, ContentType, Events, MasterUrl};
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
        heartbeat_interval: Duration::from_millis(500),
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
    config.missed_heartbeats = 4;
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
    loop {
        let found = wait_for(events, "SUBSCRIBED", |e| match e {
            Ok(Event::Subscribed(s)) => Some(Some(s.framework_id.clone())),
            // An automatic acknowledgement racing the lost stream fails; the master sends
            // the update again after the re-subscription.
            Err(Error::NotSubscribed | Error::Status { status: 400 | 403, .. }) => Some(None),
            _ => None,
        })
        .await;
        if let Some(id) = found {
            return id;
        }
    }
}

/// Events read while waiting for another one, for later waits (updates for several tasks
/// interleave, and an offer may come while an update is awaited).
#[derive(Default)]
struct Seen(Vec<Event>);

impl Seen {
    fn take(&mut self, mut pick: impl FnMut(&Event) -> bool) -> Option<Event> {
        let i = self.0.iter().position(&mut pick)?;
        Some(self.0.remove(i))
    }
}

async fn next_offer(events: &mut Events, seen: &mut Seen) -> Offer {
    let first = |e: &Event| match e {
        Event::Offers(offers) => offers.first().cloned(),
        _ => None,
    };
    if let Some(offer) = seen.take(|e| first(e).is_some()).as_ref().and_then(first) {
        return offer;
    }
    wait_for(events, "an offer", |e| match e {
        Ok(Event::Heartbeat) | Err(_) => None,
        Ok(event) => first(event).or_else(|| {
            seen.0.push(event.clone());
            None
        }),
    })
    .await
}

/// Waits until `task` has been reported in `state`.
async fn update(events: &mut Events, seen: &mut Seen, task: &str, state: TaskState) -> TaskStatus {
    let matching = |e: &Event| match e {
        Event::Update(s) if s.task_id.value == task && s.state() == state => Some(s.clone()),
        _ => None,
    };
    if let Some(status) = seen.take(|e| matching(e).is_some()).as_ref().and_then(matching) {
        return status;
    }
    wait_for(events, &format!("{task} in {state:?}"), |e| match e {
        Ok(Event::Heartbeat) | Err(_) => None,
        Ok(event) => matching(event).or_else(|| {
            seen.0.push(event.clone());
            None
        }),
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
    let mut seen = Seen::default();

    // Two real processes: one exits, one runs until killed. Auto-acknowledgement is what lets
    // `echo` get past RUNNING to FINISHED (later updates wait behind an unacknowledged one).
    let offer = next_offer(&mut events, &mut seen).await;
    let tasks = vec![
        task(&offer, "echo", "echo hi"),
        task(&offer, "sleeper", "sleep 30"),
        task(&offer, "stopper", "sleep 30"),
    ];
    let accept = call::accept(
        &framework_id,
        vec![offer.id.clone()],
        vec![call::launch(tasks)],
        Some(call::filters(Duration::ZERO)),
    );
    limit("ACCEPT", caller.call(accept)).await.expect("ACCEPT accepted");
    let running = update(&mut events, &mut seen, "sleeper", TaskState::TaskRunning).await;
    update(&mut events, &mut seen, "echo", TaskState::TaskFinished).await;

    update(&mut events, &mut seen, "stopper", TaskState::TaskRunning).await;

    // A command task's executor is named after it: SHUTDOWN stops it; MESSAGE is accepted.
    let agent = running.agent_id.clone().expect("agent id");
    let shutdown = call::shutdown(&framework_id, "stopper".into(), agent.clone());
    limit("SHUTDOWN", caller.call(shutdown)).await.expect("SHUTDOWN accepted");
    update(&mut events, &mut seen, "stopper", TaskState::TaskKilled).await;
    let message = call::message(&framework_id, agent, "sleeper".into(), b"hello".to_vec());
    limit("MESSAGE", caller.call(message)).await.expect("MESSAGE accepted");

    // DECLINE with filters and SUPPRESS.
    let rest = next_offer(&mut events, &mut seen).await;
    let filters = Some(call::filters(Duration::from_secs(60)));
    let decline = call::decline(&framework_id, vec![rest.id.clone()], filters);
    limit("DECLINE", caller.call(decline)).await.expect("DECLINE accepted");
    limit("SUPPRESS", caller.call(call::suppress(&framework_id, vec![]))).await.expect("SUPPRESS");

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

    // Heartbeats stop: after 4 missed intervals the client gives up on the stream.
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

#[tokio::test]
async fn speaks_json_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = cluster(&dir).await;
    let mut config = config(&cluster.master_url());
    config.content_type = ContentType::Json;
    let (mut events, caller) = client::subscribe(config).expect("client");
    let framework_id = subscribed(&mut events).await;
    let mut seen = Seen::default();
    let offer = next_offer(&mut events, &mut seen).await;
    let tasks = vec![task(&offer, "json-echo", "echo hi")];
    let accept =
        call::accept(&framework_id, vec![offer.id.clone()], vec![call::launch(tasks)], None);
    limit("ACCEPT", caller.call(accept)).await.expect("ACCEPT accepted");
    // FINISHED comes only after RUNNING was acknowledged: acks work in JSON too.
    update(&mut events, &mut seen, "json-echo", TaskState::TaskFinished).await;
    cluster.shutdown().await;
}
