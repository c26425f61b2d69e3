package dev.converge.demo;

import dev.converge.store.StoreException;
import dev.converge.sync.ClusterMember;
import dev.converge.sync.Consistency;
import dev.converge.sync.ConsistencyException;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.Replicator;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.StaticHandler;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The node's HTTP API and page (see the module README for the contract). Every answer of {@code
 * /api}, {@code /admin} and {@code /health} is JSON; every error is {@code {"error": "..."}} with a
 * 4xx or 503 status; bad input never yields a 500.
 *
 * <p>Requests that arrive before the replicator runs get 503. Once the node has begun to leave the
 * cluster ({@code POST /admin/leave}), the server keeps answering: {@code /api/cluster}, {@code
 * /health} and {@code /metrics} report status {@code leaving}, then {@code left}; routes that need
 * the store get 503. Handlers never block: replicator futures complete on the replicator's context
 * and the response is written from there.
 */
final class HttpApi {

  private static final Logger LOG = System.getLogger(HttpApi.class.getName());

  /** Largest request body accepted: 16 KiB. */
  static final long MAX_BODY_BYTES = 16 * 1024;

  /** Timeout of {@code majority} and {@code all} reads and writes. */
  static final Duration QUORUM_TIMEOUT = Duration.ofSeconds(2);

  /** Most peers in one partition request. */
  static final int MAX_PARTITION_PEERS = 64;

  private static final String JSON = "application/json; charset=utf-8";
  private static final String ROUTE = "converge.route";
  private static final String ID = "(?<id>[^/]*)";
  private static final String USER = "(?<user>[^/]*)";

  /** What exists once the replicator runs. */
  record Running(
      Replicator replicator, Posts posts, EventStream events, String url, Departure departure) {}

  private final Vertx vertx;
  private final DemoConfig config;
  private final AdminRoutes admin;
  private final PrometheusMetrics metrics = new PrometheusMetrics();
  private final CorsPolicy cors = new CorsPolicy(this::memberUrls);
  private final BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
  private volatile Running running;

  HttpApi(Vertx vertx, DemoConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.admin = new AdminRoutes(config);
  }

  /**
   * Serves with {@code replicator}, which has started; {@code url} is this node's HTTP URL; {@code
   * departure} is the node's leave, shared with whoever else may start it.
   */
  void attach(Replicator replicator, String url, Departure departure) {
    Posts posts = new Posts(replicator, config.nodeId());
    running =
        new Running(replicator, posts, new EventStream(vertx, replicator, posts), url, departure);
  }

  /** Stops serving: later requests get 503, event streams end. */
  void detach() {
    Running r = running;
    running = null;
    if (r != null) {
      r.events().close();
    }
  }

  Router router() {
    Router router = Router.router(vertx);
    router.route().handler(this::countRequest);
    router.routeWithRegex("/(api|admin)/.*").handler(HttpApi::rejectEmptySegments);
    router.routeWithRegex("/api/.*").handler(cors::handle);

    on(router, HttpMethod.GET, "/api/posts", "/api/posts", this::listPosts);
    on(router, HttpMethod.GET, "/api/posts/" + ID, "/api/posts/{id}", this::getPost);
    onWrite(
        router,
        HttpMethod.POST,
        "/api/posts/" + ID + "/like",
        "/api/posts/{id}/like",
        (ctx, c) -> posts().like(id(ctx), c));
    onWrite(
        router,
        HttpMethod.POST,
        "/api/posts/" + ID + "/unlike",
        "/api/posts/{id}/unlike",
        (ctx, c) -> posts().unlike(id(ctx), c));
    onWrite(
        router,
        HttpMethod.POST,
        "/api/posts/" + ID + "/view",
        "/api/posts/{id}/view",
        (ctx, c) -> posts().view(id(ctx), c));
    onWrite(
        router,
        HttpMethod.PUT,
        "/api/posts/" + ID + "/title",
        "/api/posts/{id}/title",
        (ctx, c) -> posts().setTitle(id(ctx), title(ctx), c));
    onWrite(
        router,
        HttpMethod.PUT,
        "/api/posts/" + ID + "/likers/" + USER,
        "/api/posts/{id}/likers/{user}",
        (ctx, c) -> posts().addLiker(id(ctx), user(ctx), c));
    onWrite(
        router,
        HttpMethod.DELETE,
        "/api/posts/" + ID + "/likers/" + USER,
        "/api/posts/{id}/likers/{user}",
        (ctx, c) -> posts().removeLiker(id(ctx), user(ctx), c));
    on(router, HttpMethod.GET, "/api/cluster", "/api/cluster", this::cluster);
    on(router, HttpMethod.GET, "/api/events", "/api/events", ctx -> running().events().handle(ctx));
    on(
        router,
        HttpMethod.POST,
        "/admin/partition",
        "/admin/partition",
        ctx -> admin.partition(ctx, running()));
    on(router, HttpMethod.POST, "/admin/heal", "/admin/heal", ctx -> admin.heal(ctx, running()));
    on(router, HttpMethod.POST, "/admin/leave", "/admin/leave", ctx -> admin.leave(ctx, running()));
    on(
        router,
        HttpMethod.POST,
        "/admin/remove",
        "/admin/remove",
        ctx -> admin.remove(ctx, running()));
    on(router, HttpMethod.GET, "/health", "/health", this::health);
    on(router, HttpMethod.GET, "/metrics", "/metrics", this::metrics);
    String files = "/(?!api/|admin/|health$|metrics$).*";
    router.routeWithRegex(HttpMethod.GET, files).handler(ctx -> ctx.put(ROUTE, "static").next());
    router
        .routeWithRegex(HttpMethod.GET, files)
        // The body is read (and limited) here too: StaticHandler pauses a request that has one
        // and never resumes it, which stalled the connection for the client's next request.
        .handler(body)
        .handler(StaticHandler.create("webroot").setCachingEnabled(false));

    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(
        405, ctx -> error(ctx, 405, ctx.request().method() + " is not allowed on this resource"));
    router.errorHandler(400, ctx -> error(ctx, 400, "bad request"));
    router.errorHandler(413, ctx -> error(ctx, 400, tooLarge()));
    router.errorHandler(500, ctx -> error(ctx, 500, "internal error"));
    return router;
  }

  /**
   * Answers a request Vert.x could not decode (request line over {@link
   * HttpServerOptions#DEFAULT_MAX_INITIAL_LINE_LENGTH} bytes, headers over {@link
   * HttpServerOptions#DEFAULT_MAX_HEADER_SIZE} bytes, malformed syntax) like Vert.x's default does
   * — 414, 431 or 400, then close — but with a JSON error body, as every other error.
   */
  void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = 400;
    String message = "malformed HTTP request";
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message =
          "request line longer than "
              + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH
              + " bytes";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message =
          "request headers larger than " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes";
    }
    request
        .response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(new JsonObject().put("error", message).encode())
        .onComplete(done -> request.connection().close());
  }

  /* ================================================================ routes */

  private void on(
      Router router, HttpMethod method, String regex, String label, Handler<RoutingContext> h) {
    // Two routes of the same pattern: Vert.x runs a body handler first on its route, and the
    // label must be set before it, so that a refused body is counted under its route.
    router.routeWithRegex(method, regex).handler(ctx -> ctx.put(ROUTE, label).next());
    router
        .routeWithRegex(method, regex)
        .handler(body)
        .handler(
            ctx -> {
              Running r = running;
              if (r == null && !label.equals("/health")) {
                ctx.fail(new ApiException(503, "the node is not serving (starting or stopping)"));
                return;
              }
              if (r != null && r.departure().started() && needsStore(label)) {
                ctx.fail(r.departure().refusal());
                return;
              }
              ctx.next();
            })
        .handler(
            ctx -> {
              try {
                h.handle(ctx);
              } catch (RuntimeException e) {
                ctx.fail(e);
              }
            });
  }

  /** A write that honours {@code ?consistency=}; answers the updated post. */
  private interface Write {
    Future<JsonObject> apply(RoutingContext ctx, Consistency consistency);
  }

  private void onWrite(Router router, HttpMethod method, String regex, String label, Write w) {
    on(router, method, regex, label, ctx -> respond(ctx, w.apply(ctx, consistency(ctx))));
  }

  private void getPost(RoutingContext ctx) {
    respond(ctx, posts().read(id(ctx), consistency(ctx)));
  }

  private void listPosts(RoutingContext ctx) {
    Future<JsonArray> all = posts().readAll(consistency(ctx));
    all.onSuccess(posts -> json(ctx, 200, posts.encode())).onFailure(ctx::fail);
  }

  private void cluster(RoutingContext ctx) {
    Running r = running();
    Set<String> partitioned = r.replicator().faults().partitioned();
    JsonArray peers = new JsonArray();
    for (ClusterMember m : members(r)) {
      peers.add(
          new JsonObject()
              .put("id", m.nodeId())
              .put("status", Departure.name(m.status()))
              .put("reachable", m.reachable())
              .put("partitioned", partitioned.contains(m.nodeId()))
              .put("http", m.metadata().get("http"))
              .put("gossip", m.address().toString())
              .put("incarnation", m.incarnation())
              .put("phi", Double.isFinite(m.phi()) ? m.phi() : null)
              .put("lastHeardMillis", m.lastHeardMillis())
              .put(
                  "metadata", new JsonObject(new java.util.TreeMap<String, Object>(m.metadata()))));
    }
    json(
        ctx,
        200,
        new JsonObject()
            .put("node", config.nodeId())
            .put("status", Departure.name(r.departure().status()))
            .put("cluster", config.clusterName())
            .put("http", r.url())
            .put("gossip", config.host() + ":" + r.replicator().port())
            .put("incarnation", r.replicator().identity().incarnation())
            .put("peers", peers)
            .put("partitioned", new JsonArray(List.copyOf(new TreeSet<>(partitioned))))
            .encode());
  }

  /* Routes that read or write posts: refused once the node has begun to leave. */
  private static boolean needsStore(String label) {
    return label.startsWith("/api/posts") || label.equals("/api/events");
  }

  /* The members to show: none once this node has left (its view is no longer kept up). */
  static List<ClusterMember> members(Running r) {
    return r.departure().finished() ? List.of() : r.replicator().members();
  }

  private void health(RoutingContext ctx) {
    Running r = running;
    if (r == null) {
      throw new ApiException(503, "the node is not serving (starting or stopping)");
    }
    if (r.departure().started()) {
      throw r.departure().refusal();
    }
    if (r.replicator().status() == MemberStatus.REMOVED) {
      throw r.departure()
          .removedRefusal("node " + config.nodeId() + " was removed from the cluster");
    }
    json(ctx, 200, new JsonObject().put("status", "ok").put("node", config.nodeId()).encode());
  }

  private void metrics(RoutingContext ctx) {
    Running r = running();
    String text =
        metrics.render(
            r.replicator().metrics(), members(r), r.departure().status(), r.events().clientCount());
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PrometheusMetrics.CONTENT_TYPE).end(text);
  }

  /* ================================================================ input */

  private static void rejectEmptySegments(RoutingContext ctx) {
    // The router collapses "//"; an empty id or user name must still be a 400, not another route.
    String raw = ctx.request().path();
    if (raw != null && raw.contains("//")) {
      ctx.fail(
          ApiException.badRequest("empty path segment: ids and user names have 1-64 characters"));
      return;
    }
    ctx.next();
  }

  private static String id(RoutingContext ctx) {
    return name(ctx.pathParam("id"), "post id");
  }

  private static String user(RoutingContext ctx) {
    return name(ctx.pathParam("user"), "user name");
  }

  private static String name(String value, String what) {
    if (!Posts.validName(value)) {
      throw ApiException.badRequest(
          what + " must be 1-64 characters of letters, digits, '-', '_', '.'");
    }
    return value;
  }

  private static Consistency consistency(RoutingContext ctx) {
    List<String> values;
    try {
      values = ctx.queryParam("consistency");
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("malformed query string");
    }
    if (values.isEmpty()) {
      return Consistency.local();
    }
    if (values.size() > 1) {
      throw ApiException.badRequest("consistency given more than once");
    }
    String value = values.get(0);
    return switch (value) {
      case "local", "majority", "all" -> Consistency.parse(value, QUORUM_TIMEOUT);
      default ->
          throw ApiException.badRequest(
              "consistency must be local, majority or all, got \"" + truncate(value) + "\"");
    };
  }

  private static String title(RoutingContext ctx) {
    Object title = jsonBody(ctx).getValue("title");
    if (!(title instanceof String s)) {
      throw ApiException.badRequest("body must be {\"title\": \"...\"}");
    }
    if (s.length() > Posts.MAX_TITLE_LENGTH) {
      throw ApiException.badRequest("title longer than " + Posts.MAX_TITLE_LENGTH + " characters");
    }
    if (s.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.badRequest("title has a control character");
    }
    if (s.codePoints().anyMatch(c -> Character.getType(c) == Character.SURROGATE)) {
      // A JSON escape can name half of a surrogate pair; the store encodes strings as UTF-8 and
      // refuses such a string, which was a 500.
      throw ApiException.badRequest("title is not well-formed Unicode (unpaired surrogate)");
    }
    return s;
  }

  /** The request's body as a JSON object; a 400 if it is missing, malformed or not an object. */
  static JsonObject jsonBody(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().isEmpty()) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    try {
      Object value = Json.decodeValue(ctx.body().buffer());
      if (value instanceof JsonObject object) {
        return object;
      }
    } catch (DecodeException e) {
      throw ApiException.badRequest("invalid JSON body");
    }
    throw ApiException.badRequest("body must be a JSON object");
  }

  private static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  private static String tooLarge() {
    return "request body larger than " + MAX_BODY_BYTES + " bytes";
  }

  /* ================================================================ output */

  private Running running() {
    Running r = running;
    if (r == null) {
      throw new ApiException(503, "the node is not serving (starting or stopping)");
    }
    return r;
  }

  private Posts posts() {
    return running().posts();
  }

  private Set<String> memberUrls() {
    Running r = running;
    Set<String> urls = new LinkedHashSet<>();
    if (r != null) {
      urls.add(r.url());
      for (ClusterMember m : members(r)) {
        String url = m.metadata().get("http");
        if (url != null) {
          urls.add(url);
        }
      }
    }
    return urls;
  }

  private static void respond(RoutingContext ctx, Future<JsonObject> result) {
    result.onSuccess(post -> json(ctx, 200, post.encode())).onFailure(ctx::fail);
  }

  /** Answers {@code body} (JSON) with {@code status}, unless the response has ended. */
  static void json(RoutingContext ctx, int status, String body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
  }

  private void failure(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof ApiException api) {
      json(ctx, api.status(), api.body().encode());
    } else if (e instanceof ConsistencyException ce) {
      json(
          ctx,
          503,
          new JsonObject()
              .put("error", ce.getMessage())
              .put("operation", ce.operation().name().toLowerCase(java.util.Locale.ROOT))
              .put("required", ce.required())
              .put("acknowledged", ce.acknowledged())
              .put("members", ce.members())
              .put("keptLocally", ce.operation() == ConsistencyException.Operation.WRITE)
              .encode());
    } else if (e instanceof StoreException.Closed) {
      // A request that was under way when the node began to leave (or stop).
      Running r = running;
      ApiException stopped =
          r != null && r.departure().started()
              ? r.departure().refusal()
              : new ApiException(503, "the node is not serving (starting or stopping)");
      json(ctx, 503, stopped.body().encode());
    } else if (e instanceof IllegalStateException
        && running != null
        && running.replicator().status() == MemberStatus.REMOVED) {
      json(ctx, 503, running.departure().removedRefusal(e.getMessage()).body().encode());
    } else if (e instanceof DecodeException) {
      error(ctx, 400, "invalid JSON body");
    } else if (status(ctx) == 413) {
      error(ctx, 400, tooLarge());
    } else if (status(ctx) == 404 || status(ctx) == 405) {
      error(ctx, status(ctx), "no such resource or method: " + ctx.request().path());
    } else if (status(ctx) >= 400 && status(ctx) < 500) {
      error(ctx, 400, "bad request");
    } else if (!ctx.request().isEnded()) {
      // The request broke off while its body was arriving: malformed framing (a bad chunk size,
      // which Vert.x reports as a NumberFormatException) or the client went away. The client's
      // fault, never a 500; the framing is lost, so the connection closes.
      LOG.log(Level.DEBUG, "request body broke off: " + ctx.request().path(), e);
      if (!ctx.response().closed()) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        error(ctx, 400, "malformed request body");
      }
    } else {
      LOG.log(Level.ERROR, "request " + ctx.request().method() + " " + ctx.request().path(), e);
      error(ctx, 500, "internal error");
    }
  }

  /* The status of a failure that is not an exception of ours (e.g. BodyHandler's 413). */
  private static int status(RoutingContext ctx) {
    return ctx.failure() instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
  }

  private static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", message).encode());
  }

  private void countRequest(RoutingContext ctx) {
    ctx.addEndHandler(
        v -> {
          if (!ctx.response().headWritten()) {
            return; // the client went away before it was answered: no status to count
          }
          String route = ctx.get(ROUTE);
          metrics.countRequest(
              route == null ? "unmatched" : route,
              ctx.request().method().name(),
              ctx.response().getStatusCode());
        });
    ctx.next();
  }
}
