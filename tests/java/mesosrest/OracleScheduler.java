package mesosrest;

import mesosrecording.NoMasterDriver;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.cluster.mesos.BlackHoleMesosClusterPersistenceEngineFactory;
import org.apache.spark.scheduler.cluster.mesos.MesosClusterScheduler;
import scala.Option;

/** Spark's MesosClusterScheduler with a driver that needs no master (and no libmesos). */
public final class OracleScheduler extends MesosClusterScheduler {
  public OracleScheduler(SparkConf conf) {
    super(new BlackHoleMesosClusterPersistenceEngineFactory(), conf);
  }

  @Override
  public SchedulerDriver createSchedulerDriver(
      String master,
      Scheduler scheduler,
      String user,
      String appName,
      SparkConf conf,
      Option<String> webuiUrl,
      Option<Object> checkpoint,
      Option<Object> failoverTimeout,
      Option<String> frameworkId) {
    return new NoMasterDriver(scheduler, "oracle-framework");
  }
}
