package dev.converge.crdt.codec;

import java.util.Comparator;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Encodes the element type of a collection CRDT (the elements of an {@code ORSet}, the value of an
 * {@code LWWRegister}) and orders its values, so encodings are sorted and deterministic.
 *
 * <p>Contract: (1) {@code read(write(v))} equals {@code v}; (2) {@link #compare} is a total order
 * consistent with {@code equals}; (3) {@link #tag} is stable forever once data was written with it:
 * it becomes part of the type tag of every encoded state ({@code "orset:string"}); (4) values of
 * {@code E} spread their {@code hashCode}s: k elements sharing one hash code cost O(k) per set
 * operation. (Strings are safe: sets hash them with a per-JVM secret key, whatever their {@code
 * hashCode}.)
 *
 * @param <E> the value type
 */
public interface ValueCodec<E> extends Comparator<E> {

  /** The stable tag; letters, digits, {@code -_.} only. */
  String tag();

  void write(StateWriter out, E value);

  E read(StateReader in);

  /** UTF-16 strings, bounded by {@link CodecLimits#maxStringLength()}; tag {@code string}. */
  static ValueCodec<String> string() {
    return BuiltinValueCodecs.STRING;
  }

  /** 64-bit signed integers; tag {@code long}. */
  static ValueCodec<Long> int64() {
    return BuiltinValueCodecs.LONG;
  }

  /** A codec from its parts. */
  static <E> ValueCodec<E> of(
      String tag,
      BiConsumer<StateWriter, E> writer,
      Function<StateReader, E> reader,
      Comparator<? super E> order) {
    return new BuiltinValueCodecs.Composed<>(tag, writer, reader, order);
  }

  /** Validates a tag; see {@link #tag()}. */
  static String checkTag(String tag) {
    Objects.requireNonNull(tag, "tag");
    if (tag.isEmpty() || tag.length() > 64 || !tag.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("bad value codec tag: \"" + tag + "\"");
    }
    return tag;
  }
}
