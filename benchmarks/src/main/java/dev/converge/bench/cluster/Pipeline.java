package dev.converge.bench.cluster;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Issues asynchronous writes with at most {@link #WINDOW} in flight, the way a busy client would,
 * and waits for all of them. The first failure is rethrown by {@link #drain()}.
 */
final class Pipeline {

  static final int WINDOW = 1_000;

  private final Semaphore window = new Semaphore(WINDOW);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** Longest wait for a free slot: a system that acknowledges nothing for this long is stuck. */
  static final long STALL_SECONDS = 60;

  /**
   * Issues {@code write} once fewer than {@link #WINDOW} writes are in flight.
   *
   * @throws IllegalStateException if no write completed for {@link #STALL_SECONDS}
   */
  void submit(Supplier<? extends CompletionStage<?>> write) {
    try {
      if (!window.tryAcquire(STALL_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no write acknowledged for " + STALL_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    write
        .get()
        .whenComplete(
            (result, error) -> {
              if (error != null) {
                failure.compareAndSet(null, error);
              }
              window.release();
            });
  }

  /** Waits until every submitted write completed. */
  void drain() {
    try {
      if (!window.tryAcquire(WINDOW, STALL_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("writes not acknowledged within " + STALL_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    window.release(WINDOW);
    Throwable error = failure.get();
    if (error != null) {
      throw new IllegalStateException("a write failed", error);
    }
  }
}
