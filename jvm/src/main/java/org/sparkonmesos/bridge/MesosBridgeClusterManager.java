package org.sparkonmesos.bridge;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.ExternalClusterManager;
import org.apache.spark.scheduler.SchedulerBackend;
import org.apache.spark.scheduler.TaskScheduler;
import org.apache.spark.scheduler.TaskSchedulerImpl;

/**
 * The cluster manager Spark finds through {@code ServiceLoader} for {@code spark-mesos://} master
 * URLs. The scheme is ours because Spark 3.5's own Mesos manager claims every URL starting with
 * {@code mesos}, and spark-submit only accepts URLs starting with {@code spark}, {@code mesos},
 * {@code k8s}, {@code local} or {@code yarn}.
 */
public final class MesosBridgeClusterManager implements ExternalClusterManager {
    /** The master URL prefix this manager claims. */
    public static final String SCHEME = "spark-mesos://";

    @Override
    public boolean canCreate(String masterUrl) {
        return masterUrl.startsWith(SCHEME);
    }

    @Override
    public TaskScheduler createTaskScheduler(SparkContext sc, String masterUrl) {
        return new TaskSchedulerImpl(sc);
    }

    @Override
    public SchedulerBackend createSchedulerBackend(
            SparkContext sc, String masterUrl, TaskScheduler scheduler) {
        // As Spark's MesosClusterManager: coarse-grained unless spark.mesos.coarse=false.
        if (!sc.conf().getBoolean("spark.mesos.coarse", true)) {
            return new MesosBridgeFineBackend((TaskSchedulerImpl) scheduler, sc);
        }
        return new MesosBridgeSchedulerBackend((TaskSchedulerImpl) scheduler, sc);
    }

    @Override
    public void initialize(TaskScheduler scheduler, SchedulerBackend backend) {
        ((TaskSchedulerImpl) scheduler).initialize(backend);
    }
}
