//! Byte-for-byte agreement with Mesos 1.4.3's own generated Java classes, without Java.
//!
//! `fixtures/mesos-1.4.3-v1-vectors.txt` holds what `org.apache.mesos.v1.Protos` and
//! `org.apache.mesos.v1.scheduler.Protos` (from `mesos-1.4.3-shaded-protobuf.jar`) encode for
//! the values built by `tests/java/mesosproto/MesosProtoVectors.java`; the functions below
//! build the same values, named alike. Every vector must encode byte-identically from the
//! Rust value and decode back to it; `tests/tests/mesos_proto_golden.rs` regenerates the
//! fixture live and fails on drift. The same values also round-trip through Mesos's JSON.

#![allow(clippy::unwrap_used)]

use std::fmt::Debug;

use mesos::json::{self, JsonMessage};
use mesos::proto::scheduler::{call, event, Call, Event};
use mesos::proto::*;
use prost::Message;

const FIXTURE: &str = include_str!("fixtures/mesos-1.4.3-v1-vectors.txt");

/// Decodes a vector and compares it with the sample; `Err` describes the difference.
type DecodeCheck = Box<dyn Fn(&[u8]) -> Result<(), String>>;

/// Sends the sample through JSON and back; `Err` describes the failure.
type JsonCheck = Box<dyn Fn() -> Result<(), String>>;

/// One named value and the checks it must pass.
struct Sample {
    name: &'static str,
    encoded: Vec<u8>,
    decodes_back: DecodeCheck,
    json_round_trip: JsonCheck,
}

fn sample<M>(name: &'static str, value: M) -> Sample
where
    M: Message + Default + PartialEq + Debug + JsonMessage + Clone + 'static,
{
    let encoded = value.encode_to_vec();
    let expected = value.clone();
    let decodes_back = Box::new(move |bytes: &[u8]| match M::decode(bytes) {
        Ok(got) if got == expected => Ok(()),
        Ok(got) => Err(format!("decoded {got:?}\nexpected {expected:?}")),
        Err(e) => Err(e.to_string()),
    });
    let json_round_trip = Box::new(move || {
        // The first write fills in explicit defaults (as Mesos does); after that, writing
        // and reading is a fixed point, and the protobuf form only gains those defaults.
        let once: M = json::from_slice(&json::to_vec(&value)).map_err(|e| e.to_string())?;
        let twice: M = json::from_slice(&json::to_vec(&once)).map_err(|e| e.to_string())?;
        if once != twice {
            return Err(format!("not a fixed point:\n{once:?}\n{twice:?}"));
        }
        Ok(())
    });
    Sample { name, encoded, decodes_back, json_round_trip }
}

fn s(x: &str) -> String {
    x.to_owned()
}

// --- ids and small shared messages ------------------------------------------------------

fn framework_id() -> FrameworkId {
    "fw-1".into()
}
fn offer_id() -> OfferId {
    "offer-1".into()
}
fn agent_id() -> AgentId {
    "agent-1".into()
}
fn task_id() -> TaskId {
    "task-1".into()
}
fn executor_id() -> ExecutorId {
    "exec-1".into()
}
fn container_id() -> ContainerId {
    ContainerId {
        value: s("c-2"),
        parent: Some(Box::new(ContainerId { value: s("c-1"), parent: None })),
    }
}
fn resource_provider_id() -> ResourceProviderId {
    "rp-1".into()
}
fn time_info() -> TimeInfo {
    TimeInfo { nanoseconds: 1_500_000_000_123_456_789 }
}
fn duration_info() -> DurationInfo {
    DurationInfo { nanoseconds: 3_000_000_000 }
}
fn negative_duration_info() -> DurationInfo {
    DurationInfo { nanoseconds: -2 }
}
fn address() -> Address {
    Address { hostname: Some(s("master.local")), ip: Some(s("10.0.0.1")), port: 5050 }
}
fn parameter(key: &str, value: &str) -> Parameter {
    Parameter { key: s(key), value: s(value) }
}
fn parameters() -> Parameters {
    Parameters { parameter: vec![parameter("a", "1"), parameter("b", "2")] }
}
fn url() -> Url {
    Url {
        scheme: s("http"),
        address: address(),
        path: Some(s("/api")),
        query: vec![parameter("a", "1"), parameter("b", "2")],
        fragment: Some(s("frag")),
    }
}
fn unavailability() -> Unavailability {
    Unavailability { start: time_info(), duration: Some(duration_info()) }
}
fn labels() -> Labels {
    Labels {
        labels: vec![
            Label { key: s("k1"), value: Some(s("v1")) },
            Label { key: s("k2"), value: None },
        ],
    }
}
fn credential() -> Credential {
    Credential { principal: s("principal"), secret: Some(s("secret")) }
}
fn domain_info() -> DomainInfo {
    DomainInfo {
        fault_domain: Some(domain_info::FaultDomain {
            region: domain_info::fault_domain::RegionInfo { name: s("us-east") },
            zone: domain_info::fault_domain::ZoneInfo { name: s("us-east-1a") },
        }),
    }
}
fn master_info() -> MasterInfo {
    MasterInfo {
        id: s("master-1"),
        ip: 16_777_343,
        port: 5050,
        pid: Some(s("master@127.0.0.1:5050")),
        hostname: Some(s("localhost")),
        version: Some(s("1.4.3")),
        address: Some(address()),
        domain: Some(domain_info()),
    }
}

// --- framework ----------------------------------------------------------------------------

fn capability(kind: framework_info::capability::Type) -> framework_info::Capability {
    framework_info::Capability::of(kind)
}
fn framework_info() -> FrameworkInfo {
    use framework_info::capability::Type;
    FrameworkInfo {
        user: s("spark"),
        name: s("Spark Pi"),
        id: Some(framework_id()),
        failover_timeout: Some(120.5),
        checkpoint: Some(true),
        role: Some(s("spark-role")),
        hostname: Some(s("driver-host")),
        principal: Some(s("principal")),
        webui_url: Some(s("http://driver:4040")),
        capabilities: vec![
            capability(Type::RevocableResources),
            capability(Type::GpuResources),
            capability(Type::MultiRole),
            capability(Type::ReservationRefinement),
        ],
        labels: Some(labels()),
        roles: vec![s("a"), s("b")],
    }
}

// --- values, attributes, resources --------------------------------------------------------

fn scalar(v: f64) -> value::Scalar {
    value::Scalar { value: v }
}
fn ranges() -> value::Ranges {
    value::Ranges {
        range: vec![
            value::Range { begin: 31000, end: 31005 },
            value::Range { begin: 32000, end: 32000 },
        ],
    }
}
fn set() -> value::Set {
    value::Set { item: vec![s("a"), s("b")] }
}
fn text() -> value::Text {
    value::Text { value: s("txt") }
}
fn value_all() -> Value {
    Value {
        r#type: value::Type::Ranges as i32,
        scalar: Some(scalar(1.5)),
        ranges: Some(ranges()),
        set: Some(set()),
        text: Some(text()),
    }
}
fn attribute_all() -> Attribute {
    Attribute {
        name: s("rack"),
        r#type: value::Type::Set as i32,
        scalar: Some(scalar(2.0)),
        ranges: Some(ranges()),
        text: Some(text()),
        set: Some(set()),
    }
}
fn attribute_text() -> Attribute {
    Attribute {
        name: s("os"),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: s("ubuntu") }),
        ..Default::default()
    }
}
fn attribute_scalar() -> Attribute {
    Attribute {
        name: s("zone"),
        r#type: value::Type::Scalar as i32,
        scalar: Some(scalar(3.0)),
        ..Default::default()
    }
}
fn allocation_info() -> resource::AllocationInfo {
    resource::AllocationInfo { role: Some(s("spark")) }
}
fn reservation_refined() -> resource::ReservationInfo {
    resource::ReservationInfo {
        principal: Some(s("principal")),
        labels: Some(labels()),
        role: Some(s("spark/sub")),
        r#type: Some(resource::reservation_info::Type::Dynamic as i32),
    }
}
fn reservation_static() -> resource::ReservationInfo {
    resource::ReservationInfo {
        role: Some(s("spark")),
        r#type: Some(resource::reservation_info::Type::Static as i32),
        ..Default::default()
    }
}
fn reservation_legacy() -> resource::ReservationInfo {
    resource::ReservationInfo {
        principal: Some(s("principal")),
        labels: Some(labels()),
        ..Default::default()
    }
}
fn volume_rw() -> Volume {
    Volume {
        container_path: s("data"),
        host_path: Some(s("/var/data")),
        mode: volume::Mode::Rw as i32,
        ..Default::default()
    }
}
fn disk_info() -> resource::DiskInfo {
    use resource::disk_info::{self, source};
    resource::DiskInfo {
        persistence: Some(disk_info::Persistence {
            id: s("vol-1"),
            principal: Some(s("principal")),
        }),
        volume: Some(volume_rw()),
        source: Some(disk_info::Source {
            r#type: source::Type::Mount as i32,
            path: Some(source::Path { root: Some(s("/p")) }),
            mount: Some(source::Mount { root: Some(s("/mnt")) }),
        }),
    }
}
fn resource_cpus_legacy() -> Resource {
    Resource {
        name: s("cpus"),
        r#type: value::Type::Scalar as i32,
        scalar: Some(scalar(2.5)),
        role: Some(s("spark")),
        reservation: Some(reservation_legacy()),
        allocation_info: Some(allocation_info()),
        revocable: Some(resource::RevocableInfo {}),
        ..Default::default()
    }
}
fn resource_disk_refined() -> Resource {
    Resource {
        name: s("disk"),
        r#type: value::Type::Scalar as i32,
        scalar: Some(scalar(1024.0)),
        disk: Some(disk_info()),
        shared: Some(resource::SharedInfo {}),
        allocation_info: Some(allocation_info()),
        provider_id: Some(resource_provider_id()),
        reservations: vec![reservation_static(), reservation_refined()],
        ..Default::default()
    }
}
fn resource_ports() -> Resource {
    Resource {
        name: s("ports"),
        r#type: value::Type::Ranges as i32,
        ranges: Some(ranges()),
        ..Default::default()
    }
}
fn resource_set() -> Resource {
    Resource {
        name: s("gpus_set"),
        r#type: value::Type::Set as i32,
        set: Some(set()),
        role: Some(s("*")),
        ..Default::default()
    }
}
fn resource_mem() -> Resource {
    Resource {
        name: s("mem"),
        r#type: value::Type::Scalar as i32,
        scalar: Some(scalar(1024.0)),
        ..Default::default()
    }
}
fn request() -> Request {
    Request { agent_id: Some(agent_id()), resources: vec![resource_cpus_legacy(), resource_mem()] }
}

// --- containers ---------------------------------------------------------------------------

fn secret_reference() -> Secret {
    Secret {
        r#type: Some(secret::Type::Reference as i32),
        reference: Some(secret::Reference { name: s("/db/pw"), key: Some(s("password")) }),
        value: None,
    }
}
fn secret_value() -> Secret {
    Secret {
        r#type: Some(secret::Type::Value as i32),
        reference: None,
        value: Some(secret::Value { data: vec![0, 1, 2, 0xff] }),
    }
}
fn image_docker() -> Image {
    Image {
        r#type: image::Type::Docker as i32,
        appc: None,
        docker: Some(image::Docker {
            name: s("spark:3.5.6"),
            credential: Some(credential()),
            config: Some(secret_value()),
        }),
        cached: Some(false),
    }
}
fn image_appc() -> Image {
    Image {
        r#type: image::Type::Appc as i32,
        appc: Some(image::Appc {
            name: s("coreos.com/etcd"),
            id: Some(s("sha512-1")),
            labels: Some(labels()),
        }),
        docker: None,
        cached: Some(true),
    }
}
fn volume_full() -> Volume {
    use volume::source::{self, sandbox_path};
    Volume {
        container_path: s("/secrets"),
        host_path: Some(s("/host")),
        mode: volume::Mode::Ro as i32,
        image: Some(image_appc()),
        source: Some(volume::Source {
            r#type: Some(source::Type::Secret as i32),
            docker_volume: Some(source::DockerVolume {
                driver: Some(s("rexray")),
                name: s("vol"),
                driver_options: Some(parameters()),
            }),
            sandbox_path: Some(source::SandboxPath {
                r#type: Some(sandbox_path::Type::Parent as i32),
                path: s("shared"),
            }),
            secret: Some(secret_reference()),
        }),
    }
}
fn network_info() -> NetworkInfo {
    NetworkInfo {
        groups: vec![s("g1"), s("g2")],
        labels: Some(labels()),
        ip_addresses: vec![
            network_info::IpAddress {
                protocol: Some(network_info::Protocol::IPv6 as i32),
                ip_address: Some(s("::1")),
            },
            network_info::IpAddress { protocol: None, ip_address: Some(s("10.0.0.2")) },
        ],
        name: Some(s("cni-net")),
        port_mappings: vec![network_info::PortMapping {
            host_port: 31000,
            container_port: 8080,
            protocol: Some(s("tcp")),
        }],
    }
}
fn capability_info() -> CapabilityInfo {
    use capability_info::Capability;
    CapabilityInfo { capabilities: vec![Capability::Chown as i32, Capability::SysAdmin as i32] }
}
fn linux_info() -> LinuxInfo {
    LinuxInfo {
        capability_info: Some(capability_info()),
        bounding_capabilities: Some(capability_info()),
        effective_capabilities: Some(CapabilityInfo {
            capabilities: vec![capability_info::Capability::NetRaw as i32],
        }),
        share_pid_namespace: Some(true),
    }
}
fn rlimit_info() -> RLimitInfo {
    use r_limit_info::{r_limit::Type, RLimit};
    RLimitInfo {
        rlimits: vec![
            RLimit { r#type: Some(Type::RlmtNofile as i32), hard: Some(1024), soft: Some(512) },
            RLimit { r#type: Some(Type::RlmtCore as i32), hard: None, soft: None },
        ],
    }
}
fn tty_info() -> TtyInfo {
    TtyInfo { window_size: Some(tty_info::WindowSize { rows: 24, columns: 80 }) }
}
fn docker_info() -> container_info::DockerInfo {
    use container_info::docker_info::{Network, PortMapping};
    container_info::DockerInfo {
        image: s("spark:3.5.6"),
        network: Some(Network::Bridge as i32),
        port_mappings: vec![
            PortMapping { host_port: 31000, container_port: 4040, protocol: Some(s("tcp")) },
            PortMapping { host_port: 31001, container_port: 7077, protocol: None },
        ],
        privileged: Some(true),
        parameters: vec![parameter("cpus", "1"), parameter("label", "x=y")],
        force_pull_image: Some(true),
        volume_driver: Some(s("local")),
    }
}
fn container_info_docker() -> ContainerInfo {
    ContainerInfo {
        r#type: container_info::Type::Docker as i32,
        volumes: vec![volume_rw()],
        docker: Some(docker_info()),
        hostname: Some(s("container-host")),
        mesos: None,
        network_infos: vec![network_info()],
        linux_info: Some(linux_info()),
        rlimit_info: Some(rlimit_info()),
        tty_info: Some(tty_info()),
    }
}
fn container_info_mesos() -> ContainerInfo {
    ContainerInfo {
        r#type: container_info::Type::Mesos as i32,
        volumes: vec![volume_full(), volume_rw()],
        mesos: Some(container_info::MesosInfo { image: Some(image_docker()) }),
        network_infos: vec![network_info()],
        ..Default::default()
    }
}
fn container_status() -> ContainerStatus {
    ContainerStatus {
        network_infos: vec![network_info()],
        cgroup_info: Some(CgroupInfo {
            net_cls: Some(cgroup_info::NetCls { classid: Some(0x10001) }),
        }),
        executor_pid: Some(4242),
        container_id: Some(container_id()),
    }
}

// --- tasks --------------------------------------------------------------------------------

fn uri_full() -> command_info::Uri {
    command_info::Uri {
        value: s("http://repo/spark.tgz"),
        executable: Some(true),
        extract: Some(false),
        cache: Some(true),
        output_file: Some(s("spark.tgz")),
    }
}
fn environment() -> Environment {
    use environment::{variable::Type, Variable};
    Environment {
        variables: vec![
            Variable { name: s("PLAIN"), value: Some(s("1")), r#type: None, secret: None },
            Variable {
                name: s("VALUE"),
                value: Some(s("2")),
                r#type: Some(Type::Value as i32),
                secret: None,
            },
            Variable {
                name: s("SECRET"),
                value: None,
                r#type: Some(Type::Secret as i32),
                secret: Some(secret_reference()),
            },
        ],
    }
}
fn command_info() -> CommandInfo {
    CommandInfo {
        uris: vec![
            uri_full(),
            command_info::Uri { value: s("http://repo/app.jar"), ..Default::default() },
        ],
        environment: Some(environment()),
        value: Some(s("./bin/spark-class")),
        user: Some(s("nobody")),
        shell: Some(false),
        arguments: vec![s("org.apache.spark.Main"), s("--x")],
    }
}
fn kill_policy() -> KillPolicy {
    KillPolicy { grace_period: Some(duration_info()) }
}
fn health_check() -> HealthCheck {
    HealthCheck {
        http: Some(health_check::HttpCheckInfo {
            port: 8080,
            path: Some(s("/health")),
            scheme: Some(s("https")),
            statuses: vec![200, 204],
        }),
        delay_seconds: Some(1.0),
        interval_seconds: Some(2.0),
        timeout_seconds: Some(3.0),
        consecutive_failures: Some(4),
        grace_period_seconds: Some(5.0),
        command: Some(CommandInfo { value: s("true").into(), ..Default::default() }),
        r#type: Some(health_check::Type::Http as i32),
        tcp: Some(health_check::TcpCheckInfo { port: 9 }),
    }
}
fn check_info() -> CheckInfo {
    CheckInfo {
        r#type: Some(check_info::Type::Tcp as i32),
        command: Some(check_info::Command {
            command: CommandInfo { value: s("true").into(), ..Default::default() },
        }),
        http: Some(check_info::Http { port: 80, path: Some(s("/ready")) }),
        delay_seconds: Some(0.5),
        interval_seconds: Some(1.5),
        timeout_seconds: Some(2.5),
        tcp: Some(check_info::Tcp { port: 443 }),
    }
}
fn discovery_info() -> DiscoveryInfo {
    use discovery_info::Visibility;
    DiscoveryInfo {
        visibility: Visibility::Cluster as i32,
        name: Some(s("spark")),
        environment: Some(s("prod")),
        location: Some(s("dc1")),
        version: Some(s("3.5.6")),
        ports: Some(Ports {
            ports: vec![Port {
                number: 80,
                name: Some(s("http")),
                protocol: Some(s("tcp")),
                visibility: Some(Visibility::External as i32),
                labels: Some(labels()),
            }],
        }),
        labels: Some(labels()),
    }
}
fn executor_info() -> ExecutorInfo {
    ExecutorInfo {
        executor_id: executor_id(),
        data: Some(vec![9, 8, 7]),
        resources: vec![resource_cpus_legacy(), resource_mem()],
        command: Some(command_info()),
        framework_id: Some(framework_id()),
        name: Some(s("executor")),
        source: Some(s("source")),
        container: Some(container_info_mesos()),
        discovery: Some(discovery_info()),
        shutdown_grace_period: Some(duration_info()),
        labels: Some(labels()),
        r#type: Some(executor_info::Type::Custom as i32),
    }
}
fn task_info_command() -> TaskInfo {
    TaskInfo {
        name: s("Task 1"),
        task_id: task_id(),
        agent_id: agent_id(),
        resources: vec![
            resource_cpus_legacy(),
            resource_mem(),
            resource_ports(),
            resource_disk_refined(),
        ],
        executor: None,
        data: Some(vec![1, 2, 3]),
        command: Some(command_info()),
        health_check: Some(health_check()),
        container: Some(container_info_docker()),
        labels: Some(labels()),
        discovery: Some(discovery_info()),
        kill_policy: Some(kill_policy()),
        check: Some(check_info()),
    }
}
fn task_info_executor() -> TaskInfo {
    TaskInfo {
        name: s("Task 2"),
        task_id: "task-2".into(),
        agent_id: agent_id(),
        resources: vec![resource_mem()],
        executor: Some(executor_info()),
        ..Default::default()
    }
}
fn task_group_info() -> TaskGroupInfo {
    TaskGroupInfo { tasks: vec![task_info_executor(), task_info_command()] }
}

// --- offers -------------------------------------------------------------------------------

fn offer() -> Offer {
    Offer {
        id: offer_id(),
        framework_id: framework_id(),
        agent_id: agent_id(),
        hostname: s("agent-host"),
        resources: vec![
            resource_cpus_legacy(),
            resource_ports(),
            resource_disk_refined(),
            resource_set(),
        ],
        executor_ids: vec![executor_id(), "exec-2".into()],
        attributes: vec![attribute_text(), attribute_scalar(), attribute_all()],
        url: Some(url()),
        unavailability: Some(unavailability()),
        allocation_info: Some(allocation_info()),
        domain: Some(domain_info()),
    }
}
fn operation_launch() -> offer::Operation {
    mesos::call::launch(vec![task_info_command(), task_info_executor()])
}
fn operation_launch_group() -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::LaunchGroup as i32),
        launch_group: Some(offer::operation::LaunchGroup {
            executor: executor_info(),
            task_group: task_group_info(),
        }),
        ..Default::default()
    }
}
fn operation_reserve() -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::Reserve as i32),
        reserve: Some(offer::operation::Reserve { resources: vec![resource_cpus_legacy()] }),
        ..Default::default()
    }
}
fn operation_unreserve() -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::Unreserve as i32),
        unreserve: Some(offer::operation::Unreserve { resources: vec![resource_disk_refined()] }),
        ..Default::default()
    }
}
fn operation_create() -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::Create as i32),
        create: Some(offer::operation::Create { volumes: vec![resource_disk_refined()] }),
        ..Default::default()
    }
}
fn operation_destroy() -> offer::Operation {
    offer::Operation {
        r#type: Some(offer::operation::Type::Destroy as i32),
        destroy: Some(offer::operation::Destroy { volumes: vec![resource_disk_refined()] }),
        ..Default::default()
    }
}
fn inverse_offer() -> InverseOffer {
    InverseOffer {
        id: "inverse-1".into(),
        url: Some(url()),
        framework_id: framework_id(),
        agent_id: Some(agent_id()),
        unavailability: unavailability(),
        resources: vec![resource_mem()],
    }
}
fn filters() -> Filters {
    Filters { refuse_seconds: Some(30.0) }
}

// --- status -------------------------------------------------------------------------------

fn check_status_info() -> CheckStatusInfo {
    CheckStatusInfo {
        r#type: Some(check_info::Type::Command as i32),
        command: Some(check_status_info::Command { exit_code: Some(-1) }),
        http: Some(check_status_info::Http { status_code: Some(200) }),
        tcp: Some(check_status_info::Tcp { succeeded: Some(true) }),
    }
}
fn uuid() -> Vec<u8> {
    (0u8..16).map(|i| i * 17).collect()
}
fn task_status_full() -> TaskStatus {
    TaskStatus {
        task_id: task_id(),
        state: TaskState::TaskFailed as i32,
        data: Some(vec![0xca, 0xfe]),
        message: Some(s("Container exited")),
        agent_id: Some(agent_id()),
        timestamp: Some(1_500_000_000.25),
        executor_id: Some(executor_id()),
        healthy: Some(false),
        source: Some(task_status::Source::Executor as i32),
        reason: Some(task_status::Reason::ContainerLimitationMemory as i32),
        uuid: Some(uuid()),
        labels: Some(labels()),
        container_status: Some(container_status()),
        unreachable_time: Some(time_info()),
        check_status: Some(check_status_info()),
    }
}
fn task_status_starting() -> TaskStatus {
    TaskStatus { task_id: task_id(), state: TaskState::TaskStarting as i32, ..Default::default() }
}

// --- scheduler calls and events ----------------------------------------------------------

fn call_subscribe() -> Call {
    let mut c = mesos::call::subscribe(framework_info());
    if let Some(sub) = c.subscribe.as_mut() {
        sub.suppressed_roles = vec![s("b")];
    }
    c
}
fn call_accept() -> Call {
    mesos::call::accept(
        &framework_id(),
        vec![offer_id(), "offer-2".into()],
        vec![operation_launch(), operation_reserve()],
        Some(filters()),
    )
}
fn call_accept_inverse_offers() -> Call {
    Call {
        framework_id: Some(framework_id()),
        r#type: Some(call::Type::AcceptInverseOffers as i32),
        accept_inverse_offers: Some(call::AcceptInverseOffers {
            inverse_offer_ids: vec!["inverse-1".into()],
            filters: Some(filters()),
        }),
        ..Default::default()
    }
}
fn call_decline_inverse_offers() -> Call {
    Call {
        framework_id: Some(framework_id()),
        r#type: Some(call::Type::DeclineInverseOffers as i32),
        decline_inverse_offers: Some(call::DeclineInverseOffers {
            inverse_offer_ids: vec!["inverse-1".into(), "inverse-2".into()],
            filters: Some(filters()),
        }),
        ..Default::default()
    }
}
fn call_request() -> Call {
    Call {
        framework_id: Some(framework_id()),
        r#type: Some(call::Type::Request as i32),
        request: Some(call::Request { requests: vec![request()] }),
        ..Default::default()
    }
}
fn status_update() -> TaskStatus {
    TaskStatus {
        task_id: task_id(),
        state: TaskState::TaskRunning as i32,
        agent_id: Some(agent_id()),
        uuid: Some(uuid()),
        ..Default::default()
    }
}
fn raw_event(kind: event::Type) -> Event {
    Event { r#type: Some(kind as i32), ..Default::default() }
}

fn samples() -> Vec<Sample> {
    let fw = framework_id();
    vec![
        sample("framework_id", framework_id()),
        sample("offer_id", offer_id()),
        sample("agent_id", agent_id()),
        sample("task_id", task_id()),
        sample("executor_id", executor_id()),
        sample("container_id", container_id()),
        sample("resource_provider_id", resource_provider_id()),
        sample("time_info", time_info()),
        sample("duration_info", duration_info()),
        sample("duration_info_negative", negative_duration_info()),
        sample("address", address()),
        sample("url", url()),
        sample("unavailability", unavailability()),
        sample("parameter", parameter("key", "value")),
        sample("parameters", parameters()),
        sample("label", Label { key: s("k"), value: Some(s("v")) }),
        sample("labels", labels()),
        sample("credential", credential()),
        sample("domain_info", domain_info()),
        sample("master_info", master_info()),
        sample(
            "framework_capability",
            capability(framework_info::capability::Type::PartitionAware),
        ),
        sample("framework_info", framework_info()),
        sample(
            "framework_info_minimal",
            FrameworkInfo { user: s(""), name: s("n"), ..Default::default() },
        ),
        sample("value_scalar", scalar(0.001)),
        sample("value_range", value::Range { begin: 0, end: u64::MAX }),
        sample("value_ranges", ranges()),
        sample("value_set", set()),
        sample("value_text", text()),
        sample("value", value_all()),
        sample("attribute", attribute_all()),
        sample("attribute_text", attribute_text()),
        sample("allocation_info", allocation_info()),
        sample("reservation_info_refined", reservation_refined()),
        sample("reservation_info_legacy", reservation_legacy()),
        sample("disk_info", disk_info()),
        sample("resource_cpus_legacy", resource_cpus_legacy()),
        sample("resource_disk_refined", resource_disk_refined()),
        sample("resource_ports", resource_ports()),
        sample("resource_set", resource_set()),
        sample("request", request()),
        sample("secret_reference", secret_reference()),
        sample("secret_value", secret_value()),
        sample("image_docker", image_docker()),
        sample("image_appc", image_appc()),
        sample("volume_rw", volume_rw()),
        sample("volume_full", volume_full()),
        sample("network_info", network_info()),
        sample("capability_info", capability_info()),
        sample("linux_info", linux_info()),
        sample("rlimit_info", rlimit_info()),
        sample("tty_info", tty_info()),
        sample("docker_info", docker_info()),
        sample("container_info_docker", container_info_docker()),
        sample("container_info_mesos", container_info_mesos()),
        sample("container_status", container_status()),
        sample("command_uri", uri_full()),
        sample("environment", environment()),
        sample("command_info", command_info()),
        sample("kill_policy", kill_policy()),
        sample("health_check", health_check()),
        sample("check_info", check_info()),
        sample("discovery_info", discovery_info()),
        sample("executor_info", executor_info()),
        sample("task_info_command", task_info_command()),
        sample("task_info_executor", task_info_executor()),
        sample("task_group_info", task_group_info()),
        sample("offer", offer()),
        sample("operation_launch", operation_launch()),
        sample("operation_launch_group", operation_launch_group()),
        sample("operation_reserve", operation_reserve()),
        sample("operation_unreserve", operation_unreserve()),
        sample("operation_create", operation_create()),
        sample("operation_destroy", operation_destroy()),
        sample("inverse_offer", inverse_offer()),
        sample("filters", filters()),
        sample("check_status_info", check_status_info()),
        sample("task_status_full", task_status_full()),
        sample("task_status_starting", task_status_starting()),
        sample("call_subscribe", call_subscribe()),
        sample("call_teardown", mesos::call::teardown(&fw)),
        sample("call_accept", call_accept()),
        sample(
            "call_decline",
            mesos::call::decline(&fw, vec![offer_id(), "offer-2".into()], Some(filters())),
        ),
        sample("call_accept_inverse_offers", call_accept_inverse_offers()),
        sample("call_decline_inverse_offers", call_decline_inverse_offers()),
        sample("call_revive", mesos::call::revive(&fw, vec![s("a"), s("b")])),
        sample(
            "call_kill",
            mesos::call::kill(&fw, task_id(), Some(agent_id()), Some(kill_policy())),
        ),
        sample("call_shutdown", mesos::call::shutdown(&fw, executor_id(), agent_id())),
        sample("call_acknowledge", mesos::call::acknowledge(&fw, &status_update()).unwrap()),
        sample(
            "call_reconcile",
            mesos::call::reconcile(
                &fw,
                vec![(task_id(), Some(agent_id())), ("task-2".into(), None)],
            ),
        ),
        sample("call_reconcile_all", mesos::call::reconcile_all(&fw)),
        sample(
            "call_message",
            mesos::call::message(&fw, agent_id(), executor_id(), vec![0, 0xff, 7]),
        ),
        sample("call_request", call_request()),
        sample("call_suppress", mesos::call::suppress(&fw, vec![s("a")])),
        sample(
            "event_subscribed",
            Event {
                subscribed: Some(event::Subscribed {
                    framework_id: framework_id(),
                    heartbeat_interval_seconds: Some(15.0),
                    master_info: Some(master_info()),
                }),
                ..raw_event(event::Type::Subscribed)
            },
        ),
        sample(
            "event_offers",
            Event {
                offers: Some(event::Offers { offers: vec![offer()] }),
                ..raw_event(event::Type::Offers)
            },
        ),
        sample(
            "event_inverse_offers",
            Event {
                inverse_offers: Some(event::InverseOffers {
                    inverse_offers: vec![inverse_offer()],
                }),
                ..raw_event(event::Type::InverseOffers)
            },
        ),
        sample(
            "event_rescind",
            Event {
                rescind: Some(event::Rescind { offer_id: offer_id() }),
                ..raw_event(event::Type::Rescind)
            },
        ),
        sample(
            "event_rescind_inverse_offer",
            Event {
                rescind_inverse_offer: Some(event::RescindInverseOffer {
                    inverse_offer_id: "inverse-1".into(),
                }),
                ..raw_event(event::Type::RescindInverseOffer)
            },
        ),
        sample(
            "event_update",
            Event {
                update: Some(event::Update { status: task_status_full() }),
                ..raw_event(event::Type::Update)
            },
        ),
        sample(
            "event_message",
            Event {
                message: Some(event::Message {
                    agent_id: agent_id(),
                    executor_id: executor_id(),
                    data: vec![1, 2],
                }),
                ..raw_event(event::Type::Message)
            },
        ),
        sample(
            "event_failure",
            Event {
                failure: Some(event::Failure {
                    agent_id: Some(agent_id()),
                    executor_id: Some(executor_id()),
                    status: Some(-9),
                }),
                ..raw_event(event::Type::Failure)
            },
        ),
        sample(
            "event_error",
            Event {
                error: Some(event::Error { message: s("Framework is not authorized") }),
                ..raw_event(event::Type::Error)
            },
        ),
        sample("event_heartbeat", raw_event(event::Type::Heartbeat)),
    ]
}

/// `<name> <hex>` lines of the fixture, comments and blank lines skipped.
fn fixture() -> Vec<(&'static str, Vec<u8>)> {
    FIXTURE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, hex) = line.split_once(' ').unwrap_or((line, ""));
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (name, bytes)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn fixture_names_match_the_samples_in_order() {
    let names: Vec<&str> = fixture().iter().map(|(n, _)| *n).collect();
    let ours: Vec<&str> = samples().iter().map(|s| s.name).collect();
    assert_eq!(names, ours);
    assert!(FIXTURE.lines().any(|l| l.starts_with("# mesos-version: 1.4.3")));
}

#[test]
fn every_vector_encodes_byte_for_byte_and_decodes_back() {
    let fixture = fixture();
    let mut failures = Vec::new();
    for sample in samples() {
        let Some((_, bytes)) = fixture.iter().find(|(n, _)| *n == sample.name) else {
            failures.push(format!("{}: not in the fixture", sample.name));
            continue;
        };
        if sample.encoded != *bytes {
            failures.push(format!(
                "{}: encoding differs\n  mesos {}\n  ours  {}",
                sample.name,
                hex(bytes),
                hex(&sample.encoded)
            ));
        }
        if let Err(e) = (sample.decodes_back)(bytes) {
            failures.push(format!("{}: {e}", sample.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_sample_round_trips_through_json() {
    let failures: Vec<String> = samples()
        .iter()
        .filter_map(|s| (s.json_round_trip)().err().map(|e| format!("{}: {e}", s.name)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
