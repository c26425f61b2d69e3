package dev.converge.crdt.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CodecException.Reason;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TypeRegistryTest {

  private static final TypeRegistry BUILTINS = TypeRegistry.builtins();

  @Test
  void builtinTagsResolve() {
    List<String> tags =
        List.of("gcounter", "pncounter", "orset:string", "orset:long", "lww:string", "lww:long");
    for (String tag : tags) {
      Optional<CrdtType<?>> type = BUILTINS.lookup(tag);
      assertThat(type).as(tag).isPresent();
      assertThat(type.orElseThrow().tag()).as(tag).isEqualTo(tag);
      assertThat(type.orElseThrow().version()).as(tag).isEqualTo(1);
      assertThat(BUILTINS.lookup(tag).orElseThrow())
          .as("%s resolves to one instance", tag)
          .isSameAs(type.orElseThrow());
    }
    assertThat(BUILTINS.lookup("gcounter")).containsSame(GCounter.TYPE);
    assertThat(BUILTINS.lookup("pncounter")).containsSame(PNCounter.TYPE);
    assertThat(BUILTINS.lookup("orset:string").orElseThrow().valueClass()).isEqualTo(ORSet.class);
    assertThat(BUILTINS.lookup("lww:long").orElseThrow().valueClass()).isEqualTo(LWWRegister.class);
    assertThat(CrdtCodec.standard().registry()).isSameAs(BUILTINS);
  }

  @Test
  void unknownTagsAreEmpty() {
    for (String tag :
        List.of(
            "",
            "nope",
            "orset:nope",
            "lww:nope",
            "orset",
            "lww",
            "orset:",
            "lww:",
            ":string",
            ":",
            "ORSET:string",
            "orset:String",
            "gcounter:string",
            "pncounter:long",
            "nope:string",
            "orset:string:extra",
            "orset:string ",
            " gcounter",
            "GCounter")) {
      assertThat(BUILTINS.lookup(tag)).as("tag \"%s\"", tag).isEmpty();
    }
  }

  @Test
  void manyUnknownFamilyTagsDoNotResolve() {
    long seed = 5;
    Random random = new Random(seed);
    for (int i = 0; i < 10_000; i++) {
      String tag = (random.nextBoolean() ? "orset:" : "lww:") + "v" + random.nextInt(1_000_000);
      assertThat(BUILTINS.lookup(tag)).as("seed %d: %s", seed, tag).isEmpty();
    }
  }

  /** A value type of the user's own: a point on a grid, ordered by x then y. */
  record Point(long x, long y) {}

  private static final ValueCodec<Point> POINT =
      ValueCodec.of(
          "point",
          (out, p) -> out.startArray().writeLong(p.x()).writeLong(p.y()).endArray(),
          in -> {
            in.startArray();
            long x = in.readLong();
            long y = in.readLong();
            in.endArray();
            return new Point(x, y);
          },
          Comparator.comparingLong(Point::x).thenComparingLong(Point::y));

  @Test
  void customValueCodecMakesFamilyTagsResolvable() {
    assertThat(BUILTINS.lookup("orset:point")).isEmpty();
    TypeRegistry registry = BUILTINS.withValueCodec(POINT);
    assertThat(BUILTINS.lookup("orset:point")).as("builtins unchanged").isEmpty();
    assertThat(registry.lookup("orset:point")).isPresent();
    assertThat(registry.lookup("lww:point")).isPresent();
    assertThat(registry.lookup("orset:point").orElseThrow().tag()).isEqualTo("orset:point");
    assertThat(registry.lookup("orset:string")).as("builtins still there").isPresent();
    assertThat(registry.lookup("gcounter")).isPresent();

    // ...and the codec reads and writes sets and registers of it.
    CrdtCodec codec = new CrdtCodec(registry, CodecLimits.defaults());
    CrdtType<ORSet<Point>> setType = ORSet.type(POINT);
    ORSet<Point> set =
        ORSet.<Point>empty()
            .add(ReplicaId.of("a"), new Point(3, -1))
            .state()
            .add(ReplicaId.of("b"), new Point(-2, 7))
            .state();
    ORSet<Point> back = codec.decode(codec.encode(setType, set), setType);
    assertThat(back).isEqualTo(set);
    assertThat(codec.decodeJson(codec.encodeJson(setType, set)).as(setType)).isEqualTo(set);
    assertThat(codec.encodeJson(setType, set))
        .contains("\"type\":\"orset:point\"")
        .contains("[-2,7]");

    CrdtType<LWWRegister<Point>> registerType = LWWRegister.type(POINT);
    LWWRegister<Point> register =
        LWWRegister.<Point>empty()
            .assign(new Point(1, 2), ReplicaId.of("a"), new HybridLogicalClock(() -> 1L))
            .state();
    assertThat(codec.decode(codec.encode(registerType, register), registerType))
        .isEqualTo(register);

    // The standard codec does not know the tag.
    byte[] bytes = codec.encode(setType, set);
    assertThatThrownBy(() -> CrdtCodec.standard().decode(bytes))
        .isInstanceOfSatisfying(
            CodecException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_TYPE));
  }

  @Test
  void customTypeResolvesByItsTag() {
    TypeRegistry registry = BUILTINS.with(MaxRegister.TYPE);
    assertThat(registry.lookup("test.max")).containsSame(MaxRegister.TYPE);
    assertThat(BUILTINS.lookup("test.max")).isEmpty();
    CrdtCodec codec = new CrdtCodec(registry, CodecLimits.defaults());
    MaxRegister value = new MaxRegister(42);
    assertThat(codec.decode(codec.encode(MaxRegister.TYPE, value), MaxRegister.TYPE))
        .isEqualTo(value);
    assertThat(codec.encodeJson(MaxRegister.TYPE, value))
        .isEqualTo("{\"type\":\"test.max\",\"v\":1,\"state\":42}");
  }

  @Test
  void duplicateTagsAreRejected() {
    assertThatThrownBy(() -> BUILTINS.with(GCounter.TYPE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BUILTINS.with(PNCounter.TYPE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BUILTINS.with(new MaxRegister.Type("gcounter")))
        .isInstanceOf(IllegalArgumentException.class);
    TypeRegistry once = BUILTINS.with(MaxRegister.TYPE);
    assertThatThrownBy(() -> once.with(MaxRegister.TYPE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> once.with(new MaxRegister.Type("test.max")))
        .isInstanceOf(IllegalArgumentException.class);

    // A family member cannot be registered by hand: its tag belongs to the family.
    assertThatThrownBy(() -> BUILTINS.with(ORSet.type(ValueCodec.string())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BUILTINS.with(new MaxRegister.Type("orset:other")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BUILTINS.with(new MaxRegister.Type("lww:other")))
        .isInstanceOf(IllegalArgumentException.class);

    assertThatThrownBy(() -> BUILTINS.withValueCodec(ValueCodec.string()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BUILTINS.withValueCodec(ValueCodec.int64()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                BUILTINS.withValueCodec(
                    ValueCodec.of(
                        "string",
                        StateWriter::writeString,
                        StateReader::readString,
                        Comparator.<String>naturalOrder())))
        .isInstanceOf(IllegalArgumentException.class);
    TypeRegistry withPoint = BUILTINS.withValueCodec(POINT);
    assertThatThrownBy(() -> withPoint.withValueCodec(POINT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badTagsAreRejected() {
    for (String tag : List.of("", "has space", "a/b", "\u00e9", "x".repeat(129))) {
      assertThatThrownBy(() -> BUILTINS.with(new MaxRegister.Type(tag)))
          .as("type tag \"%s\"", tag)
          .isInstanceOf(IllegalArgumentException.class);
    }
    for (String tag : List.of("", "has space", "a:b", "a/b", "x".repeat(65))) {
      assertThatThrownBy(
              () ->
                  ValueCodec.of(
                      tag,
                      StateWriter::writeLong,
                      StateReader::readLong,
                      Comparator.<Long>naturalOrder()))
          .as("value codec tag \"%s\"", tag)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** A minimal user-defined CRDT: the maximum of the longs written. */
  record MaxRegister(long value) implements Crdt<MaxRegister> {

    static final Type TYPE = new Type("test.max");

    @Override
    public MaxRegister merge(MaxRegister other) {
      return value >= other.value ? this : other;
    }

    /* Format 1: the value, a long. */
    record Type(String tag) implements CrdtType<MaxRegister> {
      @Override
      public int version() {
        return 1;
      }

      @Override
      public MaxRegister empty() {
        return new MaxRegister(Long.MIN_VALUE);
      }

      @Override
      public Class<?> valueClass() {
        return MaxRegister.class;
      }

      @Override
      public void write(MaxRegister value, StateWriter out) {
        out.writeLong(value.value());
      }

      @Override
      public MaxRegister read(StateReader in, int version) {
        return new MaxRegister(in.readLong());
      }
    }
  }
}
