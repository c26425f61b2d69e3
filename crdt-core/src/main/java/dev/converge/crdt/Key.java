package dev.converge.crdt;

import dev.converge.crdt.codec.ValueCodec;
import java.util.Objects;

/**
 * A typed name for one replicated value: the name addresses it on every node, the type says what it
 * holds and how it is encoded. Two keys are equal if their names and type tags are equal.
 * Immutable.
 *
 * <pre>{@code
 * Key<PNCounter> likes = Key.pnCounter("post:42:likes");
 * Key<ORSet<String>> likers = Key.orSet("post:42:likers", ValueCodec.string());
 * }</pre>
 *
 * @param <T> the CRDT type
 */
public final class Key<T extends Crdt<T>> {

  /** The longest name accepted, in characters. */
  public static final int MAX_NAME_LENGTH = 256;

  private final String name;
  private final CrdtType<T> type;

  private Key(String name, CrdtType<T> type) {
    this.name = name;
    this.type = type;
  }

  /**
   * A key named {@code name} holding values of {@code type}.
   *
   * @throws IllegalArgumentException if the name is empty, longer than {@value #MAX_NAME_LENGTH}
   *     characters, or has a control character
   */
  public static <T extends Crdt<T>> Key<T> of(String name, CrdtType<T> type) {
    String reason = validateName(Objects.requireNonNull(name, "name"));
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    return new Key<>(name, Objects.requireNonNull(type, "type"));
  }

  /** Returns why {@code name} is not a valid key name, or null if it is. */
  public static String validateName(String name) {
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      return "key name must have 1 to " + MAX_NAME_LENGTH + " characters, got " + name.length();
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        return "key name has a control character at " + i;
      }
    }
    return null;
  }

  public static Key<GCounter> gCounter(String name) {
    return of(name, GCounter.TYPE);
  }

  public static Key<PNCounter> pnCounter(String name) {
    return of(name, PNCounter.TYPE);
  }

  public static <E> Key<ORSet<E>> orSet(String name, ValueCodec<E> elements) {
    return of(name, ORSet.type(elements));
  }

  public static <V> Key<LWWRegister<V>> lwwRegister(String name, ValueCodec<V> values) {
    return of(name, LWWRegister.type(values));
  }

  public String name() {
    return name;
  }

  public CrdtType<T> type() {
    return type;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Key<?> other
        && name.equals(other.name)
        && type.tag().equals(other.type.tag());
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + type.tag().hashCode();
  }

  @Override
  public String toString() {
    return name + ":" + type.tag();
  }
}
