package dev.converge.crdt.codec;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CodecException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * Encodes CRDT states to bytes and back: Jackson Smile, a binary JSON, for the wire and disk; JSON
 * for people. Thread-safe.
 *
 * <p>Every encoded value is the object {@code {"type": tag, "v": formatVersion, "state": body}},
 * with the body written by the type's {@link CrdtType#write}. Encoding is deterministic: equal
 * states produce equal bytes, so digests can be taken over bytes.
 *
 * <p>Decoding is the front door for untrusted bytes. It enforces {@link CodecLimits} while reading
 * and reports every rejection, whatever its cause, as a {@link CodecException}.
 */
public final class CrdtCodec {

  private static final CrdtCodec STANDARD =
      new CrdtCodec(TypeRegistry.builtins(), CodecLimits.defaults());

  private final TypeRegistry registry;
  private final CodecLimits limits;
  private final SmileFactory smile;
  private final JsonFactory json;

  /** A codec for the types of {@code registry}, rejecting input over {@code limits}. */
  public CrdtCodec(TypeRegistry registry, CodecLimits limits) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.limits = Objects.requireNonNull(limits, "limits");
    StreamReadConstraints constraints = constraints(limits);
    this.smile =
        SmileFactory.builder()
            .streamReadConstraints(constraints)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SmileGenerator.Feature.CHECK_SHARED_STRING_VALUES)
            .build();
    this.json =
        JsonFactory.builder()
            .streamReadConstraints(constraints)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
  }

  /** The built-in types with default limits. */
  public static CrdtCodec standard() {
    return STANDARD;
  }

  public TypeRegistry registry() {
    return registry;
  }

  public CodecLimits limits() {
    return limits;
  }

  /** This codec's types with other limits; {@code this} if they are equal. */
  public CrdtCodec withLimits(CodecLimits other) {
    return limits.equals(other) ? this : new CrdtCodec(registry, other);
  }

  /**
   * This codec reading states of at most {@code maxBytes} encoded bytes, with room for as many
   * items as such a state can hold (at least the current limit).
   */
  public CrdtCodec withMaxBytes(int maxBytes) {
    return withLimits(
        limits.withMaxBytes(maxBytes).withMaxItems(Math.max(limits.maxItems(), maxBytes / 4)));
  }

  private static StreamReadConstraints constraints(CodecLimits limits) {
    return StreamReadConstraints.builder()
        .maxDocumentLength(limits.maxBytes())
        .maxNestingDepth(limits.maxDepth())
        .maxStringLength(limits.maxStringLength())
        .maxNameLength(256)
        .maxNumberLength(32)
        .maxTokenCount(4L * limits.maxItems() + 64)
        .build();
  }

  /** Encodes {@code state} in the binary format. */
  public <T extends Crdt<T>> byte[] encode(CrdtType<T> type, T state) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    try (JsonGenerator generator = smile.createGenerator(out, JsonEncoding.UTF8)) {
      writeEnvelope(generator, type, state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Encodes a state that carries its type; see {@link #encode(CrdtType, Crdt)}. */
  public byte[] encode(TypedState<?> typed) {
    return encodeTyped(typed);
  }

  private <T extends Crdt<T>> byte[] encodeTyped(TypedState<T> typed) {
    return encode(typed.type(), typed.state());
  }

  /** Encodes {@code state} as compact JSON. */
  public <T extends Crdt<T>> String encodeJson(CrdtType<T> type, T state) {
    StringWriter out = new StringWriter();
    try (JsonGenerator generator = json.createGenerator(out)) {
      writeEnvelope(generator, type, state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static <T extends Crdt<T>> void writeEnvelope(
      JsonGenerator generator, CrdtType<T> type, T state) throws IOException {
    Objects.requireNonNull(state, "state");
    generator.writeStartObject();
    generator.writeStringField("type", type.tag());
    generator.writeNumberField("v", type.version());
    generator.writeFieldName("state");
    type.write(state, new StateWriter(generator));
    generator.writeEndObject();
  }

  /**
   * Decodes binary bytes whose type is named inside them.
   *
   * @throws CodecException if the bytes are malformed, of an unknown type or over a limit
   */
  public TypedState<?> decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** Decodes {@code length} binary bytes from {@code offset}; see {@link #decode(byte[])}. */
  public TypedState<?> decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (length > limits.maxBytes()) {
      throw new CodecException(
          Reason.LIMIT_EXCEEDED, length + " bytes over the limit of " + limits.maxBytes());
    }
    try (JsonParser parser = smile.createParser(bytes, offset, length)) {
      return readEnvelope(new StateReader(parser, limits, bytes, offset), length);
    } catch (IOException e) {
      throw new CodecException(Reason.MALFORMED, String.valueOf(e.getMessage()), e);
    }
  }

  /** Decodes binary bytes that must hold a state of {@code expected}. */
  public <T extends Crdt<T>> T decode(byte[] bytes, CrdtType<T> expected) {
    TypedState<?> decoded = decode(bytes);
    if (!decoded.type().tag().equals(expected.tag())) {
      throw new CodecException(
          Reason.INVALID, "expected type " + expected.tag() + ", got " + decoded.type().tag());
    }
    return expected.cast(decoded.state());
  }

  /** Decodes JSON text; see {@link #decode(byte[])}. */
  public TypedState<?> decodeJson(String text) {
    if (text.length() > limits.maxBytes()) {
      throw new CodecException(Reason.LIMIT_EXCEEDED, "JSON text over " + limits.maxBytes());
    }
    try (JsonParser parser = json.createParser(text)) {
      return readEnvelope(new StateReader(parser, limits, null, 0), -1);
    } catch (IOException e) {
      throw new CodecException(Reason.MALFORMED, String.valueOf(e.getMessage()), e);
    }
  }

  private TypedState<?> readEnvelope(StateReader in, int inputLength) {
    try {
      in.startObject();
      in.field("type");
      String tag = in.readString();
      CrdtType<?> type =
          registry
              .lookup(tag)
              .orElseThrow(
                  () ->
                      new CodecException(Reason.UNKNOWN_TYPE, "unknown type tag \"" + tag + "\""));
      in.field("v");
      long version = in.readLong();
      if (version < 1 || version > type.version()) {
        throw new CodecException(
            Reason.UNSUPPORTED_VERSION,
            "type "
                + tag
                + " format version "
                + version
                + ", this build reads 1.."
                + type.version());
      }
      in.field("state");
      TypedState<?> result = read(type, in, (int) version);
      in.endObject();
      in.expectEnd(inputLength);
      return result;
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException e) {
      // A type's own validation (IllegalArgumentException from a constructor) or a parser fault:
      // still a rejection of the input, reported the one way the contract allows.
      throw new CodecException(Reason.INVALID, String.valueOf(e.getMessage()), e);
    }
  }

  private static <T extends Crdt<T>> TypedState<T> read(CrdtType<T> type, StateReader in, int v) {
    return new TypedState<>(type, type.read(in, v));
  }
}
