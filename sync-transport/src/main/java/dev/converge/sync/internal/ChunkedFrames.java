package dev.converge.sync.internal;

import dev.converge.sync.internal.Message.Chunk;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Frames larger than a chunk travel as a sequence of {@link Chunk} frames on one connection, so a
 * state of any size up to the message limit crosses a link whose frame limit is far smaller, and
 * small frames (heartbeats, acknowledgements, other keys' deltas) are written between the pieces
 * instead of waiting behind a large one.
 *
 * <p>{@link Sender} (one per outbound connection) queues large frames and writes their pieces while
 * fewer than {@code windowBytes} of them are unflushed, one transfer after the other, so the
 * connection's write queue never fills with one transfer. {@link Assembler} (one per accepted
 * connection) checks each piece against the transfer in progress and returns the whole frame body
 * once the last piece arrives. A connection carries frames in order, so pieces of one transfer
 * arrive in order and never interleave with another transfer's; anything else is a protocol error.
 * A connection that fails loses its transfer in progress, like any frame on it; the sender sends it
 * again on its own schedule (anti-entropy, a quorum retry, the delta tick).
 */
final class ChunkedFrames {

  private ChunkedFrames() {}

  /** Cuts large frames into chunks and writes them paced. Confined to the link's context. */
  static final class Sender {
    private final int chunkBytes;
    private final int windowBytes;
    private final long maxQueuedBytes;
    private final Function<Buffer, Future<Void>> write;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long nextTransfer = 1;
    private Buffer current;
    private long currentTransfer;
    private int offset;
    private long unflushed;
    private boolean closed;
    private boolean pumping;
    private final Consumer<Runnable> later;

    /**
     * @param chunkBytes most body bytes per chunk
     * @param windowBytes most chunk bytes written and not yet flushed
     * @param maxQueuedBytes most frame bytes queued; a frame past it is refused
     * @param write writes one frame; completes once it is flushed
     * @param later runs a task later on the link's context
     */
    Sender(
        int chunkBytes,
        int windowBytes,
        long maxQueuedBytes,
        Function<Buffer, Future<Void>> write,
        Consumer<Runnable> later) {
      this.later = later;
      this.chunkBytes = chunkBytes;
      this.windowBytes = windowBytes;
      this.maxQueuedBytes = maxQueuedBytes;
      this.write = write;
    }

    /** True if a frame of {@code frameBytes} (length prefix included) goes in chunks. */
    boolean needsChunks(int frameBytes) {
      return frameBytes - FrameCodec.LENGTH_BYTES > chunkBytes;
    }

    /**
     * Queues a whole frame (length prefix included) to go in chunks; false if the queue is full
     * (the frame is lost, as on a congested link).
     */
    boolean send(Buffer frame) {
      if (closed || queuedBytes + frame.length() > maxQueuedBytes) {
        return false;
      }
      queue.add(frame);
      queuedBytes += frame.length();
      pump();
      return true;
    }

    /** Frames queued or being sent, in bytes. */
    long queuedBytes() {
      return queuedBytes;
    }

    /** Drops everything: the connection closed. */
    void close() {
      closed = true;
      queue.clear();
      current = null;
      queuedBytes = 0;
    }

    /*
     * Writes chunks while fewer than windowBytes are unflushed, and at most windowBytes per call, so
     * one event-loop task never writes a whole large frame: a write that completes at once (the
     * socket took it) does not recurse here, and what remains after a window's worth goes on in a
     * later task.
     */
    private void pump() {
      if (pumping) {
        return;
      }
      pumping = true;
      try {
        writeWindow();
      } finally {
        pumping = false;
      }
      if (!closed && unflushed < windowBytes && (current != null || !queue.isEmpty())) {
        later.accept(this::pump); // the window was flushed at once: go on in a later task
      }
    }

    private void writeWindow() {
      long written = 0;
      while (!closed && unflushed < windowBytes && written < windowBytes) {
        if (current == null) {
          current = queue.poll();
          if (current == null) {
            return;
          }
          currentTransfer = nextTransfer++;
          offset = FrameCodec.LENGTH_BYTES;
        }
        Buffer body = current;
        int total = body.length() - FrameCodec.LENGTH_BYTES;
        int end = Math.min(body.length(), offset + chunkBytes);
        Chunk chunk =
            new Chunk(
                currentTransfer,
                total,
                offset - FrameCodec.LENGTH_BYTES,
                body.getBytes(offset, end));
        offset = end;
        if (offset == body.length()) {
          queuedBytes -= body.length();
          current = null;
        }
        Buffer frame = FrameCodec.encode(chunk);
        unflushed += frame.length();
        written += frame.length();
        write
            .apply(frame)
            .onComplete(
                x -> {
                  unflushed -= frame.length();
                  pump();
                });
      }
    }
  }

  /** The pieces of one reassembled frame body, {@code total} bytes in all. */
  record Whole(List<byte[]> parts, int total) {

    /** The body in one buffer: one copy of every piece; may run on any thread. */
    Buffer buffer() {
      byte[] body = new byte[total];
      int at = 0;
      for (byte[] part : parts) {
        System.arraycopy(part, 0, body, at, part.length);
        at += part.length;
      }
      return Buffer.buffer(body);
    }
  }

  /** Reassembles the chunks arriving on one connection. Confined to the link's context. */
  static final class Assembler {
    private final int maxFrameBytes;
    private List<byte[]> parts;
    private int received;
    private long transfer;
    private int total;

    /**
     * @param maxFrameBytes largest reassembled frame body accepted
     */
    Assembler(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Adds one chunk; returns the whole frame body's pieces once its last chunk arrived, else null.
     *
     * @throws ProtocolException if the chunk does not continue the transfer in progress, or its
     *     transfer would exceed the limit
     */
    Whole accept(Chunk chunk) {
      if (chunk.offset() == 0) {
        if (parts != null) {
          throw new ProtocolException(
              "chunked transfer " + chunk.transfer() + " began before " + transfer + " ended");
        }
        if (chunk.total() <= 0 || chunk.total() > maxFrameBytes) {
          throw new ProtocolException(
              "chunked frame of " + chunk.total() + " bytes outside 1.." + maxFrameBytes);
        }
        parts = new ArrayList<>();
        received = 0;
        transfer = chunk.transfer();
        total = chunk.total();
      } else if (parts == null
          || chunk.transfer() != transfer
          || chunk.total() != total
          || chunk.offset() != received) {
        throw new ProtocolException("chunk out of order (transfer " + chunk.transfer() + ")");
      }
      if (chunk.bytes().length == 0 || (long) received + chunk.bytes().length > total) {
        throw new ProtocolException("chunk overruns its transfer of " + total + " bytes");
      }
      // The pieces are kept as they came and copied once, into a frame of the exact size, at the
      // end: no buffer grown (and copied) again and again while a large frame arrives.
      parts.add(chunk.bytes());
      received += chunk.bytes().length;
      if (received < total) {
        return null;
      }
      Whole whole = new Whole(parts, total);
      parts = null;
      return whole;
    }

    /** True while a transfer is under way. */
    boolean inProgress() {
      return parts != null;
    }
  }
}
