package org.apache.spark.network.crypto;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Test-only bridge to Spark's package-private {@link AuthMessage} (the AuthEngine challenge /
 * response). Lives in Spark's own package (split package on a plain class path); used by
 * {@code golden.GoldenVectors}.
 */
public final class GoldenAuthAccess {
  private GoldenAuthAccess() {}

  /**
   * The RpcRequest body that {@code AuthClientBootstrap.doSparkAuth} sends: a buffer of
   * {@code encodedLength()} bytes filled by {@code AuthMessage.encode}.
   */
  public static byte[] rpcBody(String appId, byte[] salt, byte[] ciphertext) {
    AuthMessage msg = new AuthMessage(appId, salt, ciphertext);
    ByteBuf buf = Unpooled.buffer(msg.encodedLength());
    msg.encode(buf);
    ByteBuffer nio = buf.nioBuffer();
    byte[] out = new byte[nio.remaining()];
    nio.get(out);
    return out;
  }

  /** Decodes a body with {@code AuthMessage.decodeMessage} and describes it. */
  public static String describe(byte[] rpcBody) {
    AuthMessage msg = AuthMessage.decodeMessage(ByteBuffer.wrap(rpcBody));
    HexFormat hex = HexFormat.of();
    return "AuthMessage[appId=" + msg.appId + ",salt=" + hex.formatHex(msg.salt)
        + ",ciphertext=" + hex.formatHex(msg.ciphertext) + "]";
  }

  /** True if decoding {@code rpcBody} and encoding the result again gives the same bytes. */
  public static boolean roundTrips(byte[] rpcBody) {
    AuthMessage msg = AuthMessage.decodeMessage(ByteBuffer.wrap(rpcBody));
    return java.util.Arrays.equals(rpcBody(msg.appId, msg.salt, msg.ciphertext), rpcBody);
  }
}
