package dev.converge.sync;

import java.util.Objects;

/**
 * A node's gossip address.
 *
 * @param host host name or IP
 * @param port TCP port, 1–65535
 */
public record PeerAddress(String host, int port) {

  public PeerAddress {
    Objects.requireNonNull(host, "host");
    if (host.isBlank() || port < 1 || port > 65_535) {
      throw new IllegalArgumentException("bad address " + host + ":" + port);
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException if it is not of that form
   */
  public static PeerAddress parse(String text) {
    int colon = text == null ? -1 : text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("address must be host:port, got \"" + text + "\"");
    }
    try {
      return new PeerAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address must be host:port, got \"" + text + "\"", e);
    }
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
