package dev.converge.demo;

import dev.converge.sync.MemberStatus;
import dev.converge.sync.Replicator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This node's graceful leave: {@link Replicator#close()} started once, by whoever asks first
 * ({@code POST /admin/leave}, {@link DemoNode#close()}, the SIGTERM hook), and awaited by the
 * others. The HTTP server outlives it: the node then reports status {@code left} and refuses what
 * needs the store. Thread-safe.
 */
final class Departure {

  private final Replicator replicator;
  private final String nodeId;
  private final AtomicReference<Future<Void>> leaving = new AtomicReference<>();

  Departure(Replicator replicator, String nodeId) {
    this.replicator = replicator;
    this.nodeId = nodeId;
  }

  /**
   * Starts the leave if nobody has; completes when the replicator has closed (never fails: an error
   * while closing is the replicator's to log, the node has stopped either way).
   */
  Future<Void> leave() {
    Promise<Void> promise = Promise.promise();
    if (!leaving.compareAndSet(null, promise.future())) {
      return leaving.get();
    }
    replicator.close().onComplete(done -> promise.complete());
    return promise.future();
  }

  /** Whether the leave has started. */
  boolean started() {
    return leaving.get() != null;
  }

  /** Whether the leave has finished: the replicator is closed. */
  boolean finished() {
    Future<Void> f = leaving.get();
    return f != null && f.isComplete();
  }

  /** This node's status: {@code joining, up, leaving, left} or {@code removed}. */
  MemberStatus status() {
    MemberStatus s = replicator.status();
    if (s == MemberStatus.REMOVED) {
      return s;
    }
    if (finished()) {
      return MemberStatus.LEFT;
    }
    return started() ? MemberStatus.LEAVING : s;
  }

  /** The 503 for what needs the store, once the leave has started: the store is closing. */
  ApiException refusal() {
    MemberStatus status = status();
    String message =
        status == MemberStatus.REMOVED
            ? "node " + nodeId + " was removed from the cluster and has stopped"
            : "node "
                + nodeId
                + (status == MemberStatus.LEFT ? " has left" : " is leaving")
                + " the cluster (POST /admin/leave): it serves no data; restart it to rejoin";
    return new ApiException(503, message, details(status));
  }

  /** The 503 of a node that was removed ({@code message} says so): it refuses writes, for good. */
  ApiException removedRefusal(String message) {
    return new ApiException(
        503,
        message
            + "; it refuses writes. Restart it with an empty data directory (or in memory) to"
            + " rejoin as a new incarnation",
        details(status()));
  }

  private JsonObject details(MemberStatus status) {
    return new JsonObject().put("node", nodeId).put("status", name(status));
  }

  /** A status as the API spells it: lower case. */
  static String name(MemberStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }
}
