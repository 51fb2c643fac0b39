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

  /** Longest wait for Spark's asynchronous scheduler work to settle after a step. */
  private static final long SETTLE_LIMIT_MS = 20_000;

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
      long t0 = System.nanoTime();
      List<String> lines = run(context, file, scenario);
      System.err.printf("oracle: scenario %s took %d ms%n", scenario.name,
          (System.nanoTime() - t0) / 1_000_000);
      for (String line : lines) {
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
        stopped |= step(backend, tasks, dag, sc, step, lines);
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
  private static boolean step(Backend backend, TaskSchedulerImpl tasks, DAGScheduler dag,
      SparkContext sc, ScenarioFile.Step step, List<String> lines) throws Exception {
    String[] w = step.words;
    switch (step.verb()) {
      case "offers":
        backend.resourceOffers(backend.driver, step.offers);
        return false;
      case "status":
        backend.statusUpdate(backend.driver, ScenarioFile.status(w));
        settle(dag, tasks);
        return false;
      case "submit-job": {
        int partitions = Integer.parseInt(w[1]);
        submit(dag, sc, partitions);
        // submitTasks revives offers from the DAG scheduler's thread: wait for it.
        long deadline = System.nanoTime() + SETTLE_LIMIT_MS * 1_000_000L;
        while (!lines.get(lines.size() - 1).equals("revive") && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        settle(dag, tasks);
        return false;
      }
      case "kill":
        // What TaskSchedulerImpl calls to kill a running task (job cancellation, speculation).
        for (int i = 1; i < w.length; i++) {
          backend.killTask(Long.parseLong(w[i]), "", false, "oracle");
        }
        return false;
      case "sleep":
        Thread.sleep(Long.parseLong(w[1]));
        return false;
      case "stop":
        backend.stop();
        return true;
      default:
        if (CallbackSteps.run(backend, backend.driver, step)) {
          settle(dag, tasks);
          return false;
        }
        throw new IllegalArgumentException("unknown step: " + step.line);
    }
  }

  /**
   * Waits until the task-result getter pool and the DAG scheduler's event loop have been idle
   * for two consecutive looks 50 ms apart: what a status update sets off on those threads
   * (resubmissions, revives) then has happened, so its calls precede the next step's marker.
   */
  private static void settle(DAGScheduler dag, TaskSchedulerImpl tasks)
      throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_LIMIT_MS * 1_000_000L;
    int quiet = 0;
    while (quiet < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      quiet = idle(dag, tasks) ? quiet + 1 : 0;
    }
  }

  private static boolean idle(DAGScheduler dag, TaskSchedulerImpl tasks) {
    java.util.concurrent.ExecutorService pool = tasks.taskResultGetter().getTaskResultExecutor();
    boolean poolIdle = !(pool instanceof java.util.concurrent.ThreadPoolExecutor)
        || (((java.util.concurrent.ThreadPoolExecutor) pool).getActiveCount() == 0
            && ((java.util.concurrent.ThreadPoolExecutor) pool).getQueue().isEmpty());
    org.apache.spark.util.EventLoop<?> loop = dag.eventProcessLoop();
    Thread.State state = loop.eventThread().getState();
    boolean loopIdle = loop.org$apache$spark$util$EventLoop$$eventQueue().isEmpty()
        && (state == Thread.State.WAITING || state == Thread.State.TERMINATED);
    return poolIdle && loopIdle;
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
