package dev.converge.crdt.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.converge.crdt.ReplicaId;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes one encoded state, in JSON or the binary format; what a {@code CrdtType} uses to encode. A
 * format must write fields and collections in a deterministic order (sorted), so that equal states
 * encode to equal bytes. Not thread-safe; valid only during one encode call.
 */
public final class StateWriter {

  private final JsonGenerator generator;

  StateWriter(JsonGenerator generator) {
    this.generator = generator;
  }

  public StateWriter startObject() {
    return run(JsonGenerator::writeStartObject);
  }

  public StateWriter endObject() {
    return run(JsonGenerator::writeEndObject);
  }

  public StateWriter startArray() {
    return run(JsonGenerator::writeStartArray);
  }

  public StateWriter endArray() {
    return run(JsonGenerator::writeEndArray);
  }

  /** Writes a field name; inside an object only. */
  public StateWriter field(String name) {
    return run(g -> g.writeFieldName(name));
  }

  /**
   * Writes a string.
   *
   * @throws IllegalArgumentException if it has an unpaired surrogate: such a string has no UTF-8
   *     encoding, so it could never be stored or shipped
   */
  public StateWriter writeString(String value) {
    if (!isWellFormed(value)) {
      throw new IllegalArgumentException("string is not well-formed Unicode (unpaired surrogate)");
    }
    return run(g -> g.writeString(value));
  }

  /** True if every surrogate in {@code s} is part of a high-low pair. */
  static boolean isWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  public StateWriter writeLong(long value) {
    return run(g -> g.writeNumber(value));
  }

  public StateWriter writeBoolean(boolean value) {
    return run(g -> g.writeBoolean(value));
  }

  public StateWriter writeReplicaId(ReplicaId replica) {
    return writeString(replica.value());
  }

  /** Writes {@code value} with {@code codec}. */
  public <E> StateWriter writeValue(ValueCodec<E> codec, E value) {
    codec.write(this, value);
    return this;
  }

  private interface Step {
    void run(JsonGenerator g) throws IOException;
  }

  private StateWriter run(Step step) {
    try {
      step.run(generator);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
