package dev.converge.crdt;

import java.util.Objects;

/**
 * The identity of one replica: the author of dots, counter entries and register writes.
 *
 * <p>A replica id must never be reused by a replica that has forgotten its state: a node whose data
 * directory is lost takes a new replica id (a new incarnation), otherwise its fresh dots would
 * collide with dots its peers still remember and increments would be silently swallowed.
 *
 * <p>An id is 1 to {@value #MAX_LENGTH} printable ASCII characters without spaces. Ids are ordered
 * by their string, which is the order used by deterministic encoding. Instances are immutable.
 */
public final class ReplicaId implements Comparable<ReplicaId> {

  /** The longest id accepted, in characters. */
  public static final int MAX_LENGTH = 128;

  private final String id;

  private ReplicaId(String id) {
    this.id = id;
  }

  /**
   * Returns the replica id with the given text.
   *
   * @throws IllegalArgumentException if {@code id} is empty, longer than {@value #MAX_LENGTH}
   *     characters, or contains a character outside printable ASCII {@code '!'..'~'}
   * @throws NullPointerException if {@code id} is null
   */
  public static ReplicaId of(String id) {
    String reason = validate(Objects.requireNonNull(id, "id"));
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    return new ReplicaId(id);
  }

  /** Returns why {@code id} is not a valid replica id, or null if it is. */
  public static String validate(String id) {
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      return "replica id must have 1 to " + MAX_LENGTH + " characters, got " + id.length();
    }
    for (int i = 0; i < id.length(); i++) {
      char ch = id.charAt(i);
      if (ch < '!' || ch > '~') {
        return "replica id may contain only printable ASCII without spaces, got char "
            + (int) ch
            + " at "
            + i;
      }
    }
    return null;
  }

  /** The id's text. */
  public String value() {
    return id;
  }

  @Override
  public int compareTo(ReplicaId other) {
    return id.compareTo(other.id);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReplicaId other && id.equals(other.id);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return id;
  }
}
