package mesosproto;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.mesos.protobuf.ByteString;
import org.apache.mesos.protobuf.Message;
import org.apache.mesos.v1.Protos.*;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;

/**
 * Golden vectors for the mesos crate's protobuf messages, encoded by Mesos 1.4.3's own
 * generated classes (mesos-1.4.3-shaded-protobuf.jar). Prints "<name> <hex>" lines; the values
 * mirror the functions of the same names in mesos/tests/golden.rs.
 */
public final class MesosProtoVectors {
    private MesosProtoVectors() {}

    private static final Map<String, Message> VECTORS = new LinkedHashMap<>();

    private static void v(String name, Message m) {
        if (VECTORS.put(name, m) != null) {
            throw new IllegalStateException("duplicate vector " + name);
        }
    }

    private static ByteString bytes(int... xs) {
        byte[] b = new byte[xs.length];
        for (int i = 0; i < xs.length; i++) {
            b[i] = (byte) xs[i];
        }
        return ByteString.copyFrom(b);
    }

    // --- ids and small shared messages ---

    static FrameworkID frameworkId() { return FrameworkID.newBuilder().setValue("fw-1").build(); }
    static OfferID offerId() { return offerId("offer-1"); }
    static OfferID offerId(String v) { return OfferID.newBuilder().setValue(v).build(); }
    static AgentID agentId() { return AgentID.newBuilder().setValue("agent-1").build(); }
    static TaskID taskId() { return taskId("task-1"); }
    static TaskID taskId(String v) { return TaskID.newBuilder().setValue(v).build(); }
    static ExecutorID executorId() { return executorId("exec-1"); }
    static ExecutorID executorId(String v) { return ExecutorID.newBuilder().setValue(v).build(); }

    static ContainerID containerId() {
        return ContainerID.newBuilder().setValue("c-2")
            .setParent(ContainerID.newBuilder().setValue("c-1")).build();
    }

    static ResourceProviderID resourceProviderId() {
        return ResourceProviderID.newBuilder().setValue("rp-1").build();
    }

    static TimeInfo timeInfo() { return TimeInfo.newBuilder().setNanoseconds(1_500_000_000_123_456_789L).build(); }
    static DurationInfo durationInfo() { return DurationInfo.newBuilder().setNanoseconds(3_000_000_000L).build(); }
    static DurationInfo negativeDurationInfo() { return DurationInfo.newBuilder().setNanoseconds(-2).build(); }

    static Address address() {
        return Address.newBuilder().setHostname("master.local").setIp("10.0.0.1").setPort(5050).build();
    }

    static Parameter parameter(String k, String v) { return Parameter.newBuilder().setKey(k).setValue(v).build(); }

    static Parameters parameters() {
        return Parameters.newBuilder().addParameter(parameter("a", "1")).addParameter(parameter("b", "2")).build();
    }

    static URL url() {
        return URL.newBuilder().setScheme("http").setAddress(address()).setPath("/api")
            .addQuery(parameter("a", "1")).addQuery(parameter("b", "2")).setFragment("frag").build();
    }

    static Unavailability unavailability() {
        return Unavailability.newBuilder().setStart(timeInfo()).setDuration(durationInfo()).build();
    }

    static Labels labels() {
        return Labels.newBuilder()
            .addLabels(Label.newBuilder().setKey("k1").setValue("v1"))
            .addLabels(Label.newBuilder().setKey("k2")).build();
    }

    static Credential credential() { return Credential.newBuilder().setPrincipal("principal").setSecret("secret").build(); }

    static DomainInfo domainInfo() {
        return DomainInfo.newBuilder().setFaultDomain(DomainInfo.FaultDomain.newBuilder()
            .setRegion(DomainInfo.FaultDomain.RegionInfo.newBuilder().setName("us-east"))
            .setZone(DomainInfo.FaultDomain.ZoneInfo.newBuilder().setName("us-east-1a"))).build();
    }

    static MasterInfo masterInfo() {
        return MasterInfo.newBuilder().setId("master-1").setIp(16_777_343).setPort(5050)
            .setPid("master@127.0.0.1:5050").setHostname("localhost").setVersion("1.4.3")
            .setAddress(address()).setDomain(domainInfo()).build();
    }

    // --- framework ---

    static FrameworkInfo.Capability capability(FrameworkInfo.Capability.Type t) {
        return FrameworkInfo.Capability.newBuilder().setType(t).build();
    }

    static FrameworkInfo frameworkInfo() {
        return FrameworkInfo.newBuilder().setUser("spark").setName("Spark Pi").setId(frameworkId())
            .setFailoverTimeout(120.5).setCheckpoint(true).setRole("spark-role")
            .setHostname("driver-host").setPrincipal("principal").setWebuiUrl("http://driver:4040")
            .addCapabilities(capability(FrameworkInfo.Capability.Type.REVOCABLE_RESOURCES))
            .addCapabilities(capability(FrameworkInfo.Capability.Type.GPU_RESOURCES))
            .addCapabilities(capability(FrameworkInfo.Capability.Type.MULTI_ROLE))
            .addCapabilities(capability(FrameworkInfo.Capability.Type.RESERVATION_REFINEMENT))
            .setLabels(labels()).addRoles("a").addRoles("b").build();
    }

    // --- values, attributes, resources ---

    static Value.Scalar scalar(double d) { return Value.Scalar.newBuilder().setValue(d).build(); }

    static Value.Ranges ranges() {
        return Value.Ranges.newBuilder()
            .addRange(Value.Range.newBuilder().setBegin(31000).setEnd(31005))
            .addRange(Value.Range.newBuilder().setBegin(32000).setEnd(32000)).build();
    }

    static Value.Set set() { return Value.Set.newBuilder().addItem("a").addItem("b").build(); }
    static Value.Text text() { return Value.Text.newBuilder().setValue("txt").build(); }

    static Value valueAll() {
        return Value.newBuilder().setType(Value.Type.RANGES).setScalar(scalar(1.5)).setRanges(ranges())
            .setSet(set()).setText(text()).build();
    }

    static Attribute attributeAll() {
        return Attribute.newBuilder().setName("rack").setType(Value.Type.SET).setScalar(scalar(2.0))
            .setRanges(ranges()).setText(text()).setSet(set()).build();
    }

    static Attribute attributeText() {
        return Attribute.newBuilder().setName("os").setType(Value.Type.TEXT)
            .setText(Value.Text.newBuilder().setValue("ubuntu")).build();
    }

    static Attribute attributeScalar() {
        return Attribute.newBuilder().setName("zone").setType(Value.Type.SCALAR).setScalar(scalar(3.0)).build();
    }

    static Resource.AllocationInfo allocationInfo() {
        return Resource.AllocationInfo.newBuilder().setRole("spark").build();
    }

    static Resource.ReservationInfo reservationRefined() {
        return Resource.ReservationInfo.newBuilder().setPrincipal("principal").setLabels(labels())
            .setRole("spark/sub").setType(Resource.ReservationInfo.Type.DYNAMIC).build();
    }

    static Resource.ReservationInfo reservationStatic() {
        return Resource.ReservationInfo.newBuilder().setRole("spark")
            .setType(Resource.ReservationInfo.Type.STATIC).build();
    }

    static Resource.ReservationInfo reservationLegacy() {
        return Resource.ReservationInfo.newBuilder().setPrincipal("principal").setLabels(labels()).build();
    }

    static Volume volumeRw() {
        return Volume.newBuilder().setContainerPath("data").setHostPath("/var/data").setMode(Volume.Mode.RW).build();
    }

    static Resource.DiskInfo diskInfo() {
        return Resource.DiskInfo.newBuilder()
            .setPersistence(Resource.DiskInfo.Persistence.newBuilder().setId("vol-1").setPrincipal("principal"))
            .setVolume(volumeRw())
            .setSource(Resource.DiskInfo.Source.newBuilder().setType(Resource.DiskInfo.Source.Type.MOUNT)
                .setPath(Resource.DiskInfo.Source.Path.newBuilder().setRoot("/p"))
                .setMount(Resource.DiskInfo.Source.Mount.newBuilder().setRoot("/mnt")))
            .build();
    }

    static Resource resourceCpusLegacy() {
        return Resource.newBuilder().setName("cpus").setType(Value.Type.SCALAR).setScalar(scalar(2.5))
            .setRole("spark").setReservation(reservationLegacy()).setAllocationInfo(allocationInfo())
            .setRevocable(Resource.RevocableInfo.newBuilder()).build();
    }

    static Resource resourceDiskRefined() {
        return Resource.newBuilder().setName("disk").setType(Value.Type.SCALAR).setScalar(scalar(1024.0))
            .setDisk(diskInfo()).setShared(Resource.SharedInfo.newBuilder())
            .setAllocationInfo(allocationInfo()).setProviderId(resourceProviderId())
            .addReservations(reservationStatic()).addReservations(reservationRefined()).build();
    }

    static Resource resourcePorts() {
        return Resource.newBuilder().setName("ports").setType(Value.Type.RANGES).setRanges(ranges()).build();
    }

    static Resource resourceSet() {
        return Resource.newBuilder().setName("gpus_set").setType(Value.Type.SET).setSet(set()).setRole("*").build();
    }

    static Resource resourceMem() {
        return Resource.newBuilder().setName("mem").setType(Value.Type.SCALAR).setScalar(scalar(1024.0)).build();
    }

    static Request request() {
        return Request.newBuilder().setAgentId(agentId()).addResources(resourceCpusLegacy())
            .addResources(resourceMem()).build();
    }

    // --- containers ---

    static Secret secretReference() {
        return Secret.newBuilder().setType(Secret.Type.REFERENCE)
            .setReference(Secret.Reference.newBuilder().setName("/db/pw").setKey("password")).build();
    }

    static Secret secretValue() {
        return Secret.newBuilder().setType(Secret.Type.VALUE)
            .setValue(Secret.Value.newBuilder().setData(bytes(0, 1, 2, 0xff))).build();
    }

    static Image imageDocker() {
        return Image.newBuilder().setType(Image.Type.DOCKER)
            .setDocker(Image.Docker.newBuilder().setName("spark:3.5.6").setCredential(credential())
                .setConfig(secretValue()))
            .setCached(false).build();
    }

    static Image imageAppc() {
        return Image.newBuilder().setType(Image.Type.APPC)
            .setAppc(Image.Appc.newBuilder().setName("coreos.com/etcd").setId("sha512-1").setLabels(labels()))
            .setCached(true).build();
    }

    static Volume volumeFull() {
        return Volume.newBuilder().setContainerPath("/secrets").setHostPath("/host").setMode(Volume.Mode.RO)
            .setImage(imageAppc())
            .setSource(Volume.Source.newBuilder().setType(Volume.Source.Type.SECRET)
                .setDockerVolume(Volume.Source.DockerVolume.newBuilder().setDriver("rexray").setName("vol")
                    .setDriverOptions(parameters()))
                .setSandboxPath(Volume.Source.SandboxPath.newBuilder()
                    .setType(Volume.Source.SandboxPath.Type.PARENT).setPath("shared"))
                .setSecret(secretReference()))
            .build();
    }

    static NetworkInfo networkInfo() {
        return NetworkInfo.newBuilder().addGroups("g1").addGroups("g2").setLabels(labels())
            .addIpAddresses(NetworkInfo.IPAddress.newBuilder().setProtocol(NetworkInfo.Protocol.IPv6)
                .setIpAddress("::1"))
            .addIpAddresses(NetworkInfo.IPAddress.newBuilder().setIpAddress("10.0.0.2"))
            .setName("cni-net")
            .addPortMappings(NetworkInfo.PortMapping.newBuilder().setHostPort(31000).setContainerPort(8080)
                .setProtocol("tcp"))
            .build();
    }

    static CapabilityInfo capabilityInfo() {
        return CapabilityInfo.newBuilder().addCapabilities(CapabilityInfo.Capability.CHOWN)
            .addCapabilities(CapabilityInfo.Capability.SYS_ADMIN).build();
    }

    static LinuxInfo linuxInfo() {
        return LinuxInfo.newBuilder().setCapabilityInfo(capabilityInfo()).setBoundingCapabilities(capabilityInfo())
            .setEffectiveCapabilities(CapabilityInfo.newBuilder().addCapabilities(CapabilityInfo.Capability.NET_RAW))
            .setSharePidNamespace(true).build();
    }

    static RLimitInfo rlimitInfo() {
        return RLimitInfo.newBuilder()
            .addRlimits(RLimitInfo.RLimit.newBuilder().setType(RLimitInfo.RLimit.Type.RLMT_NOFILE)
                .setHard(1024).setSoft(512))
            .addRlimits(RLimitInfo.RLimit.newBuilder().setType(RLimitInfo.RLimit.Type.RLMT_CORE))
            .build();
    }

    static TTYInfo ttyInfo() {
        return TTYInfo.newBuilder().setWindowSize(TTYInfo.WindowSize.newBuilder().setRows(24).setColumns(80)).build();
    }

    static ContainerInfo.DockerInfo dockerInfo() {
        return ContainerInfo.DockerInfo.newBuilder().setImage("spark:3.5.6")
            .setNetwork(ContainerInfo.DockerInfo.Network.BRIDGE)
            .addPortMappings(ContainerInfo.DockerInfo.PortMapping.newBuilder().setHostPort(31000)
                .setContainerPort(4040).setProtocol("tcp"))
            .addPortMappings(ContainerInfo.DockerInfo.PortMapping.newBuilder().setHostPort(31001)
                .setContainerPort(7077))
            .setPrivileged(true).addParameters(parameter("cpus", "1")).addParameters(parameter("label", "x=y"))
            .setForcePullImage(true).setVolumeDriver("local").build();
    }

    static ContainerInfo containerInfoDocker() {
        return ContainerInfo.newBuilder().setType(ContainerInfo.Type.DOCKER).addVolumes(volumeRw())
            .setDocker(dockerInfo()).setHostname("container-host").addNetworkInfos(networkInfo())
            .setLinuxInfo(linuxInfo()).setRlimitInfo(rlimitInfo()).setTtyInfo(ttyInfo()).build();
    }

    static ContainerInfo containerInfoMesos() {
        return ContainerInfo.newBuilder().setType(ContainerInfo.Type.MESOS).addVolumes(volumeFull())
            .addVolumes(volumeRw()).setMesos(ContainerInfo.MesosInfo.newBuilder().setImage(imageDocker()))
            .addNetworkInfos(networkInfo()).build();
    }

    static ContainerStatus containerStatus() {
        return ContainerStatus.newBuilder().addNetworkInfos(networkInfo())
            .setCgroupInfo(CgroupInfo.newBuilder().setNetCls(CgroupInfo.NetCls.newBuilder().setClassid(0x10001)))
            .setExecutorPid(4242).setContainerId(containerId()).build();
    }

    // --- tasks ---

    static CommandInfo.URI uriFull() {
        return CommandInfo.URI.newBuilder().setValue("http://repo/spark.tgz").setExecutable(true)
            .setExtract(false).setCache(true).setOutputFile("spark.tgz").build();
    }

    static Environment environment() {
        return Environment.newBuilder()
            .addVariables(Environment.Variable.newBuilder().setName("PLAIN").setValue("1"))
            .addVariables(Environment.Variable.newBuilder().setName("VALUE").setValue("2")
                .setType(Environment.Variable.Type.VALUE))
            .addVariables(Environment.Variable.newBuilder().setName("SECRET")
                .setType(Environment.Variable.Type.SECRET).setSecret(secretReference()))
            .build();
    }

    static CommandInfo commandInfo() {
        return CommandInfo.newBuilder().addUris(uriFull())
            .addUris(CommandInfo.URI.newBuilder().setValue("http://repo/app.jar"))
            .setEnvironment(environment()).setValue("./bin/spark-class").setUser("nobody").setShell(false)
            .addArguments("org.apache.spark.Main").addArguments("--x").build();
    }

    static KillPolicy killPolicy() { return KillPolicy.newBuilder().setGracePeriod(durationInfo()).build(); }

    static HealthCheck healthCheck() {
        return HealthCheck.newBuilder()
            .setHttp(HealthCheck.HTTPCheckInfo.newBuilder().setPort(8080).setPath("/health").setScheme("https")
                .addStatuses(200).addStatuses(204))
            .setDelaySeconds(1.0).setIntervalSeconds(2.0).setTimeoutSeconds(3.0).setConsecutiveFailures(4)
            .setGracePeriodSeconds(5.0).setCommand(CommandInfo.newBuilder().setValue("true"))
            .setType(HealthCheck.Type.HTTP).setTcp(HealthCheck.TCPCheckInfo.newBuilder().setPort(9)).build();
    }

    static CheckInfo checkInfo() {
        return CheckInfo.newBuilder().setType(CheckInfo.Type.TCP)
            .setCommand(CheckInfo.Command.newBuilder().setCommand(CommandInfo.newBuilder().setValue("true")))
            .setHttp(CheckInfo.Http.newBuilder().setPort(80).setPath("/ready"))
            .setDelaySeconds(0.5).setIntervalSeconds(1.5).setTimeoutSeconds(2.5)
            .setTcp(CheckInfo.Tcp.newBuilder().setPort(443)).build();
    }

    static DiscoveryInfo discoveryInfo() {
        return DiscoveryInfo.newBuilder().setVisibility(DiscoveryInfo.Visibility.CLUSTER).setName("spark")
            .setEnvironment("prod").setLocation("dc1").setVersion("3.5.6")
            .setPorts(Ports.newBuilder().addPorts(Port.newBuilder().setNumber(80).setName("http")
                .setProtocol("tcp").setVisibility(DiscoveryInfo.Visibility.EXTERNAL).setLabels(labels())))
            .setLabels(labels()).build();
    }

    static ExecutorInfo executorInfo() {
        return ExecutorInfo.newBuilder().setExecutorId(executorId()).setData(bytes(9, 8, 7))
            .addResources(resourceCpusLegacy()).addResources(resourceMem()).setCommand(commandInfo())
            .setFrameworkId(frameworkId()).setName("executor").setSource("source")
            .setContainer(containerInfoMesos()).setDiscovery(discoveryInfo())
            .setShutdownGracePeriod(durationInfo()).setLabels(labels())
            .setType(ExecutorInfo.Type.CUSTOM).build();
    }

    static TaskInfo taskInfoCommand() {
        return TaskInfo.newBuilder().setName("Task 1").setTaskId(taskId()).setAgentId(agentId())
            .addResources(resourceCpusLegacy()).addResources(resourceMem()).addResources(resourcePorts())
            .addResources(resourceDiskRefined()).setData(bytes(1, 2, 3)).setCommand(commandInfo())
            .setHealthCheck(healthCheck()).setContainer(containerInfoDocker()).setLabels(labels())
            .setDiscovery(discoveryInfo()).setKillPolicy(killPolicy()).setCheck(checkInfo()).build();
    }

    static TaskInfo taskInfoExecutor() {
        return TaskInfo.newBuilder().setName("Task 2").setTaskId(taskId("task-2")).setAgentId(agentId())
            .addResources(resourceMem()).setExecutor(executorInfo()).build();
    }

    static TaskGroupInfo taskGroupInfo() {
        return TaskGroupInfo.newBuilder().addTasks(taskInfoExecutor()).addTasks(taskInfoCommand()).build();
    }

    // --- offers ---

    static Offer offer() {
        return Offer.newBuilder().setId(offerId()).setFrameworkId(frameworkId()).setAgentId(agentId())
            .setHostname("agent-host").addResources(resourceCpusLegacy()).addResources(resourcePorts())
            .addResources(resourceDiskRefined()).addResources(resourceSet())
            .addExecutorIds(executorId()).addExecutorIds(executorId("exec-2"))
            .addAttributes(attributeText()).addAttributes(attributeScalar()).addAttributes(attributeAll())
            .setUrl(url()).setUnavailability(unavailability()).setAllocationInfo(allocationInfo())
            .setDomain(domainInfo()).build();
    }

    static Offer.Operation operationLaunch() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.LAUNCH)
            .setLaunch(Offer.Operation.Launch.newBuilder().addTaskInfos(taskInfoCommand())
                .addTaskInfos(taskInfoExecutor())).build();
    }

    static Offer.Operation operationLaunchGroup() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.LAUNCH_GROUP)
            .setLaunchGroup(Offer.Operation.LaunchGroup.newBuilder().setExecutor(executorInfo())
                .setTaskGroup(taskGroupInfo())).build();
    }

    static Offer.Operation operationReserve() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.RESERVE)
            .setReserve(Offer.Operation.Reserve.newBuilder().addResources(resourceCpusLegacy())).build();
    }

    static Offer.Operation operationUnreserve() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.UNRESERVE)
            .setUnreserve(Offer.Operation.Unreserve.newBuilder().addResources(resourceDiskRefined())).build();
    }

    static Offer.Operation operationCreate() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.CREATE)
            .setCreate(Offer.Operation.Create.newBuilder().addVolumes(resourceDiskRefined())).build();
    }

    static Offer.Operation operationDestroy() {
        return Offer.Operation.newBuilder().setType(Offer.Operation.Type.DESTROY)
            .setDestroy(Offer.Operation.Destroy.newBuilder().addVolumes(resourceDiskRefined())).build();
    }

    static InverseOffer inverseOffer() {
        return InverseOffer.newBuilder().setId(offerId("inverse-1")).setUrl(url()).setFrameworkId(frameworkId())
            .setAgentId(agentId()).setUnavailability(unavailability()).addResources(resourceMem()).build();
    }

    static Filters filters() { return Filters.newBuilder().setRefuseSeconds(30.0).build(); }

    // --- status ---

    static CheckStatusInfo checkStatusInfo() {
        return CheckStatusInfo.newBuilder().setType(CheckInfo.Type.COMMAND)
            .setCommand(CheckStatusInfo.Command.newBuilder().setExitCode(-1))
            .setHttp(CheckStatusInfo.Http.newBuilder().setStatusCode(200))
            .setTcp(CheckStatusInfo.Tcp.newBuilder().setSucceeded(true)).build();
    }

    static ByteString uuid() {
        int[] b = new int[16];
        for (int i = 0; i < 16; i++) {
            b[i] = i * 17;
        }
        return bytes(b);
    }

    static TaskStatus taskStatusFull() {
        return TaskStatus.newBuilder().setTaskId(taskId()).setState(TaskState.TASK_FAILED)
            .setData(bytes(0xca, 0xfe)).setMessage("Container exited").setAgentId(agentId())
            .setTimestamp(1_500_000_000.25).setExecutorId(executorId()).setHealthy(false)
            .setSource(TaskStatus.Source.SOURCE_EXECUTOR)
            .setReason(TaskStatus.Reason.REASON_CONTAINER_LIMITATION_MEMORY).setUuid(uuid())
            .setLabels(labels()).setContainerStatus(containerStatus()).setUnreachableTime(timeInfo())
            .setCheckStatus(checkStatusInfo()).build();
    }

    static TaskStatus taskStatusStarting() {
        return TaskStatus.newBuilder().setTaskId(taskId()).setState(TaskState.TASK_STARTING).build();
    }

    // --- scheduler calls and events ---

    static Call.Builder call(Call.Type t) {
        return Call.newBuilder().setFrameworkId(frameworkId()).setType(t);
    }

    static Event.Builder event(Event.Type t) {
        return Event.newBuilder().setType(t);
    }

    static void scheduler() {
        v("call_subscribe", call(Call.Type.SUBSCRIBE).setSubscribe(Call.Subscribe.newBuilder()
            .setFrameworkInfo(frameworkInfo()).addSuppressedRoles("b")).build());
        v("call_teardown", call(Call.Type.TEARDOWN).build());
        v("call_accept", call(Call.Type.ACCEPT).setAccept(Call.Accept.newBuilder().addOfferIds(offerId())
            .addOfferIds(offerId("offer-2")).addOperations(operationLaunch()).addOperations(operationReserve())
            .setFilters(filters())).build());
        v("call_decline", call(Call.Type.DECLINE).setDecline(Call.Decline.newBuilder().addOfferIds(offerId())
            .addOfferIds(offerId("offer-2")).setFilters(filters())).build());
        v("call_accept_inverse_offers", call(Call.Type.ACCEPT_INVERSE_OFFERS)
            .setAcceptInverseOffers(Call.AcceptInverseOffers.newBuilder()
                .addInverseOfferIds(offerId("inverse-1")).setFilters(filters())).build());
        v("call_decline_inverse_offers", call(Call.Type.DECLINE_INVERSE_OFFERS)
            .setDeclineInverseOffers(Call.DeclineInverseOffers.newBuilder()
                .addInverseOfferIds(offerId("inverse-1")).addInverseOfferIds(offerId("inverse-2"))
                .setFilters(filters())).build());
        v("call_revive", call(Call.Type.REVIVE).setRevive(Call.Revive.newBuilder().addRoles("a").addRoles("b"))
            .build());
        v("call_kill", call(Call.Type.KILL).setKill(Call.Kill.newBuilder().setTaskId(taskId())
            .setAgentId(agentId()).setKillPolicy(killPolicy())).build());
        v("call_shutdown", call(Call.Type.SHUTDOWN).setShutdown(Call.Shutdown.newBuilder()
            .setExecutorId(executorId()).setAgentId(agentId())).build());
        v("call_acknowledge", call(Call.Type.ACKNOWLEDGE).setAcknowledge(Call.Acknowledge.newBuilder()
            .setAgentId(agentId()).setTaskId(taskId()).setUuid(uuid())).build());
        v("call_reconcile", call(Call.Type.RECONCILE).setReconcile(Call.Reconcile.newBuilder()
            .addTasks(Call.Reconcile.Task.newBuilder().setTaskId(taskId()).setAgentId(agentId()))
            .addTasks(Call.Reconcile.Task.newBuilder().setTaskId(taskId("task-2")))).build());
        v("call_reconcile_all", call(Call.Type.RECONCILE).setReconcile(Call.Reconcile.newBuilder()).build());
        v("call_message", call(Call.Type.MESSAGE).setMessage(Call.Message.newBuilder().setAgentId(agentId())
            .setExecutorId(executorId()).setData(bytes(0, 0xff, 7))).build());
        v("call_request", call(Call.Type.REQUEST).setRequest(Call.Request.newBuilder().addRequests(request()))
            .build());
        v("call_suppress", call(Call.Type.SUPPRESS).setSuppress(Call.Suppress.newBuilder().addRoles("a")).build());

        v("event_subscribed", event(Event.Type.SUBSCRIBED).setSubscribed(Event.Subscribed.newBuilder()
            .setFrameworkId(frameworkId()).setHeartbeatIntervalSeconds(15.0).setMasterInfo(masterInfo())).build());
        v("event_offers", event(Event.Type.OFFERS).setOffers(Event.Offers.newBuilder().addOffers(offer())).build());
        v("event_inverse_offers", event(Event.Type.INVERSE_OFFERS).setInverseOffers(
            Event.InverseOffers.newBuilder().addInverseOffers(inverseOffer())).build());
        v("event_rescind", event(Event.Type.RESCIND).setRescind(Event.Rescind.newBuilder().setOfferId(offerId()))
            .build());
        v("event_rescind_inverse_offer", event(Event.Type.RESCIND_INVERSE_OFFER).setRescindInverseOffer(
            Event.RescindInverseOffer.newBuilder().setInverseOfferId(offerId("inverse-1"))).build());
        v("event_update", event(Event.Type.UPDATE).setUpdate(Event.Update.newBuilder().setStatus(taskStatusFull()))
            .build());
        v("event_message", event(Event.Type.MESSAGE).setMessage(Event.Message.newBuilder().setAgentId(agentId())
            .setExecutorId(executorId()).setData(bytes(1, 2))).build());
        v("event_failure", event(Event.Type.FAILURE).setFailure(Event.Failure.newBuilder().setAgentId(agentId())
            .setExecutorId(executorId()).setStatus(-9)).build());
        v("event_error", event(Event.Type.ERROR).setError(Event.Error.newBuilder()
            .setMessage("Framework is not authorized")).build());
        v("event_heartbeat", event(Event.Type.HEARTBEAT).build());
    }

    static void all() {
        v("framework_id", frameworkId());
        v("offer_id", offerId());
        v("agent_id", agentId());
        v("task_id", taskId());
        v("executor_id", executorId());
        v("container_id", containerId());
        v("resource_provider_id", resourceProviderId());
        v("time_info", timeInfo());
        v("duration_info", durationInfo());
        v("duration_info_negative", negativeDurationInfo());
        v("address", address());
        v("url", url());
        v("unavailability", unavailability());
        v("parameter", parameter("key", "value"));
        v("parameters", parameters());
        v("label", Label.newBuilder().setKey("k").setValue("v").build());
        v("labels", labels());
        v("credential", credential());
        v("domain_info", domainInfo());
        v("master_info", masterInfo());
        v("framework_capability", capability(FrameworkInfo.Capability.Type.PARTITION_AWARE));
        v("framework_info", frameworkInfo());
        v("framework_info_minimal", FrameworkInfo.newBuilder().setUser("").setName("n").build());
        v("value_scalar", scalar(0.001));
        v("value_range", Value.Range.newBuilder().setBegin(0).setEnd(-1L).build());
        v("value_ranges", ranges());
        v("value_set", set());
        v("value_text", text());
        v("value", valueAll());
        v("attribute", attributeAll());
        v("attribute_text", attributeText());
        v("allocation_info", allocationInfo());
        v("reservation_info_refined", reservationRefined());
        v("reservation_info_legacy", reservationLegacy());
        v("disk_info", diskInfo());
        v("resource_cpus_legacy", resourceCpusLegacy());
        v("resource_disk_refined", resourceDiskRefined());
        v("resource_ports", resourcePorts());
        v("resource_set", resourceSet());
        v("request", request());
        v("secret_reference", secretReference());
        v("secret_value", secretValue());
        v("image_docker", imageDocker());
        v("image_appc", imageAppc());
        v("volume_rw", volumeRw());
        v("volume_full", volumeFull());
        v("network_info", networkInfo());
        v("capability_info", capabilityInfo());
        v("linux_info", linuxInfo());
        v("rlimit_info", rlimitInfo());
        v("tty_info", ttyInfo());
        v("docker_info", dockerInfo());
        v("container_info_docker", containerInfoDocker());
        v("container_info_mesos", containerInfoMesos());
        v("container_status", containerStatus());
        v("command_uri", uriFull());
        v("environment", environment());
        v("command_info", commandInfo());
        v("kill_policy", killPolicy());
        v("health_check", healthCheck());
        v("check_info", checkInfo());
        v("discovery_info", discoveryInfo());
        v("executor_info", executorInfo());
        v("task_info_command", taskInfoCommand());
        v("task_info_executor", taskInfoExecutor());
        v("task_group_info", taskGroupInfo());
        v("offer", offer());
        v("operation_launch", operationLaunch());
        v("operation_launch_group", operationLaunchGroup());
        v("operation_reserve", operationReserve());
        v("operation_unreserve", operationUnreserve());
        v("operation_create", operationCreate());
        v("operation_destroy", operationDestroy());
        v("inverse_offer", inverseOffer());
        v("filters", filters());
        v("check_status_info", checkStatusInfo());
        v("task_status_full", taskStatusFull());
        v("task_status_starting", taskStatusStarting());
        scheduler();
    }

    public static void main(String[] args) {
        all();
        StringBuilder out = new StringBuilder();
        out.append("# Golden vectors encoded by Mesos's own generated Java classes; do not edit by hand.\n");
        out.append("# mesos-version: 1.4.3\n");
        out.append("# jar: mesos-1.4.3-shaded-protobuf.jar (org.apache.mesos.v1.Protos, org.apache.mesos.v1.scheduler.Protos)\n");
        out.append("# generator: tests/java/mesosproto/MesosProtoVectors.java");
        out.append(" (regenerate: GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test mesos_proto_golden)\n");
        HexFormat hex = HexFormat.of();
        for (Map.Entry<String, Message> e : VECTORS.entrySet()) {
            out.append(e.getKey()).append(' ').append(hex.formatHex(e.getValue().toByteArray())).append('\n');
        }
        System.out.print(out);
    }
}
