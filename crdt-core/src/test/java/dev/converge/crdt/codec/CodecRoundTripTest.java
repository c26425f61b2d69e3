package dev.converge.crdt.codec;

import static dev.converge.crdt.codec.CodecFixtures.LWW_STRING;
import static dev.converge.crdt.codec.CodecFixtures.ORSET_STRING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CodecFixtures.Kind;
import dev.converge.crdt.codec.CodecFixtures.Run;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * decode(encode(x)) == x for states reached by random operations and merges of 2..5 replicas, in
 * both formats; and deterministic encoding: equal states reached in different orders encode to
 * identical bytes.
 */
class CodecRoundTripTest {

  private static final int SEEDS = 300;
  private static final int STEPS = 60;
  private static final CrdtCodec CODEC = CrdtCodec.standard();

  @TestFactory
  Stream<DynamicTest> decodeOfEncodeIsIdentity() {
    return CodecFixtures.kinds().stream()
        .map(kind -> DynamicTest.dynamicTest(kind.name(), () -> roundTrips(kind)));
  }

  private static <T extends Crdt<T>> void roundTrips(Kind<T> kind) {
    for (int i = 0; i < SEEDS; i++) {
      long seed = 1_000L * kind.name().hashCode() + i;
      Run<T> run = CodecFixtures.simulate(kind, new Random(seed), STEPS);
      for (T state : run.states()) {
        assertRoundTrip(kind.type(), state, seed);
      }
      for (T delta : run.deltas()) {
        assertRoundTrip(kind.type(), delta, seed);
      }
      if (!run.deltas().isEmpty()) {
        assertRoundTrip(kind.type(), fold(run.deltas()), seed);
      }
    }
  }

  static <T extends Crdt<T>> void assertRoundTrip(CrdtType<T> type, T state, long seed) {
    byte[] binary = CODEC.encode(type, state);
    String json = CODEC.encodeJson(type, state);

    TypedState<?> typed = CODEC.decode(binary);
    assertThat(typed.type().tag()).as("seed %d: tag of %s", seed, state).isEqualTo(type.tag());
    T fromBinary = typed.as(type);
    T fromJson = CODEC.decodeJson(json).as(type);
    assertThat(fromBinary).as("seed %d: binary round trip", seed).isEqualTo(state);
    assertThat(fromJson).as("seed %d: JSON round trip of %s", seed, json).isEqualTo(state);
    assertThat(CODEC.encode(type, fromBinary))
        .as("seed %d: re-encoding of the decoded state", seed)
        .isEqualTo(binary);
    assertThat(CODEC.encodeJson(type, fromJson))
        .as("seed %d: re-encoding of the decoded state", seed)
        .isEqualTo(json);
    if (state instanceof ORSet<?> set) {
      assertThat(((ORSet<?>) fromBinary).isDelta())
          .as("seed %d: isDelta", seed)
          .isEqualTo(set.isDelta());
      assertThat(((ORSet<?>) fromJson).isDelta())
          .as("seed %d: isDelta", seed)
          .isEqualTo(set.isDelta());
    }
  }

  @TestFactory
  Stream<DynamicTest> equalStatesEncodeToIdenticalBytes() {
    return CodecFixtures.kinds().stream()
        .map(kind -> DynamicTest.dynamicTest(kind.name(), () -> deterministic(kind)));
  }

  private static <T extends Crdt<T>> void deterministic(Kind<T> kind) {
    for (int i = 0; i < SEEDS; i++) {
      long seed = 7_000L * kind.name().hashCode() + i;
      Random random = new Random(seed);
      Run<T> run = CodecFixtures.simulate(kind, random, STEPS);
      CrdtType<T> type = kind.type();

      // Every replica merges all others' states, each in its own random order.
      List<T> converged = new ArrayList<>();
      for (int r = 0; r < run.states().size(); r++) {
        List<T> others = new ArrayList<>(run.states());
        T mine = others.remove(r);
        Collections.shuffle(others, random);
        for (T other : others) {
          mine = mine.merge(other);
        }
        converged.add(mine);
      }
      T reference = converged.get(0);
      byte[] binary = CODEC.encode(type, reference);
      String json = CODEC.encodeJson(type, reference);
      for (T state : converged) {
        assertSameEncoding(type, state, reference, binary, json, seed);
      }

      // A fresh replica that receives every delta, in two different orders, reaches the same.
      if (!run.deltas().isEmpty()) {
        for (int attempt = 0; attempt < 2; attempt++) {
          List<T> deltas = new ArrayList<>(run.deltas());
          Collections.shuffle(deltas, random);
          T fresh = type.empty();
          for (T delta : deltas) {
            fresh = fresh.merge(delta);
          }
          assertSameEncoding(type, fresh, reference, binary, json, seed);
        }
        // Delta groups joined in different orders encode identically too.
        List<T> deltas = new ArrayList<>(run.deltas());
        Collections.shuffle(deltas, random);
        T group1 = fold(deltas);
        Collections.shuffle(deltas, random);
        T group2 = fold(deltas);
        assertSameEncoding(
            type, group2, group1, CODEC.encode(type, group1), CODEC.encodeJson(type, group1), seed);
      }
    }
  }

  private static <T extends Crdt<T>> void assertSameEncoding(
      CrdtType<T> type, T state, T reference, byte[] binary, String json, long seed) {
    assertThat(state).as("seed %d: replicas did not converge", seed).isEqualTo(reference);
    assertThat(CODEC.encode(type, state))
        .as("seed %d: equal states %s encode to different bytes", seed, state)
        .isEqualTo(binary);
    assertThat(CODEC.encodeJson(type, state))
        .as("seed %d: equal states encode to different JSON", seed)
        .isEqualTo(json);
  }

  private static <T extends Crdt<T>> T fold(List<T> values) {
    T result = values.get(0);
    for (T value : values) {
      result = result.merge(value);
    }
    return result;
  }

  @Test
  void encodingIsStableAcrossCodecInstances() {
    long seed = 42;
    Run<ORSet<String>> run =
        CodecFixtures.simulate(
            new Kind<>(
                "orset:string",
                ORSET_STRING,
                (s, ctx, r) -> s.add(ctx.replica(), "x" + r.nextInt(50))),
            new Random(seed),
            200);
    CrdtCodec other = new CrdtCodec(TypeRegistry.builtins(), CodecLimits.defaults());
    for (ORSet<String> state : run.states()) {
      assertThat(other.encode(ORSET_STRING, state))
          .as("seed %d", seed)
          .isEqualTo(CODEC.encode(ORSET_STRING, state));
      assertThat(other.encodeJson(ORSET_STRING, state))
          .as("seed %d", seed)
          .isEqualTo(CODEC.encodeJson(ORSET_STRING, state));
    }
  }

  /**
   * A string with an unpaired surrogate is a legal Java string but has no UTF-8 encoding: it can be
   * neither stored nor shipped. Encoding refuses it with IllegalArgumentException before writing
   * anything (the stores run this check before they acknowledge a write, so such a value never
   * enters a replica), and JSON input carrying one is rejected as INVALID.
   */
  @Test
  void stringsWithUnpairedSurrogatesAreRefused() {
    long seed = 0;
    ReplicaId a = ReplicaId.of("a");
    for (String value : List.of("\ud800", "x\udc00y", "\udbff\ud800")) {
      ORSet<String> set = ORSet.<String>empty().add(a, value).state();
      LWWRegister<String> register =
          LWWRegister.<String>empty()
              .assign(value, a, new HybridLogicalClock(() -> 1_700_000_000_000L))
              .state();
      assertThatThrownBy(() -> CODEC.encode(ORSET_STRING, set))
          .as("seed %d: ORSet element %s", seed, value.codePoints().boxed().toList())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("surrogate");
      assertThatThrownBy(() -> CODEC.encode(LWW_STRING, register))
          .as("seed %d: register value %s", seed, value.codePoints().boxed().toList())
          .isInstanceOf(IllegalArgumentException.class);
      String json = CODEC.encodeJson(ORSET_STRING, ORSet.<String>empty().add(a, "ok").state());
      String escaped =
          value.chars().mapToObj(c -> String.format("\\u%04x", c)).reduce("", String::concat);
      assertThatThrownBy(() -> CODEC.decodeJson(json.replace("\"ok\"", "\"" + escaped + "\"")))
          .isInstanceOf(CodecException.class)
          .extracting(e -> ((CodecException) e).reason())
          .isEqualTo(CodecException.Reason.INVALID);
    }
  }
}
