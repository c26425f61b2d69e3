package dev.converge.crdt;

import java.util.Objects;

/**
 * A state together with its type, as the decoder returns it from bytes that name their type.
 *
 * @param <T> the CRDT type
 */
public record TypedState<T extends Crdt<T>>(CrdtType<T> type, T state) {

  public TypedState {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(state, "state");
  }

  /**
   * The join of this state and {@code other}, which must have the same type tag.
   *
   * @throws IllegalArgumentException if the tags differ
   */
  public TypedState<T> merge(TypedState<?> other) {
    T joined = state.merge(other.as(type));
    return joined == state ? this : new TypedState<>(type, joined);
  }

  /** Returns the state as a value of {@code expected}, which must have this state's tag. */
  public <U extends Crdt<U>> U as(CrdtType<U> expected) {
    if (!expected.tag().equals(type.tag())) {
      throw new IllegalArgumentException(
          "state has type " + type.tag() + ", expected " + expected.tag());
    }
    return expected.cast(state);
  }
}
