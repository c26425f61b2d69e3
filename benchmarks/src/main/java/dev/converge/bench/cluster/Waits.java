package dev.converge.bench.cluster;

import java.util.function.BooleanSupplier;

/** Polling waits for the scenarios. */
final class Waits {

  private Waits() {}

  /**
   * Polls {@code condition} every {@code pollMillis} until it holds; returns the nanoseconds from
   * the call until the first poll that saw it hold.
   *
   * @throws IllegalStateException after {@code timeoutMillis}
   */
  static long until(BooleanSupplier condition, long timeoutMillis, long pollMillis, String what) {
    long start = System.nanoTime();
    long deadline = start + timeoutMillis * 1_000_000L;
    while (true) {
      if (condition.getAsBoolean()) {
        return System.nanoTime() - start;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": not reached within " + timeoutMillis + " ms");
      }
      sleep(pollMillis);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
