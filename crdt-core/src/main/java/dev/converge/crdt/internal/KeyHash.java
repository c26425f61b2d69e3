package dev.converge.crdt.internal;

import java.security.SecureRandom;

/**
 * Hashes keys for {@link PersistentHashMap}. Strings, the element type most often fed by untrusted
 * users (an OR-Set of user names), are hashed with SipHash-1-3 (Aumasson and Bernstein, "SipHash: a
 * fast short-input PRF", INDOCRYPT 2012) under a secret key drawn once per JVM, so nobody can
 * precompute a million names with colliding hashes and make each insert cost O(n) — the hash
 * flooding attack that {@code String.hashCode()} invites. Other keys use their {@code hashCode()},
 * spread.
 *
 * <p>Hashes therefore differ between JVMs; nothing may depend on them outside one process (the
 * codec sorts elements, it never uses map order).
 */
final class KeyHash {

  private static final long K0;
  private static final long K1;

  static {
    SecureRandom random = new SecureRandom();
    K0 = random.nextLong();
    K1 = random.nextLong();
  }

  private KeyHash() {}

  static int hash(Object key) {
    if (key instanceof String s) {
      long h = sipHash13(s);
      return (int) (h ^ (h >>> 32));
    }
    int h = key.hashCode();
    return h ^ (h >>> 16);
  }

  /* SipHash-1-3 over the string's UTF-16 code units, four per 64-bit word, length in the last. */
  static long sipHash13(String s) {
    long v0 = K0 ^ 0x736f6d6570736575L;
    long v1 = K1 ^ 0x646f72616e646f6dL;
    long v2 = K0 ^ 0x6c7967656e657261L;
    long v3 = K1 ^ 0x7465646279746573L;
    int length = s.length();
    int i = 0;
    for (; i + 4 <= length; i += 4) {
      long m =
          s.charAt(i)
              | (long) s.charAt(i + 1) << 16
              | (long) s.charAt(i + 2) << 32
              | (long) s.charAt(i + 3) << 48;
      v3 ^= m;
      // one compression round
      v0 += v1;
      v1 = Long.rotateLeft(v1, 13) ^ v0;
      v0 = Long.rotateLeft(v0, 32);
      v2 += v3;
      v3 = Long.rotateLeft(v3, 16) ^ v2;
      v0 += v3;
      v3 = Long.rotateLeft(v3, 21) ^ v0;
      v2 += v1;
      v1 = Long.rotateLeft(v1, 17) ^ v2;
      v2 = Long.rotateLeft(v2, 32);
      v0 ^= m;
    }
    long last = (long) (length & 0xFFFF) << 48;
    for (int shift = 0; i < length; i++, shift += 16) {
      last |= (long) s.charAt(i) << shift;
    }
    v3 ^= last;
    v0 += v1;
    v1 = Long.rotateLeft(v1, 13) ^ v0;
    v0 = Long.rotateLeft(v0, 32);
    v2 += v3;
    v3 = Long.rotateLeft(v3, 16) ^ v2;
    v0 += v3;
    v3 = Long.rotateLeft(v3, 21) ^ v0;
    v2 += v1;
    v1 = Long.rotateLeft(v1, 17) ^ v2;
    v2 = Long.rotateLeft(v2, 32);
    v0 ^= last;
    v2 ^= 0xFF;
    for (int round = 0; round < 3; round++) {
      v0 += v1;
      v1 = Long.rotateLeft(v1, 13) ^ v0;
      v0 = Long.rotateLeft(v0, 32);
      v2 += v3;
      v3 = Long.rotateLeft(v3, 16) ^ v2;
      v0 += v3;
      v3 = Long.rotateLeft(v3, 21) ^ v0;
      v2 += v1;
      v1 = Long.rotateLeft(v1, 17) ^ v2;
      v2 = Long.rotateLeft(v2, 32);
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }
}
