package mesosoracle;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in external shuffle service on 127.0.0.1 that records every RPC it receives (the
 * driver's {@code RegisterDriver}s: Spark pools one connection per host and port, so several
 * agents on one host share it) and never answers, so the driver sends no heartbeats. Its port is chosen by the system, so the oracle prints {@code port=(capture)}.
 */
final class ShuffleCapture implements Closeable {
  private final ServerSocket server;
  private final LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
  private final List<Socket> open = new ArrayList<>();

  ShuffleCapture() throws IOException {
    server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "oracle-shuffle-capture");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        synchronized (open) {
          open.add(socket);
        }
        Thread reader = new Thread(() -> read(socket), "oracle-shuffle-capture-reader");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void read(Socket socket) {
    try {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      while (true) {
        frames.add(readRpcBody(in));
      }
    } catch (IOException e) {
      // Connection closed: the scenario is over.
    }
  }

  /**
   * One transport frame: int64 frame length (itself included), message type byte (3 =
   * RpcRequest), int64 request id (random, dropped), int32 body length, body. Returns
   * {@code rpc <body hex>} or a note when the frame is something else.
   */
  private static String readRpcBody(DataInputStream in) throws IOException {
    long frameLength = in.readLong();
    if (frameLength < 9 || frameLength > 1 << 20) {
      return "bad-frame length=" + frameLength;
    }
    byte[] rest = new byte[(int) frameLength - 8];
    in.readFully(rest);
    if (rest[0] != 3 || rest.length < 13) {
      return "frame type=" + rest[0];
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 13; i < rest.length; i++) {
      hex.append(Character.forDigit((rest[i] >> 4) & 0xf, 16))
          .append(Character.forDigit(rest[i] & 0xf, 16));
    }
    return "rpc " + hex;
  }

  /** The next recorded frame, or null if none arrives within {@code millis}. */
  String next(long millis) throws InterruptedException {
    return frames.poll(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (open) {
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
