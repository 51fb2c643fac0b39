package org.sparkonmesos.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.TaskState$;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.ExecutorExited$;
import org.apache.spark.scheduler.ExecutorLossReason;
import org.apache.spark.scheduler.ExecutorProcessLost$;
import org.apache.spark.scheduler.SchedulerBackend;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.TaskDescription;
import org.apache.spark.scheduler.TaskDescription$;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.WorkerOffer;
import org.apache.spark.scheduler.WorkerOffer$;
import org.apache.spark.scheduler.cluster.ExecutorInfo;
import org.apache.spark.util.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.mutable.HashMap;
import scala.reflect.ClassTag$;

/**
 * Everything of the bridge's fine-grained backend that is the same for Scala 2.12 and 2.13:
 * the backend for Spark's fine-grained Mesos mode ({@code spark.mesos.coarse=false}):
 * what Spark's {@code MesosFineGrainedSchedulerBackend} does with the driver's
 * {@link TaskSchedulerImpl}, with every Mesos decision made by the Rust backend (protocol
 * version 2). No executor registers with the driver: each Spark task is a Mesos task run by the
 * agent's {@code MesosExecutorBackend}. The calls into Scala collections here compile under
 * either version (only their descriptors differ, so each jar compiles this file); what differs
 * in source lives in {@code MesosBridgeFineBackend} of each version.
 */
abstract class MesosBridgeFineBackendBase implements SchedulerBackend {
    /** The protocol version with fine mode's messages. */
    static final int PROTOCOL_VERSION = 2;

    private static final Logger LOG = LoggerFactory.getLogger(MesosBridgeFineBackendBase.class);

    private final TaskSchedulerImpl scheduler;
    private final SparkContext sc;
    private final CountDownLatch registration = new CountDownLatch(1);
    private volatile String frameworkId;
    private volatile String startFailure;
    private volatile BridgeChild child;
    /** The trait's own {@code appId} field, which Scala leaves to the implementing class. */
    private String traitAppId;

    MesosBridgeFineBackendBase(TaskSchedulerImpl scheduler, SparkContext sc) {
        this.scheduler = scheduler;
        this.sc = sc;
        SchedulerBackend.$init$(this);
    }

    @Override
    public void org$apache$spark$scheduler$SchedulerBackend$_setter_$org$apache$spark$scheduler$SchedulerBackend$$appId_$eq(
            String id) {
        traitAppId = id;
    }

    @Override
    public String org$apache$spark$scheduler$SchedulerBackend$$appId() {
        return traitAppId;
    }

    @Override
    public void start() {
        List<String> command =
                Collections.singletonList(MesosBridgeBackendBase.binaryPath(sc.conf()));
        try {
            child = BridgeChild.start(command, BridgeChild.MAX_FINE_LINE, this::onEvent,
                    this::onChildExit);
            LOG.info("Started Mesos backend {} in fine-grained mode", command.get(0));
            ObjectNode start = MesosBridgeBackendBase.startRequest(sc, PROTOCOL_VERSION);
            start.put("execArg", Base64.getEncoder().encodeToString(execArg()));
            child.send(start);
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the Mesos backend " + command, e);
        }
        long timeout =
                sc.conf().getTimeAsSeconds(MesosBridgeBackendBase.REGISTRATION_TIMEOUT_KEY, "60s");
        boolean done;
        try {
            done = registration.await(timeout, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        if (!done || frameworkId == null) {
            String why = startFailure != null ? startFailure : "no registration within " + timeout + " s";
            stop();
            throw new IllegalStateException(new SparkException("Mesos backend failed to register: " + why));
        }
        LOG.info("Registered with Mesos as framework {}", frameworkId);
    }

    /**
     * Spark's {@code createExecArg()}: the Spark properties, in a Scala {@code HashMap}'s order,
     * serialized as an array of pairs; every {@code MesosExecutorBackend} gets it.
     */
    private byte[] execArg() {
        HashMap<String, String> props = new HashMap<>();
        for (Tuple2<String, String> kv : sc.conf().getAll()) {
            props.update(kv._1(), kv._2());
        }
        return Utils.serialize(props.toArray(ClassTag$.MODULE$.apply(Tuple2.class)));
    }

    @Override
    public void stop() {
        BridgeChild c = child;
        if (c == null) {
            return;
        }
        child = null;
        try {
            long timeout = sc.conf().getTimeAsSeconds(MesosBridgeBackendBase.STOP_TIMEOUT_KEY, "30s");
            int code = c.stop(TimeUnit.SECONDS.toMillis(timeout));
            LOG.info("Mesos backend exited with {}", code);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void reviveOffers() {
        send(BridgeChild.JSON.createObjectNode().put("type", "reviveOffers"));
    }

    @Override
    public void killTask(long taskId, String executorId, boolean interruptThread, String reason) {
        send(BridgeChild.JSON.createObjectNode().put("type", "killTask").put("taskId", taskId));
    }

    @Override
    public int defaultParallelism() {
        return sc.conf().getInt("spark.default.parallelism", 8);
    }

    @Override
    public int maxNumConcurrentTasks(ResourceProfile rp) {
        // As Spark's fine-grained backend (SPARK-25074): not supported, so barrier stages fail.
        return 0;
    }

    @Override
    public String applicationId() {
        String id = frameworkId;
        return id != null ? id : traitAppId;
    }

    private void send(JsonNode request) {
        BridgeChild c = child;
        if (c == null) {
            LOG.warn("Mesos backend not running; dropping {}", request.get("type"));
            return;
        }
        try {
            c.send(request);
        } catch (IOException e) {
            LOG.error("Could not send {} to the Mesos backend", request.get("type"), e);
        }
    }

    private void onEvent(JsonNode event) {
        String type = event.path("type").asText();
        switch (type) {
            case "registered":
                frameworkId = event.path("frameworkId").asText(null);
                registration.countDown();
                break;
            case "resourceOffers":
                launchTasks(event);
                break;
            case "statusUpdate":
                scheduler.statusUpdate(event.path("taskId").asLong(),
                        TaskState$.MODULE$.withName(event.path("state").asText()),
                        ByteBuffer.wrap(Base64.getDecoder().decode(event.path("data").asText())));
                break;
            case "executorAdded":
                sc.listenerBus().post(new SparkListenerExecutorAdded(System.currentTimeMillis(),
                        event.path("executorId").asText(),
                        new ExecutorInfo(event.path("host").asText(), event.path("cores").asInt(),
                                scala.collection.immutable.Map$.MODULE$.empty())));
                break;
            case "executorRemoved":
                sc.listenerBus().post(new SparkListenerExecutorRemoved(System.currentTimeMillis(),
                        event.path("executorId").asText(), lossReason(event).toString()));
                break;
            case "executorLost":
                scheduler.executorLost(event.path("executorId").asText(), lossReason(event));
                break;
            case "schedulerError":
                scheduler.error(event.path("message").asText());
                break;
            case "error":
                LOG.error("Mesos backend: {}", event.path("message").asText());
                if (frameworkId == null) {
                    startFailure = event.path("message").asText();
                    registration.countDown();
                }
                break;
            default:
                LOG.warn("Ignoring unknown Mesos backend event {}", type);
        }
    }

    /** The reason as Spark's fine-grained backend gives it for each wire name. */
    private static ExecutorLossReason lossReason(JsonNode event) {
        switch (event.path("reason").asText()) {
            case "executorExited":
                JsonNode status = event.path("exitStatus");
                // Mesos may leave the status out; -1 is what an unknown exit looks like to Spark.
                return ExecutorExited$.MODULE$.apply(status.isInt() ? status.asInt() : -1, true);
            case "taskFailed":
                return ExecutorProcessLost$.MODULE$.apply("Lost executor",
                        ExecutorProcessLost$.MODULE$.apply$default$2(),
                        ExecutorProcessLost$.MODULE$.apply$default$3());
            default:
                return ExecutorProcessLost$.MODULE$.apply(
                        ExecutorProcessLost$.MODULE$.apply$default$1(),
                        ExecutorProcessLost$.MODULE$.apply$default$2(),
                        ExecutorProcessLost$.MODULE$.apply$default$3());
        }
    }

    /**
     * One offer round: Spark's scheduler places tasks on the worker offers, and the placed tasks
     * go back offer by offer. The round is always answered, with no tasks if placing failed, so
     * its offers are declined at once rather than at the Rust side's timeout.
     */
    private void launchTasks(JsonNode event) {
        ObjectNode reply = BridgeChild.JSON.createObjectNode()
                .put("type", "launchTasks")
                .put("round", event.path("round").asLong());
        ArrayNode tasks = reply.putArray("tasks");
        try {
            List<WorkerOffer> offers = new ArrayList<>();
            for (JsonNode o : event.path("workerOffers")) {
                offers.add(new WorkerOffer(o.path("executorId").asText(), o.path("host").asText(),
                        o.path("cores").asInt(),
                        WorkerOffer$.MODULE$.$lessinit$greater$default$4(),
                        WorkerOffer$.MODULE$.$lessinit$greater$default$5(),
                        WorkerOffer$.MODULE$.$lessinit$greater$default$6()));
            }
            // A Vector is the IndexedSeq resourceOffers takes under either Scala version.
            scala.collection.Seq<? extends scala.collection.Seq<TaskDescription>> placed =
                    scheduler.resourceOffers(
                            JavaConverters.asScalaBufferConverter(offers).asScala().toVector(), true);
            Iterator<? extends scala.collection.Seq<TaskDescription>> perOffer = placed.iterator();
            while (perOffer.hasNext()) {
                Iterator<TaskDescription> it = perOffer.next().iterator();
                while (it.hasNext()) {
                    TaskDescription task = it.next();
                    ByteBuffer data = TaskDescription$.MODULE$.encode(task);
                    byte[] bytes = new byte[data.remaining()];
                    data.get(bytes);
                    tasks.addObject()
                            .put("taskId", task.taskId())
                            .put("executorId", task.executorId())
                            .put("name", task.name())
                            .put("data", Base64.getEncoder().encodeToString(bytes));
                }
            }
        } catch (Exception e) {
            // Scala throws checked exceptions undeclared; any failure must still answer.
            LOG.error("Placing tasks on Mesos offers failed; declining them", e);
            tasks.removeAll();
        }
        send(reply);
    }

    private void onChildExit() {
        if (frameworkId == null) {
            startFailure = "the backend process exited before registering";
            registration.countDown();
        } else if (child != null) {
            LOG.error("Mesos backend process ended while the driver runs; no more tasks will be "
                    + "launched");
        }
    }
}
