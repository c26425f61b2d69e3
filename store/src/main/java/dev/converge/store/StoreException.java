package dev.converge.store;

import java.nio.file.Path;

/**
 * A failure of the replica store: a corrupted or unreadable data file (naming the file), a key
 * holding a different type than asked for, or a store already closed.
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

  /** The store is closed. */
  public static final class Closed extends StoreException {
    private static final long serialVersionUID = 1L;

    public Closed() {
      super("the replica store is closed");
    }
  }
}
