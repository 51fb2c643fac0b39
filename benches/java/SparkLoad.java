import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.network.shuffle.BlockFetchingListener;
import org.apache.spark.network.shuffle.ExternalBlockStoreClient;
import org.apache.spark.network.shuffle.protocol.ExecutorShuffleInfo;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;

/**
 * The load tool's workload driven by Spark 3.5.6's own ExternalBlockStoreClient: N threads
 * fetching requests of a shared plan, every block checked against the CRC-32 of the bytes
 * benches/src/layout.rs writes. The threads share CLIENTS clients, thread i using client
 * i % CLIENTS (default: one client, so one connection, per thread). With CLIENTS = 1 all
 * threads share one client and, at Spark's default spark.shuffle.io.numConnectionsPerPeer=1,
 * one connection: the tasks of one executor fetching from one host.
 *
 * <p>Usage: {@code SparkLoad HOST PORT APP EXEC LOCAL_DIR MAPS REDUCES BLOCK_SIZE blocks|batch
 * IDS_PER_REQUEST REDUCES_PER_ID CONCURRENCY WARMUP_S DURATION_S [CLIENTS]}. Prints "WARM"
 * when the warm-up ends and measuring starts, then "DONE {json}". Spark's log goes to
 * stderr.
 */
public final class SparkLoad {
  private static final long MAP_ID_BASE = 1000;
  private static final PrintStream OUT = System.out;

  private SparkLoad() {}

  static int maps;
  static int reduces;
  static int blockSize;
  static int[] crcs;

  public static void main(String[] a) throws Exception {
    System.setOut(System.err);
    String host = a[0];
    int port = Integer.parseInt(a[1]);
    String app = a[2];
    String exec = a[3];
    String dir = a[4];
    maps = Integer.parseInt(a[5]);
    reduces = Integer.parseInt(a[6]);
    blockSize = Integer.parseInt(a[7]);
    boolean batch = a[8].equals("batch");
    int k = Integer.parseInt(a[9]);
    int per = Integer.parseInt(a[10]);
    int conc = Integer.parseInt(a[11]);
    double warmup = Double.parseDouble(a[12]);
    double duration = Double.parseDouble(a[13]);
    int numClients = a.length > 14 ? Math.max(1, Math.min(conc, Integer.parseInt(a[14]))) : conc;

    crcs = new int[maps * reduces];
    byte[] block = new byte[blockSize];
    ByteBuffer le = ByteBuffer.wrap(block).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int m = 0; m < maps; m++) {
      for (int r = 0; r < reduces; r++) {
        long state = ((long) m << 32) ^ (long) r ^ 0x9e3779b97f4a7c15L;
        for (int i = 0; i + 8 <= blockSize; i += 8) {
          state ^= state << 13;
          state ^= state >>> 7;
          state ^= state << 17;
          le.putLong(i, state);
        }
        CRC32 crc = new CRC32();
        crc.update(block, 0, blockSize);
        crcs[m * reduces + r] = (int) crc.getValue();
      }
    }

    List<String> ids = new ArrayList<>();
    if (batch) {
      for (int s = 0; s < reduces; s += per) {
        for (int m = 0; m < maps; m++) {
          ids.add("shuffle_0_" + (MAP_ID_BASE + m) + "_" + s + "_" + (s + per));
        }
      }
    } else {
      for (int r = 0; r < reduces; r++) {
        for (int m = 0; m < maps; m++) {
          ids.add("shuffle_0_" + (MAP_ID_BASE + m) + "_" + r);
        }
      }
    }
    List<String[]> plan = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += k) {
      plan.add(ids.subList(i, Math.min(ids.size(), i + k)).toArray(new String[0]));
    }

    Map<String, String> conf = new HashMap<>();
    conf.put("spark.shuffle.io.maxRetries", "0");
    TransportConf transportConf = new TransportConf("shuffle", new MapConfigProvider(conf));
    ExternalBlockStoreClient reg = new ExternalBlockStoreClient(transportConf, null, false, 5000);
    reg.init(app);
    reg.registerWithShuffleServer(host, port, exec, new ExecutorShuffleInfo(
        new String[] {dir}, 64, "org.apache.spark.shuffle.sort.SortShuffleManager"));

    List<ExternalBlockStoreClient> clients = new ArrayList<>();
    for (int i = 0; i < numClients; i++) {
      ExternalBlockStoreClient c = new ExternalBlockStoreClient(transportConf, null, false, 5000);
      c.init(app);
      clients.add(c);
    }
    int covered = batch ? per : 1;
    if (warmup > 0) {
      phase(clients, conc, host, port, exec, plan, warmup, covered);
    }
    OUT.println("WARM");
    OUT.flush();
    String json = phase(clients, conc, host, port, exec, plan, duration, covered);
    OUT.println("DONE " + json);
    OUT.flush();
    System.exit(0);
  }

  static String verify(String id, ByteBuffer buf) {
    String[] p = id.split("_");
    int m = (int) (Long.parseLong(p[2]) - MAP_ID_BASE);
    int start = Integer.parseInt(p[3]);
    int end = p.length > 4 ? Integer.parseInt(p[4]) : start + 1;
    if (buf.remaining() != (end - start) * blockSize) {
      return id + ": " + buf.remaining() + " bytes";
    }
    for (int r = start; r < end; r++) {
      ByteBuffer piece = buf.slice();
      piece.limit(blockSize);
      buf.position(buf.position() + blockSize);
      CRC32 crc = new CRC32();
      crc.update(piece);
      if ((int) crc.getValue() != crcs[m * reduces + r]) {
        return id + ": bytes of reduce " + r + " differ";
      }
    }
    return null;
  }

  static String phase(List<ExternalBlockStoreClient> clients, int conc, String host, int port,
      String exec, List<String[]> plan, double seconds, int covered) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicLong blocks = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicReference<String> error = new AtomicReference<>();
    AtomicInteger errors = new AtomicInteger();
    long t0 = System.nanoTime();
    long deadline = t0 + (long) (seconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    List<long[]> lat = new ArrayList<>();
    for (int i = 0; i < conc; i++) {
      ExternalBlockStoreClient client = clients.get(i % clients.size());
      long[] mine = new long[1 << 20];
      int[] n = new int[1];
      lat.add(mine);
      Thread t = new Thread(() -> {
        int count = 0;
        while (System.nanoTime() < deadline && error.get() == null) {
          String[] req = plan.get(next.getAndIncrement() % plan.size());
          CountDownLatch done = new CountDownLatch(req.length);
          long s = System.nanoTime();
          client.fetchBlocks(host, port, exec, req, new BlockFetchingListener() {
            @Override
            public void onBlockFetchSuccess(String blockId, ManagedBuffer data) {
              try {
                ByteBuffer buf = data.nioByteBuffer();
                int len = buf.remaining();
                String bad = verify(blockId, buf);
                if (bad != null) {
                  errors.incrementAndGet();
                  error.compareAndSet(null, bad);
                }
                blocks.addAndGet(covered);
                bytes.addAndGet(len);
              } catch (Exception e) {
                errors.incrementAndGet();
                error.compareAndSet(null, blockId + ": " + e);
              }
              done.countDown();
            }

            @Override
            public void onBlockFetchFailure(String blockId, Throwable e) {
              errors.incrementAndGet();
              error.compareAndSet(null, blockId + ": " + e);
              done.countDown();
            }
          }, null);
          try {
            if (!done.await(60, TimeUnit.SECONDS)) {
              error.compareAndSet(null, "request timed out");
              break;
            }
          } catch (InterruptedException e) {
            break;
          }
          if (count < mine.length - 1) {
            mine[count++] = System.nanoTime() - s;
          }
        }
        mine[mine.length - 1] = count;
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    int total = 0;
    for (long[] l : lat) {
      total += (int) l[l.length - 1];
    }
    long[] all = new long[total];
    int at = 0;
    for (long[] l : lat) {
      int c = (int) l[l.length - 1];
      System.arraycopy(l, 0, all, at, c);
      at += c;
    }
    Arrays.sort(all);
    String err = error.get() == null ? "" : error.get().replace("\\", "/").replace("\"", "'");
    return String.format(java.util.Locale.ROOT,
        "{\"seconds\":%.4f,\"requests\":%d,\"blocks\":%d,\"bytes\":%d,\"p50\":%.4f,\"p99\":%.4f,"
            + "\"p999\":%.4f,\"max\":%.4f,\"mean\":%.4f,\"errors\":%d,\"first_error\":\"%s\"}",
        secs, total, blocks.get(), bytes.get(), pct(all, 0.5), pct(all, 0.99), pct(all, 0.999),
        total == 0 ? 0.0 : all[total - 1] / 1e6, mean(all), errors.get(), err);
  }

  static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = Math.max(1, Math.min(sorted.length, (int) Math.ceil(q * sorted.length))) - 1;
    return sorted[i] / 1e6;
  }

  static double mean(long[] xs) {
    double s = 0;
    for (long x : xs) {
      s += x;
    }
    return xs.length == 0 ? 0 : s / xs.length / 1e6;
  }
}
