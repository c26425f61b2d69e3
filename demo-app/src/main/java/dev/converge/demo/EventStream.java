package dev.converge.demo;

import dev.converge.sync.Consistency;
import dev.converge.sync.Replicator;
import dev.converge.sync.Subscription;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code GET /api/events}: server-sent events of post changes, local and remote. One subscription
 * to the {@code post:} prefix marks changed posts; every {@link #FLUSH_MILLIS} the changed posts
 * are read once and sent to every open stream as {@code event: post} with the post's JSON, so a
 * burst of changes to one post costs one event. A comment line every {@link #HEARTBEAT_MILLIS}
 * keeps proxies from closing idle streams and lets the server notice closed ones. A stream whose
 * client does not keep up (write queue full) is closed; the browser's EventSource reconnects.
 */
final class EventStream {

  private static final Logger LOG = System.getLogger(EventStream.class.getName());

  /** How often changed posts are sent. */
  static final long FLUSH_MILLIS = 100;

  /** How often an idle stream gets a comment line. */
  static final long HEARTBEAT_MILLIS = 10_000;

  /** Most streams open at once; more are refused with 503. */
  static final int MAX_CLIENTS = 256;

  private final Vertx vertx;
  private final Posts posts;
  private final Set<HttpServerResponse> clients = ConcurrentHashMap.newKeySet();
  private final Set<String> changed = ConcurrentHashMap.newKeySet();
  private final Subscription subscription;
  private final long flushTimer;
  private final long heartbeatTimer;
  private final AtomicBoolean flushing = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  EventStream(Vertx vertx, Replicator replicator, Posts posts) {
    this.vertx = vertx;
    this.posts = posts;
    this.subscription =
        replicator.subscribePrefix(
            Posts.KEY_PREFIX,
            (key, state, local) -> {
              if (!clients.isEmpty()) {
                Posts.idOf(key).ifPresent(changed::add);
              }
            });
    this.flushTimer = vertx.setPeriodic(FLUSH_MILLIS, t -> flush());
    this.heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, t -> broadcast(": heartbeat\n\n"));
  }

  int clientCount() {
    return clients.size();
  }

  /** Opens a stream for the request. */
  void handle(RoutingContext ctx) {
    if (clients.size() >= MAX_CLIENTS) {
      ctx.fail(new ApiException(503, "too many event streams open"));
      return;
    }
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    clients.add(response);
    response.closeHandler(v -> clients.remove(response));
    response.exceptionHandler(e -> clients.remove(response));
    ctx.request().connection().closeHandler(v -> clients.remove(response));
    response.write("retry: 2000\n: connected\n\n");
  }

  /** Ends every stream and stops listening. Idempotent. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    subscription.close();
    vertx.cancelTimer(flushTimer);
    vertx.cancelTimer(heartbeatTimer);
    for (HttpServerResponse client : List.copyOf(clients)) {
      clients.remove(client);
      try {
        client.end();
      } catch (IllegalStateException e) {
        // already closed
      }
    }
  }

  private void flush() {
    if (changed.isEmpty() || !flushing.compareAndSet(false, true)) {
      return;
    }
    List<String> ids = new ArrayList<>(changed);
    changed.removeAll(ids);
    if (clients.isEmpty()) {
      flushing.set(false);
      return;
    }
    List<Future<JsonObject>> reads = new ArrayList<>();
    for (String id : ids) {
      reads.add(
          posts
              .read(id, Consistency.local())
              .onSuccess(post -> broadcast("event: post\ndata: " + post.encode() + "\n\n"))
              .onFailure(e -> LOG.log(Level.WARNING, "could not read post " + id, e)));
    }
    Future.join(reads).onComplete(done -> flushing.set(false));
  }

  private void broadcast(String text) {
    for (HttpServerResponse client : clients) {
      try {
        if (client.writeQueueFull()) {
          LOG.log(Level.DEBUG, "closing a slow event stream");
          clients.remove(client);
          client.reset();
          continue;
        }
        client.write(text);
      } catch (IllegalStateException e) {
        clients.remove(client);
      }
    }
  }
}
