package dev.converge.demo;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may call {@code /admin/*}. Without a token: loopback clients only. With a token: any client
 * that sends {@code Authorization: Bearer <token>}. In both cases a browser request must be
 * same-origin (its {@code Origin}, if any, names this server), so a page of another site cannot
 * partition the node through a visitor's browser.
 */
final class AdminGuard {

  private final byte[] token;

  /**
   * @param token the admin token, or null for loopback-only access
   */
  AdminGuard(String token) {
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @throws ApiException 401 or 403 if {@code request} may not use admin endpoints
   */
  void check(HttpServerRequest request) {
    if (token == null) {
      if (!isLoopback(request.remoteAddress())) {
        throw new ApiException(
            403,
            "admin endpoints answer loopback clients only; start the node with --admin-token to"
                + " allow remote ones");
      }
    } else {
      String header = request.getHeader(HttpHeaders.AUTHORIZATION);
      byte[] given =
          header != null && header.startsWith("Bearer ")
              ? header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8)
              : new byte[0];
      if (!MessageDigest.isEqual(given, token)) {
        request.response().putHeader("WWW-Authenticate", "Bearer");
        throw new ApiException(401, "admin endpoints need 'Authorization: Bearer <admin token>'");
      }
    }
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin != null && !sameOrigin(origin, request.getHeader(HttpHeaders.HOST))) {
      throw new ApiException(403, "admin endpoints refuse cross-origin requests");
    }
  }

  /** True if {@code address} is an IP address of the loopback interface. */
  static boolean isLoopback(SocketAddress address) {
    if (address == null || address.hostAddress() == null) {
      return false;
    }
    String ip = address.hostAddress();
    if (!ip.matches("[0-9a-fA-F:.%]+")) {
      return false; // not an IP literal: never resolve names here
    }
    try {
      return InetAddress.getByName(ip).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    try {
      URI uri = new URI(origin);
      return "http".equals(uri.getScheme())
          && uri.getRawAuthority() != null
          && uri.getRawAuthority().equalsIgnoreCase(host);
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
