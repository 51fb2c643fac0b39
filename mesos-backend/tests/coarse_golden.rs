//! Replays the coarse-grained oracle's scenarios (`mesos/tests/fixtures/spark-3.5.6-coarse-*`,
//! `docs/mesos-backend-oracle.md`) through our core and compares its calls with those Spark
//! 3.5.6's own `MesosCoarseGrainedSchedulerBackend` made: launches byte for byte (our v1
//! `TaskInfo` against Spark's v0 bytes; the field numbers are shared), declines with their
//! filters, revives, kills, stops, shuffle-service registrations and the errors thrown.
//!
//! Nothing is normalized: environment variables are compared in order too. Only the `text`
//! lines (Spark's debug rendering of the same bytes) are skipped.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use mesos::event::{Event, Subscribed};
use mesos::proto::scheduler::{call, Call};
use mesos::proto::{
    resource, value, AgentId, Attribute, ExecutorId, FrameworkId, Offer, OfferId, Resource, TaskId,
    TaskState, TaskStatus,
};
use mesos::rules::conf::SparkConf;
use mesos_backend::coarse::{
    framework_info, Action, CoarseBackend, CoarseConfig, DriverEnv, FrameworkEnv, Input,
};
use prost::Message as _;
use shuffle_tests::mesos_scenarios::{self as sc, Scenario};

/// Scenarios our core does not reproduce yet, with the reason. The test fails when one of
/// these starts passing (move it out) or when any other scenario fails.
const UNSUPPORTED: &[(&str, &str)] = &[];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(shuffle_tests::repo_root().join("mesos/tests/fixtures").join(name))
        .unwrap()
}

fn value_of(v: &sc::Value) -> (i32, Option<value::Scalar>, Option<value::Ranges>) {
    match v {
        sc::Value::Scalar(x) => {
            (value::Type::Scalar as i32, Some(value::Scalar { value: *x }), None)
        }
        sc::Value::Ranges(rs) => (
            value::Type::Ranges as i32,
            None,
            Some(value::Ranges {
                range: rs.iter().map(|&(begin, end)| value::Range { begin, end }).collect(),
            }),
        ),
        other => panic!("resource value {other:?}"),
    }
}

fn offer(o: &sc::Offer) -> Offer {
    Offer {
        id: OfferId::from(o.id.as_str()),
        framework_id: FrameworkId::from("oracle-framework"),
        agent_id: AgentId::from(o.agent.as_str()),
        hostname: o.hostname.clone(),
        resources: o
            .resources
            .iter()
            .map(|r| {
                let (kind, scalar, ranges) = value_of(&r.value);
                Resource {
                    name: r.name.clone(),
                    r#type: kind,
                    scalar,
                    ranges,
                    role: Some(r.role.clone()),
                    reservation: r.principal.as_ref().map(|p| resource::ReservationInfo {
                        principal: Some(p.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            })
            .collect(),
        attributes: o
            .attributes
            .iter()
            .map(|a| {
                let mut attr = Attribute { name: a.name.clone(), ..Attribute::default() };
                match &a.value {
                    sc::Value::Scalar(x) => {
                        attr.r#type = value::Type::Scalar as i32;
                        attr.scalar = Some(value::Scalar { value: *x });
                    }
                    sc::Value::Ranges(_) => {
                        let (kind, _, ranges) = value_of(&a.value);
                        attr.r#type = kind;
                        attr.ranges = ranges;
                    }
                    sc::Value::Set(items) => {
                        attr.r#type = value::Type::Set as i32;
                        attr.set = Some(value::Set { item: items.clone() });
                    }
                    sc::Value::Text(t) => {
                        attr.r#type = value::Type::Text as i32;
                        attr.text = Some(value::Text { value: t.clone() });
                    }
                }
                attr
            })
            .collect(),
        ..Offer::default()
    }
}

/// A Scala `Double.toString` for the values the fixtures hold.
fn scala_double(x: f64) -> String {
    format!("{x:?}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `RegisterDriver(appId, heartbeatTimeoutMs)` as Spark's `BlockTransferMessage` encodes it.
fn register_driver(app_id: &str, timeout_ms: i64) -> String {
    let mut body = vec![4u8];
    body.extend((app_id.len() as u32).to_be_bytes());
    body.extend(app_id.as_bytes());
    body.extend(timeout_ms.to_be_bytes());
    hex(&body)
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

fn render_call(call: &Call, lines: &mut Vec<String>) {
    let filters = |f: &Option<mesos::proto::Filters>| match f {
        Some(f) => format!("refuse_seconds={}", scala_double(f.refuse_seconds.unwrap_or(5.0))),
        None => "none".to_owned(),
    };
    match call.r#type.and_then(|t| call::Type::try_from(t).ok()) {
        Some(call::Type::Accept) => {
            let accept = call.accept.as_ref().unwrap();
            let tasks: Vec<_> = accept
                .operations
                .iter()
                .flat_map(|op| op.launch.iter().flat_map(|l| l.task_infos.iter()))
                .collect();
            let offers: Vec<&str> = accept.offer_ids.iter().map(|o| o.value.as_str()).collect();
            lines.push(format!(
                "launch offers={} filters={} tasks={}",
                offers.join(","),
                filters(&accept.filters),
                tasks.len()
            ));
            for task in tasks {
                lines.push(format!("task {} {}", task.task_id.value, hex(&task.encode_to_vec())));
            }
        }
        Some(call::Type::Decline) => {
            let decline = call.decline.as_ref().unwrap();
            for id in &decline.offer_ids {
                lines.push(format!("decline {} filters={}", id.value, filters(&decline.filters)));
            }
        }
        Some(call::Type::Revive) => lines.push("revive".to_owned()),
        Some(call::Type::Kill) => {
            lines.push(format!("kill {}", call.kill.as_ref().unwrap().task_id.value));
        }
        Some(call::Type::Teardown) => lines.push("stop".to_owned()),
        other => lines.push(format!("unexpected call {other:?}")),
    }
}

fn status(task: &str, agent: &str, state: &str) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::from(task),
        state: TaskState::from_str_name(state).unwrap() as i32,
        agent_id: Some(AgentId::from(agent)),
        ..TaskStatus::default()
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
    let info = |v: Option<&str>| v.unwrap_or("-").to_owned();
    let head = |fw: &mesos::proto::FrameworkInfo| {
        format!(
            "create-driver master={} user={} app-name={} webui-url={} checkpoint=- failover-timeout={} framework-id={}",
            scenario.master,
            fw.user,
            fw.name,
            info(fw.webui_url.as_deref()),
            scala_double(fw.failover_timeout.unwrap_or(0.0)),
            info(fw.id.as_ref().map(|id| id.value.as_str())),
        )
    };
    match framework_info(&conf, &framework_env) {
        Ok(registration) => {
            let credential = match &registration.credential {
                None => "{}".to_owned(),
                Some(c) => format!(
                    "{{principal: {:?} secret: {:?}}}",
                    c.principal,
                    c.secret.as_deref().unwrap_or("")
                ),
            };
            lines.push(format!(
                "{} framework-principal={} credential={credential}",
                head(&registration.info),
                info(registration.info.principal.as_deref())
            ));
        }
        Err(mesos_backend::Error::SecretWithoutPrincipal) => {
            let mut fw = mesos::proto::FrameworkInfo {
                user: "oracle".to_owned(),
                name: conf.get("spark.app.name").unwrap_or_default().to_owned(),
                failover_timeout: Some(0.0),
                ..Default::default()
            };
            fw.id = conf.get("spark.mesos.driver.frameworkId").map(FrameworkId::from);
            lines.push(format!("{} credential-error=org.apache.spark.SparkException", head(&fw)));
            lines.push(
                "start-error java.lang.IllegalStateException: buildCredentials failed".to_owned(),
            );
            return lines;
        }
        Err(e) => panic!("{}: framework info: {e}", scenario.name),
    }

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
                Action::Call(call) => render_call(call, lines),
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

fn first_difference(ours: &[String], spark: &[String]) -> String {
    for (i, (a, b)) in ours.iter().zip(spark).enumerate() {
        if a != b {
            return format!("line {i}:\n  ours:  {a}\n  spark: {b}");
        }
    }
    format!("lengths {} vs {}: ours {:?}", ours.len(), spark.len(), ours.get(spark.len()))
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
