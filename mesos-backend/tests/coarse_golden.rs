//! Replays the coarse-grained oracle's scenarios (`mesos/tests/fixtures/spark-3.5.6-coarse-*`,
//! `docs/mesos-backend-oracle.md`) through our core and compares its calls with those Spark
//! 3.5.6's own `MesosCoarseGrainedSchedulerBackend` made: launches byte for byte (our v1
//! `TaskInfo` against Spark's v0 bytes; the field numbers are shared), declines with their
//! filters, revives, kills, stops, shuffle-service registrations and the errors thrown.
//!
//! Nothing is normalized: environment variables are compared in order too. Only the `text`
//! lines (Spark's debug rendering of the same bytes) are skipped.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use mesos::client::Credentials;
use mesos::event::{Event, Subscribed};
use mesos::proto::{AgentId, ExecutorId, FrameworkId, OfferId, TaskInfo};
use mesos::rules::conf::SparkConf;
use mesos_backend::coarse::{
    framework_info, Action, CoarseBackend, CoarseConfig, DriverEnv, FrameworkEnv, Input,
};
use shuffle_protocol::codec::Encode as _;
use shuffle_protocol::shuffle::{BlockTransferMessage, RegisterDriver};
use shuffle_tests::mesos_scenarios::{self as sc, Scenario};
use support::{
    create_driver_head, create_driver_line, first_difference, fixture, hex, offer, render_call,
    status,
};

/// Scenarios our core does not reproduce yet, with the reason. The test fails when one of
/// these starts passing (move it out) or when any other scenario fails.
const UNSUPPORTED: &[(&str, &str)] = &[];

/// The `RegisterDriver(appId, heartbeatTimeoutMs)` RPC body the shuffle client sends.
fn register_driver(app_id: &str, heartbeat_timeout_ms: i64) -> String {
    let message: BlockTransferMessage =
        RegisterDriver { app_id: app_id.to_owned(), heartbeat_timeout_ms }.into();
    hex(&message.to_bytes())
}

/// Spark's exception class and message for our errors.
fn spark_error(e: &mesos_backend::Error) -> String {
    use mesos_backend::Error as E;
    match e {
        E::UnknownAgent { agent_id, .. } => {
            format!("java.util.NoSuchElementException: key not found: {agent_id}")
        }
        E::ClusterError { message } => format!(
            "org.apache.spark.SparkException: Exiting due to error from cluster scheduler: {message}"
        ),
        E::Mesos(mesos::Error::MalformedLabel { label }) => {
            format!("org.apache.spark.SparkException: Malformed label: {label}")
        }
        E::Mesos(mesos::Error::BadConstraintString { constraints }) => {
            format!("java.lang.IllegalArgumentException: Bad constraint string: {constraints}")
        }
        other => format!("(unmapped) {other}"),
    }
}

/// Our backend's run of one scenario, in the fixture's format (without `text` lines).
fn replay(scenario: &Scenario) -> Vec<String> {
    let conf: SparkConf = scenario.conf.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut lines = Vec::new();
    let env = DriverEnv { spark_user: "oracle".to_owned(), ..DriverEnv::default() };
    let config = match CoarseConfig::new(&conf, &env) {
        Ok(config) => config,
        Err(e) => return vec![format!("construct-error {}", spark_error(&e))],
    };
    let framework_env = FrameworkEnv { spark_user: "oracle".to_owned(), ..FrameworkEnv::default() };
    let credentials = Credentials::from_spark_conf(|k| conf.get(k).map(str::to_owned), |_| None);
    let credentials = match credentials {
        Ok(credentials) => credentials,
        Err(mesos::Error::SecretWithoutPrincipal) => {
            let fw = framework_info(&conf, &framework_env, None).unwrap();
            lines.push(format!(
                "{} credential-error=org.apache.spark.SparkException",
                create_driver_head(&scenario.master, &fw)
            ));
            lines.push(
                "start-error java.lang.IllegalStateException: buildCredentials failed".to_owned(),
            );
            return lines;
        }
        Err(e) => panic!("{}: credentials: {e}", scenario.name),
    };
    let fw = framework_info(&conf, &framework_env, credentials.as_ref()).unwrap();
    lines.push(create_driver_line(&scenario.master, &fw, credentials.as_ref()));

    let mut now = Instant::now();
    let mut backend = CoarseBackend::new(config, now);
    let subscribed = Subscribed {
        framework_id: FrameworkId::from(scenario.framework_id.as_str()),
        heartbeat_interval: None,
        master_info: None,
    };
    backend.handle(Input::Event(Box::new(Event::Subscribed(subscribed))), now);
    lines.push(format!("registered {}", backend.app_id().unwrap()));

    let run = |backend: &mut CoarseBackend, input: Input, now: Instant, lines: &mut Vec<String>| {
        let outcome = backend.handle(input, now);
        for action in &outcome.actions {
            match action {
                Action::Call(call) => render_call(call, TaskInfo::clone, lines),
                Action::RegisterWithShuffleService {
                    agent_id,
                    host,
                    port,
                    app_id,
                    heartbeat_timeout_ms,
                    ..
                } => {
                    if scenario.capture_shuffle_service {
                        lines.push(format!(
                            "shuffle-service host={host} port=(capture) rpc {}",
                            register_driver(app_id, *heartbeat_timeout_ms)
                        ));
                    } else {
                        // Nothing listens on the configured port: the runtime's registration
                        // fails and Spark throws out of statusUpdate.
                        lines.push(format!(
                            "error java.io.IOException: Failed to connect to /{host}:{port}"
                        ));
                        backend.shuffle_registration_failed(agent_id);
                    }
                }
            }
        }
        if let Some(e) = &outcome.error {
            lines.push(format!("error {}", spark_error(e)));
        }
    };
    for step in &scenario.steps {
        lines.push(format!("> {}", step.line));
        let input = match &step.action {
            sc::Action::Offers(offers) => {
                Input::Event(Box::new(Event::Offers(offers.iter().map(offer).collect())))
            }
            sc::Action::Status { task, agent, state } => {
                Input::Event(Box::new(Event::Update(status(task, agent, state))))
            }
            sc::Action::RequestExecutors { total, hosts } => Input::RequestTotalExecutors {
                total: *total,
                host_to_local_task_count: hosts.clone(),
            },
            sc::Action::Kill(ids) => Input::KillExecutors(ids.clone()),
            sc::Action::Stop => Input::Stop,
            sc::Action::Sleep(ms) => {
                now += Duration::from_millis(*ms);
                continue;
            }
            sc::Action::Rescind(id) => {
                Input::Event(Box::new(Event::Rescind(OfferId::from(id.as_str()))))
            }
            // libmesos's connection callbacks: a v1 runtime sees them as a reconnect.
            sc::Action::Disconnected | sc::Action::Reregistered => continue,
            sc::Action::AgentLost(agent) => Input::Event(Box::new(Event::Failure {
                agent_id: Some(AgentId::from(agent.as_str())),
                executor_id: None,
                status: None,
            })),
            sc::Action::ExecutorLost { executor, agent, status } => {
                Input::Event(Box::new(Event::Failure {
                    agent_id: Some(AgentId::from(agent.as_str())),
                    executor_id: Some(ExecutorId::from(executor.as_str())),
                    status: Some(*status),
                }))
            }
            sc::Action::FrameworkMessage { executor, agent, data } => {
                Input::Event(Box::new(Event::Message {
                    agent_id: AgentId::from(agent.as_str()),
                    executor_id: ExecutorId::from(executor.as_str()),
                    data: data.as_bytes().to_vec(),
                }))
            }
            sc::Action::Error(message) => Input::Event(Box::new(Event::Error(message.clone()))),
            sc::Action::SubmitJob(_) => panic!("submit-job is fine-grained only"),
        };
        run(&mut backend, input, now, &mut lines);
    }
    if !backend.is_stopped() {
        lines.push("> (end of scenario: stop)".to_owned());
        run(&mut backend, Input::Stop, now, &mut lines);
    }
    lines
}

#[test]
fn coarse_backend_makes_the_calls_spark_makes() {
    let scenarios = sc::parse_scenarios(&fixture("spark-3.5.6-coarse-scenarios.txt")).unwrap();
    let calls = sc::parse_calls(&fixture("spark-3.5.6-coarse-calls.txt")).unwrap();
    let mut passed = 0;
    let mut failures = Vec::new();
    for (scenario, (name, expected)) in scenarios.iter().zip(&calls.scenarios) {
        assert_eq!(&scenario.name, name);
        let expected: Vec<String> =
            expected.iter().filter(|l| !l.starts_with("text ")).cloned().collect();
        let ours = replay(scenario);
        let listed = UNSUPPORTED.iter().any(|(n, _)| n == name);
        match (ours == expected, listed) {
            (true, false) => passed += 1,
            (false, true) => {}
            (true, true) => failures.push(format!("{name}: passes now; drop it from UNSUPPORTED")),
            (false, false) => {
                failures.push(format!("{name}: {}", first_difference(&ours, &expected)));
            }
        }
    }
    println!("{passed} of {} scenarios match Spark 3.5.6", scenarios.len());
    assert!(failures.is_empty(), "{} scenarios differ:\n{}", failures.len(), failures.join("\n"));
    assert!(passed >= 25, "only {passed} scenarios pass");
}
