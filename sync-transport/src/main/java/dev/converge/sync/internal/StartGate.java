package dev.converge.sync.internal;

import dev.converge.store.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Holds the API calls made before a node has started (as Pekko holds updates and reads while
 * durable data loads) and runs them, in the order they were made, once it has; up to a bound, past
 * which calls fail at once. Thread-safe. Not part of the public API.
 */
final class StartGate {

  private final int maxHeld;
  private final Promise<Void> running = Promise.promise();
  private final AtomicInteger held = new AtomicInteger();
  private volatile boolean closed;

  StartGate(int maxHeld) {
    this.maxHeld = maxHeld;
  }

  /** The node is running: held calls run now, later ones at once. */
  void open() {
    running.tryComplete();
  }

  /** The node failed to start: held and later calls fail with {@code cause}. */
  void fail(Throwable cause) {
    running.tryFail(cause);
  }

  /** The node is closing: later calls, and held ones, fail with {@code StoreException.Closed}. */
  void close() {
    closed = true;
    running.tryFail(new StoreException.Closed());
  }

  boolean isClosed() {
    return closed;
  }

  /** Runs {@code operation} once the node runs; see the class comment. */
  <R> Future<R> run(Supplier<Future<R>> operation) {
    if (closed) {
      return Future.failedFuture(new StoreException.Closed());
    }
    if (running.future().succeeded()) {
      return operation.get();
    }
    if (held.incrementAndGet() > maxHeld) {
      held.decrementAndGet();
      return Future.failedFuture(
          new IllegalStateException(
              "the replicator has not started yet and already holds "
                  + maxHeld
                  + " calls made before start() completed"));
    }
    return running
        .future()
        .transform(
            started -> {
              held.decrementAndGet();
              if (started.failed()) {
                return Future.failedFuture(started.cause());
              }
              return closed ? Future.failedFuture(new StoreException.Closed()) : operation.get();
            });
  }
}
