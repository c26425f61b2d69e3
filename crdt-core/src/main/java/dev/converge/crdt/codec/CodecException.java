package dev.converge.crdt.codec;

import java.util.Objects;

/**
 * The one exception the decoder raises for bytes it will not accept: truncated or malformed input,
 * an unknown type tag or format version, non-canonical encodings and inputs over a {@link
 * CodecLimits limit}. Decoding never fails with any other exception and never allocates in
 * proportion to a size the input merely claims.
 */
public final class CodecException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why input was rejected. */
  public enum Reason {
    /** Not the grammar of the format: wrong token, missing field, bad number, truncated input. */
    MALFORMED,
    /** A type tag or value tag that no registered type knows. */
    UNKNOWN_TYPE,
    /** A format version newer than this build reads. */
    UNSUPPORTED_VERSION,
    /** A well-formed value that breaks a rule of its type (order, range, duplicate). */
    INVALID,
    /** Input over a configured {@link CodecLimits limit}. */
    LIMIT_EXCEEDED
  }

  private final Reason reason;

  public CodecException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public CodecException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the input was rejected. */
  public Reason reason() {
    return reason;
  }

  @Override
  public String getMessage() {
    return reason + ": " + super.getMessage();
  }
}
