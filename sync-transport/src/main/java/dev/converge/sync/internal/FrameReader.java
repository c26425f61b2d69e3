package dev.converge.sync.internal;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one frame body from untrusted bytes. Every read checks the bytes left, and
 * every length or count is checked against them before anything is allocated, so a frame that
 * claims more than it holds fails with a {@link ProtocolException} at once.
 */
final class FrameReader {

  /** Longest string field, in bytes of UTF-8. */
  static final int MAX_STRING_BYTES = 4096;

  private final Buffer buffer;
  private int position;
  private final int end;

  FrameReader(Buffer buffer, int from, int end) {
    this.buffer = buffer;
    this.position = from;
    this.end = end;
  }

  private void need(int bytes, String what) {
    if (bytes < 0 || end - position < bytes) {
      throw new ProtocolException("frame truncated reading " + what);
    }
  }

  byte readByte() {
    need(1, "a byte");
    return buffer.getByte(position++);
  }

  boolean readBoolean() {
    byte b = readByte();
    if (b != 0 && b != 1) {
      throw new ProtocolException("bad boolean " + b);
    }
    return b == 1;
  }

  int readInt() {
    need(4, "an int");
    int v = buffer.getInt(position);
    position += 4;
    return v;
  }

  long readLong() {
    need(8, "a long");
    long v = buffer.getLong(position);
    position += 8;
    return v;
  }

  /** A count of items each at least {@code minItemBytes} long, checked against the bytes left. */
  int readCount(int minItemBytes, String what) {
    int count = readInt();
    if (count < 0 || (long) count * Math.max(1, minItemBytes) > end - position) {
      throw new ProtocolException("bad " + what + " count " + count);
    }
    return count;
  }

  String readString() {
    int length = readInt();
    if (length < 0 || length > MAX_STRING_BYTES) {
      throw new ProtocolException("bad string length " + length);
    }
    need(length, "a string");
    String s = buffer.getString(position, position + length, StandardCharsets.UTF_8.name());
    position += length;
    return s;
  }

  byte[] readBytes(int max) {
    int length = readInt();
    if (length < 0 || length > max) {
      throw new ProtocolException("bad byte array length " + length);
    }
    need(length, "a byte array");
    byte[] bytes = buffer.getBytes(position, position + length);
    position += length;
    return bytes;
  }

  void expectEnd() {
    if (position != end) {
      throw new ProtocolException((end - position) + " unexpected bytes at the end of a frame");
    }
  }
}
