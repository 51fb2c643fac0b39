package mesoswebui;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import mesosrest.OracleScheduler;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.mesos.MesosDriverDescription;
import org.apache.spark.deploy.rest.CreateSubmissionRequest;
import org.apache.spark.deploy.rest.mesos.MesosSubmitRequestServlet;
import org.apache.spark.metrics.MetricsSystem;
import org.apache.spark.metrics.sink.PrometheusServlet;
import org.apache.spark.scheduler.cluster.mesos.MesosClusterScheduler;
import scala.Option;
import scala.Tuple2;

/**
 * Spark 3.5.6's dispatcher metrics as its PrometheusServlet writes them: a MesosClusterScheduler
 * (OracleScheduler: no master, no libmesos) started with the servlet sink configured, args[0]
 * drivers submitted, then the servlet's lines for the scheduler's source printed.
 */
public final class MetricsOracle {
  public static void main(String[] args) throws Exception {
    int drivers = Integer.parseInt(args[0]);
    SparkConf conf = new SparkConf(false)
        .set("spark.master", "127.0.0.1:5050")
        .set("spark.app.name", "Spark Cluster")
        .set("spark.metrics.conf.*.sink.prometheusServlet.class",
            "org.apache.spark.metrics.sink.PrometheusServlet")
        .set("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus");
    OracleScheduler sched = new OracleScheduler(conf);
    sched.start();
    // registered() marks the scheduler ready before it stores the driver a submission's revive
    // uses: wait for both.
    Method driverOf = MesosClusterScheduler.class.getDeclaredMethod("schedulerDriver");
    driverOf.setAccessible(true);
    for (int i = 0; i < 1000 && driverOf.invoke(sched) == null; i++) {
      Thread.sleep(5);
    }
    MesosSubmitRequestServlet servlet = new MesosSubmitRequestServlet(sched, conf);
    Method build = MesosSubmitRequestServlet.class.getDeclaredMethod(
        "buildDriverDescription", CreateSubmissionRequest.class);
    build.setAccessible(true);
    for (int i = 0; i < drivers; i++) {
      Map<String, String> props = new TreeMap<>();
      props.put("spark.app.name", "app-" + i);
      CreateSubmissionRequest request = new CreateSubmissionRequest();
      request.appResource_$eq("http://repo.example/jars/app.jar");
      request.mainClass_$eq("org.example.Main");
      request.appArgs_$eq(new String[0]);
      request.sparkProperties_$eq(scalaMap(props));
      request.environmentVariables_$eq(scalaMap(new TreeMap<String, String>()));
      // Distinct submission Dates: same-Date submissions collapse in Spark's queue.
      Thread.sleep(3);
      sched.submitDriver((MesosDriverDescription) build.invoke(servlet, request));
    }
    Field systemField = MesosClusterScheduler.class.getDeclaredField("metricsSystem");
    systemField.setAccessible(true);
    MetricsSystem system = (MetricsSystem) systemField.get(sched);
    Field servletField = MetricsSystem.class.getDeclaredField("prometheusServlet");
    servletField.setAccessible(true);
    @SuppressWarnings("unchecked")
    Option<PrometheusServlet> prometheus = (Option<PrometheusServlet>) servletField.get(system);
    StringBuilder out = new StringBuilder();
    // The registry also holds the JVM's static sources (code generation, Hive catalog).
    for (String line : prometheus.get().getMetricsSnapshot(null).split("\n", -1)) {
      if (line.startsWith("metrics_mesos_cluster_")) {
        out.append(line).append('\n');
      }
    }
    System.out.print(out);
    System.out.flush();
    System.exit(0);
  }

  @SuppressWarnings("unchecked")
  static <K, V> scala.collection.immutable.Map<K, V> scalaMap(Map<K, V> m) {
    scala.collection.immutable.Map<K, V> map = scala.collection.immutable.Map$.MODULE$.empty();
    for (Map.Entry<K, V> e : m.entrySet()) {
      map = map.$plus(new Tuple2<>(e.getKey(), e.getValue()));
    }
    return map;
  }
}
