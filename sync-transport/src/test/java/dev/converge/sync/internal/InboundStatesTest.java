package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CodecLimits;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.codec.TypeRegistry;
import dev.converge.sync.internal.Message.KeyBytes;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a node does with states it cannot read during a rolling upgrade, and with bad ones. */
class InboundStatesTest {

  record Max(long value) implements Crdt<Max> {
    @Override
    public Max merge(Max other) {
      return other.value > value ? other : this;
    }
  }

  /* A user type under one tag, at format version `version`. */
  private static CrdtType<Max> maxType(int version) {
    return new CrdtType<>() {
      @Override
      public String tag() {
        return "test.max";
      }

      @Override
      public int version() {
        return version;
      }

      @Override
      public Max empty() {
        return new Max(Long.MIN_VALUE);
      }

      @Override
      public Class<?> valueClass() {
        return Max.class;
      }

      @Override
      public void write(Max value, StateWriter out) {
        out.writeLong(value.value());
      }

      @Override
      public Max read(StateReader in, int v) {
        return new Max(in.readLong());
      }
    };
  }

  private static CrdtCodec codecWith(CrdtType<Max> type) {
    return new CrdtCodec(TypeRegistry.builtins().with(type), CodecLimits.defaults());
  }

  @Test
  void unknownTypesAndNewerFormatsAreSkippedCountedAndTheRestApplies() {
    Metrics metrics = new Metrics();
    InboundStates old = new InboundStates(null, codecWith(maxType(1)), metrics, 1 << 16);
    byte[] counter =
        CrdtCodec.standard()
            .encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("r.1"), 3).state());
    // Written by a node that has the type; the tag is unknown to one without it.
    byte[] unknownTag = codecWith(maxType(1)).encode(maxType(1), new Max(7));
    InboundStates plain = new InboundStates(null, CrdtCodec.standard(), metrics, 1 << 16);
    byte[] newerFormat = codecWith(maxType(2)).encode(maxType(2), new Max(9));

    List<TypedState<?>> decoded =
        plain.decodeNow(List.of(new KeyBytes("a", unknownTag), new KeyBytes("b", counter)));
    assertThat(decoded.get(0)).as("unknown tag: skipped").isNull();
    assertThat(((GCounter) decoded.get(1).state()).value()).as("the rest applies").isEqualTo(3);

    assertThat(old.decodeOne("c", newerFormat)).as("format version 2, this build reads 1").isNull();
    assertThat(old.decodeOne("d", codecWith(maxType(1)).encode(maxType(1), new Max(4))).state())
        .isEqualTo(new Max(4));
    assertThat(metrics.unknownTypesSkipped.sum()).isEqualTo(2);
  }

  @Test
  void aMalformedStateOrABadKeyNameStillRejectsTheWholeFrame() {
    InboundStates decoder = new InboundStates(null, CrdtCodec.standard(), new Metrics(), 1 << 16);
    byte[] counter =
        CrdtCodec.standard()
            .encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("r.1"), 3).state());
    byte[] truncated = Arrays.copyOf(counter, counter.length - 2);
    assertThatThrownBy(
            () ->
                decoder.decodeNow(
                    List.of(new KeyBytes("ok", counter), new KeyBytes("bad", truncated))))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bad");
    assertThatThrownBy(() -> decoder.decodeNow(List.of(new KeyBytes("", counter))))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bad key name");
  }
}
