package dev.converge.store;

import java.nio.file.Path;

/**
 * A failure of the replica store: a corrupted or unreadable data file (naming the file), a key
 * holding a different type than asked for, a write over the maximum value size, or a store already
 * closed.
 */
public class StoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The data file could not be opened or read back: corrupted, truncated or not ours. */
  public static final class Corrupted extends StoreException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    public Corrupted(Path file, String message, Throwable cause) {
      super("store file " + file + " is corrupted or unreadable: " + message, cause);
      this.file = file;
    }

    /** The file that failed. */
    public Path file() {
      return file;
    }
  }

  /** A key already holds a value of another CRDT type. */
  public static final class TypeMismatch extends StoreException {
    private static final long serialVersionUID = 1L;

    public TypeMismatch(String key, String storedTag, String requestedTag) {
      super("key \"" + key + "\" holds " + storedTag + ", not " + requestedTag);
    }
  }

  /**
   * A write would make a key's state encode larger than the store's maximum value size ({@link
   * StoreOptions#setMaxValueBytes}); nothing of it was stored.
   */
  public static final class ValueTooLarge extends StoreException {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long bytes;
    private final long maxBytes;

    public ValueTooLarge(String key, long bytes, long maxBytes) {
      super(
          "key \""
              + key
              + "\": the write would make its state "
              + bytes
              + " encoded bytes, over the maximum value size of "
              + maxBytes
              + "; nothing was stored");
      this.key = key;
      this.bytes = bytes;
      this.maxBytes = maxBytes;
    }

    /** The key written. */
    public String key() {
      return key;
    }

    /** The encoded size the state would have had. */
    public long bytes() {
      return bytes;
    }

    /** The limit it exceeds. */
    public long maxBytes() {
      return maxBytes;
    }
  }

  /** The store is closed. */
  public static final class Closed extends StoreException {
    private static final long serialVersionUID = 1L;

    public Closed() {
      super("the replica store is closed");
    }
  }
}
