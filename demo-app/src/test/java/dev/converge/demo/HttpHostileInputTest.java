package dev.converge.demo;

import static dev.converge.demo.RawHttp.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.demo.DemoCluster.Response;
import dev.converge.demo.RawHttp.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and oversized requests against every route of a real node (started with an admin token,
 * so the admin routes are reachable and their refusals testable): each gets a 4xx with a JSON
 * {@code {"error": ...}} body, never a 5xx, never silence. Raw-socket garbage gets a 4xx or a
 * closed connection. After every test the node still serves, a normal write and read work, the
 * posts written before the barrage are unchanged, nothing was partitioned, the node has not left
 * the cluster (no hostile request to {@code /admin/leave} may pass for a leave), and {@code
 * /metrics} counts no 5xx.
 *
 * <p>Hangs are caught by the clients' timeouts ({@link #HANG}, {@link RawHttp#TIMEOUT}): a request
 * that gets neither an answer nor a close within it fails. No duration is asserted.
 *
 * <p>One answer is neither a 4xx nor JSON: a request line naming an HTTP version other than 1.0 or
 * 1.1 gets an empty 501 and a close from Vert.x itself, before any handler of the demo runs.
 */
class HttpHostileInputTest {

  private static final String TOKEN = "hostile-input-admin-token";
  private static final Map<String, String> ADMIN = Map.of("Authorization", "Bearer " + TOKEN);

  /** Longest wait for an answer; far above what it takes, so never the flaky part. */
  private static final Duration HANG = Duration.ofSeconds(30);

  private static final int LIMIT = (int) HttpApi.MAX_BODY_BYTES;
  private static final long SEED = 20_261_122L;
  private static final int ANY_4XX = -1;

  /** Posts written on purpose: "probe" after every test, "scratch" by requests that may write. */
  private static final Set<String> DELIBERATE = Set.of("probe", "scratch");

  private static final Pattern REQUEST_COUNT =
      Pattern.compile(
          "converge_http_requests_total\\{route=\"(.*)\",method=\"(.*)\",status=\"(\\d+)\"} (\\d+)");

  /** Requests made through {@link #send}: hostile ones and the checks between them. */
  private static final AtomicInteger SENT = new AtomicInteger();

  private static DemoCluster cluster;
  private static String url;
  private static int port;
  private static JsonArray seeded;
  private static int probeLikes;

  /** What a route reads besides its path. */
  private enum Reads {
    NOTHING,
    CONSISTENCY,
    TITLE_BODY,
    PEERS_BODY,
    NODE_ID_BODY,
    /** A route that refuses any body ({@code /admin/leave}: a stray body must not make it act). */
    NO_BODY
  }

  /** A route of {@link HttpApi#router()}, with {@code {id}} and {@code {user}} placeholders. */
  private record Route(String method, String template, Reads reads) {

    boolean admin() {
      return template.startsWith("/admin/");
    }

    boolean readsConsistency() {
      return reads != Reads.NOTHING && reads != Reads.NO_BODY && !admin();
    }

    /** The path with a seeded post and liker, so that a write that slips through shows. */
    String path() {
      return with("alpha", "alice");
    }

    String with(String id, String user) {
      return template.replace("{id}", id).replace("{user}", user);
    }

    Map<String, String> headers() {
      return admin() ? ADMIN : Map.of();
    }

    @Override
    public String toString() {
      return method + " " + template;
    }
  }

  private static final List<Route> ROUTES =
      List.of(
          new Route("GET", "/api/posts", Reads.CONSISTENCY),
          new Route("GET", "/api/posts/{id}", Reads.CONSISTENCY),
          new Route("POST", "/api/posts/{id}/like", Reads.CONSISTENCY),
          new Route("POST", "/api/posts/{id}/unlike", Reads.CONSISTENCY),
          new Route("POST", "/api/posts/{id}/view", Reads.CONSISTENCY),
          new Route("PUT", "/api/posts/{id}/title", Reads.TITLE_BODY),
          new Route("PUT", "/api/posts/{id}/likers/{user}", Reads.CONSISTENCY),
          new Route("DELETE", "/api/posts/{id}/likers/{user}", Reads.CONSISTENCY),
          new Route("GET", "/api/cluster", Reads.NOTHING),
          new Route("GET", "/api/events", Reads.NOTHING),
          new Route("POST", "/admin/partition", Reads.PEERS_BODY),
          new Route("POST", "/admin/heal", Reads.NOTHING),
          new Route("POST", "/admin/leave", Reads.NO_BODY),
          new Route("POST", "/admin/remove", Reads.NODE_ID_BODY),
          new Route("GET", "/health", Reads.NOTHING),
          new Route("GET", "/metrics", Reads.NOTHING),
          new Route("GET", "/index.html", Reads.NOTHING));

  private static final Route STATIC = ROUTES.get(ROUTES.size() - 1);

  static Stream<Route> routes() {
    return ROUTES.stream();
  }

  static Stream<Route> routesWithId() {
    return ROUTES.stream().filter(r -> r.template().contains("{id}"));
  }

  static Stream<Route> routesWithUser() {
    return ROUTES.stream().filter(r -> r.template().contains("{user}"));
  }

  static Stream<Route> routesWithConsistency() {
    return ROUTES.stream().filter(Route::readsConsistency);
  }

  static Stream<Route> routesWithJsonBody() {
    return ROUTES.stream()
        .filter(
            r ->
                r.reads() == Reads.TITLE_BODY
                    || r.reads() == Reads.PEERS_BODY
                    || r.reads() == Reads.NODE_ID_BODY);
  }

  /* ================================================================ lifecycle */

  @BeforeAll
  static void startNodeAndSeedPosts() {
    cluster = DemoCluster.start(1, config -> config.withAdminToken(TOKEN));
    url = cluster.url(0);
    port = cluster.node(0).httpPort();
    for (int i = 0; i < 3; i++) {
      ok(send("POST", "/api/posts/alpha/like", null, Map.of()));
    }
    ok(send("POST", "/api/posts/alpha/unlike", null, Map.of()));
    ok(send("POST", "/api/posts/alpha/view", null, Map.of()));
    ok(send("PUT", "/api/posts/alpha/likers/alice", null, Map.of()));
    ok(send("PUT", "/api/posts/alpha/likers/bob", null, Map.of()));
    ok(send("PUT", "/api/posts/alpha/title", json("{\"title\": \"Alpha\"}"), Map.of()));
    // A title outside the BMP: a well-formed surrogate pair stays accepted.
    ok(
        send(
            "PUT",
            "/api/posts/beta/title",
            json("{\"title\": \"B\\u00e9ta \\ud83d\\ude00\"}"),
            Map.of()));
    ok(send("PUT", "/api/posts/beta/likers/carol", null, Map.of()));
    ok(send("POST", "/api/posts/gamma/view", null, Map.of()));
    seeded = send("GET", "/api/posts", null, Map.of()).jsonArray();
    assertThat(seeded.stream().map(p -> ((JsonObject) p).getString("id")))
        .containsExactly("alpha", "beta", "gamma");
    assertThat(seeded.getJsonObject(0).getLong("likes")).isEqualTo(2);
    assertThat(seeded.getJsonObject(1).getString("title")).isEqualTo("B\u00e9ta \ud83d\ude00");
  }

  @AfterAll
  static void stopNode() {
    System.getLogger(HttpHostileInputTest.class.getName())
        .log(
            System.Logger.Level.INFO,
            "requests sent: {0} over java.net.http (hostile and checks), {1} over raw sockets",
            SENT.get(),
            RawHttp.sent());
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The node serves, a write works, the seeded data is unchanged, metrics count no 5xx. */
  @AfterEach
  void nodeStillServesAndDataIsUnchanged() {
    assertThat(ok(send("GET", "/health", null, Map.of())))
        .isEqualTo(new JsonObject().put("status", "ok").put("node", "n1"));
    probeLikes++;
    assertThat(ok(send("POST", "/api/posts/probe/like", null, Map.of())).getLong("likes"))
        .as("a normal write after the barrage")
        .isEqualTo(probeLikes);
    assertThat(ok(send("GET", "/api/posts/probe", null, Map.of())).getLong("likes"))
        .isEqualTo(probeLikes);

    assertThat(undeliberate(send("GET", "/api/posts", null, Map.of()).jsonArray()))
        .as("posts other than " + DELIBERATE)
        .isEqualTo(seeded);
    JsonObject view = ok(send("GET", "/api/cluster", null, Map.of()));
    assertThat(view.getJsonArray("partitioned")).as("partitioned peers").isEmpty();
    assertThat(view.getString("status")).as("the node's own status").isEqualTo("up");

    String metrics = send("GET", "/metrics", null, Map.of()).body();
    List<String> counted = new ArrayList<>();
    for (String line : metrics.split("\n")) {
      Matcher m = REQUEST_COUNT.matcher(line);
      if (m.matches()) {
        counted.add(m.group(3));
        assertThat(m.group(3)).as("a request counted in /metrics: " + line).doesNotStartWith("5");
      }
    }
    assertThat(counted).as("statuses counted in /metrics").contains("400");
  }

  /* ================================================================ bodies */

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void bodiesOverTheLimitAreRefused(Route route) {
    byte[] justOver = filler(LIMIT + 1);
    for (BodyPublisher body :
        List.of(
            BodyPublishers.ofByteArray(justOver),
            BodyPublishers.ofByteArray(filler(1024 * 1024)),
            // unknown length: java.net.http sends it chunked
            BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(justOver)))) {
      assertTooLarge(send(route.method(), route.path(), body, route.headers()));
    }

    String head = route.method() + " " + route.path() + " HTTP/1.1\r\nHost: x\r\n" + auth(route);
    // A Content-Length far over the limit, then only a few bytes: refused before the body.
    assertTooLarge(
        RawHttp.exchange(port, bytes(head + "Content-Length: 10000000\r\n\r\n{\"title\":")));
    assertTooLarge(
        RawHttp.exchange(
            port, bytes(head + "Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n")));
    // Chunked, 1 KiB at a time, past the limit.
    String chunks = ("400\r\n" + "y".repeat(1024) + "\r\n").repeat(LIMIT / 1024 + 2) + "0\r\n\r\n";
    assertTooLarge(
        RawHttp.exchange(port, bytes(head + "Transfer-Encoding: chunked\r\n\r\n" + chunks)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void aRefusedOrIgnoredBodyDoesNotStallTheConnection(Route route) throws IOException {
    // Two requests on one connection: the first has a body the route does not want (too large, or
    // a body on a GET), the second must still be answered (or the connection closed).
    String head =
        route.method()
            + " "
            + route.with("scratch", "someone")
            + " HTTP/1.1\r\nHost: x\r\n"
            + auth(route);
    // (A small body on /api/events opens the stream, which never ends: only refused ones there.)
    List<Integer> sizes =
        route.template().equals("/api/events")
            ? List.of(LIMIT + 1, 4 * LIMIT)
            : List.of(100, LIMIT + 1, 4 * LIMIT);
    for (int size : sizes) {
      try (Socket socket = RawHttp.open(port)) {
        RawHttp.write(
            socket,
            bytes(
                head
                    + "Content-Length: "
                    + size
                    + "\r\n\r\n"
                    + "b".repeat(size)
                    + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
        Answer first = RawHttp.read(socket.getInputStream(), false);
        if (size > LIMIT) {
          assertTooLarge(first);
        } else {
          assertThat(first.status()).as(route + ": " + first).isLessThan(500);
        }
        Answer second = RawHttp.read(socket.getInputStream(), false);
        if (!second.closedWithoutAnswer()) {
          assertThat(second.status()).as(route + ", then GET /health: " + second).isEqualTo(200);
        }
      }
    }
  }

  static Stream<String> malformedJson() {
    return Stream.of(
        "{",
        "}",
        "{\"title\": ",
        "nope",
        "{'title': 'single quotes'}",
        "{title: \"unquoted key\"}",
        "{\"title\": \"x\",}",
        "{\"title\": \"x\"} trailing",
        "{\"title\": \"x\"}{\"title\": \"y\"}",
        "{\"title\": NaN}",
        "{\"title\": 1e999999999}",
        "{\"title\": \"unterminated}",
        "{\"title\": \"bad escape \\q\"}",
        "\u0000\u0000\u0000",
        "[".repeat(LIMIT - 1),
        "{\"a\":".repeat(LIMIT / 5 - 1));
  }

  static Stream<String> jsonOfTheWrongShape() {
    return Stream.of("", " ", "[1, 2]", "\"just a string\"", "42", "null", "true", "{}");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routesWithJsonBody")
  void malformedJsonBodiesAreRefused(Route route) {
    for (String body : Stream.concat(malformedJson(), jsonOfTheWrongShape()).toList()) {
      assertApiError(send(route.method(), route.path(), json(body), route.headers()), 400, null);
    }
    // Bytes that are not UTF-8.
    for (byte[] body :
        List.of(
            new byte[] {
              '{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"', (byte) 0xC3, '(', '"', '}'
            },
            new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'})) {
      assertApiError(
          send(route.method(), route.path(), BodyPublishers.ofByteArray(body), route.headers()),
          400,
          null);
    }
  }

  @Test
  void titlesOfTheWrongTypeOrContentAreRefused() {
    String path = "/api/posts/alpha/title";
    for (String body :
        List.of(
            "{\"title\": 42}",
            "{\"title\": null}",
            "{\"title\": [\"a\"]}",
            "{\"title\": {\"text\": \"a\"}}",
            "{\"title\": true}",
            "{\"Title\": \"wrong case\"}",
            "{\"titel\": \"misspelt\"}",
            "{\"title\": \"" + "x".repeat(Posts.MAX_TITLE_LENGTH + 1) + "\"}",
            // 101 characters outside the BMP are 202 UTF-16 units
            "{\"title\": \"" + "\ud83d\ude00".repeat(101) + "\"}",
            "{\"title\": \"a\\u0000b\"}",
            "{\"title\": \"line\\nbreak\"}",
            "{\"title\": \"bell\\u0007\"}",
            "{\"title\": \"lone high \\ud800\"}",
            "{\"title\": \"lone low \\udc00 surrogate\"}",
            "{\"title\": \"reversed \\ude00\\ud83d\"}")) {
      assertApiError(send("PUT", path, json(body), Map.of()), 400, "title");
    }
  }

  @Test
  void partitionBodiesOfTheWrongShapeAreRefused() {
    List<String> tooMany = new ArrayList<>();
    for (int i = 0; i <= HttpApi.MAX_PARTITION_PEERS; i++) {
      tooMany.add("peer-" + i);
    }
    for (String body :
        List.of(
            "{\"peers\": null}",
            "{\"peers\": \"n2\"}",
            "{\"peers\": []}",
            "{\"peers\": {}}",
            "{\"peers\": [1]}",
            "{\"peers\": [null]}",
            "{\"peers\": [\"\"]}",
            "{\"peers\": [\"a b\"]}",
            "{\"peers\": [\"n2\", \"a/b\"]}",
            "{\"peers\": [\"\\u00fc\"]}",
            "{\"peers\": [\"" + "p".repeat(65) + "\"]}",
            "{\"peers\": [[\"n2\"]]}",
            "{\"peers\": [{\"id\": \"n2\"}]}",
            "{\"peers\": [\"n1\"]}",
            "{\"peers\": [\"n2\", \"n1\"]}",
            "{\"peer\": [\"n2\"]}",
            new JsonObject().put("peers", new JsonArray(tooMany)).encode())) {
      assertApiError(send("POST", "/admin/partition", json(body), ADMIN), 400, null);
    }
  }

  @Test
  void removeBodiesOfTheWrongShapeAreRefused() {
    for (String body :
        List.of(
            "{\"nodeId\": null}",
            "{\"nodeId\": 42}",
            "{\"nodeId\": true}",
            "{\"nodeId\": [\"n2\"]}",
            "{\"nodeId\": {\"id\": \"n2\"}}",
            "{\"nodeId\": \"\"}",
            "{\"nodeId\": \"a b\"}",
            "{\"nodeId\": \"a/b\"}",
            "{\"nodeId\": \"..\\/n2\"}",
            "{\"nodeId\": \"\\u00fc\"}",
            "{\"nodeId\": \"n2\\u0000\"}",
            "{\"nodeId\": \"" + "n".repeat(65) + "\"}",
            "{\"nodeid\": \"n2\"}",
            "{\"node\": \"n2\"}",
            "{\"peers\": [\"n2\"]}")) {
      assertApiError(send("POST", "/admin/remove", json(body), ADMIN), 400, "nodeId");
    }
    // This node itself: 400, a leave is the way out. A well-formed id no member has: 404.
    assertApiError(
        send("POST", "/admin/remove", json("{\"nodeId\": \"n1\"}"), ADMIN), 400, "itself");
    for (String id : List.of("n2", "N1", "n1.", "-", "x".repeat(64))) {
      assertApiError(
          send("POST", "/admin/remove", json("{\"nodeId\": \"" + id + "\"}"), ADMIN),
          404,
          "no current member");
    }
  }

  @Test
  void leaveRefusesEveryBody() {
    // An empty body is the one request that makes the node leave: never sent here.
    List<String> bodies =
        Stream.concat(malformedJson(), jsonOfTheWrongShape()).filter(b -> !b.isEmpty()).toList();
    for (String body : bodies) {
      assertApiError(send("POST", "/admin/leave", json(body), ADMIN), 400, "no body");
    }
    byte[] one = {'x'};
    assertApiError(
        send(
            "POST",
            "/admin/leave",
            BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(one)),
            ADMIN),
        400,
        "no body");
  }

  /* ================================================================ ids and user names */

  /** Bad names java.net.URI can carry (percent-encoded where needed). */
  private static final List<String> BAD_NAMES =
      List.of(
          "a".repeat(65),
          "a%20b",
          "a:b",
          "a+b",
          "a~b",
          "a*b",
          "a,b",
          "a;b",
          "a@b",
          "%00",
          "%0A",
          "%0D%0A",
          "%7F",
          "%C3%BC",
          "%F0%9F%98%80",
          "%E2%80%AE",
          "%EF%BB%BF",
          "%FF",
          "%FE%FF",
          "%C0%AF",
          "%ED%A0%80",
          "%25ZZ",
          "%25",
          "a%2Fb",
          "%2e%2e%2fx",
          "%5C..%5C");

  /** Bad names java.net.URI refuses to carry: sent over a raw socket. */
  private static final List<String> RAW_BAD_NAMES =
      List.of(
          "%ZZ", "%", "%0", "%G0", "a%", "\u00c3\u00bc", "a\u0001b", "a\u007fb", "a\"b", "a<b>");

  @ParameterizedTest(name = "{0}")
  @MethodSource("routesWithId")
  void invalidPostIdsAreRefused(Route route) {
    for (String id : BAD_NAMES) {
      assertApiError(
          send(route.method(), route.with(id, "alice"), bodyFor(route), route.headers()),
          400,
          null);
    }
    for (String id : RAW_BAD_NAMES) {
      assertApiError(raw(route.method(), route.with(id, "alice"), route), 400, null);
    }
    // Empty: "/api/posts/" reads the id "", "//" is refused as an empty segment.
    assertApiError(
        send(route.method(), route.with("", "alice"), bodyFor(route), route.headers()), 400, null);
    // Dot segments are valid names but normalised away by the router: some 4xx, never a write.
    for (String id : List.of(".", "..", "%2e", "%2E%2E")) {
      assertApiError(
          send(route.method(), route.with(id, "alice"), bodyFor(route), route.headers()),
          ANY_4XX,
          null);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routesWithUser")
  void invalidUserNamesAreRefused(Route route) {
    for (String user : BAD_NAMES) {
      assertApiError(
          send(route.method(), route.with("alpha", user), null, Map.of()), 400, "user name");
    }
    for (String user : RAW_BAD_NAMES) {
      assertApiError(raw(route.method(), route.with("alpha", user), route), 400, null);
    }
    assertApiError(send(route.method(), route.with("alpha", ""), null, Map.of()), 400, "user name");
    assertApiError(
        send(route.method(), route.with("alpha", "alice/extra"), null, Map.of()), 404, null);
  }

  @Test
  void anIdJustUnderTheRequestLineLimitIsABadId() {
    // 4000 characters: the request line is under Vert.x's 4096 bytes, the id over 64.
    assertApiError(send("GET", "/api/posts/" + "i".repeat(4000), null, Map.of()), 400, "post id");
  }

  /* ================================================================ consistency and query */

  private static final List<String> BAD_CONSISTENCY =
      List.of(
          "",
          "two",
          "MAJORITY",
          "Local",
          "%20local",
          "local%20",
          "local%00",
          "quorum",
          "0",
          "1",
          "2",
          "-1",
          "99999999999999999999",
          "majority:1s",
          "majority,all",
          "all%3Btimeout%3D1",
          "majority%26timeout%3D1",
          "%C3%BC",
          "x".repeat(3000));

  @ParameterizedTest(name = "{0}")
  @MethodSource("routesWithConsistency")
  void invalidConsistencyIsRefused(Route route) {
    List<String> queries = new ArrayList<>();
    BAD_CONSISTENCY.forEach(level -> queries.add("consistency=" + level));
    queries.add("consistency");
    queries.add("consistency=local&consistency=all");
    queries.add("consistency=local&consistency=local");
    queries.add("timeout=1&consistency=eventually");
    for (String query : queries) {
      assertApiError(
          send(route.method(), route.path() + "?" + query, bodyFor(route), route.headers()),
          400,
          "consistency");
    }
    for (String query : List.of("consistency=%ZZ", "consistency=%", "%ZZ=local", "a=%G1")) {
      assertApiError(raw(route.method(), route.path() + "?" + query, route), 400, null);
    }
  }

  @Test
  void readsIgnoreUnknownQueryParameters() {
    // The API has no timeout parameter (quorums wait HttpApi.QUORUM_TIMEOUT): it is ignored.
    for (String query :
        List.of(
            "timeout=-1", "timeout=0&consistency=majority", "foo=%00&bar", "consistency=all&x=")) {
      Response post = send("GET", "/api/posts/alpha?" + query, null, Map.of());
      assertThat(ok(post)).isEqualTo(seeded.getJsonObject(0));
      assertThat(undeliberate(send("GET", "/api/posts?" + query, null, Map.of()).jsonArray()))
          .isEqualTo(seeded);
    }
  }

  /* ================================================================ methods and paths */

  private static final List<String> METHODS =
      List.of(
          "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "PROPFIND");

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void wrongMethodsAre405(Route route) {
    Set<String> allowed = new HashSet<>();
    for (Route r : ROUTES) {
      if (r.path().equals(route.path())) {
        allowed.add(r.method());
      }
    }
    for (String method : METHODS) {
      if (allowed.contains(method)) {
        continue;
      }
      Response r = send(method, route.path(), null, route.headers());
      if (method.equals("HEAD")) {
        assertThat(r.status()).as("HEAD " + route.path() + ": " + r).isEqualTo(405);
        assertThat(r.contentType()).startsWith("application/json");
      } else {
        assertApiError(r, 405, null);
      }
    }
    assertApiError(raw("CONNECT", route.path(), route), 405, null);
  }

  @Test
  void unknownPathsAre404() {
    for (String path :
        List.of(
            "/api",
            "/api/",
            "/api/nope",
            "/api/posts/alpha/nope",
            "/api/posts/alpha/likers",
            "/api/posts/alpha/likers/alice/extra",
            "/api/posts/alpha/like/extra",
            "/api/clusters",
            "/admin",
            "/admin/",
            "/admin/nope",
            "/admin/partition/extra",
            "/admin/leave/extra",
            "/admin/leave/",
            "/admin/remove/extra",
            "/health/",
            "/health/extra",
            "/healthz",
            "/metrics/extra",
            "/nope.html",
            "/webroot/index.html",
            "/..%2f..%2fetc%2fpasswd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/%00",
            "/index.html%00.js",
            "/" + "d/".repeat(500))) {
      assertApiError(send("GET", path, null, Map.of()), 404, null);
      // The static route takes GET only: another method on what could be a file is a 405.
      assertApiError(send("POST", path, json("{}"), ADMIN), Set.of(404, 405), null);
    }
    for (String path :
        List.of("/../../etc/passwd", "/..\\..\\etc\\passwd", "*", "api/posts", "//etc/passwd")) {
      assertApiError(raw("GET", path, STATIC), 404, null);
    }
  }

  /* ================================================================ huge URLs and headers */

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void hugeUrlsAndHeadersAreRefused(Route route) {
    String line = route.method() + " " + route.path();
    String rest = " HTTP/1.1\r\nHost: x\r\n" + auth(route);
    Answer longUrl =
        RawHttp.exchange(port, bytes(line + "?pad=" + "u".repeat(8_000) + rest + "\r\n"));
    assertApiError(longUrl, 414, "request line");
    assertApiError(
        RawHttp.exchange(port, bytes(line + "/" + "p".repeat(60_000) + rest + "\r\n")),
        414,
        "request line");

    Answer bigHeader =
        RawHttp.exchange(port, bytes(line + rest + "X-Big: " + "h".repeat(16_000) + "\r\n\r\n"));
    assertApiError(bigHeader, 431, "headers");
    StringBuilder many = new StringBuilder(line + rest);
    for (int i = 0; i < 3_000; i++) {
      many.append("X-Many-").append(i).append(": v\r\n");
    }
    assertApiError(RawHttp.exchange(port, bytes(many + "\r\n")), 431, "headers");
    assertApiError(
        RawHttp.exchange(
            port,
            bytes(
                line
                    + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + "t".repeat(9_000)
                    + "\r\n\r\n")),
        431,
        "headers");
  }

  /* ================================================================ raw garbage */

  /** What a raw request must get. */
  private enum Expect {
    /** The given 4xx status with a JSON error. */
    JSON_4XX,
    /** Any 4xx, or the connection closed without an answer. */
    REFUSED,
    /** Anything but a 5xx, and JSON if a 4xx: requests that are odd rather than invalid. */
    NOT_5XX,
    /** 501 from Vert.x core (an HTTP version it does not speak), then the connection closes. */
    UNSUPPORTED_VERSION
  }

  private record RawCase(
      String name, byte[] request, Expect expect, int status, boolean halfClose) {
    static RawCase of(String name, String request, Expect expect, int status) {
      return new RawCase(name, bytes(request), expect, status, false);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<RawCase> rawCases() {
    String h = "Host: x\r\n";
    String title = "PUT /api/posts/alpha/title HTTP/1.1\r\n" + h;
    String like = "POST /api/posts/alpha/like HTTP/1.1\r\n" + h;
    Random random = new Random(SEED);
    byte[] binary = new byte[4096];
    random.nextBytes(binary);
    byte[] tlsHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
    List<RawCase> cases =
        new ArrayList<>(
            List.of(
                RawCase.of("nonsense request line", "HELLO WORLD\r\n\r\n", Expect.JSON_4XX, 400),
                RawCase.of("method only", "GET\r\n\r\n", Expect.JSON_4XX, 400),
                RawCase.of(
                    "four words",
                    "GET /health HTTP/1.1 extra\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "version without numbers",
                    "GET /health HTTP/x.y\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "version without minor",
                    "GET /health HTTP/1\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "version with three parts",
                    "GET /health HTTP/1.1.1\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "HTTP/9.9",
                    "GET /health HTTP/9.9\r\n" + h + "\r\n",
                    Expect.UNSUPPORTED_VERSION,
                    501),
                RawCase.of(
                    "HTTP/2.0 without preface",
                    "GET /health HTTP/2.0\r\n" + h + "\r\n",
                    Expect.UNSUPPORTED_VERSION,
                    501),
                RawCase.of(
                    "HTTP/1.2",
                    "GET /health HTTP/1.2\r\n" + h + "\r\n",
                    Expect.UNSUPPORTED_VERSION,
                    501),
                RawCase.of(
                    "FOO/1.1",
                    "GET /health FOO/1.1\r\n" + h + "\r\n",
                    Expect.UNSUPPORTED_VERSION,
                    501),
                RawCase.of("no Host header", "GET /health HTTP/1.1\r\n\r\n", Expect.JSON_4XX, 400),
                RawCase.of(
                    "header without colon",
                    "GET /health HTTP/1.1\r\n" + h + "NoColonHere\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "space before colon",
                    "GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "NUL in a header name",
                    "GET /health HTTP/1.1\r\n" + h + "X\u0000Y: z\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Content-Length not a number",
                    like + "Content-Length: abc\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Content-Length negative",
                    like + "Content-Length: -1\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Content-Length overflows",
                    like + "Content-Length: 99999999999999999999999\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "two Content-Lengths",
                    like + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Content-Length and chunked",
                    like + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "unknown Transfer-Encoding",
                    like + "Transfer-Encoding: bogus\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "chunk size not hex",
                    title + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "chunk size 4 GiB",
                    title + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nabc\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "chunk size overflows",
                    title + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Content-Length lies low",
                    title + "Content-Length: 10\r\n\r\n{\"title\":\"" + "z".repeat(30_000) + "\"}",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "Expect not 100-continue",
                    title + "Content-Length: 2\r\nExpect: bogus\r\n\r\n{}",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "asterisk target", "GET * HTTP/1.1\r\n" + h + "\r\n", Expect.JSON_4XX, 404),
                RawCase.of(
                    "OPTIONS asterisk",
                    "OPTIONS * HTTP/1.1\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    404),
                RawCase.of(
                    "authority target",
                    "CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n",
                    Expect.JSON_4XX,
                    404),
                RawCase.of(
                    "raw control in path",
                    "GET /api/posts/a\u0001b HTTP/1.1\r\n" + h + "\r\n",
                    Expect.JSON_4XX,
                    400),
                RawCase.of(
                    "CR in the request line",
                    "GET /api/posts/a\rb HTTP/1.1\r\n" + h + "\r\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "garbage Host",
                    "GET /api/cluster HTTP/1.1\r\nHost: [::1\r\n\r\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "bare LF line ends",
                    "GET /api/cluster HTTP/1.1\n" + h.trim() + "\n\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "folded header",
                    "GET /api/cluster HTTP/1.1\r\n" + h + "X-A: a\r\n  folded\r\n\r\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "h2c upgrade, bad settings",
                    "GET /api/cluster HTTP/1.1\r\n"
                        + h
                        + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: %%%%\r\n\r\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "websocket upgrade, bad key",
                    "GET /api/cluster HTTP/1.1\r\n"
                        + h
                        + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: zz\r\n\r\n",
                    Expect.NOT_5XX,
                    0),
                RawCase.of(
                    "non-ASCII bearer token",
                    "POST /admin/heal HTTP/1.1\r\n"
                        + h
                        + "Authorization: Bearer \u00ff\u00fe\r\n\r\n",
                    Expect.JSON_4XX,
                    401),
                RawCase.of(
                    "garbage Origin on admin",
                    "POST /admin/heal HTTP/1.1\r\n"
                        + h
                        + "Authorization: Bearer "
                        + TOKEN
                        + "\r\nOrigin: :::%ZZ\r\n\r\n",
                    Expect.JSON_4XX,
                    403),
                RawCase.of(
                    "garbage Origin on a write",
                    like + "Origin: :::%ZZ\r\n\r\n",
                    Expect.JSON_4XX,
                    403)));
    cases.add(new RawCase("binary bytes (seed " + SEED + ")", binary, Expect.REFUSED, 0, false));
    cases.add(new RawCase("binary bytes, then end of stream", binary, Expect.REFUSED, 0, true));
    cases.add(
        new RawCase("NUL bytes", bytes("\u0000".repeat(64) + "\r\n\r\n"), Expect.REFUSED, 0, true));
    cases.add(new RawCase("TLS ClientHello", tlsHello, Expect.REFUSED, 0, true));
    cases.add(
        new RawCase(
            "HTTP/2 preface, then garbage",
            bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012\u0004\u0000garbage"),
            Expect.UNSUPPORTED_VERSION,
            0,
            true));
    cases.add(new RawCase("truncated request line", bytes("GET /api/po"), Expect.REFUSED, 0, true));
    cases.add(
        new RawCase(
            "truncated headers",
            bytes("GET /api/posts HTTP/1.1\r\n" + h + "X-Partial: ab"),
            Expect.REFUSED,
            0,
            true));
    cases.add(
        new RawCase(
            "truncated body",
            bytes(title + "Content-Length: 100\r\n\r\n{\"ti"),
            Expect.REFUSED,
            0,
            true));
    cases.add(
        new RawCase(
            "truncated chunked body",
            bytes(title + "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"ti"),
            Expect.REFUSED,
            0,
            true));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rawCases")
  void rawGarbageIsRefusedAndTheNodeKeepsServing(RawCase c) throws IOException {
    try (Socket socket = RawHttp.open(port)) {
      RawHttp.write(socket, c.request());
      if (c.halfClose()) {
        socket.shutdownOutput();
      }
      Answer answer = RawHttp.read(socket.getInputStream(), false);
      switch (c.expect()) {
        case JSON_4XX -> assertApiError(answer, c.status(), null);
        case REFUSED -> {
          if (!answer.closedWithoutAnswer()) {
            assertApiError(answer, ANY_4XX, null);
          }
        }
        case NOT_5XX -> {
          assertThat(answer.status()).as(c.name() + ": " + answer).isLessThan(500);
          if (answer.status() >= 400) {
            assertApiError(answer, ANY_4XX, null);
          }
        }
        case UNSUPPORTED_VERSION -> {
          assertThat(answer.status()).as(c.name() + ": " + answer).isEqualTo(501);
          assertThat(answer.body()).isEmpty();
          assertThat(RawHttp.read(socket.getInputStream(), false).closedWithoutAnswer())
              .as(c.name() + ": the connection closes after the 501")
              .isTrue();
        }
      }
    }
    // A normal request right after, on a new connection.
    assertThat(ok(send("GET", "/health", null, Map.of())).getString("status")).isEqualTo("ok");
  }

  @Test
  void aStalledRequestDoesNotBlockOthers() throws IOException {
    try (Socket stalled = RawHttp.open(port)) {
      RawHttp.write(
          stalled,
          bytes(
              "PUT /api/posts/alpha/title HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ti"));
      for (int i = 0; i < 3; i++) {
        assertThat(ok(send("GET", "/api/posts/alpha", null, Map.of())))
            .isEqualTo(seeded.getJsonObject(0));
      }
    }
  }

  /** A client that sends half a request and waits is cut off (a slowloris holds nothing long). */
  @Test
  void aHalfSentRequestIsClosedOnceIdle() throws IOException {
    try (Socket stalled = RawHttp.open(port)) {
      stalled.setSoTimeout(4 * DemoNode.HTTP_IDLE_TIMEOUT_SECONDS * 1000); // hang detector only
      RawHttp.write(
          stalled, bytes("PUT /api/posts/alpha/title HTTP/1.1\r\nHost: x\r\nContent-Length: 9"));
      int read;
      try {
        read = stalled.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1; // reset by the server: closed as well
      }
      assertThat(read).as("the server closed the idle connection").isEqualTo(-1);
    }
  }

  @Test
  void anEventStreamGivenGarbageThenClosedIsForgotten() throws IOException {
    try (Socket socket = RawHttp.open(port)) {
      RawHttp.write(socket, bytes("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
      Answer head = RawHttp.read(socket.getInputStream(), true);
      assertThat(head.status()).as(head.toString()).isEqualTo(200);
      assertThat(head.header("content-type")).startsWith("text/event-stream");
      RawHttp.write(
          socket, bytes("\u0000\u0001garbage\r\n\r\nGET /api/posts/%ZZ HTTP/1.1\r\n\r\n"));
    }
    long deadline = System.nanoTime() + DemoCluster.DEADLINE.toNanos();
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = send("GET", "/metrics", null, Map.of()).body();
      if (metrics.contains("\nconverge_sse_clients 0\n")) {
        break;
      }
      DemoCluster.sleep(100);
    }
    assertThat(metrics).as("the server forgets the stream").contains("\nconverge_sse_clients 0\n");
  }

  /* ================================================================ admin */

  @ParameterizedTest(name = "{0}")
  @MethodSource("adminRoutes")
  void adminRefusesMissingOrWrongTokens(Route route) {
    String body = "{\"peers\": [\"n2\"]}";
    List<Map<String, String>> unauthorized =
        List.of(
            Map.of(),
            Map.of("Authorization", ""),
            Map.of("Authorization", "Bearer"),
            Map.of("Authorization", "Bearer wrong"),
            Map.of("Authorization", "Bearer " + TOKEN.substring(1)),
            Map.of("Authorization", "Bearer " + TOKEN + "x"),
            Map.of("Authorization", "Bearer  " + TOKEN),
            Map.of("Authorization", "bearer " + TOKEN),
            Map.of("Authorization", "Basic " + TOKEN),
            Map.of("Authorization", TOKEN),
            Map.of("Authorization", "Bearer " + "t".repeat(7_000)),
            Map.of("X-Authorization", "Bearer " + TOKEN));
    for (Map<String, String> headers : unauthorized) {
      Response r = send(route.method(), route.path(), json(body), headers);
      assertApiError(r, 401, "Bearer");
      assertThat(r.raw().headers().firstValue("www-authenticate")).hasValue("Bearer");
      // Unauthorised and malformed: the token is checked first.
      assertApiError(send(route.method(), route.path(), json("{nope"), headers), 401, "Bearer");
    }
    for (String origin :
        List.of("http://evil.example", "null", ":::%ZZ", "http://127.0.0.1:1", url + ".evil")) {
      Map<String, String> headers = new HashMap<>(ADMIN);
      headers.put("Origin", origin);
      assertApiError(send(route.method(), route.path(), json(body), headers), 403, "origin");
    }
  }

  static Stream<Route> adminRoutes() {
    return ROUTES.stream().filter(Route::admin);
  }

  /* ================================================================ helpers */

  private static Response send(
      String method, String path, BodyPublisher body, Map<String, String> headers) {
    SENT.incrementAndGet();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(HANG)
            .method(method, body == null ? BodyPublishers.noBody() : body);
    headers.forEach(request::header);
    try {
      HttpResponse<String> response =
          DemoCluster.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(
          response.statusCode(),
          response.headers().firstValue("content-type").orElse(""),
          response.body(),
          response);
    } catch (HttpTimeoutException e) {
      throw new AssertionError(method + " " + path + ": no answer within " + HANG + " (hang)", e);
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@code method path} over a raw socket, for targets java.net.URI refuses to carry. */
  private static Answer raw(String method, String target, Route route) {
    return RawHttp.exchange(
        port,
        bytes(
            method
                + " "
                + target
                + " HTTP/1.1\r\nHost: x\r\n"
                + auth(route)
                + "Content-Length: 2\r\n\r\n{}"));
  }

  private static String auth(Route route) {
    return route.admin() ? "Authorization: Bearer " + TOKEN + "\r\n" : "";
  }

  private static BodyPublisher json(String body) {
    return BodyPublishers.ofString(body);
  }

  /** A well-formed body for routes that read one, so that only the path is wrong. */
  private static BodyPublisher bodyFor(Route route) {
    return switch (route.reads()) {
      case TITLE_BODY -> json("{\"title\": \"changed\"}");
      case PEERS_BODY -> json("{\"peers\": [\"n2\"]}");
      case NODE_ID_BODY -> json("{\"nodeId\": \"n2\"}");
      default -> null;
    };
  }

  private static byte[] filler(int n) {
    byte[] bytes = new byte[n];
    Arrays.fill(bytes, (byte) 'f');
    return bytes;
  }

  /** {@code posts} without the ones written on purpose. */
  private static JsonArray undeliberate(JsonArray posts) {
    JsonArray kept = new JsonArray();
    for (Object p : posts) {
      if (!DELIBERATE.contains(((JsonObject) p).getString("id"))) {
        kept.add(p);
      }
    }
    return kept;
  }

  private static JsonObject ok(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  private static void assertTooLarge(Response response) {
    assertApiError(response, 400, "larger than " + LIMIT);
  }

  private static void assertTooLarge(Answer answer) {
    assertApiError(answer, 400, "larger than " + LIMIT);
  }

  /**
   * A JSON error with {@code status} ({@link #ANY_4XX}: any 4xx) whose message contains {@code
   * errorPart} unless it is null.
   */
  private static void assertApiError(Response r, int status, String errorPart) {
    assertApiError(r, status == ANY_4XX ? Set.of() : Set.of(status), errorPart);
  }

  /** A JSON error with one of {@code statuses} (none: any 4xx). */
  private static void assertApiError(Response r, Set<Integer> statuses, String errorPart) {
    String what = r.raw().request().method() + " " + r.raw().request().uri();
    assertError(r.status(), r.contentType(), r.body(), statuses, errorPart, what);
  }

  private static void assertApiError(Answer a, int status, String errorPart) {
    assertThat(a.closedWithoutAnswer())
        .as("closed without an answer, expected a JSON error")
        .isFalse();
    Set<Integer> statuses = status == ANY_4XX ? Set.of() : Set.of(status);
    assertError(
        a.status(), a.header("content-type"), a.body(), statuses, errorPart, a.statusLine());
  }

  private static void assertError(
      int actual,
      String contentType,
      String body,
      Set<Integer> statuses,
      String errorPart,
      String what) {
    String description = what + " -> " + actual + " " + body;
    if (statuses.isEmpty()) {
      assertThat(actual).as(description).isBetween(400, 499);
    } else {
      assertThat(actual).as(description).isIn(statuses);
    }
    assertThat(contentType).as(description).startsWith("application/json");
    String error = new JsonObject(body).getString("error");
    assertThat(error).as(description).isNotBlank();
    if (errorPart != null) {
      assertThat(error).as(description).containsIgnoringCase(errorPart);
    }
  }
}
