package mesosoracle;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.cluster.mesos.MesosCoarseGrainedSchedulerBackend;

import scala.Option;

/**
 * Runs Spark 3.5.6's own {@code MesosCoarseGrainedSchedulerBackend} through the scenarios of a
 * scenario file and prints every call it makes to its {@link SchedulerDriver}.
 *
 * <p>Usage: {@code CoarseOracle <scenario-file>}; the calls go to stdout in the format of
 * {@code mesos/tests/fixtures/spark-3.5.6-coarse-calls.txt}. The JVM needs Spark's Java 17
 * {@code --add-opens} flags and {@code SPARK_USER} pinned (see {@code tests/src/spark_jvm.rs}).
 */
public final class CoarseOracle {
  private CoarseOracle() {}

  /** The backend under test, with the driver factory replaced by a recording driver. */
  static final class Backend extends MesosCoarseGrainedSchedulerBackend {
    private final List<String> lines;
    private final String frameworkId;
    RecordingSchedulerDriver driver;

    Backend(TaskSchedulerImpl scheduler, SparkContext sc, String master, SecurityManager sm,
        List<String> lines, String frameworkId) {
      super(scheduler, sc, master, sm);
      this.lines = lines;
      this.frameworkId = frameworkId;
    }

    @Override
    public SchedulerDriver createSchedulerDriver(String master, Scheduler scheduler, String user,
        String appName, SparkConf conf, Option<String> webuiUrl, Option<Object> checkpoint,
        Option<Object> failoverTimeout, Option<String> frameworkId) {
      lines.add(createDriverLine(this::buildCredentials, master, user, appName, conf, webuiUrl,
          checkpoint, failoverTimeout, frameworkId, lines));
      driver = new RecordingSchedulerDriver(scheduler, this.frameworkId, lines);
      return driver;
    }
  }

  /** Spark's credential builder, as both backends expose it. */
  interface Credentials {
    Protos.Credential.Builder build(SparkConf conf, Protos.FrameworkInfo.Builder info);
  }

  /**
   * The `create-driver` line: the arguments Spark hands its driver factory, and the principal
   * and credential Spark's own {@code buildCredentials} derives from the configuration. When
   * that throws, Spark's factory would throw too: the line records it and the exception is
   * rethrown (wrapped, as Scala does not declare it).
   */
  static String createDriverLine(Credentials credentials, String master, String user,
      String appName, SparkConf conf, Option<String> webuiUrl, Option<Object> checkpoint,
      Option<Object> failoverTimeout, Option<String> frameworkId, List<String> lines) {
    String line = "create-driver master=" + master + " user=" + user + " app-name=" + appName
        + " webui-url=" + OracleContext.opt(webuiUrl)
        + " checkpoint=" + OracleContext.opt(checkpoint)
        + " failover-timeout=" + OracleContext.opt(failoverTimeout)
        + " framework-id=" + OracleContext.opt(frameworkId);
    Protos.FrameworkInfo.Builder info =
        Protos.FrameworkInfo.newBuilder().setUser(user).setName(appName);
    Protos.Credential.Builder cred;
    try {
      cred = credentials.build(conf, info);
    } catch (Exception e) {
      lines.add(line + " credential-error=" + e.getClass().getName());
      throw new IllegalStateException("buildCredentials failed", e);
    }
    return line + " framework-principal=" + (info.hasPrincipal() ? info.getPrincipal() : "-")
        + " credential={" + RecordingSchedulerDriver.text(cred) + "}";
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: CoarseOracle <scenario-file>");
      System.exit(2);
    }
    ScenarioFile file = ScenarioFile.read(Path.of(args[0]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    OracleContext context = new OracleContext("local[1]");
    out.println("# Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()
        + " MesosCoarseGrainedSchedulerBackend calls; regenerate with the mesos_backend_oracle"
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
    try (ShuffleCapture capture = s.captureShuffle ? new ShuffleCapture() : null) {
      if (capture != null) {
        sc.conf().set("spark.shuffle.service.port", String.valueOf(capture.port()));
      }
      return run(sc, s, lines, capture);
    }
  }

  private static List<String> run(SparkContext sc, ScenarioFile.Scenario s, List<String> lines,
      ShuffleCapture capture) throws Exception {
    TaskSchedulerImpl scheduler = new TaskSchedulerImpl(sc);
    Backend backend;
    try {
      backend = new Backend(scheduler, sc, s.master, sc.env().securityManager(), lines,
          s.frameworkId);
    } catch (Throwable e) {
      lines.add("construct-error " + e.getClass().getName() + ": " + firstLine(e.getMessage()));
      releaseEndpoint(sc);
      return lines;
    }
    scheduler.initialize(backend);
    try {
      backend.start();
    } catch (Throwable e) {
      lines.add("start-error " + e.getClass().getName() + ": " + firstLine(e.getMessage()));
      backend.stop();
      return lines;
    }
    lines.add("registered " + backend.applicationId());
    boolean stopped = false;
    for (ScenarioFile.Step step : s.steps) {
      lines.add("> " + step.line);
      try {
        stopped |= step(backend, step);
      } catch (Throwable e) {
        lines.add("error " + e.getClass().getName() + ": " + firstLine(e.getMessage()));
      }
      if (capture != null && step.verb().equals("status")) {
        // Registration is written asynchronously once connected: wait for it (or not).
        String frame = capture.next(3000);
        if (frame != null) {
          lines.add("shuffle-service host=127.0.0.1 port=(capture) " + frame);
        }
      }
    }
    if (!stopped) {
      lines.add("> (end of scenario: stop)");
      backend.stop();
    }
    return lines;
  }

  /**
   * A constructor that throws after its superclass registered the driver endpoint leaves the
   * endpoint behind; unregister it so the next scenario's backend can register again.
   */
  static void releaseEndpoint(SparkContext sc) {
    org.apache.spark.rpc.RpcEnv rpcEnv = sc.env().rpcEnv();
    try {
      rpcEnv.stop(rpcEnv.setupEndpointRef(rpcEnv.address(),
          org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend.ENDPOINT_NAME()));
    } catch (RuntimeException e) {
      // No endpoint was registered: nothing to release.
    }
  }

  /** Runs one step; true if it stopped the backend. */
  private static boolean step(Backend backend, ScenarioFile.Step step)
      throws Exception {
    String[] w = step.words;
    switch (step.verb()) {
      case "offers":
        backend.resourceOffers(backend.driver, step.offers);
        return false;
      case "status":
        backend.statusUpdate(backend.driver, ScenarioFile.status(w));
        return false;
      case "request-executors": {
        // CoarseGrainedSchedulerBackend.requestTotalExecutors, as ExecutorAllocationManager
        // calls it: total for the default profile, locality-aware task count, host counts.
        int total = Integer.parseInt(w[1]);
        Map<String, Object> hosts = new LinkedHashMap<>();
        int localTasks = 0;
        for (int i = 2; i < w.length; i++) {
          String[] hc = w[i].split("=");
          hosts.put(hc[0], Integer.parseInt(hc[1]));
          localTasks += Integer.parseInt(hc[1]);
        }
        Map<Object, Object> totals = Map.of(0, total);
        Map<Object, Object> local = Map.of(0, localTasks);
        Map<Object, scala.collection.immutable.Map<String, Object>> hostCounts =
            Map.of(0, OracleContext.scalaMap(hosts));
        backend.requestTotalExecutors(OracleContext.scalaMap(totals),
            OracleContext.scalaMap(local), OracleContext.scalaMap(hostCounts));
        return false;
      }
      case "kill":
        backend.doKillExecutors(OracleContext.scalaSeq(Arrays.asList(w).subList(1, w.length)));
        return false;
      case "sleep":
        Thread.sleep(Long.parseLong(w[1]));
        return false;
      case "stop":
        backend.stop();
        return true;
      default:
        if (CallbackSteps.run(backend, backend.driver, step)) {
          return false;
        }
        throw new IllegalArgumentException("unknown step: " + step.line);
    }
  }
}
