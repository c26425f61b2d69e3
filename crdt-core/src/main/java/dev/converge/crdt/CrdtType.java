package dev.converge.crdt;

import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;

/**
 * Describes one CRDT type to the layers that store and ship it: its stable tag, its bottom value
 * and its encoding. Built-in types expose theirs ({@link GCounter#TYPE}, {@link ORSet#type}); a
 * user-defined type implements this interface and is registered with the codec's {@code
 * TypeRegistry}.
 *
 * <p>Contract:
 *
 * <ol>
 *   <li>{@link #tag} is stable forever once data was written with it; letters, digits, {@code -_.:}
 *       only.
 *   <li>{@link #empty} is the bottom of the lattice: {@code empty().merge(x).equals(x)}.
 *   <li>{@link #write} is deterministic: equal values produce equal output.
 *   <li>{@link #read} accepts every format version from 1 to {@link #version}, reads only through
 *       the {@link StateReader} and fails only with its exceptions.
 * </ol>
 *
 * @param <T> the CRDT type
 */
public interface CrdtType<T extends Crdt<T>> {

  /** The stable type tag written in front of every encoded value. */
  String tag();

  /** The format version written by {@link #write}. */
  int version();

  /** The bottom value: the state of a key nobody wrote yet. */
  T empty();

  /** The class of values of this type. */
  Class<?> valueClass();

  /** Writes the body of {@code value}. */
  void write(T value, StateWriter out);

  /** Reads a body written by format {@code version} ({@code 1 <= version <= version()}). */
  T read(StateReader in, int version);

  /** Returns {@code value} as a {@code T} if it is an instance of this type's value class. */
  @SuppressWarnings("unchecked")
  default T cast(Object value) {
    if (!valueClass().isInstance(value)) {
      throw new ClassCastException(
          "value of " + value.getClass().getName() + " is not a " + tag() + " state");
    }
    return (T) value;
  }
}
