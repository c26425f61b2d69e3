package dev.converge.crdt.codec;

/**
 * Bounds the decoder enforces on untrusted input. Immutable; the {@code with*} methods return
 * copies. Every bound is checked while reading, before anything of the claimed size is allocated.
 *
 * @param maxBytes longest accepted input, in bytes
 * @param maxItems most items (array elements and object fields, all levels together) in one value
 * @param maxStringLength longest string, in characters
 * @param maxDepth deepest nesting of arrays and objects
 */
public record CodecLimits(int maxBytes, int maxItems, int maxStringLength, int maxDepth) {

  /** Default {@link #maxBytes}: 64 MiB, room for a million-element set. */
  public static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

  /** Default {@link #maxItems}: 16,777,216. */
  public static final int DEFAULT_MAX_ITEMS = 1 << 24;

  /** Default {@link #maxStringLength}: 65,536 characters. */
  public static final int DEFAULT_MAX_STRING_LENGTH = 1 << 16;

  /** Default {@link #maxDepth}: 32; the built-in formats nest at most 6 deep. */
  public static final int DEFAULT_MAX_DEPTH = 32;

  /**
   * @throws IllegalArgumentException if any bound is below 1
   */
  public CodecLimits {
    requirePositive("maxBytes", maxBytes);
    requirePositive("maxItems", maxItems);
    requirePositive("maxStringLength", maxStringLength);
    requirePositive("maxDepth", maxDepth);
  }

  /** The default limits. */
  public static CodecLimits defaults() {
    return new CodecLimits(
        DEFAULT_MAX_BYTES, DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_DEPTH);
  }

  public CodecLimits withMaxBytes(int value) {
    return new CodecLimits(value, maxItems, maxStringLength, maxDepth);
  }

  public CodecLimits withMaxItems(int value) {
    return new CodecLimits(maxBytes, value, maxStringLength, maxDepth);
  }

  public CodecLimits withMaxStringLength(int value) {
    return new CodecLimits(maxBytes, maxItems, value, maxDepth);
  }

  public CodecLimits withMaxDepth(int value) {
    return new CodecLimits(maxBytes, maxItems, maxStringLength, value);
  }

  private static void requirePositive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
