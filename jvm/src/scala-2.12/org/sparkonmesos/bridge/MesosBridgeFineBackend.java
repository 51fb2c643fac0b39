package org.sparkonmesos.bridge;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.TaskSchedulerImpl;

/**
 * The bridge's fine-grained backend for Scala 2.12 (Spark 3.5), whose {@code SchedulerBackend}
 * needs nothing beyond {@link MesosBridgeFineBackendBase}.
 */
public final class MesosBridgeFineBackend extends MesosBridgeFineBackendBase {
    /** A backend for {@code sc}, placing tasks through {@code scheduler}. */
    public MesosBridgeFineBackend(TaskSchedulerImpl scheduler, SparkContext sc) {
        super(scheduler, sc);
    }
}
