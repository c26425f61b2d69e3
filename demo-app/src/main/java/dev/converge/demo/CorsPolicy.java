package dev.converge.demo;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Cross-origin access to {@code /api/*}: the page of one node reads and writes the API of the
 * others (the side-by-side panel), so the origins of every cluster member's page are allowed — the
 * HTTP URLs members gossip in their metadata, with their loopback aliases ({@code localhost},
 * {@code 127.0.0.1}, {@code [::1]}) when they are on loopback. Other origins get no CORS headers,
 * and their non-GET requests are refused with 403 so a foreign page cannot write blindly.
 */
final class CorsPolicy {

  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

  private final Supplier<Set<String>> memberUrls;

  /**
   * @param memberUrls the HTTP URLs of this node and every known member
   */
  CorsPolicy(Supplier<Set<String>> memberUrls) {
    this.memberUrls = memberUrls;
  }

  /** A route handler: adds CORS headers, answers preflights, refuses foreign writes. */
  void handle(RoutingContext ctx) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      ctx.next();
      return;
    }
    boolean allowed = allowedOrigins().contains(origin.toLowerCase(Locale.ROOT));
    HttpServerResponse response = ctx.response();
    response.putHeader(HttpHeaders.VARY, "Origin");
    boolean preflight =
        ctx.request().method() == HttpMethod.OPTIONS
            && ctx.request().getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
    if (!allowed) {
      if (preflight || ctx.request().method() != HttpMethod.GET) {
        ctx.fail(new ApiException(403, "origin " + origin + " is not a page of this cluster"));
      } else {
        ctx.next(); // the browser will not let the page read the answer
      }
      return;
    }
    response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if (preflight) {
      response
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE")
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type")
          .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
          .setStatusCode(204)
          .end();
      return;
    }
    ctx.next();
  }

  private Set<String> allowedOrigins() {
    Set<String> origins = new HashSet<>();
    for (String url : memberUrls.get()) {
      try {
        URI uri = new URI(url);
        if (uri.getHost() == null) {
          continue;
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        origins.add(uri.getScheme() + "://" + host + port);
        if (LOOPBACK_NAMES.contains(host)) {
          for (String alias : LOOPBACK_NAMES) {
            origins.add(uri.getScheme() + "://" + alias + port);
          }
        }
      } catch (URISyntaxException e) {
        // a member gossiped a bad URL: it allows nothing
      }
    }
    return origins;
  }
}
