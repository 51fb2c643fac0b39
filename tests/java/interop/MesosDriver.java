package interop;

import java.util.HashMap;
import java.util.Map;

import org.apache.spark.network.shuffle.mesos.MesosExternalBlockStoreClient;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;

/**
 * A Spark driver's side of the Mesos shuffle-service lifecycle, with Spark's own
 * MesosExternalBlockStoreClient: registers the application with one shuffle service and keeps
 * sending heartbeats until the process is killed or its stdin closes.
 *
 * <p>Usage: {@code java -Dspark.key=value ... interop.MesosDriver APP_ID HOST PORT TIMEOUT_MS
 * INTERVAL_MS}. Every {@code spark.*} system property goes into the client's TransportConf.
 * Prints {@code requested} once registerDriverWithShuffleService has sent the RegisterDriver RPC
 * (the client handles the reply asynchronously, then heartbeats every INTERVAL_MS on the same
 * connection). When stdin reaches end of file the client is closed, as a driver that stops
 * normally does: heartbeats end and no unregister message exists, so the service expires the
 * application after TIMEOUT_MS.
 */
public final class MesosDriver {
  private MesosDriver() {}

  /** The protocol channel; System.out itself goes to stderr, so that Spark's log lines do not. */
  private static final java.io.PrintStream OUT = System.out;

  public static void main(String[] args) throws Exception {
    // Before any Spark class loads: log4j's default console appender binds to System.out.
    System.setOut(System.err);
    if (args.length != 5) {
      throw new IllegalArgumentException("usage: MesosDriver APP_ID HOST PORT TIMEOUT_MS INTERVAL_MS");
    }
    Map<String, String> conf = new HashMap<>();
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("spark.")) {
        conf.put(key, System.getProperty(key));
      }
    }
    TransportConf transportConf = new TransportConf("shuffle", new MapConfigProvider(conf));
    MesosExternalBlockStoreClient client =
        new MesosExternalBlockStoreClient(transportConf, null, false, 5000);
    client.init(args[0]);
    client.registerDriverWithShuffleService(
        args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
    OUT.println("requested");
    OUT.flush();
    // The heartbeat thread is a daemon thread: the process lives as long as this read blocks.
    while (System.in.read() != -1) {
      // Input is ignored; only end of file matters.
    }
    client.close();
    OUT.println("closed");
    OUT.flush();
  }
}
