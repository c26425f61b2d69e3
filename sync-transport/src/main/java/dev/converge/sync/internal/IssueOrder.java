package dev.converge.sync.internal;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps the updates of one key in the order they were issued (issue 13). A local update goes
 * straight to the store, whose writer applies one thread's writes to a key in issue order; a quorum
 * update first reads from a quorum and only then applies locally, so a later local update of the
 * same key would overtake it. While an update of a key waits for its turn or for its quorum read,
 * the key has a <em>tail</em>: the local application of the last update issued for it. Any later
 * update of that key is chained behind the tail and becomes the new tail; an update of a key with
 * no tail takes the fast path, with no allocation beyond one map lookup. Thread-safe: callers on
 * any thread see each other's tails at once, so calls made one after another by one thread (or one
 * event loop) take effect in that order, whatever their consistency. Not part of the public API.
 */
final class IssueOrder {

  private final ConcurrentHashMap<String, Future<Void>> tails = new ConcurrentHashMap<>();

  /**
   * Runs {@code apply} (the local application of an update of {@code key}) after every update of
   * the key issued before it. With {@code holdUntil} non-null, the application first waits for it
   * as well (a quorum read), and the key keeps a tail meanwhile.
   */
  <T> Future<T> run(String key, Future<?> holdUntil, Supplier<Future<T>> apply) {
    if (holdUntil == null && !tails.containsKey(key)) {
      return apply.get();
    }
    Promise<Void> mine = Promise.promise();
    Future<Void> previous = tails.put(key, mine.future());
    Future<?> before = previous == null ? Future.succeededFuture() : previous;
    Future<?> ready = holdUntil == null ? before : Future.join(before, holdUntil);
    Future<T> applied = ready.transform(x -> apply.get());
    applied.onComplete(
        x -> {
          tails.remove(key, mine.future());
          mine.complete();
        });
    return applied;
  }

  /** Keys with updates waiting or in flight (for tests and metrics). */
  int waitingKeys() {
    return tails.size();
  }
}
