package mesosoracle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.mesos.Protos;

/**
 * Parser for the scenario files under {@code mesos/tests/fixtures/} (format documented at the
 * top of each file and in {@code docs/mesos-backend-oracle.md}).
 */
public final class ScenarioFile {
  /** One scenario: its configuration on top of the file's defaults, and its steps. */
  static final class Scenario {
    final String name;
    final Map<String, String> conf = new LinkedHashMap<>();
    final List<String> unset = new ArrayList<>();
    String master = "127.0.0.1:5050";
    String frameworkId = "oracle-framework";
    boolean captureShuffle;
    final List<Step> steps = new ArrayList<>();

    Scenario(String name) {
      this.name = name;
    }
  }

  /** One step: the source line (echoed in the output) and, for offer batches, the offers. */
  static final class Step {
    final String line;
    final String[] words;
    final List<Protos.Offer> offers = new ArrayList<>();

    Step(String line) {
      this.line = line;
      this.words = line.trim().split("\\s+");
    }

    String verb() {
      return words[0];
    }
  }

  final Map<String, String> defaults = new LinkedHashMap<>();
  final List<Scenario> scenarios = new ArrayList<>();

  static ScenarioFile read(Path path) throws IOException {
    ScenarioFile file = new ScenarioFile();
    Scenario current = null;
    Step batch = null;
    int n = 0;
    for (String raw : Files.readAllLines(path, StandardCharsets.UTF_8)) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String verb = line.split("\\s+", 2)[0];
      String rest = line.length() > verb.length() ? line.substring(verb.length()).strip() : "";
      try {
        if (!verb.equals("offer")) {
          batch = null;
        }
        switch (verb) {
          case "default":
            putConf(file.defaults, rest);
            break;
          case "scenario":
            current = new Scenario(rest);
            file.scenarios.add(current);
            break;
          case "conf":
            putConf(need(current).conf, rest);
            break;
          case "unset":
            need(current).unset.add(rest);
            break;
          case "master":
            need(current).master = rest;
            break;
          case "capture-shuffle-service":
            need(current).captureShuffle = true;
            break;
          case "framework":
            need(current).frameworkId = rest;
            break;
          case "offers":
            batch = new Step(line);
            need(current).steps.add(batch);
            break;
          case "offer":
            if (batch == null) {
              throw new IllegalArgumentException("`offer` outside an `offers` batch");
            }
            batch.offers.add(offer(rest, need(current).frameworkId));
            break;
          default:
            need(current).steps.add(new Step(line));
        }
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(path + ":" + n + ": " + e.getMessage(), e);
      }
    }
    return file;
  }

  private static Scenario need(Scenario s) {
    if (s == null) {
      throw new IllegalArgumentException("line before the first `scenario`");
    }
    return s;
  }

  private static void putConf(Map<String, String> into, String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("expected key=value: " + kv);
    }
    into.put(kv.substring(0, eq), kv.substring(eq + 1));
  }

  /**
   * `offer <offer-id> <agent-id> <hostname> <item>...`; also the offer syntax of
   * tests/java/mesoslaunch's launch cases.
   */
  public static Protos.Offer offer(String spec, String frameworkId) {
    String[] w = spec.trim().split("\\s+");
    if (w.length < 3) {
      throw new IllegalArgumentException("offer needs <offer-id> <agent-id> <hostname>");
    }
    Protos.Offer.Builder b = Protos.Offer.newBuilder()
        .setId(Protos.OfferID.newBuilder().setValue(w[0]))
        .setFrameworkId(Protos.FrameworkID.newBuilder().setValue(frameworkId))
        .setSlaveId(Protos.SlaveID.newBuilder().setValue(w[1]))
        .setHostname(w[2]);
    for (int i = 3; i < w.length; i++) {
      if (w[i].startsWith("attr:")) {
        b.addAttributes(attribute(w[i].substring(5)));
      } else {
        b.addResources(resource(w[i]));
      }
    }
    return b.build();
  }

  /** `name[(role[,principal])]=<number>|[b-e,...]` */
  private static Protos.Resource resource(String item) {
    int eq = item.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("bad resource: " + item);
    }
    String head = item.substring(0, eq);
    String value = item.substring(eq + 1);
    String name = head;
    String role = "*";
    String principal = null;
    int paren = head.indexOf('(');
    if (paren > 0) {
      if (!head.endsWith(")")) {
        throw new IllegalArgumentException("bad role in: " + item);
      }
      name = head.substring(0, paren);
      String[] rp = head.substring(paren + 1, head.length() - 1).split(",", -1);
      role = rp[0];
      if (rp.length > 1) {
        principal = rp[1];
      }
    }
    Protos.Resource.Builder r = Protos.Resource.newBuilder().setName(name).setRole(role);
    if (value.startsWith("[")) {
      r.setType(Protos.Value.Type.RANGES).setRanges(ranges(value));
    } else {
      r.setType(Protos.Value.Type.SCALAR)
          .setScalar(Protos.Value.Scalar.newBuilder().setValue(Double.parseDouble(value)));
    }
    if (principal != null) {
      r.setReservation(Protos.Resource.ReservationInfo.newBuilder().setPrincipal(principal));
    }
    return r.build();
  }

  private static Protos.Value.Ranges ranges(String value) {
    if (!value.endsWith("]")) {
      throw new IllegalArgumentException("bad ranges: " + value);
    }
    Protos.Value.Ranges.Builder rs = Protos.Value.Ranges.newBuilder();
    String body = value.substring(1, value.length() - 1);
    if (body.isEmpty()) {
      return rs.build();
    }
    for (String range : body.split(",")) {
      String[] be = range.split("-");
      rs.addRange(Protos.Value.Range.newBuilder()
          .setBegin(Long.parseLong(be[0]))
          .setEnd(Long.parseLong(be[be.length - 1])));
    }
    return rs.build();
  }

  /** `name=<number>` SCALAR, `name=[b-e,...]` RANGES, `name={a,b}` SET, else TEXT. */
  private static Protos.Attribute attribute(String item) {
    int eq = item.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("bad attribute: " + item);
    }
    String name = item.substring(0, eq);
    String value = item.substring(eq + 1);
    Protos.Attribute.Builder a = Protos.Attribute.newBuilder().setName(name);
    if (value.startsWith("[")) {
      a.setType(Protos.Value.Type.RANGES).setRanges(ranges(value));
    } else if (value.startsWith("{") && value.endsWith("}")) {
      Protos.Value.Set.Builder set = Protos.Value.Set.newBuilder();
      String body = value.substring(1, value.length() - 1);
      if (!body.isEmpty()) {
        for (String v : body.split(",")) {
          set.addItem(v);
        }
      }
      a.setType(Protos.Value.Type.SET).setSet(set);
    } else if (value.matches("-?[0-9]+(\\.[0-9]+)?")) {
      a.setType(Protos.Value.Type.SCALAR)
          .setScalar(Protos.Value.Scalar.newBuilder().setValue(Double.parseDouble(value)));
    } else {
      a.setType(Protos.Value.Type.TEXT).setText(Protos.Value.Text.newBuilder().setValue(value));
    }
    return a.build();
  }

  /** `status <task-id> <agent-id> <TASK_STATE>` as a v0 TaskStatus. */
  static Protos.TaskStatus status(String[] w) {
    if (w.length != 4) {
      throw new IllegalArgumentException("status needs <task-id> <agent-id> <TASK_STATE>");
    }
    return Protos.TaskStatus.newBuilder()
        .setTaskId(Protos.TaskID.newBuilder().setValue(w[1]))
        .setSlaveId(Protos.SlaveID.newBuilder().setValue(w[2]))
        .setState(Protos.TaskState.valueOf(w[3]))
        .build();
  }
}
