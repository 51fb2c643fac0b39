package mesosbridge;

import java.util.Arrays;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend;
import scala.collection.JavaConverters;
import scala.concurrent.Await;
import scala.concurrent.Future;
import scala.concurrent.duration.Duration;

/**
 * A real Spark driver on the JVM bridge (its jar on the class path, found by ServiceLoader).
 * Args: master URL, bridge binary, record file, framework id. Prints {@code key value} lines:
 * the application id, the backend's class, the results of a total request and a kill, and
 * {@code stopped} once the context is stopped.
 */
public final class BridgeDriver {
    public static void main(String[] args) throws Exception {
        SparkConf conf = new SparkConf()
                .setMaster(args[0])
                .setAppName("bridge-test")
                .set("spark.mesos.rs.backend.path", args[1])
                .set("spark.mesos.rs.stub", "true")
                .set("spark.mesos.rs.stub.record", args[2])
                .set("spark.mesos.rs.stub.frameworkId", args[3])
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.ui.enabled", "false");
        SparkContext sc = new SparkContext(conf);
        System.out.println("appId " + sc.applicationId());
        System.out.println("backend " + sc.schedulerBackend().getClass().getName());
        boolean requested = sc.requestTotalExecutors(3, 0,
                scala.collection.immutable.Map$.MODULE$.<String, Object>empty());
        System.out.println("requestTotal " + requested);
        // Spark drops kills of executors it does not know before they reach the backend, and
        // the stub launches none, so call the backend's hook directly.
        CoarseGrainedSchedulerBackend backend = (CoarseGrainedSchedulerBackend) sc.schedulerBackend();
        Future<Object> killed = backend.doKillExecutors(
                JavaConverters.asScalaBuffer(Arrays.asList("7", "8")).toList());
        System.out.println("kill " + Await.result(killed, Duration.Inf()));
        sc.stop();
        System.out.println("stopped");
    }
}
