//! What the golden replays of both backends share: the oracle's fixtures, its offers as Mesos
//! offers, and our calls rendered in the oracle's call format.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use mesos::client::Credentials;
use mesos::proto::scheduler::{call, Call};
use mesos::proto::{
    resource, value, AgentId, Attribute, FrameworkId, FrameworkInfo, Offer, OfferId, Resource,
    TaskId, TaskInfo, TaskState, TaskStatus,
};
use prost::Message as _;
use shuffle_tests::mesos_scenarios as sc;

/// A fixture file of `mesos/tests/fixtures`.
pub(crate) fn fixture(name: &str) -> String {
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

/// A scenario's offer as the master sends it.
pub(crate) fn offer(o: &sc::Offer) -> Offer {
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

/// A status update as a scenario's `status` step gives it (no uuid, no data).
pub(crate) fn status(task: &str, agent: &str, state: &str) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::from(task),
        state: TaskState::from_str_name(state).unwrap() as i32,
        agent_id: Some(AgentId::from(agent)),
        ..TaskStatus::default()
    }
}

/// A Scala `Double.toString` for the values the fixtures hold.
pub(crate) fn scala_double(x: f64) -> String {
    format!("{x:?}")
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `create-driver` line for the framework we subscribe with, and its credential.
pub(crate) fn create_driver_line(
    master: &str,
    fw: &FrameworkInfo,
    credentials: Option<&Credentials>,
) -> String {
    let info = |v: Option<&str>| v.unwrap_or("-").to_owned();
    let credential = match credentials {
        None => "{}".to_owned(),
        Some(c) => match &c.secret {
            Some(secret) => format!("{{principal: {:?} secret: {secret:?}}}", c.principal),
            None => format!("{{principal: {:?}}}", c.principal),
        },
    };
    format!(
        "{} framework-principal={} credential={credential}",
        create_driver_head(master, fw),
        info(fw.principal.as_deref())
    )
}

/// The `create-driver` line up to the framework id.
pub(crate) fn create_driver_head(master: &str, fw: &FrameworkInfo) -> String {
    let info = |v: Option<&str>| v.unwrap_or("-").to_owned();
    format!(
        "create-driver master={master} user={} app-name={} webui-url={} checkpoint=- failover-timeout={} framework-id={}",
        fw.user,
        fw.name,
        info(fw.webui_url.as_deref()),
        fw.failover_timeout.map_or("-".to_owned(), scala_double),
        info(fw.id.as_ref().map(|id| id.value.as_str())),
    )
}

/// What the oracle clears before printing fine-grained tasks: `TaskInfo.data` (the
/// serialized `TaskDescription`) and `ExecutorInfo.data` (the serialized Spark properties).
pub(crate) fn without_data(task: &TaskInfo) -> TaskInfo {
    let mut task = task.clone();
    task.data = None;
    if let Some(executor) = &mut task.executor {
        executor.data = None;
    }
    task
}

/// One call in the oracle's format; `normalize` is applied to each launched task.
pub(crate) fn render_call(
    call: &Call,
    normalize: fn(&TaskInfo) -> TaskInfo,
    lines: &mut Vec<String>,
) {
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
                let bytes = normalize(task).encode_to_vec();
                lines.push(format!("task {} {}", task.task_id.value, hex(&bytes)));
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

/// Where our lines first differ from Spark's.
pub(crate) fn first_difference(ours: &[String], spark: &[String]) -> String {
    for (i, (a, b)) in ours.iter().zip(spark).enumerate() {
        if a != b {
            return format!("line {i}:\n  ours:  {a}\n  spark: {b}");
        }
    }
    format!("lengths {} vs {}: ours {:?}", ours.len(), spark.len(), ours.get(spark.len()))
}
