package interop;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.shuffle.BlockFetchingListener;
import org.apache.spark.network.shuffle.DownloadFile;
import org.apache.spark.network.shuffle.DownloadFileManager;
import org.apache.spark.network.shuffle.ExternalBlockStoreClient;
import org.apache.spark.network.shuffle.SimpleDownloadFile;
import org.apache.spark.network.shuffle.protocol.ExecutorShuffleInfo;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;

/**
 * Drives a shuffle service with Spark's own ExternalBlockStoreClient, one command per stdin
 * line, so a Rust test can script a whole scenario in one JVM start.
 *
 * <p>Usage: {@code java -Dspark.key=value ... interop.SparkShuffleDriver APP_ID}. Every
 * {@code spark.*} system property goes into the client's TransportConf. With
 * {@code -Dspark.authenticate=true} the client authenticates as APP_ID with the secret
 * {@code -Dspark.authenticate.secret=...}, as an executor's SecurityManager would (SASL user
 * {@code sparkSaslUser}; AuthEngine instead if {@code spark.network.crypto.enabled}). Commands (fields
 * separated by single spaces, lists by commas):
 * <pre>
 * client APP_ID [spark.key=value ...]         -> "client APP_ID" (new client: app id and settings)
 * register HOST PORT EXEC SUBDIRS DIR[,DIR]   -> "registered"
 * fetch HOST PORT EXEC mem|stream ID[,ID]     -> "block ID LEN SHA256" or "fail ID MSG", then "fetched N"
 * remove HOST PORT EXEC ID[,ID]               -> "removed N"
 * localdirs HOST PORT EXEC[,EXEC]             -> "dirs EXEC DIR[,DIR]" per exec, or "error MSG"
 * diagnose HOST PORT EXEC S M R CHECKSUM ALGO -> "cause NAME"
 * </pre>
 * Any exception from a command prints "error MSG" and the driver goes on with the next line.
 */
public final class SparkShuffleDriver {
  private static final String SHUFFLE_MANAGER = "org.apache.spark.shuffle.sort.SortShuffleManager";

  private SparkShuffleDriver() {}

  /** The protocol channel; System.out itself goes to stderr, so that Spark's log lines do not. */
  private static final java.io.PrintStream OUT = System.out;

  public static void main(String[] args) throws Exception {
    // Before any Spark class loads: log4j's default console appender binds to System.out.
    System.setOut(System.err);
    Map<String, String> conf = new HashMap<>();
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("spark.")) {
        conf.put(key, System.getProperty(key));
      }
    }
    TransportConf transportConf = new TransportConf("shuffle", new MapConfigProvider(conf));
    ExternalBlockStoreClient client = newClient(transportConf, conf, args[0]);
    File tmpDir = java.nio.file.Files.createTempDirectory("spark-driver-stream").toFile();

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split(" ");
      try {
        switch (f[0]) {
          case "client":
            // A fresh client (own connections) for another app id and settings.
            client.close();
            Map<String, String> next = new HashMap<>(conf);
            for (int i = 2; i < f.length; i++) {
              String[] kv = f[i].split("=", 2);
              next.put(kv[0], kv[1]);
            }
            transportConf = new TransportConf("shuffle", new MapConfigProvider(next));
            client = newClient(transportConf, next, f[1]);
            out("client " + f[1]);
            break;
          case "register":
            client.registerWithShuffleServer(f[1], Integer.parseInt(f[2]), f[3],
                new ExecutorShuffleInfo(f[5].split(","), Integer.parseInt(f[4]), SHUFFLE_MANAGER));
            out("registered");
            break;
          case "fetch":
            fetch(client, transportConf, tmpDir, f[1], Integer.parseInt(f[2]), f[3], f[4], f[5].split(","));
            break;
          case "remove":
            int removed = client.removeBlocks(f[1], Integer.parseInt(f[2]), f[3], f[4].split(","))
                .get(60, TimeUnit.SECONDS);
            out("removed " + removed);
            break;
          case "localdirs":
            CompletableFuture<Map<String, String[]>> dirs = new CompletableFuture<>();
            client.getHostLocalDirs(f[1], Integer.parseInt(f[2]), f[3].split(","), dirs);
            for (Map.Entry<String, String[]> e : dirs.get(60, TimeUnit.SECONDS).entrySet()) {
              out("dirs " + e.getKey() + " " + String.join(",", e.getValue()));
            }
            break;
          case "diagnose":
            out("cause " + client.diagnoseCorruption(f[1], Integer.parseInt(f[2]), f[3],
                Integer.parseInt(f[4]), Long.parseLong(f[5]), Integer.parseInt(f[6]),
                Long.parseLong(f[7]), f[8]));
            break;
          default:
            out("error unknown command " + f[0]);
        }
      } catch (Throwable t) {
        out("error " + oneLine(t));
      }
    }
    client.close();
  }

  /**
   * An initialized client for {@code appId}; with {@code spark.authenticate=true} in
   * {@code conf} it authenticates with {@code spark.authenticate.secret}.
   */
  private static ExternalBlockStoreClient newClient(TransportConf transportConf,
      Map<String, String> conf, String appId) {
    boolean authEnabled = Boolean.parseBoolean(conf.getOrDefault("spark.authenticate", "false"));
    String secret = conf.get("spark.authenticate.secret");
    SecretKeyHolder keys = authEnabled ? new SecretKeyHolder() {
      @Override
      public String getSaslUser(String appId) {
        return "sparkSaslUser";
      }

      @Override
      public String getSecretKey(String appId) {
        return secret;
      }
    } : null;
    ExternalBlockStoreClient client =
        new ExternalBlockStoreClient(transportConf, keys, authEnabled, 5000);
    client.init(appId);
    return client;
  }

  private static void fetch(ExternalBlockStoreClient client, TransportConf transportConf,
      File tmpDir, String host, int port, String execId, String mode, String[] ids)
      throws Exception {
    CountDownLatch done = new CountDownLatch(ids.length);
    ConcurrentLinkedQueue<String> results = new ConcurrentLinkedQueue<>();
    BlockFetchingListener listener = new BlockFetchingListener() {
      @Override
      public void onBlockFetchSuccess(String blockId, ManagedBuffer data) {
        try {
          ByteBuffer buf = data.nioByteBuffer();
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          long len = buf.remaining();
          sha.update(buf);
          results.add("block " + blockId + " " + len + " " + HexFormat.of().formatHex(sha.digest()));
        } catch (Exception e) {
          results.add("fail " + blockId + " " + oneLine(e));
        } finally {
          done.countDown();
        }
      }

      @Override
      public void onBlockFetchFailure(String blockId, Throwable t) {
        results.add("fail " + blockId + " " + oneLine(t));
        done.countDown();
      }
    };
    DownloadFileManager files = null;
    if (mode.equals("stream")) {
      files = new DownloadFileManager() {
        @Override
        public DownloadFile createTempFile(TransportConf conf) {
          try {
            return new SimpleDownloadFile(File.createTempFile("block", ".tmp", tmpDir), conf);
          } catch (java.io.IOException e) {
            throw new RuntimeException(e);
          }
        }

        @Override
        public boolean registerTempFileToClean(DownloadFile file) {
          return false;
        }
      };
    }
    client.fetchBlocks(host, port, execId, ids, listener, files);
    if (!done.await(300, TimeUnit.SECONDS)) {
      out("error fetch timed out with " + done.getCount() + " blocks outstanding");
    }
    List<String> lines = new ArrayList<>(results);
    for (String l : lines) {
      out(l);
    }
    out("fetched " + lines.size());
  }

  private static String oneLine(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (sb.length() > 0) {
        sb.append(" <- ");
      }
      sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
    }
    // Spark puts whole server stack traces into failure messages; the first line says enough.
    String text = sb.toString().replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
    return text.length() > 400 ? text.substring(0, 400) : text;
  }

  private static synchronized void out(String s) {
    OUT.println(s);
    OUT.flush();
  }
}
