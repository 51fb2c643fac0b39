package golden;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.roaringbitmap.RoaringBitmap;

import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.network.buffer.NioManagedBuffer;
import org.apache.spark.network.crypto.GoldenAuthAccess;
import org.apache.spark.network.protocol.ChunkFetchFailure;
import org.apache.spark.network.protocol.ChunkFetchRequest;
import org.apache.spark.network.protocol.ChunkFetchSuccess;
import org.apache.spark.network.protocol.MergedBlockMetaRequest;
import org.apache.spark.network.protocol.MergedBlockMetaSuccess;
import org.apache.spark.network.protocol.Message;
import org.apache.spark.network.protocol.MessageDecoder;
import org.apache.spark.network.protocol.MessageEncoder;
import org.apache.spark.network.protocol.OneWayMessage;
import org.apache.spark.network.protocol.RpcFailure;
import org.apache.spark.network.protocol.RpcRequest;
import org.apache.spark.network.protocol.RpcResponse;
import org.apache.spark.network.protocol.StreamChunkId;
import org.apache.spark.network.protocol.StreamFailure;
import org.apache.spark.network.protocol.StreamRequest;
import org.apache.spark.network.protocol.StreamResponse;
import org.apache.spark.network.protocol.UploadStream;
import org.apache.spark.network.sasl.GoldenSaslAccess;
import org.apache.spark.network.shuffle.checksum.Cause;
import org.apache.spark.network.shuffle.protocol.BlockPushReturnCode;
import org.apache.spark.network.shuffle.protocol.BlockTransferMessage;
import org.apache.spark.network.shuffle.protocol.BlocksRemoved;
import org.apache.spark.network.shuffle.protocol.CorruptionCause;
import org.apache.spark.network.shuffle.protocol.DiagnoseCorruption;
import org.apache.spark.network.shuffle.protocol.ExecutorShuffleInfo;
import org.apache.spark.network.shuffle.protocol.FetchShuffleBlockChunks;
import org.apache.spark.network.shuffle.protocol.FetchShuffleBlocks;
import org.apache.spark.network.shuffle.protocol.FinalizeShuffleMerge;
import org.apache.spark.network.shuffle.protocol.GetLocalDirsForExecutors;
import org.apache.spark.network.shuffle.protocol.LocalDirsForExecutors;
import org.apache.spark.network.shuffle.protocol.MergeStatuses;
import org.apache.spark.network.shuffle.protocol.OpenBlocks;
import org.apache.spark.network.shuffle.protocol.PushBlockStream;
import org.apache.spark.network.shuffle.protocol.RegisterExecutor;
import org.apache.spark.network.shuffle.protocol.RemoveBlocks;
import org.apache.spark.network.shuffle.protocol.RemoveShuffleMerge;
import org.apache.spark.network.shuffle.protocol.StreamHandle;
import org.apache.spark.network.shuffle.protocol.UploadBlock;
import org.apache.spark.network.shuffle.protocol.UploadBlockStream;
import org.apache.spark.network.shuffle.protocol.mesos.RegisterDriver;
import org.apache.spark.network.shuffle.protocol.mesos.ShuffleServiceHeartbeat;

/**
 * Golden byte vectors produced by Spark's own encoder classes (the jars on the class path).
 *
 * <p>{@code java golden.GoldenVectors [encode]} prints {@code # } comment lines and then one
 * line per vector: {@code <name> <lowercase hex>}. Kinds of vector:
 * <ul>
 *   <li>transport: the complete wire bytes {@code MessageEncoder.INSTANCE} writes for one
 *       message (frame, plus an out-of-frame body for StreamResponse / UploadStream);</li>
 *   <li>BlockTransferMessage: {@code toByteBuffer()};</li>
 *   <li>auth: the RpcRequest body as Spark's client bootstraps build it.</li>
 * </ul>
 *
 * <p>{@code java golden.GoldenVectors decode} reads {@code <name> <hex>} lines from stdin
 * (comment and blank lines skipped) and decodes each with Spark's decoders
 * ({@code MessageDecoder}, {@code BlockTransferMessage.Decoder}, {@code SaslMessage.decode},
 * {@code AuthMessage.decodeMessage}), printing {@code <name> ok|MISMATCH <toString>}; "ok"
 * means re-encoding the decoded value gave the input bytes back. Unknown names are decoded as
 * transport frames when the first 8 bytes look like a frame length, else as
 * BlockTransferMessages. Exit status 1 if any line failed.
 */
public final class GoldenVectors {
  private GoldenVectors() {}

  /** How a vector's bytes were produced, and so how to decode them. */
  enum Kind { TRANSPORT, BLOCK_TRANSFER, SASL, AUTH_ENGINE }

  /** One named vector. */
  record Vector(String name, Kind kind, byte[] bytes) {}

  private static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws Exception {
    String mode = args.length == 0 ? "encode" : args[0];
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    int status;
    switch (mode) {
      case "encode" -> status = encode(out);
      case "decode" -> status = decode(out);
      default -> {
        System.err.println("usage: golden.GoldenVectors [encode|decode]");
        status = 2;
      }
    }
    out.flush();
    System.exit(status);
  }

  private static int encode(PrintStream out) throws Exception {
    out.println("# Golden vectors encoded by Apache Spark's own classes; do not edit by hand.");
    out.println("# spark-version: " + sparkVersion());
    out.println("# spark-network-common: " + jarName(MessageEncoder.class));
    out.println("# spark-network-shuffle: " + jarName(BlockTransferMessage.class));
    out.println("# generator: tests/java/golden/GoldenVectors.java"
        + " (regenerate: GOLDEN_UPDATE=1 cargo test -p shuffle-tests --test golden_vectors)");
    out.println("# format: <name> <lowercase hex>. Transport vectors are complete wire bytes"
        + " (frame, then any out-of-frame body);");
    out.println("# BlockTransferMessage vectors are toByteBuffer(); auth vectors are RpcRequest"
        + " bodies as the client bootstraps send them.");
    for (Vector v : vectors()) {
      out.println(v.name() + " " + HEX.formatHex(v.bytes()));
    }
    return 0;
  }

  // ---------------------------------------------------------------------------------------
  // The vectors. Names and values are a contract with the Rust tests; do not change them.
  // ---------------------------------------------------------------------------------------

  static List<Vector> vectors() throws Exception {
    List<Vector> v = new ArrayList<>();
    ByteBuffer heartbeat = new ShuffleServiceHeartbeat("app-1").toByteBuffer();

    // Transport messages (Message.Type 0..12) and RPCs carrying BlockTransferMessages.
    transport(v, "chunk_fetch_request", new ChunkFetchRequest(new StreamChunkId(1000, 0)));
    transport(v, "chunk_fetch_success",
        new ChunkFetchSuccess(new StreamChunkId(1000, 0), buf(ascii("abc"))));
    transport(v, "chunk_fetch_failure", new ChunkFetchFailure(new StreamChunkId(1000, 1), "x"));
    transport(v, "rpc_request", new RpcRequest(1, buf(bytes(1, 2, 3))));
    transport(v, "rpc_response", new RpcResponse(1, buf(new byte[0])));
    transport(v, "rpc_failure", new RpcFailure(3, "x"));
    transport(v, "stream_request", new StreamRequest("1000_0"));
    transport(v, "stream_response", new StreamResponse("1000_0", 3, buf(ascii("abc"))));
    transport(v, "stream_failure", new StreamFailure("1000_0", "boom"));
    transport(v, "one_way_message", new OneWayMessage(new NioManagedBuffer(heartbeat)));
    transport(v, "upload_stream",
        new UploadStream(7, buf(bytes(0xaa, 0xbb)), buf(ascii("wxyz"))));
    transport(v, "merged_block_meta_request", new MergedBlockMetaRequest(9, "app-1", 2, 3, 4));
    transport(v, "merged_block_meta_success",
        new MergedBlockMetaSuccess(9, 2, buf(bytes(1, 2, 3, 4))));
    transport(v, "rpc_register_executor", new RpcRequest(1, btmBuf(
        new RegisterExecutor("app-1", "7", new ExecutorShuffleInfo(new String[] {"/d"}, 64, "S")))));
    transport(v, "rpc_fetch_shuffle_blocks", new RpcRequest(2, btmBuf(new FetchShuffleBlocks(
        "app-1", "7", 0, new long[] {5}, new int[][] {{0, 1}}, false))));
    transport(v, "rpc_stream_handle", new RpcResponse(2, btmBuf(new StreamHandle(1000, 2))));
    transport(v, "rpc_register_driver",
        new RpcRequest(4, btmBuf(new RegisterDriver("app-1", 120000))));

    // BlockTransferMessages (type ids 0..19), as toByteBuffer() bytes.
    btm(v, "open_blocks",
        new OpenBlocks("app-1", "7", new String[] {"shuffle_0_1_2", "shuffle_0_1_3"}));
    btm(v, "upload_block",
        new UploadBlock("app-1", "7", "rdd_1_2", bytes(1, 2, 3), bytes(4, 5)));
    btm(v, "register_executor", new RegisterExecutor("app-1", "7", new ExecutorShuffleInfo(
        new String[] {"/d1", "/d2"}, 64, "org.apache.spark.shuffle.sort.SortShuffleManager")));
    btm(v, "stream_handle", new StreamHandle(1000, 2));
    btm(v, "register_driver", new RegisterDriver("app-1", 120000));
    btm(v, "shuffle_service_heartbeat", new ShuffleServiceHeartbeat("app-1"));
    btm(v, "upload_block_stream", new UploadBlockStream("rdd_1_2", bytes(9)));
    btm(v, "remove_blocks", new RemoveBlocks("app-1", "7", new String[] {"rdd_1_2", "rdd_1_3"}));
    btm(v, "blocks_removed", new BlocksRemoved(2));
    btm(v, "fetch_shuffle_blocks", new FetchShuffleBlocks(
        "app-1", "7", 0, new long[] {5, 6}, new int[][] {{0, 1}, {2}}, false));
    btm(v, "fetch_shuffle_blocks_batch", new FetchShuffleBlocks(
        "app-1", "7", 0, new long[] {5}, new int[][] {{0, 3}}, true));
    btm(v, "get_local_dirs_for_executors",
        new GetLocalDirsForExecutors("app-1", new String[] {"7", "8"}));
    Map<String, String[]> dirs = new LinkedHashMap<>();
    dirs.put("7", new String[] {"/a", "/b"});
    dirs.put("8", new String[] {"/c"});
    btm(v, "local_dirs_for_executors", new LocalDirsForExecutors(dirs));
    btm(v, "push_block_stream", new PushBlockStream("app-1", 1, 0, 2, 3, 4, 5));
    btm(v, "finalize_shuffle_merge", new FinalizeShuffleMerge("app-1", 1, 0, 2));
    RoaringBitmap small = RoaringBitmap.bitmapOf(1, 2, 3);
    RoaringBitmap empty = new RoaringBitmap();
    RoaringBitmap mixed = RoaringBitmap.bitmapOf(0, 100000);
    mixed.add(65536L, 65601L); // 65536..=65600
    btm(v, "merge_statuses", new MergeStatuses(0, 2,
        new RoaringBitmap[] {small, empty, mixed}, new int[] {0, 1, 2}, new long[] {100, 0, 7}));
    btm(v, "fetch_shuffle_block_chunks", new FetchShuffleBlockChunks(
        "app-1", "7", 0, 2, new int[] {0, 1}, new int[][] {{0, 1}, {0}}));
    btm(v, "diagnose_corruption",
        new DiagnoseCorruption("app-1", "7", 0, 5, 1, 123456789L, "ADLER32"));
    Cause[] causes = Cause.values();
    for (int i = 0; i < causes.length; i++) {
      btm(v, "corruption_cause_" + i, new CorruptionCause(causes[i]));
    }
    btm(v, "block_push_return_code", new BlockPushReturnCode((byte) 1, "shuffle_0_1_2"));
    btm(v, "remove_shuffle_merge", new RemoveShuffleMerge("app-1", 1, 0, 2));

    // Auth RPC bodies (not BlockTransferMessages).
    v.add(new Vector("sasl_message", Kind.SASL, GoldenSaslAccess.rpcBody("app-1", ascii("abc"))));
    v.add(new Vector("sasl_message_empty", Kind.SASL,
        GoldenSaslAccess.rpcBody("app-1", new byte[0])));
    byte[] salt = new byte[16];
    byte[] ciphertext = new byte[16];
    for (int i = 0; i < 16; i++) {
      salt[i] = (byte) i;
      ciphertext[i] = (byte) (0x10 + i);
    }
    v.add(new Vector("auth_message", Kind.AUTH_ENGINE,
        GoldenAuthAccess.rpcBody("app-1", salt, ciphertext)));
    return v;
  }

  private static void transport(List<Vector> v, String name, Message msg) throws IOException {
    v.add(new Vector(name, Kind.TRANSPORT, wire(msg)));
  }

  private static void btm(List<Vector> v, String name, BlockTransferMessage msg) {
    v.add(new Vector(name, Kind.BLOCK_TRANSFER, toArray(msg.toByteBuffer())));
  }

  // ---------------------------------------------------------------------------------------
  // Encoding
  // ---------------------------------------------------------------------------------------

  /**
   * Runs {@code msg} through {@code MessageEncoder.INSTANCE} in an EmbeddedChannel and drains
   * whatever it produced: a ByteBuf (header only) or a MessageWithHeader FileRegion (header
   * plus body, whether the body is in the frame or follows it).
   */
  static byte[] wire(Message msg) throws IOException {
    EmbeddedChannel ch = new EmbeddedChannel(MessageEncoder.INSTANCE);
    try {
      if (!ch.writeOutbound(msg)) {
        throw new IllegalStateException("MessageEncoder produced nothing for " + msg);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      WritableByteChannel sink = Channels.newChannel(out);
      Object o;
      while ((o = ch.readOutbound()) != null) {
        try {
          if (o instanceof ByteBuf b) {
            byte[] x = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), x);
            out.write(x);
          } else if (o instanceof FileRegion r) {
            int stalls = 0;
            while (r.transferred() < r.count()) {
              long n = r.transferTo(sink, r.transferred());
              if (n <= 0 && ++stalls > 1000) {
                throw new IllegalStateException("FileRegion made no progress: " + r);
              }
            }
          } else {
            throw new IllegalStateException("unexpected encoder output " + o.getClass());
          }
        } finally {
          ReferenceCountUtil.release(o);
        }
      }
      return out.toByteArray();
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static ManagedBuffer buf(byte[] b) {
    return new NioManagedBuffer(ByteBuffer.wrap(b));
  }

  private static ManagedBuffer btmBuf(BlockTransferMessage m) {
    return new NioManagedBuffer(m.toByteBuffer());
  }

  private static byte[] bytes(int... xs) {
    byte[] b = new byte[xs.length];
    for (int i = 0; i < xs.length; i++) {
      b[i] = (byte) xs[i];
    }
    return b;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] toArray(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] x = new byte[d.remaining()];
    d.get(x);
    return x;
  }

  // ---------------------------------------------------------------------------------------
  // Decoding
  // ---------------------------------------------------------------------------------------

  private static int decode(PrintStream out) throws Exception {
    Map<String, Kind> kinds = new LinkedHashMap<>();
    for (Vector v : vectors()) {
      kinds.put(v.name(), v.kind());
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int status = 0;
    String line;
    while ((line = in.readLine()) != null) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      String name = parts[0];
      try {
        byte[] bytes = HEX.parseHex(parts.length > 1 ? parts[1] : "");
        Kind kind = kinds.getOrDefault(name, guessKind(bytes));
        out.println(name + " " + describe(kind, bytes));
      } catch (Exception e) {
        out.println(name + " ERROR " + e);
        status = 1;
      }
    }
    return status;
  }

  private static Kind guessKind(byte[] bytes) {
    if (bytes.length >= 9) {
      long frameLength = ByteBuffer.wrap(bytes).getLong();
      if (frameLength > 8 && frameLength <= bytes.length) {
        return Kind.TRANSPORT;
      }
    }
    return Kind.BLOCK_TRANSFER;
  }

  private static String describe(Kind kind, byte[] bytes) throws Exception {
    switch (kind) {
      case BLOCK_TRANSFER: {
        BlockTransferMessage m = BlockTransferMessage.Decoder.fromByteBuffer(ByteBuffer.wrap(bytes));
        boolean same = Arrays.equals(toArray(m.toByteBuffer()), bytes);
        return verdict(same) + " " + show(m);
      }
      case SASL: {
        return verdict(GoldenSaslAccess.roundTrips(bytes)) + " "
            + GoldenSaslAccess.describe(bytes);
      }
      case AUTH_ENGINE: {
        return verdict(GoldenAuthAccess.roundTrips(bytes)) + " "
            + GoldenAuthAccess.describe(bytes);
      }
      default:
        return describeTransport(bytes);
    }
  }

  /** Splits off the frame, decodes it with MessageDecoder, re-encodes it for comparison. */
  private static String describeTransport(byte[] wire) throws Exception {
    ByteBuf all = Unpooled.wrappedBuffer(wire);
    long frameLength = all.readLong();
    if (frameLength <= 8 || frameLength > wire.length) {
      throw new IllegalArgumentException("bad frame length " + frameLength);
    }
    ByteBuf frame = all.readSlice((int) (frameLength - 8));
    byte[] trailing = new byte[all.readableBytes()];
    all.readBytes(trailing);

    EmbeddedChannel ch = new EmbeddedChannel(MessageDecoder.INSTANCE);
    try {
      ch.writeInbound(frame.retain());
      Message m = ch.readInbound();
      if (m == null) {
        throw new IllegalStateException("MessageDecoder produced nothing");
      }
      String text = m.toString();
      ManagedBuffer body = m.body();
      if (body != null) {
        // Show the body as hex instead of Netty's buffer bookkeeping.
        byte[] bodyBytes = toArray(body.nioByteBuffer());
        text = text.replace(body.toString(), HEX.formatHex(bodyBytes));
        if (m instanceof RpcRequest || m instanceof RpcResponse || m instanceof OneWayMessage) {
          try {
            BlockTransferMessage inner =
                BlockTransferMessage.Decoder.fromByteBuffer(ByteBuffer.wrap(bodyBytes));
            if (Arrays.equals(toArray(inner.toByteBuffer()), bodyBytes)) {
              text += " body=" + show(inner);
            }
          } catch (RuntimeException notBlockTransfer) {
            // An opaque body (e.g. rpc_request's 01 02 03): the hex above is all there is.
          }
        } else if (!text.contains(HEX.formatHex(bodyBytes))) {
          text += " body=" + HEX.formatHex(bodyBytes);
        }
      }
      StringBuilder sb = new StringBuilder(text);
      if (trailing.length > 0) {
        sb.append(" outOfFrameBody=").append(HEX.formatHex(trailing));
      }
      // Re-encode. A decoded StreamResponse / UploadStream has no body; its bytes trail.
      ByteArrayOutputStream again = new ByteArrayOutputStream();
      again.write(wire(m));
      if (m.body() == null) {
        again.write(trailing);
      }
      return verdict(Arrays.equals(again.toByteArray(), wire)) + " " + sb;
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  /**
   * {@code toString()}, or for the classes that do not override it (the Mesos messages and
   * MergeStatuses' bitmaps) a reflective {@code Name[field=value,...]}.
   */
  static String show(Object o) {
    try {
      if (o.getClass().getMethod("toString").getDeclaringClass() != Object.class) {
        return o.toString();
      }
      StringBuilder sb = new StringBuilder(o.getClass().getSimpleName()).append('[');
      String sep = "";
      for (java.lang.reflect.Field f : o.getClass().getDeclaredFields()) {
        if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        f.setAccessible(true);
        sb.append(sep).append(f.getName()).append('=').append(f.get(o));
        sep = ",";
      }
      return sb.append(']').toString();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return o.toString();
    }
  }

  private static String verdict(boolean same) {
    return same ? "ok" : "MISMATCH";
  }

  // ---------------------------------------------------------------------------------------
  // Provenance
  // ---------------------------------------------------------------------------------------

  /** org.apache.spark.SPARK_VERSION if spark-core is present, else the jar's manifest. */
  static String sparkVersion() {
    try {
      Class<?> pkg = Class.forName("org.apache.spark.package$");
      Object module = pkg.getField("MODULE$").get(null);
      return (String) pkg.getMethod("SPARK_VERSION").invoke(module);
    } catch (Throwable notOnClassPath) {
      String v = MessageEncoder.class.getPackage().getImplementationVersion();
      return v != null ? v : "unknown (" + jarName(MessageEncoder.class) + ")";
    }
  }

  private static String jarName(Class<?> c) {
    try {
      String path = c.getProtectionDomain().getCodeSource().getLocation().getPath();
      return path.substring(path.lastIndexOf('/') + 1);
    } catch (RuntimeException e) {
      return "unknown";
    }
  }
}
