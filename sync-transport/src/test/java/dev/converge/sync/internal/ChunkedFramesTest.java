package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.KeyBytes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkedFramesTest {

  private static final int CHUNK = 16 * 1024;
  private static final int WINDOW = 64 * 1024;

  private static Buffer largeFrame(int stateBytes, long seed) {
    byte[] state = new byte[stateBytes];
    new Random(seed).nextBytes(state);
    return FrameCodec.encode(new AeStates(seed, List.of(new KeyBytes("k", state))));
  }

  private static Chunk decodeChunk(Buffer frame) {
    return (Chunk)
        FrameCodec.decode(
            frame, FrameCodec.LENGTH_BYTES, frame.length() - FrameCodec.LENGTH_BYTES, 1 << 20);
  }

  @Test
  void writesThatFlushAtOnceGoOnInLaterTasksAWindowAtATimeAndReassembleExactly() {
    List<Buffer> written = new ArrayList<>();
    ArrayDeque<Runnable> later = new ArrayDeque<>();
    ChunkedFrames.Sender sender =
        new ChunkedFrames.Sender(
            CHUNK,
            WINDOW,
            8 << 20,
            frame -> {
              written.add(frame);
              return Future.succeededFuture(); // the socket took it at once
            },
            later::add);
    Buffer first = largeFrame(300_000, 1);
    Buffer second = largeFrame(100_000, 2);
    assertThat(sender.needsChunks(first.length())).isTrue();
    assertThat(sender.send(first)).isTrue();
    assertThat(bytes(written)).as("a send writes one window").isBetween((long) WINDOW, 2L * WINDOW);
    assertThat(sender.send(second)).isTrue();
    int tasks = 1;
    while (!later.isEmpty()) {
      int before = written.size();
      later.poll().run();
      assertThat(bytes(written.subList(before, written.size()))).isLessThanOrEqualTo(2L * WINDOW);
      tasks++;
    }
    assertThat(tasks).as("spread over tasks").isGreaterThan(4);
    assertThat(sender.queuedBytes()).isZero();

    ChunkedFrames.Assembler assembler = new ChunkedFrames.Assembler(1 << 20);
    List<Buffer> whole = new ArrayList<>();
    for (Buffer frame : written) {
      ChunkedFrames.Whole done = assembler.accept(decodeChunk(frame));
      if (done != null) {
        whole.add(done.buffer());
      }
    }
    assertThat(whole).hasSize(2);
    assertThat(whole.get(0).getBytes())
        .isEqualTo(first.getBytes(FrameCodec.LENGTH_BYTES, first.length()));
    assertThat(whole.get(1).getBytes())
        .isEqualTo(second.getBytes(FrameCodec.LENGTH_BYTES, second.length()));
    assertThat(assembler.inProgress()).isFalse();
  }

  @Test
  void unflushedChunksHoldBackTheRestUntilTheSocketTakesThem() {
    List<Promise<Void>> pending = new ArrayList<>();
    ChunkedFrames.Sender sender =
        new ChunkedFrames.Sender(
            CHUNK,
            WINDOW,
            8 << 20,
            frame -> {
              Promise<Void> flushed = Promise.promise();
              pending.add(flushed);
              return flushed.future();
            },
            task -> {
              throw new AssertionError("nothing to do later while writes are unflushed");
            });
    sender.send(largeFrame(200_000, 3));
    int window = pending.size();
    assertThat(window).isBetween(WINDOW / (CHUNK + 64), WINDOW / CHUNK + 1);
    pending.get(0).complete();
    assertThat(pending).as("one flushed, one more written").hasSize(window + 1);

    ChunkedFrames.Sender full =
        new ChunkedFrames.Sender(
            CHUNK, WINDOW, 100_000, frame -> Promise.<Void>promise().future(), Runnable::run);
    assertThat(full.send(largeFrame(120_000, 4))).as("over the queue limit: refused").isFalse();
    full.close();
    assertThat(full.send(largeFrame(20_000, 5))).as("closed").isFalse();
  }

  @Test
  void chunksThatDoNotContinueTheTransferAreProtocolErrors() {
    byte[] piece = new byte[100];
    assertThatThrownBy(
            () -> new ChunkedFrames.Assembler(1_000).accept(new Chunk(1, 1_001, 0, piece)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("outside");
    assertThatThrownBy(
            () -> new ChunkedFrames.Assembler(1_000).accept(new Chunk(1, 300, 100, piece)))
        .as("no transfer begun")
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> new ChunkedFrames.Assembler(1_000).accept(new Chunk(1, 50, 0, piece)))
        .as("overrun")
        .isInstanceOf(ProtocolException.class);

    ChunkedFrames.Assembler a = new ChunkedFrames.Assembler(1_000);
    assertThat(a.accept(new Chunk(1, 300, 0, piece))).isNull();
    assertThatThrownBy(() -> a.accept(new Chunk(1, 300, 150, piece)))
        .as("a gap")
        .isInstanceOf(ProtocolException.class);
    ChunkedFrames.Assembler b = new ChunkedFrames.Assembler(1_000);
    b.accept(new Chunk(1, 300, 0, piece));
    assertThatThrownBy(() -> b.accept(new Chunk(2, 300, 100, piece)))
        .as("another transfer's piece")
        .isInstanceOf(ProtocolException.class);
    ChunkedFrames.Assembler c = new ChunkedFrames.Assembler(1_000);
    c.accept(new Chunk(1, 300, 0, piece));
    assertThatThrownBy(() -> c.accept(new Chunk(2, 300, 0, piece)))
        .as("a new transfer before the last ended")
        .isInstanceOf(ProtocolException.class);
    ChunkedFrames.Assembler d = new ChunkedFrames.Assembler(1_000);
    d.accept(new Chunk(1, 300, 0, piece));
    assertThatThrownBy(() -> d.accept(new Chunk(1, 300, 100, new byte[0])))
        .as("an empty piece")
        .isInstanceOf(ProtocolException.class);
  }

  private static long bytes(List<Buffer> frames) {
    long n = 0;
    for (Buffer b : frames) {
      n += b.length();
    }
    return n;
  }
}
