package dev.converge.crdt.codec;

import java.util.Comparator;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/** The value codecs {@link ValueCodec} offers. */
final class BuiltinValueCodecs {

  private BuiltinValueCodecs() {}

  static final ValueCodec<String> STRING =
      new Composed<>(
          "string", StateWriter::writeString, StateReader::readString, String::compareTo);

  static final ValueCodec<Long> LONG =
      new Composed<>("long", StateWriter::writeLong, StateReader::readLong, Long::compare);

  record Composed<E>(
      String tag,
      BiConsumer<StateWriter, E> writer,
      Function<StateReader, E> reader,
      Comparator<? super E> order)
      implements ValueCodec<E> {

    Composed {
      ValueCodec.checkTag(tag);
      Objects.requireNonNull(writer, "writer");
      Objects.requireNonNull(reader, "reader");
      Objects.requireNonNull(order, "order");
    }

    @Override
    public void write(StateWriter out, E value) {
      writer.accept(out, Objects.requireNonNull(value, "value"));
    }

    @Override
    public E read(StateReader in) {
      E value = reader.apply(in);
      if (value == null) {
        throw in.malformed("value codec " + tag + " read null");
      }
      return value;
    }

    @Override
    public int compare(E a, E b) {
      return order.compare(a, b);
    }

    @Override
    public String toString() {
      return "ValueCodec[" + tag + "]";
    }
  }
}
