package org.sparkonmesos.bridge;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.status.api.v1.ThreadStackTrace;
import scala.Option;

/**
 * The bridge's fine-grained backend for Scala 2.13 (Spark 4), whose {@code SchedulerBackend}
 * also asks for task thread dumps. Spark 4 has no {@code MesosExecutorBackend}, so this builds
 * and places tasks, but its executors need Spark 3 on the agents.
 */
public final class MesosBridgeFineBackend extends MesosBridgeFineBackendBase {
    /** A backend for {@code sc}, placing tasks through {@code scheduler}. */
    public MesosBridgeFineBackend(TaskSchedulerImpl scheduler, SparkContext sc) {
        super(scheduler, sc);
    }

    @Override
    public Option<ThreadStackTrace> getTaskThreadDump(long taskId, String executorId) {
        // The executors are libmesos executors the driver cannot reach.
        return Option.empty();
    }
}
