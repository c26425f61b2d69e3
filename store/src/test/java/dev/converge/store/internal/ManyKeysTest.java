package dev.converge.store.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.store.Durability;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many small keys behind a 10,000-entry cache: writes pipelined under group commit, a random sample
 * read back, every key listed through keys() paging, before and after a reopen. Prints heap and
 * file size; asserts only correctness. {@code -Dconverge.store.keys=N} sets the number of keys
 * (default 1,000,000).
 */
class ManyKeysTest {

  private static final int KEYS = Integer.getInteger("converge.store.keys", 1_000_000);
  private static final long SEED = 99;

  @TempDir Path temp;

  @Test
  void manySmallKeysBehindASmallCache() throws Exception {
    StoreOptions options =
        new StoreOptions()
            .setNodeId("many")
            .setDataDir(temp.resolve("data"))
            .setDurability(Durability.GROUP_COMMIT)
            .setCacheMaxEntries(10_000);
    long start = System.nanoTime();
    try (ReplicaStore store = ReplicaStores.open(options)) {
      Semaphore inFlight = new Semaphore(8_192);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      for (int i = 0; i < KEYS; i++) {
        inFlight.acquire();
        store
            .update(key(i), GCounter.incrementBy(amount(i)))
            .whenComplete(
                (m, e) -> {
                  if (e != null) {
                    failure.compareAndSet(null, e);
                  }
                  inFlight.release();
                });
      }
      inFlight.acquire(8_192);
      assertThat(failure.get()).isNull();
      long written = System.nanoTime();
      checkAll(store, "before reopen");
      System.out.printf(
          "%,d keys written in %,d ms; %s%n",
          KEYS, TimeUnit.NANOSECONDS.toMillis(written - start), memory());
    }
    Path file = temp.resolve("data").resolve(StoreTables.DATA_FILE);
    long bytes = Files.size(file);
    System.out.printf(
        "file %,d bytes, %,d bytes per key (closed; total %,d ms)%n",
        bytes, bytes / KEYS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    try (ReplicaStore store = ReplicaStores.open(options)) {
      checkAll(store, "after reopen");
      System.out.printf("after reopen and check: %s%n", memory());
    }
  }

  private static void checkAll(ReplicaStore store, String when) throws Exception {
    assertThat(store.keyCount()).as(when).isEqualTo(KEYS);
    Random random = new Random(SEED);
    for (int n = 0; n < 20_000; n++) {
      int i = random.nextInt(KEYS);
      assertThat(store.read(key(i)).get(60, TimeUnit.SECONDS).value())
          .as("%s: key %s (seed %s)", when, i, SEED)
          .isEqualTo(amount(i));
    }
    long listed = 0;
    String after = null;
    while (true) {
      List<String> page = store.keys(after, 10_000).get(60, TimeUnit.SECONDS);
      if (page.isEmpty()) {
        break;
      }
      for (String name : page) {
        assertThat(name).as(when).isEqualTo(key((int) listed).name());
        listed++;
      }
      after = page.get(page.size() - 1);
    }
    assertThat(listed).as(when).isEqualTo(KEYS);
  }

  private static Key<GCounter> key(int i) {
    return Key.gCounter(String.format("key-%08d", i));
  }

  private static long amount(int i) {
    return 1 + i % 5;
  }

  private static String memory() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return String.format("heap used %,d MiB", (rt.totalMemory() - rt.freeMemory()) >> 20);
  }
}
