package dev.converge.crdt.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Shared fixtures of the codec tests: the built-in types, random states built only from operations
 * and merges of simulated replicas, and raw Smile/JSON building for hostile input.
 */
final class CodecFixtures {

  private CodecFixtures() {}

  static final CrdtType<ORSet<String>> ORSET_STRING = ORSet.type(ValueCodec.string());
  static final CrdtType<ORSet<Long>> ORSET_LONG = ORSet.type(ValueCodec.int64());
  static final CrdtType<LWWRegister<String>> LWW_STRING = LWWRegister.type(ValueCodec.string());
  static final CrdtType<LWWRegister<Long>> LWW_LONG = LWWRegister.type(ValueCodec.int64());

  /** Replica ids drawn by the simulations: printable ASCII, sorting in non-obvious ways. */
  static final List<String> REPLICA_NAMES =
      List.of(
          "a", "b", "replica-1", "replica-10", "replica-2", "Z", "~tilde", "!bang", "node.eu-1");

  /** Valid Unicode strings: empty, escapes JSON must quote, non-ASCII, surrogate pairs, long. */
  static final List<String> STRINGS =
      List.of(
          "",
          "apple",
          "banana",
          "Apple",
          "a\"quote",
          "back\\slash",
          "tab\tnew\nline",
          "\u0000nul",
          "caf\u00e9",
          "\u65e5\u672c\u8a9e",
          "\ud83d\ude00 smile",
          "x".repeat(70),
          "y".repeat(300));

  static final List<Long> LONGS =
      List.of(
          0L, 1L, -1L, 15L, -16L, 16L, 1L << 31, -(1L << 53) - 1, Long.MAX_VALUE, Long.MIN_VALUE);

  /** A replica's operation on a state of one type. */
  interface Op<T extends Crdt<T>> {
    Mutation<T> apply(T state, MutationContext context, Random random);
  }

  /** A built-in type and how to mutate it at random. */
  record Kind<T extends Crdt<T>>(String name, CrdtType<T> type, Op<T> op) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Kind<?>> kinds() {
    return List.of(
        new Kind<>("gcounter", GCounter.TYPE, (s, ctx, r) -> s.increment(ctx.replica(), amount(r))),
        new Kind<>(
            "pncounter",
            PNCounter.TYPE,
            (s, ctx, r) ->
                r.nextBoolean()
                    ? s.increment(ctx.replica(), signedAmount(r))
                    : s.decrement(ctx.replica(), signedAmount(r))),
        new Kind<>("orset:string", ORSET_STRING, (s, ctx, r) -> setOp(s, ctx, r, STRINGS)),
        new Kind<>("orset:long", ORSET_LONG, (s, ctx, r) -> setOp(s, ctx, r, LONGS)),
        new Kind<>(
            "lww:string",
            LWW_STRING,
            (s, ctx, r) -> s.assign(pick(r, STRINGS), ctx.replica(), ctx.clock())),
        new Kind<>(
            "lww:long",
            LWW_LONG,
            (s, ctx, r) -> s.assign(pick(r, LONGS), ctx.replica(), ctx.clock())));
  }

  private static long amount(Random random) {
    int kind = random.nextInt(10);
    return kind == 0 ? 0 : kind < 8 ? random.nextInt(20) : random.nextInt(1 << 30) * 1000L;
  }

  private static long signedAmount(Random random) {
    long amount = amount(random);
    return random.nextInt(4) == 0 ? -amount : amount;
  }

  private static <E> Mutation<ORSet<E>> setOp(
      ORSet<E> set, MutationContext context, Random random, List<E> pool) {
    int op = random.nextInt(20);
    if (op == 0) {
      return set.clear();
    }
    if (op < 7) {
      return set.remove(pick(random, pool));
    }
    return set.add(context.replica(), pick(random, pool));
  }

  static <E> E pick(Random random, List<E> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** What a simulation leaves: every replica's state and every delta any replica produced. */
  record Run<T extends Crdt<T>>(Kind<T> kind, List<T> states, List<T> deltas) {}

  /**
   * Folds {@code steps} random operations over 2..5 replicas: mutations (each with its own hybrid
   * logical clock on a skewed, sometimes backwards wall clock), full-state merges between replicas
   * and delivery of earlier deltas in any order, duplicates included.
   */
  static <T extends Crdt<T>> Run<T> simulate(Kind<T> kind, Random random, int steps) {
    int n = 2 + random.nextInt(4);
    List<String> names = new ArrayList<>(REPLICA_NAMES);
    Collections.shuffle(names, random);
    List<MutationContext> contexts = new ArrayList<>();
    List<long[]> walls = new ArrayList<>();
    List<T> states = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] wall = {1_700_000_000_000L + random.nextInt(5_000)};
      walls.add(wall);
      contexts.add(
          MutationContext.of(ReplicaId.of(names.get(i)), new HybridLogicalClock(() -> wall[0])));
      states.add(kind.type().empty());
    }
    List<T> deltas = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      int i = random.nextInt(n);
      int action = random.nextInt(10);
      if (action < 6) {
        walls.get(i)[0] += random.nextInt(60) - 10;
        Mutation<T> m = kind.op().apply(states.get(i), contexts.get(i), random);
        states.set(i, m.state());
        deltas.add(m.delta());
      } else if (action < 8) {
        states.set(i, states.get(i).merge(states.get(random.nextInt(n))));
      } else if (!deltas.isEmpty()) {
        states.set(i, states.get(i).merge(deltas.get(random.nextInt(deltas.size()))));
      }
    }
    return new Run<>(kind, states, deltas);
  }

  // ------------------------------------------------------------------ raw Smile and JSON

  /**
   * A Smile factory like the codec's, free to write anything (deep nesting included), and leaving
   * unclosed what the body leaves unclosed.
   */
  static final SmileFactory SMILE =
      SmileFactory.builder()
          .enable(SmileGenerator.Feature.CHECK_SHARED_STRING_VALUES)
          .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
          .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(1 << 20).build())
          .build();

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(1 << 20)
                  .maxStringLength(1 << 30)
                  .maxNameLength(1 << 30)
                  .maxNumberLength(1 << 20)
                  .build())
          .build();

  /** Writes with a generator that may throw. */
  interface Body {
    void write(JsonGenerator generator) throws IOException;
  }

  /** Smile bytes written by {@code body} directly with Jackson's {@link SmileGenerator}. */
  static byte[] smile(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator generator = SMILE.createGenerator(out)) {
      body.write(generator);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The Smile encoding of hand-written JSON text, token for token. */
  static byte[] smileOf(String json) {
    return smile(
        generator -> {
          try (JsonParser parser = JSON.createParser(json)) {
            while (parser.nextToken() != null) {
              generator.copyCurrentEvent(parser);
            }
          }
        });
  }

  /** {@code {"type": tag, "v": 1, "state": body}} as JSON text. */
  static String envelope(String tag, String body) {
    return "{\"type\":\"" + tag + "\",\"v\":1,\"state\":" + body + "}";
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
