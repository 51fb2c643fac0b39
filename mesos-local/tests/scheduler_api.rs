//! The v1 scheduler API of the local master, driven with raw HTTP and the proto types.

mod support;

use std::time::Duration;

use hyper::StatusCode;
use mesos::event::Event;
use mesos::proto::{value, TaskState};
use prost::Message;
use support::*;

#[tokio::test]
async fn offers_come_from_every_agent_with_its_resources_and_attributes() {
    let (cluster, _dir) = cluster(3, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let mut offers = sched.offers(3).await;
    offers.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    let hosts: Vec<&str> = offers.iter().map(|o| o.hostname.as_str()).collect();
    assert_eq!(hosts, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    let agents = cluster.agents();
    for (offer, agent) in offers.iter().zip(&agents) {
        assert_eq!(offer.agent_id, agent.id);
        assert_eq!(offer.framework_id, sched.framework_id);
        assert_eq!(offered(offer, "cpus"), 2.0);
        assert_eq!(offered(offer, "mem"), 1024.0);
        let ports = offer.resources.iter().find(|r| r.name == "ports").expect("ports");
        let range = &ports.ranges.as_ref().expect("ranges").range[0];
        assert_eq!((range.begin, range.end), (31000, 31010));
        assert_eq!(ports.role.as_deref(), Some("*"));
        let names: Vec<&str> = offer.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["rack", "zone"]);
        let rack = &offer.attributes[0];
        assert_eq!(rack.r#type, value::Type::Text as i32);
        assert_eq!(rack.text.as_ref().map(|t| t.value.as_str()), Some("r1"));
    }
    assert!(cluster.master_url().starts_with("mesos://127.0.0.1:"));
}

#[tokio::test]
async fn a_task_runs_as_a_process_in_its_sandbox_and_its_updates_need_acks() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    let command =
        "echo \"$GREETING from $MESOS_TASK_ID\" > out.txt; test \"$MESOS_SANDBOX\" = \"$PWD\"";
    let mut info = shell(command);
    info.environment = Some(mesos::proto::Environment {
        variables: vec![mesos::proto::environment::Variable {
            name: "GREETING".into(),
            value: Some("hello".into()),
            ..Default::default()
        }],
    });
    let task = task(&offer, "t1", info);
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![offer.id.clone()],
        vec![mesos::call::launch(vec![task])],
        None,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);

    let starting = sched.update().await;
    assert_eq!(starting.state(), TaskState::TaskStarting);
    let uuid = starting.uuid.clone().expect("agent updates carry a uuid");
    // Not acknowledged: the same update comes again, and RUNNING waits behind it.
    let again = sched.update().await;
    assert_eq!((again.state(), again.uuid.clone()), (TaskState::TaskStarting, Some(uuid)));
    sched.ack(&again).await;
    let running = sched.update().await;
    assert_eq!(running.state(), TaskState::TaskRunning);
    sched.ack(&running).await;
    let finished = sched.update().await;
    assert_eq!(finished.state(), TaskState::TaskFinished, "{finished:?}");
    assert!(finished.uuid.is_some());
    sched.ack(&finished).await;

    let snapshot =
        cluster.tasks().into_iter().find(|t| t.task_id.value == "t1").expect("task known");
    assert_eq!(snapshot.state, TaskState::TaskFinished);
    let sandbox = snapshot.sandbox.expect("sandbox");
    assert!(sandbox.starts_with(_dir.path().join("agents")));
    assert_eq!(
        std::fs::read_to_string(sandbox.join("out.txt")).expect("output"),
        "hello from t1\n"
    );
    assert!(sandbox.join("stdout").exists() && sandbox.join("stderr").exists());

    // Acknowledged: nothing is resent within a few retry intervals.
    let quiet = tokio::time::timeout(Duration::from_millis(1000), sched.update()).await;
    assert!(quiet.is_err(), "an acknowledged update came again: {quiet:?}");
}

#[tokio::test]
async fn kill_ends_a_sleeping_task_as_killed_and_a_failing_command_fails() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    let tasks =
        vec![task(&offer, "sleeper", shell("sleep 30")), task(&offer, "failer", shell("exit 7"))];
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![offer.id.clone()],
        vec![mesos::call::launch(tasks)],
        None,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);

    let mut failed = None;
    let mut sleeper_running = false;
    while failed.is_none() || !sleeper_running {
        let status = sched.update().await;
        sched.ack(&status).await;
        match (status.task_id.value.as_str(), status.state()) {
            ("failer", TaskState::TaskFailed) => failed = Some(status),
            ("sleeper", TaskState::TaskRunning) => sleeper_running = true,
            _ => {}
        }
    }
    let failed = failed.expect("failed");
    assert_eq!(failed.message.as_deref(), Some("Command exited with status 7"));

    let kill = mesos::call::kill(
        &sched.framework_id,
        mesos::proto::TaskId { value: "sleeper".into() },
        None,
        None,
    );
    assert_eq!(sched.call(kill).await, StatusCode::ACCEPTED);
    let killed = sched.update_in(TaskState::TaskKilled).await;
    assert_eq!(killed.task_id.value, "sleeper");
}

#[tokio::test]
async fn reconcile_answers_explicitly_and_implicitly() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    assert_eq!(sched.launch(&offer, "r1", "sleep 30").await, StatusCode::ACCEPTED);
    sched.update_in(TaskState::TaskRunning).await;

    let all = mesos::call::reconcile_all(&sched.framework_id);
    assert_eq!(sched.call(all).await, StatusCode::ACCEPTED);
    let status = sched.update().await;
    assert_eq!((status.task_id.value.as_str(), status.state()), ("r1", TaskState::TaskRunning));
    assert!(status.uuid.is_none(), "reconciliation updates are not acknowledged");
    assert_eq!(status.reason, Some(mesos::proto::task_status::Reason::Reconciliation as i32));

    let asked = vec![
        (mesos::proto::TaskId { value: "r1".into() }, Some(offer.agent_id.clone())),
        (mesos::proto::TaskId { value: "nope".into() }, None),
    ];
    assert_eq!(
        sched.call(mesos::call::reconcile(&sched.framework_id, asked)).await,
        StatusCode::ACCEPTED
    );
    let first = sched.update().await;
    let second = sched.update().await;
    assert_eq!((first.task_id.value.as_str(), first.state()), ("r1", TaskState::TaskRunning));
    assert_eq!((second.task_id.value.as_str(), second.state()), ("nope", TaskState::TaskLost));
    assert_eq!(sched.call(mesos::call::teardown(&sched.framework_id)).await, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn declined_agents_are_filtered_until_revive() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    let filters = Some(mesos::call::filters(Duration::from_secs(3600)));
    let decline = mesos::call::decline(&sched.framework_id, vec![offer.id.clone()], filters);
    assert_eq!(sched.call(decline).await, StatusCode::ACCEPTED);
    let none = tokio::time::timeout(Duration::from_millis(500), sched.offers(1)).await;
    assert!(none.is_err(), "a filtered agent was offered again");
    assert_eq!(
        sched.call(mesos::call::revive(&sched.framework_id, vec![])).await,
        StatusCode::ACCEPTED
    );
    let again = sched.offers(1).await.remove(0);
    assert_eq!(again.agent_id, offer.agent_id);
    assert_ne!(again.id, offer.id);

    // What an ACCEPT leaves unused counts as declined with its filters.
    let task = task(&again, "small", shell("true"));
    let filters = Some(mesos::call::filters(Duration::from_secs(3600)));
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![again.id.clone()],
        vec![mesos::call::launch(vec![task])],
        filters,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);
    sched.update_in(TaskState::TaskFinished).await;
    let none = tokio::time::timeout(Duration::from_millis(500), sched.offers(1)).await;
    assert!(none.is_err(), "the leftover of an ACCEPT was offered again despite its filter");
}

#[tokio::test]
async fn invalid_launches_get_error_and_lost_updates() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    let mut greedy = task(&offer, "greedy", shell("true"));
    greedy.resources = vec![scalar("cpus", 64.0)];
    let tasks =
        vec![task(&offer, "dup", shell("sleep 30")), task(&offer, "dup", shell("true")), greedy];
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![offer.id.clone()],
        vec![mesos::call::launch(tasks)],
        None,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);
    let mut errors = Vec::new();
    while errors.len() < 2 {
        let status = sched.update().await;
        sched.ack(&status).await;
        if status.state() == TaskState::TaskError {
            assert!(status.uuid.is_none());
            assert_eq!(status.reason, Some(mesos::proto::task_status::Reason::TaskInvalid as i32));
            errors.push((status.task_id.value, status.message.unwrap_or_default()));
        }
    }
    errors.sort();
    assert_eq!(errors[0], ("dup".to_owned(), "Task has duplicate ID: dup".to_owned()));
    assert_eq!(errors[1].0, "greedy");

    // The same offer again is no longer valid.
    assert_eq!(sched.launch(&offer, "late", "true").await, StatusCode::ACCEPTED);
    let lost = sched.wait_for(|e| match e {
        Event::Update(s) if s.task_id.value == "late" => Some(s.clone()),
        _ => None,
    });
    let lost = lost.await;
    assert_eq!(lost.state(), TaskState::TaskLost);
    assert_eq!(lost.reason, Some(mesos::proto::task_status::Reason::InvalidOffers as i32));
}

#[tokio::test]
async fn status_codes_follow_the_masters_rules() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let addr = cluster.master_addr();
    let subscribe_call = mesos::call::subscribe(framework_info(None, 0.0)).encode_to_vec();

    assert_eq!(
        post(addr, "GET", Some(PROTOBUF), None, vec![]).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        post(addr, "POST", None, None, subscribe_call.clone()).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(addr, "POST", Some("text/plain"), None, subscribe_call.clone()).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), None, b"\xff\xff".to_vec()).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), Some("some-id"), subscribe_call.clone()).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, _, _) = post_accepting(addr, "text/html", subscribe_call.clone()).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);

    let sched = subscribe(addr, framework_info(None, 3600.0), PROTOBUF).await;
    let revive = mesos::call::revive(&sched.framework_id, vec![]).encode_to_vec();
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), None, revive.clone()).await.0,
        StatusCode::BAD_REQUEST,
        "no stream id"
    );
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), Some("wrong"), revive.clone()).await.0,
        StatusCode::BAD_REQUEST
    );
    let unknown =
        mesos::call::revive(&mesos::proto::FrameworkId { value: "nobody".into() }, vec![])
            .encode_to_vec();
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), Some(&sched.stream_id), unknown).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), Some(&sched.stream_id), revive.clone()).await.0,
        StatusCode::ACCEPTED
    );

    cluster.close_streams();
    let (status, _, _) =
        post(addr, "POST", Some(PROTOBUF), Some(&sched.stream_id), revive.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a known framework without a stream");

    let leader = "127.0.0.1:5999".parse().expect("addr");
    cluster.redirect_to(Some(leader));
    let (status, headers, _) =
        post(addr, "POST", Some(PROTOBUF), None, subscribe_call.clone()).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers.get("Location").expect("location"), "//127.0.0.1:5999/api/v1/scheduler");
    cluster.redirect_to(None);
    cluster.set_unavailable(true);
    assert_eq!(
        post(addr, "POST", Some(PROTOBUF), None, subscribe_call.clone()).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    cluster.set_unavailable(false);
    let _sched = subscribe(addr, framework_info(None, 0.0), PROTOBUF).await;
}

#[tokio::test]
async fn heartbeats_arrive_and_can_be_paused() {
    let (cluster, _dir) = cluster(0, |c| c.heartbeat_interval = Duration::from_millis(100)).await;
    let mut sched = subscribe_raw(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let Some(Event::Subscribed(subscribed)) = sched.next().await else {
        panic!("expected SUBSCRIBED")
    };
    assert_eq!(subscribed.heartbeat_interval, Some(Duration::from_millis(100)));
    for _ in 0..3 {
        assert_eq!(sched.next().await, Some(Event::Heartbeat));
    }
    cluster.pause_heartbeats(true);
    // Those queued before the pause may still arrive (a few, if this test was starved of
    // CPU); then silence for five intervals. Unpaused, they would never leave such a gap.
    let mut stragglers = 0;
    while tokio::time::timeout(Duration::from_millis(500), sched.next()).await.is_ok() {
        stragglers += 1;
        assert!(stragglers <= 5, "heartbeats kept coming while paused");
    }
    cluster.pause_heartbeats(false);
    assert_eq!(sched.next().await, Some(Event::Heartbeat));
}

#[tokio::test]
async fn a_resubscribed_framework_keeps_its_tasks_and_gets_unacked_updates() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let addr = cluster.master_addr();
    let mut sched = subscribe(addr, framework_info(None, 3600.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    assert_eq!(sched.launch(&offer, "keep", "sleep 30").await, StatusCode::ACCEPTED);
    let starting = sched.update().await;
    sched.ack(&starting).await;
    let running = sched.update().await;
    assert_eq!(running.state(), TaskState::TaskRunning);

    cluster.close_streams();
    // The stream ends (after whatever was already on its way).
    while sched.next().await.is_some() {}
    let id = sched.framework_id.clone();
    let mut again = subscribe(addr, framework_info(Some(id.clone()), 3600.0), PROTOBUF).await;
    assert_eq!(again.framework_id, id);
    assert_ne!(again.stream_id, sched.stream_id);
    // RUNNING was never acknowledged: it comes again on the new stream.
    let resent = again.update().await;
    assert_eq!(
        (resent.state(), resent.uuid.clone()),
        (TaskState::TaskRunning, running.uuid.clone())
    );
    again.ack(&resent).await;
    assert_eq!(again.call(mesos::call::reconcile_all(&id)).await, StatusCode::ACCEPTED);
    let status = again.update().await;
    assert_eq!((status.task_id.value.as_str(), status.state()), ("keep", TaskState::TaskRunning));
    assert_eq!(again.call(mesos::call::teardown(&id)).await, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_disconnect_with_no_failover_timeout_tears_the_framework_down() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let addr = cluster.master_addr();
    let mut sched = subscribe(addr, framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    assert_eq!(sched.launch(&offer, "doomed", "sleep 30").await, StatusCode::ACCEPTED);
    sched.update_in(TaskState::TaskRunning).await;
    let id = sched.framework_id.clone();
    drop(sched);
    // The master notices the closed connection at its next write at the latest.
    let mut gone = false;
    for _ in 0..100 {
        let tasks = cluster.tasks();
        if tasks.iter().any(|t| t.task_id.value == "doomed" && t.state == TaskState::TaskKilled) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the task was not killed: {:?}", cluster.tasks());
    let mut refused = subscribe_raw(addr, framework_info(Some(id), 0.0), PROTOBUF).await;
    assert!(matches!(refused.next().await, Some(Event::Error(_))));
}

#[tokio::test]
async fn removing_an_agent_sends_failure_and_loses_its_tasks() {
    let (cluster, _dir) = cluster(2, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offers = sched.offers(2).await;
    let first =
        offers.iter().find(|o| o.agent_id == cluster.agents()[0].id).expect("offer from agent 0");
    assert_eq!(sched.launch(first, "on0", "sleep 30").await, StatusCode::ACCEPTED);
    sched.update_in(TaskState::TaskRunning).await;
    assert!(cluster.remove_agent(0));
    let lost = sched.update().await;
    assert_eq!((lost.task_id.value.as_str(), lost.state()), ("on0", TaskState::TaskLost));
    let failure = sched.wait_for(|e| matches!(e, Event::Failure { .. }).then(|| e.clone())).await;
    assert_eq!(
        failure,
        Event::Failure {
            agent_id: Some(cluster.agents()[0].id.clone()),
            executor_id: None,
            status: None
        }
    );
    assert!(cluster.agents()[0].removed);
    assert!(!cluster.remove_agent(0));
    cluster.shutdown().await;
}

#[tokio::test]
async fn json_schedulers_launch_argv_commands_with_fetched_uris_and_a_recorded_container() {
    let (cluster, dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), JSON).await;
    let offer = sched.offers(1).await.remove(0);
    assert_eq!(offered(&offer, "cpus"), 2.0);

    let script = dir.path().join("hello.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"argv: $*\" > said.txt\n").expect("script");
    let mut fetched = uri(&format!("file://{}", script.display()));
    fetched.executable = Some(true);
    fetched.output_file = Some("run.sh".into());
    let command = mesos::proto::CommandInfo {
        uris: vec![fetched],
        value: Some("./run.sh".into()),
        shell: Some(false),
        arguments: vec!["run.sh".into(), "one".into(), "two".into()],
        ..Default::default()
    };
    let mut task = task(&offer, "json-task", command);
    let container = mesos::proto::ContainerInfo {
        r#type: mesos::proto::container_info::Type::Docker as i32,
        docker: Some(mesos::proto::container_info::DockerInfo {
            image: "spark:3.5.6".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    task.container = Some(container.clone());
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![offer.id.clone()],
        vec![mesos::call::launch(vec![task])],
        None,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);
    let finished = sched.update_in(TaskState::TaskFinished).await;
    assert!(finished.uuid.is_some());

    let snapshot =
        cluster.tasks().into_iter().find(|t| t.task_id.value == "json-task").expect("task known");
    // Recorded as received (over JSON, so with Mesos's defaults filled in), not run.
    let recorded = snapshot.container.expect("container recorded");
    assert_eq!(recorded.r#type, container.r#type);
    assert_eq!(recorded.docker.map(|d| d.image), Some("spark:3.5.6".to_owned()));
    let sandbox = snapshot.sandbox.expect("sandbox");
    assert_eq!(
        std::fs::read_to_string(sandbox.join("said.txt")).expect("output"),
        "argv: one two\n"
    );
}

#[tokio::test]
async fn a_fetch_failure_fails_the_task_before_it_starts() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    let mut command = shell("true");
    command.uris.push(uri("http://example.invalid/spark.tgz"));
    let accept = mesos::call::accept(
        &sched.framework_id,
        vec![offer.id.clone()],
        vec![mesos::call::launch(vec![task(&offer, "unfetched", command)])],
        None,
    );
    assert_eq!(sched.call(accept).await, StatusCode::ACCEPTED);
    let failed = sched.update().await;
    assert_eq!(failed.state(), TaskState::TaskFailed);
    assert_eq!(
        failed.reason,
        Some(mesos::proto::task_status::Reason::ContainerLaunchFailed as i32)
    );
    assert!(failed.message.unwrap_or_default().contains("example.invalid"));
}

#[tokio::test]
async fn stale_offers_are_rescinded_and_reserved_resources_go_to_their_role() {
    let (cluster, _dir) = cluster(1, |c| {
        c.resources = "cpus:2;mem:1024;cpus(spark):1".into();
        c.offer_timeout = Some(Duration::from_millis(200));
    })
    .await;
    let mut info = framework_info(None, 0.0);
    info.role = Some("spark".into());
    let mut spark = subscribe(cluster.master_addr(), info, PROTOBUF).await;
    let offer = spark.offers(1).await.remove(0);
    let roles: Vec<(&str, Option<&str>)> =
        offer.resources.iter().map(|r| (r.name.as_str(), r.role.as_deref())).collect();
    assert!(
        roles.contains(&("cpus", Some("spark"))) && roles.contains(&("cpus", Some("*"))),
        "{roles:?}"
    );
    let rescinded =
        spark.wait_for(|e| if let Event::Rescind(id) = e { Some(id.clone()) } else { None }).await;
    assert_eq!(rescinded, offer.id);
    // The rescinded offer is gone: using it loses the task.
    assert_eq!(spark.launch(&offer, "too-late", "true").await, StatusCode::ACCEPTED);
    let lost = spark.update().await;
    assert_eq!((lost.task_id.value.as_str(), lost.state()), ("too-late", TaskState::TaskLost));
    assert_eq!(spark.call(mesos::call::teardown(&spark.framework_id)).await, StatusCode::ACCEPTED);

    let mut other = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = other.offers(1).await.remove(0);
    assert_eq!(offered(&offer, "cpus"), 2.0, "the spark reservation is not offered to role *");
}

#[tokio::test]
async fn kill_policy_grace_then_sigkill_with_killing_state() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut info = framework_info(None, 0.0);
    info.capabilities.push(mesos::proto::framework_info::Capability {
        r#type: Some(mesos::proto::framework_info::capability::Type::TaskKillingState as i32),
    });
    let mut sched = subscribe(cluster.master_addr(), info, PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    // Ignores SIGTERM: only the SIGKILL after the grace period ends it.
    assert_eq!(
        sched.launch(&offer, "stubborn", "trap '' TERM; sleep 30 & wait").await,
        StatusCode::ACCEPTED
    );
    sched.update_in(TaskState::TaskRunning).await;
    let policy = mesos::proto::KillPolicy {
        grace_period: Some(mesos::proto::DurationInfo { nanoseconds: 200_000_000 }),
    };
    let kill = mesos::call::kill(
        &sched.framework_id,
        mesos::proto::TaskId { value: "stubborn".into() },
        None,
        Some(policy),
    );
    assert_eq!(sched.call(kill).await, StatusCode::ACCEPTED);
    let killing = sched.update().await;
    assert_eq!(killing.state(), TaskState::TaskKilling);
    assert!(killing.uuid.is_some());
    sched.ack(&killing).await;
    sched.update_in(TaskState::TaskKilled).await;
}

#[tokio::test]
async fn shutdown_kills_every_task_process() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let mut sched = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let offer = sched.offers(1).await.remove(0);
    assert_eq!(
        sched.launch(&offer, "long", "echo $$ > pid; exec sleep 30").await,
        StatusCode::ACCEPTED
    );
    sched.update_in(TaskState::TaskRunning).await;
    let sandbox = cluster.tasks()[0].sandbox.clone().expect("sandbox");
    let mut pid = String::new();
    for _ in 0..100 {
        pid = std::fs::read_to_string(sandbox.join("pid")).unwrap_or_default();
        if pid.ends_with('\n') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = pid.trim().to_owned();
    assert!(!pid.is_empty(), "the task wrote its pid");
    let alive = |pid: &str| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(&pid));
    cluster.shutdown().await;
    assert!(!alive(&pid), "process {pid} survived shutdown");
}

#[tokio::test]
async fn a_second_subscribe_with_the_same_id_replaces_the_open_stream() {
    let (cluster, _dir) = cluster(1, |_| {}).await;
    let addr = cluster.master_addr();
    let mut first = subscribe(addr, framework_info(None, 3600.0), PROTOBUF).await;
    let id = first.framework_id.clone();
    let second = subscribe(addr, framework_info(Some(id.clone()), 3600.0), JSON).await;
    assert_eq!(second.framework_id, id);
    while first.next().await.is_some() {}
    let revive = mesos::call::revive(&id, vec![]);
    assert_eq!(
        first.call(revive.clone()).await,
        StatusCode::BAD_REQUEST,
        "the old stream id is stale"
    );
    assert_eq!(second.call(revive).await, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn gpu_agents_are_offered_only_to_gpu_capable_frameworks() {
    let (cluster, _dir) = cluster(1, |c| c.resources = "cpus:2;mem:1024;gpus:1".into()).await;
    let mut plain = subscribe(cluster.master_addr(), framework_info(None, 0.0), PROTOBUF).await;
    let none = tokio::time::timeout(Duration::from_millis(300), plain.offers(1)).await;
    assert!(none.is_err(), "a GPU agent was offered to a framework without GPU_RESOURCES");
    let mut info = framework_info(None, 0.0);
    info.capabilities.push(mesos::proto::framework_info::Capability {
        r#type: Some(mesos::proto::framework_info::capability::Type::GpuResources as i32),
    });
    let mut gpu = subscribe(cluster.master_addr(), info, PROTOBUF).await;
    assert_eq!(offered(&gpu.offers(1).await[0], "gpus"), 1.0);
}
