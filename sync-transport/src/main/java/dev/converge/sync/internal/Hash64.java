package dev.converge.sync.internal;

import java.nio.charset.StandardCharsets;

/**
 * A fast 64-bit hash of bytes for anti-entropy digests: 8-byte words folded with multiply-rotate
 * rounds and a SplitMix64 finaliser (Steele et al., OOPSLA 2014). Not cryptographic: digests detect
 * accidental divergence between trusted peers, and a collision only delays a repair until the state
 * changes again.
 */
final class Hash64 {

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;

  private Hash64() {}

  static long hash(byte[] bytes) {
    long h = P1 ^ bytes.length;
    int i = 0;
    for (; i + 8 <= bytes.length; i += 8) {
      long w =
          (bytes[i] & 0xFFL)
              | (bytes[i + 1] & 0xFFL) << 8
              | (bytes[i + 2] & 0xFFL) << 16
              | (bytes[i + 3] & 0xFFL) << 24
              | (bytes[i + 4] & 0xFFL) << 32
              | (bytes[i + 5] & 0xFFL) << 40
              | (bytes[i + 6] & 0xFFL) << 48
              | (bytes[i + 7] & 0xFFL) << 56;
      h = Long.rotateLeft(h ^ (w * P2), 31) * P1;
    }
    long tail = 0;
    for (int shift = 0; i < bytes.length; i++, shift += 8) {
      tail |= (bytes[i] & 0xFFL) << shift;
    }
    h = Long.rotateLeft(h ^ (tail * P2), 31) * P1;
    return mix(h);
  }

  static long hash(String s) {
    return hash(s.getBytes(StandardCharsets.UTF_8));
  }

  /** SplitMix64's finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
