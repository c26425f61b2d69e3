package dev.converge.sync.internal;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Splits a TCP byte stream into frames {@code [int length][body]}. The length is checked against
 * the limit as soon as its four bytes arrive, so an oversized frame is refused before any of it is
 * buffered; a refused stream stays refused.
 */
final class FrameParser implements Handler<Buffer> {

  /** Receives each complete frame body, or the reason the stream was refused. */
  interface Sink {
    void frame(Buffer body);

    void refused(ProtocolException reason);
  }

  private int maxFrameBytes;
  private final Sink sink;
  private Buffer pending = Buffer.buffer();
  private boolean failed;

  FrameParser(int maxFrameBytes, Sink sink) {
    this.maxFrameBytes = maxFrameBytes;
    this.sink = sink;
  }

  @Override
  public void handle(Buffer data) {
    if (failed) {
      return;
    }
    pending.appendBuffer(data);
    int offset = 0;
    while (pending.length() - offset >= FrameCodec.LENGTH_BYTES) {
      int length = pending.getInt(offset);
      if (length < 1 || length > maxFrameBytes) {
        failed = true;
        pending = Buffer.buffer();
        sink.refused(
            new ProtocolException(
                "frame length " + length + " outside 1.." + maxFrameBytes + " bytes"));
        return;
      }
      if (pending.length() - offset - FrameCodec.LENGTH_BYTES < length) {
        break;
      }
      int start = offset + FrameCodec.LENGTH_BYTES;
      sink.frame(pending.getBuffer(start, start + length));
      offset = start + length;
      if (failed) {
        return;
      }
    }
    if (offset > 0) {
      pending = pending.getBuffer(offset, pending.length());
    }
  }

  /** Changes the frame limit, e.g. once a handshake has admitted a peer. */
  void maxFrameBytes(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Stops parsing (the connection is being closed). */
  void fail() {
    failed = true;
  }
}
