package mesosoracle;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.scheduler.cluster.mesos.IdHelper$;

import scala.Option;
import scala.Tuple2;

/**
 * One local {@code SparkContext} shared by every scenario of an oracle run. Starting a context
 * costs seconds, so each scenario instead resets the live configuration to a baseline and lays
 * its own keys over it; the few values {@code SparkContext} derives once at start-up and a
 * Mesos backend reads (executor memory, executor environment) are re-derived the way
 * {@code SparkContext}'s constructor derives them.
 */
final class OracleContext {
  final SparkContext sc;
  private final Map<String, String> baseConf = new HashMap<>();
  private final Map<String, String> baseEnv = new HashMap<>();

  /** Keys of the baseline that a scenario must opt into rather than inherit. */
  private static final List<String> NOT_INHERITED =
      List.of("spark.executor.extraJavaOptions", "spark.driver.extraJavaOptions");

  OracleContext(String master) {
    SparkConf conf = new SparkConf()
        .setMaster(master)
        .setAppName("oracle")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    sc = new SparkContext(conf);
    sc.setLogLevel("ERROR");
    for (Tuple2<String, String> kv : sc.conf().getAll()) {
      baseConf.put(kv._1(), kv._2());
    }
    for (String key : NOT_INHERITED) {
      baseConf.remove(key);
    }
    scala.collection.Iterator<Tuple2<String, String>> it = sc.executorEnvs().iterator();
    while (it.hasNext()) {
      Tuple2<String, String> kv = it.next();
      baseEnv.put(kv._1(), kv._2());
    }
  }

  /** The baseline executor environment, sorted, for the output header. */
  Map<String, String> baseEnv() {
    return new TreeMap<>(baseEnv);
  }

  /**
   * Makes {@code sc.conf} equal baseline + defaults + scenario (minus its `unset` keys), and
   * re-derives executor memory and environment from it. Also forgets that a Mesos backend
   * started in this JVM before, so each scenario's framework id has no `-NNNN` suffix.
   */
  void apply(ScenarioFile file, ScenarioFile.Scenario scenario) throws Exception {
    SparkConf conf = sc.conf();
    Map<String, String> want = new HashMap<>(baseConf);
    want.putAll(file.defaults);
    want.putAll(scenario.conf);
    for (String key : scenario.unset) {
      want.remove(key);
    }
    for (Tuple2<String, String> kv : conf.getAll()) {
      if (!want.containsKey(kv._1())) {
        conf.remove(kv._1());
      }
    }
    for (Map.Entry<String, String> e : want.entrySet()) {
      conf.set(e.getKey(), e.getValue());
    }

    int memory = SparkContext$.MODULE$.executorMemoryInMb(conf);
    Field field = SparkContext.class.getDeclaredField("_executorMemory");
    field.setAccessible(true);
    field.setInt(sc, memory);

    scala.collection.mutable.HashMap<String, String> env = sc.executorEnvs();
    env.clear();
    for (Map.Entry<String, String> e : baseEnv.entrySet()) {
      env.put(e.getKey(), e.getValue());
    }
    scala.collection.Iterator<Tuple2<String, String>> extra = conf.getExecutorEnv().iterator();
    while (extra.hasNext()) {
      Tuple2<String, String> kv = extra.next();
      env.put(kv._1(), kv._2());
    }
    env.put("SPARK_EXECUTOR_MEMORY", memory + "m");

    IdHelper$.MODULE$.startedBefore().set(false);
  }

  /** `Some(x)` as `x`, `None` as `-`. */
  static String opt(Option<?> o) {
    return o.isDefined() ? String.valueOf(o.get()) : "-";
  }

  /** Scala immutable map from Java pairs. */
  @SuppressWarnings("unchecked")
  static <K, V> scala.collection.immutable.Map<K, V> scalaMap(Map<K, V> m) {
    scala.collection.immutable.Map<K, V> out = scala.collection.immutable.Map$.MODULE$.empty();
    for (Map.Entry<K, V> e : m.entrySet()) {
      out = out.$plus(new Tuple2<>(e.getKey(), e.getValue()));
    }
    return out;
  }

  /** Scala `Seq` from a Java list. */
  static <T> scala.collection.Seq<T> scalaSeq(List<T> list) {
    return scala.collection.JavaConverters.asScalaBuffer(new ArrayList<>(list)).toList();
  }
}
