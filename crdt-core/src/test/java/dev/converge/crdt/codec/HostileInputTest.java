package dev.converge.crdt.codec;

import static dev.converge.crdt.codec.CodecFixtures.ORSET_LONG;
import static dev.converge.crdt.codec.CodecFixtures.ORSET_STRING;
import static dev.converge.crdt.codec.CodecFixtures.bytes;
import static dev.converge.crdt.codec.CodecFixtures.concat;
import static dev.converge.crdt.codec.CodecFixtures.envelope;
import static dev.converge.crdt.codec.CodecFixtures.hex;
import static dev.converge.crdt.codec.CodecFixtures.smile;
import static dev.converge.crdt.codec.CodecFixtures.smileOf;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CodecException.Reason;
import dev.converge.crdt.codec.CodecFixtures.Kind;
import dev.converge.crdt.codec.CodecFixtures.Run;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Decoding is the front door for untrusted bytes: every rejection is a {@link CodecException} with
 * the right {@link Reason}, never another exception, an Error or a hang; and whatever is accepted
 * is a usable state.
 */
class HostileInputTest {

  private static final CrdtCodec CODEC = CrdtCodec.standard();
  private static final Reason MALFORMED = Reason.MALFORMED;
  private static final Reason INVALID = Reason.INVALID;
  private static final Reason LIMIT_EXCEEDED = Reason.LIMIT_EXCEEDED;
  private static final int TEN_MB = 10 * 1024 * 1024;

  // ====================================================================== corpus of valid inputs

  /** Valid encodings of states and deltas of every type, from simulated replicas. */
  private static List<TypedState<?>> corpus(long seed, int perKind) {
    Random random = new Random(seed);
    List<TypedState<?>> out = new ArrayList<>();
    for (Kind<?> kind : CodecFixtures.kinds()) {
      addSamples(kind, random, perKind, out);
    }
    return out;
  }

  private static <T extends Crdt<T>> void addSamples(
      Kind<T> kind, Random random, int perKind, List<TypedState<?>> out) {
    for (int i = 0; i < perKind; i++) {
      Run<T> run = CodecFixtures.simulate(kind, random, 5 + random.nextInt(20));
      out.add(new TypedState<>(kind.type(), run.states().get(0)));
      if (!run.deltas().isEmpty()) {
        out.add(new TypedState<>(kind.type(), CodecFixtures.pick(random, run.deltas())));
      }
    }
  }

  private static <T extends Crdt<T>> byte[] encode(TypedState<T> typed) {
    return CODEC.encode(typed.type(), typed.state());
  }

  private static <T extends Crdt<T>> String encodeJson(TypedState<T> typed) {
    return CODEC.encodeJson(typed.type(), typed.state());
  }

  // ============================================================ "decodes or rejects" machinery

  /**
   * Decodes {@code input}; passes if it throws a CodecException, or if it decodes to a usable
   * state. Returns true if it decoded.
   */
  private static boolean decodesOrRejects(
      Supplier<TypedState<?>> decode, TypedState<?> original, long seed, Object input) {
    TypedState<?> decoded;
    try {
      decoded = decode.get();
    } catch (CodecException e) {
      return false;
    } catch (Throwable t) {
      throw new AssertionError(
          escape(
              String.format(
                  "seed %d: decoding %s threw %s instead of a CodecException",
                  seed, describe(input), t)),
          t);
    }
    try {
      assertUsable(decoded, original);
    } catch (Throwable t) {
      throw new AssertionError(
          escape(
              String.format(
                  "seed %d: %s decoded to %s, which is not usable: %s",
                  seed, describe(input), decoded.state(), t)),
          t);
    }
    return true;
  }

  /**
   * Collects the failures of a fuzz run instead of stopping at the first, grouped by kind, so one
   * run reports every distinct defect with a few reproducible examples (seed and input).
   */
  static final class Findings {
    private final java.util.Map<String, List<String>> examples = new java.util.TreeMap<>();
    private final java.util.Map<String, Integer> counts = new java.util.TreeMap<>();

    /** Runs {@code check}; returns its result, or false after recording its failure. */
    boolean record(java.util.function.BooleanSupplier check) {
      try {
        return check.getAsBoolean();
      } catch (AssertionError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String message = String.valueOf(cause.getMessage()).replaceAll("0x[0-9a-fA-F]+|\\d+", "#");
        String key =
            (e.getMessage().contains("not usable") ? "not usable: " : "not rejected: ")
                + cause.getClass().getSimpleName()
                + ": "
                + escape(message.substring(0, Math.min(70, message.length())));
        counts.merge(key, 1, Integer::sum);
        List<String> list = examples.computeIfAbsent(key, k -> new ArrayList<>());
        if (list.size() < 3) {
          list.add(e.getMessage());
        }
        return false;
      }
    }

    /** Empty if nothing failed, else one paragraph per kind of failure. */
    String report() {
      StringBuilder out = new StringBuilder();
      counts.forEach(
          (key, count) -> {
            out.append('\n').append(count).append(" x ").append(key);
            examples.get(key).forEach(example -> out.append("\n    e.g. ").append(example));
          });
      return out.toString();
    }
  }

  /** Printable ASCII only, so reports (XML included) show the whole message. */
  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  private static String describe(Object input) {
    return input instanceof byte[] b ? "bytes " + hex(b) : "JSON " + input;
  }

  /** Re-encodes in both formats, merges with itself and with the original, all without error. */
  private static <T extends Crdt<T>> void assertUsable(
      TypedState<T> decoded, TypedState<?> original) {
    CrdtType<T> type = decoded.type();
    T state = decoded.state();
    byte[] binary = CODEC.encode(type, state);
    String json = CODEC.encodeJson(type, state);
    T again = CODEC.decode(binary, type);
    if (!again.equals(state) || !CODEC.decodeJson(json).as(type).equals(state)) {
      throw new AssertionError("re-encoded state decodes to " + again);
    }
    if (!again.merge(state).equals(state) || !state.merge(again).equals(state)) {
      throw new AssertionError("merge with itself is not idempotent");
    }
    if (original.type().tag().equals(type.tag())) {
      T other = type.cast(original.state());
      T left = state.merge(other);
      T right = other.merge(state);
      CODEC.encode(type, left);
      CODEC.encode(type, right);
      CODEC.encodeJson(type, left);
    }
  }

  // ============================================================================== truncation

  @Test
  void everyPrefixOfAValidBinaryEncodingIsMalformed() {
    long seed = 11;
    int count = 0;
    for (TypedState<?> typed : corpus(seed, 2)) {
      byte[] full = encode(typed);
      for (int length = 0; length < full.length; length++) {
        byte[] prefix = Arrays.copyOf(full, length);
        assertRejected(
            () -> CODEC.decode(prefix), "seed " + seed + ": prefix " + hex(prefix), MALFORMED);
        count++;
      }
    }
    assertThat(count).as("seed %d", seed).isGreaterThan(1_000);
  }

  @Test
  void everyPrefixOfAValidJsonEncodingIsRejected() {
    long seed = 12;
    for (TypedState<?> typed : corpus(seed, 2)) {
      String full = encodeJson(typed);
      for (int length = 0; length < full.length(); length++) {
        String prefix = full.substring(0, length);
        // A cut number is a shorter valid number: it may break an order rule (INVALID) before the
        // end of input is seen.
        assertRejected(
            () -> CODEC.decodeJson(prefix),
            "seed " + seed + ": prefix " + prefix,
            MALFORMED,
            INVALID);
      }
    }
  }

  // ========================================================================== random mutation

  @Test
  void everySingleBitFlipDecodesOrIsRejected() {
    long seed = 21;
    int count = 0;
    int decoded = 0;
    Findings findings = new Findings();
    for (TypedState<?> typed : corpus(seed, 3)) {
      byte[] valid = encode(typed);
      for (int bit = 0; bit < valid.length * 8; bit++) {
        byte[] mutated = valid.clone();
        mutated[bit / 8] ^= (byte) (1 << (bit % 8));
        boolean ok =
            findings.record(
                () -> decodesOrRejects(() -> CODEC.decode(mutated), typed, seed, mutated));
        decoded += ok ? 1 : 0;
        count++;
      }
    }
    assertThat(findings.report()).as("seed %d: failures among %d bit flips", seed, count).isEmpty();
    assertThat(count).as("seed %d: bit flips tried", seed).isGreaterThan(20_000);
    assertThat(decoded).as("seed %d: some flips still decode (counters, dots)", seed).isPositive();
  }

  private static final int[] INTERESTING = {
    0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x28, 0x29, 0x2A, 0x3A, 0x40,
    0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xDF, 0xE0, 0xE4, 0xE8, 0xEC, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC,
    0xFD, 0xFE, 0xFF
  };

  @Test
  void randomByteMutationsDecodeOrAreRejected() {
    int count = 0;
    Findings findings = new Findings();
    for (long seed = 0; seed < 40; seed++) {
      Random random = new Random(seed);
      List<TypedState<?>> corpus = corpus(seed, 1);
      for (int i = 0; i < 1_600; i++) {
        TypedState<?> typed = CodecFixtures.pick(random, corpus);
        byte[] mutated = mutate(encode(typed), encode(CodecFixtures.pick(random, corpus)), random);
        long s = seed;
        findings.record(() -> decodesOrRejects(() -> CODEC.decode(mutated), typed, s, mutated));
        count++;
      }
    }
    assertThat(findings.report()).as("seeds 0..39: failures among %d mutations", count).isEmpty();
    assertThat(count).as("mutations tried (seeds 0..39)").isGreaterThanOrEqualTo(64_000);
  }

  private static byte[] mutate(byte[] input, byte[] other, Random random) {
    byte[] b = input;
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = b.length == 0 ? 0 : random.nextInt(b.length);
      switch (random.nextInt(10)) {
        case 0 -> b = flip(b, at, 1 << random.nextInt(8));
        case 1 -> b = set(b, at, random.nextInt(256));
        case 2 -> b = set(b, at, INTERESTING[random.nextInt(INTERESTING.length)]);
        case 3 -> b = insert(b, at, bytes(INTERESTING[random.nextInt(INTERESTING.length)]));
        case 4 -> b = insert(b, at, bytes(random.nextInt(256)));
        case 5 -> b = remove(b, at, 1 + random.nextInt(Math.max(1, Math.min(8, b.length - at))));
        case 6 -> {
          int from = b.length == 0 ? 0 : random.nextInt(b.length);
          int len = Math.min(b.length - from, 1 + random.nextInt(16));
          b = insert(b, at, Arrays.copyOfRange(b, from, from + len));
        }
        case 7 -> b = swap(b, at, b.length == 0 ? 0 : random.nextInt(b.length));
        case 8 -> {
          int cut = other.length == 0 ? 0 : random.nextInt(other.length);
          b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(other, cut, other.length));
        }
        default -> b = set(b, at, (b.length == 0 ? 0 : b[at]) + random.nextInt(5) - 2);
      }
    }
    return b;
  }

  private static byte[] flip(byte[] b, int at, int mask) {
    return set(b, at, (b.length == 0 ? 0 : b[at]) ^ mask);
  }

  private static byte[] set(byte[] b, int at, int value) {
    if (b.length == 0) {
      return bytes(value);
    }
    byte[] out = b.clone();
    out[at] = (byte) value;
    return out;
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    return concat(Arrays.copyOf(b, at), what, Arrays.copyOfRange(b, at, b.length));
  }

  private static byte[] remove(byte[] b, int at, int length) {
    if (b.length == 0) {
      return b;
    }
    return concat(
        Arrays.copyOf(b, at), Arrays.copyOfRange(b, Math.min(b.length, at + length), b.length));
  }

  private static byte[] swap(byte[] b, int i, int j) {
    if (b.length == 0) {
      return b;
    }
    byte[] out = b.clone();
    out[i] = b[j];
    out[j] = b[i];
    return out;
  }

  private static final String JSON_ALPHABET = "{}[],:\"\\0123456789-+.eEtrufalsn \u00e9\u0000x";
  private static final List<String> JSON_NUMBERS =
      List.of(
          "0",
          "-0",
          "-1",
          "1",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775809",
          "99999999999999999999999999999999999999999",
          "1.5",
          "1e3",
          "-0.0",
          "1E400",
          "00",
          "2",
          "65536");

  @Test
  void randomJsonMutationsDecodeOrAreRejected() {
    int count = 0;
    Findings findings = new Findings();
    for (long seed = 100; seed < 125; seed++) {
      Random random = new Random(seed);
      List<TypedState<?>> corpus = corpus(seed, 1);
      for (int i = 0; i < 1_000; i++) {
        TypedState<?> typed = CodecFixtures.pick(random, corpus);
        String mutated = mutateJson(encodeJson(typed), random);
        long s = seed;
        findings.record(() -> decodesOrRejects(() -> CODEC.decodeJson(mutated), typed, s, mutated));
        count++;
      }
    }
    assertThat(findings.report())
        .as("seeds 100..124: failures among %d mutations", count)
        .isEmpty();
    assertThat(count).as("JSON mutations tried (seeds 100..124)").isGreaterThanOrEqualTo(25_000);
  }

  private static String mutateJson(String input, Random random) {
    StringBuilder s = new StringBuilder(input);
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = s.length() == 0 ? 0 : random.nextInt(s.length());
      char c = JSON_ALPHABET.charAt(random.nextInt(JSON_ALPHABET.length()));
      switch (random.nextInt(6)) {
        case 0 -> {
          if (s.length() > 0) {
            s.setCharAt(at, c);
          }
        }
        case 1 -> s.insert(at, c);
        case 2 -> s.delete(at, Math.min(s.length(), at + 1 + random.nextInt(4)));
        case 3 -> {
          int from = s.length() == 0 ? 0 : random.nextInt(s.length());
          s.insert(at, s.substring(from, Math.min(s.length(), from + 1 + random.nextInt(12))));
        }
        case 4 -> {
          // replace a run of digits with another number
          int start = at;
          while (start < s.length() && !Character.isDigit(s.charAt(start))) {
            start++;
          }
          int end = start;
          while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
          }
          s.replace(start, end, CodecFixtures.pick(random, JSON_NUMBERS));
        }
        default -> s.insert(at, (char) random.nextInt(0x3000));
      }
    }
    return s.toString();
  }

  @Test
  void randomGarbageIsRejected() {
    int count = 0;
    for (long seed = 200; seed < 210; seed++) {
      Random random = new Random(seed);
      for (int i = 0; i < 1_000; i++) {
        byte[] garbage = new byte[random.nextInt(300)];
        random.nextBytes(garbage);
        if (random.nextBoolean() && garbage.length >= 4) {
          // a valid Smile header (":)\n" and a flags byte) in front, so the parser gets further
          garbage[0] = ':';
          garbage[1] = ')';
          garbage[2] = '\n';
          garbage[3] = (byte) random.nextInt(8);
        }
        assertRejected(() -> CODEC.decode(garbage), "seed " + seed + ": " + hex(garbage));
        StringBuilder text = new StringBuilder();
        for (int c = random.nextInt(200); c > 0; c--) {
          text.append(JSON_ALPHABET.charAt(random.nextInt(JSON_ALPHABET.length())));
        }
        String json = text.toString();
        assertRejected(() -> CODEC.decodeJson(json), "seed " + seed + ": " + json);
        count += 2;
      }
    }
    assertThat(count).as("garbage inputs (seeds 200..209)").isEqualTo(20_000);
  }

  // ========================================================================= the envelope

  @Test
  void unknownTypeTagsAreUnknownType() {
    for (String tag :
        List.of(
            "nope",
            "",
            "orset",
            "orset:",
            "orset:nope",
            "lww:nope",
            "GCounter",
            "gcounter ",
            "pncounter:string",
            "orset:string:x",
            ":string")) {
      String json = envelope(tag, "[]");
      assertRejectedBoth(json, "type tag \"" + tag + "\"", Reason.UNKNOWN_TYPE);
    }
  }

  @Test
  void otherFormatVersionsAreUnsupported() {
    for (String tag :
        List.of("gcounter", "pncounter", "orset:string", "orset:long", "lww:string", "lww:long")) {
      for (String version :
          List.of("2", "3", "0", "-1", "9223372036854775807", "-9223372036854775808")) {
        String json = "{\"type\":\"" + tag + "\",\"v\":" + version + ",\"state\":[]}";
        assertRejectedBoth(json, tag + " version " + version, Reason.UNSUPPORTED_VERSION);
      }
    }
  }

  @Test
  void envelopeWithWrongFieldsIsMalformed() {
    List<String> cases =
        List.of(
            "{\"v\":1,\"type\":\"gcounter\",\"state\":[]}",
            "{\"type\":\"gcounter\",\"state\":[],\"v\":1}",
            "{\"type\":\"gcounter\",\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":1}",
            "{\"v\":1,\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":1,\"state\":[],\"extra\":1}",
            "{\"type\":\"gcounter\",\"type\":\"gcounter\",\"v\":1,\"state\":[]}",
            "{\"Type\":\"gcounter\",\"v\":1,\"state\":[]}",
            "{\"type\":1,\"v\":1,\"state\":[]}",
            "{\"type\":null,\"v\":1,\"state\":[]}",
            "{\"type\":[\"gcounter\"],\"v\":1,\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":\"1\",\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":1.0,\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":true,\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":1,\"state\":null}",
            "{\"type\":\"gcounter\",\"v\":1,\"state\":{}}",
            "{}",
            "[]",
            "[\"gcounter\",1,[]]",
            "\"gcounter\"",
            "null",
            "1");
    for (String json : cases) {
      assertRejectedBoth(json, json, MALFORMED);
    }
    assertRejected(() -> CODEC.decodeJson(""), "empty JSON", MALFORMED);
    assertRejected(() -> CODEC.decode(new byte[0]), "empty bytes", MALFORMED);
    assertRejected(
        () -> CODEC.decode(envelope("gcounter", "[]").getBytes(UTF_8)),
        "JSON given as binary",
        MALFORMED);
  }

  @Test
  void bodiesWithWrongStructureAreMalformed() {
    List<String[]> cases =
        List.of(
            new String[] {"gcounter", "[\"a\"]"},
            new String[] {"gcounter", "[\"a\",\"1\"]"},
            new String[] {"gcounter", "[1,\"a\"]"},
            new String[] {"gcounter", "[\"a\",1,\"b\"]"},
            new String[] {"gcounter", "[[\"a\",1]]"},
            new String[] {"gcounter", "{\"a\":1}"},
            new String[] {"gcounter", "[\"a\",true]"},
            new String[] {"pncounter", "{\"n\":[],\"p\":[]}"},
            new String[] {"pncounter", "{\"p\":[]}"},
            new String[] {"pncounter", "{\"p\":[],\"n\":[],\"z\":[]}"},
            new String[] {"pncounter", "[[],[]]"},
            new String[] {"orset:string", "{\"context\":[],\"delta\":false,\"entries\":[]}"},
            new String[] {"orset:string", "{\"delta\":false,\"entries\":[],\"context\":[]}"},
            new String[] {"orset:string", "{\"delta\":false,\"context\":[]}"},
            new String[] {"orset:string", "{\"delta\":\"false\",\"context\":[],\"entries\":[]}"},
            new String[] {"orset:string", "{\"delta\":0,\"context\":[],\"entries\":[]}"},
            new String[] {"orset:string", "{\"delta\":false,\"context\":[\"a\",1],\"entries\":[]}"},
            new String[] {"orset:string", "{\"delta\":false,\"context\":[\"a\"],\"entries\":[]}"},
            new String[] {
              "orset:string", "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[\"x\"]}"
            },
            new String[] {
              "orset:string",
              "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[\"x\",[\"a\"]]}"
            },
            new String[] {
              "orset:string", "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[1,[\"a\",1]]}"
            },
            new String[] {
              "orset:string",
              "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[\"x\",[\"a\",1]],\"more\":1}"
            },
            new String[] {
              "orset:long",
              "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[\"1\",[\"a\",1]]}"
            },
            new String[] {"lww:string", "{\"ts\":5}"},
            new String[] {"lww:string", "{\"ts\":0,\"writer\":\"a\",\"value\":\"x\"}"},
            new String[] {"lww:string", "{\"ts\":5,\"value\":\"x\",\"writer\":\"a\"}"},
            new String[] {"lww:string", "{\"writer\":\"a\",\"ts\":5,\"value\":\"x\"}"},
            new String[] {"lww:string", "{\"ts\":5,\"writer\":\"a\",\"value\":1}"},
            new String[] {"lww:string", "{\"ts\":5,\"writer\":\"a\",\"value\":null}"},
            new String[] {"lww:string", "{\"ts\":5,\"writer\":\"a\"}"},
            new String[] {"lww:long", "{\"ts\":5,\"writer\":\"a\",\"value\":\"1\"}"},
            new String[] {"lww:long", "{}"});
    for (String[] c : cases) {
      assertRejectedBoth(envelope(c[0], c[1]), c[0] + " " + c[1], MALFORMED);
    }
  }

  @Test
  void nonCanonicalContentIsInvalid() {
    List<String[]> cases =
        List.of(
            // version vectors: replicas strictly ascending, counters > 0, valid ids
            new String[] {"gcounter", "[\"b\",1,\"a\",1]"},
            new String[] {"gcounter", "[\"a\",1,\"a\",2]"},
            new String[] {"gcounter", "[\"a\",0]"},
            new String[] {"gcounter", "[\"a\",-5]"},
            new String[] {"gcounter", "[\"has space\",1]"},
            new String[] {"gcounter", "[\"\",1]"},
            new String[] {"gcounter", "[\"" + "r".repeat(129) + "\",1]"},
            new String[] {"gcounter", "[\"caf\u00e9\",1]"},
            new String[] {"pncounter", "{\"p\":[\"a\",1],\"n\":[\"a\",0]}"},
            new String[] {"pncounter", "{\"p\":[\"b\",1,\"a\",2],\"n\":[]}"},
            // causal contexts: canonical intervals only
            orset("false", "[\"a\",1,3,\"a\",2,5]", "[]"),
            orset("false", "[\"a\",1,2,\"a\",3,4]", "[]"),
            orset("false", "[\"a\",5,6,\"a\",1,2]", "[]"),
            orset("false", "[\"a\",1,1,\"a\",1,1]", "[]"),
            orset("false", "[\"b\",1,1,\"a\",1,1]", "[]"),
            orset("false", "[\"a\",1,1,\"b\",1,1,\"a\",3,3]", "[]"),
            orset("false", "[\"a\",3,1]", "[]"),
            orset("false", "[\"a\",0,1]", "[]"),
            orset("false", "[\"a\",-1,1]", "[]"),
            // set entries: sorted, unique, dots sorted, unique and inside the context
            orset("false", "[\"a\",1,2]", "[\"y\",[\"a\",1],\"x\",[\"a\",2]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",1],\"x\",[\"a\",2]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",3]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"b\",1]]"),
            orset("true", "[\"a\",1,2]", "[\"x\",[\"a\",3]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",2,\"a\",1]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",1,\"a\",1]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",0]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[]]"),
            orset("false", "[]", "[\"x\",[]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",1],\"y\",[]]"),
            new String[] {
              "orset:long",
              "{\"delta\":false,\"context\":[\"a\",1,2],\"entries\":[5,[\"a\",1],-3,[\"a\",2]]}"
            },
            new String[] {
              "orset:long",
              "{\"delta\":false,\"context\":[\"a\",1,2],\"entries\":[5,[\"a\",1],5,[\"a\",2]]}"
            },
            // registers: timestamp >= 0, valid writer
            new String[] {"lww:string", "{\"ts\":-1}"},
            new String[] {"lww:string", "{\"ts\":-1,\"writer\":\"a\",\"value\":\"x\"}"},
            new String[] {"lww:string", "{\"ts\":5,\"writer\":\"bad id\",\"value\":\"x\"}"},
            new String[] {"lww:long", "{\"ts\":5,\"writer\":\"\",\"value\":1}"});
    for (String[] c : cases) {
      assertRejectedBoth(envelope(c[0], c[1]), c[0] + " " + c[1], INVALID);
    }
  }

  private static String[] orset(String delta, String context, String entries) {
    return new String[] {
      "orset:string",
      "{\"delta\":" + delta + ",\"context\":" + context + ",\"entries\":" + entries + "}"
    };
  }

  /** The hand-built inputs above are right but for the one broken rule: these variants decode. */
  @Test
  void canonicalHandBuiltInputsDecode() {
    List<String[]> cases =
        List.of(
            new String[] {"gcounter", "[\"a\",1,\"b\",9223372036854775807]"},
            new String[] {"pncounter", "{\"p\":[\"a\",1],\"n\":[\"a\",2]}"},
            orset("false", "[\"a\",1,3,\"a\",5,5,\"b\",2,2]", "[]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",1],\"y\",[\"a\",2]]"),
            orset("false", "[\"a\",1,2]", "[\"x\",[\"a\",1,\"a\",2]]"),
            orset("true", "[\"a\",1,2]", "[\"x\",[],\"y\",[\"a\",2]]"),
            orset("false", "[\"a\",9223372036854775807,9223372036854775807]", "[]"),
            new String[] {
              "orset:long",
              "{\"delta\":false,\"context\":[\"a\",1,2],\"entries\":[-3,[\"a\",1],5,[\"a\",2]]}"
            },
            new String[] {"lww:string", "{\"ts\":0}"},
            new String[] {"lww:string", "{\"ts\":5,\"writer\":\"a\",\"value\":\"\"}"},
            new String[] {
              "lww:long",
              "{\"ts\":9223372036854775807,\"writer\":\"~\",\"value\":-9223372036854775808}"
            });
    for (String[] c : cases) {
      String json = envelope(c[0], c[1]);
      assertThatCode(() -> CODEC.decodeJson(json)).as("JSON %s", json).doesNotThrowAnyException();
      assertThatCode(() -> CODEC.decode(smileOf(json)))
          .as("Smile of %s", json)
          .doesNotThrowAnyException();
    }
  }

  @Test
  void stateOfTheWrongTypeIsInvalid() {
    byte[] counter =
        CODEC.encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("a"), 1).state());
    assertRejected(
        () -> CODEC.decode(counter, PNCounter.TYPE), "gcounter read as pncounter", INVALID);
    byte[] set = CODEC.encode(ORSET_STRING, ORSet.<String>empty());
    assertRejected(() -> CODEC.decode(set, ORSET_LONG), "orset:string read as orset:long", INVALID);
  }

  // ================================================================================== limits

  @Test
  void hugeStringsExceedTheLimit() {
    CrdtCodec small = codec(CodecLimits.defaults().withMaxStringLength(1_000));
    String huge = "x".repeat(TEN_MB);
    List<String> jsons =
        List.of(
            envelope("gcounter", "[\"" + huge + "\",1]"),
            envelope(
                "orset:string",
                "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[\""
                    + huge
                    + "\",[\"a\",1]]}"),
            envelope("lww:string", "{\"ts\":1,\"writer\":\"a\",\"value\":\"" + huge + "\"}"),
            "{\"type\":\"" + huge + "\",\"v\":1,\"state\":[]}",
            "{\"" + huge + "\":\"gcounter\",\"v\":1,\"state\":[]}");
    for (String json : jsons) {
      String what = "10 MB string in " + json.substring(0, 40);
      assertRejected(() -> small.decodeJson(json), what, LIMIT_EXCEEDED);
      assertRejected(() -> CODEC.decodeJson(json), what + " (default limits)", LIMIT_EXCEEDED);
      byte[] binary = smileOf(json);
      assertRejected(() -> small.decode(binary), what + " (Smile)", LIMIT_EXCEEDED);
      assertRejected(() -> CODEC.decode(binary), what + " (Smile, default limits)", LIMIT_EXCEEDED);
    }
    // Just over and at the limit.
    String over =
        envelope(
            "lww:string", "{\"ts\":1,\"writer\":\"a\",\"value\":\"" + "y".repeat(1_001) + "\"}");
    assertRejected(() -> small.decodeJson(over), "1,001 chars", LIMIT_EXCEEDED);
    assertRejected(() -> small.decode(smileOf(over)), "1,001 chars (Smile)", LIMIT_EXCEEDED);
    String at =
        envelope(
            "lww:string", "{\"ts\":1,\"writer\":\"a\",\"value\":\"" + "y".repeat(1_000) + "\"}");
    assertThatCode(() -> small.decodeJson(at)).as("1,000 chars").doesNotThrowAnyException();
    assertThatCode(() -> small.decode(smileOf(at)))
        .as("1,000 chars (Smile)")
        .doesNotThrowAnyException();
  }

  @Test
  void hugeClaimedLengthsAreRejectedWithoutAllocating() {
    CrdtCodec small = codec(CodecLimits.defaults().withMaxStringLength(1_000));
    byte[] upToType = smile(g -> g.writeStartObject());
    byte[] upToVersion =
        smile(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "gcounter");
              g.writeFieldName("v");
            });
    byte[] typeField = bytes(0x83, 't', 'y', 'p', 'e');
    // A long Unicode string (0xE4) that never ends: rejected once it passes the limit.
    byte[] endless = new byte[TEN_MB];
    Arrays.fill(endless, (byte) 'x');
    assertRejectedCheaply(
        small,
        concat(upToType, typeField, bytes(0xE4), endless),
        "unterminated 10 MB string",
        LIMIT_EXCEEDED);
    // A BigInteger (0x26) claiming a 2^27-byte magnitude: over the number length limit.
    assertRejectedCheaply(
        CODEC,
        concat(upToVersion, bytes(0x26, 0x7F, 0x7F, 0x7F, 0xBF), new byte[16]),
        "BigInteger claiming 134,217,727 bytes",
        LIMIT_EXCEEDED);
    // A length that overflows an int.
    assertRejectedCheaply(
        CODEC,
        concat(upToVersion, bytes(0x26, 0x7F, 0x7F, 0x7F, 0x7F, 0xBF)),
        "BigInteger claiming 2^34 bytes",
        MALFORMED);
    // Raw and 7-bit binary (0xFD, 0xE8) claiming ~2^30 bytes where a number or a string belongs.
    for (int marker : new int[] {0xFD, 0xE8}) {
      byte[] claim = bytes(marker, 0x07, 0x7F, 0x7F, 0x7F, 0xBF);
      assertRejectedCheaply(CODEC, concat(upToVersion, claim), "binary as version", MALFORMED);
      assertRejectedCheaply(CODEC, concat(upToType, typeField, claim), "binary as type", MALFORMED);
    }
  }

  /** Rejected for {@code reason}, allocating at most 4 MiB, whatever the input claims. */
  private static void assertRejectedCheaply(
      CrdtCodec codec, byte[] input, String what, Reason reason) {
    assertRejected(() -> codec.decode(input), what, reason); // also warms up
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertRejected(() -> codec.decode(input), what, reason);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("%s: bytes allocated to reject it", what).isLessThan(4L << 20);
  }

  @Test
  void deepNestingIsRejectedWithoutStackOverflow() {
    int depth = 100_000;
    List<String> jsons =
        List.of(
            "[".repeat(depth) + "]".repeat(depth),
            "{\"a\":".repeat(depth) + "1" + "}".repeat(depth),
            "{\"type\":\"gcounter\",\"v\":1,\"state\":"
                + "[".repeat(depth)
                + "]".repeat(depth)
                + "}",
            "{\"type\":" + "[".repeat(depth) + "]".repeat(depth) + ",\"v\":1,\"state\":[]}",
            "{\"type\":\"orset:string\",\"v\":1,\"state\":{\"delta\":false,\"context\":[],\"entries\":[\"x\","
                + "[".repeat(depth)
                + "]".repeat(depth)
                + "]}}");
    for (String json : jsons) {
      String what = depth + "-deep " + json.substring(0, 30);
      assertRejected(() -> CODEC.decodeJson(json), what, LIMIT_EXCEEDED, MALFORMED);
      byte[] binary = smileOf(json);
      assertRejected(() -> CODEC.decode(binary), what + " (Smile)", LIMIT_EXCEEDED, MALFORMED);
    }
    String unclosed = "[".repeat(depth);
    assertRejected(
        () -> CODEC.decodeJson(unclosed), "100,000 unclosed [", LIMIT_EXCEEDED, MALFORMED);
    byte[] header = smile(g -> {});
    byte[] arrays = new byte[depth];
    Arrays.fill(arrays, (byte) 0xF8);
    assertRejected(
        () -> CODEC.decode(concat(header, arrays)), "100,000 raw 0xF8", LIMIT_EXCEEDED, MALFORMED);

    // The depth limit itself: a valid set nests 3 deep, over a limit of 2.
    CrdtCodec shallow = codec(CodecLimits.defaults().withMaxDepth(2));
    ORSet<String> set = ORSet.<String>empty().add(ReplicaId.of("a"), "x").state();
    assertRejected(
        () -> shallow.decode(CODEC.encode(ORSET_STRING, set)), "depth 3 > 2", LIMIT_EXCEEDED);
    assertRejected(
        () -> shallow.decodeJson(CODEC.encodeJson(ORSET_STRING, set)),
        "depth 3 > 2 (JSON)",
        LIMIT_EXCEEDED);
  }

  @Test
  void tooManyItemsExceedTheLimit() {
    CrdtCodec limited = codec(CodecLimits.defaults().withMaxItems(1_000));
    GCounter big = GCounter.empty();
    ORSet<Long> bigSet = ORSet.empty();
    ReplicaId writer = ReplicaId.of("w");
    for (int i = 0; i < 2_000; i++) {
      big = big.increment(ReplicaId.of(String.format("r%05d", i)), 1).state();
      bigSet = bigSet.add(writer, (long) i).state();
    }
    // Smile has no count prefix: the limit is counted while reading.
    byte[] counterBytes = CODEC.encode(GCounter.TYPE, big);
    String counterJson = CODEC.encodeJson(GCounter.TYPE, big);
    byte[] setBytes = CODEC.encode(ORSET_LONG, bigSet);
    assertRejected(() -> limited.decode(counterBytes), "2,000-replica counter", LIMIT_EXCEEDED);
    assertRejected(
        () -> limited.decodeJson(counterJson), "2,000-replica counter (JSON)", LIMIT_EXCEEDED);
    assertRejected(() -> limited.decode(setBytes), "2,000-element set", LIMIT_EXCEEDED);
    assertThat(CODEC.decode(counterBytes, GCounter.TYPE)).as("default limits").isEqualTo(big);

    GCounter fits = GCounter.empty();
    for (int i = 0; i < 400; i++) {
      fits = fits.increment(ReplicaId.of(String.format("r%05d", i)), 1).state();
    }
    GCounter fitting = fits;
    assertThat(limited.decode(CODEC.encode(GCounter.TYPE, fitting), GCounter.TYPE))
        .as("800 items under a limit of 1,000")
        .isEqualTo(fitting);
  }

  @Test
  void inputOverMaxBytesExceedsTheLimit() {
    CrdtCodec small = codec(CodecLimits.defaults().withMaxBytes(64));
    GCounter counter = GCounter.empty();
    for (int i = 0; i < 10; i++) {
      counter = counter.increment(ReplicaId.of("replica-" + i), 1_000).state();
    }
    byte[] binary = CODEC.encode(GCounter.TYPE, counter);
    String json = CODEC.encodeJson(GCounter.TYPE, counter);
    assertThat(binary.length).isGreaterThan(64);
    assertRejected(() -> small.decode(binary), binary.length + " bytes > 64", LIMIT_EXCEEDED);
    assertRejected(() -> small.decodeJson(json), json.length() + " chars > 64", LIMIT_EXCEEDED);
    byte[] tiny = CODEC.encode(GCounter.TYPE, GCounter.empty());
    assertThat(tiny.length).isLessThanOrEqualTo(64);
    assertThat(small.decode(tiny).state()).isEqualTo(GCounter.empty());
    // Only the given range counts: a small value inside a big buffer decodes.
    byte[] buffer = concat(new byte[1_000], tiny, new byte[1_000]);
    assertThat(small.decode(buffer, 1_000, tiny.length).state()).isEqualTo(GCounter.empty());
  }

  // ========================================================================== trailing bytes

  @Test
  void trailingBytesAfterAValidValueAreMalformed() {
    byte[] valid =
        CODEC.encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("a"), 3).state());
    byte[][] tails = {
      bytes(0x00),
      bytes(0xC2),
      bytes(0xFA, 0xFB),
      bytes(0xF8, 0xF9),
      bytes(0xFB),
      bytes(0x40, 'a'),
      bytes(0x3A)
    };
    for (byte[] tail : tails) {
      byte[] input = concat(valid, tail);
      assertRejected(() -> CODEC.decode(input), "trailing " + hex(tail), MALFORMED);
    }
    String json = CODEC.encodeJson(GCounter.TYPE, GCounter.empty());
    for (String tail : List.of("x", "{}", "1", "]", "}", "[]", "\"x\"", json)) {
      assertRejected(() -> CODEC.decodeJson(json + tail), "trailing " + tail, MALFORMED);
    }
  }

  /**
   * Jackson's Smile parser ends a document at the optional end marker 0xFF or at a new header
   * ":)\n": the codec must still reject whatever follows, or one value has unboundedly many
   * encodings (digests over bytes break) and arbitrary bytes ride along unchecked.
   */
  @Test
  void trailingBytesAfterSmileEndMarkerOrASecondHeaderAreMalformed() {
    byte[] valid =
        CODEC.encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("a"), 3).state());
    byte[] other = CODEC.encode(PNCounter.TYPE, PNCounter.empty());
    byte[][] tails = {
      bytes(0xFF, 0x00, 0x12, 0x34),
      bytes(0xFF, 0xFF),
      valid,
      other,
      bytes(':', ')', '\n', 0x03, 0x00, 0x99)
    };
    List<String> accepted = new ArrayList<>();
    for (byte[] tail : tails) {
      byte[] input = concat(valid, tail);
      try {
        assertRejected(() -> CODEC.decode(input), "trailing " + hex(tail), MALFORMED);
      } catch (AssertionError e) {
        accepted.add(e.getMessage());
      }
    }
    assertThat(accepted).as("inputs with trailing bytes that were not rejected").isEmpty();
  }

  // ================================================================================= numbers

  @Test
  void numbersOutOfLongRangeAreRejected() {
    List<String> outOfRange =
        List.of(
            envelope("gcounter", "[\"a\",9223372036854775808]"),
            envelope("gcounter", "[\"a\",18446744073709551616]"),
            envelope("lww:long", "{\"ts\":1,\"writer\":\"a\",\"value\":-9223372036854775809}"),
            envelope("lww:string", "{\"ts\":9223372036854775808,\"writer\":\"a\",\"value\":\"x\"}"),
            envelope(
                "orset:long",
                "{\"delta\":false,\"context\":[\"a\",1,1],\"entries\":[99999999999999999999,[\"a\",1]]}"),
            envelope(
                "orset:string",
                "{\"delta\":false,\"context\":[\"a\",1,9223372036854775808],\"entries\":[]}"),
            "{\"type\":\"gcounter\",\"v\":9223372036854775808,\"state\":[]}",
            "{\"type\":\"gcounter\",\"v\":-9223372036854775809,\"state\":[]}");
    for (String json : outOfRange) {
      assertRejectedBoth(json, json, MALFORMED);
    }
    // More digits than any long: over the number length limit before being parsed.
    String longer = envelope("gcounter", "[\"a\"," + "9".repeat(40) + "]");
    assertRejected(() -> CODEC.decodeJson(longer), "40 digits", LIMIT_EXCEEDED);
    String muchLonger = envelope("gcounter", "[\"a\"," + "9".repeat(100_000) + "]");
    assertRejected(() -> CODEC.decodeJson(muchLonger), "100,000 digits", LIMIT_EXCEEDED);
    // Not integers at all.
    for (String number : List.of("1.5", "1e3", "1E400", "-0.0", "1.0")) {
      String json = envelope("gcounter", "[\"a\"," + number + "]");
      assertRejectedBoth(json, number, MALFORMED);
    }
    byte[] bigDecimal =
        smile(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "gcounter");
              g.writeNumberField("v", 1);
              g.writeFieldName("state");
              g.writeStartArray();
              g.writeString("a");
              g.writeNumber(new java.math.BigDecimal("1e999999999"));
              g.writeEndArray();
              g.writeEndObject();
            });
    assertRejected(() -> CODEC.decode(bigDecimal), "Smile BigDecimal", MALFORMED);
    byte[] bigInteger =
        smile(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "gcounter");
              g.writeNumberField("v", 1);
              g.writeFieldName("state");
              g.writeStartArray();
              g.writeString("a");
              g.writeNumber(BigInteger.ONE.shiftLeft(63));
              g.writeEndArray();
              g.writeEndObject();
            });
    assertRejected(() -> CODEC.decode(bigInteger), "Smile BigInteger 2^63", MALFORMED);
  }

  /**
   * A Smile 64-bit VInt has room for more than 64 bits; Jackson does not check the overflow and
   * hands back the low 64 bits. Such a number is out of the range of a long and must be rejected,
   * not silently wrapped (which also gives a counter many encodings).
   */
  @Test
  void overlongSmileIntegersAreRejected() {
    byte[] valid =
        CODEC.encode(GCounter.TYPE, GCounter.empty().increment(ReplicaId.of("a"), 3).state());
    // ... 0x40 'a' 0xC6 (small int 3) 0xF9 0xFB
    assertThat(valid[valid.length - 3]).isEqualTo((byte) 0xC6);
    byte[] head = Arrays.copyOf(valid, valid.length - 3);
    byte[] tail = Arrays.copyOfRange(valid, valid.length - 2, valid.length);
    // 0x25 = 64-bit VInt; 9 * 7 + 6 = 69 value bits, all set.
    byte[] number = bytes(0x25, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0xBE);
    assertRejected(
        () -> CODEC.decode(concat(head, number, tail)), "69-bit VInt " + hex(number), MALFORMED);
  }

  // =================================================================== decoded states stay usable

  /**
   * A state decoded from a peer may hold counters up to Long.MAX_VALUE. Merging it with a local
   * state must stay a lattice join (commutative) and produce a state this codec accepts back.
   */
  @Test
  void mergeWithDecodedContextEndingAtLongMaxValueStaysCanonical() {
    ORSet<String> hostile =
        CODEC
            .decodeJson(
                envelope(
                    "orset:string",
                    "{\"delta\":false,\"context\":[\"a\",1,9223372036854775807],\"entries\":[]}"))
            .as(ORSET_STRING);
    ORSet<String> local =
        ORSet.<String>empty()
            .add(ReplicaId.of("a"), "x")
            .state()
            .add(ReplicaId.of("b"), "y")
            .state();
    ORSet<String> merged = hostile.merge(local);
    assertThat(merged).as("merge is commutative").isEqualTo(local.merge(hostile));
    assertThat(merged.merge(hostile)).as("merge is idempotent").isEqualTo(merged);
    byte[] binary = CODEC.encode(ORSET_STRING, merged);
    assertThatCode(() -> CODEC.decode(binary))
        .as("the merged state %s decodes", merged)
        .doesNotThrowAnyException();
  }

  /**
   * The decoder accepts a delta whose context holds a dot of no element in its scope. ORSet.equals
   * ignores the scope, so it calls such a delta equal to the delta that removes the element; but
   * the two encode to different bytes ("equal states produce equal bytes") and merging them into
   * the same state gives different states.
   */
  @Test
  void scopeViolatingDeltaIsRepairedByFullStateMerge() {
    // A delta's scope (the elements it touches) is a cost hint that equals() ignores; a delta whose
    // context holds a dot of an element outside its scope breaks that hint's invariant and can
    // only come from a buggy or hostile peer. It may leave the receiver briefly behind, never
    // diverged for good: a full-state merge (anti-entropy) repairs it. See decision 0002.
    ORSet<String> removesX =
        CODEC
            .decodeJson(
                envelope(
                    "orset:string",
                    "{\"delta\":true,\"context\":[\"a\",1,1],\"entries\":[\"x\",[]]}"))
            .as(ORSET_STRING);
    ORSet<String> scopeless =
        CODEC
            .decodeJson(
                envelope("orset:string", "{\"delta\":true,\"context\":[\"a\",1,1],\"entries\":[]}"))
            .as(ORSET_STRING);
    ORSet<String> state = ORSet.<String>empty().add(ReplicaId.of("a"), "x").state();
    assertThat(removesX).as("the delta of removing x").isEqualTo(state.remove("x").delta());
    ORSet<String> correct = state.merge(removesX);
    ORSet<String> lagging = state.merge(scopeless);
    assertThat(correct.contains("x")).isFalse();
    assertThat(lagging.merge(correct)).as("full-state merge repairs").isEqualTo(correct);
    assertThat(correct.merge(lagging)).as("and is commutative").isEqualTo(correct);
  }

  /**
   * Smile strings must be valid UTF-8. Jackson decodes a 3-byte sequence for a surrogate code point
   * (ED A0 80, CESU-8) into a lone surrogate; the decoded state then cannot be encoded again.
   */
  @Test
  void smileStringWithEncodedSurrogateIsRejectedOrReencodable() {
    ORSet<String> set = ORSet.<String>empty().add(ReplicaId.of("a"), "\u65e5").state();
    byte[] valid = CODEC.encode(ORSET_STRING, set);
    String hex = hex(valid);
    assertThat(hex).contains("e697a5");
    for (String surrogate : List.of("eda080", "edb080")) {
      byte[] input = java.util.HexFormat.of().parseHex(hex.replace("e697a5", surrogate));
      assertThatCode(
              () ->
                  decodesOrRejects(
                      () -> CODEC.decode(input), new TypedState<>(ORSET_STRING, set), 0, input))
          .as("UTF-8 %s", surrogate)
          .doesNotThrowAnyException();
    }
  }

  /**
   * Decoding must not take quadratic time in the input: String hash codes are easy to collide ("Aa"
   * and "BB"), and 2^k distinct elements built from them share one hash. The element type here
   * wraps String with String's own hashCode and counts equals calls, a stand-in for time.
   */
  @Test
  void elementsWithCollidingStringHashCodesDecode() {
    // 4,096 strings sharing one String.hashCode (built from "Aa"/"BB"): OR-Sets hash strings with
    // a per-JVM SipHash key, so these do not collide in the set (KeyHashTest shows it) and decoding
    // does no quadratic work. Custom element types must spread their own hashCode (ValueCodec).
    int bits = 12;
    int n = 1 << bits;
    StringBuilder entries = new StringBuilder();
    for (int i = 0; i < n; i++) {
      StringBuilder element = new StringBuilder();
      for (int bit = bits - 1; bit >= 0; bit--) {
        element.append(((i >> bit) & 1) == 0 ? "Aa" : "BB");
      }
      entries
          .append(i == 0 ? "" : ",")
          .append('"')
          .append(element)
          .append("\",[\"a\",")
          .append(i + 1)
          .append(']');
    }
    String json =
        envelope(
            "orset:string",
            "{\"delta\":false,\"context\":[\"a\",1," + n + "],\"entries\":[" + entries + "]}");
    ORSet<String> set = CODEC.decodeJson(json).as(ORSET_STRING);
    assertThat(set.size()).isEqualTo(n);
    assertThat(set.contains("Aa".repeat(bits))).isTrue();
  }

  @Test
  void registersDecodedFromPeersMergeWithLocalWrites() {
    LWWRegister<String> local =
        LWWRegister.<String>empty()
            .assign("mine", ReplicaId.of("a"), new HybridLogicalClock(() -> 1_700_000_000_000L))
            .state();
    for (String body :
        List.of(
            "{\"ts\":9223372036854775807,\"writer\":\"a\",\"value\":\"theirs\"}",
            "{\"ts\":" + local.timestamp() + ",\"writer\":\"a\",\"value\":\"same stamp\"}",
            "{\"ts\":1,\"writer\":\"~\",\"value\":\"\"}")) {
      LWWRegister<String> remote =
          CODEC.decodeJson(envelope("lww:string", body)).as(CodecFixtures.LWW_STRING);
      assertThat(remote.merge(local)).as(body).isEqualTo(local.merge(remote));
      assertThatCode(() -> CODEC.encode(CodecFixtures.LWW_STRING, remote.merge(local)))
          .as(body)
          .doesNotThrowAnyException();
    }
  }

  // ================================================================================= helpers

  private static CrdtCodec codec(CodecLimits limits) {
    return codec(TypeRegistry.builtins(), limits);
  }

  private static CrdtCodec codec(TypeRegistry registry, CodecLimits limits) {
    return new CrdtCodec(registry, limits);
  }

  /** Fails unless {@code decode} throws a CodecException, with one of {@code reasons} if given. */
  private static void assertRejected(Supplier<?> decode, String what, Reason... reasons) {
    Object result;
    try {
      result = decode.get();
    } catch (CodecException e) {
      if (reasons.length > 0) {
        assertThat(e.reason())
            .as("%s: reason of %s", what, e.getMessage())
            .isIn(Arrays.asList(reasons));
      }
      return;
    } catch (Throwable t) {
      throw new AssertionError(what + ": threw " + t + " instead of a CodecException", t);
    }
    throw new AssertionError(what + ": accepted, decoded to " + result);
  }

  /**
   * The JSON text and its token-for-token Smile equivalent are both rejected for {@code reason}.
   */
  private static void assertRejectedBoth(String json, String what, Reason reason) {
    assertRejected(() -> CODEC.decodeJson(json), "JSON " + what, reason);
    byte[] binary = smileOf(json);
    assertRejected(() -> CODEC.decode(binary), "Smile " + what, reason);
  }
}
