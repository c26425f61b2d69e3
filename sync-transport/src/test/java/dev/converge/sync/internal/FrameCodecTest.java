package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.sync.internal.Message.AeKeys;
import dev.converge.sync.internal.Message.AeLevel;
import dev.converge.sync.internal.Message.AeMatch;
import dev.converge.sync.internal.Message.AePull;
import dev.converge.sync.internal.Message.AeRoot;
import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.DeltaAck;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.HelloChallenge;
import dev.converge.sync.internal.Message.HelloOk;
import dev.converge.sync.internal.Message.HelloReject;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.KeyDigest;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import dev.converge.sync.internal.Message.PruneAck;
import dev.converge.sync.internal.Message.PruneInfo;
import dev.converge.sync.internal.Message.PrunePull;
import dev.converge.sync.internal.Message.PrunePush;
import dev.converge.sync.internal.Message.PruneStates;
import dev.converge.sync.internal.Message.QuorumRead;
import dev.converge.sync.internal.Message.QuorumReadReply;
import dev.converge.sync.internal.Message.QuorumWrite;
import dev.converge.sync.internal.Message.QuorumWriteAck;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

  static List<Message> samples() {
    byte[] state = {1, 2, 3};
    return List.of(
        new Hello(
            "c", 1, "n1", "inc", "127.0.0.1", 7001, 42L, 9L, Map.of("http", "http://x:1"), state),
        new HelloChallenge(state, new byte[] {4, 5}),
        new HelloAuth(state),
        new HelloOk("n2", "inc2"),
        new HelloReject(Message.REJECT_REMOVED, "left"),
        new Heartbeat(123L),
        new Members(List.of(new MemberInfo("n3", "i", 4, 77L, "h", 9, Map.of()))),
        new Members(
            List.of(new MemberInfo("n3", "i", 1, 77L, "h", 9, Map.of("a", "b"), 3L)),
            List.of(new PruneInfo(3L, List.of("n4.x", "n5.y"), "n3", 2, List.of("n1", "n2"), 99L))),
        new Deltas(7L, 1L, 5L, List.of(new KeyBytes("k", state), new KeyBytes("k2", new byte[0]))),
        new DeltaAck(7L, 3L, 5L),
        new AeRoot(9L, -1L),
        new AeMatch(9L),
        new AeLevel(9L, 1, new int[] {0, 31}, new long[] {5L, 6L}),
        new AeKeys(9L, new int[] {3}, List.of(new KeyDigest("a", 1L))),
        new AeStates(9L, List.of(new KeyBytes("a", state))),
        new AePull(9L, List.of("a", "b")),
        new QuorumWrite(11L, "k", state),
        new QuorumWriteAck(11L),
        new QuorumRead(12L, "k"),
        new QuorumRead(12L, "k", 99L),
        new QuorumReadReply(12L, state),
        new QuorumReadReply(12L, new byte[0], true),
        new PrunePush(13L, 3L, List.of(new KeyBytes("a", state))),
        new PruneAck(13L),
        new PrunePull(14L, 3L, List.of("a", "b")),
        new PruneStates(14L, 3L, List.of(new KeyBytes("a", state))),
        new Chunk(15L, state.length + 10, 0, state));
  }

  private static Message roundTrip(Message m) {
    Buffer frame = FrameCodec.encode(m);
    assertThat(frame.getInt(0)).isEqualTo(frame.length() - 4);
    return FrameCodec.decode(frame, 4, frame.length() - 4, 1 << 20);
  }

  @Test
  void everyMessageRoundTrips() {
    for (Message m : samples()) {
      Message back = roundTrip(m);
      // records holding arrays compare arrays by identity: compare re-encoded bytes instead
      assertThat(FrameCodec.encode(back).getBytes())
          .as(m.toString())
          .isEqualTo(FrameCodec.encode(m).getBytes());
      assertThat(back.getClass()).isEqualTo(m.getClass());
    }
  }

  @Test
  void everyTruncationIsAProtocolException() {
    for (Message m : samples()) {
      Buffer frame = FrameCodec.encode(m);
      for (int length = 0; length < frame.length() - 4; length++) {
        int l = length;
        assertThatThrownBy(() -> FrameCodec.decode(frame, 4, l, 1 << 20))
            .as("%s cut to %d bytes", m.getClass().getSimpleName(), l)
            .isInstanceOf(ProtocolException.class);
      }
    }
  }

  @Test
  void trailingBytesUnknownTypesAndAbsurdCountsAreRejected() {
    Buffer frame = FrameCodec.encode(new Heartbeat(1)).appendByte((byte) 0);
    assertThatThrownBy(() -> FrameCodec.decode(frame, 4, frame.length() - 4, 1024))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unexpected bytes");
    Buffer unknown = Buffer.buffer().appendByte((byte) 99);
    assertThatThrownBy(() -> FrameCodec.decode(unknown, 0, 1, 1024))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unknown frame type 99");
    // A Deltas frame claiming 2^31-1 entries in a few bytes: refused before allocating.
    Buffer huge =
        Buffer.buffer()
            .appendByte(FrameCodec.DELTAS)
            .appendLong(1)
            .appendLong(1)
            .appendLong(1)
            .appendInt(Integer.MAX_VALUE);
    assertThatThrownBy(() -> FrameCodec.decode(huge, 0, huge.length(), 1024))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("count");
    // A state larger than the limit.
    Buffer big = FrameCodec.encode(new QuorumReadReply(1, new byte[2048]));
    assertThatThrownBy(() -> FrameCodec.decode(big, 4, big.length() - 4, 1024))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void randomMutationsDecodeOrFailWithProtocolExceptionOnly() {
    long seed = 7;
    Random random = new Random(seed);
    List<Message> samples = samples();
    for (int i = 0; i < 50_000; i++) {
      byte[] bytes = FrameCodec.encode(samples.get(random.nextInt(samples.size()))).getBytes();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        int at = 4 + random.nextInt(bytes.length - 4);
        bytes[at] ^= (byte) (1 << random.nextInt(8));
      }
      Buffer b = Buffer.buffer(bytes);
      try {
        FrameCodec.decode(b, 4, bytes.length - 4, 1 << 16);
      } catch (ProtocolException expected) {
        // fine
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + seed + " input " + Arrays.toString(bytes), e);
      }
    }
  }

  @Test
  void parserSplitsStreamsAndRefusesOversizedFramesBeforeBuffering() {
    List<Buffer> frames = new ArrayList<>();
    List<ProtocolException> refusals = new ArrayList<>();
    FrameParser parser =
        new FrameParser(
            64,
            new FrameParser.Sink() {
              @Override
              public void frame(Buffer body) {
                frames.add(body);
              }

              @Override
              public void refused(ProtocolException reason) {
                refusals.add(reason);
              }
            });
    Buffer stream = Buffer.buffer();
    for (int i = 0; i < 5; i++) {
      stream.appendBuffer(FrameCodec.encode(new Heartbeat(i)));
    }
    // feed one byte at a time
    for (int i = 0; i < stream.length(); i++) {
      parser.handle(stream.getBuffer(i, i + 1));
    }
    assertThat(frames).hasSize(5);
    parser.handle(Buffer.buffer().appendInt(1 << 30));
    assertThat(refusals).hasSize(1);
    assertThat(refusals.get(0)).hasMessageContaining("outside 1..64");
    parser.handle(FrameCodec.encode(new Heartbeat(9)));
    assertThat(frames).as("a refused stream stays refused").hasSize(5);
  }
}
