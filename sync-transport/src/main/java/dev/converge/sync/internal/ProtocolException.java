package dev.converge.sync.internal;

/**
 * A peer broke the wire protocol: a malformed or oversized frame, an unknown frame type, a failed
 * handshake. The connection that carried it is closed; nothing else is affected.
 */
public final class ProtocolException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
