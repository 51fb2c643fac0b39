package mesosrest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.spark.SparkConf;
import org.apache.spark.deploy.rest.mesos.MesosRestServer;

/**
 * Spark 3.5.6's own MesosRestServer answering the REST golden cases.
 *
 * <p>Usage: {@code java mesosrest.RestOracle CASES_FILE}. Three dispatchers run, each a
 * MesosRestServer on a free port over an OracleScheduler: {@code main} (registered, queues
 * {@code high}=2.0 and {@code low}=-1.5), {@code full} (registered, spark.mesos.maxDrivers=0) and
 * {@code unready} (never started, so never registered). Every case of the file is sent in order
 * and printed as {@code === NAME}, the HTTP status, the Content-Type and the body, raw: the Rust
 * side normalises ids, dates and stack traces. {@code {id:NAME}} in a path stands for the
 * submissionId that case NAME got.
 */
public final class RestOracle {
  private RestOracle() {}

  private static final java.io.PrintStream OUT = System.out;

  /** One request of the case file. */
  static final class Case {
    String name;
    String server = "main";
    String method;
    String path;
    StringBuilder body;
    List<String[]> headers = new ArrayList<>();
    int padding;
    boolean emptyBody;

    /** The body to send, or null for none: blank lines before the next case are no body. */
    String bodyText() {
      if (emptyBody) {
        return "";
      }
      String text = body == null ? "" : body.toString().stripTrailing();
      return text.isEmpty() ? null : text.replace("%PADDING%", "x".repeat(padding));
    }
  }

  static List<Case> parse(List<String> lines) {
    List<Case> cases = new ArrayList<>();
    Case current = null;
    for (String line : lines) {
      if (line.startsWith("=== ")) {
        current = new Case();
        current.name = line.substring(4).trim();
        cases.add(current);
      } else if (current == null || line.startsWith("#")) {
        continue;
      } else if (current.method == null) {
        if (line.startsWith("server: ")) {
          current.server = line.substring(8).trim();
        } else if (line.startsWith("ours: ")) {
          continue;
        } else if (line.equals("body: empty")) {
          current.emptyBody = true;
        } else if (line.startsWith("padding: ")) {
          current.padding = Integer.parseInt(line.substring(9).trim());
        } else if (line.startsWith("header: ")) {
          String h = line.substring(8);
          int colon = h.indexOf(':');
          current.headers.add(new String[] {h.substring(0, colon).trim(), h.substring(colon + 1).trim()});
        } else if (!line.isBlank()) {
          String[] parts = line.split(" ", 2);
          current.method = parts[0];
          current.path = parts[1];
        }
      } else {
        if (current.body == null) {
          current.body = new StringBuilder();
        } else {
          current.body.append('\n');
        }
        current.body.append(line);
      }
    }
    return cases;
  }

  static MesosRestServer server(SparkConf conf, boolean start, Map<String, Integer> ports, String name) {
    OracleScheduler scheduler = new OracleScheduler(conf);
    if (start) {
      scheduler.start();
    }
    MesosRestServer server = new MesosRestServer("127.0.0.1", 0, conf, scheduler);
    ports.put(name, server.start());
    return server;
  }

  static SparkConf conf() {
    return new SparkConf(false)
        .set("spark.master", "127.0.0.1:5050")
        .set("spark.app.name", "Spark Cluster")
        .set("spark.mesos.dispatcher.queue.high", "2.0")
        .set("spark.mesos.dispatcher.queue.low", "-1.5");
  }

  public static void main(String[] args) throws Exception {
    System.setOut(System.err);
    List<Case> cases = parse(Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8));
    Map<String, Integer> ports = new HashMap<>();
    List<MesosRestServer> servers = new ArrayList<>();
    servers.add(server(conf(), true, ports, "main"));
    servers.add(server(conf().set("spark.mesos.maxDrivers", "0"), true, ports, "full"));
    servers.add(server(conf(), false, ports, "unready"));

    HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
    Map<String, String> ids = new HashMap<>();
    Pattern ref = Pattern.compile("\\{id:([^}]+)\\}");
    Pattern idInBody = Pattern.compile("\"submissionId\" : \"([^\"]+)\"");
    for (Case c : cases) {
      Matcher m = ref.matcher(c.path);
      StringBuffer path = new StringBuffer();
      while (m.find()) {
        m.appendReplacement(path, Matcher.quoteReplacement(ids.getOrDefault(m.group(1), "missing")));
      }
      m.appendTail(path);
      URI uri = URI.create("http://127.0.0.1:" + ports.get(c.server) + path);
      String text = c.bodyText();
      HttpRequest.BodyPublisher body =
          text == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).method(c.method, body);
      if (text != null) {
        request.header("Content-Type", "application/json");
      }
      for (String[] h : c.headers) {
        request.header(h[0], h[1]);
      }
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      Matcher id = idInBody.matcher(response.body());
      if (id.find()) {
        ids.put(c.name, id.group(1));
      }
      OUT.println("=== " + c.name);
      OUT.println(response.statusCode());
      OUT.println(response.headers().firstValue("Content-Type").orElse("-"));
      OUT.println(response.body());
      // Spark's queue is ordered by submission Date (milliseconds) and collapses equal dates.
      Thread.sleep(3);
    }
    OUT.flush();
    for (MesosRestServer s : servers) {
      s.stop();
    }
    System.exit(0);
  }
}
