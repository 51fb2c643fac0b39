package org.sparkonmesos.bridge;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import scala.concurrent.Future;

/**
 * The bridge's scheduler backend for Scala 2.13, where {@code doKillExecutors} takes a
 * {@code scala.collection.immutable.Seq}; everything else is in {@link MesosBridgeBackendBase}.
 */
public final class MesosBridgeSchedulerBackend extends MesosBridgeBackendBase {
    /** A backend for {@code sc}, scheduling through {@code scheduler}. */
    public MesosBridgeSchedulerBackend(TaskSchedulerImpl scheduler, SparkContext sc) {
        super(scheduler, sc);
    }

    @Override
    public Future<Object> doKillExecutors(scala.collection.immutable.Seq<String> executorIds) {
        return killExecutorIds(executorIds.iterator());
    }
}
