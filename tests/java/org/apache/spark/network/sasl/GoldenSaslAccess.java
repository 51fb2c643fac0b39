package org.apache.spark.network.sasl;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Test-only bridge to Spark's package-private {@link SaslMessage}. It lives in Spark's own
 * package (a split package, which works on a plain class path) and is used by
 * {@code golden.GoldenVectors}.
 */
public final class GoldenSaslAccess {
  private GoldenSaslAccess() {}

  /**
   * The RpcRequest body that {@code SaslClientBootstrap.doBootstrap} sends for one SASL step:
   * it allocates {@code encodedLength() + body().size()} bytes, calls {@code encode} (tag,
   * appId, token length) and then appends the token bytes.
   */
  public static byte[] rpcBody(String appId, byte[] token) throws Exception {
    SaslMessage msg = new SaslMessage(appId, token);
    ByteBuf buf = Unpooled.buffer(msg.encodedLength() + (int) msg.body().size());
    msg.encode(buf);
    buf.writeBytes(msg.body().nioByteBuffer());
    ByteBuffer nio = buf.nioBuffer();
    byte[] out = new byte[nio.remaining()];
    nio.get(out);
    return out;
  }

  /** Decodes an RpcRequest body with {@code SaslMessage.decode} and describes it. */
  public static String describe(byte[] rpcBody) throws Exception {
    SaslMessage msg = SaslMessage.decode(Unpooled.wrappedBuffer(rpcBody));
    ByteBuffer token = msg.body().nioByteBuffer();
    byte[] bytes = new byte[token.remaining()];
    token.get(bytes);
    return "SaslMessage[appId=" + msg.appId + ",token=" + HexFormat.of().formatHex(bytes) + "]";
  }

  /** True if decoding {@code rpcBody} and encoding the result again gives the same bytes. */
  public static boolean roundTrips(byte[] rpcBody) throws Exception {
    SaslMessage msg = SaslMessage.decode(Unpooled.wrappedBuffer(rpcBody));
    ByteBuffer token = msg.body().nioByteBuffer();
    byte[] bytes = new byte[token.remaining()];
    token.get(bytes);
    return java.util.Arrays.equals(rpcBody(msg.appId, bytes), rpcBody);
  }
}
