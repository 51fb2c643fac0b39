package mesoslaunch;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;
import org.apache.mesos.protobuf.TextFormat;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.mesos.MesosDriverDescription;
import org.apache.spark.deploy.rest.CreateSubmissionRequest;
import org.apache.spark.deploy.rest.CreateSubmissionResponse;
import org.apache.spark.deploy.rest.KillSubmissionResponse;
import org.apache.spark.deploy.rest.mesos.MesosSubmitRequestServlet;
import org.apache.spark.scheduler.cluster.mesos.BlackHoleMesosClusterPersistenceEngineFactory;
import org.apache.spark.scheduler.cluster.mesos.MesosClusterScheduler;
import scala.Option;
import scala.Tuple2;

/**
 * Drives Spark 3.5.6's MesosClusterScheduler through the launch cases
 * (mesos-dispatcher/tests/fixtures/launch-cases.txt): submissions built by Spark's own REST
 * servlet, offers, status updates, kills, time passing. Prints every launch (TaskInfo bytes
 * in hex, and its text) and decline, and the drivers' states after each step.
 *
 * Normalised: the 14 timestamp digits of submission ids become zeros, in text and in the
 * serialized bytes alike (same length). Launches of one offer round are printed in offer
 * order (Spark walks a HashMap keyed by OfferID, whose order changes between JVMs).
 */
public final class LaunchOracle {
  private LaunchOracle() {}

  /** MesosClusterScheduler with a LaunchDriver instead of libmesos. */
  static final class Sched extends MesosClusterScheduler {
    LaunchDriver driver;

    Sched(SparkConf conf) {
      super(new BlackHoleMesosClusterPersistenceEngineFactory(), conf);
    }

    @Override
    public SchedulerDriver createSchedulerDriver(String master, Scheduler scheduler, String user,
        String appName, SparkConf conf, Option<String> webuiUrl, Option<Object> checkpoint,
        Option<Object> failoverTimeout, Option<String> frameworkId) {
      driver = new LaunchDriver(scheduler);
      return driver;
    }
  }

  static final class Case {
    final String name;
    final Map<String, String> conf = new TreeMap<>();
    final List<List<String>> steps = new ArrayList<>();

    Case(String name) {
      this.name = name;
    }
  }

  static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        b.append(n == 'n' ? '\n' : n == 't' ? '\t' : n);
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  static String norm(String s) {
    return s.replaceAll("driver-\\d{14}-", "driver-00000000000000-");
  }

  static String hex(byte[] bytes) {
    String normed = norm(new String(bytes, StandardCharsets.ISO_8859_1));
    byte[] n = normed.getBytes(StandardCharsets.ISO_8859_1);
    StringBuilder sb = new StringBuilder();
    for (byte b : n) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> defaults = new TreeMap<>();
    List<Case> cases = new ArrayList<>();
    Case current = null;
    for (String raw : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      if (raw.isBlank() || raw.startsWith("#")) {
        continue;
      }
      boolean nested = raw.startsWith(" ");
      String line = raw.strip();
      String[] w = line.split(" ", 2);
      if (nested) {
        current.steps.get(current.steps.size() - 1).add(line);
      } else if (w[0].equals("default")) {
        put(defaults, w[1]);
      } else if (w[0].equals("case")) {
        current = new Case(w[1]);
        cases.add(current);
      } else if (w[0].equals("conf")) {
        put(current.conf, w[1]);
      } else {
        List<String> step = new ArrayList<>();
        step.add(line);
        current.steps.add(step);
      }
    }
    StringBuilder out = new StringBuilder("# Spark 3.5.6 MesosClusterScheduler on launch-cases.txt (tests/java/mesoslaunch/LaunchOracle.java)\n");
    for (Case c : cases) {
      out.append("case ").append(c.name).append('\n');
      try {
        run(c, defaults, out);
      } catch (Throwable t) {
        out.append("error ").append(t).append('\n');
      }
    }
    System.out.print(out);
    System.out.flush();
    System.exit(0);
  }

  static void put(Map<String, String> into, String kv) {
    int eq = kv.indexOf('=');
    into.put(kv.substring(0, eq), unescape(kv.substring(eq + 1)));
  }

  @SuppressWarnings("unchecked")
  static <K, V> scala.collection.immutable.Map<K, V> scalaMap(Map<K, V> m) {
    scala.collection.immutable.Map<K, V> map = scala.collection.immutable.Map$.MODULE$.empty();
    for (Map.Entry<K, V> e : m.entrySet()) {
      map = map.$plus(new Tuple2<>(e.getKey(), e.getValue()));
    }
    return map;
  }

  static void run(Case c, Map<String, String> defaults, StringBuilder out) throws Exception {
    SparkConf conf = new SparkConf(false);
    Map<String, String> all = new TreeMap<>(defaults);
    all.putAll(c.conf);
    for (Map.Entry<String, String> e : all.entrySet()) {
      conf.set(e.getKey(), e.getValue());
    }
    Sched sched = new Sched(conf);
    sched.start();
    // registered() marks the scheduler ready before it stores the driver that a submission's
    // revive then uses: wait for both.
    Method driverOf = MesosClusterScheduler.class.getDeclaredMethod("schedulerDriver");
    driverOf.setAccessible(true);
    for (int i = 0; i < 1000 && driverOf.invoke(sched) == null; i++) {
      Thread.sleep(5);
    }
    MesosSubmitRequestServlet servlet = new MesosSubmitRequestServlet(sched, conf);
    Method build = MesosSubmitRequestServlet.class.getDeclaredMethod("buildDriverDescription", CreateSubmissionRequest.class);
    build.setAccessible(true);
    Map<String, String> ids = new LinkedHashMap<>();
    try {
      for (List<String> step : c.steps) {
        String[] w = step.get(0).split(" ");
        out.append("> ").append(step.get(0)).append('\n');
        switch (w[0]) {
          case "submit": {
            String resource = "http://repo.example/jars/app.jar";
            String main = "org.example.Main";
            List<String> appArgs = new ArrayList<>();
            Map<String, String> env = new TreeMap<>();
            Map<String, String> props = new TreeMap<>();
            for (String item : step.subList(1, step.size())) {
              String[] kv = item.split(" ", 2);
              String v = kv.length > 1 ? kv[1] : "";
              switch (kv[0]) {
                case "resource": resource = unescape(v); break;
                case "main": main = unescape(v); break;
                case "arg": appArgs.add(unescape(v)); break;
                case "env": put(env, v); break;
                case "prop": put(props, v); break;
                default: throw new IllegalArgumentException("submit item " + item);
              }
            }
            props.putIfAbsent("spark.app.name", w[1]);
            CreateSubmissionRequest request = new CreateSubmissionRequest();
            request.appResource_$eq(resource);
            request.mainClass_$eq(main);
            request.appArgs_$eq(appArgs.toArray(new String[0]));
            request.sparkProperties_$eq(scalaMap(props));
            request.environmentVariables_$eq(scalaMap(env));
            // Distinct submission Dates: same-Date submissions collapse in Spark's queue.
            Thread.sleep(3);
            MesosDriverDescription desc = (MesosDriverDescription) build.invoke(servlet, request);
            CreateSubmissionResponse r = sched.submitDriver(desc);
            ids.put(w[1], desc.submissionId());
            String replyId = r.submissionId() == null ? "none" : norm(r.submissionId());
            out.append("submitted ").append(w[1]).append(' ').append(replyId)
                .append(' ').append(r.success()).append('\n');
            break;
          }
          case "offers": {
            List<Protos.Offer> offers = new ArrayList<>();
            for (String item : step.subList(1, step.size())) {
              offers.add(mesosoracle.ScenarioFile.offer(item.substring("offer ".length()), "oracle-framework"));
            }
            sched.resourceOffers(sched.driver, offers);
            for (Protos.Offer o : offers) {
              for (LaunchDriver.Launch l : sched.driver.launches) {
                if (l.offer.equals(o.getId().getValue())) {
                  if (l.tasks.isEmpty()) {
                    out.append("launch ").append(l.offer).append(" no tasks\n");
                  }
                  for (Protos.TaskInfo t : l.tasks) {
                    out.append("launch ").append(l.offer).append(' ').append(norm(t.getTaskId().getValue()))
                        .append(' ').append(hex(t.toByteArray())).append('\n');
                    out.append("  text ").append(norm(TextFormat.shortDebugString(t))).append('\n');
                  }
                }
              }
            }
            sched.driver.launches.clear();
            break;
          }
          case "status": {
            String task = w[1];
            String handle = task.split("-retry-")[0];
            task = ids.get(handle) + task.substring(handle.length());
            Protos.TaskStatus.Builder status = Protos.TaskStatus.newBuilder()
                .setTaskId(Protos.TaskID.newBuilder().setValue(task))
                .setSlaveId(Protos.SlaveID.newBuilder().setValue(w[2]))
                .setState(Protos.TaskState.valueOf(w[3]));
            if (w.length > 4) {
              String[] rest = step.get(0).split(" ", 5);
              status.setMessage(unescape(rest[4]));
            }
            sched.statusUpdate(sched.driver, status.build());
            String message = sched.getDriverStatus(ids.get(handle)).message();
            out.append("message ").append(handle).append(' ')
                .append(message == null ? "none" : norm(message.replace("\\", "\\\\").replace("\n", "\\n")))
                .append('\n');
            break;
          }
          case "sleep":
            Thread.sleep(Long.parseLong(w[1]));
            break;
          case "kill": {
            KillSubmissionResponse r = sched.killDriver(ids.get(w[1]));
            out.append("killed ").append(w[1]).append(' ').append(r.success()).append(' ')
                .append(r.message()).append('\n');
            break;
          }
          default:
            throw new IllegalArgumentException("step " + step.get(0));
        }
        for (String line : sched.driver.others) {
          out.append(norm(line)).append('\n');
        }
        sched.driver.others.clear();
        StringBuilder states = new StringBuilder("states");
        for (Map.Entry<String, String> e : ids.entrySet()) {
          states.append(' ').append(e.getKey()).append('=')
              .append(sched.getDriverStatus(e.getValue()).driverState());
        }
        out.append(states).append('\n');
      }
    } finally {
      sched.stop();
    }
  }
}
