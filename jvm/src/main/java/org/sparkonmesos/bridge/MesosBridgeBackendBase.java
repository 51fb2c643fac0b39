package org.sparkonmesos.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.rpc.RpcEndpointAddress;
import org.apache.spark.scheduler.ExecutorProcessLost;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.concurrent.Future;
import scala.concurrent.Future$;

/**
 * Everything of the bridge's scheduler backend that is the same for Scala 2.12 and 2.13.
 * Executors register with the driver as for any {@link CoarseGrainedSchedulerBackend}; every
 * Mesos decision is the Rust backend's, a child process this class starts, tells what Spark
 * wants, and stops.
 */
abstract class MesosBridgeBackendBase extends CoarseGrainedSchedulerBackend {
    /** Conf key: path of the Rust backend binary. */
    static final String PATH_KEY = "spark.mesos.rs.backend.path";
    /** Conf key: seconds to wait for the framework to register. */
    static final String REGISTRATION_TIMEOUT_KEY = "spark.mesos.rs.registrationTimeout";
    /** Conf key: seconds to wait for the child to exit after stop. */
    static final String STOP_TIMEOUT_KEY = "spark.mesos.rs.stopTimeout";
    /** The binary's file name, looked for next to this jar and then on PATH. */
    static final String BINARY = "spark-mesos-backend";
    /** The protocol version in {@code start}. */
    static final int PROTOCOL_VERSION = 1;

    private static final Logger LOG = LoggerFactory.getLogger(MesosBridgeBackendBase.class);

    private final SparkContext sc;
    private final double registeredRatio;
    private final CountDownLatch registration = new CountDownLatch(1);
    private volatile String frameworkId;
    private volatile String startFailure;
    private volatile boolean stopping;
    private volatile BridgeChild child;

    MesosBridgeBackendBase(TaskSchedulerImpl scheduler, SparkContext sc) {
        super(scheduler, sc.env().rpcEnv());
        this.sc = sc;
        // Spark's Mesos backend waits for 80% of spark.cores.max unless told otherwise.
        this.registeredRatio = Math.min(1.0,
                sc.conf().getDouble("spark.scheduler.minRegisteredResourcesRatio", 0.8));
    }

    @Override
    public void start() {
        super.start();
        List<String> command = Collections.singletonList(binaryPath(sc.conf()));
        try {
            child = BridgeChild.start(command, this::onEvent, this::onChildExit);
            LOG.info("Started Mesos backend {}", command.get(0));
            child.send(startRequest(sc, PROTOCOL_VERSION));
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the Mesos backend " + command, e);
        }
        long timeout = sc.conf().getTimeAsSeconds(REGISTRATION_TIMEOUT_KEY, "60s");
        boolean done;
        try {
            done = registration.await(timeout, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        if (!done || frameworkId == null) {
            String why = startFailure != null ? startFailure : "no registration within " + timeout + " s";
            stopChild();
            throw new IllegalStateException(new SparkException("Mesos backend failed to register: " + why));
        }
        LOG.info("Registered with Mesos as framework {}", frameworkId);
    }

    @Override
    public void stop() {
        stopping = true;
        try {
            super.stop();
        } finally {
            stopChild();
        }
    }

    @Override
    public String applicationId() {
        String id = frameworkId;
        return id != null ? id : super.applicationId();
    }

    @Override
    public double minRegisteredRatio() {
        return registeredRatio;
    }

    @Override
    public boolean sufficientResourcesRegistered() {
        // As Spark's Mesos backend: a ratio of spark.cores.max, so no wait when it is unset.
        int maxCores = sc.conf().getInt("spark.cores.max", 0);
        return totalCoreCount().get() >= maxCores * registeredRatio;
    }

    @Override
    public Future<Object> doRequestTotalExecutors(
            scala.collection.immutable.Map<ResourceProfile, Object> totals) {
        int total = 0;
        Iterator<Tuple2<ResourceProfile, Object>> it = totals.iterator();
        while (it.hasNext()) {
            Tuple2<ResourceProfile, Object> entry = it.next();
            if (entry._1().id() == ResourceProfile.DEFAULT_RESOURCE_PROFILE_ID()) {
                total = (Integer) entry._2();
            } else {
                LOG.warn("Ignoring executors requested for resource profile {}: only the default "
                        + "profile is supported", entry._1().id());
            }
        }
        ObjectNode request = BridgeChild.JSON.createObjectNode()
                .put("type", "requestTotal")
                .put("resourceProfileId", ResourceProfile.DEFAULT_RESOURCE_PROFILE_ID())
                .put("total", total);
        return reply(send(request));
    }

    /** {@code doKillExecutors} for either Scala version's {@code Seq}. */
    protected Future<Object> killExecutorIds(Iterator<String> executorIds) {
        ObjectNode request = BridgeChild.JSON.createObjectNode().put("type", "kill");
        ArrayNode ids = request.putArray("executorIds");
        while (executorIds.hasNext()) {
            ids.add(executorIds.next());
        }
        return reply(send(request));
    }

    private static Future<Object> reply(boolean ok) {
        return Future$.MODULE$.successful((Object) Boolean.valueOf(ok));
    }

    private boolean send(JsonNode request) {
        BridgeChild c = child;
        if (c == null) {
            LOG.warn("Mesos backend not running; dropping {}", request);
            return false;
        }
        try {
            c.send(request);
            return true;
        } catch (IOException e) {
            LOG.error("Could not send {} to the Mesos backend", request.get("type"), e);
            return false;
        }
    }

    /** The {@code start} request both modes send, at protocol {@code version}. */
    static ObjectNode startRequest(SparkContext sc, int version) {
        SparkConf conf = sc.conf();
        ObjectNode start = BridgeChild.JSON.createObjectNode()
                .put("type", "start")
                .put("version", version)
                .put("appName", sc.appName())
                .put("driverUrl", new RpcEndpointAddress(
                        conf.get("spark.driver.host"),
                        conf.getInt("spark.driver.port", 0),
                        CoarseGrainedSchedulerBackend.ENDPOINT_NAME()).toString())
                .put("user", sc.sparkUser());
        Option<String> home = sc.getSparkHome();
        if (home.isDefined()) {
            start.put("sparkHome", home.get());
        }
        ObjectNode confNode = start.putObject("conf");
        for (Tuple2<String, String> kv : conf.getAll()) {
            confNode.put(kv._1(), kv._2());
        }
        // Pairs in Spark's iteration order: the executors' command line keeps that order.
        ArrayNode env = start.putArray("executorEnv");
        Iterator<Tuple2<String, String>> it = sc.executorEnvs().iterator();
        while (it.hasNext()) {
            Tuple2<String, String> kv = it.next();
            env.addArray().add(kv._1()).add(kv._2());
        }
        return start;
    }

    private void onEvent(JsonNode event) {
        String type = event.path("type").asText();
        String executorId = event.path("executorId").asText();
        String message = event.path("message").asText();
        switch (type) {
            case "registered":
                frameworkId = event.path("frameworkId").asText(null);
                registration.countDown();
                break;
            case "executorLaunched":
                LOG.info("Mesos backend launched executor {} on {} (agent {})", executorId,
                        event.path("host").asText(), event.path("agentId").asText());
                break;
            case "executorFinished":
            case "executorFailed":
                LOG.info("Mesos executor {} ended in {}: {}", executorId,
                        event.path("state").asText(), message);
                if (stopping) {
                    // The driver endpoint is gone or going; Spark's own stop() removes them.
                    break;
                }
                removeExecutor(executorId, new ExecutorProcessLost(
                        event.path("state").asText() + ": " + message, Option.empty(),
                        type.equals("executorFailed")));
                break;
            case "error":
                LOG.error("Mesos backend: {}", message);
                if (frameworkId == null) {
                    startFailure = message;
                    registration.countDown();
                }
                break;
            default:
                LOG.warn("Ignoring unknown Mesos backend event {}", event);
        }
    }

    private void onChildExit() {
        if (frameworkId == null) {
            startFailure = "the backend process exited before registering";
            registration.countDown();
        } else if (!stopping) {
            LOG.error("Mesos backend process ended while the driver runs; no more executors "
                    + "will be launched");
        }
    }

    private void stopChild() {
        BridgeChild c = child;
        if (c == null) {
            return;
        }
        child = null;
        try {
            long timeout = sc.conf().getTimeAsSeconds(STOP_TIMEOUT_KEY, "30s");
            int code = c.stop(TimeUnit.SECONDS.toMillis(timeout));
            LOG.info("Mesos backend exited with {}", code);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The binary: {@value #PATH_KEY} when set, else {@value #BINARY} next to this jar when
     * there, else {@value #BINARY} as found on PATH.
     */
    static String binaryPath(SparkConf conf) {
        if (conf.contains(PATH_KEY)) {
            return conf.get(PATH_KEY);
        }
        try {
            File jar = new File(MesosBridgeBackendBase.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
            File sibling = new File(jar.getParentFile(), BINARY);
            if (sibling.canExecute()) {
                return sibling.getPath();
            }
        } catch (Exception e) {
            LOG.debug("Could not locate this jar; looking for {} on PATH", BINARY, e);
        }
        return BINARY;
    }
}
