package dev.converge.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Concurrent random writers: several threads per node, started together, each doing seeded random
 * writes of every type through a {@link RecordingWriter}, so nodes write to the same and to
 * different keys at the same time.
 */
final class RandomWriters {

  private RandomWriters() {}

  /**
   * Runs {@code threadsPerNode} threads for each of {@code writers}; thread {@code t} of writer
   * {@code w} does {@code writesPerThread} writes on {@code keysOf.apply(w)} with a generator
   * seeded from {@code seed}, {@code w} and {@code t}, pausing up to {@code maxPauseMillis} between
   * writes. Returns once every write is acknowledged; a failed write fails the test.
   */
  static void run(
      List<RecordingWriter> writers,
      IntFunction<KeySpace> keysOf,
      List<String> pool,
      int threadsPerNode,
      int writesPerThread,
      long seed,
      int maxPauseMillis) {
    ExecutorService threads = Executors.newFixedThreadPool(writers.size() * threadsPerNode);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int w = 0; w < writers.size(); w++) {
        for (int t = 0; t < threadsPerNode; t++) {
          int writer = w;
          int thread = t;
          running.add(
              threads.submit(
                  () -> {
                    Random random = new Random(seed * 1_000_003L + writer * 101L + thread);
                    KeySpace keys = keysOf.apply(writer);
                    go.await();
                    for (int i = 0; i < writesPerThread; i++) {
                      writers
                          .get(writer)
                          .randomWrite(random, keys, pool, "v" + writer + "." + thread + "." + i);
                      if (maxPauseMillis > 0) {
                        Thread.sleep(random.nextInt(maxPauseMillis + 1));
                      }
                    }
                    return null;
                  }));
        }
      }
      go.countDown();
      for (Future<?> f : running) {
        try {
          f.get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
          throw new AssertionError("a writer failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
          throw new AssertionError("a writer hung", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
