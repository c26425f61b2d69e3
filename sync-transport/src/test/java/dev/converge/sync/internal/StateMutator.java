package dev.converge.sync.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Mutates encoded CRDT states (the bytes {@code CrdtCodec} reads): at the level of Smile tokens
 * (values replaced by edge cases, fields duplicated, dropped, renamed or reordered, array elements
 * repeated thousands of times, values nested past the depth limit), at the level of bytes, or by
 * swapping in or splicing with another type's state. Token-level mutations produce well-formed
 * Smile, so they reach the types' own readers and validation, not just the Smile parser.
 */
final class StateMutator {

  private static final SmileFactory PARSE = new SmileFactory();
  private static final SmileFactory WRITE_SHARED =
      SmileFactory.builder().enable(SmileGenerator.Feature.CHECK_SHARED_STRING_VALUES).build();
  private static final SmileFactory WRITE_PLAIN =
      SmileFactory.builder().disable(SmileGenerator.Feature.CHECK_SHARED_NAMES).build();

  private static final List<String> FIELD_NAMES =
      List.of(
          // the codec's field names, one it never writes, and the empty name
          "type",
          "v",
          "state",
          "delta",
          "context",
          "entries",
          "ts",
          "writer",
          "value",
          "p",
          "n",
          "x",
          "");

  private static final List<Object> SCALARS =
      List.of(
          0L,
          1L,
          -1L,
          2L,
          (long) Integer.MAX_VALUE + 1,
          Long.MAX_VALUE,
          Long.MIN_VALUE,
          BigInteger.ONE.shiftLeft(64).add(BigInteger.ONE),
          BigInteger.ONE.shiftLeft(70).negate(),
          1.5d,
          -0.0d,
          Double.NaN,
          new BigDecimal("1e400"),
          "",
          "a",
          "gcounter",
          "pncounter",
          "orset:string",
          "lww:long",
          "orset:unknown",
          "\u0000",
          Boolean.TRUE,
          Boolean.FALSE,
          NullValue.NULL,
          new byte[] {1, 2, 3});

  /** Smile's null token, as a scalar value. */
  private enum NullValue {
    NULL
  }

  /** One token with its value (name, text, number, boolean or binary). */
  private record Tok(JsonToken token, Object value) {
    boolean scalar() {
      return token.isScalarValue();
    }

    boolean opens() {
      return token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY;
    }

    boolean closes() {
      return token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY;
    }
  }

  private final Random random;
  private final FuzzCorpus corpus;
  private String kind = "";

  StateMutator(Random random, FuzzCorpus corpus) {
    this.random = random;
    this.corpus = corpus;
  }

  /** The kind of the last mutation, for the report. */
  String kind() {
    return kind;
  }

  byte[] mutate(byte[] state) {
    int p = random.nextInt(20);
    if (p < 10) {
      byte[] out = tokens(state);
      if (out != null) {
        return out;
      }
    }
    if (p == 18) {
      kind = "state-swap";
      return corpus.state(random).bytes();
    }
    if (p == 19) {
      kind = "state-splice";
      byte[] other = corpus.state(random).bytes();
      return FrameMutator.splice(random, state, other);
    }
    kind = "state-bytes";
    return FrameMutator.mutateBytes(random, state);
  }

  /* ------------------------------------------------------------------ token level */

  private byte[] tokens(byte[] state) {
    List<Tok> toks = parse(state);
    if (toks == null || toks.isEmpty()) {
      return null;
    }
    int op = random.nextInt(9);
    kind = "smile-" + OPS[op];
    switch (op) {
      case 0 -> replaceScalar(toks);
      case 1 -> duplicateField(toks);
      case 2 -> deleteValue(toks);
      case 3 -> repeatElement(toks);
      case 4 -> renameField(toks);
      case 5 -> wrap(toks);
      case 6 -> swapFields(toks);
      case 7 -> swapScalars(toks);
      default -> {
        replaceScalar(toks);
        duplicateField(toks);
      }
    }
    return write(toks);
  }

  private static final String[] OPS = {
    "scalar", "dup-field", "delete", "repeat", "rename", "nest", "reorder", "swap", "mixed"
  };

  private void replaceScalar(List<Tok> toks) {
    int i = pickIndex(toks, Tok::scalar);
    if (i >= 0) {
      Object v =
          random.nextInt(4) == 0
              ? corpus.string(random)
              : SCALARS.get(random.nextInt(SCALARS.size()));
      toks.set(i, scalar(v));
    }
  }

  private void duplicateField(List<Tok> toks) {
    int i = pickIndex(toks, t -> t.token() == JsonToken.FIELD_NAME);
    if (i >= 0) {
      int end = spanEnd(toks, i + 1);
      toks.addAll(end + 1, new ArrayList<>(toks.subList(i, end + 1)));
    }
  }

  private void deleteValue(List<Tok> toks) {
    int i = pickIndex(toks, t -> !t.closes());
    if (i > 0) {
      int end =
          toks.get(i).token() == JsonToken.FIELD_NAME ? spanEnd(toks, i + 1) : spanEnd(toks, i);
      toks.subList(i, end + 1).clear();
    }
  }

  /* Repeats an array element (a value not preceded by a field name) up to thousands of times. */
  private void repeatElement(List<Tok> toks) {
    int i = pickIndex(toks, t -> !t.closes() && t.token() != JsonToken.FIELD_NAME);
    if (i > 0 && toks.get(i - 1).token() != JsonToken.FIELD_NAME) {
      int end = spanEnd(toks, i);
      List<Tok> element = new ArrayList<>(toks.subList(i, end + 1));
      int times = new int[] {1, 1, 2, 16, 3_000}[random.nextInt(5)];
      List<Tok> copies = new ArrayList<>();
      for (int k = 0; k < times && copies.size() < 60_000; k++) {
        copies.addAll(element);
      }
      toks.addAll(end + 1, copies);
    }
  }

  private void renameField(List<Tok> toks) {
    int i = pickIndex(toks, t -> t.token() == JsonToken.FIELD_NAME);
    if (i >= 0) {
      String name =
          random.nextInt(4) == 0
              ? corpus.string(random)
              : FIELD_NAMES.get(random.nextInt(FIELD_NAMES.size()));
      toks.set(i, new Tok(JsonToken.FIELD_NAME, name));
    }
  }

  /* Nests a value in arrays: a little, or past the codec's depth limit. */
  private void wrap(List<Tok> toks) {
    int i = pickIndex(toks, t -> !t.closes() && t.token() != JsonToken.FIELD_NAME);
    if (i >= 0) {
      int end = spanEnd(toks, i);
      int depth = random.nextBoolean() ? 1 : 40;
      for (int d = 0; d < depth; d++) {
        toks.add(end + 1, new Tok(JsonToken.END_ARRAY, null));
        toks.add(i, new Tok(JsonToken.START_ARRAY, null));
        end += 2;
      }
    }
  }

  /* Swaps a field with the next field of the same object ("v" before "type", say). */
  private void swapFields(List<Tok> toks) {
    int i = pickIndex(toks, t -> t.token() == JsonToken.FIELD_NAME);
    if (i < 0) {
      return;
    }
    int end = spanEnd(toks, i + 1);
    if (end + 1 < toks.size() && toks.get(end + 1).token() == JsonToken.FIELD_NAME) {
      int end2 = spanEnd(toks, end + 2);
      List<Tok> first = new ArrayList<>(toks.subList(i, end + 1));
      List<Tok> second = new ArrayList<>(toks.subList(end + 1, end2 + 1));
      toks.subList(i, end2 + 1).clear();
      toks.addAll(i, first);
      toks.addAll(i, second);
    }
  }

  private void swapScalars(List<Tok> toks) {
    int a = pickIndex(toks, Tok::scalar);
    int b = pickIndex(toks, Tok::scalar);
    if (a >= 0 && b >= 0) {
      Tok t = toks.get(a);
      toks.set(a, toks.get(b));
      toks.set(b, t);
    }
  }

  private int pickIndex(List<Tok> toks, java.util.function.Predicate<Tok> which) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < toks.size(); i++) {
      if (which.test(toks.get(i))) {
        candidates.add(i);
      }
    }
    return candidates.isEmpty() ? -1 : candidates.get(random.nextInt(candidates.size()));
  }

  /* Index of the last token of the value that starts at i. */
  private static int spanEnd(List<Tok> toks, int i) {
    if (i >= toks.size() || !toks.get(i).opens()) {
      return Math.min(i, toks.size() - 1);
    }
    int depth = 0;
    for (int j = i; j < toks.size(); j++) {
      if (toks.get(j).opens()) {
        depth++;
      } else if (toks.get(j).closes() && --depth == 0) {
        return j;
      }
    }
    return toks.size() - 1;
  }

  private static Tok scalar(Object v) {
    if (v instanceof String s) {
      return new Tok(JsonToken.VALUE_STRING, s);
    } else if (v instanceof Long || v instanceof BigInteger) {
      return new Tok(JsonToken.VALUE_NUMBER_INT, v);
    } else if (v instanceof Double || v instanceof BigDecimal) {
      return new Tok(JsonToken.VALUE_NUMBER_FLOAT, v);
    } else if (v instanceof Boolean b) {
      return new Tok(b ? JsonToken.VALUE_TRUE : JsonToken.VALUE_FALSE, b);
    } else if (v instanceof byte[]) {
      return new Tok(JsonToken.VALUE_EMBEDDED_OBJECT, v);
    }
    return new Tok(JsonToken.VALUE_NULL, null);
  }

  private static List<Tok> parse(byte[] bytes) {
    List<Tok> toks = new ArrayList<>();
    try (JsonParser p = PARSE.createParser(bytes)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        Object v =
            switch (t) {
              case FIELD_NAME -> p.currentName();
              case VALUE_STRING -> p.getText();
              case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
              case VALUE_EMBEDDED_OBJECT -> p.getBinaryValue();
              case VALUE_TRUE -> Boolean.TRUE;
              case VALUE_FALSE -> Boolean.FALSE;
              default -> null;
            };
        toks.add(new Tok(t, v));
      }
      return toks;
    } catch (IOException | RuntimeException e) {
      return null; // not Smile (an earlier mutation broke it): mutate bytes instead
    }
  }

  private byte[] write(List<Tok> toks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SmileFactory factory = random.nextInt(4) == 0 ? WRITE_PLAIN : WRITE_SHARED;
    try (JsonGenerator g = factory.createGenerator(out)) {
      for (Tok t : toks) {
        Object v = t.value();
        switch (t.token()) {
          case START_OBJECT -> g.writeStartObject();
          case END_OBJECT -> g.writeEndObject();
          case START_ARRAY -> g.writeStartArray();
          case END_ARRAY -> g.writeEndArray();
          case FIELD_NAME -> g.writeFieldName((String) v);
          case VALUE_STRING -> g.writeString((String) v);
          case VALUE_NUMBER_INT -> {
            if (v instanceof BigInteger b) {
              g.writeNumber(b);
            } else {
              g.writeNumber(((Number) v).longValue());
            }
          }
          case VALUE_NUMBER_FLOAT -> {
            if (v instanceof BigDecimal d) {
              g.writeNumber(d);
            } else if (v instanceof Float f) {
              g.writeNumber(f);
            } else {
              g.writeNumber(((Number) v).doubleValue());
            }
          }
          case VALUE_EMBEDDED_OBJECT -> g.writeBinary((byte[]) v);
          case VALUE_TRUE, VALUE_FALSE -> g.writeBoolean((Boolean) v);
          default -> g.writeNull();
        }
      }
    } catch (IOException | RuntimeException e) {
      return null; // the mutation broke the nesting: the caller mutates bytes instead
    }
    return out.toByteArray();
  }
}
