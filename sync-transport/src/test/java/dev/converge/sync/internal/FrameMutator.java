package dev.converge.sync.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Makes fuzz inputs for the gossip port from the {@link FuzzCorpus}, with a seeded {@link Random}:
 * bit flips; bytes, ints and longs replaced by interesting values (preferably where the frame holds
 * a length or count); truncation and extension, with the length prefix fixed or left lying; wrong
 * type tags (known, 0, 20..255); length prefixes that lie (0, negative, 2^31-1, one off, just over
 * the limits); splices of two frames; two frames back to back; duplicated and deleted byte ranges;
 * pure random bytes; and structured mutations of one field of a decoded frame ({@link
 * FieldMutator}), CRDT states included ({@link StateMutator}). A fifth of the inputs get a second
 * mutation on top. An input is whole frames, or a frame cut short, or any bytes at all.
 */
final class FrameMutator {

  private static final int[] INTERESTING_INTS = {
    0,
    1,
    -1,
    2,
    4,
    8,
    16,
    31,
    32,
    64,
    127,
    128,
    255,
    256,
    1023,
    1024,
    4095,
    4096,
    4097,
    16383,
    16384,
    16385,
    65535,
    65536,
    1 << 24,
    1 << 30,
    Integer.MAX_VALUE - 1,
    Integer.MAX_VALUE,
    Integer.MIN_VALUE,
    Integer.MIN_VALUE + 1
  };
  private static final long[] INTERESTING_LONGS = {
    0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 53
  };
  private static final byte[] INTERESTING_BYTES = {
    0, 1, 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xfe, 0x20, 0x0a, 0x3a, 0x29
  };

  private final Random random;
  private final FuzzCorpus corpus;
  private final boolean afterHandshake;
  private final int maxFrameBytes;
  private final FieldMutator fields;
  private String strategy = "";

  /**
   * A mutator for inputs sent before the handshake, or after it; {@code maxFrameBytes} is the
   * node's frame limit after the handshake (the length lies test both limits).
   */
  FrameMutator(Random random, FuzzCorpus corpus, boolean afterHandshake, int maxFrameBytes) {
    this.random = random;
    this.corpus = corpus;
    this.afterHandshake = afterHandshake;
    this.maxFrameBytes = maxFrameBytes;
    this.fields = new FieldMutator(random, corpus, new StateMutator(random, corpus));
  }

  /** The strategy of the last input, for the report. */
  String strategy() {
    return strategy;
  }

  /** The next fuzz input. */
  byte[] next() {
    int p = random.nextInt(100);
    byte[] input;
    if (p < 4) {
      input = randomBytes();
    } else {
      Message seed = corpus.seed(random, afterHandshake);
      if (p < 50) {
        input = fields.mutate(seed);
        strategy = fields.kind();
        if (input == null) {
          input = byteLevel(encode(seed));
        }
      } else {
        input = byteLevel(encode(seed));
      }
    }
    if (random.nextInt(5) == 0) {
      String first = strategy;
      input = byteLevel(input);
      strategy = first + "+" + strategy;
    }
    return input;
  }

  static byte[] encode(Message m) {
    return FrameCodec.encode(m).getBytes();
  }

  /* ------------------------------------------------------------------ whole frames */

  private byte[] byteLevel(byte[] frame) {
    if (frame.length < FrameCodec.LENGTH_BYTES + 1) {
      strategy = "extend";
      return concat(frame, randomArray(1 + random.nextInt(16)));
    }
    byte[] body = Arrays.copyOfRange(frame, FrameCodec.LENGTH_BYTES, frame.length);
    int prefix = NodeModel.getInt(frame, 0);
    int op = random.nextInt(15);
    switch (op) {
      case 0 -> {
        strategy = "bit-flip";
        return framed(flip(random, body));
      }
      case 1 -> {
        strategy = "interesting-byte";
        return framed(interestingByte(random, body));
      }
      case 2 -> {
        strategy = "interesting-int";
        return framed(interestingInt(random, body));
      }
      case 3 -> {
        strategy = "interesting-long";
        return framed(interestingLong(random, body));
      }
      case 4 -> {
        strategy = "truncate";
        return framed(Arrays.copyOf(body, random.nextInt(body.length)));
      }
      case 5 -> {
        strategy = "truncate-keep-length";
        return framed(Arrays.copyOf(body, random.nextInt(body.length)), prefix);
      }
      case 6 -> {
        strategy = "extend";
        return framed(concat(body, extension()));
      }
      case 7 -> {
        strategy = "extend-keep-length";
        return framed(concat(body, extension()), prefix);
      }
      case 8 -> {
        strategy = "type-tag";
        body[0] = typeTag();
        return framed(body);
      }
      case 9 -> {
        strategy = "length-lie";
        return framed(body, lyingLength(body.length));
      }
      case 10 -> {
        strategy = "splice";
        byte[] other = encode(corpus.seed(random, afterHandshake));
        return framed(
            splice(random, body, Arrays.copyOfRange(other, FrameCodec.LENGTH_BYTES, other.length)));
      }
      case 11 -> {
        strategy = "two-frames";
        return concat(frame, encode(corpus.seed(random, afterHandshake)));
      }
      case 12 -> {
        strategy = "duplicate-range";
        return framed(duplicateRange(random, body));
      }
      case 13 -> {
        strategy = "delete-range";
        return framed(deleteRange(random, body));
      }
      default -> {
        strategy = "byte-mix";
        return framed(mutateBytes(random, body));
      }
    }
  }

  private byte typeTag() {
    int p = random.nextInt(4);
    if (p == 0) {
      return 0;
    } else if (p == 1) {
      return (byte) (1 + random.nextInt(FrameCodec.CHUNK));
    }
    return (byte) (FrameCodec.CHUNK + 1 + random.nextInt(256 - FrameCodec.CHUNK - 1));
  }

  private int lyingLength(int actual) {
    int[] lies = {
      0,
      -1,
      Integer.MIN_VALUE,
      Integer.MAX_VALUE,
      actual - 1,
      actual + 1,
      actual + 2 + random.nextInt(64),
      actual / 2,
      PeerTransport.HANDSHAKE_MAX_FRAME_BYTES,
      PeerTransport.HANDSHAKE_MAX_FRAME_BYTES + 1,
      maxFrameBytes,
      maxFrameBytes + 1,
      random.nextInt(),
      1 << 24
    };
    return lies[random.nextInt(lies.length)];
  }

  private byte[] extension() {
    int n = 1 + random.nextInt(32);
    if (random.nextBoolean()) {
      return randomArray(n);
    }
    byte[] b = new byte[n];
    Arrays.fill(b, INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)]);
    return b;
  }

  /* Random bytes: a valid length prefix (and often a known type) over random content, or noise. */
  private byte[] randomBytes() {
    int p = random.nextInt(10);
    int n =
        p < 3
            ? 1 + random.nextInt(16)
            : p < 9 ? 1 + random.nextInt(256) : 1 + random.nextInt(20_000);
    byte[] body = randomArray(n);
    if (random.nextBoolean()) {
      strategy = "random-bytes";
      return body;
    }
    strategy = "random-body";
    if (random.nextBoolean()) {
      body[0] = (byte) (1 + random.nextInt(FrameCodec.CHUNK));
    }
    if (random.nextInt(20) == 0) {
      strategy = "random-text";
      body = "GET / HTTP/1.1\r\nHost: converge\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      return body;
    }
    return framed(body);
  }

  private byte[] randomArray(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /* ------------------------------------------------------------------ byte operations */

  /** One byte-level mutation of {@code b} (a frame body or an encoded state), picked at random. */
  static byte[] mutateBytes(Random random, byte[] b) {
    if (b.length == 0) {
      return new byte[] {INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)]};
    }
    return switch (random.nextInt(8)) {
      case 0 -> flip(random, b);
      case 1 -> interestingByte(random, b);
      case 2 -> interestingInt(random, b);
      case 3 -> interestingLong(random, b);
      case 4 -> Arrays.copyOf(b, random.nextInt(b.length));
      case 5 -> duplicateRange(random, b);
      case 6 -> deleteRange(random, b);
      default -> {
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        yield concat(b, extra);
      }
    };
  }

  static byte[] flip(Random random, byte[] b) {
    byte[] out = b.clone();
    for (int k = 1 + random.nextInt(4); k > 0; k--) {
      out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
    }
    return out;
  }

  static byte[] interestingByte(Random random, byte[] b) {
    byte[] out = b.clone();
    for (int k = 1 + random.nextInt(3); k > 0; k--) {
      out[random.nextInt(out.length)] = INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
    }
    return out;
  }

  /* An int written where the bytes hold a plausible length or count, or anywhere. */
  static byte[] interestingInt(Random random, byte[] b) {
    if (b.length < 4) {
      return interestingByte(random, b);
    }
    List<Integer> lengthLike = new ArrayList<>();
    for (int i = 1; i + 4 <= b.length; i++) {
      int v = NodeModel.getInt(b, i);
      if (v >= 0 && v <= b.length - i - 4) {
        lengthLike.add(i);
      }
    }
    int at =
        !lengthLike.isEmpty() && random.nextInt(4) != 0
            ? lengthLike.get(random.nextInt(lengthLike.size()))
            : random.nextInt(b.length - 3);
    int old = NodeModel.getInt(b, at);
    int[] near = {old - 1, old + 1, b.length, b.length - at - 4 + 1};
    int v =
        random.nextInt(3) == 0
            ? near[random.nextInt(near.length)]
            : INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)];
    byte[] out = b.clone();
    putInt(out, at, v);
    return out;
  }

  static byte[] interestingLong(Random random, byte[] b) {
    if (b.length < 8) {
      return interestingInt(random, b);
    }
    int at = random.nextInt(b.length - 7);
    long v = INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)];
    byte[] out = b.clone();
    for (int i = 0; i < 8; i++) {
      out[at + i] = (byte) (v >>> (56 - 8 * i));
    }
    return out;
  }

  /* A copy of a range inserted right after it: a field or list entry given twice. */
  static byte[] duplicateRange(Random random, byte[] b) {
    int from = random.nextInt(b.length);
    int to = from + 1 + random.nextInt(Math.min(64, b.length - from));
    byte[] out = new byte[b.length + (to - from)];
    System.arraycopy(b, 0, out, 0, to);
    System.arraycopy(b, from, out, to, to - from);
    System.arraycopy(b, to, out, 2 * to - from, b.length - to);
    return out;
  }

  static byte[] deleteRange(Random random, byte[] b) {
    int from = random.nextInt(b.length);
    int to = from + 1 + random.nextInt(Math.min(64, b.length - from));
    byte[] out = new byte[b.length - (to - from)];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(b, to, out, from, b.length - to);
    return out;
  }

  /* The head of one array and the tail of another. */
  static byte[] splice(Random random, byte[] a, byte[] b) {
    int cutA = a.length == 0 ? 0 : random.nextInt(a.length + 1);
    int cutB = b.length == 0 ? 0 : random.nextInt(b.length + 1);
    byte[] out = Arrays.copyOf(a, cutA + b.length - cutB);
    System.arraycopy(b, cutB, out, cutA, b.length - cutB);
    return out;
  }

  static byte[] framed(byte[] body) {
    return framed(body, body.length);
  }

  static byte[] framed(byte[] body, int lengthPrefix) {
    byte[] out = new byte[FrameCodec.LENGTH_BYTES + body.length];
    putInt(out, 0, lengthPrefix);
    System.arraycopy(body, 0, out, FrameCodec.LENGTH_BYTES, body.length);
    return out;
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
