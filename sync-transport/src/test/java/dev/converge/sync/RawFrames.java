package dev.converge.sync;

import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.codec.CrdtCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Gossip frames built by hand from the layout documented in {@code FrameCodec}, for tests that play
 * a hostile or foreign peer over a raw socket: {@code [int length][byte type][body]}, big-endian,
 * strings {@code [int length][UTF-8]}, byte arrays {@code [int length][bytes]}, lists and maps
 * {@code [int count][items]}. Written independently of the codec, so they also check its layout.
 */
public final class RawFrames {

  public static final byte HELLO = 1;
  public static final byte HELLO_OK = 2;
  public static final byte HELLO_REJECT = 3;
  public static final byte HEARTBEAT = 4;
  public static final byte DELTAS = 6;
  public static final byte HELLO_CHALLENGE = 18;
  public static final byte HELLO_AUTH = 19;
  public static final int PROTOCOL_VERSION = 5;

  private RawFrames() {}

  /** A body writer that may throw. */
  @FunctionalInterface
  public interface Body {
    void write(DataOutputStream out) throws IOException;
  }

  public static byte[] frame(int type, Body body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(type);
      body.write(out);
      byte[] content = bytes.toByteArray();
      ByteArrayOutputStream framed = new ByteArrayOutputStream();
      new DataOutputStream(framed).writeInt(content.length);
      framed.write(content);
      return framed.toByteArray();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static void str(DataOutputStream out, String s) throws IOException {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  /** A Hello from {@code nodeId} (port 1, where nothing listens) with an all-zero nonce. */
  public static byte[] hello(String cluster, int version, String nodeId) {
    return frame(
        HELLO,
        out -> {
          str(out, cluster);
          out.writeInt(version);
          str(out, nodeId);
          str(out, "x1"); // incarnation
          str(out, "127.0.0.1");
          out.writeInt(1); // port: nothing listens there
          out.writeLong(42); // delta epoch
          out.writeLong(1); // since: when this incarnation's process started
          out.writeInt(0); // metadata entries
          out.writeInt(32); // nonce
          out.write(new byte[32]);
        });
  }

  /** A HelloAuth frame carrying {@code proof}. */
  public static byte[] helloAuth(byte[] proof) {
    return frame(
        HELLO_AUTH,
        out -> {
          out.writeInt(proof.length);
          out.write(proof);
        });
  }

  /** A Deltas frame carrying {@code states} (key, encoded state) pairs. */
  public static byte[] deltas(List<Object[]> states) {
    return frame(
        DELTAS,
        out -> {
          out.writeLong(42);
          out.writeLong(1);
          out.writeLong(1);
          out.writeInt(states.size());
          for (Object[] s : states) {
            str(out, (String) s[0]);
            byte[] state = (byte[]) s[1];
            out.writeInt(state.length);
            out.write(state);
          }
        });
  }

  /** A valid encoded state that would change {@code victim} if merged. */
  public static byte[] validState() {
    return CrdtCodec.standard()
        .encode(
            PNCounter.TYPE,
            PNCounter.empty().increment(ReplicaId.of("intruder.x1"), 1_000).state());
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      all.writeBytes(p);
    }
    return all.toByteArray();
  }

  public static String reason(byte[] helloReject) {
    DataInputStream in =
        new DataInputStream(
            new java.io.ByteArrayInputStream(helloReject, 1, helloReject.length - 1));
    try {
      in.readInt(); // the reject code
      byte[] utf8 = new byte[in.readInt()];
      in.readFully(utf8);
      return new String(utf8, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The type byte of each frame body. */
  public static List<Byte> types(List<byte[]> bodies) {
    return bodies.stream().map(b -> b[0]).toList();
  }

  /**
   * Connects to {@code port} on loopback, sends {@code bytes}, and reads every frame the node
   * answers until it closes the connection; returns their bodies (type byte first), in order.
   *
   * @throws AssertionError if the node keeps the connection open for {@code closeDeadlineMillis}
   */
  public static List<byte[]> sendUntilClosed(int port, byte[] bytes, int closeDeadlineMillis)
      throws IOException {
    List<byte[]> replies = new ArrayList<>();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(closeDeadlineMillis);
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      while (true) {
        int length;
        try {
          length = in.readInt();
        } catch (EOFException | SocketException e) {
          return replies; // closed (or reset) by the node
        }
        if (length < 1 || length > 1 << 16) {
          throw new AssertionError("reply frame length " + length);
        }
        byte[] body = new byte[length];
        in.readFully(body);
        replies.add(body);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the node did not close the connection within " + closeDeadlineMillis + " ms", e);
    }
  }
}
