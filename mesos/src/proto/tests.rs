use prost::Message as _;

use super::scheduler::{call, event, Call, Event};
use super::*;

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn secret_ref(name: &str) -> Secret {
    Secret {
        r#type: Some(secret::Type::Reference as i32),
        reference: Some(secret::Reference { name: name.into(), key: Some("k".into()) }),
        value: None,
    }
}

fn launch_call() -> Call {
    let reserved = Resource {
        role: Some("spark".into()),
        reservation: Some(resource::ReservationInfo {
            principal: Some("p".into()),
            labels: Some(Labels { labels: vec![Label { key: "a".into(), value: None }] }),
            ..Default::default()
        }),
        reservations: vec![resource::ReservationInfo {
            role: Some("spark".into()),
            r#type: Some(resource::reservation_info::Type::Dynamic as i32),
            ..Default::default()
        }],
        allocation_info: Some(resource::AllocationInfo { role: Some("spark".into()) }),
        disk: Some(resource::DiskInfo {
            persistence: Some(resource::disk_info::Persistence {
                id: "vol".into(),
                principal: None,
            }),
            volume: Some(Volume {
                container_path: "data".into(),
                mode: volume::Mode::Rw as i32,
                ..Default::default()
            }),
            source: None,
        }),
        revocable: Some(resource::RevocableInfo {}),
        shared: Some(resource::SharedInfo {}),
        ..scalar("disk", 100.0)
    };
    let ports = Resource {
        name: "ports".into(),
        r#type: value::Type::Ranges as i32,
        ranges: Some(value::Ranges { range: vec![value::Range { begin: 31000, end: 31005 }] }),
        ..Default::default()
    };
    let task = TaskInfo {
        name: "Task 1".into(),
        task_id: "1".into(),
        agent_id: "agent-1".into(),
        resources: vec![scalar("cpus", 1.5), scalar("mem", 1024.0), reserved, ports],
        command: Some(CommandInfo {
            uris: vec![command_info::Uri {
                value: "http://x/spark.tgz".into(),
                extract: Some(false),
                ..Default::default()
            }],
            environment: Some(Environment {
                variables: vec![
                    environment::Variable {
                        name: "A".into(),
                        value: Some("1".into()),
                        ..Default::default()
                    },
                    environment::Variable {
                        name: "S".into(),
                        r#type: Some(environment::variable::Type::Secret as i32),
                        secret: Some(secret_ref("/db/pw")),
                        ..Default::default()
                    },
                ],
            }),
            value: Some("./bin/spark-class".into()),
            shell: Some(false),
            arguments: vec!["a".into(), "b".into()],
            ..Default::default()
        }),
        container: Some(ContainerInfo {
            r#type: container_info::Type::Docker as i32,
            docker: Some(container_info::DockerInfo {
                image: "spark:3.5".into(),
                network: Some(container_info::docker_info::Network::Bridge as i32),
                port_mappings: vec![container_info::docker_info::PortMapping {
                    host_port: 31000,
                    container_port: 4040,
                    protocol: Some("tcp".into()),
                }],
                parameters: vec![Parameter { key: "cpus".into(), value: "1".into() }],
                force_pull_image: Some(true),
                ..Default::default()
            }),
            network_infos: vec![NetworkInfo { name: Some("n".into()), ..Default::default() }],
            ..Default::default()
        }),
        kill_policy: Some(KillPolicy { grace_period: Some(DurationInfo { nanoseconds: 5 }) }),
        data: Some(vec![0, 1, 2]),
        ..Default::default()
    };
    Call {
        framework_id: Some("fw".into()),
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec!["o1".into(), "o2".into()],
            operations: vec![offer::Operation {
                r#type: Some(offer::operation::Type::Launch as i32),
                launch: Some(offer::operation::Launch { task_infos: vec![task] }),
                ..Default::default()
            }],
            filters: Some(Filters { refuse_seconds: Some(1.0) }),
        }),
        ..Default::default()
    }
}

#[test]
fn a_launch_call_roundtrips() {
    let call = launch_call();
    let bytes = call.encode_to_vec();
    assert_eq!(Call::decode(bytes.as_slice()).unwrap(), call);
}

#[test]
fn an_offers_event_roundtrips() {
    let offer = Offer {
        id: "o1".into(),
        framework_id: "fw".into(),
        agent_id: "a1".into(),
        hostname: "host".into(),
        resources: vec![scalar("cpus", 4.0)],
        attributes: vec![Attribute {
            name: "rack".into(),
            r#type: value::Type::Text as i32,
            text: Some(value::Text { value: "r1".into() }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let event = Event {
        r#type: Some(event::Type::Offers as i32),
        offers: Some(event::Offers { offers: vec![offer] }),
        ..Default::default()
    };
    assert_eq!(Event::decode(event.encode_to_vec().as_slice()).unwrap(), event);
}

#[test]
fn unset_optionals_read_as_the_declared_defaults() {
    assert_eq!(Filters::default().refuse_seconds(), 5.0);
    assert!(CommandInfo::default().shell());
    assert!(command_info::Uri::default().extract());
    assert_eq!(Resource::default().role(), "*");
    assert_eq!(FrameworkInfo::default().role(), "*");
    assert_eq!(environment::Variable::default().r#type(), environment::variable::Type::Value);
    assert_eq!(
        container_info::DockerInfo::default().network(),
        container_info::docker_info::Network::Host
    );
    assert!(Image::default().cached());
    assert_eq!(HealthCheck::default().consecutive_failures(), 3);
    // proto2: an enum defaults to its first declared value, TASK_STAGING here, not 0.
    assert_eq!(TaskStatus::default().state(), TaskState::TaskStaging);
}

#[test]
fn only_set_fields_are_written() {
    assert!(Filters::default().encode_to_vec().is_empty());
    // refuse_seconds = 5.0, written although it equals the default: proto2 keeps presence.
    let five = Filters { refuse_seconds: Some(5.0) }.encode_to_vec();
    assert_eq!(five, [0x09, 0, 0, 0, 0, 0, 0, 0x14, 0x40]);
}

#[test]
fn repeated_scalars_are_unpacked() {
    let check =
        health_check::HttpCheckInfo { port: 1, statuses: vec![200, 201], ..Default::default() };
    assert_eq!(check.encode_to_vec(), [0x08, 1, 0x20, 200, 1, 0x20, 201, 1]);
}

#[test]
fn enum_names_match_the_proto() {
    assert_eq!(TaskState::TaskRunning.as_str_name(), "TASK_RUNNING");
    assert_eq!(
        TaskState::from_str_name("TASK_GONE_BY_OPERATOR"),
        Some(TaskState::TaskGoneByOperator)
    );
    assert_eq!(
        task_status::Reason::from_str_name("REASON_AGENT_REMOVED").map(|r| r as i32),
        Some(11)
    );
    assert_eq!(network_info::Protocol::IPv6.as_str_name(), "IPv6");
    assert_eq!(scheduler::call::Type::from_str_name("NOPE"), None);
}

#[test]
fn truncated_input_is_an_error_not_a_panic() {
    let bytes = launch_call().encode_to_vec();
    for n in [1, 2, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(Call::decode(&bytes[..n]).is_err(), "{n}");
    }
}

#[test]
fn unknown_fields_are_skipped() {
    let mut bytes = Filters { refuse_seconds: Some(2.0) }.encode_to_vec();
    bytes.extend_from_slice(&[0xf8, 0x01, 0x07]); // field 31, varint 7
    assert_eq!(Filters::decode(bytes.as_slice()).unwrap().refuse_seconds, Some(2.0));
}
