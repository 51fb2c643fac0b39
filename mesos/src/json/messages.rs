//! Every message's fields for JSON, in `.proto` declaration order (Mesos writes them in
//! that order), with the explicit defaults Mesos writes for unset fields.

use super::{Base64, Enum};
use crate::proto::scheduler::{call, event, Call, Event};
use crate::proto::*;

json_message!("FrameworkID" => FrameworkId { required value });
json_message!("OfferID" => OfferId { required value });
json_message!("AgentID" => AgentId { required value });
json_message!("TaskID" => TaskId { required value });
json_message!("ExecutorID" => ExecutorId { required value });
json_message!("ContainerID" => ContainerId { required value, optional parent });
json_message!("ResourceProviderID" => ResourceProviderId { required value });
json_message!("TimeInfo" => TimeInfo { required nanoseconds });
json_message!("DurationInfo" => DurationInfo { required nanoseconds });
json_message!("Address" => Address { optional hostname, optional ip, required port });
json_message!("URL" => Url {
    required scheme, required address, optional path, repeated query, optional fragment,
});
json_message!("Unavailability" => Unavailability { required start, optional duration });

json_message!("FrameworkInfo" => FrameworkInfo {
    required user,
    required name,
    optional id,
    optional failover_timeout default(0.0),
    optional checkpoint default(false),
    // Deprecated: Mesos does not write its default.
    optional role,
    repeated roles,
    optional hostname,
    optional principal,
    optional webui_url,
    repeated capabilities,
    optional labels,
});
json_message!("FrameworkInfo.Capability" => framework_info::Capability {
    optional r#type as Enum<framework_info::capability::Type>,
});

json_message!("CheckInfo" => CheckInfo {
    optional r#type as Enum<check_info::Type>,
    optional command,
    optional http,
    optional tcp,
    optional delay_seconds default(15.0),
    optional interval_seconds default(10.0),
    optional timeout_seconds default(20.0),
});
json_message!("CheckInfo.Command" => check_info::Command { required command });
json_message!("CheckInfo.Http" => check_info::Http { required port, optional path });
json_message!("CheckInfo.Tcp" => check_info::Tcp { required port });

json_message!("HealthCheck" => HealthCheck {
    optional delay_seconds default(15.0),
    optional interval_seconds default(10.0),
    optional timeout_seconds default(20.0),
    optional consecutive_failures default(3),
    optional grace_period_seconds default(10.0),
    optional r#type as Enum<health_check::Type>,
    optional command,
    optional http,
    optional tcp,
});
json_message!("HealthCheck.HTTPCheckInfo" => health_check::HttpCheckInfo {
    optional scheme, required port, optional path, repeated statuses,
});
json_message!("HealthCheck.TCPCheckInfo" => health_check::TcpCheckInfo { required port });

json_message!("KillPolicy" => KillPolicy { optional grace_period });

json_message!("CommandInfo" => CommandInfo {
    repeated uris,
    optional environment,
    optional shell default(true),
    optional value,
    repeated arguments,
    optional user,
});
json_message!("CommandInfo.URI" => command_info::Uri {
    required value,
    optional executable,
    optional extract default(true),
    optional cache,
    optional output_file,
});

json_message!("ExecutorInfo" => ExecutorInfo {
    optional r#type as Enum<executor_info::Type>,
    required executor_id,
    optional framework_id,
    optional command,
    optional container,
    repeated resources,
    optional name,
    optional source,
    optional data as Base64,
    optional discovery,
    optional shutdown_grace_period,
    optional labels,
});

json_message!("DomainInfo" => DomainInfo { optional fault_domain });
json_message!("DomainInfo.FaultDomain" => domain_info::FaultDomain {
    required region, required zone,
});
json_message!("DomainInfo.FaultDomain.RegionInfo" => domain_info::fault_domain::RegionInfo {
    required name,
});
json_message!("DomainInfo.FaultDomain.ZoneInfo" => domain_info::fault_domain::ZoneInfo {
    required name,
});

json_message!("MasterInfo" => MasterInfo {
    required id,
    required ip,
    required port,
    optional pid,
    optional hostname,
    optional version,
    optional address,
    optional domain,
});

json_message!("Value" => Value {
    required r#type as Enum<value::Type>,
    optional scalar,
    optional ranges,
    optional set,
    optional text,
});
json_message!("Value.Scalar" => value::Scalar { required value });
json_message!("Value.Range" => value::Range { required begin, required end });
json_message!("Value.Ranges" => value::Ranges { repeated range });
json_message!("Value.Set" => value::Set { repeated item });
json_message!("Value.Text" => value::Text { required value });

json_message!("Attribute" => Attribute {
    required name,
    required r#type as Enum<value::Type>,
    optional scalar,
    optional ranges,
    optional set,
    optional text,
});

json_message!("Resource" => Resource {
    optional provider_id,
    required name,
    required r#type as Enum<value::Type>,
    optional scalar,
    optional ranges,
    optional set,
    // Deprecated: Mesos does not write its default.
    optional role,
    optional allocation_info,
    optional reservation,
    repeated reservations,
    optional disk,
    optional revocable,
    optional shared,
});
json_message!("Resource.AllocationInfo" => resource::AllocationInfo { optional role });
json_message!("Resource.ReservationInfo" => resource::ReservationInfo {
    optional r#type as Enum<resource::reservation_info::Type>,
    optional role,
    optional principal,
    optional labels,
});
json_message!("Resource.DiskInfo" => resource::DiskInfo {
    optional persistence, optional volume, optional source,
});
json_message!("Resource.DiskInfo.Persistence" => resource::disk_info::Persistence {
    required id, optional principal,
});
json_message!("Resource.DiskInfo.Source" => resource::disk_info::Source {
    required r#type as Enum<resource::disk_info::source::Type>,
    optional path,
    optional mount,
});
json_message!("Resource.DiskInfo.Source.Path" => resource::disk_info::source::Path {
    optional root,
});
json_message!("Resource.DiskInfo.Source.Mount" => resource::disk_info::source::Mount {
    optional root,
});
json_message!("Resource.RevocableInfo" => resource::RevocableInfo {});
json_message!("Resource.SharedInfo" => resource::SharedInfo {});

json_message!("Request" => Request { optional agent_id, repeated resources });

json_message!("Offer" => Offer {
    required id,
    required framework_id,
    required agent_id,
    required hostname,
    optional url,
    optional domain,
    repeated resources,
    repeated attributes,
    repeated executor_ids,
    optional unavailability,
    optional allocation_info,
});
json_message!("Offer.Operation" => offer::Operation {
    optional r#type as Enum<offer::operation::Type>,
    optional launch,
    optional launch_group,
    optional reserve,
    optional unreserve,
    optional create,
    optional destroy,
});
json_message!("Offer.Operation.Launch" => offer::operation::Launch { repeated task_infos });
json_message!("Offer.Operation.LaunchGroup" => offer::operation::LaunchGroup {
    required executor, required task_group,
});
json_message!("Offer.Operation.Reserve" => offer::operation::Reserve { repeated resources });
json_message!("Offer.Operation.Unreserve" => offer::operation::Unreserve { repeated resources });
json_message!("Offer.Operation.Create" => offer::operation::Create { repeated volumes });
json_message!("Offer.Operation.Destroy" => offer::operation::Destroy { repeated volumes });

json_message!("InverseOffer" => InverseOffer {
    required id,
    optional url,
    required framework_id,
    optional agent_id,
    required unavailability,
    repeated resources,
});

json_message!("TaskInfo" => TaskInfo {
    required name,
    required task_id,
    required agent_id,
    repeated resources,
    optional executor,
    optional command,
    optional container,
    optional health_check,
    optional check,
    optional kill_policy,
    optional data as Base64,
    optional labels,
    optional discovery,
});
json_message!("TaskGroupInfo" => TaskGroupInfo { repeated tasks });

json_message!("CheckStatusInfo" => CheckStatusInfo {
    optional r#type as Enum<check_info::Type>,
    optional command,
    optional http,
    optional tcp,
});
json_message!("CheckStatusInfo.Command" => check_status_info::Command { optional exit_code });
json_message!("CheckStatusInfo.Http" => check_status_info::Http { optional status_code });
json_message!("CheckStatusInfo.Tcp" => check_status_info::Tcp { optional succeeded });

json_message!("TaskStatus" => TaskStatus {
    required task_id,
    required state as Enum<TaskState>,
    optional message,
    optional source as Enum<task_status::Source>,
    optional reason as Enum<task_status::Reason>,
    optional data as Base64,
    optional agent_id,
    optional executor_id,
    optional timestamp,
    optional uuid as Base64,
    optional healthy,
    optional check_status,
    optional labels,
    optional container_status,
    optional unreachable_time,
});

json_message!("Filters" => Filters { optional refuse_seconds default(5.0) });

json_message!("Environment" => Environment { repeated variables });
json_message!("Environment.Variable" => environment::Variable {
    required name,
    optional r#type default(environment::variable::Type::Value as i32)
        as Enum<environment::variable::Type>,
    optional value,
    optional secret,
});

json_message!("Parameter" => Parameter { required key, required value });
json_message!("Parameters" => Parameters { repeated parameter });
json_message!("Credential" => Credential { required principal, optional secret });

json_message!("Secret" => Secret {
    optional r#type as Enum<secret::Type>,
    optional reference,
    optional value,
});
json_message!("Secret.Reference" => secret::Reference { required name, optional key });
json_message!("Secret.Value" => secret::Value { required data as Base64 });

json_message!("Image" => Image {
    required r#type as Enum<image::Type>,
    optional appc,
    optional docker,
    optional cached default(true),
});
json_message!("Image.Appc" => image::Appc { required name, optional id, optional labels });
json_message!("Image.Docker" => image::Docker {
    required name, optional credential, optional config,
});

json_message!("Volume" => Volume {
    required mode as Enum<volume::Mode>,
    required container_path,
    optional host_path,
    optional image,
    optional source,
});
json_message!("Volume.Source" => volume::Source {
    optional r#type as Enum<volume::source::Type>,
    optional docker_volume,
    optional sandbox_path,
    optional secret,
});
json_message!("Volume.Source.DockerVolume" => volume::source::DockerVolume {
    optional driver, required name, optional driver_options,
});
json_message!("Volume.Source.SandboxPath" => volume::source::SandboxPath {
    optional r#type as Enum<volume::source::sandbox_path::Type>,
    required path,
});

json_message!("NetworkInfo" => NetworkInfo {
    repeated ip_addresses,
    optional name,
    repeated groups,
    optional labels,
    repeated port_mappings,
});
json_message!("NetworkInfo.IPAddress" => network_info::IpAddress {
    optional protocol default(network_info::Protocol::IPv4 as i32)
        as Enum<network_info::Protocol>,
    optional ip_address,
});
json_message!("NetworkInfo.PortMapping" => network_info::PortMapping {
    required host_port, required container_port, optional protocol,
});

json_message!("CapabilityInfo" => CapabilityInfo {
    repeated capabilities as Enum<capability_info::Capability>,
});
json_message!("LinuxInfo" => LinuxInfo {
    optional capability_info,
    optional bounding_capabilities,
    optional effective_capabilities,
    optional share_pid_namespace,
});
json_message!("RLimitInfo" => RLimitInfo { repeated rlimits });
json_message!("RLimitInfo.RLimit" => r_limit_info::RLimit {
    optional r#type as Enum<r_limit_info::r_limit::Type>,
    optional hard,
    optional soft,
});
json_message!("TTYInfo" => TtyInfo { optional window_size });
json_message!("TTYInfo.WindowSize" => tty_info::WindowSize { required rows, required columns });

json_message!("ContainerInfo" => ContainerInfo {
    required r#type as Enum<container_info::Type>,
    repeated volumes,
    optional hostname,
    optional docker,
    optional mesos,
    repeated network_infos,
    optional linux_info,
    optional rlimit_info,
    optional tty_info,
});
json_message!("ContainerInfo.DockerInfo" => container_info::DockerInfo {
    required image,
    optional network default(container_info::docker_info::Network::Host as i32)
        as Enum<container_info::docker_info::Network>,
    repeated port_mappings,
    optional privileged default(false),
    repeated parameters,
    optional force_pull_image,
    // Deprecated, and without a default.
    optional volume_driver,
});
json_message!("ContainerInfo.DockerInfo.PortMapping" => container_info::docker_info::PortMapping {
    required host_port, required container_port, optional protocol,
});
json_message!("ContainerInfo.MesosInfo" => container_info::MesosInfo { optional image });

json_message!("ContainerStatus" => ContainerStatus {
    optional container_id,
    repeated network_infos,
    optional cgroup_info,
    optional executor_pid,
});
json_message!("CgroupInfo" => CgroupInfo { optional net_cls });
json_message!("CgroupInfo.NetCls" => cgroup_info::NetCls { optional classid });

json_message!("Labels" => Labels { repeated labels });
json_message!("Label" => Label { required key, optional value });

json_message!("Port" => Port {
    required number,
    optional name,
    optional protocol,
    optional visibility as Enum<discovery_info::Visibility>,
    optional labels,
});
json_message!("Ports" => Ports { repeated ports });
json_message!("DiscoveryInfo" => DiscoveryInfo {
    required visibility as Enum<discovery_info::Visibility>,
    optional name,
    optional environment,
    optional location,
    optional version,
    optional ports,
    optional labels,
});

json_message!("Event" => Event {
    optional r#type as Enum<event::Type>,
    optional subscribed,
    optional offers,
    optional inverse_offers,
    optional rescind,
    optional rescind_inverse_offer,
    optional update,
    optional message,
    optional failure,
    optional error,
});
json_message!("Event.Subscribed" => event::Subscribed {
    required framework_id, optional heartbeat_interval_seconds, optional master_info,
});
json_message!("Event.Offers" => event::Offers { repeated offers });
json_message!("Event.InverseOffers" => event::InverseOffers { repeated inverse_offers });
json_message!("Event.Rescind" => event::Rescind { required offer_id });
json_message!("Event.RescindInverseOffer" => event::RescindInverseOffer {
    required inverse_offer_id,
});
json_message!("Event.Update" => event::Update { required status });
json_message!("Event.Message" => event::Message {
    required agent_id, required executor_id, required data as Base64,
});
json_message!("Event.Failure" => event::Failure {
    optional agent_id, optional executor_id, optional status,
});
json_message!("Event.Error" => event::Error { required message });

json_message!("Call" => Call {
    optional framework_id,
    optional r#type as Enum<call::Type>,
    optional subscribe,
    optional accept,
    optional decline,
    optional accept_inverse_offers,
    optional decline_inverse_offers,
    optional revive,
    optional kill,
    optional shutdown,
    optional acknowledge,
    optional reconcile,
    optional message,
    optional request,
    optional suppress,
});
json_message!("Call.Subscribe" => call::Subscribe {
    required framework_info, repeated suppressed_roles,
});
json_message!("Call.Accept" => call::Accept {
    repeated offer_ids, repeated operations, optional filters,
});
json_message!("Call.Decline" => call::Decline { repeated offer_ids, optional filters });
json_message!("Call.AcceptInverseOffers" => call::AcceptInverseOffers {
    repeated inverse_offer_ids, optional filters,
});
json_message!("Call.DeclineInverseOffers" => call::DeclineInverseOffers {
    repeated inverse_offer_ids, optional filters,
});
json_message!("Call.Revive" => call::Revive { repeated roles });
json_message!("Call.Kill" => call::Kill {
    required task_id, optional agent_id, optional kill_policy,
});
json_message!("Call.Shutdown" => call::Shutdown { required executor_id, required agent_id });
json_message!("Call.Acknowledge" => call::Acknowledge {
    required agent_id, required task_id, required uuid as Base64,
});
json_message!("Call.Reconcile" => call::Reconcile { repeated tasks });
json_message!("Call.Reconcile.Task" => call::reconcile::Task {
    required task_id, optional agent_id,
});
json_message!("Call.Message" => call::Message {
    required agent_id, required executor_id, required data as Base64,
});
json_message!("Call.Request" => call::Request { repeated requests });
json_message!("Call.Suppress" => call::Suppress { repeated roles });
