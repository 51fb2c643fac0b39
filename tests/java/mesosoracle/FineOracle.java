package mesosoracle;

import java.io.PrintStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.DAGScheduler;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.WorkerOffer;
import org.apache.spark.scheduler.cluster.mesos.MesosFineGrainedSchedulerBackend;
import org.apache.spark.util.CallSite;

import scala.Function2;
import scala.Option;
import scala.collection.IndexedSeq;
import scala.collection.Iterator;
import scala.runtime.BoxedUnit;

/**
 * Runs Spark 3.5.6's own {@code MesosFineGrainedSchedulerBackend} through the scenarios of a
 * scenario file and prints every call it makes to its {@link SchedulerDriver}.
 *
 * <p>The fine-grained backend only launches what the task scheduler hands it, so each scenario
 * gets its own {@code TaskSchedulerImpl} and {@code DAGScheduler} over the shared local
 * {@code SparkContext}, and {@code submit-job N} submits an N-partition job to them. Usage and
 * output as for {@link CoarseOracle}.
 */
public final class FineOracle {
  private FineOracle() {}

  /** How long asynchronous scheduler work (result getter, DAG event loop) may take to settle. */
  private static final long SETTLE_MS = 400;

  /** The backend under test, with the driver factory replaced by a recording driver. */
  static final class Backend extends MesosFineGrainedSchedulerBackend {
    private final List<String> lines;
    private final String frameworkId;
    RecordingSchedulerDriver driver;

    Backend(TaskSchedulerImpl scheduler, SparkContext sc, String master, List<String> lines,
        String frameworkId) {
      super(scheduler, sc, master);
      this.lines = lines;
      this.frameworkId = frameworkId;
    }

    @Override
    public SchedulerDriver createSchedulerDriver(String master, Scheduler scheduler, String user,
        String appName, SparkConf conf, Option<String> webuiUrl, Option<Object> checkpoint,
        Option<Object> failoverTimeout, Option<String> frameworkId) {
      lines.add(CoarseOracle.createDriverLine(this::buildCredentials, master, user, appName,
          conf, webuiUrl, checkpoint, failoverTimeout, frameworkId, lines));
      driver = new RecordingSchedulerDriver(scheduler, this.frameworkId, lines);
      return driver;
    }
  }

  /**
   * {@code TaskSchedulerImpl} with offer shuffling turned off: Spark shuffles worker offers at
   * random before placing tasks, which would make the task-to-offer mapping differ run to run.
   * Spark's own scheduler tests pin it the same way.
   */
  static final class Tasks extends TaskSchedulerImpl {
    Tasks(SparkContext sc) {
      super(sc);
    }

    @Override
    public IndexedSeq<WorkerOffer> shuffleOffers(IndexedSeq<WorkerOffer> offers) {
      return offers;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: FineOracle <scenario-file>");
      System.exit(2);
    }
    ScenarioFile file = ScenarioFile.read(Path.of(args[0]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    OracleContext context = new OracleContext("local[1]");
    out.println("# Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()
        + " MesosFineGrainedSchedulerBackend calls; regenerate with the mesos_backend_oracle"
        + " test (see docs/mesos-backend-oracle.md).");
    for (Map.Entry<String, String> e : context.baseEnv().entrySet()) {
      out.println("base-executor-env " + e.getKey() + "=" + e.getValue());
    }
    for (ScenarioFile.Scenario scenario : file.scenarios) {
      for (String line : run(context, file, scenario)) {
        out.println(line);
      }
      out.flush();
    }
    out.flush();
    context.sc.stop();
    System.exit(0);
  }

  static List<String> run(OracleContext context, ScenarioFile file, ScenarioFile.Scenario s)
      throws Exception {
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    lines.add("");
    lines.add("scenario " + s.name);
    context.apply(file, s);
    SparkContext sc = context.sc;
    Tasks tasks = new Tasks(sc);
    Backend backend;
    try {
      backend = new Backend(tasks, sc, s.master, lines, s.frameworkId);
    } catch (Throwable e) {
      lines.add("construct-error " + e.getClass().getName() + ": "
          + CoarseOracle.firstLine(e.getMessage()));
      return lines;
    }
    tasks.initialize(backend);
    try {
      tasks.start();
    } catch (Throwable e) {
      lines.add("start-error " + e.getClass().getName() + ": "
          + CoarseOracle.firstLine(e.getMessage()));
      return lines;
    }
    lines.add("registered " + backend.applicationId());
    DAGScheduler dag = new DAGScheduler(sc, tasks);
    boolean stopped = false;
    for (ScenarioFile.Step step : s.steps) {
      lines.add("> " + step.line);
      try {
        stopped |= step(backend, dag, sc, step, lines);
      } catch (Throwable e) {
        lines.add("error " + e.getClass().getName() + ": "
            + CoarseOracle.firstLine(e.getMessage()));
      }
    }
    if (!stopped) {
      lines.add("> (end of scenario: stop)");
      backend.stop();
    }
    // Tear-down below is the oracle's, not part of the scenario: stop recording first.
    List<String> result = new ArrayList<>(lines);
    dag.cancelAllJobs();
    dag.stop(0);
    tasks.stop(0);
    return result;
  }

  /** Runs one step; true if it stopped the backend. */
  private static boolean step(Backend backend, DAGScheduler dag, SparkContext sc,
      ScenarioFile.Step step, List<String> lines) throws Exception {
    String[] w = step.words;
    switch (step.verb()) {
      case "offers":
        backend.resourceOffers(backend.driver, step.offers);
        return false;
      case "status":
        backend.statusUpdate(backend.driver, ScenarioFile.status(w));
        Thread.sleep(SETTLE_MS);
        return false;
      case "submit-job": {
        int partitions = Integer.parseInt(w[1]);
        submit(dag, sc, partitions);
        // submitTasks revives offers from the DAG scheduler's thread: wait for it.
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!lines.get(lines.size() - 1).equals("revive") && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        Thread.sleep(SETTLE_MS);
        return false;
      }
      case "sleep":
        Thread.sleep(Long.parseLong(w[1]));
        return false;
      case "stop":
        backend.stop();
        return true;
      default:
        throw new IllegalArgumentException("unknown step: " + step.line);
    }
  }

  @SuppressWarnings("unchecked")
  private static void submit(DAGScheduler dag, SparkContext sc, int partitions) {
    List<Integer> data = new ArrayList<>();
    List<Object> ids = new ArrayList<>();
    for (int i = 0; i < partitions; i++) {
      data.add(i);
      ids.add(i);
    }
    RDD<Integer> rdd = JavaSparkContext.fromSparkContext(sc).parallelize(data, partitions).rdd();
    Function2<TaskContext, Iterator<Integer>, Object> func =
        (Function2<TaskContext, Iterator<Integer>, Object> & Serializable) (ctx, it) -> 0;
    Function2<Object, Object, BoxedUnit> handler = (index, value) -> BoxedUnit.UNIT;
    dag.submitJob(rdd, func, OracleContext.scalaSeq(ids), new CallSite("oracle", "oracle"),
        handler, new Properties());
  }
}
