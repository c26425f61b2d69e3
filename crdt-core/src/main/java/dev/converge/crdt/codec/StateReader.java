package dev.converge.crdt.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.codec.CodecException.Reason;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads one encoded state from untrusted bytes; what a {@code CrdtType} uses to decode. Every read
 * checks the token it expects and counts items against {@link CodecLimits#maxItems()}, so a format
 * written with these methods rejects malformed or oversized input with a {@link CodecException} and
 * nothing else. Not thread-safe; valid only during one decode call.
 *
 * <p>Fields are read in a fixed order ({@link #field}): formats write them in that order, and a
 * decoder that accepts one order only has one canonical encoding per value.
 */
public final class StateReader {

  private final JsonParser parser;
  private final CodecLimits limits;
  /* The raw input for the binary format (null for JSON): checked where Jackson is lenient. */
  private final byte[] input;
  private final int inputOffset;
  private final Map<String, ReplicaId> replicas = new HashMap<>();
  private JsonToken peeked;
  private long items;

  StateReader(JsonParser parser, CodecLimits limits, byte[] input, int inputOffset) {
    this.parser = parser;
    this.limits = limits;
    this.input = input;
    this.inputOffset = inputOffset;
  }

  /** The limits in force. */
  public CodecLimits limits() {
    return limits;
  }

  public void startObject() {
    expect(JsonToken.START_OBJECT);
  }

  public void endObject() {
    expect(JsonToken.END_OBJECT);
  }

  public void startArray() {
    expect(JsonToken.START_ARRAY);
  }

  public void endArray() {
    expect(JsonToken.END_ARRAY);
  }

  /** Reads the next field name and fails unless it is {@code name}. */
  public void field(String name) {
    expect(JsonToken.FIELD_NAME);
    String actual = text();
    if (!name.equals(actual)) {
      throw malformed("expected field \"" + name + "\", got \"" + actual + "\"");
    }
  }

  /**
   * Inside an array: true if another element follows (counted against {@code maxItems}), false
   * after consuming the closing bracket.
   */
  public boolean nextElement() {
    JsonToken token = next();
    if (token == JsonToken.END_ARRAY) {
      return false;
    }
    count();
    peeked = token;
    return true;
  }

  public String readString() {
    expect(JsonToken.VALUE_STRING);
    String value = text();
    if (value.length() > limits.maxStringLength()) {
      throw limit("string of " + value.length() + " chars over " + limits.maxStringLength());
    }
    if (!StateWriter.isWellFormed(value)) {
      throw invalid("string is not well-formed Unicode (unpaired surrogate)");
    }
    return value;
  }

  public long readLong() {
    expect(JsonToken.VALUE_NUMBER_INT);
    if (input != null) {
      checkSmileVarInt();
    }
    try {
      if (parser.getNumberType() != JsonParser.NumberType.INT
          && parser.getNumberType() != JsonParser.NumberType.LONG) {
        throw malformed("integer out of the range of a long");
      }
      return parser.getLongValue();
    } catch (IOException e) {
      throw translate(e);
    }
  }

  /*
   * Jackson's Smile parser folds a variable-length integer into a long without checking for
   * overflow: a 64-bit VInt (token 0x25) has at most 10 bytes and 64 value bits, so a 10-byte one
   * must leave the top 5 of its first byte's 7 bits clear. The same for 32-bit ones (0x24, 5 bytes).
   */
  private void checkSmileVarInt() {
    long at = parser.currentTokenLocation().getByteOffset(); // absolute index into input
    if (at < 0 || at >= input.length) {
      return;
    }
    int token = input[(int) at] & 0xFF;
    if (token != 0x24 && token != 0x25) {
      return;
    }
    int first = (int) at + 1;
    int end = first;
    while (end < input.length && (input[end] & 0x80) == 0) {
      end++;
    }
    int bytes = end - first + 1;
    int maxBytes = token == 0x25 ? 10 : 5;
    int excessMask = token == 0x25 ? 0x7C : 0x60;
    if (bytes > maxBytes || (bytes == maxBytes && (input[first] & excessMask) != 0)) {
      throw malformed("integer overflows its " + (token == 0x25 ? 64 : 32) + " bits");
    }
  }

  /** Reads a long and fails unless {@code min <= value <= max}. */
  public long readLong(long min, long max) {
    long value = readLong();
    if (value < min || value > max) {
      throw invalid("number " + value + " outside [" + min + ", " + max + "]");
    }
    return value;
  }

  public boolean readBoolean() {
    JsonToken token = next();
    if (token == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (token == JsonToken.VALUE_FALSE) {
      return false;
    }
    throw malformed("expected a boolean, got " + token);
  }

  /** Reads a replica id; equal ids within one decode share one instance. */
  public ReplicaId readReplicaId() {
    String text = readString();
    ReplicaId cached = replicas.get(text);
    if (cached != null) {
      return cached;
    }
    String reason = ReplicaId.validate(text);
    if (reason != null) {
      throw invalid(reason);
    }
    ReplicaId id = ReplicaId.of(text);
    replicas.put(text, id);
    return id;
  }

  /** Reads a value with {@code codec}. */
  public <E> E readValue(ValueCodec<E> codec) {
    return codec.read(this);
  }

  /** An exception for input that breaks the format's grammar, with the input position. */
  public CodecException malformed(String message) {
    return new CodecException(Reason.MALFORMED, message + at());
  }

  /** An exception for a well-formed value that breaks a rule of its type. */
  public CodecException invalid(String message) {
    return new CodecException(Reason.INVALID, message + at());
  }

  CodecException limit(String message) {
    return new CodecException(Reason.LIMIT_EXCEEDED, message + at());
  }

  /** Fails unless the input is exhausted: no token, and (binary) no byte left unread. */
  void expectEnd(int inputLength) {
    JsonToken token = next();
    if (token != null) {
      throw malformed("trailing data after the value: " + token);
    }
    if (input != null) {
      long consumed = parser.currentLocation().getByteOffset() - inputOffset;
      if (consumed != inputLength) {
        throw malformed("trailing bytes after the value: read " + consumed + " of " + inputLength);
      }
    }
  }

  private void count() {
    if (++items > limits.maxItems()) {
      throw limit("more than " + limits.maxItems() + " items");
    }
  }

  private void expect(JsonToken expected) {
    JsonToken token = next();
    if (token != expected) {
      throw malformed("expected " + expected + ", got " + (token == null ? "end of input" : token));
    }
    if (expected == JsonToken.FIELD_NAME) {
      count();
    }
  }

  private JsonToken next() {
    if (peeked != null) {
      JsonToken token = peeked;
      peeked = null;
      return token;
    }
    try {
      return parser.nextToken();
    } catch (IOException e) {
      throw translate(e);
    }
  }

  private String text() {
    try {
      return parser.getText();
    } catch (IOException e) {
      throw translate(e);
    }
  }

  private String at() {
    return " (at byte " + parser.currentTokenLocation().getByteOffset() + ")";
  }

  CodecException translate(IOException e) {
    if (e instanceof StreamConstraintsException) {
      return new CodecException(
          Reason.LIMIT_EXCEEDED,
          String.valueOf(((StreamConstraintsException) e).getOriginalMessage()),
          e);
    }
    return new CodecException(Reason.MALFORMED, String.valueOf(e.getMessage()), e);
  }
}
